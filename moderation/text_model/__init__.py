"""The transformers text stage: re-scores only the fraud model's uncertain band.

A sequence classifier fine-tuned on listing text (``train``), loaded from a local directory or an
MLflow artefact (``stage``), applied purely to the band rows of a decision frame (``apply``), and
allowed to decide only where its targets hold on held-out data at 95 % confidence
(``thresholds``); a stage that may decide nothing is not run at all.
"""

from __future__ import annotations

from moderation.text_model.apply import TEXT_REASON_BLOCK, apply_text_stage, band_mask
from moderation.text_model.stage import STAGE_FILE, TextStage, load_text_stage_from_mlflow
from moderation.text_model.texts import listing_texts
from moderation.text_model.thresholds import TextThresholds, choose_text_thresholds
from moderation.text_model.train import TrainConfig, TrainResult, held_out_metrics, train_text_model

__all__ = [
    "TextStage",
    "TextThresholds",
    "TrainConfig",
    "TrainResult",
    "STAGE_FILE",
    "TEXT_REASON_BLOCK",
    "apply_text_stage",
    "band_mask",
    "choose_text_thresholds",
    "held_out_metrics",
    "listing_texts",
    "load_text_stage_from_mlflow",
    "train_text_model",
]
