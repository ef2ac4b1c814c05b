"""The status page's forms for the owner's stable MAC prefixes: add one, remove one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.status import HTTP_303_SEE_OTHER

from lanventory.store.stable_prefixes import PrefixError, add_stable_prefix, remove_stable_prefix
from lanventory.web.pages_forms import field, form_fields, local_path
from lanventory.web.pages_render import conflict_page
from lanventory.web.security import Principal, require_page_owner
from lanventory.web.services import Services, services

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_page_owner)])

Owner = Annotated[Principal, Depends(require_page_owner)]
ServicesDep = Annotated[Services, Depends(services)]


@router.post("/stable-prefixes")
async def add_prefix_post(request: Request, owner: Owner, found: ServicesDep) -> Response:
    """Add the posted ``prefix`` (with its ``reason``) as stable; back to ``next`` or the
    status page."""
    form = await form_fields(request)
    text, reason = field(form, "prefix") or "", field(form, "reason") or ""
    policy = found.settings.policy
    target = local_path(field(form, "next")) or "/status"
    return await _change(
        request, owner, found, target, add_stable_prefix, text, reason, found.clock(), policy
    )


@router.post("/stable-prefixes/remove")
async def remove_prefix_post(request: Request, owner: Owner, found: ServicesDep) -> Response:
    """Remove the posted owner-added ``prefix``; back to the status page."""
    form = await form_fields(request)
    return await _change(
        request, owner, found, "/status", remove_stable_prefix, field(form, "prefix") or ""
    )


async def _change(
    request: Request,
    owner: Principal,
    found: Services,
    target: str,
    action: Callable[..., object],
    *args: Any,
) -> Response:
    try:
        await found.writer.run(action, found.engine, *args)
    except PrefixError as error:
        return conflict_page(request, owner, f"Not changed: {error}.")
    return RedirectResponse(target, status_code=HTTP_303_SEE_OTHER)
