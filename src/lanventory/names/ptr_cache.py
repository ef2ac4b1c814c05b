"""Reverse DNS answers kept for their TTL, negative ones too. The clock is passed in."""

from __future__ import annotations

from datetime import datetime

from lanventory.names.ptr import PtrAnswer


class PtrCache:
    """Answers by (resolver, address), each valid until its :attr:`PtrAnswer.expires_at`."""

    def __init__(self) -> None:
        self._answers: dict[tuple[str, str], PtrAnswer] = {}

    def get(self, resolver: str, ip: str, now: datetime) -> PtrAnswer | None:
        """The answer for ``ip`` if one is still valid at ``now``; an expired one is dropped."""
        answer = self._answers.get((resolver, ip))
        if answer is None:
            return None
        if answer.expires_at <= now:
            del self._answers[(resolver, ip)]
            return None
        return answer

    def put(self, resolver: str, answer: PtrAnswer) -> None:
        """Remember ``answer`` (a TTL of 0 is not kept)."""
        if answer.ttl > 0:
            self._answers[(resolver, answer.ip)] = answer

    def __len__(self) -> int:
        return len(self._answers)
