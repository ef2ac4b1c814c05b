"""Asking a running Kea DHCPv4 server for its leases and subnets.

Two transports: Kea's UNIX control socket (``Dhcp4.control-socket``; one bare
JSON command in, one bare JSON answer out, then Kea closes the connection), or
HTTP (a JSON POST, optional basic authentication; the answer comes wrapped in a
list). Over HTTP the command carries ``"service": ["dhcp4"]``: the Control
Agent (Kea <= 3.1, Debian 12's 2.2) needs it to know where to forward, and the
servers' own HTTP sockets (Kea >= 2.7.2) accept it. The answers are returned
raw for :mod:`lanventory.sources.kea_api` and :mod:`lanventory.sources.kea_subnets`.
"""

from __future__ import annotations

import grp
import ipaddress
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lanventory.collect.error import CollectError
from lanventory.sources import kea_api, kea_subnets
from lanventory.sources.observation import SourceText

if TYPE_CHECKING:  # httpx is imported only when a source speaks HTTP
    import httpx

__all__ = ["CollectError", "fetch_leases", "fetch_subnets", "subnet_map"]

_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class _Endpoint:
    """Where and how to send commands."""

    socket_path: Path | None
    url: str | None
    auth: tuple[str, str] | None
    timeout: float

    @property
    def name(self) -> str:
        return f"unix:{self.socket_path}" if self.socket_path is not None else str(self.url)


def _endpoint(
    socket_path: Path | None,
    url: str | None,
    username: str | None,
    password: str | None,
    timeout: float,
) -> _Endpoint:
    if (socket_path is None) == (url is None):
        raise CollectError("Kea API: give exactly one of a control socket path or a URL")
    if (username is None) != (password is None):
        raise CollectError("Kea API: give both a username and a password, or neither")
    auth = (username, password) if username is not None and password is not None else None
    return _Endpoint(socket_path, url, auth, timeout)


def _complete_json(data: bytes | bytearray) -> bool:
    """True when ``data`` already holds a whole JSON answer (cheap test first)."""
    if not data.rstrip().endswith((b"}", b"]")):
        return False
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


def _socket_problem(path: Path, error: OSError) -> CollectError:
    if isinstance(error, FileNotFoundError):
        return CollectError(
            f"{path}: no such control socket: is kea-dhcp4 running with a control-socket at "
            f'{path}? (Dhcp4 "control-socket": {{"socket-type": "unix", "socket-name": "{path}"}})'
        )
    if isinstance(error, PermissionError):
        try:
            group = f"group {grp.getgrgid(os.stat(path).st_gid).gr_name!r}"
        except (OSError, KeyError):
            group = "the group"
        return CollectError(
            f"{path}: permission denied: run lanventory as a user in {group} that owns "
            "Kea's control socket (and may enter its directory), or as Kea's own user"
        )
    if isinstance(error, ConnectionRefusedError):
        return CollectError(
            f"{path}: connection refused: nothing listens on the control socket "
            "(a stale file left by a stopped kea-dhcp4?); start kea-dhcp4"
        )
    if isinstance(error, BrokenPipeError | ConnectionResetError):
        return CollectError(
            f"{path}: kea-dhcp4 closed the connection without an answer; is it restarting?"
        )
    if isinstance(error, TimeoutError):
        return CollectError(f"{path}: kea-dhcp4 did not answer in time; is it busy or hung?")
    return CollectError(f"{path}: cannot talk to kea-dhcp4: {error.strerror or error}")


def _over_socket(path: Path, command: dict[str, Any], timeout: float) -> str:
    data = bytearray()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall(json.dumps(command).encode())
            while chunk := sock.recv(_CHUNK):
                data += chunk
                if len(chunk) < _CHUNK and _complete_json(data):
                    break
    except OSError as error:
        raise _socket_problem(path, error) from None
    if not data:
        raise CollectError(f"{path}: kea-dhcp4 closed the connection without an answer")
    return data.decode("utf-8", errors="replace")


def _kea_text(response: httpx.Response) -> str:
    """Kea's own explanation in an HTTP error body, or the body itself."""
    try:
        return str(kea_api.read_answer(response.text, "").get("text", response.text))
    except ValueError:
        return response.text.strip()[:200] or response.reason_phrase


