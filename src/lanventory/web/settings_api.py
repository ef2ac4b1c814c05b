"""``/api/settings/…``: the stable MAC prefixes, as the config sets them and the owner adds them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response
from starlette.status import HTTP_201_CREATED, HTTP_204_NO_CONTENT, HTTP_409_CONFLICT

from lanventory.stable_macs import DEFAULT_STABLE_PREFIXES, REASON_WIDTH, StablePrefix
from lanventory.store.stable_prefixes import (
    PrefixError,
    add_stable_prefix,
    remove_stable_prefix,
    stored_prefixes,
)
from lanventory.web.schemas import UNREADABLE_BODY, Problem
from lanventory.web.services import Services, services

router = APIRouter(prefix="/api/settings", tags=["settings"])

ServicesDep = Annotated[Services, Depends(services)]
PrefixSource = Literal["built-in", "config", "owner"]
REFUSED: dict[int | str, dict[str, object]] = {
    409: {"model": Problem, "description": "Not a prefix that can be added or removed here."}
}
ADD_REFUSED = {**REFUSED, **UNREADABLE_BODY}


class StablePrefixOut(BaseModel):
    """A locally administered MAC prefix that does not rotate."""

    prefix: str = Field(description="1 to 6 octets, lowercase and colon-separated.")
    reason: str = Field(description="What assigns such addresses.")
    builtin: bool = Field(description="A built-in default.")
    source: PrefixSource = Field(
        description="Built in, from the config file, or added by the owner (removable here)."
    )


class StablePrefixList(BaseModel):
    """The effective list: the built-in prefixes plus the config's (minus those it drops),
    plus the owner's additions."""

    prefixes: list[StablePrefixOut]


class StablePrefixIn(BaseModel):
    """A prefix to treat as stable, e.g. a mesh repeater's."""

    model_config = ConfigDict(extra="forbid")

    prefix: str = Field(min_length=1, max_length=32, description="e.g. 52:54:00, 52-54-00, 525400")
    reason: str = Field(default="", max_length=REASON_WIDTH, description="What assigns them.")


def prefix_rows(
    configured: tuple[StablePrefix, ...], added: list[StablePrefix]
) -> list[StablePrefixOut]:
    """The list as the API and the status page show it, shortest prefix first."""

    def row(prefix: StablePrefix, source: PrefixSource) -> StablePrefixOut:
        return StablePrefixOut(
            prefix=prefix.prefix, reason=prefix.reason, builtin=source == "built-in", source=source
        )

    listed = {p.prefix for p in configured}
    rows = [row(p, "built-in" if p in DEFAULT_STABLE_PREFIXES else "config") for p in configured]
    rows.extend(row(p, "owner") for p in added if p.prefix not in listed)
    return sorted(rows, key=lambda r: (len(r.prefix), r.prefix))


def effective_rows(found: Services) -> list[StablePrefixOut]:
    """Every stable prefix in effect, with where it is set."""
    with found.engine.connect() as connection:
        added = stored_prefixes(connection)
    return prefix_rows(found.settings.policy.stable_mac_prefixes, added)


@router.get("/stable-mac-prefixes", response_model=StablePrefixList)
def stable_mac_prefixes(found: ServicesDep) -> StablePrefixList:
    """Locally administered prefixes treated as stable: no randomized badge, the ordinary
    prune period, no rotation suggestions. Set in the config file (``stable_mac_prefixes``)
    or added here."""
    return StablePrefixList(prefixes=effective_rows(found))


@router.post(
    "/stable-mac-prefixes",
    response_model=StablePrefixOut,
    status_code=HTTP_201_CREATED,
    responses=ADD_REFUSED,
)
async def add_prefix(found: ServicesDep, body: StablePrefixIn) -> StablePrefixOut:
    """Treat MACs under ``prefix`` as stable from the next run on each network."""
    try:
        added = await found.writer.run(
            add_stable_prefix,
            found.engine,
            body.prefix,
            body.reason,
            found.clock(),
            found.settings.policy,
        )
    except PrefixError as error:
        raise HTTPException(HTTP_409_CONFLICT, detail=str(error)) from None
    return StablePrefixOut(prefix=added.prefix, reason=added.reason, builtin=False, source="owner")


@router.delete(
    "/stable-mac-prefixes/{prefix}",
    status_code=HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=REFUSED,
)
async def remove_prefix(found: ServicesDep, prefix: str) -> Response:
    """Forget a prefix the owner added (built-in and config ones are set in the file)."""
    try:
        await found.writer.run(remove_stable_prefix, found.engine, prefix)
    except PrefixError as error:
        raise HTTPException(HTTP_409_CONFLICT, detail=str(error)) from None
    return Response(status_code=HTTP_204_NO_CONTENT)
