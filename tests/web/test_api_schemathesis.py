"""The API against its own OpenAPI schema: schemathesis generates requests from
``/api/openapi.json`` (valid and invalid ones) and sends them with an owner token.

Every answer must be below 500, use a status code the operation documents,
have a documented content type and match the documented response schema.
The app runs as ``serve`` runs it (its scheduler and live events started), on a
database seeded with the lab's dnsmasq leases on ``lan``. ``lan`` has no
interface and no sources, so nothing is ever swept or read: ``POST /api/scan``
can only be refused.

Each operation's strategies are driven with Hypothesis directly (schemathesis's
pytest plugin does not run under pytest 9), every operation's first failure is
collected, and the test lists them all.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import SearchStrategy
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

from lanventory.config import Settings
from lanventory.ingest import ingest
from lanventory.network_config import NetworkConfig
from lanventory.service.writer import Writer
from lanventory.sources.observation import SourceText
from lanventory.store.devices import edit_device, get_device
from lanventory.vendors import load_table
from lanventory.web.app import OPENAPI_URL, create_app
from lanventory.web.services import Services
from tests.conftest import SAMPLE_NOW, fixture_path
from tests.web.conftest import Clock, TestClient

LEASES = fixture_path("dnsmasq", "lab-dnsmasq-2.90.leases")
PRINTER = "00:16:3e:00:01:01"
#: A device that exists, for a second pass over the routes of one device.
SEEDED = {"network": "lan", "mac": PRINTER}
#: Cases per operation and generation mode.
EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _seed(engine: Engine, settings: Settings) -> None:
    """Three devices on ``lan`` (one of them known, named and grouped), and their run."""
    report = ingest(
        engine,
        "dnsmasq",
        "lan",
        [SourceText(LEASES.name, LEASES.read_text())],
        now=SAMPLE_NOW,
        policy=settings.policy,
        lookup=load_table(None).lookup,
        clock=lambda: SAMPLE_NOW,
    )
    assert report.ok, report.error
    fields = {"status": "known", "name": "Printer", "grp": "Network", "note": "2nd floor"}
    edit_device(engine, "lan", PRINTER, fields, SAMPLE_NOW)


@pytest.fixture
def served(engine: Engine, tmp_path: Path) -> Iterator[FastAPI]:
    """The app with its background work, as ``serve`` runs it (schemathesis starts its
    lifespan on the first request and the teardown ends it)."""
    lan = NetworkConfig(name="lan", cidr="198.18.1.0/24")
    config = Settings(data_dir=tmp_path / "data", networks=[lan])
    _seed(engine, config)
    services = Services(config, engine, Writer(), Clock(SAMPLE_NOW), load_table(None).lookup)
    try:
        yield create_app(services)
    finally:
        shutdown_lifespans()


@pytest.fixture
def api_schema(served: FastAPI, owner_token: str) -> BaseSchema:
    """The published schema, every operation but the endless live stream."""
    headers = {"Authorization": f"Bearer {owner_token}"}
    loaded = schemathesis.openapi.from_asgi(OPENAPI_URL, served, headers=headers)
    loaded.config.update(headers=headers)
    # The live stream never ends: a request would wait for its heartbeat forever
    # (tests/web/test_scan_and_live.py reads it with a deadline instead).
    return loaded.exclude(method="GET", path="/api/events/stream")


def _operations(schema: BaseSchema) -> list[APIOperation]:
    """Every operation, the deletes last (so the seeded device is there for the others)."""
    found = [result.ok() for result in schema.get_all_operations()]
    return sorted(found, key=lambda op: (op.method.upper() == "DELETE", op.label))


def _failure(
    operation: APIOperation, strategy: SearchStrategy[Case], mode: GenerationMode
) -> str | None:
    """What the first failing case of ``strategy`` broke (shrunk), or None."""

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Case) -> None:
        case.call_and_validate(checks=CHECKS)

    try:
        run()
    except Unsatisfiable:
        # An operation without parameters or body has no invalid request to make.
        if mode is GenerationMode.NEGATIVE:
            return None
        raise
    except (Exception, FailureGroup) as error:  # every operation's, not the first only
        # (an exception the app raised is the test client's way of answering 500)
        return f"{operation.label} ({mode.value}): {type(error).__name__}: {error}"
    return None


def test_every_answer_is_documented(api_schema: BaseSchema) -> None:
    failures: list[str] = []
    for operation in _operations(api_schema):
        strategies = [(operation.as_strategy(mode), mode) for mode in GenerationMode]
        if {"network", "mac"} <= {p.name for p in operation.path_parameters}:
            seeded = operation.as_strategy(path_parameters=SEEDED)
            strategies.append((seeded, GenerationMode.POSITIVE))
        for strategy, mode in strategies:
            failure = _failure(operation, strategy, mode)
            if failure is not None:
                failures.append(failure)
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/api/devices?q=%00", None),
        ("GET", "/api/devices/discovered?q=tv%00", None),
        ("GET", "/api/runs?source=%00", None),
        ("GET", "/api/runs?before=2147483648", None),
        ("GET", "/api/events?after=9223372036854775808", None),
        ("GET", "/api/events?since=0001-01-01T00:00:00%2B01:00", None),
        ("GET", "/api/events?since=9999-12-31T23:59:00-01:00", None),
        ("PATCH", f"/api/devices/lan/{PRINTER}", '{"name": "a\\u0000b"}'),
        ("PATCH", f"/api/devices/lan/{PRINTER}", '{"note": "\\ud800"}'),
    ],
)
def test_inputs_that_once_answered_500_are_refused(
    engine: Engine, client: TestClient, method: str, url: str, body: str | None
) -> None:
    """Requests that reached the database with what it cannot hold or compare."""
    _seed(engine, Settings())
    headers = {"Content-Type": "application/json"}
    response = client.request(method, url, content=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]
    with engine.connect() as connection:
        printer = get_device(connection, "lan", PRINTER)
    assert printer is not None and printer.name == "Printer" and printer.note == "2nd floor"
