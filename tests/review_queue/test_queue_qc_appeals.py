"""Contract: blind second reviews, gold cases, agreement, appeals and the stats report."""

from __future__ import annotations

from datetime import timedelta

import pytest

from review_queue import (
    AppealNotAllowedError,
    CaseNotFoundError,
    QueueError,
    QueuePolicy,
    open_store,
)
from review_queue.policy import sampled_for_second_review


@pytest.fixture
def store(store_url, clock):
    s = open_store(store_url, clock=clock, policy=QueuePolicy(second_review_share=1.0))
    yield s
    s.close()


def _decide_all(store, moderator, verdicts, role="moderator"):
    claimed = store.claim(moderator, role=role, limit=len(verdicts))
    for case, (decision, reason) in zip(claimed, verdicts, strict=True):
        store.decide(case.id, moderator, decision, reason)
    return claimed


def test_second_review_is_blind_and_goes_to_someone_else(store, new_case):
    store.enqueue([new_case(1)])
    (first,) = _decide_all(store, "anna", [("block", "spam")])
    assert store.claim("anna", limit=5) == []  # anna never reviews her own decision
    (second,) = store.claim("boris", limit=5)
    assert second.kind == "second" and second.parent_id == first.id
    assert second.decision is None and second.listing == first.listing
    decide_entry = [e for e in store.audit(first.id) if e.action == "decide"][0]
    assert decide_entry.detail["second_review_case_id"] == second.id
    store.decide(second.id, "boris", "block", "prepayment_scam")
    assert store.decisions_since(first.enqueued_at - timedelta(days=1)) != []
    kinds = {r.kind for r in store.decisions_since(first.enqueued_at - timedelta(seconds=1), kinds=("second",))}
    assert kinds == {"second"}


def test_agreement_per_moderator_and_reason(store, new_case):
    store.enqueue([new_case(i) for i in range(4)])
    _decide_all(store, "anna", [("block", "spam"), ("block", "spam"), ("approve", "ok"), ("block", "duplicate")])
    _decide_all(store, "boris", [("block", "spam"), ("block", "fake_job"), ("approve", "ok"), ("approve", "ok")])
    agreement = store.agreement()
    (anna,) = agreement.by_moderator
    assert (anna.key, anna.pairs, anna.agree, anna.agree_decision) == ("anna", 4, 2, 3)
    by_reason = {row.key: (row.pairs, row.agree) for row in agreement.by_reason}
    assert by_reason == {"spam": (2, 1), "ok": (1, 1), "duplicate": (1, 0)}


def test_gold_cases_score_moderators_and_skip_second_review(store, new_case):
    added = store.seed_gold(
        [new_case(1, run_id="gold"), new_case(2, run_id="gold")],
        [("block", "prepayment_scam"), ("approve", "ok")],
    )
    assert added == 2
    claimed = store.claim("anna", limit=5)
    assert all(c.kind == "review" for c in claimed)  # indistinguishable to the moderator
    answers = {"L000001": ("block", "prepayment_scam"), "L000002": ("block", "spam")}
    for case in claimed:
        store.decide(case.id, "anna", *answers[case.listing_id])
    (row,) = store.agreement().gold_by_moderator
    assert (row.key, row.pairs, row.agree) == ("anna", 2, 1)
    assert store.claim("boris", limit=5) == []  # no second review of gold
    assert store.decisions_since(claimed[0].enqueued_at - timedelta(days=1)) == []


def test_gold_answers_are_validated(store, new_case):
    with pytest.raises(QueueError, match="must pair up"):
        store.seed_gold([new_case(1)], [])
    with pytest.raises(QueueError, match="a block needs a violation reason"):
        store.seed_gold([new_case(1)], [("block", "ok")])


