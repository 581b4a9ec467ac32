"""Benchmark: whole generated days through `moderation score`, local and Ray, against a per-row baseline.

    .venv/bin/python benchmarks/pipeline.py                        # 1 M and 4 M, local and ray
    .venv/bin/python benchmarks/pipeline.py --sizes 1000000 --engines local --baseline-rows 20000

Measured in one run:
  * each (engine, size): the real command (``moderation score DAY --quiet``: read, validate,
    features, rules, LightGBM with text features, decide, write Parquet, build review cases with
    explanations and enqueue them into a fresh SQLite queue) in a subprocess; wall time, rows/s,
    peak memory and CPU seconds of the whole process tree (Ray's raylet and workers included,
    sampled by psutil), load average before and after;
    and, from report.json, seconds and rows/s per stage (stage seconds are summed over the
    threads/actors that ran them, so they can add up to more than the wall time);
  * how cost grows with size (wall per row at the largest size / at the smallest);
  * the baseline: the same decisions written the obvious way — a Python loop over row dicts doing
    features and rules per row (``benchmarks/rules.py``'s loop), the model per row (``re`` tokens,
    one ``Booster.predict`` per row), the decision policy per row, one enqueue per review case —
    on the first ``--baseline-rows`` rows of the smallest day (stopped after ``--baseline-seconds``
    and measured on the rows done), with its agreement with the engine's decisions and the ratio.
Days are generated once into var/bench/ (``moderation generate``) and reused; a model is trained
into var/bench/home (``moderation train``) if that home has no champion yet.
The machine may be shared: figures taken while other jobs run are pessimistic.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
STAGES = ("prepare", "validate", "score", "cases", "write", "enqueue")


def _moderation(*args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "moderation"), *args], check=True, env=env, **kwargs)


def _label(size: int) -> str:
    return f"{size // 1_000_000}m" if size % 1_000_000 == 0 else str(size)


def ensure_day(work: Path, size: int, seed: int) -> Path:
    """The generated day of ``size`` listings under work/day-<label>/ (generated once)."""
    folder = work / f"day-{_label(size)}"
    found = sorted(folder.glob("listings-*.parquet"))
    if not found:
        print(f"generating a day of {size:,} listings into {folder} ...", flush=True)
        _moderation("generate", "--out", str(folder), "--days", "1", "--listings-per-day", str(size),
                    "--seed", str(seed), "--start-date", "2026-11-10")
        found = sorted(folder.glob("listings-*.parquet"))
    return found[0]


def ensure_model(work: Path, env: dict) -> None:
    """A champion in work/home's MLflow store, trained on two generated days if missing."""
    from moderation.model import load_champion
    from moderation.settings import Settings

    try:
        load_champion(Settings(home=work / "home").resolved_tracking_uri)
        return
    except Exception:  # noqa: BLE001 - any failure means: train one
        pass
    history = work / "history"
    if not list(history.glob("listings-*.parquet")):
        _moderation("generate", "--out", str(history), "--days", "2", "--listings-per-day", "200000", "--seed", "3")
    print("training a model for the benchmark ...", flush=True)
    _moderation("train", "--history", str(history), env=env)


class TreePeak:
    """Peak resident memory and CPU seconds of a process and all its descendants, sampled every ``every`` s.

    CPU seconds are each process's last sampled user + system time, summed (a process that ends
    between two samples loses at most ``every`` seconds of it).
    """

    def __init__(self, pid: int, every: float = 0.2) -> None:
        import psutil

        self.root, self.every, self.peak = psutil.Process(pid), every, 0
        self.cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                return
            total = 0
            for proc in procs:
                with contextlib.suppress(psutil.Error):  # a process may end between list and read
                    total += proc.memory_info().rss
                    times = proc.cpu_times()
                    self.cpu[proc.pid] = times.user + times.system
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def stop(self) -> tuple[int, float]:
        """Peak bytes and CPU seconds."""
        self._stop.set()
        self._thread.join()
        return self.peak, sum(self.cpu.values())


def run_engine(day: Path, engine: str, size: int, work: Path, env: dict, batch_size: int) -> dict:
    out = work / "runs" / f"{engine}-{_label(size)}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    run_env = {**env, "MODERATION_QUEUE_URL": f"sqlite:///{(out / 'queue.db').resolve()}"}
    command = [str(BIN / "moderation"), "score", str(day), "--out", str(out), "--quiet",
               "--engine", engine, "--batch-size", str(batch_size)]
    load = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=run_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = TreePeak(proc.pid)
    output, _ = proc.communicate()
    wall = time.perf_counter() - started
    peak_bytes, cpu = peak.stop()
    if proc.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{output}")
    report = json.loads((out / "report.json").read_text())
    return {"engine": engine, "rows": report["rows_in"], "wall": wall, "peak_mb": peak_bytes / 2**20,
            "cpu": cpu, "load": (load, os.getloadavg()[0]), "report": report, "out": out}


