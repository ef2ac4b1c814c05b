"""DNS-SD service types: their short form, and the group a set of them hints at.

A device that advertises ``_ipp._tcp`` is most likely a printer, one that
advertises ``_airplay._tcp`` a media player. The hint is only shown next to
the owner's own group, never written into it.

=================  ==========================================================
group hint         service types (any of them)
=================  ==========================================================
Printers           ``_ipp``, ``_ipps``, ``_printer``, ``_pdl-datastream``,
                   ``_scanner``, ``_uscan``, ``_uscans``
Media              ``_airplay``, ``_raop``, ``_googlecast``, ``_spotify-connect``,
                   ``_sonos``, ``_daap``, ``_dacp``, ``_mediaremotetv``
Smart home         ``_hap``, ``_matter``, ``_matterc``, ``_homekit``, ``_hue``,
                   ``_esphomelib``, ``_shelly``
Computers          ``_ssh``, ``_sftp-ssh``, ``_smb``, ``_afpovertcp``,
                   ``_workstation``, ``_rfb``, ``_device-info``
=================  ==========================================================

The first group in this order that one of the device's services belongs to
wins: a printer that also offers ``_ssh`` is a printer.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Group hint -> the service names (without ``._tcp``/``._udp``) that suggest it, in order.
GROUP_HINTS: tuple[tuple[str, frozenset[str]], ...] = (
    (
        "Printers",
        frozenset(
            {"_ipp", "_ipps", "_printer", "_pdl-datastream", "_scanner", "_uscan", "_uscans"}
        ),
    ),
    (
        "Media",
        frozenset(
            {
                "_airplay",
                "_raop",
                "_googlecast",
                "_spotify-connect",
                "_sonos",
                "_daap",
                "_dacp",
                "_mediaremotetv",
            }
        ),
    ),
    (
        "Smart home",
        frozenset({"_hap", "_matter", "_matterc", "_homekit", "_hue", "_esphomelib", "_shelly"}),
    ),
    (
        "Computers",
        frozenset(
            {"_ssh", "_sftp-ssh", "_smb", "_afpovertcp", "_workstation", "_rfb", "_device-info"}
        ),
    ),
)


def short_type(service_type: str) -> str | None:
    """``_ipp._tcp`` for ``_ipp._tcp.local.`` (a subtype's ``_sub`` part dropped).

    None for anything that is not a service type (``_name._tcp`` or ``._udp``).

    >>> short_type("_universal._sub._ipp._tcp.local."), short_type("Foo.local.")
    ('_ipp._tcp', None)
    """
    labels = [label for label in service_type.rstrip(".").split(".") if label]
    if labels and labels[-1].lower() == "local":
        labels.pop()
    if len(labels) < 2 or labels[-1].lower() not in ("_tcp", "_udp"):
        return None
    name = labels[-2].lower()
    if not name.startswith("_") or len(name) < 2:
        return None
    return f"{name}.{labels[-1].lower()}"


def group_hint(services: Iterable[str]) -> str | None:
    """The group the service types (short or full) suggest, or None.

    >>> group_hint(["_ssh._tcp", "_ipp._tcp.local."])
    'Printers'
    """
    names = set()
    for service in services:
        short = short_type(service)
        if short is not None:
            names.add(short.split(".", 1)[0])
    for hint, members in GROUP_HINTS:
        if names & members:
            return hint
    return None
