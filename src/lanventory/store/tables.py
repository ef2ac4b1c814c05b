"""The tables, as the queries see them. Alembic migrations create them.

``tests/store/test_schema.py`` checks that these definitions and the
migrated schema agree, so the two cannot drift apart.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)

from lanventory.store.device_text import DeviceJson, DeviceText
from lanventory.store.types import UtcDateTime

metadata = MetaData()

BigId = BigInteger().with_variant(Integer(), "sqlite")

devices = Table(
    "devices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("network", String(64), nullable=False),
    Column("mac", String(17), nullable=False),
    Column("ip", String(45)),
    Column("vendor", DeviceText),
    Column("hostname", DeviceText),
    Column("client_id", DeviceText),
    Column("vendor_class", DeviceText),
    Column("name", String(255)),
    Column("grp", String(64)),
    Column("note", Text),
    Column("status", String(16), nullable=False, server_default="new"),
    Column("randomized", Boolean, nullable=False, server_default=text("false")),
    Column("flagged", Boolean, nullable=False, server_default=text("false")),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    Column("present", Boolean, nullable=False, server_default=text("false")),
    Column("watched", Boolean, nullable=False, server_default=text("false")),
    #: A device whose MAC another one adopted: the adopting device's id, and when.
    Column("retired_into", Integer),
    Column("retired_at", UtcDateTime),
    CheckConstraint("status IN ('new', 'known', 'ignored')", name="ck_devices_status"),
    Index(
        "uq_devices_network_mac",
        "network",
        "mac",
        unique=True,
        sqlite_where=text("retired_at IS NULL"),
        postgresql_where=text("retired_at IS NULL"),
    ),
    Index("ix_devices_retired_into", "retired_into"),
    Index(
        "uq_devices_network_ip",
        "network",
        "ip",
        unique=True,
        sqlite_where=text("ip IS NOT NULL"),
        postgresql_where=text("ip IS NOT NULL"),
    ),
)

#: The ``devices`` rows that are devices now, not rows retired by an adoption.
LIVE = devices.c.retired_at.is_(None)

sightings = Table(
    "sightings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("device_id", Integer, ForeignKey("devices.id", ondelete="CASCADE"), nullable=False),
    Column("source", String(32), nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    Column("ip", String(45)),
    Column("current", Boolean, nullable=False),
    Column("missed_runs", Integer, nullable=False, server_default="0"),
    Index("uq_sightings_device_source", "device_id", "source", unique=True),
)

ip_history = Table(
    "ip_history",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("device_id", Integer, ForeignKey("devices.id", ondelete="CASCADE"), nullable=False),
    Column("ip", String(45), nullable=False),
    Column("family", SmallInteger, nullable=False),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    Index("uq_ip_history_device_ip", "device_id", "ip", unique=True),
)

device_addresses = Table(
    "device_addresses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("device_id", Integer, ForeignKey("devices.id", ondelete="CASCADE"), nullable=False),
    Column("network", String(64), nullable=False),
    Column("ip", String(45), nullable=False),
    Column("source", String(32), nullable=False),
    Column("first_seen", UtcDateTime, nullable=False),
    Column("last_seen", UtcDateTime, nullable=False),
    Index("uq_device_addresses_network_ip", "network", "ip", unique=True),
    Index("ix_device_addresses_device", "device_id"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(32), nullable=False),
    Column("network", String(64), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("ok", Boolean),
    Column("error", DeviceText),  # may quote what a source sent
    Column("inputs", JSON),
    Column("lines", Integer, nullable=False, server_default="0"),
    Column("observations", Integer, nullable=False, server_default="0"),
    Column("counts", JSON),
    Index("ix_runs_network_source_started", "network", "source", "started_at"),
)

events = Table(
    "events",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("network", String(64), nullable=False),
    Column("mac", String(17)),
    Column("type", String(32), nullable=False),
    Column("data", DeviceJson),  # quotes what devices reported
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="SET NULL")),
    Index("ix_events_network_mac_at", "network", "mac", "at"),
    Index("ix_events_at", "at"),
)

sweep_rates = Table(
    "sweep_rates",
    metadata,
    Column("network", String(64), primary_key=True),
    Column("interface", String(64), nullable=False),
    Column("rate", Integer, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

owner = Table(
    "owner",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint("id = 1", name="ck_owner_single"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("kind", String(16), nullable=False, server_default="owner"),
    Column("networks", JSON),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_used_at", UtcDateTime()),
    Column("revoked_at", UtcDateTime()),
    CheckConstraint("kind IN ('owner', 'agent')", name="ck_api_tokens_kind"),
    Index("uq_api_tokens_name", "name", unique=True),
    Index("uq_api_tokens_hash", "token_hash", unique=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)

agent_batches = Table(
    "agent_batches",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("agent", String(64), nullable=False),
    Column("network", String(64), nullable=False),
    Column("source", String(32), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="SET NULL")),
    Index("ix_agent_batches_received_at", "received_at"),
)

device_names = Table(
    "device_names",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("device_id", Integer, ForeignKey("devices.id", ondelete="CASCADE"), nullable=False),
    Column("source", String(16), nullable=False),
    Column("name", DeviceText, nullable=False),  # as the network announced it
    Column("services", DeviceJson),  # mDNS service types, e.g. ["_ipp._tcp"]
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint("source IN ('ptr', 'mdns')", name="ck_device_names_source"),
    Index("uq_device_names_device_source", "device_id", "source", unique=True),
)

stable_prefixes = Table(
    "stable_prefixes",
    metadata,
    Column("prefix", String(17), primary_key=True),
    Column("reason", String(80), nullable=False),
    Column("added_at", UtcDateTime(), nullable=False),
)
