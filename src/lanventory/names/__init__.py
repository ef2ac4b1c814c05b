"""Names for devices that send no DHCP hostname: reverse DNS (PTR) and mDNS/DNS-SD.

Every name keeps its source; the owner's own name is never written here.
"""
