"""Training runner and `moderation train` / `moderation model`: history days, labelled files, MLflow."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from moderation.errors import InputSchemaError
from moderation.model import load_champion, load_spec
from moderation.model.spec import FeatureSpec, LightGBMSpec, ModelSpec, TextSpec
from moderation.settings import PROJECT_ROOT
from pipelines.train import (
    fill_listing_columns,
    labels_from,
    read_history,
    read_labelled,
    train_and_register,
)

pytestmark = pytest.mark.slow  # trains and logs to a real MLflow SQLite store

TINY_SPEC = """\
name: fraud
features:
  numeric: [price, price_ratio, seller_age_days, seller_listing_count, seller_past_blocks, photo_count]
  optional: [contact_signals, earlier_copies]
  categorical: [category, seller_type]
  text: {max_tokens: 60, min_df: 3}
lightgbm: {n_estimators: 25, num_leaves: 15, min_child_samples: 10}
targets: {confidence_z: 0.0}
"""


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    from moderation.synth import generate_day

    folder = tmp_path_factory.mktemp("history")
    for day in range(3):
        listings, truth = generate_day(day, 1500, seed=5)
        listings.write_parquet(folder / f"listings-2026-11-0{day + 1}.parquet")
        truth.write_parquet(folder / f"truth-2026-11-0{day + 1}.parquet")
    return folder


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    path = tmp_path_factory.mktemp("spec") / "tiny.yaml"
    path.write_text(TINY_SPEC, encoding="utf-8")
    return load_spec(path)


@pytest.fixture(scope="module")
def contacts_csv(tmp_path_factory):
    rng = np.random.default_rng(0)
    clean = ["Продаю диван, самовывоз", "Куртка зимняя, размер 48", "Коляска в хорошем состоянии"]
    bad = [
        "Звоните 8 912 345 67 89",
        "пишите в вотсап восемь девятьсот",
        "тг @deals_ru, телефон в профиле",
    ]
    labels = (rng.random(600) < 0.5).astype(int)
    text = [bad[i % 3] if y else clean[i % 3] for i, y in enumerate(labels)]
    path = tmp_path_factory.mktemp("labelled") / "contacts.csv"
    pl.DataFrame({"description": text, "has_contacts": labels, "idx": range(600)}).write_csv(path)
    return path


def test_read_history_joins_truth_and_corrects_flagged_noise(history):
    data = read_history(history)
    truth = pl.concat([pl.read_parquet(p) for p in sorted(history.glob("truth-*.parquet"))])
    assert data.features.height == truth.height == 4500
    assert data.features["listing_id"].to_list() == truth["listing_id"].to_list()
    raw = (truth["violation"] != "ok").to_numpy()
    assert np.array_equal(data.raw_labels, raw)
    assert np.array_equal(data.labels.astype(bool), raw ^ truth["label_noise"].to_numpy())
    assert "earlier_copies" in data.features.columns and "text_norm" in data.features.columns


def test_read_history_errors(tmp_path, history):
    with pytest.raises(InputSchemaError, match="no listings-\\*.parquet"):
        read_history(tmp_path)
    (tmp_path / "listings-2026-11-01.parquet").write_bytes(
        (history / "listings-2026-11-01.parquet").read_bytes()
    )
    with pytest.raises(InputSchemaError, match="no matching truth file truth-2026-11-01.parquet"):
        read_history(tmp_path)


def test_train_and_register_logs_metrics_thresholds_and_champion(history, spec, tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    lines: list[str] = []
    result = train_and_register(
        read_history(history),
        spec,
        tracking_uri=uri,
        name="fraud",
        artifact_location=(tmp_path / "artifacts").as_uri(),
        rules_dir=PROJECT_ROOT / "rules",
        log=lines.append,
    )
    assert result.version.label == "fraud/1" and result.version.aliases == ("champion",)
    assert any(line.startswith("training on") for line in lines)
    m = result.metrics
    assert 0.8 < m["roc_auc"] <= 1.0
    for key in (
        "automation_rate",
        "block_precision",
        "system_automation_rate",
        "recall_caught_contacts_in_text",
    ):
        assert key in m
    t = result.report.thresholds
    assert 0.0 <= t.approve_below <= t.block_at <= 1.0
    loaded = load_champion(uri, "fraud")
    assert loaded.version == "fraud/1" and loaded.thresholds == t
    assert "thresholds chosen on the" in result.notes[0]


def test_threshold_folds_choose_thresholds_on_every_training_row(history, spec, tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    data = read_history(history)
    kwargs = dict(tracking_uri=uri, name="fraud", artifact_location=(tmp_path / "artifacts").as_uri(), log=lambda _m: None)
    plain = train_and_register(data, spec, **kwargs)
    folded = train_and_register(data, spec, threshold_folds=3, **kwargs)
    # the threshold half joins training, and thresholds see out-of-fold scores of all those rows
    assert folded.metrics["train_rows"] > plain.metrics["train_rows"]
    assert folded.metrics["threshold_set_n"] > plain.metrics["threshold_set_n"]
    assert any("out-of-fold" in note for note in folded.notes)
    assert 0.8 < folded.metrics["roc_auc"] <= 1.0  # still measured on the untouched evaluation half
    with pytest.raises(ValueError, match="threshold_folds"):
        train_and_register(data, spec, threshold_folds=1, **kwargs)


def test_labels_from_numbers_booleans_and_reason_codes():
    labels, reasons = labels_from(pl.Series("y", [0, 1, 2]))
    assert labels.tolist() == [0, 1, 1] and reasons is None
    labels, reasons = labels_from(pl.Series("y", ["ok", "spam", " Approve ", "block"]))
    assert labels.tolist() == [0, 1, 0, 1]
    assert reasons.to_list() == ["ok", "spam", "ok", "block"]
    with pytest.raises(InputSchemaError, match="1 empty value"):
        labels_from(pl.Series("y", [1, None]))
    with pytest.raises(InputSchemaError, match="0/1, booleans or reason codes"):
        labels_from(pl.Series("y", [[1], [2]]))


def test_fill_listing_columns_completes_a_text_only_extract():
    filled = fill_listing_columns(pl.DataFrame({"description": ["a", "b"]}))
    assert filled["listing_id"].to_list() == ["row-0", "row-1"]
    assert filled["seller_id"].to_list() == ["row-0", "row-1"]
    assert filled["title"].to_list() == ["—", "—"]
    assert filled["price"].null_count() == 2


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_read_labelled_accepts_every_dump_format(contacts_csv, tmp_path, fmt):
    frame = pl.read_csv(contacts_csv)
    path = tmp_path / f"extract.{fmt}"
    {"csv": frame.write_csv, "parquet": frame.write_parquet, "jsonl": frame.write_ndjson}[fmt](path)
    data = read_labelled(path, "has_contacts")
    assert data.features.height == 600
    assert data.labels.tolist() == frame["has_contacts"].to_list()
    assert "contact_signals" in data.features.columns


def test_read_labelled_errors(contacts_csv, tmp_path):
    with pytest.raises(InputSchemaError, match="no label column `nope`"):
        read_labelled(contacts_csv, "nope")
    with pytest.raises(InputSchemaError, match="file not found"):
        read_labelled(tmp_path / "missing.csv", "y")
    odd = tmp_path / "odd.txt"
    odd.write_text("x")
    with pytest.raises(InputSchemaError, match="unknown format '.txt'"):
        read_labelled(odd, "y")
    no_text = tmp_path / "no_text.csv"
    pl.DataFrame({"price": [1.0], "y": [1]}).write_csv(no_text)
    with pytest.raises(InputSchemaError, match="needs a `title` or `description`"):
        read_labelled(no_text, "y")


def test_cli_trains_on_a_labelled_file_lists_and_promotes(contacts_csv, tmp_path, monkeypatch):
    from moderation.cli import app

    monkeypatch.setenv("MODERATION_HOME", str(tmp_path / "home"))
    spec_path = tmp_path / "tiny.yaml"
    spec_path.write_text(TINY_SPEC, encoding="utf-8")
    runner = CliRunner()
    args = [
        "train",
        "--labelled",
        str(contacts_csv),
        "--label",
        "has_contacts",
        "--spec",
        str(spec_path),
        "--name",
        "contacts",
    ]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "MLflow tracking URI: sqlite:///" in first.output
    assert "roc_auc" in first.output and "registered contacts/1 (aliases: champion)" in first.output
    second = runner.invoke(app, args)
    assert "registered contacts/2 in" in second.output
    listed = runner.invoke(app, ["model", "list", "--name", "contacts"])
    assert listed.exit_code == 0
    rows = [line.split()[0:2] for line in listed.output.splitlines()[1:]]
    assert rows == [["contacts/2", "-"], ["contacts/1", "champion"]]
    promoted = runner.invoke(app, ["model", "promote", "2", "--name", "contacts"])
    assert "contacts/2 is now champion" in promoted.output
    from moderation.settings import load_settings

    assert load_champion(load_settings().resolved_tracking_uri, "contacts").version == "contacts/2"


def test_cli_needs_exactly_one_source(tmp_path, monkeypatch):
    from moderation.cli import app
    from moderation.errors import ConfigError

    monkeypatch.setenv("MODERATION_HOME", str(tmp_path))
    result = CliRunner().invoke(app, ["train"])
    assert isinstance(result.exception, ConfigError) and "exactly one of --history" in str(
        result.exception
    )
    result = CliRunner().invoke(app, ["train", "--labelled", "x.csv"])
    assert "--labelled needs --label" in str(result.exception)


def test_spec_round_trips_through_the_json_the_run_logs():
    spec = ModelSpec(
        name="x",
        features=FeatureSpec(text=TextSpec(max_tokens=0)),
        lightgbm=LightGBMSpec(n_estimators=1),
    )
    assert ModelSpec.model_validate_json(spec.model_dump_json()) == spec
