"""Side effects only: reading files, running programs, calling APIs."""
