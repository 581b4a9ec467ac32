"""The daily run: read a dump in batches, validate, score, write decisions, fill the review queue.

All I/O of a run lives here (and in ``ray_engine`` for the Ray side). The engine only decides
where ``day_batch.process_batch`` runs — in threads of this process (``local``) or on Ray actors
(``ray``); either way the driver writes the results in dump order with the same writers, so both
engines produce identical files. Outputs are written to ``*.partial`` files and renamed at the
end, and the queue's enqueue is idempotent, so a run killed at any point can simply be run again.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from moderation.errors import ConfigError, ModelNotFoundError
from moderation.features import compute_day_stats
from moderation.features.tabular import listing_fingerprints
from moderation.ingest import Dump, fingerprint, open_dump
from moderation.report import RunTally, format_summary, truth_metrics
from moderation.schema import DECISION_SCHEMA, QUARANTINE_SCHEMA
from moderation.scoring import Scorer
from moderation.settings import Settings
from moderation.validate import duplicate_index
from pipelines.day_batch import BatchResult, DayContext, ScorerSpec, new_cases, process_batch

__all__ = ["run_score", "load_scorer", "scorer_spec", "run_id_for", "prepare_day", "format_summary", "ENGINES"]

ENGINES = ("local", "ray")


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


def scorer_spec(settings: Settings) -> ScorerSpec:
    """The ruleset loaded here and the champion pinned to its version number, for Ray actors."""
    from moderation.model import CHAMPION, list_versions
    from moderation.rules import load_ruleset

    ruleset = load_ruleset(settings.rules_dir)
    uri, name = settings.resolved_tracking_uri, settings.model_name
    champion = next((v for v in list_versions(uri, name) if CHAMPION in v.aliases), None)
    if champion is None:
        raise ModelNotFoundError(
            f"No `{CHAMPION}` version of model {name!r} at {uri}; run `moderation train` first."
        )
    return ScorerSpec(
        ruleset=ruleset, tracking_uri=uri, model_name=name, model_version=champion.version,
        text_model_dir=str(settings.text_model_dir) if settings.text_model_dir else None,
        text_model_threads=settings.text_model_threads,
    )


def previous_fingerprints(previous: Sequence[Path]) -> pl.Series | None:
    """Fingerprints of earlier days' listings, so that reposts across days count as copies."""
    if not previous:
        return None
    return pl.concat([listing_fingerprints(open_dump(path).scan()) for path in previous])


def prepare_day(
    dump: Dump, *, build_cases: bool = True, previous: Sequence[Path] = ()
) -> tuple[DayContext, int]:
    """One pass over a few columns of the whole dump: day statistics, duplicate ids, row count."""
    scan = dump.scan()
    stats = compute_day_stats(
        scan.select(
            "category", "listing_id", "seller_id", "title", "description",
            pl.col("price").cast(pl.Float64, strict=False), pl.col("created_at").cast(pl.String),
        ),
        previous_fingerprints=previous_fingerprints(previous),
    )
    duplicates = duplicate_index(scan.select("listing_id"))
    rows = dump.num_rows
    if rows is None:
        rows = scan.select(pl.len()).collect().item()
    context = DayContext(
        run_id=run_id_for(dump), source_file=str(dump.path), stats=stats, duplicates=duplicates,
        build_cases=build_cases,
    )
    return context, rows


def local_results(
    dump: Dump, context: DayContext, scorer: Scorer, batch_size: int, workers: int = 2
) -> Iterator[BatchResult]:
    """Batches scored by ``workers`` threads, yielded in dump order, at most ``workers`` in flight.

    Polars, Arrow and LightGBM release the GIL, so two batches in flight keep two cores busy
    while this thread writes the previous results.
    """
    batches = dump.batches(batch_size)
    if workers <= 1:
        for offset, raw in batches:
            yield process_batch(raw, offset, context, scorer)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="score") as pool:
        calls = ((process_batch, raw, offset, context, scorer) for offset, raw in batches)
        yield from _ordered(pool.submit, calls, workers)


