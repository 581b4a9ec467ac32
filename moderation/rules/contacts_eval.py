"""Measuring the contact rules on labelled real ad texts (description + has_contacts).

The texts go through the same feature path as a daily dump (missing listing columns are null,
titles empty), then through the active block/review rules whose reason is contacts_in_text.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from moderation.rules.evaluate import rule_matches
from moderation.rules.ruleset import Rule, Ruleset
from moderation.schema import LISTING_COLUMNS

__all__ = ["ContactScore", "contact_rules", "listings_from_texts", "score_contact_rules"]


@dataclass(frozen=True)
class ContactScore:
    rows: int
    positives: int
    true_pos: int
    false_pos: int
    precision: float
    recall: float
    per_rule: dict[str, tuple[int, int]]  # rule id -> (hits, true positives)


def contact_rules(ruleset: Ruleset) -> tuple[Rule, ...]:
    """Active rules that block or review for contacts in the text."""
    return tuple(r for r in ruleset.active if r.reason == "contacts_in_text" and r.action in {"block", "review"})


def listings_from_texts(texts: pl.DataFrame) -> pl.DataFrame:
    """A listing batch from a frame with ``description`` (and optionally ``idx``)."""
    n = texts.height
    ids = texts["idx"].cast(pl.String) if "idx" in texts.columns else pl.Series([str(i) for i in range(n)])
    columns = {
        name: pl.Series(name, [None] * n, dtype=dtype) for name, dtype in LISTING_COLUMNS.items()
    }
    columns["listing_id"] = ids.alias("listing_id")
    columns["title"] = pl.Series("title", [""] * n, dtype=pl.String)
    columns["description"] = texts["description"].cast(pl.String).alias("description")
    return pl.DataFrame(list(columns.values()))


def score_contact_rules(ruleset: Ruleset, features: pl.DataFrame, labels: pl.Series) -> ContactScore:
    """Precision / recall of "any contact rule hits" against 0/1 ``labels``."""
    rules = contact_rules(ruleset)
    matches = rule_matches(ruleset, features, rules)
    truth = labels.cast(pl.Boolean).fill_null(False)
    predicted = matches.select(pl.any_horizontal(pl.all())).to_series() if rules else truth & False
    tp = int((predicted & truth).sum())
    fp = int((predicted & ~truth).sum())
    positives = int(truth.sum())
    per_rule = {r.id: (int(matches[r.id].sum()), int((matches[r.id] & truth).sum())) for r in rules}
    return ContactScore(
        rows=features.height, positives=positives, true_pos=tp, false_pos=fp,
        precision=tp / (tp + fp) if tp + fp else 0.0,
        recall=tp / positives if positives else 0.0,
        per_rule=per_rule,
    )
