"""The shapes the API sends and accepts, so the OpenAPI schema says exactly what they are."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from lanventory.inventory.edit import MAX_TEXT
from lanventory.inventory.model import EventType, Status


class Problem(BaseModel):
    """Why a request was refused."""

    detail: str = Field(description="What is wrong, in words.")


class FieldError(BaseModel):
    """One parameter or body field that does not have its documented shape."""

    loc: list[str | int] = Field(description="Where: the part of the request, then the field.")
    msg: str
    type: str


class Unprocessable(BaseModel):
    """Why a request was refused as unprocessable: in words (a bad MAC, network
    name or value), or one entry per field that does not have its documented shape."""

    detail: str | list[FieldError]


#: The 422 of every route with parameters or a body.
UNPROCESSABLE: dict[int | str, dict[str, Any]] = {
    422: {"model": Unprocessable, "description": "A bad parameter or body, explained."}
}
#: The 400 of every route that reads a JSON body.
UNREADABLE_BODY: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The body could not be read (not UTF-8 JSON)."}
}


class DeviceOut(BaseModel):
    """A device as the API shows it."""

    network: str
    mac: str = Field(description="Canonical form: lowercase, colon separated.")
    ip: str | None = Field(description="The current IPv4 address.")
    ips: list[str] = Field(
        default_factory=list,
        description="Every current IPv4 address: ``ip`` first, then the others the device"
        " answers for (a router, aliases, containers behind a bridge).",
    )
    vendor: str | None
    hostname: str | None
    client_id: str | None
    vendor_class: str | None = Field(
        default=None, description="The DHCP vendor class (option 60), where a source records it."
    )
    name: str | None = Field(description="Owner-given name.")
    grp: str | None = Field(description="Owner-given group.")
    note: str | None
    status: Status
    flagged: bool
    watched: bool = Field(description="Notify when it goes offline or comes back.")
    randomized: bool = Field(
        description="A locally administered MAC under no stable prefix: one that may rotate."
    )
    present: bool
    first_seen: datetime
    last_seen: datetime
    absent_days: int | None = Field(
        description="Days a known device has been away, once that passes the marker threshold."
    )


class DeviceGroup(BaseModel):
    """One band group and its devices."""

    name: str
    devices: list[DeviceOut]


class DeviceBand(BaseModel):
    """Known devices, grouped as the band shows them."""

    groups: list[DeviceGroup]


class DeviceList(BaseModel):
    """A plain list of devices (the review queue)."""

    devices: list[DeviceOut]


class IpOut(BaseModel):
    """An address a device has used."""

    model_config = ConfigDict(from_attributes=True)

    ip: str
    family: Literal[4, 6]
    first_seen: datetime
    last_seen: datetime
    mac: str | None = Field(
        default=None, description="The MAC it was used under (an adopted one's, after adoption)."
    )


class SightingOut(BaseModel):
    """What one source last saw of a device."""

    model_config = ConfigDict(from_attributes=True)

    source: str
    last_seen: datetime
    ip: str | None
    current: bool = Field(description="Seen by the source's latest successful run.")
    missed_runs: int


class EventOut(BaseModel):
    """One entry of the history."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    network: str
    mac: str | None
    type: EventType
    data: dict[str, Any]
    run_id: int | None


class SuggestionOut(BaseModel):
    """An absent randomized device that a new randomized MAC likely replaces."""

    model_config = ConfigDict(from_attributes=True)

    mac: str = Field(description="The likely predecessor's MAC.")
    score: float = Field(ge=0, le=1, description="How likely, from 0 to 1.")
    evidence: list[str] = Field(description="Why, in words: hostname, client-id, timing, IP.")
    last_seen: datetime = Field(description="When the predecessor was last seen.")


class PredecessorOut(BaseModel):
    """A MAC this device adopted: its old row, retired into this one."""

    model_config = ConfigDict(from_attributes=True)

    mac: str
    retired_at: datetime = Field(description="When it was adopted.")
    first_seen: datetime
    last_seen: datetime


class AdoptBody(BaseModel):
    """Which device the new MAC adopts."""

    model_config = ConfigDict(extra="forbid")

    predecessor: str = Field(
        min_length=1,
        max_length=64,
        description="The old MAC (any common spelling): its owner fields and history "
        "pass to this device, and its row is retired.",
    )


class NameOut(BaseModel):
    """A name the network gives a device, besides its DHCP hostname."""

    model_config = ConfigDict(from_attributes=True)

    source: Literal["ptr", "mdns"] = Field(description="ptr: reverse DNS; mdns: mDNS/DNS-SD.")
    name: str
    expires_at: datetime = Field(description="When the source is to be asked again.")


class DeviceDetailOut(BaseModel):
    """One device with its address history, sightings and recent events."""

    device: DeviceOut
    ip_history: list[IpOut]
    sightings: list[SightingOut]
    events: list[EventOut] = Field(description="The most recent events, newest first.")
    suggestions: list[SuggestionOut] = Field(
        default_factory=list,
        description="For a new randomized device: the devices it likely replaces, "
        "most likely first.",
    )
    predecessors: list[PredecessorOut] = Field(
        default_factory=list,
        description="The MACs it adopted, newest first: the history above includes theirs.",
    )
    names: list[NameOut] = Field(
        default_factory=list,
        description="Names from mDNS and reverse DNS (the owner's name is `device.name`).",
    )
    services: list[str] = Field(
        default_factory=list, description="The DNS-SD service types it advertises (mDNS)."
    )
    group_hint: str | None = Field(
        default=None, description="The group its services suggest, e.g. 'Printers'."
    )


class DeviceEdit(BaseModel):
    """An owner edit: any of these fields; no other field is accepted.

    Documents the body of ``PATCH /api/devices/{network}/{mac}``; the edit
    rules themselves validate it, so their messages are the errors.
    """

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(
        default=None, max_length=MAX_TEXT["name"], description="null clears it."
    )
    grp: str | None = Field(default=None, max_length=MAX_TEXT["grp"], description="null clears it.")
    note: str | None = Field(
        default=None, max_length=MAX_TEXT["note"], description="null clears it."
    )
    status: Literal["new", "known", "ignored"] | SkipJsonSchema[None] = Field(
        default=None, description="``known`` promotes a device from the review queue."
    )
    flagged: bool | SkipJsonSchema[None] = Field(default=None)
    watched: bool | SkipJsonSchema[None] = Field(
        default=None, description="Notify when it goes offline or comes back."
    )


def edit_schema() -> dict[str, Any]:
    """The JSON schema of a :class:`DeviceEdit` body: an omitted field stays as it is,
    so no field shows a default."""
    schema = DeviceEdit.model_json_schema()
    for prop in schema["properties"].values():
        prop.pop("default", None)
    return schema


class EventPage(BaseModel):
    """A page of events and the cursors to go on from it."""

    events: list[EventOut]
    next_before: int | None = Field(
        description="Pass as ``before`` for older events; null when there are none."
    )
    next_after: int | None = Field(description="Pass as ``after`` for events newer than this page.")


class RunOut(BaseModel):
    """One run of a source on a network."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    network: str
    status: Literal["running", "ok", "failed"]
    ok: bool | None
    error: str | None
    started_at: datetime
    finished_at: datetime | None
    duration: float | None = Field(description="Seconds, once finished.")
    inputs: list[str]
    lines: int
    observations: int
    counts: dict[str, Any]


class RunPage(BaseModel):
    """A page of runs, newest first."""

    runs: list[RunOut]
    next_before: int | None = Field(
        description="Pass as ``before`` for older runs; null when there are none."
    )
