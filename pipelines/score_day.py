"""The daily run: read a dump in batches, validate, score, write decisions, fill the review queue.

All I/O of a run lives here. Outputs are written to ``*.partial`` files and renamed at the end,
and the queue's enqueue is idempotent, so a run killed at any point can simply be run again.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from moderation.features import compute_day_stats
from moderation.ingest import Dump, fingerprint, open_dump
from moderation.report import RunTally, format_summary, truth_metrics
from moderation.schema import DECISION_SCHEMA, QUARANTINE_SCHEMA
from moderation.scoring import Scorer, ScoredBatch, score_batch
from moderation.settings import Settings
from moderation.validate import duplicate_index, validate_batch

__all__ = ["run_score", "load_scorer", "run_id_for", "review_cases", "format_summary"]

_SNAPSHOT_COLUMNS = (
    "title", "description", "price", "category", "region", "city", "seller_id", "created_at",
    "seller_type", "seller_registered_at", "seller_listing_count", "seller_past_blocks",
    "photo_count", "phone",
)


def run_id_for(dump: Dump) -> str:
    """Deterministic: the same dump always scores under the same run id (idempotent re-runs)."""
    return f"{dump.path.stem}-{fingerprint(dump.path)[:12]}"


def load_scorer(settings: Settings) -> Scorer:
    from moderation.model import load_champion
    from moderation.rules import load_ruleset

    return Scorer(
        ruleset=load_ruleset(settings.rules_dir),
        model=load_champion(settings.resolved_tracking_uri, settings.model_name),
    )


def review_cases(scored: ScoredBatch, scorer: Scorer) -> list:
    """Queue cases for the listings that go to people, with what a moderator needs to see."""
    from review_queue import NewCase

    to_review = scored.decisions.with_row_index("_i").filter(pl.col("decision") == "review")
    if not to_review.height:
        return []
    listings = scored.features[to_review["_i"]]
    explain = getattr(scorer.model.model, "top_contributions", None)
    contributions = explain(listings, k=3) if explain else [[] for _ in range(listings.height)]
    snapshot = listings.select(
        [pl.col(c).cast(pl.String) if listings.schema[c].is_temporal() else pl.col(c)
         for c in _SNAPSHOT_COLUMNS if c in listings.columns]
    ).to_dicts()
    return [
        NewCase(
            listing_id=row["listing_id"],
            run_id=row["run_id"],
            reasons=tuple(row["reasons"]),
            rule_hits=tuple(row["rule_hits"]),
            fraud_score=row["fraud_score"],
            model_version=row["model_version"],
            ruleset_version=row["ruleset_version"],
            listing=snap,
            contributions=tuple((str(name), float(value)) for name, value in contrib),
            risk=row["fraud_score"] or 0.0,
        )
        for row, snap, contrib in zip(to_review.iter_rows(named=True), snapshot, contributions, strict=True)
    ]


class _PartialParquet:
    """A Parquet file written batch by batch under ``NAME.partial`` and renamed when complete."""

    def __init__(self, path: Path, schema: dict[str, pl.DataType]) -> None:
        self.path, self.partial = path, path.with_name(path.name + ".partial")
        self.schema = pl.Schema(schema).to_arrow()
        self.writer = pq.ParquetWriter(self.partial, self.schema, compression="zstd")

    def write(self, frame: pl.DataFrame) -> None:
        if frame.height:
            self.writer.write_table(frame.to_arrow().cast(self.schema))

    def commit(self) -> None:
        self.writer.close()
        os.replace(self.partial, self.path)


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]scoring"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,} rows"),
        TextColumn("{task.fields[rate]:,.0f} rows/s"), TimeElapsedColumn(), TimeRemainingColumn(),
        disable=not enabled, transient=False,
    )


def run_score(
    input_path: Path,
    out_dir: Path,
    settings: Settings,
    *,
    truth: Sequence[Path] = (),
    scorer: Scorer | None = None,
    show_progress: bool = True,
    enqueue: bool = True,
) -> dict:
    """Score one dump; returns the report (also written to ``out_dir/report.json``)."""
    started = time.perf_counter()
    dump = open_dump(input_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    run_id = run_id_for(dump)
    scan = dump.scan()
    stats = compute_day_stats(scan.select("category", pl.col("price").cast(pl.Float64, strict=False)))
    duplicates = duplicate_index(scan.select("listing_id"))
    scorer = scorer or load_scorer(settings)
    store = None
    if enqueue:
        from review_queue import open_store

        store = open_store(settings.resolved_queue_url)

    decisions_out = _PartialParquet(out_dir / "decisions.parquet", DECISION_SCHEMA)
    quarantine_out = _PartialParquet(out_dir / "quarantine.parquet", QUARANTINE_SCHEMA)
    tally, timings, cases_added = RunTally(), dict.fromkeys(("validate", "score", "write", "enqueue"), 0.0), 0
    try:
        with _progress(show_progress) as progress:
            task = progress.add_task("score", total=dump.num_rows, rate=0.0)
            for offset, raw in dump.batches(settings.batch_size):
                t0 = time.perf_counter()
                listings, quarantine = validate_batch(
                    raw, source_file=str(dump.path), row_offset=offset, duplicates=duplicates
                )
                t1 = time.perf_counter()
                scored = score_batch(listings, stats, scorer, run_id)
                t2 = time.perf_counter()
                decisions_out.write(scored.decisions)
                quarantine_out.write(quarantine)
                t3 = time.perf_counter()
                if store is not None:
                    cases_added += store.enqueue(review_cases(scored, scorer))
                t4 = time.perf_counter()
                for stage, seconds in zip(timings, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                    timings[stage] += seconds
                tally.add(raw.height, scored.decisions, quarantine)
                progress.update(task, advance=raw.height, rate=tally.rows_in / (time.perf_counter() - started))
        decisions_out.commit()
        quarantine_out.commit()
    finally:
        if store is not None:
            store.close()

    seconds = time.perf_counter() - started
    model_version, ruleset_version = scorer.versions
    report = {
        "run_id": run_id,
        "input": str(dump.path),
        **tally.as_report(),
        "rows_per_s": tally.rows_in / seconds if seconds else 0.0,
        "seconds": seconds,
        "stage_seconds": timings,
        "ruleset_version": ruleset_version,
        "model_version": model_version,
    }
    if store is not None:
        report["review_cases_added"] = cases_added
        report["queue_url"] = settings.resolved_queue_url
    if truth:
        report.update(
            truth_metrics(pl.scan_parquet(out_dir / "decisions.parquet"), pl.scan_parquet(list(truth)))
        )
    _write_json(out_dir / "report.json", report)
    return report


def _write_json(path: Path, payload: dict) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")
    os.replace(partial, path)
