"""``/api/scan``: sweep now, in the background, and follow the job.

``POST /api/scan`` answers at once (202) with one job per network swept;
``GET /api/scan/{job}`` says whether it finished and, once it has, the id of
its run in ``/api/runs`` (the run record is written when the sweep ends).
A network that already has a run in progress (a scheduled one or another
scan) is refused with 409: runs on one network never overlap.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, HTTPException
from pydantic import BaseModel, ConfigDict
from starlette.status import (
    HTTP_202_ACCEPTED,
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
)

from lanventory.config import ConfigError
from lanventory.service.lifecycle import scheduler
from lanventory.service.scheduler import NetworkBusy, ScanJob, Scheduler
from lanventory.sweep.run import networks_to_sweep
from lanventory.web.schemas import UNPROCESSABLE, Problem
from lanventory.web.services import Services, services

router = APIRouter(tags=["scan"])


class ScanRequest(BaseModel):
    """Which network to sweep; all networks with a sweep when omitted."""

    model_config = ConfigDict(extra="forbid")

    network: str | None = None


class ScanJobOut(BaseModel):
    """A sweep started now: its job id, and its run id once it finished."""

    job: str
    network: str
    status: Literal["running", "finished"]
    run_id: int | None
    ok: bool | None
    error: str | None


class ScanStarted(BaseModel):
    """The sweeps started, one per network."""

    runs: list[ScanJobOut]


def _out(job: ScanJob) -> ScanJobOut:
    return ScanJobOut.model_validate(job.as_json())


@router.post(
    "/api/scan",
    status_code=HTTP_202_ACCEPTED,
    responses={
        400: {
            "model": Problem,
            "description": "No network has a sweep to run, or the body could not be read.",
        },
        404: {"model": Problem, "description": "No such network is configured."},
        409: {"model": Problem, "description": "The network already has a run in progress."},
        **UNPROCESSABLE,
    },
)
async def scan_now(
    svc: Annotated[Services, Depends(services)],
    jobs: Annotated[Scheduler, Depends(scheduler)],
    request: Annotated[ScanRequest | None, Body()] = None,
) -> ScanStarted:
    """Sweep the network (or every network with a sweep) now, in the background."""
    name = request.network if request is not None else None
    try:
        networks = networks_to_sweep(svc.settings, name)
    except ConfigError as error:
        raise HTTPException(HTTP_404_NOT_FOUND, str(error)) from None
    if not networks:
        raise HTTPException(
            HTTP_400_BAD_REQUEST, "no network has a sweep: add [networks.sweep] to the config"
        )
    unsweepable = [network.name for network in networks if network.interface is None]
    if unsweepable:
        raise HTTPException(
            HTTP_400_BAD_REQUEST,
            f"network {', '.join(unsweepable)} has no 'interface' to sweep on",
        )
    try:
        started = await jobs.scan_now(networks)
    except NetworkBusy as error:
        raise HTTPException(HTTP_409_CONFLICT, str(error)) from None
    return ScanStarted(runs=[_out(job) for job in started])


@router.get(
    "/api/scan/{job}",
    responses={404: {"model": Problem, "description": "No such job (or long gone)."}},
)
async def scan_job(job: str, jobs: Annotated[Scheduler, Depends(scheduler)]) -> ScanJobOut:
    """A sweep started by ``POST /api/scan``: running, or finished with its run id."""
    found = jobs.scan(job)
    if found is None:
        raise HTTPException(HTTP_404_NOT_FOUND, f"no scan job {job!r}")
    return _out(found)
