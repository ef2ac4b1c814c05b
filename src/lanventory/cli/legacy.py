"""`lanventory import legacy-dhcp-leases`: the old router web UI's lease table as devices."""

from __future__ import annotations

from datetime import timedelta

import click

from lanventory.cli.imports import import_group
from lanventory.cli.root import Context, utcnow
from lanventory.inventory.model import Policy, Status, check_network_name
from lanventory.legacy.dhcp_leases import LegacyImportError, plan_import
from lanventory.legacy.reader import LegacyReadError, read_dhcp_leases
from lanventory.store.legacy_import import import_legacy_plan
from lanventory.vendors import load_table


def _network_map(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for value in values:
        old, sep, new = value.partition("=")
        if not sep or not old or not new:
            raise click.BadParameter(f"{value!r} is not OLD=NEW (e.g. 'Guest WiFi=guest')")
        try:
            mapping[old] = check_network_name(new)
        except ValueError as error:
            raise click.BadParameter(f"{value!r}: {error}") from None
    return mapping


def _span(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24} days" if hours % 24 == 0 and hours > 24 else f"{hours} h"


def prune_warning(prunable: int, policy: Policy) -> str | None:
    """What the next sweep will do to imported devices nobody has reviewed, if anything."""
    if not prunable:
        return None
    return (
        f"warning: {prunable} imported device{'' if prunable == 1 else 's'} with status new "
        f"{'was' if prunable == 1 else 'were'} last seen longer ago than the prune window "
        f"({_span(policy.prune_after)}; {_span(policy.prune_randomized_after)} for randomized "
        "MACs) and will be pruned by the next sweep unless reviewed; import with "
        "--status known to keep them"
    )


@import_group.command("legacy-dhcp-leases")
@click.option(
    "--from",
    "url",
    required=True,
    metavar="POSTGRES_URL",
    help="The old database, e.g. postgresql://user@host/router_webui (only read).",
)
@click.option(
    "--table", default="dhcp_leases", show_default=True, help="The lease table (or SCHEMA.TABLE)."
)
@click.option(
    "--network-map",
    "network_map",
    multiple=True,
    metavar="OLD=NEW",
    callback=_network_map,
    help="Import the table's network OLD as lanventory network NEW (repeatable).",
)
@click.option(
    "--status",
    type=click.Choice([Status.NEW.value, Status.KNOWN.value]),
    default=Status.NEW.value,
    show_default=True,
    help="Status of the devices the import creates.",
)
@click.pass_obj
def legacy_dhcp_leases(
    obj: Context, url: str, table: str, network_map: dict[str, str], status: str
) -> None:
    """Import the old router web UI's IP-keyed dhcp_leases table as devices.

    Rows become one device per (network, MAC): the most recent row gives the
    IP, hostname and last_seen, every address goes to the IP history. Devices
    already in the inventory keep everything the owner set and only take
    newer facts. All networks are imported in one transaction; importing the
    same table again changes nothing.
    """
    settings = obj.settings
    try:
        legacy = read_dhcp_leases(url, table)
    except LegacyReadError as error:
        raise click.ClickException(str(error)) from None
    now = utcnow()
    try:
        plan = plan_import(
            legacy.rows,
            now=now,
            network_map=network_map,
            configured=[network.name for network in settings.networks],
        )
    except LegacyImportError as error:
        raise click.ClickException(f"nothing imported from {legacy.label}:\n{error}") from None
    if plan.without_network:
        click.echo(f"skipped {plan.without_network} rows without a network")
    if not plan.networks:
        click.echo(f"{legacy.label}: no rows to import")
        return
    outcomes = import_legacy_plan(
        obj.engine(),
        plan,
        label=legacy.label,
        status=Status(status),
        now=now,
        policy=settings.policy,
        lookup=load_table(settings.data_dir).lookup,
        clock=utcnow,
    )
    for outcome in outcomes:
        click.echo(outcome.summary())
    if legacy.ignored:
        click.echo(f"columns not understood and left out: {', '.join(legacy.ignored)}")
    warning = prune_warning(sum(o.prunable for o in outcomes), settings.policy)
    if warning:
        click.echo(warning)
