"""Active ARP sweeps: lanventory's own raw-socket sweeper and arp-scan."""
