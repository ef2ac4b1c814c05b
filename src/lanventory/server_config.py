"""Settings of ``lanventory serve``: where it listens, sessions, notifications."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerConfig(_Strict):
    """Where the server listens and how it treats logins."""

    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(default=8765, ge=1, le=65535, description="TCP port to listen on.")
    session_days: float = Field(default=30, gt=0, description="A login lasts this long.")
    secure_cookies: bool | None = Field(
        default=None,
        description="Mark cookies Secure; default: when the request came over HTTPS "
        "(directly or as X-Forwarded-Proto from a trusted proxy).",
    )
    trusted_proxies: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"],
        description="Reverse proxies whose X-Forwarded-* headers are believed.",
    )
    login_attempts_per_minute: int = Field(
        default=5, ge=1, description="Failed logins allowed per client address per minute."
    )


class NotificationConfig(_Strict):
    """Apprise URLs and which events are sent to them."""

    urls: list[str] = Field(default_factory=list, description="Apprise URLs, e.g. ntfy://…")
    new_device: bool = Field(default=True, description="A device was seen for the first time.")
    presence: bool = Field(
        default=True, description="A device marked 'watched' came online or went offline."
    )
    source_failed: bool = Field(default=True, description="A source run failed.")
    digest_after: int = Field(
        default=3,
        ge=1,
        description="More new randomized-MAC devices than this at once are sent as one digest.",
    )
