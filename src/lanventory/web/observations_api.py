"""``POST /api/observations``: remote agents push what their sources saw."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel

from lanventory.agent.batch import Batch
from lanventory.service.batches import receive_batch
from lanventory.web.schemas import UNREADABLE_BODY, Problem, Unprocessable
from lanventory.web.security import Reporter, require_reporter
from lanventory.web.services import services

router = APIRouter(prefix="/api", tags=["agents"])

#: Largest batch accepted, after decompression (a 200,000-device lease run is about 40 MB).
MAX_BATCH_BYTES = 256 * 1024 * 1024


class ReceiptOut(BaseModel):
    """What became of a batch."""

    batch: str
    run_id: int | None
    ok: bool
    duplicate: bool
    error: str | None = None
    summary: str | None = None


@router.post(
    "/observations",
    response_model=ReceiptOut,
    responses={
        **UNREADABLE_BODY,
        401: {"model": Problem, "description": "No valid token."},
        403: {"model": Problem, "description": "The token may not report this network."},
        413: {"model": Problem, "description": "The batch is too large."},
        422: {
            "model": Unprocessable,
            "description": "The batch is malformed, or the network is not configured here.",
        },
    },
)
async def post_observations(
    batch: Batch,
    request: Request,
    reporter: Annotated[Reporter, Depends(require_reporter)],
) -> ReceiptOut:
    """Apply one observation batch (one source run of an agent) exactly once.

    Sending a batch id that was already applied changes nothing and answers
    ``duplicate: true`` with the run it became: an agent whose connection
    dropped before the answer simply sends it again. The body may be
    gzip-compressed (``Content-Encoding: gzip``).
    """
    if not reporter.may_report(batch.network):
        allowed = ", ".join(sorted(reporter.networks or ())) or "none"
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"token {reporter.name!r} may not report network {batch.network!r} "
            f"(its networks: {allowed})",
        )
    found = services(request)
    configured = [network.name for network in found.settings.networks]
    if batch.network not in configured:
        raise HTTPException(
            422,
            f"network {batch.network!r} is not configured on this server "
            f"(configured: {', '.join(configured) or 'none'}): add it to [[networks]]",
        )
    receipt = await found.writer.run(
        receive_batch,
        found.engine,
        batch,
        agent=reporter.name,
        settings=found.settings,
        lookup=found.lookup,
        clock=found.clock,
    )
    return ReceiptOut(
        batch=receipt.batch,
        run_id=receipt.run_id,
        ok=receipt.ok,
        duplicate=receipt.duplicate,
        error=receipt.error,
        summary=receipt.summary,
    )
