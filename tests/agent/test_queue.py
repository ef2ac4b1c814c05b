"""The agent's on-disk queue: durable, ordered, and safe across restarts and crashes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from lanventory.agent.batch import Batch
from lanventory.agent.queue import BatchQueue
from tests.conftest import SAMPLE_NOW


def make(batch_id: str) -> Batch:
    return Batch(
        id=batch_id, network="lan", source="neigh", started_at=SAMPLE_NOW, captured_at=SAMPLE_NOW
    )


def test_batches_come_out_in_the_order_they_went_in(tmp_path: Path) -> None:
    queue = BatchQueue(tmp_path / "q")
    for name in ("zzzzzzzz-last-id", "aaaaaaaa-first-id", "mmmmmmmm"):
        queue.put(make(name))
    ids = [queue.batch_id(path) for path in queue.pending()]
    assert ids == ["zzzzzzzz-last-id", "aaaaaaaa-first-id", "mmmmmmmm"]
    stored = json.loads(gzip.decompress(queue.pending()[0].read_bytes()))
    assert stored["id"] == "zzzzzzzz-last-id" and stored["network"] == "lan"


def test_a_restarted_queue_resumes_and_keeps_counting(tmp_path: Path) -> None:
    queue = BatchQueue(tmp_path / "q")
    queue.put(make("batch-one"))
    queue.put(make("batch-two"))
    queue.done(queue.pending()[0])
    (tmp_path / "q" / ".incoming-000000000009-half.json.gz").write_bytes(b"\x1f\x8b")
    again = BatchQueue(tmp_path / "q")
    assert [again.batch_id(p) for p in again.pending()] == ["batch-two"]
    assert not list((tmp_path / "q").glob(".incoming-*"))  # a crashed write is dropped
    again.put(make("batch-three"))
    assert [again.batch_id(p) for p in again.pending()] == ["batch-two", "batch-three"]


def test_a_refused_batch_is_set_aside_with_its_reason(tmp_path: Path) -> None:
    queue = BatchQueue(tmp_path / "q")
    path = queue.put(make("refused-1"))
    kept = queue.reject(path, "HTTP 403: token 'x' may not report network 'lan'")
    assert queue.pending() == [] and kept.exists()
    reason = (kept.parent / (kept.name + ".reason.txt")).read_text()
    assert "may not report" in reason
