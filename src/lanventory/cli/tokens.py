"""`lanventory token`: API tokens for scripts and agents."""

from __future__ import annotations

from datetime import datetime

import click

from lanventory.cli.root import Context, main, utcnow


@main.group("token")
def token_group() -> None:
    """API tokens for scripts: `Authorization: Bearer <token>`."""


@token_group.command("create")
@click.argument("name")
@click.pass_obj
def token_create(obj: Context, name: str) -> None:
    """Create the API token NAME and print it (only this once: it is stored hashed)."""
    from lanventory.store.credentials import TokenError, create_token

    try:
        token = create_token(obj.engine(), name, utcnow())
    except TokenError as error:
        raise click.ClickException(str(error)) from error
    click.echo(token)


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
    rows = [("NAME", "KIND", "CREATED", "LAST USED", "REVOKED")]
    rows += [
        (t.name, t.kind, _when(t.created_at), _when(t.last_used_at), _when(t.revoked_at))
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
