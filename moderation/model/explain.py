"""Explanations: the features that moved each listing's score most, from LightGBM's own SHAP values.

``pred_contrib`` gives, per row, one additive contribution (in log-odds) per feature plus the bias;
we keep the ``k`` largest by absolute value, named as people read them (``price_ratio``,
``tok=предоплата``). Computing contributions costs far more than predicting (TreeSHAP), so callers
ask for them only on the rows that need them, in chunks to bound memory.
"""

from __future__ import annotations

from collections.abc import Sequence

import lightgbm as lgb
import numpy as np
import scipy.sparse as sp

__all__ = ["top_contributions", "CHUNK_ROWS"]

CHUNK_ROWS = 20_000


def top_contributions(
    booster: lgb.Booster,
    matrix: sp.csr_matrix | np.ndarray,
    feature_names: Sequence[str],
    k: int = 3,
) -> list[list[tuple[str, float]]]:
    """Per row, up to ``k`` ``(feature, contribution)`` pairs, largest ``|contribution|`` first.

    Features with a zero contribution are left out, so a row may carry fewer than ``k`` pairs.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1. Got {k} instead.")
    n_features = len(feature_names)
    if matrix.shape[1] != n_features:
        raise ValueError(f"matrix has {matrix.shape[1]} columns for {n_features} feature names.")
    names = np.asarray(feature_names, dtype=object)
    out: list[list[tuple[str, float]]] = []
    for start in range(0, matrix.shape[0], CHUNK_ROWS):
        chunk = matrix[start : start + CHUNK_ROWS]
        contrib = booster.predict(chunk, pred_contrib=True)
        if isinstance(contrib, list):  # multi-class shape; binary models give one matrix
            contrib = contrib[0]
        out.extend(_top_k(sp.csr_matrix(contrib), n_features, names, k))
    return out


def _top_k(
    contrib: sp.csr_matrix, n_features: int, names: np.ndarray, k: int
) -> list[list[tuple[str, float]]]:
    """Vectorised top-k per row of a sparse contribution matrix (the bias column is dropped)."""
    coo = contrib.tocoo()
    keep = (coo.col < n_features) & (coo.data != 0)
    rows, cols, vals = coo.row[keep], coo.col[keep], coo.data[keep]
    order = np.lexsort((-np.abs(vals), rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    starts = np.searchsorted(rows, np.arange(contrib.shape[0]))
    rank = np.arange(rows.shape[0]) - starts[rows]
    top = rank < k
    rows, cols, vals = rows[top], cols[top], vals[top]
    result: list[list[tuple[str, float]]] = [[] for _ in range(contrib.shape[0])]
    for r, name, v in zip(rows.tolist(), names[cols].tolist(), vals.tolist(), strict=True):
        result[r].append((name, round(v, 4)))
    return result
