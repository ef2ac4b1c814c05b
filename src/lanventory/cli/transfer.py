"""``lanventory export`` and ``lanventory import export-file|devices-json``: the owner's
naming as a file, and back."""

from __future__ import annotations

from pathlib import Path

import click

from lanventory.cli.imports import import_group
from lanventory.cli.root import Context, main, network_name, utcnow
from lanventory.config import ConfigError
from lanventory.naming.decode import FileError, decode_text
from lanventory.naming.devices_json import parse_devices_json
from lanventory.naming.export_file import (
    FORMATS,
    Format,
    format_of,
    parse_export_file,
    render_csv,
    render_json,
)
from lanventory.naming.row import NamingRow
from lanventory.store.naming import NamingReport, apply_naming, export_rows

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _read(path: Path) -> str:
    try:
        return decode_text(path.read_bytes())
    except OSError as error:
        raise click.ClickException(f"{path}: {error.strerror or error}") from error
    except FileError as error:
        raise click.ClickException(f"{path}: {error}") from error


def _configured(obj: Context) -> list[str] | None:
    """The configured network names, or None when no network is configured."""
    return [network.name for network in obj.settings.networks] or None


def _apply(obj: Context, rows: list[NamingRow], source: str, path: Path) -> NamingReport:
    report = apply_naming(
        obj.engine(), rows, source=source, now=utcnow(), policy=obj.settings.policy
    )
    click.echo(f"{path.name}: {report.summary()}")
    return report


@main.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="csv or json (default: from the --output file's extension, else csv).",
)
@click.option("--network", "-n", callback=network_name, help="Only this network.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.pass_obj
def export_command(
    obj: Context, fmt: Format | None, network: str | None, output: Path | None
) -> None:
    """Export every device's naming (network, mac, name, group, note, status,
    flagged) with read-only context, for a spreadsheet or a script.

    Edit it and bring it back with `lanventory import export-file`. In the
    CSV, a cell that a spreadsheet would run as a formula starts with a '.
    """
    chosen = fmt or (format_of(output.name) if output else None) or "csv"
    with obj.engine().connect() as connection:
        records = export_rows(connection, network)
    text = render_csv(records) if chosen == "csv" else render_json(records)
    if output is None:
        click.echo(text, nl=False, color=True)  # the file as it is: escapes kept
        return
    try:
        output.write_text(text, encoding="utf-8", newline="")
    except OSError as error:
        raise click.ClickException(f"{output}: {error.strerror or error}") from error
    click.echo(f"{output}: {len(records)} devices", err=True)


@import_group.command("export-file")
@click.argument("path", metavar="FILE", type=_FILE)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="csv or json (default: from the file's extension).",
)
@click.pass_obj
def import_export_file(obj: Context, path: Path, fmt: Format | None) -> None:
    """Apply an export file's naming, all rows or none.

    Every row is checked first; if any is rejected, nothing changes and every
    rejected row is listed with its row number and why. A row for a device
    not seen yet creates it, so devices can be named before they appear.
    """
    chosen = fmt or format_of(path.name)
    if chosen is None:
        raise click.UsageError(f"cannot tell the format of {path.name}: give --format csv|json")
    try:
        parsed = parse_export_file(_read(path), chosen, networks=_configured(obj))
    except FileError as error:
        raise click.ClickException(f"{path.name}: {error}") from error
    if parsed.rejected:
        for rejected in parsed.rejected:
            click.echo(rejected.describe(), err=True)
        total = len(parsed.rows) + len(parsed.rejected)
        raise click.ClickException(
            f"{path.name}: nothing imported: {len(parsed.rejected)} of {total} rows rejected"
        )
    _apply(obj, parsed.rows, "export-file", path)
    if parsed.ignored_columns:
        click.echo(f"ignored columns: {', '.join(parsed.ignored_columns)}")


@import_group.command("devices-json")
@click.argument("path", metavar="FILE", type=_FILE)
@click.option(
    "--network", "-n", required=True, callback=network_name, help="The network the devices are on."
)
@click.pass_obj
def import_devices_json(obj: Context, path: Path, network: str) -> None:
    """Move in from a hand-kept devices.json: its named devices become known
    (flagged ones stay in the review queue, flagged).

    Entries without a MAC are listed as skipped: they appear as new devices
    when they are first seen online. Running it again changes nothing.
    """
    if obj.settings.networks:
        try:
            obj.settings.network(network)
        except ConfigError as error:
            raise click.BadParameter(str(error), param_hint="--network") from error
    try:
        parsed = parse_devices_json(_read(path), network)
    except FileError as error:
        raise click.ClickException(f"{path.name}: {error}") from error
    _apply(obj, parsed.rows, "devices-json", path)
    for skipped in parsed.skipped:
        click.echo(f"skipped {skipped.describe()}")
