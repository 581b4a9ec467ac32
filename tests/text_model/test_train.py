"""Fine-tuning a tiny model: loss falls, the easy task is separated, thresholds hold on new data."""

from __future__ import annotations

import numpy as np
import pytest

from moderation.errors import TextModelError
from moderation.text_model import TrainConfig, train_text_model
from tests.text_model.tiny import make_texts


def test_training_reduces_the_loss(trained):
    losses = trained.epoch_losses
    assert len(losses) == 4
    assert losses[-1] < 0.5 * losses[0]


def test_trained_stage_separates_unseen_texts(trained):
    from sklearn.metrics import roc_auc_score

    texts, labels = make_texts(300, seed=99)
    scores = trained.stage.predict_proba(texts)[:, 1]
    assert roc_auc_score(labels, scores) > 0.95
    assert trained.metrics["roc_auc"] > 0.95


def test_thresholds_respect_their_targets_on_unseen_data(trained):
    th = trained.stage.thresholds
    assert th.block_at is not None and th.approve_below is not None
    texts, labels = make_texts(400, seed=123)
    scores = trained.stage.predict_proba(texts)[:, 1]
    blocked = scores >= th.block_at
    approved = scores < th.approve_below
    assert blocked.sum() > 0 and approved.sum() > 0
    assert labels[blocked].mean() >= th.block_precision
    assert labels[approved].mean() <= th.approve_violation_share


def test_held_out_metrics_describe_the_thresholds(trained):
    m = trained.metrics
    assert m["rows"] + m["train_rows"] == 600
    assert m["block_precision"] >= 0.99
    assert m["approve_violation_share"] <= 0.003
    assert 0 < m["decided_share"] <= 1
    assert trained.stage.version.startswith("text/")


def test_lower_layers_stay_frozen_when_asked(tiny_base):
    texts, labels = make_texts(40, seed=5)
    config = TrainConfig(epochs=1, trainable_layers=1, max_length=32, min_support=1, num_threads=1)
    result = train_text_model(texts, labels, tiny_base, config)
    from transformers import AutoModelForSequenceClassification

    base = AutoModelForSequenceClassification.from_pretrained(tiny_base, num_labels=2)
    tuned = result.stage.model
    first_before = base.bert.encoder.layer[0].attention.self.query.weight
    first_after = tuned.bert.encoder.layer[0].attention.self.query.weight
    last_before = base.bert.encoder.layer[1].attention.self.query.weight
    last_after = tuned.bert.encoder.layer[1].attention.self.query.weight
    assert np.array_equal(first_before.detach().numpy(), first_after.detach().numpy())
    assert not np.array_equal(last_before.detach().numpy(), last_after.detach().numpy())


def test_keep_layers_cuts_the_encoder(tiny_base):
    texts, labels = make_texts(40, seed=6)
    config = TrainConfig(epochs=1, keep_layers=1, max_length=32, min_support=1, num_threads=1)
    result = train_text_model(texts, labels, tiny_base, config)
    assert len(result.stage.model.bert.encoder.layer) == 1


def test_bad_training_input_is_rejected(tiny_base, tmp_path):
    texts, labels = make_texts(40, seed=7)
    with pytest.raises(ValueError, match="same length"):
        train_text_model(texts, labels[:-1], tiny_base)
    with pytest.raises(ValueError, match="both classes"):
        train_text_model(texts, np.zeros(40), tiny_base)
    with pytest.raises(TextModelError, match="no config.json"):
        train_text_model(texts, labels, tmp_path)
    with pytest.raises(ValueError, match="held_out must be in"):
        TrainConfig(held_out=1.0)
