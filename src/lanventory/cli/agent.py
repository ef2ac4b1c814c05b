"""`lanventory agent`: run this site's sources and push their batches to a server."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType

import click

from lanventory.cli.root import Context, main, utcnow

#: Exit status of ``--once`` when batches are still queued (EX_TEMPFAIL).
STILL_QUEUED = 75


@main.command("agent")
@click.option("--server", help="The server's URL (default: agent.server).")
@click.option(
    "--token",
    envvar="LANVENTORY_AGENT_TOKEN",
    help="The agent token (default: agent.token or agent.token_file).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The agent's TOML config: its [[networks]] and [agent].",
)
@click.option(
    "--once",
    is_flag=True,
    help="Run every sweep and source once, send, and exit (75 if batches are still queued).",
)
@click.pass_obj
def agent_command(
    obj: Context, server: str | None, token: str | None, config_file: Path | None, once: bool
) -> None:
    """Run the configured sweeps and sources here and push what they see to a server.

    For sites and VLANs the server cannot reach at layer 2. Each run becomes
    a batch that is kept on disk until the server has it, so an outage or a
    restart loses nothing; the server applies each batch exactly once.
    """
    from lanventory.agent.queue import BatchQueue
    from lanventory.agent.runner import Agent, queue_directory, token_from

    if config_file is not None:
        obj.config_file = config_file
    settings = obj.settings
    server = server or settings.agent.server
    if not server:
        raise click.UsageError("no server: pass --server URL or set agent.server in the config")
    if not server.startswith(("http://", "https://")):
        raise click.BadParameter(
            f"{server!r} is not an http:// or https:// URL", param_hint="--server"
        )
    try:
        secret = token_from(settings, token)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    if not secret:
        raise click.UsageError(
            "no token: pass --token (or LANVENTORY_AGENT_TOKEN), or set agent.token_file; "
            "create one on the server with `lanventory token create NAME --agent --networks …`"
        )
    if not any(network.sources or network.sweep for network in settings.networks):
        raise click.UsageError(
            "nothing to run: configure [[networks]] with a sweep or sources in the agent's config"
        )
    logging.getLogger("lanventory").setLevel(logging.INFO)
    queue = BatchQueue(queue_directory(settings))
    agent = Agent(settings, server=server, token=secret, queue=queue, clock=utcnow)
    if once:
        agent.run_all()
        result = agent.flush()
        click.echo(
            f"{result.delivered} batches delivered, {result.rejected} refused, "
            f"{result.pending} still queued in {queue.directory}"
            + (f" ({result.error})" if result.error else "")
        )
        if result.pending:
            raise SystemExit(STILL_QUEUED)
        return
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    agent.run_forever(stop)
