"""`lanventory names`: reverse DNS and mDNS names of the configured networks, looked up now."""

from __future__ import annotations

import click

from lanventory.cli.root import Context, main, network_name, utcnow
from lanventory.config import ConfigError
from lanventory.device_view import inert


@main.command("names")
@click.option("--network", "-n", callback=network_name, help="Only this configured network.")
@click.pass_obj
def names_command(obj: Context, network: str | None) -> None:
    """Look up the names of every device with an IPv4 address now, and print them.

    Every network with a [networks.names] table is looked up: each device's
    PTR record from the configured resolver, and one mDNS/DNS-SD browse on
    the network's interface. The owner's own names are never changed.
    """
    from lanventory.names.run import run_names  # only when looking names up

    settings = obj.settings
    try:
        chosen = [settings.network(network)] if network else settings.networks
    except ConfigError as error:
        raise click.ClickException(str(error)) from error
    chosen = [net for net in chosen if net.names is not None]
    if not chosen:
        raise click.ClickException(
            "no network to name: add a [networks.names] table to the config file "
            "(see `lanventory config check`)"
        )
    failed = False
    for net in chosen:
        report = run_names(obj.engine(), net, clock=utcnow)
        click.echo(report.summary())
        for named in report.devices:
            ptr = named.ptr.name if named.ptr is not None else None
            mdns = named.mdns
            if ptr is None and mdns is None:
                continue
            line = f"  {named.target.ip:<15} {named.target.mac}"
            if named.target.name:
                line += f"  owner: {inert(named.target.name)}"
            if ptr:
                line += f"  reverse DNS: {inert(ptr)}"
            if mdns is not None:
                line += f"  mDNS: {inert(mdns.name or ', '.join(mdns.instances))}"
                if mdns.services:
                    line += f" [{inert(' '.join(mdns.services), 200)}]"
                hint = mdns.group_hint
                if hint:
                    line += f"  group hint: {hint}"
            click.echo(line)
        failed = failed or not report.ok
    if failed:
        raise SystemExit(1)
