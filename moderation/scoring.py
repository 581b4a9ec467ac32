"""Scoring one validated batch end to end — pure: features -> rules -> model -> decide -> text stage.

The local runner and the Ray runner both call ``score_batch``; neither it nor anything it calls
reads files, opens databases or logs, so both engines give identical decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from moderation.decide import decide
from moderation.features import DayStats, add_features

__all__ = ["Scorer", "ScoredBatch", "score_batch"]


@dataclass(frozen=True)
class Scorer:
    """Loaded artefacts a run scores with (a ruleset and a loaded model)."""

    ruleset: Any  # moderation.rules.Ruleset
    model: Any  # moderation.model.LoadedModel
    text_stage: Any = None  # moderation.text_model.TextStage: re-scores the uncertain band only

    @property
    def versions(self) -> tuple[str, str]:
        return self.model.version, self.ruleset.version


@dataclass(frozen=True)
class ScoredBatch:
    decisions: pl.DataFrame  # DECISION_SCHEMA, one row per listing, input order
    features: pl.DataFrame  # the listings with every derived field


def score_batch(listings: pl.DataFrame, stats: DayStats, scorer: Scorer, run_id: str) -> ScoredBatch:
    """Decide every listing of a validated batch."""
    from moderation.rules import evaluate

    features = add_features(listings, stats)
    hits = evaluate(scorer.ruleset, features)
    scores = scorer.model.model.predict_proba(features)[:, 1] if features.height else []
    model_version, ruleset_version = scorer.versions
    decisions = decide(
        hits,
        scores,
        scorer.model.thresholds,
        listing_ids=features["listing_id"],
        run_id=run_id,
        model_version=model_version,
        ruleset_version=ruleset_version,
    )
    if scorer.text_stage is not None:
        from moderation.text_model import apply_text_stage

        decisions = apply_text_stage(decisions, features, scorer.text_stage)
    return ScoredBatch(decisions=decisions, features=features)
