"""The remote agent: runs sources where the server cannot reach, and pushes what they saw."""
