"""The README's first command, on a small day: every step runs and the summary is printed."""

import json

import pytest

from pipelines import demo


@pytest.mark.slow
def test_demo_runs_end_to_end_and_points_at_the_queue(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MODERATION_HOME", str(tmp_path / "home"))
    demo.main(["--rows", "4000", "--history-rows", "4000", "--seed", "3"])
    out = capsys.readouterr().out
    for step in ("[1/4]", "[2/4]", "[3/4]", "[4/4]", "automation rate", "vs truth", "http://127.0.0.1:8000/"):
        assert step in out
    report_path = next((tmp_path / "home" / "runs").glob("*/report.json"))
    report = json.loads(report_path.read_text())
    assert report["rows_in"] == 4000 == report["rows_decided"] + report["rows_quarantined"]
    assert report["model_version"] == "fraud/1"
    assert report["review_cases_added"] == report["review"]

    # Run again: a new model version, the same day, and nothing added to the queue twice.
    demo.main(["--rows", "4000", "--history-rows", "4000", "--seed", "3"])
    again = json.loads(report_path.read_text())
    assert again["model_version"] == "fraud/2"
    assert again["review_cases_added"] == 0