def _ordered(submit: Callable, calls: Iterable[tuple], depth: int) -> Iterator:
    """Results of each ``(fn, *args)`` call in input order, with at most ``depth`` pending at once."""
    pending: deque = deque()
    for fn, *args in calls:
        pending.append(submit(fn, *args))
        if len(pending) >= depth:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


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

    def abandon(self) -> None:
        self.writer.close()


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
    engine: str = "local",
    ray_address: str | None = None,
    workers: int | None = None,
    previous: Sequence[Path] = (),
) -> dict:
    """Score one dump; returns the report (also written to ``out_dir/report.json``).

    ``workers``: scoring threads (local) or actors (ray); default 2 locally, every CPU on Ray.
    ``previous``: earlier days' dumps; a listing reposted from them counts as a copy.
    """
    if engine not in ENGINES:
        raise ConfigError(f"engine must be one of {', '.join(ENGINES)}. Got {engine!r} instead.")
    started = time.perf_counter()
    dump = open_dump(input_path)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:  # holds the Ray session of a Ray run
        with ThreadPoolExecutor(1, thread_name_prefix="prepare") as pool:
            # The day pre-pass (Polars, off the GIL) runs while the model and rules load (Python).
            pending = pool.submit(prepare_day, dump, build_cases=enqueue, previous=previous)
            if engine == "local":
                scorer = scorer or load_scorer(settings)
            else:
                from pipelines.ray_engine import ray_results, ray_session

                load = scorer_spec(settings).load if scorer is None else _Given(scorer)
                stack.enter_context(ray_session(ray_address))  # Ray starts while the pre-pass runs
            context, total_rows = pending.result()
        prepared = time.perf_counter()
        if engine == "local":
            results = local_results(dump, context, scorer, settings.batch_size, workers or 2)
        else:
            results = ray_results(
                dump, context, settings.batch_size, out_dir, load=load, address=ray_address, actors=workers
            )
        store = None
        if enqueue:
            from review_queue import open_store

            store = open_store(settings.resolved_queue_url)

        decisions_out = _PartialParquet(out_dir / "decisions.parquet", DECISION_SCHEMA)
        quarantine_out = _PartialParquet(out_dir / "quarantine.parquet", QUARANTINE_SCHEMA)
        tally, cases_added, versions = RunTally(), 0, None
        timings = dict.fromkeys(("prepare", "validate", "score", "cases", "write", "enqueue"), 0.0)
        timings["prepare"] = prepared - started
        committed = False
        try:
            with _progress(show_progress) as progress:
                task = progress.add_task("score", total=total_rows, rate=0.0)
                for result in results:
                    t0 = time.perf_counter()
                    decisions_out.write(result.decisions)
                    quarantine_out.write(result.quarantine)
                    t1 = time.perf_counter()
                    if store is not None:
                        cases_added += store.enqueue(new_cases(result.cases))
                    t2 = time.perf_counter()
                    for stage, seconds in result.seconds.items():
                        timings[stage] += seconds
                    timings["write"] += t1 - t0
                    timings["enqueue"] += t2 - t1
                    versions = versions or result.versions
                    tally.add(result.rows_in, result.decisions, result.quarantine)
                    progress.update(
                        task, advance=result.rows_in, rate=tally.rows_in / (time.perf_counter() - started)
                    )
            decisions_out.commit()
            quarantine_out.commit()
            committed = True
        finally:
            if not committed:
                decisions_out.abandon()
                quarantine_out.abandon()
            if store is not None:
                store.close()

    seconds = time.perf_counter() - started
    model_version, ruleset_version = versions or (scorer or load_scorer(settings)).versions
    report = {
        "run_id": context.run_id,
        "input": str(dump.path),
        "engine": engine,
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


class _Given:
    """A loader that returns an already-loaded scorer (tests, notebooks); picklable for Ray."""

    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer

    def __call__(self) -> Scorer:
        return self.scorer


def _write_json(path: Path, payload: dict) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")
    os.replace(partial, path)
