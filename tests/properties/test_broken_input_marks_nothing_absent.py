"""A structurally broken input never marks a device absent.

Per format, a cut that the parser must notice:

- a line format (Kea CSV, dnsmasq, ``ip neigh``, ``/proc/net/arp``, arp-scan
  ``--plain`` and CSV): a cut in the middle of a line (every writer ends its
  lines; a cut at a line end cannot be told from a shorter file);
- a JSON answer (kea-api, ``ip -j neigh``): any cut that loses more than
  trailing white space;
- arp-scan's default output: any cut that loses its closing ``Ending
  arp-scan`` line;
- an ISC dhcpd lease file: a cut inside a statement or a block.

The parser must answer such a cut with ``error`` (the run fails) or
``complete=False`` (nothing is marked absent). A cut that leaves nothing reads
as an empty input: the parser must see nobody in it. End to end: a fixture ingested
into a fresh database, then a broken copy of it ingested as the next run of
the same source, leaves every device that was present present, records no
``offline`` event and deletes nothing.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from lanventory.ingest import ingest
from lanventory.inventory.model import EventType, Policy
from lanventory.sources import PARSERS, SourceText
from lanventory.sources.neigh import Layout, detect_layout
from lanventory.store import schema
from lanventory.store.engine import create_engine
from lanventory.store.tables import devices, events
from tests.properties.cases import CASES, Case
from tests.properties.strategies import Mutant, examples, truncated_at_byte, truncated_mid_line

NETWORK = "lan"
#: Formats read as JSON answers: any cut breaks them.
_JSON = ("kea-api",)


def _lost_content(original: str, kept: str) -> bool:
    """Whether the cut lost more than trailing white space."""
    return kept.rstrip() != original.rstrip()


def _cut_mid_line(kept: str) -> bool:
    """Whether the text stops inside a line that has something on it."""
    return bool(kept.rsplit("\n", 1)[-1].strip())


def _inside_statement(kept: str) -> bool:
    """Whether dhcpd.leases text stops inside a statement, a block or a string."""
    depth, pending, position = 0, False, 0
    while position < len(kept):
        char = kept[position]
        if char == "#":
            end = kept.find("\n", position)
            position = len(kept) if end < 0 else end
            continue
        if char == '"':
            position += 1
            while position < len(kept) and kept[position] != '"':
                position += 2 if kept[position] == "\\" else 1
            if position >= len(kept):
                return True
            pending = True
        elif char in "{};":
            depth += {"{": 1, "}": -1, ";": 0}[char]
            pending = False
        elif not char.isspace():
            pending = True
        position += 1
    return depth > 0 or pending


def is_broken(format_: str, original: str, kept: str) -> bool:
    """Whether cutting ``original`` down to ``kept`` is a cut the parser must notice."""
    if format_ in _JSON:
        return _lost_content(original, kept)
    if format_ == "neigh" and detect_layout(original) is Layout.JSON:
        # Cut to nothing, it reads as the empty table in text form: nobody seen, nobody judged.
        return bool(kept.strip()) and _lost_content(original, kept)
    if format_ == "arp-scan" and original.startswith("Interface:"):
        return _lost_content(original, kept) or _cut_mid_line(kept)
    if format_ == "isc-dhcpd":
        return _inside_statement(kept)
    return _cut_mid_line(kept)


def _truncation(text: str) -> st.SearchStrategy[Mutant]:
    return st.one_of(truncated_at_byte(text), truncated_mid_line(text))


def _broken_inputs(case: Case, data: st.DataObject) -> tuple[list[SourceText], str]:
    """The case's inputs with one of them cut the way :func:`is_broken` says is
    broken, or cut to nothing; and what is left of the cut one."""
    inputs = case.inputs()
    index = data.draw(st.integers(0, len(inputs) - 1), label="cut input")
    original = inputs[index].text
    kept = data.draw(_truncation(original), label="mutant").text
    assume(not kept.strip() or is_broken(case.format, original, kept))
    inputs[index] = SourceText(inputs[index].name, kept)
    return inputs, kept


@pytest.mark.parametrize(
    "case",
    [pytest.param(case, id=case.id) for case in CASES],
)
@examples(60)
@given(data=st.data())
def test_parser_flags_a_broken_input(case: Case, data: st.DataObject) -> None:
    inputs, kept = _broken_inputs(case, data)
    result = PARSERS[case.format](inputs, case.now)
    if kept.strip():
        assert result.error is not None or not result.complete, result.skipped
    else:  # cut to nothing: it reads as an empty input, in which nobody is seen
        assert result.error is not None or not any(obs.active for obs in result.observations)


#: One or two cases of every format and layout, each leaving someone present
#: after its full ingest: the ones absence can be judged on.
END_TO_END = [
    case
    for case in CASES
    if case.files[-1]
    in {
        "lab-kea-2.2.0-leases4.csv",
        "shared-sample-kea-3.0/kea-leases4.csv",
        "lab-kea-2.2.0-lease4-get-all.unix.json",
        "lab-kea-2.2.0-lease4-get-page-4.unix.json",
        "lab-dnsmasq-2.90.leases",
        "shared-sample-dnsmasq-2.93test-dhcp4-dhcp6.leases",
        "shared-sample-isc-dhcpd-4.4.3-P1.leases",
        "lab-iproute2-6.1.0-ip-j-s-neigh.json",
        "lab-linux-6.18-proc-net-arp.txt",
        "shared-sample-iproute2-6.1.0-ip-neigh.txt",
        "lab-arp-scan-1.10.0-default.txt",
        "lab-arp-scan-1.10.0-plain.txt",
        "shared-sample-arp-scan-1.10.0-format-csv.txt",
    }
]


def _present(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        query = select(devices.c.mac).where(devices.c.network == NETWORK, devices.c.present)
        return set(connection.scalars(query))


def _macs(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.scalars(select(devices.c.mac)))


def _offline_events(engine: Engine) -> int:
    with engine.connect() as connection:
        query = select(func.count()).where(events.c.type == EventType.OFFLINE.value)
        return int(connection.scalar(query) or 0)


def _ingest(engine: Engine, case: Case, inputs: list[SourceText], minutes: int) -> None:
    now = case.now + timedelta(minutes=minutes)
    ingest(
        engine,
        case.format,
        NETWORK,
        inputs,
        now=now,
        policy=Policy(),
        lookup=lambda _mac: None,
        clock=lambda: now,
    )


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database file at the newest schema, to start every case from."""
    path = tmp_path_factory.mktemp("properties") / "migrated.db"
    engine = create_engine(f"sqlite:///{path}")
    schema.upgrade(engine)
    _checkpoint(engine)
    return path


