"""Text context features: does the price, and the category, fit what the text says is for sale?

Two small side models read the token matrix of title + description (the frequent tokens, not the
label-chosen ones — an item's name says little about fraud but everything about its price):

* ``price_vs_text``: log price minus the log price a ridge regression expects for this text,
  category and region (negative = cheaper than similar listings; a bait price is far below).
  The category median alone cannot see that a phone case and a phone share a category.
* ``category_fit``: log P(listed category | text) minus the best category's, from a naive Bayes
  over tokens (0 = the text reads like its category; very negative = a phone listed in clothing).

Both are fitted on the clean rows only (a bait price or a misplaced listing must not teach the
side model what is normal). For the booster's own training rows the features are cross-fitted
(two folds by seller), so the booster learns from values like those it will see at scoring time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp
from sklearn.linear_model import Ridge
from sklearn.naive_bayes import MultinomialNB

__all__ = ["CONTEXT_FEATURES", "TextContext", "fit_context", "cross_fit_context"]

CONTEXT_FEATURES = ("price_vs_text", "category_fit")

_MIN_ROWS = 50  # below this a side model says nothing (NaN features)


@dataclass(frozen=True)
class TextContext:
    """Fitted side models; ``columns`` are the token-matrix columns they read."""

    levels: tuple[str, ...]  # category levels: NB classes and one-hot columns
    regions: tuple[str, ...]
    price: Ridge | None
    category: MultinomialNB | None

    def features(
        self, tokens: sp.csr_matrix, category: pl.Series, region: pl.Series, price: pl.Series
    ) -> np.ndarray:
        """Shape ``(n, 2)``: price_vs_text, category_fit (NaN where unknown)."""
        n = tokens.shape[0]
        out = np.full((n, 2), np.nan, dtype=np.float64)
        cat = _codes(category, self.levels)
        if self.price is not None:
            design = _price_design(tokens, cat, _codes(region, self.regions), self)
            log_price = _log_price(price)
            out[:, 0] = log_price - self.price.predict(design)
        if self.category is not None and n:
            logp = self.category.predict_log_proba(tokens)
            known = cat >= 0
            # NB classes are the levels seen among clean rows, in ``levels`` order.
            index = np.searchsorted(self.category.classes_, cat[known])
            index = np.minimum(index, len(self.category.classes_) - 1)
            match = self.category.classes_[index] == cat[known]
            fit = logp[known, index] - logp[known].max(axis=1)
            out[np.flatnonzero(known)[match], 1] = fit[match]
        return out


def fit_context(
    tokens: sp.csr_matrix,
    category: pl.Series,
    region: pl.Series,
    price: pl.Series,
    labels: np.ndarray,
    levels: tuple[str, ...],
    regions: tuple[str, ...],
) -> TextContext:
    """Fit both side models on the clean rows (``labels == 0``)."""
    clean = np.asarray(labels) == 0
    cat = _codes(category, levels)
    reg = _codes(region, regions)
    log_price = _log_price(price)
    shell = TextContext(levels=levels, regions=regions, price=None, category=None)

    priced = clean & np.isfinite(log_price)
    ridge = None
    if priced.sum() >= _MIN_ROWS:
        design = _price_design(tokens[priced], cat[priced], reg[priced], shell)
        ridge = Ridge(alpha=3.0, solver="sparse_cg", tol=1e-4, max_iter=300)
        ridge.fit(design, log_price[priced])

    placed = clean & (cat >= 0)
    nb = None
    if placed.sum() >= _MIN_ROWS and len(np.unique(cat[placed])) > 1:
        nb = MultinomialNB(alpha=0.5).fit(tokens[placed], cat[placed])
    return TextContext(levels=levels, regions=regions, price=ridge, category=nb)


def cross_fit_context(
    tokens: sp.csr_matrix,
    category: pl.Series,
    region: pl.Series,
    price: pl.Series,
    labels: np.ndarray,
    sellers: pl.Series,
    levels: tuple[str, ...],
    regions: tuple[str, ...],
) -> tuple[TextContext, np.ndarray]:
    """The context fitted on all rows, and out-of-fold features for those same rows."""
    fold = (sellers.cast(pl.String).hash(seed=7).to_numpy() % 2).astype(bool)
    out = np.full((tokens.shape[0], len(CONTEXT_FEATURES)), np.nan)
    for side in (False, True):
        fit_rows, pred_rows = fold != side, fold == side
        if fit_rows.sum() < _MIN_ROWS or not pred_rows.any():
            continue
        part = fit_context(
            tokens[fit_rows], category.filter(pl.Series(fit_rows)),
            region.filter(pl.Series(fit_rows)), price.filter(pl.Series(fit_rows)),
            np.asarray(labels)[fit_rows], levels, regions,
        )
        sel = pl.Series(pred_rows)
        out[pred_rows] = part.features(
            tokens[pred_rows], category.filter(sel), region.filter(sel), price.filter(sel)
        )
    full = fit_context(tokens, category, region, price, labels, levels, regions)
    return full, out


def _codes(column: pl.Series, levels: tuple[str, ...]) -> np.ndarray:
    """Index of each value in ``levels``; -1 for unknown or missing."""
    mapping = {level: i for i, level in enumerate(levels)}
    return (
        column.cast(pl.String)
        .replace_strict(mapping, default=-1, return_dtype=pl.Int32)
        .fill_null(-1)
        .to_numpy()
    )


def _log_price(price: pl.Series) -> np.ndarray:
    p = price.cast(pl.Float64, strict=False).to_numpy().astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(p > 0, np.log(p), np.nan)


def _price_design(
    tokens: sp.csr_matrix, cat: np.ndarray, reg: np.ndarray, ctx: TextContext
) -> sp.csr_matrix:
    """Tokens plus one-hot category and region (an unknown level gets no column)."""
    return sp.hstack(
        [tokens, _one_hot(cat, len(ctx.levels)), _one_hot(reg, len(ctx.regions))], format="csr"
    )


def _one_hot(codes: np.ndarray, width: int) -> sp.csr_matrix:
    rows = np.flatnonzero(codes >= 0)
    return sp.csr_matrix(
        (np.ones(rows.size, dtype=np.float32), (rows, codes[rows])), shape=(codes.size, max(width, 1))
    )
