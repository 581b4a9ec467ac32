"""The demo behind ``make demo``: generate history and a new day, train, score, fill the queue, report.

Runs on the embedded defaults (local MLflow store and SQLite queue under ``var/``). Re-running it
reuses the generated data, trains and promotes a new model version, and re-scores the day; the
review queue gains nothing twice.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from pathlib import Path

from moderation.settings import load_settings
from moderation.synth import DEFAULT_START, generate_day

HISTORY_DAYS = 3
HISTORY_ROWS = 100_000
DAY_ROWS = 200_000


def _ensure_day(directory: Path, day_index: int, rows: int, seed: int) -> tuple[Path, Path]:
    day = DEFAULT_START + timedelta(days=day_index)
    listings_path = directory / f"listings-{day.isoformat()}.parquet"
    truth_path = directory / f"truth-{day.isoformat()}.parquet"
    if not (listings_path.exists() and truth_path.exists()):
        directory.mkdir(parents=True, exist_ok=True)
        listings, truth = generate_day(day_index, rows, seed)
        listings.write_parquet(listings_path)
        truth.write_parquet(truth_path)
    return listings_path, truth_path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=DAY_ROWS, help="listings in the day to score")
    parser.add_argument("--history-rows", type=int, default=HISTORY_ROWS, help="listings per history day")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    from moderation.model.spec import load_spec
    from pipelines.score_day import format_summary, run_score
    from pipelines.track_score import record_run
    from pipelines.train import read_history, train_and_register
    from review_queue.ui import ui_url

    settings = load_settings()
    root = settings.home / "demo"
    started = time.perf_counter()

    print(f"[1/4] generating {HISTORY_DAYS} history days x {args.history_rows:,} and a new day of {args.rows:,} listings")
    history = [_ensure_day(root / "history", i, args.history_rows, args.seed)[0] for i in range(HISTORY_DAYS)]
    day_path, truth_path = _ensure_day(root / "today", HISTORY_DAYS, args.rows, args.seed)

    print(f"[2/4] training the fraud model (MLflow: {settings.resolved_tracking_uri})")
    spec = load_spec(settings.models_dir / "fraud.yaml")
    result = train_and_register(
        read_history(root / "history"), spec,
        tracking_uri=settings.resolved_tracking_uri, name=settings.model_name,
        artifact_location=settings.artifact_location, rules_dir=settings.rules_dir,
    )
    if "champion" not in result.version.aliases:
        from moderation.model.registry import promote

        promote(settings.resolved_tracking_uri, settings.model_name, result.version.version)
    print(f"      registered {result.version.label} as champion")

    print(f"[3/4] scoring {day_path.name}")
    out = settings.home / "runs" / day_path.stem
    report = run_score(day_path, out, settings, truth=[truth_path], previous=history)
    report = record_run(report, out, settings)  # MLflow: the run beside the model, drift vs the last one

    print("[4/4] report")
    print(format_summary(report))
    print(f"  outputs in {out}/")
    print()
    print(f"Review queue: {report.get('review', 0):,} cases of this day wait in {settings.resolved_queue_url}")
    print("  create a moderator:  .venv/bin/moderation queue add-user alice --role moderator")
    print(f"  start the UI:        .venv/bin/moderation queue serve   ->  {ui_url()}")
    print(f"  MLflow:              .venv/bin/mlflow ui --backend-store-uri {settings.resolved_tracking_uri}")
    print(f"demo finished in {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