def _checkpoint(engine: Engine) -> None:
    """Write everything into the database file itself, so that copying it copies all."""
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


def _prepared(case: Case, migrated: Path, directory: Path) -> Path:
    """A database file that has had one run of the whole fixture."""
    path = directory / "prepared.db"
    shutil.copy(migrated, path)
    engine = create_engine(f"sqlite:///{path}")
    _ingest(engine, case, case.inputs(), minutes=0)
    _checkpoint(engine)
    return path


@pytest.mark.parametrize("case", END_TO_END, ids=lambda case: case.id)
def test_broken_run_marks_nothing_absent(case: Case, migrated: Path, tmp_path: Path) -> None:
    prepared = _prepared(case, migrated, tmp_path)
    work = tmp_path / "work.db"

    @examples(12)
    @given(data=st.data())
    def next_run_broken(data: st.DataObject) -> None:
        inputs, _kept = _broken_inputs(case, data)
        for leftover in tmp_path.glob("work.db*"):
            leftover.unlink()
        shutil.copy(prepared, work)
        engine = create_engine(f"sqlite:///{work}")
        try:
            present, macs = _present(engine), _macs(engine)
            assert present, "the prepared run left nobody present"
            _ingest(engine, case, inputs, minutes=1)
            assert present <= _present(engine)
            assert macs <= _macs(engine)
            assert _offline_events(engine) == 0
        finally:
            engine.dispose()

    next_run_broken()
