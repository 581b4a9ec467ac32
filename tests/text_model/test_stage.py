"""Saving and loading a stage directory; a missing or corrupt directory fails clearly."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from moderation.errors import TextModelError
from moderation.text_model import STAGE_FILE, TextStage
from tests.text_model.tiny import make_texts


@pytest.fixture(scope="module")
def saved(trained, tmp_path_factory):
    return trained.stage.save(tmp_path_factory.mktemp("stage") / "model")


def test_a_saved_stage_loads_and_scores_identically(trained, saved):
    texts, _ = make_texts(50, seed=11)
    loaded = TextStage.load(saved, num_threads=1)
    assert loaded.version == trained.stage.version
    assert loaded.thresholds == trained.stage.thresholds
    assert loaded.metrics["roc_auc"] == pytest.approx(trained.metrics["roc_auc"])
    np.testing.assert_allclose(
        loaded.predict_proba(texts), trained.stage.predict_proba(texts), atol=1e-5
    )


def test_scores_do_not_depend_on_batching_or_order(saved):
    texts, _ = make_texts(37, seed=12)
    small = TextStage.load(saved, batch_size=4).predict_proba(texts)
    big = TextStage.load(saved, batch_size=64).predict_proba(texts[::-1])[::-1]
    assert small.shape == (37, 2)
    np.testing.assert_allclose(small.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(small, big, atol=1e-5)


def test_empty_and_null_texts(saved):
    stage = TextStage.load(saved)
    assert stage.predict_proba([]).shape == (0, 2)
    probs = stage.predict_proba([None, ""])
    assert probs.shape == (2, 2) and np.isfinite(probs).all()


def test_missing_directory(tmp_path):
    with pytest.raises(TextModelError, match="does not exist"):
        TextStage.load(tmp_path / "nowhere")


def test_directory_without_stage_file(saved, tmp_path):
    copy = shutil.copytree(saved, tmp_path / "m")
    (copy / STAGE_FILE).unlink()
    with pytest.raises(TextModelError, match=f"{STAGE_FILE} is missing"):
        TextStage.load(copy)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "must hold a JSON object"),
        ('{"format_version": 1, "version": "text/x"}', r"lacks required key\(s\) \['thresholds'\]"),
        ('{"format_version": 9, "version": "t", "thresholds": {}}', "format_version must be 1"),
        (
            '{"format_version": 1, "version": "t", "thresholds": {"block_at": 3, "approve_below": 0.1}}',
            "bad 'thresholds'",
        ),
    ],
)
def test_corrupt_stage_file(saved, tmp_path, content, message):
    copy = shutil.copytree(saved, tmp_path / "m")
    (copy / STAGE_FILE).write_text(content)
    with pytest.raises(TextModelError, match=message):
        TextStage.load(copy)


def test_corrupt_weights(saved, tmp_path):
    copy = shutil.copytree(saved, tmp_path / "m")
    (copy / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(TextModelError, match="cannot load the transformers model"):
        TextStage.load(copy)


def test_wrong_number_of_labels(saved, tmp_path):
    copy = shutil.copytree(saved, tmp_path / "m")
    config = json.loads((copy / "config.json").read_text())
    config["id2label"] = {"0": "a", "1": "b", "2": "c"}
    config["label2id"] = {"a": 0, "b": 1, "c": 2}
    (copy / "config.json").write_text(json.dumps(config))
    with pytest.raises(TextModelError):
        TextStage.load(copy)
