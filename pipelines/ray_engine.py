"""The Ray engine: the same ``process_batch`` on Ray actors, through Ray Data ``map_batches``.

The only module that imports ``ray``. The driver cuts the dump into slices of whole Parquet row
groups (a CSV or JSONL dump, or a Parquet file with huge row groups, is first restaged as Parquet
next to the outputs, batch by batch); the dataset is one row per slice. Each actor of a callable
class loads the ruleset and the model once, then reads its slices from the file (shared storage
on a cluster), validates and scores them and returns the results as compressed Arrow IPC. The
driver receives them in dump order and writes them with the same writers as the local engine, so
the outputs are identical. Without an address a local Ray is started (and stopped) by
``ray_session``, which the driver enters while it reads the day's statistics; with ``address`` the
run joins an existing cluster (``ray start --head``).
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import ray

from moderation.ingest import Dump
from moderation.scoring import Scorer
from pipelines.day_batch import BatchResult, DayContext, process_batch

__all__ = ["ray_session", "ray_results", "plan_slices", "Slice", "pack_result", "unpack_result"]

STAGING_NAME = ".ray-input.parquet.partial"


@dataclass(frozen=True)
class Slice:
    """Row groups ``[first_group, end_group)`` of a Parquet file; ``offset`` is its first row."""

    index: int
    offset: int
    first_group: int
    end_group: int


def plan_slices(path: Path, batch_size: int) -> list[Slice]:
    """Consecutive row groups packed into slices of about ``batch_size`` rows."""
    meta = pq.ParquetFile(path).metadata
    slices: list[Slice] = []
    first, rows, offset = 0, 0, 0
    for group in range(meta.num_row_groups):
        rows += meta.row_group(group).num_rows
        if rows >= batch_size or group == meta.num_row_groups - 1:
            if rows:
                slices.append(Slice(len(slices), offset, first, group + 1))
            offset += rows
            first, rows = group + 1, 0
    return slices


def _needs_staging(dump: Dump, batch_size: int) -> bool:
    if dump.format != "parquet":
        return True
    meta = pq.ParquetFile(dump.path).metadata
    return any(meta.row_group(g).num_rows > 2 * batch_size for g in range(meta.num_row_groups))


def _stage(dump: Dump, batch_size: int, path: Path) -> None:
    """Rewrite the dump's raw batches, untouched, as one Parquet row group each."""
    writer = None
    try:
        for _, raw in dump.batches(batch_size):
            table = raw.to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="lz4")
            writer.write_table(table.cast(writer.schema), row_group_size=batch_size)
    finally:
        if writer is not None:
            writer.close()


class _ScoreSlices:
    """A Ray Data callable class: loads the artefacts once per actor, scores slices on call."""

    def __init__(self, source: str, context: DayContext, load: Callable[[], Scorer]) -> None:
        self.file = pq.ParquetFile(source)
        self.context = context
        self.scorer = load()

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = []
        for row in batch.to_pylist():
            table = self.file.read_row_groups(list(range(row["first_group"], row["end_group"])))
            result = process_batch(pl.from_arrow(table), row["offset"], self.context, self.scorer)
            rows.append({"index": row["index"], **pack_result(result)})
        return pa.Table.from_pylist(rows, schema=_PACKED)


# A BatchResult on the wire: its frames as LZ4 Arrow IPC (compact, unlike a pickled frame, which
# carries whole shared string buffers — a gathered 2 700-row case frame pickled to 70 MB).
_FRAMES = ("decisions", "quarantine", "cases")
_PACKED = pa.schema(
    [("index", pa.int64()), ("offset", pa.int64()), ("rows_in", pa.int64()),
     ("versions", pa.list_(pa.string())), ("seconds", pa.map_(pa.string(), pa.float64())),
     *((name, pa.large_binary()) for name in _FRAMES)]
)  # fmt: skip