def test_appeal_reenters_with_priority_for_a_senior(store, clock, new_case):
    store.enqueue([new_case(i, risk=1.0) for i in range(3)])
    (case,) = store.claim("anna", limit=1)
    store.decide(case.id, "anna", "block", "prepayment_scam", note="предоплата")
    store.release([c.id for c in store.claim("boris", limit=5)], "boris")
    appeal = store.appeal(case.listing_id, case.run_id, actor="support", note="Я не мошенник")
    assert (appeal.kind, appeal.required_role, appeal.parent_id) == ("appeal", "senior", case.id)
    assert appeal.appeal_note == "Я не мошенник"
    assert all(c.kind != "appeal" for c in store.claim("boris", limit=10))  # moderators never get it
    first = store.claim("olga", role="senior", limit=1)[0]
    assert first.id == appeal.id  # ahead of the risky pipeline cases
    original = store.get_case(first.parent_id)
    assert (original.decision, original.reason_code, original.decided_by) == ("block", "prepayment_scam", "anna")
    store.decide(appeal.id, "olga", "approve", "ok", note="продавец подтвердил")
    assert [e.action for e in store.audit(case.id)][-1] == "appealed"
    with pytest.raises(AppealNotAllowedError, match="only a block can be appealed"):
        store.appeal(case.listing_id, case.run_id, actor="support", note="again")


def test_appeal_refusals(store, new_case):
    store.enqueue([new_case(1), new_case(2)])
    with pytest.raises(CaseNotFoundError, match="no case for listing 'nope'"):
        store.appeal("nope", "run-1", actor="support", note="x")
    with pytest.raises(AppealNotAllowedError, match="has not been decided yet"):
        store.appeal("L000001", "run-1", actor="support", note="x")
    claimed = store.claim("anna", limit=2)
    store.decide(claimed[0].id, "anna", "block", "spam")
    store.decide(claimed[1].id, "anna", "approve", "ok")
    store.appeal(claimed[0].listing_id, "run-1", actor="support", note="x")
    with pytest.raises(AppealNotAllowedError, match="still under appeal"):
        store.appeal(claimed[0].listing_id, "run-1", actor="support", note="x")
    with pytest.raises(AppealNotAllowedError, match="only a block"):
        store.appeal(claimed[1].listing_id, "run-1", actor="support", note="x")


def test_stats_report_backlog_breaches_and_throughput(store, clock, new_case):
    store.enqueue([new_case(i, risk=0.0) for i in range(4)])
    clock.advance(hours=5)
    store.enqueue([new_case(10, reasons=("spam",), risk=0.0)])
    for case in store.claim("anna", limit=2):
        store.decide(case.id, "anna", "approve", "ok")
    clock.advance(hours=20)  # the first cases are 25 h old: past their 24 h deadline
    stats = store.stats()
    backlog = {(k, r, a): n for k, r, a, n in stats.backlog}
    assert backlog == {
        ("review", "prepayment_scam", "1-3d"): 2,
        ("review", "spam", "4-24h"): 1,
        ("second", "prepayment_scam", "4-24h"): 2,
    }
    assert stats.open_total == 5 and stats.decided_total == 2
    assert stats.sla_breached_open == 2 and stats.sla_breached_decided == 0
    (anna,) = stats.throughput
    assert (anna.moderator, anna.decided, anna.last_24h, anna.last_hour) == ("anna", 2, 2, 0)
    as_dict = stats.to_dict()
    assert as_dict["backlog"][0]["age"] in {"1-3d", "4-24h"}


def test_sampling_share_is_deterministic_and_roughly_right():
    picks = [sampled_for_second_review(i, 0.1) for i in range(5000)]
    assert picks == [sampled_for_second_review(i, 0.1) for i in range(5000)]
    assert 0.08 < sum(picks) / len(picks) < 0.12
    assert not any(sampled_for_second_review(i, 0.0) for i in range(100))
    assert all(sampled_for_second_review(i, 1.0) for i in range(100))


def test_policy_rejects_bad_values():
    with pytest.raises(ValueError, match="second_review_share must be in"):
        QueuePolicy(second_review_share=1.5)
    with pytest.raises(ValueError, match="lease_seconds must be > 0"):
        QueuePolicy(lease_seconds=0)
