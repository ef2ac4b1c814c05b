"""lanventory: a live, MAC-keyed inventory of every device on your LANs."""

__version__ = "0.1.0"
