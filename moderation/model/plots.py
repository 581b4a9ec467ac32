"""Plots logged with every training run: PR curve, calibration, feature importance (matplotlib).

Pure: arrays in, ``Figure`` out (plain ``Figure`` objects, not pyplot: no display, no global
registry to leak into); the runner logs them as PNG artefacts.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.metrics import precision_recall_curve

from moderation.model.thresholds import Thresholds

__all__ = ["pr_curve", "calibration", "feature_importance", "training_figures"]


def pr_curve(
    scores: np.ndarray, labels: np.ndarray, thresholds: Thresholds | None = None
) -> Figure:
    precision, recall, cuts = precision_recall_curve(labels, scores)
    fig = Figure(figsize=(6, 4.5))
    ax = fig.subplots()
    ax.plot(recall, precision, lw=1.5)
    if thresholds is not None and cuts.size:
        i = min(np.searchsorted(cuts, thresholds.block_at), cuts.size - 1)
        ax.scatter(
            [recall[i]],
            [precision[i]],
            color="crimson",
            zorder=3,
            label=f"block_at={thresholds.block_at:.3f}",
        )
        ax.legend(loc="lower left")
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall (held-out)", ylim=(0, 1.02))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def calibration(scores: np.ndarray, labels: np.ndarray, bins: int = 15) -> Figure:
    observed, predicted = calibration_curve(labels, scores, n_bins=bins, strategy="quantile")
    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1)
    ax.plot(predicted, observed, marker="o", lw=1.5)
    ax.set(
        xlabel="mean predicted probability",
        ylabel="observed violation rate",
        title="Calibration (held-out)",
    )
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def feature_importance(importance: Mapping[str, float], top: int = 25) -> Figure:
    items = list(importance.items())[:top][::-1]
    fig = Figure(figsize=(7, 0.28 * max(len(items), 4) + 1))
    ax = fig.subplots()
    ax.barh([k for k, _ in items], [v for _, v in items])
    ax.set(xlabel="total gain", title=f"Feature importance (top {len(items)})")
    fig.tight_layout()
    return fig


def training_figures(
    scores: np.ndarray, labels: np.ndarray, thresholds: Thresholds, importance: Mapping[str, float]
) -> dict[str, Figure]:
    """Artefact name -> figure, for ``registry.log_and_register``."""
    figures = {"plots/feature_importance.png": feature_importance(importance)}
    if 0 < int(np.sum(labels)) < len(labels):
        figures["plots/pr_curve.png"] = pr_curve(scores, labels, thresholds)
        figures["plots/calibration.png"] = calibration(scores, labels)
    return figures
