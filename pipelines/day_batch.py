"""One batch of a daily run, the unit both engines share: validate -> score -> review cases.

``process_batch`` is what the local engine calls in-process and what the Ray engine's actors call
on a worker; the driver only writes what comes back, in dump order. Everything here is pure
(frames in, frames out) so the two engines cannot drift apart.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from moderation.features import DayStats
from moderation.scoring import ScoredBatch, Scorer, score_batch
from moderation.validate import DuplicateIndex, validate_batch

__all__ = [
    "DayContext",
    "BatchResult",
    "ScorerSpec",
    "process_batch",
    "case_frame",
    "new_cases",
    "SNAPSHOT_COLUMNS",
]

# What a moderator sees of a listing in the queue (temporal values as text, JSON-friendly).
SNAPSHOT_COLUMNS = (
    "title", "description", "price", "category", "region", "city", "seller_id", "created_at",
    "seller_type", "seller_registered_at", "seller_listing_count", "seller_past_blocks",
    "photo_count", "phone",
)  # fmt: skip

_CONTRIBUTION = pl.Struct({"name": pl.String, "value": pl.Float64})
_NO_CASES = pl.DataFrame()


@dataclass(frozen=True)
class DayContext:
    """Whole-dump facts every batch needs, computed once by the driver before scoring."""

    run_id: str
    source_file: str
    stats: DayStats
    duplicates: DuplicateIndex
    build_cases: bool = True  # False when the run does not enqueue (``--no-queue``)


@dataclass(frozen=True)
class ScorerSpec:
    """What a Ray actor scores with: the driver's validated ruleset and a pinned model version.

    Picklable. The ruleset travels as loaded (validated once, on the driver, with one content
    hash); the model is loaded by each actor from the tracking store, by version number, so a
    champion promoted mid-run cannot give two actors different models.
    """

    ruleset: Any  # moderation.rules.Ruleset
    tracking_uri: str
    model_name: str
    model_version: str
    text_model_dir: str | None = None  # the optional text stage, loaded by each actor too
    text_model_threads: int = 1

    def load(self) -> Scorer:
        from moderation.model import load_version

        text_stage = None
        if self.text_model_dir:
            from moderation.text_model import TextStage

            text_stage = TextStage.load(self.text_model_dir, num_threads=self.text_model_threads)
        return Scorer(
            ruleset=self.ruleset,
            model=load_version(self.tracking_uri, self.model_name, self.model_version),
            text_stage=text_stage,
        )


@dataclass(frozen=True)
class BatchResult:
    """Everything the driver writes for one batch; ``offset`` is the batch's first dump row."""

    offset: int
    rows_in: int
    decisions: pl.DataFrame  # DECISION_SCHEMA
    quarantine: pl.DataFrame  # QUARANTINE_SCHEMA
    cases: pl.DataFrame  # one row per review decision, see ``case_frame``
    versions: tuple[str, str]  # (model_version, ruleset_version)
    seconds: dict[str, float] = field(default_factory=dict)  # validate, score, cases


def process_batch(raw: pl.DataFrame, offset: int, context: DayContext, scorer: Scorer) -> BatchResult:
    """Validate, score and prepare the review cases of one raw batch (rows ``offset``...)."""
    t0 = time.perf_counter()
    listings, quarantine = validate_batch(
        raw, source_file=context.source_file, row_offset=offset, duplicates=context.duplicates
    )
    t1 = time.perf_counter()
    scored = score_batch(listings, context.stats, scorer, context.run_id)
    t2 = time.perf_counter()
    cases = case_frame(scored, scorer) if context.build_cases else _NO_CASES
    t3 = time.perf_counter()
    return BatchResult(
        offset=offset,
        rows_in=raw.height,
        decisions=scored.decisions,
        quarantine=quarantine,
        cases=cases,
        versions=scorer.versions,
        seconds={"validate": t1 - t0, "score": t2 - t1, "cases": t3 - t2},
    )


def case_frame(scored: ScoredBatch, scorer: Scorer) -> pl.DataFrame:
    """The review decisions with what a moderator needs: snapshot and the model's top reasons."""
    picked = scored.decisions.with_row_index("_i").filter(pl.col("decision") == "review")
    listings = scored.features[picked["_i"]]
    raw_contributions = _explain(scorer.model.model, listings) if listings.height else []
    contributions = pl.Series(
        "contributions",
        [[{"name": str(n), "value": float(v)} for n, v in row] for row in raw_contributions]
        if raw_contributions
        else [[] for _ in range(listings.height)],
        dtype=pl.List(_CONTRIBUTION),
    )
    snapshot = pl.struct(
        [
            pl.col(c).cast(pl.String) if listings.schema[c].is_temporal() else pl.col(c)
            for c in SNAPSHOT_COLUMNS
            if c in listings.columns
        ]
    ).alias("listing")
    return picked.drop("_i", "decision", "decided_by", "shadow_hits").with_columns(
        listings.select(snapshot).to_series(), contributions
    )


def _explain(model: Any, listings: pl.DataFrame) -> list[list[tuple[str, float]]]:
    """Top-3 path credits of a LightGBM-backed model (see ``explain_cases``); else the model's own."""
    if all(hasattr(model, a) for a in ("booster_", "design_matrix", "feature_names_")):
        from pipelines.explain_cases import explainer_for, top_k

        contributions = explainer_for(model.booster_).contributions(model.design_matrix(listings))
        return top_k(contributions, model.feature_names_, k=3)
    explain = getattr(model, "top_contributions", None)
    return explain(listings, k=3) if explain else []


def new_cases(frame: pl.DataFrame) -> Sequence:
    """``review_queue.NewCase`` objects from a ``case_frame`` (the queue's API takes objects)."""
    from review_queue import NewCase

    if not frame.height:
        return []
    columns = {name: frame[name].to_list() for name in frame.columns}
    return [
        NewCase(
            listing_id=listing_id,
            run_id=run_id,
            reasons=tuple(reasons),
            rule_hits=tuple(rule_hits),
            fraud_score=score,
            model_version=model_version,
            ruleset_version=ruleset_version,
            listing=listing,
            contributions=tuple((c["name"], c["value"]) for c in contributions),
            risk=score or 0.0,
        )
        for listing_id, run_id, reasons, rule_hits, score, model_version, ruleset_version, listing,
        contributions in zip(
            columns["listing_id"], columns["run_id"], columns["reasons"], columns["rule_hits"],
            columns["fraud_score"], columns["model_version"], columns["ruleset_version"],
            columns["listing"], columns["contributions"], strict=True,
        )
    ]
