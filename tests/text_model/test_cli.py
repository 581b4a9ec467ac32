"""`moderation text-model train/eval` end to end on a tiny base model and a two-day history."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from moderation.cli import app
from moderation.errors import InputSchemaError, TextModelError
from moderation.text_model import TextStage, load_text_stage_from_mlflow
from pipelines.train_text import read_text_history
from tests.factories import make_listings
from tests.text_model.tiny import make_texts


def _write_day(directory, day: str, n: int, seed: int) -> None:
    texts, labels = make_texts(n, seed=seed)
    ids = [f"{day}-{i:04d}" for i in range(n)]
    listings = make_listings(n, listing_id=ids, title=["Объявление"] * n, description=texts)
    listings.write_parquet(directory / f"listings-{day}.parquet")
    violation = np.where(labels == 1, "prepayment_scam", "ok").tolist()
    pl.DataFrame({"listing_id": ids, "violation": violation}).write_parquet(
        directory / f"truth-{day}.parquet"
    )


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    directory = tmp_path_factory.mktemp("history")
    _write_day(directory, "2026-11-01", 250, seed=21)
    _write_day(directory, "2026-11-02", 250, seed=22)
    return directory


def test_train_then_eval_from_the_command_line(history, tiny_base, tmp_path):
    out = tmp_path / "stage"
    runner = CliRunner()
    # fmt: off
    result = runner.invoke(app, [
        "text-model", "train", "--history", str(history), "--out", str(out), "--base", str(tiny_base),
        "--epochs", "3", "--max-rows", "400", "--trainable-layers", "-1", "--max-length", "48",
        "--lr", "0.002", "--threads", "1",
    ])
    # fmt: on
    assert result.exit_code == 0, result.output
    assert "training on 400 listings" in result.output
    assert "saved text/" in result.output
    stage = TextStage.load(out)
    assert stage.metrics["roc_auc"] > 0.9

    report = tmp_path / "eval.json"
    # fmt: off
    result = runner.invoke(app, [
        "text-model", "eval", "--model", str(out),
        "--listings", str(history / "listings-2026-11-02.parquet"),
        "--truth", str(history / "truth-2026-11-02.parquet"), "--threads", "1", "--json", str(report),
    ])
    # fmt: on
    assert result.exit_code == 0, result.output
    figures = json.loads(report.read_text())
    assert figures["rows_scored"] == 250 and figures["scope"] == "all rows"
    assert figures["removed"] == figures["blocked"] + figures["approved"]
    assert "CPU s per 1 000 scored" in result.output


def test_eval_restricted_to_the_band_of_a_score_run(history, trained, tmp_path):
    from pipelines.train_text import evaluate_text_stage, read_labelled_day

    day = read_labelled_day(
        history / "listings-2026-11-01.parquet", history / "truth-2026-11-01.parquet"
    )
    ids = day["listing_id"]
    band = [i % 5 == 0 for i in range(day.height)]
    decisions = pl.DataFrame(
        {
            "listing_id": ids,
            "decision": ["review" if b else "approve" for b in band],
            "decided_by": ["model"] * day.height,
            "reasons": [["model_uncertain"] if b else ["ok"] for b in band],
        }
    )
    figures = evaluate_text_stage(trained.stage, day, decisions=decisions)
    assert figures["scope"] == "band" and figures["rows_scored"] == sum(band)


def test_history_errors_name_the_file(tmp_path, history):
    with pytest.raises(InputSchemaError, match="no listings-"):
        read_text_history(tmp_path)
    (tmp_path / "listings-2026-11-05.parquet").write_bytes(
        (history / "listings-2026-11-01.parquet").read_bytes()
    )
    with pytest.raises(InputSchemaError, match="no matching truth file truth-2026-11-05.parquet"):
        read_text_history(tmp_path)


def test_train_with_a_base_that_is_not_a_model(history, tmp_path):
    from moderation.text_model import TrainConfig
    from pipelines.train_text import run_train_text

    with pytest.raises(TextModelError, match="not a transformers model directory"):
        run_train_text(
            history, tmp_path / "out", base_dir=tmp_path, config=TrainConfig(), log=lambda _: None
        )


@pytest.mark.slow
def test_logged_to_mlflow_and_loaded_back(trained, tmp_path):
    from pipelines.train_text import log_text_model

    tracking = f"sqlite:///{tmp_path / 'mlflow.db'}"
    out = trained.stage.save(tmp_path / "stage")
    uri = log_text_model(
        out, trained, tracking_uri=tracking, artifact_location=(tmp_path / "art").as_uri()
    )
    assert uri.startswith("runs:/") and uri.endswith("/text_model")
    loaded = load_text_stage_from_mlflow(uri, tracking_uri=tracking)
    texts, _ = make_texts(10, seed=3)
    assert loaded.version == trained.stage.version
    np.testing.assert_allclose(
        loaded.predict_proba(texts), trained.stage.predict_proba(texts), atol=1e-6
    )
    with pytest.raises(TextModelError, match="cannot fetch text model"):
        load_text_stage_from_mlflow("runs:/0123456789abcdef/text_model", tracking_uri=tracking)
