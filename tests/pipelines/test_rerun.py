"""A `moderation score` killed with SIGKILL mid-run, then run again, leaves what one clean run leaves."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from tests.pipelines.conftest import make_day

_VOLATILE = {"seconds", "rows_per_s", "stage_seconds", "review_cases_added", "queue_url"}


def _command(dump: Path, out: Path) -> list[str]:
    moderation = Path(sys.executable).with_name("moderation")
    return [str(moderation), "score", str(dump), "--out", str(out), "--quiet", "--batch-size", "150", "--workers", "1"]


def _env(settings, queue: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MODERATION_HOME": str(settings.home),
        "MODERATION_RULES_DIR": str(settings.rules_dir),
        "MODERATION_QUEUE_URL": f"sqlite:///{queue}",
    }


def _queued(queue: Path) -> list[str]:
    if not queue.exists():
        return []
    with sqlite3.connect(queue, timeout=30) as conn:
        try:
            return [r[0] for r in conn.execute("SELECT listing_id FROM cases WHERE kind = 'review'")]
        except sqlite3.OperationalError:  # tables not created yet
            return []


@pytest.mark.slow
def test_a_run_killed_mid_way_and_run_again_matches_an_uninterrupted_run(settings, tmp_path):
    dump = tmp_path / "listings-2026-11-05.parquet"
    make_day(6_000, seed=5)[0].write_parquet(dump, row_group_size=1_000)

    clean_queue, queue = tmp_path / "clean.db", tmp_path / "queue.db"
    subprocess.run(_command(dump, tmp_path / "clean"), env=_env(settings, clean_queue), check=True,
                   capture_output=True, timeout=300)

    out = tmp_path / "run"
    victim = subprocess.Popen(_command(dump, out), env=_env(settings, queue),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while not _queued(queue):  # kill once some review cases are in and more batches are to come
        assert victim.poll() is None, "the run finished before it could be killed; make it longer"
        assert time.monotonic() < deadline, "the run never enqueued anything"
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    assert victim.wait(timeout=30) == -signal.SIGKILL
    assert (out / "decisions.parquet.partial").exists() and not (out / "decisions.parquet").exists()
    partly = len(_queued(queue))

    subprocess.run(_command(dump, out), env=_env(settings, queue), check=True, capture_output=True, timeout=300)

    for name in ("decisions.parquet", "quarantine.parquet"):
        assert pl.read_parquet(out / name).equals(pl.read_parquet(tmp_path / "clean" / name)), name
    report = json.loads((out / "report.json").read_text())
    clean = json.loads((tmp_path / "clean" / "report.json").read_text())
    assert {k: v for k, v in report.items() if k not in _VOLATILE} == {
        k: v for k, v in clean.items() if k not in _VOLATILE
    }
    # The queue holds each review case exactly once: the re-run added only what the kill cut off.
    cases = _queued(queue)
    assert len(cases) == len(set(cases)) == clean["review"] > partly > 0
    assert sorted(cases) == sorted(_queued(clean_queue))
    assert report["review_cases_added"] == clean["review"] - partly
    assert not list(out.glob("*.partial"))
