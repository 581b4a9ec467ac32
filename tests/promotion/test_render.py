import datetime as dt

import pytest
import yaml

from moderation.rules.model import RuleFile
from review_queue.promotion import (
    Candidate,
    promote_text,
    report_html,
    report_markdown,
    rule_yaml,
    used_fields,
)

_EV = {"support": 12, "precision": 1.0, "hits": 12, "blocks": 12, "approvals": 0, "coverage": 0.4,
       "overlap_existing": 0.1, "sellers": 9, "days": 2, "backtest_hits_per_day": 6.0,
       "backtest_automation_delta": 0.003, "backtest_precision_known": 1.0}


def _text() -> str:
    cand = Candidate("promoted_20260105_spam_abc123", "pattern", "spam", "exclamation_count > 5",
                     origin="decision tree, 1 clause(s)", evidence=_EV, verdict="propose")
    return rule_yaml(cand, description="Reviewer blocks for spam separated from approvals.", owner="policy",
                     author="rules-suggest", today=dt.date(2026, 1, 5), window="since 2026-01-01",
                     match=[{"title": "!!!", "description": "Купи!!!!!!", "exclamation_count": 9, "junk": 1}],
                     no_match=[{"title": "Диван", "description": "Диван", "exclamation_count": 0}],
                     used_fields=["exclamation_count"])


def test_rule_file_is_a_valid_shadow_rule_with_evidence():
    text = _text()
    data = yaml.safe_load(text)
    rule = RuleFile.model_validate(data)
    assert rule.status == "shadow" and rule.provenance.kind == "promoted"
    assert rule.provenance.evidence.support == 12 and rule.provenance.evidence.precision_vs_reviewers == 1.0
    assert "coverage of the reason 40.0%" in rule.provenance.evidence.notes
    assert "junk" not in data["examples"]["match"][0]
    assert text.startswith("# Proposed by `moderation rules suggest`")


def test_promote_edits_only_status_and_provenance():
    before = _text()
    after = promote_text(before, "promoted_20260105_spam_abc123", who="a.petrova", today=dt.date(2026, 1, 7))
    removed = [line for line in before.splitlines() if line not in after.splitlines()]
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert removed == ["status: shadow"]
    assert added == ["status: active", "  ticket: 'promoted to active by a.petrova on 2026-01-07'"]
    assert RuleFile.model_validate(yaml.safe_load(after)).status == "active"


def test_promote_refuses_a_rule_that_is_not_shadow():
    active = promote_text(_text(), "r", who="x", today=dt.date(2026, 1, 7))
    with pytest.raises(ValueError, match="is 'active'; only a shadow rule can be promoted"):
        promote_text(active, "r", who="x", today=dt.date(2026, 1, 7))
    with pytest.raises(ValueError, match="no top-level `status:` line"):
        promote_text("id: r\n", "r", who="x", today=dt.date(2026, 1, 7))


def test_report_lists_proposed_and_dropped_with_reasons():
    import polars as pl

    kept = Candidate("keep_me", "pattern", "spam", "a > 1", evidence=_EV, verdict="propose", why="meets every criterion")
    dropped = Candidate("drop_me", "list", "spam", "b", entries=(("l", "x"),), evidence={"support": 1},
                        verdict="drop", why="weak: support 1 < 5")
    md = report_markdown([kept, dropped], pl.DataFrame(), since="2026-01-01", decisions=40)
    assert "## Proposed (1)" in md and "## Dropped (1)" in md
    assert "keep_me" in md and "weak: support 1 < 5" in md
    html = report_html(md)
    assert "<table>" in html and "<td>drop_me</td>" in html


def test_used_fields_ignores_string_literals():
    assert used_fields("category = 'price_ratio' AND seller_age_days < 3", ["price_ratio", "seller_age_days", "category"]) \
        == ["seller_age_days", "category"]


def test_demote_is_the_reverse_edit_with_the_reason():
    from review_queue.promotion import demote_text

    active = promote_text(_text(), "r", who="x", today=dt.date(2026, 1, 7))
    back = demote_text(active, "r", who="qa", today=dt.date(2026, 1, 9), why="spot check 40/60 correct")
    assert "status: shadow" in back
    assert "  ticket: 'demoted to shadow by qa on 2026-01-09: spot check 40/60 correct'" in back
    assert RuleFile.model_validate(yaml.safe_load(back)).status == "shadow"
    with pytest.raises(ValueError, match="only a active rule can be demoted"):
        demote_text(back, "r", who="qa", today=dt.date(2026, 1, 9), why="x")
