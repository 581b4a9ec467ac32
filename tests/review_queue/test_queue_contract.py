"""Contract of the queue store, run against SQLite and PostgreSQL alike.

Claims, leases, decisions, releases, the audit log and decisions_since; time is a fake clock.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from review_queue import (
    CaseAlreadyDecidedError,
    CaseNotFoundError,
    InvalidDecisionError,
    LeaseExpiredError,
    NotHolderError,
    QueueError,
    QueuePolicy,
    open_store,
)
from review_queue._tables import metadata


@pytest.fixture
def store(store_url, clock):
    s = open_store(store_url, clock=clock, policy=QueuePolicy(lease_seconds=300, second_review_share=0.0))
    yield s
    s.close()


def test_claims_take_earliest_deadline_first(store, clock, new_case):
    store.enqueue([new_case(1, risk=0.1), new_case(2, risk=0.9)])
    clock.advance(hours=1)
    store.enqueue([new_case(3, risk=0.9)])  # as risky as 2 but younger
    order = [c.listing_id for c in store.claim("anna", limit=3)]
    assert order == ["L000002", "L000003", "L000001"]


def test_riskier_cases_get_shorter_deadlines(store, clock, new_case):
    store.enqueue([new_case(1, risk=0.0), new_case(2, risk=1.0)])
    low, high = sorted(store.claim("anna", limit=2), key=lambda c: c.risk)
    assert high.priority > low.priority
    assert high.due_at < low.due_at
    assert low.due_at - clock.now <= timedelta(hours=24)


def test_two_moderators_never_hold_the_same_case(store, new_case):
    store.enqueue([new_case(i) for i in range(10)])
    a = {c.id for c in store.claim("anna", limit=6)}
    b = {c.id for c in store.claim("boris", limit=6)}
    assert len(a) == 6 and len(b) == 4 and not a & b
    assert store.claim("vera", limit=5) == []


def test_concurrent_claims_never_overlap(store_url, new_case):
    store = open_store(store_url, pool_size=8)
    try:
        store.enqueue([new_case(i) for i in range(120)])
        taken: dict[str, list[int]] = {}

        def work(name: str) -> None:
            mine = taken.setdefault(name, [])
            while batch := store.claim(name, limit=3):
                mine.extend(c.id for c in batch)

        threads = [threading.Thread(target=work, args=(f"m{i}",)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        all_ids = [i for ids in taken.values() for i in ids]
        assert len(all_ids) == len(set(all_ids)) == 120
    finally:
        store.close()


def test_lapsed_lease_returns_the_case_to_the_queue(store, clock, new_case):
    store.enqueue([new_case(1)])
    (case,) = store.claim("anna", limit=1)
    assert store.claim("boris", limit=1) == []
    clock.advance(seconds=301)
    assert store.held("anna") == []
    with pytest.raises(LeaseExpiredError, match="lapsed"):
        store.decide(case.id, "anna", "approve", "ok")
    (again,) = store.claim("boris", limit=1)
    assert again.id == case.id and again.holder == "boris"
    with pytest.raises(NotHolderError, match="not held by anna"):
        store.decide(case.id, "anna", "approve", "ok")
    store.decide(case.id, "boris", "block", "prepayment_scam")
    claims = [e for e in store.audit(case.id) if e.action == "claim"]
    assert [e.actor for e in claims] == ["anna", "boris"]
    assert claims[1].detail["lapsed_holder"] == "anna"


def test_decision_is_final_and_audited(store, new_case):
    store.enqueue([new_case(1)])
    (case,) = store.claim("anna", limit=1)
    verdict = store.decide(case.id, "anna", "block", "contacts_in_text", note="телеграм в тексте")
    assert (verdict.case_id, verdict.listing_id, verdict.kind) == (case.id, case.listing_id, "review")
    assert verdict.second_review_case_id is None
    stored = store.get_case(case.id)
    assert (stored.state, stored.decision, stored.reason_code) == ("decided", "block", "contacts_in_text")
    assert stored.decided_by == "anna" and stored.note == "телеграм в тексте"
    assert stored.decided_at == verdict.decided_at and stored.holder == "anna"
    with pytest.raises(CaseAlreadyDecidedError, match="only an appeal re-opens it"):
        store.decide(case.id, "anna", "approve", "ok")
    actions = [(e.action, e.actor) for e in store.audit(case.id)]
    assert actions == [("claim", "anna"), ("decide", "anna")]
    assert store.audit(case.id)[1].detail == {
        "decision": "block", "reason_code": "contacts_in_text", "note": "телеграм в тексте",
        "second_review_case_id": None,
    }
    assert store.claim("boris", limit=5) == []


@pytest.mark.parametrize(
    ("decision", "reason", "message"),
    [
        ("approve", "spam", "an approval takes reason_code 'ok'"),
        ("block", "ok", "a block needs a violation reason"),
        ("review", "ok", "decision must be one of approve, block"),
        ("block", "rude", "reason_code must be one of"),
    ],
)
def test_bad_decisions_are_refused_and_change_nothing(store, new_case, decision, reason, message):
    store.enqueue([new_case(1)])
    (case,) = store.claim("anna", limit=1)
    with pytest.raises(InvalidDecisionError, match=message):
        store.decide(case.id, "anna", decision, reason)
    assert store.get_case(case.id).state == "open"


def test_deciding_unknown_or_unclaimed_cases_fails_clearly(store, new_case):
    store.enqueue([new_case(1)])
    with pytest.raises(CaseNotFoundError, match="case 999999 does not exist"):
        store.decide(999999, "anna", "approve", "ok")
    case_id = store.claim("anna", limit=1)[0].id
    with pytest.raises(NotHolderError, match="claim it first"):
        store.decide(case_id, "boris", "approve", "ok")


def test_claim_limit_is_checked(store):
    with pytest.raises(QueueError, match="limit must be between 1 and 100"):
        store.claim("anna", limit=0)
    with pytest.raises(QueueError, match="cannot claim"):
        store.claim("anna", role="policy")


def test_release_returns_cases_and_is_idempotent(store, new_case):
    store.enqueue([new_case(i) for i in range(3)])
    ids = [c.id for c in store.claim("anna", limit=3)]
    assert store.release(ids[:2], "anna") == 2
    assert store.release(ids[:2], "anna") == 0
    assert store.release(ids[2:], "boris") == 0
    assert {c.id for c in store.held("anna")} == {ids[2]}
    assert {c.id for c in store.claim("boris", limit=5)} == set(ids[:2])


def test_audit_log_is_append_only_in_the_database(store, new_case):
    store.enqueue([new_case(1)])
    store.claim("anna", limit=1)
    for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(sa.text(statement))
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE actor = 'anna'")).scalar() == 1


def test_decisions_since_returns_human_decisions_in_order(store, clock, new_case):
    store.enqueue([new_case(i) for i in range(3)])
    start = clock.now
    claimed = store.claim("anna", limit=3)
    for verdict, case in zip(("block", "approve", "block"), claimed, strict=True):
        clock.advance(minutes=1)
        store.decide(case.id, "anna", verdict, "ok" if verdict == "approve" else "spam", note="n")
    records = store.decisions_since(start)
    assert [r.listing_id for r in records] == [c.listing_id for c in claimed]
    assert [r.decision for r in records] == ["block", "approve", "block"]
    first = records[0]
    assert first.moderator == "anna" and first.reason_code == "spam"
    assert first.listing["title"] == claimed[0].listing["title"]
    assert first.rule_hits == ("prepay_card", "contacts_tg") and first.reasons[0] == "prepayment_scam"
    assert [r.listing_id for r in store.decisions_since(records[1].decided_at)] == [records[2].listing_id]
    assert len(store.decisions_since(start, limit=2)) == 2


def test_migrated_schema_matches_the_table_definitions(store):
    inspector = sa.inspect(store.engine)
    for table in metadata.sorted_tables:
        actual = {c["name"] for c in inspector.get_columns(table.name)}
        assert actual == set(table.columns.keys()), table.name


def test_seller_history_lists_decided_cases_newest_first(store, clock, new_case):
    store.enqueue([new_case(i) for i in (0, 7, 14, 1)])  # sellers s0, s0, s0, s1
    claimed = {c.listing_id: c for c in store.claim("anna", limit=4)}
    for listing_id, verdict in (("L000000", "block"), ("L000007", "approve"), ("L000001", "block")):
        clock.advance(minutes=1)
        store.decide(claimed[listing_id].id, "anna", verdict, "spam" if verdict == "block" else "ok")
    history = store.seller_history("s0")
    assert [c.listing_id for c in history] == ["L000007", "L000000"]  # L000014 is still open
    assert [c.decision for c in history] == ["approve", "block"]
    assert [c.listing_id for c in store.seller_history("s1")] == ["L000001"]
    assert store.seller_history("nobody") == []
    assert len(store.seller_history("s0", limit=1)) == 1


def test_renew_keeps_live_leases_and_not_lapsed_ones(store, clock, new_case):
    store.enqueue([new_case(1), new_case(2)])
    first, second = store.claim("anna", limit=2)
    clock.advance(seconds=200)
    assert store.renew("anna") == 2
    clock.advance(seconds=200)  # 400 s after the claim: alive only thanks to the renewal
    assert {c.id for c in store.held("anna")} == {first.id, second.id}
    assert store.claim("boris", limit=2) == []
    clock.advance(seconds=301)
    assert store.renew("anna") == 0  # lapsed: claim again instead
    assert len(store.claim("boris", limit=2)) == 2
    assert [e.action for e in store.audit(first.id)] == ["claim", "renew", "claim"]
