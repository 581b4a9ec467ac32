"""``moderation queue``: add-user prints a working token once; stats reads the same store."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from moderation.cli import app
from review_queue import open_store
from review_queue.protocol import QueueStore


def test_add_user_and_stats(sqlite_url, new_case, monkeypatch, tmp_path):
    monkeypatch.setenv("MODERATION_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MODERATION_QUEUE_URL", sqlite_url)
    runner = CliRunner()
    created = runner.invoke(app, ["queue", "add-user", "anna", "--role", "senior"])
    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    store = open_store(sqlite_url)
    try:
        assert store.users.authenticate(token).role == "senior"
        store.enqueue([new_case(i) for i in range(3)])
    finally:
        store.close()
    report = runner.invoke(app, ["queue", "stats", "--json"])
    assert report.exit_code == 0, report.output
    data = json.loads(report.output)
    assert data["open_total"] == 3
    assert data["backlog"] == [{"kind": "review", "reason": "prepayment_scam", "age": "<1h", "count": 3}]
    table = runner.invoke(app, ["queue", "stats"])
    assert table.exit_code == 0 and "Backlog by reason and age" in table.output


def test_add_user_rejects_unknown_role(sqlite_url, monkeypatch, tmp_path):
    monkeypatch.setenv("MODERATION_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MODERATION_QUEUE_URL", sqlite_url)
    result = CliRunner().invoke(app, ["queue", "add-user", "bob", "--role", "boss"])
    assert result.exit_code != 0
    assert "role must be one of moderator, senior, policy, admin" in str(result.exception)


def test_store_implements_the_protocol(store_url):
    store = open_store(store_url)
    try:
        assert isinstance(store, QueueStore)
    finally:
        store.close()
