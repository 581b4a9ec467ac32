"""Model specs: the shipped spec loads; bad specs fail with the file and the key."""

from __future__ import annotations

import pytest

from moderation.errors import ConfigError
from moderation.model import FraudModel, ModelSpec, load_spec
from moderation.settings import PROJECT_ROOT


def _write(tmp_path, text: str):
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_fraud_spec_loads_and_builds_an_estimator():
    spec = load_spec(PROJECT_ROOT / "models" / "fraud.yaml")
    assert spec.name == "fraud"
    assert spec.targets.block_precision == 0.99
    assert spec.targets.approve_violation_rate == 0.003
    model = FraudModel(**spec.estimator_params())
    assert model.numeric_features == spec.features.numeric
    assert model.n_estimators == spec.lightgbm.n_estimators
    assert model.context_tokens == spec.features.text.context_tokens
    assert model.text_memory == spec.features.text.memory


def test_defaults_fill_everything_but_the_name(tmp_path):
    spec = load_spec(_write(tmp_path, "name: tiny\n"))
    assert spec == ModelSpec(name="tiny")
    assert spec.features.text.max_tokens == 2000


def test_unknown_key_is_rejected_with_file_and_key(tmp_path):
    path = _write(tmp_path, "name: x\nlightgbm:\n  n_estimator: 10\n")
    with pytest.raises(ConfigError) as info:
        load_spec(path)
    assert f"{path}: lightgbm.n_estimator: unknown key" in str(info.value)


def test_bad_values_are_all_reported(tmp_path):
    path = _write(
        tmp_path,
        "name: x\ntargets:\n  block_precision: 1.5\nfeatures:\n  text:\n    ngram_max: 3\n",
    )
    with pytest.raises(ConfigError) as info:
        load_spec(path)
    message = str(info.value)
    assert "targets.block_precision" in message and "Got 1.5 instead" in message
    assert "features.text.ngram_max" in message and "Got 3 instead" in message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "must be a mapping"),
        ("name: [unclosed\n", "not valid YAML"),
        ("description: no name\n", "name: Field required"),
    ],
)
def test_malformed_specs(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_spec(_write(tmp_path, text))


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="model spec not found"):
        load_spec(tmp_path / "nope.yaml")
