"""`lanventory adopt`: one device under a new MAC (a phone that rotated its address)."""

from __future__ import annotations

import click

from lanventory.cli.root import Context, mac_address, main, network_name, utcnow


@main.command("adopt")
@click.argument("network", callback=network_name)
@click.argument("new_mac", callback=mac_address)
@click.argument("old_mac", required=False)
@click.option("--undo", is_flag=True, help="Take back NEW_MAC's latest adoption instead.")
@click.pass_obj
def adopt_command(
    obj: Context, network: str, new_mac: str, old_mac: str | None, undo: bool
) -> None:
    """NEW_MAC is OLD_MAC's device under a new address.

    The device NEW_MAC inherits OLD_MAC's name, group, note, status and flags;
    its history continues OLD_MAC's, and OLD_MAC's row is retired (kept,
    pointing to NEW_MAC). With --undo (and no OLD_MAC), NEW_MAC's latest
    adoption is taken back.
    """
    from lanventory.inventory.adoption import AdoptionError
    from lanventory.net import normalize_mac
    from lanventory.store.adoption import adopt_device, undo_adoption
    from lanventory.store.devices import DeviceNotFound

    if undo == (old_mac is not None):
        raise click.UsageError("give OLD_MAC to adopt, or --undo without it")
    try:
        if undo:
            device = undo_adoption(obj.engine(), network, new_mac, utcnow())
            click.echo(f"{network} {new_mac}: the latest adoption is undone")
        else:
            try:
                old = normalize_mac(old_mac or "")
            except ValueError as error:
                raise click.BadParameter(str(error), param_hint="OLD_MAC") from None
            device = adopt_device(obj.engine(), network, new_mac, old, utcnow())
            click.echo(f"{network} {new_mac}: adopted {old}")
    except (DeviceNotFound, AdoptionError) as error:
        raise click.ClickException(str(error)) from None
    name = device.name or "(no name)"
    click.echo(f"  name {name}, status {device.status.value}")
