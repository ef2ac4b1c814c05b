"""Network-namespace lab for lanventory's integration tests (see netlab.py)."""

from .netlab import Device, KeaServer, Lab, LabError, lab_available

__all__ = ["Device", "KeaServer", "Lab", "LabError", "lab_available"]
