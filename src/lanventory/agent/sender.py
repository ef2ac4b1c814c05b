"""Sending one queued batch to the server, and what to do about the answer."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

import httpx

OBSERVATIONS_PATH = "/api/observations"
#: Answers that mean "this batch will never be accepted": it is set aside.
_REFUSED = frozenset({400, 403, 413, 415, 422})


class Outcome(StrEnum):
    """What became of one attempt."""

    DELIVERED = "delivered"  # applied now, or already applied before
    RETRY = "retry"  # the server is away or failing: keep the batch and try later
    REJECTED = "rejected"  # refused for good: set the batch aside


@dataclass(frozen=True, slots=True)
class Delivery:
    """One attempt's outcome, with the server's words."""

    outcome: Outcome
    detail: str
    run_id: int | None = None
    duplicate: bool = False


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    text = detail if isinstance(detail, str) else response.text[:500] or response.reason_phrase
    return f"HTTP {response.status_code}: {text}"


def deliver(client: httpx.Client, server: str, token: str, body: bytes) -> Delivery:
    """POST one gzip-compressed batch ``body`` to ``server``."""
    url = server.rstrip("/") + OBSERVATIONS_PATH
    try:
        response = client.post(
            url,
            content=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Content-Encoding": "gzip",
            },
        )
    except httpx.HTTPError as error:
        return Delivery(Outcome.RETRY, f"cannot reach {url}: {type(error).__name__}: {error}")
    if response.status_code == 200:
        answer = response.json()
        return Delivery(
            Outcome.DELIVERED,
            str(answer.get("summary") or answer.get("error") or ""),
            answer.get("run_id"),
            bool(answer.get("duplicate")),
        )
    detail = _detail(response)
    if response.status_code in _REFUSED:
        return Delivery(Outcome.REJECTED, detail)
    if response.status_code == 401:
        detail += " (the agent token is unknown or revoked: create one with `lanventory token create NAME --agent --networks …` on the server)"
    elif response.status_code == 404:
        detail += f" ({url} does not exist: is this a lanventory server, and is it up to date?)"
    return Delivery(Outcome.RETRY, detail)


class Backoff:
    """Waits between failed attempts: 1 s, doubling up to ``longest``, with ±20 % jitter."""

    def __init__(self, longest: float, *, rng: random.Random | None = None) -> None:
        self.longest = longest
        self.failures = 0
        self._rng = rng or random.Random()

    def failed(self) -> float:
        """Note a failed attempt; the seconds to wait before the next one."""
        self.failures += 1
        base = min(self.longest, 2.0 ** (self.failures - 1))
        return float(base * self._rng.uniform(0.8, 1.2))

    def reset(self) -> None:
        """An attempt succeeded: the next failure waits 1 s again."""
        self.failures = 0
