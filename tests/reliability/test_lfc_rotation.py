"""Kea's lease file cleanup (LFC) renaming the lease files while a run reads them.

A reader that lists the files and then reads them one by one reads the new, nearly empty
live file after the old one became ``.1`` (or after kea-lfc merged it into ``.2``) and
misses its leases; the run would then mark those devices absent. The rotations here are
real renames on real files, done between two reads by the reader's ``between_reads`` hook,
or by a thread that keeps rotating while runs read.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine

from lanventory.collect import files
from lanventory.collect import run as collect_run
from lanventory.collect.files import (
    ROTATED,
    kea_lease_files,
    read_kea_lease_files,
    read_texts,
)
from lanventory.sources import kea_csv
from lanventory.sources.observation import SourceText
from tests.reliability import kea_files
from tests.reliability.faults import (
    EXPIRE,
    NOW,
    assert_failed_cleanly,
    device_rows,
    lan,
    present_macs,
    run,
)

#: Devices 0-39 hold leases written before the last cleanup (in ``.2``), 40-59 leases
#: written since (in the live file).
OLD, NEW = range(0, 40), range(40, 60)
TRUTH = {kea_files.device(n)[0] for n in (*OLD, *NEW)}


def lease_set(directory: Path) -> Path:
    """``.2`` from the last cleanup and a live file with the leases since; the live file."""
    live = directory / "kea-leases4.csv"
    kea_files.write_leases(
        kea_files.sibling(live, ".2"), [kea_files.lease_row(n, EXPIRE) for n in OLD]
    )
    kea_files.write_leases(live, [kea_files.lease_row(n, EXPIRE) for n in NEW])
    return live


def active_macs(texts: list[SourceText]) -> set[str]:
    result = kea_csv.parse(texts, NOW)
    assert result.error is None
    return {o.mac for o in result.observations if o.active}


def rename_live(live: Path) -> None:
    """kea-dhcp4 starts a cleanup: the live file becomes ``.1``, a new one starts."""
    assert kea_files.start_cleanup(live)


def finish_cleanup(live: Path) -> None:
    """kea-lfc does its work on a cleanup already started."""
    kea_files.write_output(live)
    kea_files.finish_cleanup(live)


#: Kea's steps, each real renames, removes and writes on the files of the live file given.
STEPS: dict[str, Callable[[Path], None]] = {
    "live-renamed-to-.1": rename_live,
    "whole-cleanup": kea_files.full_cleanup,
    "cleanup-finished": finish_cleanup,
}


def once(step: Callable[[Path], None], live: Path) -> Callable[[Path], None]:
    """A ``between_reads`` hook doing ``step`` on ``live`` at its first call only."""
    calls: list[Path] = []

    def hook(done: Path) -> None:
        if not calls:
            step(live)
        calls.append(done)

    return hook


def test_listing_then_reading_misses_the_leases_of_a_renamed_live_file(tmp_path: Path) -> None:
    """What every reader did before: list, then read; Kea renames in between."""
    live = lease_set(tmp_path)
    listed = kea_lease_files(live)
    assert [p.name for p in listed] == ["kea-leases4.csv.2", "kea-leases4.csv"]
    first = read_texts(listed[:1])
    kea_files.start_cleanup(live)  # kea-dhcp4: live -> .1, new live file
    texts = first + read_texts(listed[1:])
    missed = TRUTH - active_macs(texts)
    assert missed == {kea_files.device(n)[0] for n in NEW}


@pytest.mark.parametrize("step", sorted(STEPS))
def test_a_rotation_between_two_reads_is_read_again(tmp_path: Path, step: str) -> None:
    live = lease_set(tmp_path)
    if step == "cleanup-finished":
        kea_files.start_cleanup(live)  # a cleanup in progress: .2, .1 and a new live file
        kea_files.append(live, [kea_files.lease_row(n, EXPIRE + 60) for n in NEW])
    hook = once(STEPS[step], live)
    texts = read_kea_lease_files(live, between_reads=hook)
    assert active_macs(texts) == TRUTH
    assert [Path(t.name) for t in texts] == kea_lease_files(live)  # the set as it is now


def test_appending_to_the_live_file_is_not_a_rotation(tmp_path: Path) -> None:
    live = lease_set(tmp_path)
    kea_files.start_cleanup(live)
    kea_files.append(live, [kea_files.lease_row(n, EXPIRE) for n in NEW])
    calls: list[Path] = []

    def renew(done: Path) -> None:
        calls.append(done)
        kea_files.append(live, [kea_files.lease_row(len(calls) % 60, EXPIRE + 600)])

    texts = read_kea_lease_files(live, between_reads=renew)
    assert [p.name for p in calls] == ["kea-leases4.csv.2", "kea-leases4.csv.1"]  # read once
    assert active_macs(texts) == TRUTH


def test_files_rotating_under_every_attempt_fail_the_read(tmp_path: Path) -> None:
    live = lease_set(tmp_path)
    calls: list[Path] = []

    def rotate(done: Path) -> None:
        calls.append(done)
        kea_files.full_cleanup(live)
        kea_files.append(live, [kea_files.lease_row(n, EXPIRE) for n in NEW])

    with pytest.raises(collect_run.CollectError, match="rotated the files while they were read"):
        read_kea_lease_files(live, attempts=3, between_reads=rotate)
    assert len(calls) == 3


def test_a_run_during_a_rotation_marks_nobody_absent(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = lease_set(tmp_path)
    network = lan({"type": "kea-csv", "path": str(live)})
    assert run(engine, network).ok
    assert present_macs(engine) == TRUTH
    kea_files.append(live, [kea_files.lease_row(n, EXPIRE + 60) for n in NEW])
    reader = functools.partial(
        read_kea_lease_files, between_reads=once(kea_files.full_cleanup, live)
    )
    monkeypatch.setattr(collect_run, "read_kea_lease_files", reader)
    report = run(engine, network)
    assert report.ok, report.error
    assert report.counts.absent == 0
    assert present_macs(engine) == TRUTH


def test_a_run_whose_files_keep_rotating_fails_and_changes_nothing(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = lease_set(tmp_path)
    network = lan({"type": "kea-csv", "path": str(live)})
    assert run(engine, network).ok
    before = device_rows(engine)

    def rotate(done: Path) -> None:
        kea_files.full_cleanup(live)

    reader = functools.partial(read_kea_lease_files, between_reads=rotate)
    monkeypatch.setattr(collect_run, "read_kea_lease_files", reader)
    report = run(engine, network)
    assert_failed_cleanly(engine, report, before, str(live), ROTATED)


class Rotator(threading.Thread):
    """Kea at work, without end: new clients leased and old ones renewed in the live file,
    and cleanups done step by step. ``leased`` counts the devices whose lease is written."""

    def __init__(self, live: Path) -> None:
        super().__init__(daemon=True)
        self.live = live
        self.halt = threading.Event()
        self.leased = len(TRUTH)
        self.cleanups = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        steps = (kea_files.start_cleanup, kea_files.write_output, kea_files.finish_cleanup)
        try:
            while not self.halt.is_set():
                for step in steps:
                    renewed = self.leased % len(TRUTH)
                    rows = [kea_files.lease_row(n, EXPIRE + 60) for n in (self.leased, renewed)]
                    kea_files.append(self.live, rows)
                    self.leased += 1
                    step(self.live)
                    time.sleep(0.002)
                self.cleanups += 1
        except BaseException as error:  # reported by the test
            self.error = error


def test_runs_while_kea_keeps_cleaning_up_are_failed_or_correct(tmp_path: Path) -> None:
    """50 runs on a real SQLite database while a thread rotates the files for real and
    leases to new devices: each run is either correct (every device leased before it
    started is present, nobody is marked absent) or failed with the rotation error and
    changing nothing."""
    from lanventory.store import schema
    from lanventory.store.engine import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'lanventory.db'}")
    schema.upgrade(engine)
    live = lease_set(tmp_path)
    network = lan({"type": "kea-csv", "path": str(live)})
    assert run(engine, network).ok
    rotator = Rotator(live)
    rotator.start()
    outcomes = {"ok": 0, "failed": 0}
    try:
        for _ in range(50):
            before = device_rows(engine)
            leased = {kea_files.device(n)[0] for n in range(rotator.leased)}
            report = run(engine, network)
            if report.ok:
                outcomes["ok"] += 1
                assert report.counts.absent == 0, report.summary()
                assert leased - present_macs(engine) == set(), report.summary()
            else:
                outcomes["failed"] += 1
                assert report.error is not None and ROTATED in report.error, report.error
                assert device_rows(engine) == before
    finally:
        rotator.halt.set()
        rotator.join(10)
        engine.dispose()
    assert rotator.error is None, rotator.error
    assert rotator.cleanups >= 10, rotator.cleanups
    assert outcomes["ok"] >= 25, outcomes
    print(f"\n{rotator.cleanups} cleanups during 50 runs: {outcomes}")


def test_a_new_live_file_whose_header_is_not_written_yet_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kea renames the live file, creates the new one, then writes its header: a read in
    between finds it empty, waits a moment and reads again."""
    live = lease_set(tmp_path)
    kea_files.start_cleanup(live)
    live.write_text("")  # created, header not yet written
    waits: list[float] = []

    def kea_writes_the_header(seconds: float) -> None:
        waits.append(seconds)
        kea_files.write_leases(live, [])

    monkeypatch.setattr(files, "time", SimpleNamespace(sleep=kea_writes_the_header))
    texts = read_kea_lease_files(live)
    assert len(waits) == 1
    assert active_macs(texts) == TRUTH


def test_a_live_file_that_stays_empty_is_the_parsers_to_judge(tmp_path: Path) -> None:
    live = lease_set(tmp_path)
    live.write_text("")
    texts = read_kea_lease_files(live)
    assert texts[-1].text == ""
    assert "(empty file)" in str(kea_csv.parse(texts, NOW).error)
