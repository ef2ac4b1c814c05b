"""``/api/settings/…``: the parts of the configuration the owner may want to see from a script."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from lanventory.stable_macs import DEFAULT_STABLE_PREFIXES, StablePrefix
from lanventory.web.services import Services, services

router = APIRouter(prefix="/api/settings", tags=["settings"])

ServicesDep = Annotated[Services, Depends(services)]


class StablePrefixOut(BaseModel):
    """A locally administered MAC prefix that does not rotate."""

    prefix: str = Field(description="1 to 6 octets, lowercase and colon-separated.")
    reason: str = Field(description="What assigns such addresses.")
    builtin: bool = Field(description="A built-in default (else from the config file).")


class StablePrefixList(BaseModel):
    """The effective list: the built-in prefixes plus the config's, minus those it drops."""

    prefixes: list[StablePrefixOut]


def prefix_rows(prefixes: tuple[StablePrefix, ...]) -> list[StablePrefixOut]:
    """The list as the API and the status page show it, shortest prefix first."""
    return [
        StablePrefixOut(prefix=p.prefix, reason=p.reason, builtin=p in DEFAULT_STABLE_PREFIXES)
        for p in sorted(prefixes, key=lambda p: (len(p.prefix), p.prefix))
    ]


@router.get("/stable-mac-prefixes", response_model=StablePrefixList)
def stable_mac_prefixes(found: ServicesDep) -> StablePrefixList:
    """Locally administered prefixes treated as stable: no randomized badge, the ordinary
    prune period. Set them with ``stable_mac_prefixes`` in the config file."""
    return StablePrefixList(prefixes=prefix_rows(found.settings.policy.stable_mac_prefixes))