def _over_http(endpoint: _Endpoint, command: dict[str, Any]) -> str:
    import httpx

    url = str(endpoint.url)
    try:
        with httpx.Client(timeout=endpoint.timeout, auth=endpoint.auth) as client:
            response = client.post(url, json={**command, "service": ["dhcp4"]})
    except httpx.TimeoutException:
        raise CollectError(
            f"{url}: no answer within {endpoint.timeout:g}s: is the Kea Control Agent "
            "listening there, and kea-dhcp4 running?"
        ) from None
    except httpx.HTTPError as error:
        raise CollectError(
            f"{url}: cannot reach the Kea Control Agent ({error}): is kea-ctrl-agent "
            "running and listening at this address?"
        ) from None
    status = response.status_code
    if status == 401:
        fix = (
            "check the username and password against the Control Agent's authentication clients"
            if endpoint.auth is not None
            else "the Control Agent requires basic authentication: set a username and password"
        )
        raise CollectError(f"{url}: HTTP 401 Unauthorized: {fix}")
    if status == 403:
        raise CollectError(f"{url}: HTTP 403 Forbidden: {_kea_text(response)}")
    if status >= 400:
        raise CollectError(
            f"{url}: HTTP {status} from the Kea Control Agent: {_kea_text(response)}"
        )
    return response.text


def _send(endpoint: _Endpoint, command: dict[str, Any]) -> str:
    if endpoint.socket_path is not None:
        return _over_socket(endpoint.socket_path, command, endpoint.timeout)
    return _over_http(endpoint, command)


def _next_page(text: str, page_size: int, name: str) -> str | None:
    """The address to continue from after this page, or None when it was the last."""
    try:
        answer = kea_api.read_answer(text, name)
        if answer["result"] != kea_api.RESULT_SUCCESS:
            return None  # 3: no more leases; errors are the parser's to report
        leases = kea_api.answer_leases(answer, name)
    except ValueError:
        return None
    count = answer["arguments"].get("count", len(leases))
    if not isinstance(count, int) or count < page_size or not leases:
        return None
    last = leases[-1].get("ip-address") if isinstance(leases[-1], dict) else None
    try:
        return str(ipaddress.IPv4Address(last))
    except ValueError:
        return None


def fetch_leases(
    *,
    socket_path: Path | None = None,
    url: str | None = None,
    username: str | None = None,
    password: str | None = None,
    page_size: int | None = None,
    timeout: float = 10.0,
) -> list[SourceText]:
    """Every DHCPv4 lease answer, raw: one ``lease4-get-all``, or with
    ``page_size`` every ``lease4-get-page`` until a short or empty page.

    Give exactly one of ``socket_path`` (the UNIX control socket) and ``url``
    (the Control Agent). ``timeout`` bounds each wait for Kea, in seconds.
    """
    endpoint = _endpoint(socket_path, url, username, password, timeout)
    if page_size is None:
        text = _send(endpoint, {"command": "lease4-get-all"})
        return [SourceText(f"{endpoint.name} lease4-get-all", text)]
    if page_size < 1:
        raise CollectError(f"Kea API: the page size must be positive, not {page_size}")
    pages: list[SourceText] = []
    start = "start"
    while True:
        command = {"command": "lease4-get-page", "arguments": {"from": start, "limit": page_size}}
        name = f"{endpoint.name} lease4-get-page #{len(pages) + 1}"
        pages.append(SourceText(name, _send(endpoint, command)))
        following = _next_page(pages[-1].text, page_size, name)
        if following is None:
            return pages
        if following == start:
            raise CollectError(f"{name}: Kea returned the same page again from {start}")
        start = following


def fetch_subnets(
    *,
    socket_path: Path | None = None,
    url: str | None = None,
    username: str | None = None,
    password: str | None = None,
    timeout: float = 10.0,
) -> SourceText:
    """Kea's ``config-get`` answer, raw (for :func:`kea_subnets.parse_subnets`)."""
    endpoint = _endpoint(socket_path, url, username, password, timeout)
    return SourceText(f"{endpoint.name} config-get", _send(endpoint, {"command": "config-get"}))


def subnet_map(
    *,
    socket_path: Path | None = None,
    url: str | None = None,
    username: str | None = None,
    password: str | None = None,
    timeout: float = 10.0,
) -> dict[int, ipaddress.IPv4Network]:
    """Kea's DHCPv4 subnets by id, from its running configuration."""
    answer = fetch_subnets(
        socket_path=socket_path, url=url, username=username, password=password, timeout=timeout
    )
    try:
        return kea_subnets.parse_subnets(answer.text)
    except ValueError as error:
        raise CollectError(f"{answer.name}: cannot read Kea's subnets: {error}") from None