# --- the baseline: the obvious way, one row at a time ---------------------------------------

def _rules_loop():
    spec = importlib.util.spec_from_file_location("bench_rules", ROOT / "benchmarks" / "rules.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.python_loop


def baseline(day: Path, rows: int, seconds: float, work: Path, settings) -> dict:
    """Score the first ``rows`` rows of ``day`` row by row; stop after ``seconds``."""
    import scipy.sparse as sp

    from moderation.features import compute_day_stats
    from moderation.ingest import open_dump
    from moderation.model.memory import text_fingerprint
    from pipelines.score_day import load_scorer, run_id_for
    from review_queue import NewCase, open_store

    scorer = load_scorer(settings)
    model, thresholds = scorer.model.model, scorer.model.thresholds
    dump = open_dump(day)
    run_id = run_id_for(dump)
    stats = compute_day_stats(pl.scan_parquet(day))
    copies = dict(stats.earlier_copies.iter_rows())
    medians, overall = dict(stats.category_median_price), stats.overall_median_price
    python_loop = _rules_loop()
    rules = {r.id: r for r in scorer.ruleset.active}
    vocab = {tok: i for i, tok in enumerate(model.vocabulary_.tokens)}
    numeric, levels = model.numeric_columns_, model.category_levels_
    offset = len(numeric) + len(levels)
    # Side models (price vs text, category fit, text memory), asked one row at a time.
    context, memory = getattr(model, "context_", None), getattr(model, "memory_", None)
    union = {tok: i for i, tok in enumerate(model.token_union_.tokens)} if context is not None else {}
    n_features = offset + len(vocab) + (2 if context is not None else 0) + (2 if memory is not None else 0)
    queue_path = work / "runs" / "baseline-queue.db"
    queue_path.unlink(missing_ok=True)
    store = open_store(f"sqlite:///{queue_path.resolve()}")
    sample = pl.read_parquet(day, n_rows=rows).to_dicts()
    model_version, ruleset_version = scorer.versions
    decisions: list[dict] = []
    started = time.perf_counter()
    for row in sample:
        hits = python_loop([row], scorer.ruleset, medians, overall, copies)[0]
        vector = np.zeros(n_features, dtype=np.float32)
        for i, name in enumerate(numeric):
            value = row.get(name)
            vector[i] = np.nan if value is None else float(value)
        for j, (name, names) in enumerate(levels.items()):
            value = row.get(name)
            vector[len(numeric) + j] = names.index(value) if value in names else np.nan
        text = re.sub(r"[1-9]", "0", (row.get("text_norm") or "").lower())
        present = set(re.findall(r"\w+", text))
        for token in present:
            if token in vocab:
                vector[offset + vocab[token]] = 1.0
        side = offset + len(vocab)
        if context is not None:
            cols = [union[t] for t in present if t in union]
            tokens = sp.csr_matrix((np.ones(len(cols), dtype=np.float32), (np.zeros(len(cols), int), cols)),
                                   shape=(1, len(union)))[:, model.context_columns_]
            vector[side:side + 2] = context.features(
                tokens, pl.Series([row.get("category")]), pl.Series([row.get("region")]),
                pl.Series([row.get("price")], dtype=pl.Float64))[0]
            side += 2
        if memory is not None:
            vector[side:side + 2] = memory.features(text_fingerprint(pl.DataFrame(
                {"title": [row.get("title")], "description": [row.get("description")]})))[0]
        score = float(model.booster_.predict(vector[None, :])[0])
        active = [rules[h] for h in hits if h in rules]
        action = next((a for a in ("block", "review", "approve") if any(r.action == a for r in active)), None)
        model_says = "block" if score >= thresholds.block_at else "approve" if score < thresholds.approve_below else "review"
        if action in ("block", "review") or (action == "approve" and model_says != "block"):
            decision, by = action, "rule"
        elif action == "approve":
            decision, by = "review", "model"
        else:
            decision, by = model_says, "model"
        decisions.append({"listing_id": row["listing_id"], "decision": decision, "decided_by": by,
                          "fraud_score": score, "rule_hits": [h for h in hits if h in rules]})
        if decision == "review":
            snapshot = {k: (str(v) if hasattr(v, "isoformat") else v) for k, v in row.items()
                        if k in ("title", "description", "price", "category", "region", "seller_id")}
            store.enqueue([NewCase(listing_id=row["listing_id"], run_id=run_id, reasons=(),
                                   rule_hits=tuple(h for h in hits if h in rules), fraud_score=score,
                                   model_version=model_version, ruleset_version=ruleset_version,
                                   listing=snapshot, risk=score)])
        if time.perf_counter() - started > seconds:
            break
    pl.DataFrame(decisions).write_parquet(work / "runs" / "baseline-decisions.parquet")
    elapsed = time.perf_counter() - started
    store.close()
    return {"rows": len(decisions), "seconds": elapsed, "decisions": pl.DataFrame(decisions)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 4_000_000])
    parser.add_argument("--engines", nargs="+", default=["local", "ray"], choices=["local", "ray"])
    parser.add_argument("--baseline-rows", type=int, default=100_000)
    parser.add_argument("--baseline-seconds", type=float, default=300.0)
    parser.add_argument("--batch-size", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench")
    args = parser.parse_args()

    from moderation.settings import load_settings

    work = args.work.resolve()
    env = {**os.environ, "MODERATION_HOME": str(work / "home")}
    ensure_model(work, env)
    days = {size: ensure_day(work, size, seed=20 + i) for i, size in enumerate(sorted(args.sizes))}
    try:
        import psutil
        cpus = psutil.cpu_count()
        load = os.getloadavg()[0]
    except ImportError:
        cpus, load = os.cpu_count(), float("nan")
    print(f"machine: {cpus} CPUs, load average {load:.1f} at start (a shared machine makes these figures pessimistic)")

    results = []
    for size in sorted(args.sizes):
        for engine in args.engines:
            result = run_engine(days[size], engine, size, work, env, args.batch_size)
            results.append(result)
            _print_run(result)

    smallest, largest = min(args.sizes), max(args.sizes)
    by = {(r["engine"], r["rows"]): r for r in results}
    print()
    for engine in args.engines:
        small, large = by.get((engine, smallest)), by.get((engine, largest))
        if small and large and largest != smallest:
            growth = (large["wall"] / large["rows"]) / (small["wall"] / small["rows"])
            print(f"{engine}: cost per row at {largest:,} / at {smallest:,} = {growth:.2f} "
                  f"(1.00 = linear); wall {small['wall']:.0f} s -> {large['wall']:.0f} s")
    for size in sorted(args.sizes):
        local, remote = by.get(("local", size)), by.get(("ray", size))
        if local and remote:
            print(f"{_label(size)}: ray / local wall = {remote['wall'] / local['wall']:.2f} (target <= 1.5); "
                  f"cpu = {remote['cpu'] / local['cpu']:.2f}")
    for size in sorted(args.sizes):
        local = by.get(("local", size))
        if local and size >= 4_000_000:
            ok = local["wall"] <= 300 and local["peak_mb"] <= 4096
            print(f"{_label(size)} local: {local['wall']:.0f} s, peak {local['peak_mb']:,.0f} MB "
                  f"(target <= 300 s and <= 4096 MB): {'met' if ok else 'NOT met'}")

    if args.baseline_rows:
        settings = load_settings(home=work / "home")
        base = baseline(days[smallest], args.baseline_rows, args.baseline_seconds, work, settings)
        rate = base["rows"] / base["seconds"]
        reference = by.get(("local", smallest)) or results[0]
        ours = pl.read_parquet(reference["out"] / "decisions.parquet").head(base["rows"])
        joined = base["decisions"].join(ours, on="listing_id", suffix="_ours")
        agree = (joined["decision"] == joined["decision_ours"]).mean()
        engine_rate = reference["rows"] / reference["wall"]
        print(f"\nbaseline (row-at-a-time Python over dicts): {base['rows']:,} of {args.baseline_rows:,} rows "
              f"in {base['seconds']:.0f} s = {rate:,.0f} rows/s; same decision as the engine on {agree:.2%} "
              f"of them\nratio: {reference['engine']} engine end to end / baseline = {engine_rate / rate:,.0f}x")


def _print_run(result: dict) -> None:
    report, rows = result["report"], result["rows"]
    print(f"\n{result['engine']:5s} {rows:>10,} rows  wall {result['wall']:7.1f} s  "
          f"{rows / result['wall']:>9,.0f} rows/s  cpu {result['cpu']:7.1f} s  peak memory {result['peak_mb']:>7,.0f} MB  "
          f"load {result['load'][0]:.1f} -> {result['load'][1]:.1f}  "
          f"(decided {report['rows_decided']:,}, review {report['review']:,}, "
          f"quarantined {report['rows_quarantined']:,}, cases added {report.get('review_cases_added', 0):,})")
    stage_seconds = report.get("stage_seconds", {})
    for stage in STAGES:
        seconds = stage_seconds.get(stage)
        if seconds:
            print(f"        {stage:9s} {seconds:8.1f} s  {rows / seconds:>11,.0f} rows/s")


if __name__ == "__main__":
    main()
