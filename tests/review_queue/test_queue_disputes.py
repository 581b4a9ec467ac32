"""Contract: a blind second review that disagrees with the first decision goes to a senior."""

from __future__ import annotations

from datetime import timedelta

import pytest

from review_queue import AppealNotAllowedError, QueuePolicy, open_store
from review_queue.disputes import DISPUTE_PRIORITY


@pytest.fixture
def store(store_url, clock):
    s = open_store(store_url, clock=clock, policy=QueuePolicy(second_review_share=1.0))
    yield s
    s.close()


def _first_and_second(store, new_case, first_verdict, second_verdict, i=1):
    """anna decides case ``i``, boris decides its blind second review; returns both verdicts."""
    store.enqueue([new_case(i)])
    (case,) = [c for c in store.claim("anna", limit=10) if c.listing_id == f"L{i:06d}"]
    first = store.decide(case.id, "anna", *first_verdict)
    (second_case,) = store.claim("boris", limit=10, kinds=["second"])
    second = store.decide(second_case.id, "boris", *second_verdict)
    return first, second


def test_disagreement_opens_a_dispute_for_a_senior(store, new_case, clock):
    store.enqueue([new_case(i, risk=1.0) for i in range(10, 13)])  # risky pipeline work waiting
    first, second = _first_and_second(store, new_case, ("block", "prepayment_scam"), ("approve", "ok"))
    assert first.dispute_case_id is None and second.dispute_case_id is not None
    dispute = store.get_case(second.dispute_case_id)
    assert (dispute.kind, dispute.required_role, dispute.state) == ("dispute", "senior", "open")
    assert dispute.parent_id == second.case_id and dispute.listing_id == first.listing_id
    assert dispute.priority == DISPUTE_PRIORITY
    assert dispute.due_at == clock() + timedelta(hours=QueuePolicy().dispute_sla_hours)
    assert [e.action for e in store.audit(dispute.id)] == ["dispute_opened"]
    # Moderators never get it, whoever they are; a senior gets it ahead of pipeline cases.
    assert all(c.kind != "dispute" for c in store.claim("carl", limit=10))
    (claimed,) = store.claim("olga", role="senior", limit=1)
    assert claimed.id == dispute.id
    second_case = store.get_case(claimed.parent_id)
    first_case = store.get_case(second_case.parent_id)
    assert (first_case.decision, first_case.decided_by) == ("block", "anna")
    assert (second_case.decision, second_case.decided_by) == ("approve", "boris")


def test_the_senior_decides_the_final_word(store, new_case, clock):
    start = clock() - timedelta(seconds=1)
    _first_and_second(store, new_case, ("block", "prepayment_scam"), ("approve", "ok"), i=1)
    _first_and_second(store, new_case, ("approve", "ok"), ("approve", "ok"), i=2)  # agreement: no dispute
    clock.advance(minutes=5)
    (dispute,) = store.claim("olga", role="senior", limit=5)
    store.decide(dispute.id, "olga", "block", "prohibited_goods", note="оружие на фото")
    final = {(r.listing_id, r.kind, r.decision, r.reason_code) for r in store.decisions_since(start)}
    assert final == {("L000001", "dispute", "block", "prohibited_goods"), ("L000002", "review", "approve", "ok")}
    # Asked for second reviews explicitly, QC still sees both of them.
    assert len(store.decisions_since(start, kinds=("second",))) == 2
    # The dispute settles nothing for agreement figures: the pair still counts as disagreement.
    (anna,) = store.agreement().by_moderator
    assert (anna.pairs, anna.agree_decision) == (2, 1)


def test_same_decision_with_another_reason_is_not_a_dispute(store, new_case):
    _, second = _first_and_second(store, new_case, ("block", "prepayment_scam"), ("block", "spam"))
    assert second.dispute_case_id is None
    assert store.claim("olga", role="senior", limit=5) == []


def test_appeals_follow_the_dispute(store, new_case):
    first, second = _first_and_second(store, new_case, ("approve", "ok"), ("block", "prepayment_scam"))
    with pytest.raises(AppealNotAllowedError, match="disputed between two moderators"):
        store.appeal(first.listing_id, first.run_id, actor="support", note="?")
    (dispute,) = store.claim("olga", role="senior", limit=1)
    store.decide(dispute.id, "olga", "block", "prepayment_scam")
    appeal = store.appeal(first.listing_id, first.run_id, actor="support", note="Я не мошенник")
    assert (appeal.kind, appeal.parent_id) == ("appeal", dispute.id)
