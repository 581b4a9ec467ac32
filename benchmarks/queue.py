"""Benchmark: N concurrent simulated moderators claiming and deciding review-queue cases.

    .venv/bin/python benchmarks/queue.py                     # 32 moderators, PostgreSQL and SQLite
    .venv/bin/python benchmarks/queue.py --backend postgres --moderators 64 --cases 40000
    .venv/bin/python benchmarks/queue.py --processes 4       # moderators spread over 4 processes

Each moderator is a thread that claims a batch (FOR UPDATE SKIP LOCKED on PostgreSQL) and
decides every case in it, one decision at a time, until the queue is empty. Afterwards the database is checked:
every case decided exactly once (0 double claims, 0 lost decisions), one 'decide' audit entry
per case. Prints claim+decide per second per backend and the PostgreSQL/SQLite ratio (SQLite,
the embedded default, is the baseline measured in the same run). PostgreSQL runs in a
throw-away schema that is dropped afterwards.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the stdlib ``queue`` module; keep its folder off the import path so
# ``import queue`` (used by psycopg and threading helpers) still finds the standard library.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import multiprocessing  # noqa: E402
import random  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402

import psycopg  # noqa: E402
from sqlalchemy import text  # noqa: E402

from moderation.schema import VIOLATIONS  # noqa: E402
from review_queue import NewCase, QueuePolicy, open_store  # noqa: E402

PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"


def make_cases(n: int, run_id: str) -> list[NewCase]:
    rng = random.Random(7)
    return [
        NewCase(
            listing_id=f"B{i:07d}", run_id=run_id, reasons=(rng.choice(VIOLATIONS),),
            rule_hits=("r1",), fraud_score=rng.random(), model_version="bench",
            ruleset_version="bench",
            listing={"title": f"Объявление {i}", "description": "текст " * 20, "price": 1000.0,
                     "category": "phones", "region": "Москва", "seller_id": f"s{i % 500}",
                     "seller_listing_count": rng.randint(0, 200)},
            contributions=(("price_ratio", 0.2),), risk=rng.random(),
        )
        for i in range(n)
    ]


def _moderate(url: str, names: list[str], batch: int, barrier, results) -> None:
    """One process: a thread per moderator, each claiming and deciding until the queue is empty."""
    store = open_store(url, policy=QueuePolicy(second_review_share=0.0, lease_seconds=3600),
                       pool_size=len(names))
    decided: dict[str, list[int]] = {name: [] for name in names}
    errors: list[str] = []

    def moderator(name: str) -> None:
        rng = random.Random(name)
        try:
            while cases := store.claim(name, limit=batch):
                for case in cases:
                    if rng.random() < 0.3:
                        store.decide(case.id, name, "block", case.reasons[0], note="bench")
                    else:
                        store.decide(case.id, name, "approve", "ok")
                    decided[name].append(case.id)
        except Exception as exc:  # report, never hide
            errors.append(repr(exc))

    threads = [threading.Thread(target=moderator, args=(name,)) for name in names]
    store.held(names[0])  # warm the pool and the statement cache before the clock starts
    barrier.wait()
    cpu0 = time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cpu = time.process_time() - cpu0
    store.close()
    results.put(([i for ids in decided.values() for i in ids], errors, cpu))


def run(url: str, n_cases: int, moderators: int, batch: int, processes: int) -> dict:
    store = open_store(url)
    t0 = time.perf_counter()
    store.enqueue(make_cases(n_cases, f"bench-{uuid.uuid4().hex[:6]}"))
    enqueue_s = time.perf_counter() - t0
    store.close()

    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(processes + 1), ctx.Queue()
    names = [f"mod{k:02d}" for k in range(moderators)]
    workers = [
        ctx.Process(target=_moderate, args=(url, names[p::processes], batch, barrier, results))
        for p in range(processes)
    ]
    for w in workers:
        w.start()
    barrier.wait()
    t0 = time.perf_counter()
    outcomes = [results.get() for _ in workers]
    elapsed = time.perf_counter() - t0
    for w in workers:
        w.join()

    ids = Counter(i for decided, _, _ in outcomes for i in decided)
    store = open_store(url)
    with store.engine.connect() as conn:
        open_left = conn.execute(text("SELECT count(*) FROM cases WHERE state = 'open'")).scalar()
        in_db = conn.execute(text("SELECT count(*) FROM cases WHERE state = 'decided'")).scalar()
        dup_audit = conn.execute(text(
            "SELECT count(*) FROM (SELECT case_id FROM audit_log WHERE action = 'decide' "
            "GROUP BY case_id HAVING count(*) > 1) d")).scalar()
    store.close()
    return {
        "enqueue_per_s": n_cases / enqueue_s,
        "decisions": sum(ids.values()),
        "per_s": sum(ids.values()) / elapsed,
        "double": sum(1 for c in ids.values() if c > 1) + dup_audit,
        "lost": (n_cases - len(ids)) + open_left + (n_cases - in_db),
        "errors": [e for _, errs, _ in outcomes for e in errs],
        "client_cpu_ms": 1000 * sum(cpu for _, _, cpu in outcomes) / max(1, sum(ids.values())),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--moderators", type=int, default=32)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=25, help="cases per claim")
    parser.add_argument("--processes", type=int, default=1,
                        help="moderators are spread over this many processes (threads inside)")
    parser.add_argument("--backend", choices=["both", "postgres", "sqlite"], default="both")
    args = parser.parse_args()

    results = {}
    if args.backend in ("both", "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            results["sqlite"] = run(url, args.cases, args.moderators, args.batch, args.processes)
    if args.backend in ("both", "postgres"):
        schema = f"rq_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            url = PG_DSN.replace("postgresql://", "postgresql+psycopg://") + f"?options=-csearch_path%3D{schema}"
            results["postgres"] = run(url, args.cases, args.moderators, args.batch, args.processes)
        finally:
            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

    print(f"{args.moderators} moderators in {args.processes} processes, {args.cases} cases, "
          f"claim batch {args.batch}")
    print(f"{'backend':<10} {'enqueue/s':>10} {'decisions':>10} {'claim+decide/s':>15} "
          f"{'client CPU ms/decision':>23} {'double':>7} {'lost':>5}")
    ok = True
    for name, r in results.items():
        print(f"{name:<10} {r['enqueue_per_s']:>10.0f} {r['decisions']:>10} {r['per_s']:>15.0f} "
              f"{r['client_cpu_ms']:>23.3f} {r['double']:>7} {r['lost']:>5}")
        for exc in r["errors"][:3]:
            print(f"  error: {exc!r}")
        ok = ok and r["double"] == 0 and r["lost"] == 0 and not r["errors"]
    if "sqlite" in results and "postgres" in results:
        print(f"postgres / sqlite (baseline): {results['postgres']['per_s'] / results['sqlite']['per_s']:.2f}x")
    print("verified: 0 double claims, 0 lost decisions" if ok else "VERIFICATION FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
