"""Shared fixtures: a tiny base encoder and one fine-tuning run on an easy synthetic task."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.text_model.tiny import build_tiny_base, make_texts


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory) -> Path:
    texts, _ = make_texts(200, seed=1)
    return build_tiny_base(tmp_path_factory.mktemp("tiny_base"), texts)


@pytest.fixture(scope="session")
def trained(tiny_base):
    """One fine-tuning run shared by the tests that need a trained stage.

    Point-estimate thresholds (``confidence=None``): 240 held-out rows cannot prove 0.3 % at 95 %.
    """
    from moderation.text_model import TrainConfig, train_text_model

    texts, labels = make_texts(600, seed=2)
    config = TrainConfig(
        epochs=4, batch_size=16, learning_rate=2e-3, trainable_layers=None, max_length=48,
        held_out=0.4, min_support=10, confidence=None, seed=0, num_threads=1,
    )  # fmt: skip
    return train_text_model(texts, labels, tiny_base, config)
