"""Adopting a rotated MAC over the API, and undoing it.

``POST /api/devices/{network}/{mac}/adopt`` with ``{"predecessor": OLD_MAC}``
makes the device ``mac`` the same device as ``OLD_MAC``: it inherits the
owner's name, group, note, status and flags, and its history continues the
old one's (see :mod:`lanventory.inventory.adoption`). ``…/adopt/undo``
takes the latest adoption back.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from starlette.status import HTTP_404_NOT_FOUND, HTTP_409_CONFLICT

from lanventory.inventory.adoption import AdoptionError
from lanventory.store.adoption import adopt_device, undo_adoption
from lanventory.store.devices import DeviceNotFound
from lanventory.web.devices_api import DEVICE_PROBLEMS, KeyDep, checked_mac, detail_out
from lanventory.web.schemas import UNREADABLE_BODY, AdoptBody, DeviceDetailOut, Problem
from lanventory.web.services import Services, services

router = APIRouter(prefix="/api/devices", tags=["devices"])

ServicesDep = Annotated[Services, Depends(services)]
ADOPT_PROBLEMS: dict[int | str, dict[str, Any]] = {
    **DEVICE_PROBLEMS,
    **UNREADABLE_BODY,
    409: {"model": Problem, "description": "The adoption (or its undo) cannot be done."},
}


@router.post("/{network}/{mac}/adopt", response_model=DeviceDetailOut, responses=ADOPT_PROBLEMS)
async def adopt(found: ServicesDep, key: KeyDep, body: AdoptBody) -> DeviceDetailOut:
    """This device is ``predecessor`` under a new MAC: it takes over the owner's fields
    and history, and the old row is retired (kept, pointing here)."""
    old = checked_mac(body.predecessor)
    try:
        await found.writer.run(adopt_device, found.engine, key.network, key.mac, old, found.clock())
    except DeviceNotFound as error:
        raise HTTPException(HTTP_404_NOT_FOUND, detail=str(error)) from None
    except AdoptionError as error:
        raise HTTPException(HTTP_409_CONFLICT, detail=str(error)) from None
    return detail_out(found, key.network, key.mac)


@router.post(
    "/{network}/{mac}/adopt/undo", response_model=DeviceDetailOut, responses=ADOPT_PROBLEMS
)
async def undo(found: ServicesDep, key: KeyDep) -> DeviceDetailOut:
    """Take back this device's latest adoption: the old MAC is a device of its own again,
    and the fields it passed on return to what they were (unless edited since)."""
    try:
        await found.writer.run(undo_adoption, found.engine, key.network, key.mac, found.clock())
    except DeviceNotFound as error:
        raise HTTPException(HTTP_404_NOT_FOUND, detail=str(error)) from None
    except AdoptionError as error:
        raise HTTPException(HTTP_409_CONFLICT, detail=str(error)) from None
    return detail_out(found, key.network, key.mac)
