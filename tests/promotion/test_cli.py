"""``moderation rules suggest`` / ``rules promote`` as a user runs them (subprocess through main)."""

import datetime as dt
import os
import shutil
import subprocess
import sys

import pytest

from moderation.settings import PROJECT_ROOT

_SHADOW = """\
# A hand-written rule under test: keep this comment.
id: spam_many_exclamations
description: Titles and descriptions that shout with many exclamation marks.
owner: policy-spam
action: block
reason: spam
status: shadow
condition: exclamation_count > 8
examples:
  match:
    - description: "Купи!!!!!!!!!! Срочно!!!"
  no_match:
    - description: "Продам диван"
provenance:
  kind: written_by_hand
  author: a.petrova
  date: 2026-10-02
"""


def _run(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "300", "MODERATION_HOME": str(tmp_path / "home"), "MODERATION_RULES_DIR": str(tmp_path / "rules")}
    return subprocess.run([sys.executable, "-c", "from moderation.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)


@pytest.fixture
def rules(tmp_path):
    shutil.copytree(PROJECT_ROOT / "rules", tmp_path / "rules")
    (tmp_path / "rules" / "spam_many_exclamations.yaml").write_text(_SHADOW, encoding="utf-8")
    return tmp_path / "rules"


def test_promote_turns_a_shadow_rule_active_keeping_the_rest_of_the_file(tmp_path, rules):
    result = _run(tmp_path, "rules", "promote", "spam_many_exclamations", "--who", "i.ivanov")
    assert result.returncode == 0, result.stderr
    text = (rules / "spam_many_exclamations.yaml").read_text(encoding="utf-8")
    assert "status: active" in text and "status: shadow" not in text
    assert text.startswith("# A hand-written rule under test: keep this comment.")
    assert f"ticket: 'promoted to active by i.ivanov on {dt.date.today().isoformat()}'" in text
    again = _run(tmp_path, "rules", "promote", "spam_many_exclamations")
    assert again.returncode == 1 and "only a shadow rule can be promoted" in again.stderr
    assert "Traceback" not in again.stderr


def test_suggest_on_an_empty_queue_reports_nothing_to_propose(tmp_path, rules):
    result = _run(tmp_path, "rules", "suggest", "--since", "2026-01-01", "--out", str(tmp_path / "report"))
    assert result.returncode == 0, result.stderr
    assert "0 candidate(s) proposed" in result.stdout


def test_suggest_rejects_a_bad_date(tmp_path, rules):
    result = _run(tmp_path, "rules", "suggest", "--since", "yesterday")
    assert result.returncode == 2
    assert "--since must be a date like 2026-01-31. Got 'yesterday' instead." in result.stderr
