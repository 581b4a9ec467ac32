"""suggest -> shadow rule files -> promote -> the next score uses the rule (the issue's test)."""

import datetime as dt
import shutil
from dataclasses import dataclass

import numpy as np
import polars as pl
import pytest

from moderation.decide import Thresholds
from moderation.errors import RuleValidationError
from moderation.features import compute_day_stats
from moderation.rules import load_ruleset
from moderation.schema import LISTING_COLUMNS
from moderation.scoring import Scorer, score_batch
from moderation.settings import PROJECT_ROOT
from pipelines.suggest import promote_rule, suggest

_TEXT = "Отправлю курьерской доставкой через сервис Быстрая Посылка, оформите заказ на странице службы лот {i}"


@dataclass
class _ConstantModel:
    """A stand-in for the fraud model: every listing scores 0.5, inside the review band."""

    def predict_proba(self, frame):
        return np.tile([0.5, 0.5], (frame.height, 1))


@dataclass
class _Loaded:
    model: _ConstantModel
    thresholds: Thresholds
    version: str = "test-1"


@pytest.fixture
def rules_dir(tmp_path):
    target = tmp_path / "rules"
    shutil.copytree(PROJECT_ROOT / "rules", target)
    return target


@pytest.fixture
def reviewed(make_raw_decisions):
    return make_raw_decisions(scam_text=_TEXT, phone="+7912345000{k}")


def test_suggest_writes_list_and_pattern_shadow_rules_then_promote_makes_the_next_score_use_it(
    reviewed, rules_dir, tmp_path
):
    before = load_ruleset(rules_dir)
    result = suggest(reviewed, rules_dir=rules_dir, out_dir=tmp_path / "report", since="2026-01-01",
                     today=dt.date(2026, 1, 4))
    kinds = {c.kind for c in result.proposed}
    assert kinds == {"list", "pattern"}, [(c.id, c.why) for c in result.candidates]
    for cand in result.proposed:
        assert cand.evidence["support"] >= 5 and cand.evidence["precision"] == 1.0
        assert "backtest" not in cand.evidence  # no history given
    phones = next(c for c in result.proposed if c.id.endswith("_phones"))
    assert {e for _, e in phones.entries} == {f"7912345000{k}" for k in range(4)}
    report = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert phones.id in report and "## Dropped" in report
    assert (tmp_path / "report" / "report.html").is_file()

    after = load_ruleset(rules_dir)  # every written file validates
    new = {r.id for r in after.shadow} - {r.id for r in before.shadow}
    assert new == {c.id for c in result.proposed}
    assert (rules_dir / "lists" / f"{phones.id}.txt").is_file()

    listing = reviewed.filter(pl.col("listing_id") == "scam1").with_columns(
        [pl.lit(None, dtype=t).alias(n) for n, t in LISTING_COLUMNS.items() if n not in reviewed.columns]
    )
    stats = compute_day_stats(reviewed)
    model = _Loaded(_ConstantModel(), Thresholds(approve_below=0.1, block_at=0.9))
    shadow_run = score_batch(listing, stats, Scorer(ruleset=after, model=model), "run-1").decisions
    assert phones.id in shadow_run["shadow_hits"][0].to_list()
    assert shadow_run["decision"][0] == "review"  # a shadow rule never changes a decision

    promote_rule(rules_dir, phones.id, who="a.petrova", today=dt.date(2026, 1, 6))
    promoted = load_ruleset(rules_dir)
    assert promoted.get(phones.id).status == "active"
    next_run = score_batch(listing, stats, Scorer(ruleset=promoted, model=model), "run-2").decisions
    assert phones.id in next_run["rule_hits"][0].to_list()
    assert next_run["decision"][0] == "block" and next_run["decided_by"][0] == "rule"


def test_suggest_proposes_nothing_already_covered(reviewed, rules_dir, tmp_path):
    first = suggest(reviewed, rules_dir=rules_dir, out_dir=None, today=dt.date(2026, 1, 4))
    assert first.proposed
    again = suggest(reviewed, rules_dir=rules_dir, out_dir=None, today=dt.date(2026, 1, 5))
    assert again.proposed == []
    assert all(c.why.startswith("redundant") for c in again.candidates if c.kind == "pattern")


def test_promote_errors_name_the_rule(rules_dir):
    with pytest.raises(RuleValidationError, match="no rule file for id `nope`"):
        promote_rule(rules_dir, "nope", who="x")
    with pytest.raises(RuleValidationError, match="only a shadow rule can be promoted"):
        promote_rule(rules_dir, "contacts_phone_in_text", who="x")


def test_dry_run_writes_report_but_no_rules(reviewed, rules_dir, tmp_path):
    files = sorted(p.name for p in rules_dir.rglob("*"))
    result = suggest(reviewed, rules_dir=rules_dir, out_dir=tmp_path / "r", write_rules=False)
    assert result.proposed and result.written == []
    assert sorted(p.name for p in rules_dir.rglob("*")) == files


_HAND_RULE = """id: hand_courier_scam
description: A person's own guess at the courier scam, not yet confirmed by reviewers.
owner: policy-fraud
action: block
reason: prepayment_scam
status: {status}
condition: regexp_like(text_norm, 'курьерск')
examples:
  match:
    - description: "Отправлю курьерской доставкой, оплата по ссылке"
  no_match:
    - description: "Самовывоз, торг"
provenance:
  kind: written_by_hand
  author: i.smirnov
  date: 2026-01-01
"""


@pytest.mark.parametrize("status, mined", [("shadow", True), ("active", False)])
def test_only_active_rules_make_a_mined_pattern_redundant(reviewed, rules_dir, status, mined):
    # an unproven hand-written shadow rule must not stop reviewers' evidence from being mined
    (rules_dir / "hand_courier_scam.yaml").write_text(_HAND_RULE.format(status=status), encoding="utf-8")
    result = suggest(reviewed, rules_dir=rules_dir, out_dir=None, today=dt.date(2026, 1, 4), write_rules=False)
    patterns = [c for c in result.candidates if c.kind == "pattern" and c.reason_code == "prepayment_scam"]
    assert patterns
    assert any(c.verdict == "propose" for c in patterns) is mined
    if not mined:
        assert all("existing rules already catch" in c.why for c in patterns)


def test_reject_disables_a_shadow_rule_and_says_why(rules_dir):
    from pipelines.suggest import reject_rule

    path = reject_rule(rules_dir, "prepayment_safe_deal_link", who="policy", why="precision 0.90 < 0.95",
                       today=dt.date(2026, 1, 7))
    assert load_ruleset(rules_dir).get("prepayment_safe_deal_link").status == "disabled"
    assert "rejected by policy on 2026-01-07: precision 0.90 < 0.95" in path.read_text(encoding="utf-8")
    with pytest.raises(RuleValidationError, match="only a shadow rule can be rejected"):
        reject_rule(rules_dir, "contacts_phone_in_text", who="x", why="-")
