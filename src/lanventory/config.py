"""Settings: defaults, then the TOML config file, then ``LANVENTORY_*`` environment.

Nothing is read at import: :func:`load_settings` builds them on demand.
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import platformdirs
from pydantic import AfterValidator, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from lanventory.agent.settings import AgentConfig
from lanventory.inventory.model import Policy
from lanventory.network_config import NetworkConfig, check_networks
from lanventory.server_config import NotificationConfig, ServerConfig
from lanventory.stable_macs import parse_entry, stable_prefixes

APP_NAME = "lanventory"


def default_data_dir() -> Path:
    """Where lanventory keeps its database and data files by default."""
    return Path(platformdirs.user_data_dir(APP_NAME))


def default_config_file() -> Path:
    """The config file read when none is named."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "lanventory.toml"


def _stable_entry(text: str) -> str:
    """One ``stable_mac_prefixes`` entry, checked (ValueError says what is wrong)."""
    parse_entry(text)
    return text


class Settings(BaseSettings):
    """Every setting, with its default. Unknown keys are refused."""

    model_config = SettingsConfigDict(env_prefix="LANVENTORY_", extra="forbid")

    data_dir: Path = Field(default_factory=default_data_dir, description="Database and data files.")
    db: str = Field(
        default="",
        description="Database URL: sqlite:///PATH or postgresql://…; default a SQLite file in data_dir.",
    )
    away_after_missed_runs: int = Field(
        default=1, ge=1, description="Successful runs a device may miss before it is marked absent."
    )
    prune_randomized_hours: float = Field(
        default=24,
        gt=0,
        description="Unreviewed absent randomized-MAC devices are pruned after this.",
    )
    prune_days: float = Field(
        default=14,
        gt=0,
        description="Unreviewed absent devices with a universal MAC are pruned after this.",
    )
    absent_marker_days: int = Field(
        default=30, ge=1, description="A known device absent this long is shown as 'absent Nd'."
    )
    stable_mac_prefixes: list[Annotated[str, AfterValidator(_stable_entry)]] = Field(
        default_factory=list,
        description="Locally administered MAC prefixes that do not rotate, added to the built-in "
        "ones: 'PREFIX' or 'PREFIX reason'; '!PREFIX' drops a built-in one.",
    )
    rotation_window_minutes: float = Field(
        default=120,
        gt=0,
        description="A new randomized MAC is suggested as the successor of a randomized device "
        "last seen at most this long before it appeared.",
    )
    networks: list[NetworkConfig] = Field(
        default_factory=list, description="The networks lanventory watches (and may sweep)."
    )

    server: ServerConfig = Field(default_factory=ServerConfig)
    notifications: NotificationConfig = Field(default_factory=NotificationConfig)
    agent: AgentConfig = Field(default_factory=AgentConfig)

    _networks = field_validator("networks")(check_networks)

    def network(self, name: str) -> NetworkConfig:
        """The configured network ``name``; a ConfigError names the ones there are."""
        for network in self.networks:
            if network.name == name:
                return network
        known = ", ".join(n.name for n in self.networks) or "none"
        raise ConfigError(f"network {name!r} is not configured (configured networks: {known})")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The config file arrives as init values; the environment overrides it.
        del settings_cls, dotenv_settings, file_secret_settings
        return (env_settings, init_settings)

    @property
    def database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under ``data_dir``."""
        return self.db or f"sqlite:///{self.data_dir / 'lanventory.db'}"

    @property
    def policy(self) -> Policy:
        """The rule parameters these settings choose."""
        return Policy(
            away_after_missed_runs=self.away_after_missed_runs,
            prune_randomized_after=timedelta(hours=self.prune_randomized_hours),
            prune_after=timedelta(days=self.prune_days),
            absent_marker_after=timedelta(days=self.absent_marker_days),
            stable_mac_prefixes=stable_prefixes(self.stable_mac_prefixes),
            rotation_window=timedelta(minutes=self.rotation_window_minutes),
            auto_adopt_networks=frozenset(n.name for n in self.networks if n.auto_adopt),
        )


class ConfigError(ValueError):
    """The config file cannot be used; the message names it and the problem."""


def load_settings(config_file: Path | None = None) -> Settings:
    """Settings from ``config_file`` (or the default file if it exists) and the environment."""
    path = config_file or default_config_file()
    values: dict[str, object] = {}
    if config_file is not None or path.is_file():
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise ConfigError(f"{path}: cannot read the config file: {error.strerror}") from error
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: not valid TOML: {error}") from error
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = "\n".join(f"  {line}" for line in describe_problems(error, values))
        raise ConfigError(f"{path}: the config has problems:\n{problems}") from error
    except ValueError as error:
        raise ConfigError(f"{path}: {error}") from error


def _where(location: tuple[int | str, ...], values: dict[str, object]) -> str:
    """``networks[0] (lan).sources[1].path`` for a pydantic error location."""
    parts: list[str] = []
    node: object = values
    for step in location:
        if isinstance(step, int):
            parts[-1] += f"[{step}]"
            node = node[step] if isinstance(node, list) and step < len(node) else None
            label = node.get("name") or node.get("type") if isinstance(node, dict) else None
            if isinstance(label, str):
                parts[-1] += f" ({label})"
            continue
        if isinstance(node, dict) and step not in node and node.get("type") == step:
            continue  # the tag pydantic adds for a discriminated union member
        parts.append(step)
        node = node.get(step) if isinstance(node, dict) else None
    return ".".join(parts) or "(top level)"


def describe_problems(error: ValidationError, values: dict[str, object]) -> list[str]:
    """Every problem of a config, one line each, with where it is."""
    lines = []
    for problem in error.errors(include_url=False):
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown setting (check its spelling)"
        elif problem["type"] == "union_tag_invalid":
            message = (
                f"unknown source type {problem['input'].get('type')!r}: use one of "
                "kea-csv, kea-api, dnsmasq, isc-dhcpd, neigh"
                if isinstance(problem["input"], dict)
                else message
            )
        elif problem["type"] == "union_tag_not_found":
            message = "a source needs 'type' (kea-csv, kea-api, dnsmasq, isc-dhcpd or neigh)"
        lines.append(f"{_where(tuple(problem['loc']), values)}: {message}")
    return lines