def pack_result(result: BatchResult) -> dict:
    """A ``BatchResult`` as one row of ``_PACKED`` (without ``index``)."""
    frames = {}
    for name in _FRAMES:
        buffer = io.BytesIO()
        getattr(result, name).write_ipc(buffer, compression="lz4")
        frames[name] = buffer.getvalue()
    return {"offset": result.offset, "rows_in": result.rows_in, "versions": list(result.versions),
            "seconds": list(result.seconds.items()), **frames}  # fmt: skip


def unpack_result(row: dict) -> BatchResult:
    """The inverse of ``pack_result``."""
    return BatchResult(
        offset=row["offset"], rows_in=row["rows_in"],
        **{name: pl.read_ipc(row[name]) for name in _FRAMES},
        versions=tuple(row["versions"]), seconds=dict(row["seconds"]),
    )  # fmt: skip


@contextmanager
def ray_session(address: str | None = None) -> Iterator[None]:
    """Ray for one run: join ``address`` or start a local Ray, and stop it afterwards if started here.

    Entered by the driver while it reads the day's statistics, so Ray's start-up overlaps that pass.
    """
    started_here = _connect(address, {"POLARS_MAX_THREADS": "1", "OMP_NUM_THREADS": "1"})
    try:
        yield
    finally:
        if started_here:
            ray.shutdown()


def _connect(address: str | None, env: dict[str, str]) -> bool:
    """Join ``address`` or start a local Ray; True when this call started it."""
    if ray.is_initialized():
        return False
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # our own progress bar reports progress
    runtime_env = {"env_vars": env}
    if address:
        ray.init(address=address, runtime_env=runtime_env, log_to_driver=False)
    else:
        ray.init(
            address="local",  # a fresh instance, never a cluster some earlier `ray start` left behind
            num_cpus=os.cpu_count() or 1,
            include_dashboard=False,
            object_store_memory=512 * 1024**2,
            runtime_env=runtime_env,
            log_to_driver=False,
            configure_logging=False,
        )
    return True


def ray_results(
    dump: Dump,
    context: DayContext,
    batch_size: int,
    work_dir: Path,
    *,
    load: Callable[[], Scorer],
    address: str | None = None,
    actors: int | None = None,
) -> Iterator[BatchResult]:
    """Score the dump on Ray; yield one ``BatchResult`` per slice, in dump order."""
    staged = work_dir / STAGING_NAME
    source = dump.path
    if _needs_staging(dump, batch_size):
        _stage(dump, batch_size, staged)
        source = staged
    slices = plan_slices(source, batch_size)
    try:
        if not slices:
            return
        with ray_session(address):  # a no-op when the caller already entered one
            yield from _run(slices, source, context, load, actors)
    finally:
        staged.unlink(missing_ok=True)


def _run(
    slices: list[Slice], source: Path, context: DayContext, load: Callable[[], Scorer], actors: int | None
) -> Iterator[BatchResult]:
    """The slices through ``map_batches`` on a pool of ``_ScoreSlices`` actors, in order."""
    data_context = ray.data.DataContext.get_current()
    data_context.execution_options.preserve_order = True
    data_context.enable_progress_bars = False
    data_context.print_on_execution_start = False
    size = actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
    size = min(size, len(slices))
    dataset = ray.data.from_items(
        [vars(s) for s in slices], override_num_blocks=len(slices)
    ).map_batches(
        _ScoreSlices,
        fn_constructor_kwargs={"source": str(source.resolve()), "context": context, "load": load},
        batch_size=1,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=size),
        num_cpus=1,
    )
    expected = 0
    for batch in dataset.iter_batches(batch_size=1, batch_format="pyarrow", prefetch_batches=1):
        row = batch.to_pylist()[0]
        index = row["index"]
        if index != expected:  # preserve_order guarantees this; never write out of order
            raise RuntimeError(f"Ray returned slice {index} while expecting slice {expected}")
        expected += 1
        yield unpack_result(row)
    if expected != len(slices):
        raise RuntimeError(f"Ray returned {expected} of {len(slices)} slices")
