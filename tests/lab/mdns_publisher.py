"""An mDNS/DNS-SD responder for the lab: run inside a device namespace, never elsewhere.

    python mdns_publisher.py ADDRESS HOST TYPE=INSTANCE:PORT ...

e.g. ``198.18.0.20 labprinter _ipp._tcp=Lab Printer:631``. It answers on the
interface holding ADDRESS only (IPv4), prints ``registered`` once every
service is announced, and runs until it is sent SIGTERM.
"""

from __future__ import annotations

import signal
import socket
import sys
import threading

from zeroconf import IPVersion, ServiceInfo, Zeroconf


def main(argv: list[str]) -> None:
    address, host, *specs = argv
    zc = Zeroconf(interfaces=[address], ip_version=IPVersion.V4Only)
    infos = []
    for spec in specs:
        service_type, _, rest = spec.partition("=")
        instance, _, port = rest.rpartition(":")
        full_type = f"{service_type}.local."
        infos.append(
            ServiceInfo(
                full_type,
                f"{instance}.{full_type}",
                addresses=[socket.inet_aton(address)],
                port=int(port),
                server=f"{host}.local.",
                properties={"lab": "yes"},
            )
        )
    for info in infos:
        zc.register_service(info)
    print("registered", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    zc.unregister_all_services()
    zc.close()


if __name__ == "__main__":
    main(sys.argv[1:])
