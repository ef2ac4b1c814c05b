"""`lanventory token`: API tokens for scripts and agents."""

from __future__ import annotations

from datetime import datetime

import click

from lanventory.cli.root import Context, main, utcnow
from lanventory.inventory.model import check_network_name


@main.group("token")
def token_group() -> None:
    """API tokens for scripts and agents: `Authorization: Bearer <token>`."""


@token_group.command("create")
@click.argument("name")
@click.option(
    "--agent",
    is_flag=True,
    help="An agent token: it may only send observations (POST /api/observations).",
)
@click.option(
    "--networks",
    metavar="NET,…",
    help="The networks an agent token may report (required with --agent).",
)
@click.pass_obj
def token_create(obj: Context, name: str, agent: bool, networks: str | None) -> None:
    """Create the API token NAME and print it (only this once: it is stored hashed).

    An owner token (the default) can do everything the owner can. An agent
    token (--agent --networks lan,iot) can only report observations of
    those networks.
    """
    from lanventory.store.credentials import TokenError, create_token

    scope = _agent_networks(obj, agent, networks)
    try:
        token = create_token(
            obj.engine(),
            name,
            utcnow(),
            kind="agent" if agent else "owner",
            networks=scope,
        )
    except TokenError as error:
        raise click.ClickException(str(error)) from error
    click.echo(token)


def _agent_networks(obj: Context, agent: bool, networks: str | None) -> list[str] | None:
    """The checked network list of an agent token (None for an owner token)."""
    if not agent:
        if networks is not None:
            raise click.UsageError("--networks is for agent tokens: add --agent")
        return None
    names = [name.strip() for name in (networks or "").split(",") if name.strip()]
    if not names:
        raise click.UsageError("an agent token needs --networks (e.g. --networks lan,iot)")
    for name in names:
        try:
            check_network_name(name)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--networks") from None
    configured = {network.name for network in obj.settings.networks}
    unknown = [name for name in names if name not in configured]
    if unknown:
        click.echo(
            f"warning: {', '.join(unknown)} not configured here yet: batches for "
            "them are refused until the server's config has them",
            err=True,
        )
    return sorted(set(names))


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


@token_group.command("list")
@click.pass_obj
def token_list(obj: Context) -> None:
    """List the API tokens: name, kind, created, last used, revoked."""
    from lanventory.store.credentials import list_tokens

    with obj.engine().connect() as connection:
        tokens = list_tokens(connection)
    if not tokens:
        click.echo("no API tokens (create one with `lanventory token create NAME`)")
        return
    rows = [("NAME", "KIND", "NETWORKS", "CREATED", "LAST USED", "REVOKED")]
    rows += [
        (
            t.name,
            t.kind,
            ",".join(t.networks) if t.networks is not None else "all",
            _when(t.created_at),
            _when(t.last_used_at),
            _when(t.revoked_at),
        )
        for t in tokens
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


@token_group.command("revoke")
@click.argument("name")
@click.pass_obj
def token_revoke(obj: Context, name: str) -> None:
    """Revoke the API token NAME; requests using it are refused at once."""
    from lanventory.store.credentials import TokenError, revoke_token

    try:
        info = revoke_token(obj.engine(), name, utcnow())
    except TokenError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"token {info.name!r} revoked at {_when(info.revoked_at)} UTC")
