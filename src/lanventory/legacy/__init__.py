"""Moving in from older tools: their tables become lanventory devices.

:mod:`lanventory.legacy.dhcp_leases` turns the rows of an IP-keyed
``dhcp_leases`` table into per-network plans (pure), :mod:`~.apply` merges a
plan into a network's inventory (pure) and :mod:`~.reader` reads the table
from the old PostgreSQL database (read-only).
"""
