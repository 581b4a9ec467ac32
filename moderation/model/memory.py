"""Text memory: has this very listing text been seen in training, and how often was it a violation?

Repost rings put one listing up again every day from many accounts, so the per-seller copy count
(``earlier_copies``) misses them. The model remembers, per text fingerprint (letters of the title
and of the description's start — any seller, digits and punctuation ignored), how many training
rows carried it and the share of those that were violations (smoothed towards the base rate).
For the booster's own training rows the figures are cross-fitted (two folds by seller), so a row
never counts itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

__all__ = ["MEMORY_FEATURES", "TextMemory", "text_fingerprint", "fit_memory", "cross_fit_memory"]

MEMORY_FEATURES = ("text_seen", "text_seen_violation_rate")

_PRIOR_ROWS = 2.0  # smoothing: a text seen once is pulled halfway-ish to the base rate


def text_fingerprint(frame: pl.DataFrame) -> pl.Series:
    """Seller-independent hash of the title and the description's start (letters only)."""

    def letters(text: pl.Expr) -> pl.Expr:
        return text.fill_null("").str.to_lowercase().str.replace_all(r"[^\p{L}]+", "")

    start = letters(pl.col("description").str.slice(0, 160)).str.slice(0, 80)
    return frame.select(
        pl.concat_str([letters(pl.col("title")), start], separator="|").hash(seed=20261122)
    ).to_series()


@dataclass(frozen=True)
class TextMemory:
    """Per fingerprint: rows seen and violations among them."""

    table: pl.DataFrame  # fp (UInt64), seen (Float64), bad (Float64)
    base_rate: float

    def features(self, fingerprints: pl.Series) -> np.ndarray:
        """Shape ``(n, 2)``: times seen (0 = new text) and smoothed violation rate (NaN if new)."""
        joined = (
            pl.DataFrame({"fp": fingerprints})
            .join(self.table, on="fp", how="left", maintain_order="left")
            .select(
                pl.col("seen").fill_null(0.0),
                (
                    (pl.col("bad") + _PRIOR_ROWS * self.base_rate)
                    / (pl.col("seen") + _PRIOR_ROWS)
                ).alias("rate"),
            )
        )
        return joined.to_numpy().astype(np.float64)


def fit_memory(fingerprints: pl.Series, labels: np.ndarray) -> TextMemory:
    labels = np.asarray(labels, dtype=np.float64)
    table = (
        pl.DataFrame({"fp": fingerprints, "y": labels})
        .group_by("fp")
        .agg(seen=pl.len().cast(pl.Float64), bad=pl.col("y").sum())
    )
    return TextMemory(table=table, base_rate=float(labels.mean()) if labels.size else 0.0)


def cross_fit_memory(
    fingerprints: pl.Series, labels: np.ndarray, sellers: pl.Series
) -> tuple[TextMemory, np.ndarray]:
    """The memory of all rows, and out-of-fold features for those same rows."""
    fold = (sellers.cast(pl.String).hash(seed=11).to_numpy() % 2).astype(bool)
    labels = np.asarray(labels)
    out = np.empty((fingerprints.len(), len(MEMORY_FEATURES)))
    for side in (False, True):
        fit_rows, pred_rows = fold != side, fold == side
        part = fit_memory(fingerprints.filter(pl.Series(fit_rows)), labels[fit_rows])
        out[pred_rows] = part.features(fingerprints.filter(pl.Series(pred_rows)))
        # Counts from half the rows: scale to what the full memory will report at scoring time.
        out[pred_rows, 0] *= labels.size / max(int(fit_rows.sum()), 1)
    return fit_memory(fingerprints, labels), out
