"""The ``[agent]`` section: where a remote agent sends its batches and keeps them meanwhile."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class AgentConfig(BaseModel):
    """Settings of ``lanventory agent`` (the command-line options override them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    server: str | None = Field(
        default=None, description="The lanventory server's URL, e.g. https://inventory.example.net"
    )
    token: str | None = Field(
        default=None, description="The agent token (lanventory token create NAME --agent …)."
    )
    token_file: Path | None = Field(
        default=None, description="A file holding the agent token (instead of 'token')."
    )
    queue: Path | None = Field(
        default=None,
        description="Where unsent batches are kept; default <data_dir>/agent-queue.",
    )
    timeout: float = Field(default=60, gt=0, description="Seconds to wait for the server.")
    max_backoff: float = Field(
        default=300, gt=0, description="Longest wait between attempts while the server is away."
    )
