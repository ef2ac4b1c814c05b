"""The ``lanventory`` root group, its shared context and the everyday commands."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy import Engine

from lanventory import __version__
from lanventory.collect.error import CollectError
from lanventory.collect.files import read_kea_lease_files, read_texts
from lanventory.config import ConfigError, Settings, default_config_file, load_settings
from lanventory.device_view import device_json, device_table
from lanventory.ingest import RunReport, ingest, record_failure
from lanventory.inventory.edit import EditError
from lanventory.inventory.model import Status, check_network_name
from lanventory.net import normalize_mac
from lanventory.sources import PARSERS
from lanventory.store import schema
from lanventory.store.devices import DeviceNotFound, edit_device, list_devices
from lanventory.store.engine import create_engine
from lanventory.vendors import USER_TABLE, LazyVendorTable, build_from_directory, load_table

if TYPE_CHECKING:
    from lanventory.sweep.run import EngineName


@dataclass(slots=True)
class Context:
    """What every command shares: the settings and, once opened, the engine."""

    config_file: Path | None
    db_url: str | None
    _settings: Settings | None = None
    _engine: Engine | None = None

    @property
    def settings(self) -> Settings:
        """The settings, loaded on first use; a bad config ends the command with its problems."""
        if self._settings is None:
            try:
                settings = load_settings(self.config_file)
            except ConfigError as error:
                raise click.ClickException(str(error)) from error
            if self.db_url:
                settings = settings.model_copy(update={"db": self.db_url})
            self._settings = settings
        return self._settings

    def engine(self, *, migrate: bool = True) -> Engine:
        """The database engine; a fresh database gets the schema on first use."""
        if self._engine is None:
            self._engine = create_engine(self.settings.database_url)
            if migrate:
                try:
                    schema.ensure_current(self._engine)
                except schema.SchemaError as error:
                    raise click.ClickException(str(error)) from error
        return self._engine

    def close(self) -> None:
        """Release the database connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_time(text: str) -> datetime:
    """Epoch seconds or ISO 8601 (a time without zone is UTC)."""
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        pass
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is neither epoch seconds nor an ISO 8601 time (e.g. 2026-11-23T07:00:00Z)"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def network_name(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """A click callback: the option's value checked as a network name."""
    if value is None:
        return None
    try:
        return check_network_name(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def mac_address(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """A click callback: the argument's MAC in any common spelling, normalised."""
    try:
        return normalize_mac(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.group()
@click.version_option(__version__, prog_name="lanventory")
@click.option(
    "--db",
    "db_url",
    envvar="LANVENTORY_DB",
    help="Database URL (default: SQLite in the data directory).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="LANVENTORY_CONFIG",
    help="TOML config file.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log what happens.")
@click.pass_context
def main(ctx: click.Context, db_url: str | None, config_file: Path | None, verbose: bool) -> None:
    """A live, MAC-keyed inventory of every device on your LANs."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = Context(config_file, db_url)
    ctx.call_on_close(ctx.obj.close)


@main.command("ingest")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(sorted(PARSERS)))
@click.argument(
    "paths", metavar="PATH...", nargs=-1, required=True, type=click.Path(path_type=Path)
)
@click.option(
    "--network", "-n", required=True, callback=network_name, help="Network the capture belongs to."
)
@click.option(
    "--now", "now_text", help="Evaluate the capture as of this time (epoch seconds or ISO 8601)."
)
@click.pass_obj
def ingest_command(
    obj: Context, fmt: str, paths: tuple[Path, ...], network: str, now_text: str | None
) -> None:
    """Read captures or lease files of FORMAT into the inventory, as one run.

    For kea-csv, each PATH is a live lease file (kea-leases4.csv and/or
    kea-leases6.csv); Kea's LFC files beside it (.completed, or .2 and .1)
    are read first, in Kea's order. For kea-api, the PATHs are saved answers
    to lease4-get-all or the pages of lease4-get-page, in order.
    """
    now = parse_time(now_text) if now_text else utcnow()
    engine = obj.engine()
    settings = obj.settings
    try:
        if fmt == "kea-csv":  # each live file with its LFC siblings, safe against rotation
            inputs = [text for path in paths for text in read_kea_lease_files(path)]
        else:
            inputs = read_texts(paths)
    except CollectError as error:
        report = RunReport(fmt, network, [str(p) for p in paths], ok=False, error=str(error))
        report = record_failure(engine, report, utcnow(), utcnow)
    else:
        report = ingest(
            engine,
            fmt,
            network,
            inputs,
            now=now,
            policy=settings.policy,
            lookup=load_table(settings.data_dir).lookup,
            clock=utcnow,
        )
    if not report.ok:
        raise click.ClickException(report.summary())
    click.echo(report.summary())


def _finish(reports: list[str], failed: bool) -> None:
    for line in reports:
        click.echo(line)
    if failed:
        raise SystemExit(1)


@main.command("scan")
@click.option("--network", "-n", callback=network_name, help="Sweep only this configured network.")
@click.option(
    "--engine",
    type=click.Choice(["native", "arp-scan"]),
    help="Override the configured sweep engine.",
)
@click.pass_obj
def scan_command(obj: Context, network: str | None, engine: EngineName | None) -> None:
    """Sweep the configured network(s) now and ingest who answered.

    Only networks declared in the config file are ever swept; without
    --network, every network with a [networks.sweep] table is.
    """
    from lanventory.sweep.run import networks_to_sweep, run_sweep  # only when sweeping

    settings = obj.settings
    try:
        networks = networks_to_sweep(settings, network)
    except ConfigError as error:
        raise click.ClickException(str(error)) from error
    if not networks:
        raise click.ClickException(
            "no network to sweep: declare one with a [networks.sweep] table in the config "
            "file (see `lanventory config check`)"
        )
    lookup = load_table(settings.data_dir).lookup
    lines: list[str] = []
    failed = False
    for chosen in networks:
        report, stats = run_sweep(
            obj.engine(), settings, chosen, engine=engine, lookup=lookup, clock=utcnow
        )
        lines.append(report.summary())
        if stats is not None and report.ok:
            lines.append(f"  {stats.summary()}")
        failed = failed or not report.ok
    _finish(lines, failed)


@main.command("collect")
@click.option("--network", "-n", callback=network_name, help="Only this configured network.")
@click.option(
    "--source",
    "kind",
    type=click.Choice(["kea-csv", "kea-api", "dnsmasq", "isc-dhcpd", "neigh"]),
    help="Only sources of this type.",
)
@click.pass_obj
def collect_command(obj: Context, network: str | None, kind: str | None) -> None:
    """Run the configured lease and neighbour sources now and ingest them."""
    from lanventory.collect.run import run_source, sources_to_run  # only when collecting

    settings = obj.settings
    try:
        chosen = sources_to_run(settings, network, kind)
    except ConfigError as error:
        raise click.ClickException(str(error)) from error
    if not chosen:
        raise click.ClickException(
            "no source to run: declare [[networks.sources]] in the config file "
            "(see `lanventory config check`)"
        )
    lookup = load_table(settings.data_dir).lookup
    reports = [
        run_source(obj.engine(), settings, net, source, lookup=lookup, clock=utcnow)
        for net, source in chosen
    ]
    _finish([report.summary() for report in reports], any(not r.ok for r in reports))


@main.group("config")
def config_group() -> None:
    """The config file."""


@config_group.command("check")
@click.pass_obj
def config_check(obj: Context) -> None:
    """Validate the config file and print every problem with its location."""
    try:
        settings = load_settings(obj.config_file)
    except ConfigError as error:
        raise click.ClickException(str(error)) from error
    where = obj.config_file or default_config_file()
    click.echo(f"{where}: ok")
    for network in settings.networks:
        sweep = network.sweep
        what = [f"cidr {network.cidr}", f"interface {network.interface or '-'}"]
        if sweep is not None:
            rate = f"{sweep.rate} pps" if sweep.rate else "adaptive rate"
            what.append(f"sweep {sweep.engine} ({rate}) at '{sweep.schedule}'")
        what += [f"{source.type} at '{source.schedule}'" for source in network.sources]
        click.echo(f"  network {network.name}: " + ", ".join(what))


@main.command("devices")
@click.option("--network", "-n", callback=network_name, help="Only this network.")
@click.option("--status", type=click.Choice([s.value for s in Status]), help="Only this status.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--now", "now_text", help="Judge 'absent Nd' as of this time.")
@click.pass_obj
def devices_command(
    obj: Context, network: str | None, status: str | None, as_json: bool, now_text: str | None
) -> None:
    """List devices."""
    now = parse_time(now_text) if now_text else utcnow()
    with obj.engine().connect() as connection:
        found = list_devices(connection, network=network, status=Status(status) if status else None)
    policy = obj.settings.policy
    if as_json:
        click.echo(json.dumps([device_json(d, now, policy) for d in found], indent=2))
    else:
        click.echo(device_table(found, now, policy))


@main.command("edit")
@click.argument("network", callback=network_name)
@click.argument("mac", callback=mac_address)
@click.option("--name", help="The owner's name for the device ('' clears it).")
@click.option("--group", "grp", help="Group, e.g. 'Smart Home' ('' clears it).")
@click.option("--note", help="Free-text note ('' clears it).")
@click.option("--status", type=click.Choice([s.value for s in Status]))
@click.option("--flagged/--no-flagged", default=None, help="Flag the device for attention.")
@click.option("--watched/--no-watched", default=None, help="Notify when the device comes or goes.")
@click.pass_obj
def edit_command(obj: Context, /, network: str, mac: str, **fields: Any) -> None:
    """Name, group, annotate, review or flag a device."""
    changes = {key: value for key, value in fields.items() if value is not None}
    if not changes:
        raise click.UsageError(
            "nothing to change: give --name, --group, --note, --status, --flagged or --watched"
        )
    try:
        device = edit_device(obj.engine(), network, mac, changes, utcnow())
    except (DeviceNotFound, EditError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(device_table([device], utcnow(), obj.settings.policy))


@main.command("serve")
@click.option("--host", help="Address to listen on (default: server.host, 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default: server.port, 8765).")
@click.pass_obj
def serve_command(obj: Context, host: str | None, port: int | None) -> None:
    """Run the server: API, scheduled sources and live events, in one process.

    If no owner password is set yet, one is generated and printed once.
    """
    import uvicorn

    from lanventory.service.writer import Writer
    from lanventory.store.credentials import ensure_owner_password
    from lanventory.web.app import create_app
    from lanventory.web.services import Services

    settings = obj.settings
    engine = obj.engine()
    generated = ensure_owner_password(engine, utcnow())
    if generated is not None:
        click.echo(
            f"No owner password was set: generated one. Log in with it (it is not shown again;\n"
            f"change it with `lanventory passwd`):\n\n    {generated}\n"
        )
    lookup = LazyVendorTable(settings.data_dir).lookup
    services = Services(settings, engine, Writer(), utcnow, lookup)
    address = host or settings.server.host
    listen = port or settings.server.port
    click.echo(f"lanventory {__version__} listening on http://{address}:{listen}/")
    uvicorn.run(
        create_app(services),
        host=address,
        port=listen,
        log_level="warning",
        proxy_headers=True,
        forwarded_allow_ips=",".join(settings.server.trusted_proxies),
        timeout_graceful_shutdown=3,
    )


@main.group("db")
def db_group() -> None:
    """Database maintenance."""


@db_group.command("upgrade")
@click.pass_obj
def db_upgrade(obj: Context) -> None:
    """Bring the database schema up to date."""
    engine = obj.engine(migrate=False)
    before = schema.current_revision(engine)
    schema.upgrade(engine)
    after = schema.current_revision(engine)
    click.echo(f"database schema: {before or 'empty'} -> {after}")


@main.group("vendors")
def vendors_group() -> None:
    """The offline MAC vendor table."""


@vendors_group.command("update")
@click.option(
    "--from",
    "source",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path("/usr/share/ieee-data"),
    show_default=True,
    help="Directory with the IEEE registry CSVs (oui.csv, mam.csv, oui36.csv, iab.csv).",
)
@click.pass_obj
def vendors_update(obj: Context, source: Path) -> None:
    """Build a newer vendor table from IEEE CSV exports into the data directory."""
    try:
        table = build_from_directory(source)
    except (OSError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    target = obj.settings.data_dir / USER_TABLE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(table.dumps())
    click.echo(f"{target}: {len(table)} prefixes from {source}")


@vendors_group.command("lookup")
@click.argument("mac", callback=mac_address)
@click.pass_obj
def vendors_lookup(obj: Context, mac: str) -> None:
    """Show the registered vendor of MAC."""
    table = load_table(obj.settings.data_dir)
    click.echo(table.lookup(mac) or "(no registered vendor)")


@main.command("passwd")
@click.option(
    "--password-stdin", is_flag=True, help="Read the new password from the first line of stdin."
)
@click.pass_obj
def passwd_command(obj: Context, password_stdin: bool) -> None:
    """Set the owner password (the one `lanventory serve` asks for at login).

    Every login session ends; API tokens keep working.
    """
    from lanventory.auth.passwords import check_password
    from lanventory.store.credentials import set_owner_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("New owner password", hide_input=True, confirmation_prompt=True)
    try:
        check_password(password)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    set_owner_password(obj.engine(), password, utcnow())
    click.echo("owner password set; existing login sessions have ended")
