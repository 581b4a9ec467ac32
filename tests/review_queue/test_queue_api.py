"""The HTTP API: authentication on every endpoint, roles, and the moderator flow end to end."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from review_queue import QueuePolicy, open_store
from review_queue.api import create_app
from review_queue.ui import PUBLIC_PATHS

FRAMEWORK_PATHS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


@pytest.fixture
def store(sqlite_url):
    s = open_store(sqlite_url, policy=QueuePolicy(second_review_share=0.0))
    yield s
    s.close()


@pytest.fixture
def client(store):
    with TestClient(create_app(store)) as c:
        yield c


@pytest.fixture
def tokens(store):
    return {role: store.users.add(f"{role}1", role) for role in ("moderator", "senior", "policy", "admin")}


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _calls(app):
    """Every (method, concrete path) in the OpenAPI schema, path parameters filled in."""
    for path, methods in app.openapi()["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        for method in methods:
            yield method.upper(), concrete


def test_every_endpoint_in_the_schema_answers_401_without_a_token(client):
    calls = list(_calls(client.app))
    assert len(calls) >= 14
    for method, path in calls:
        for headers in ({}, auth("rq_not-a-real-token"), {"Authorization": "Basic YTpi"}):
            response = client.request(method, path, headers=headers, json={})
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.headers["www-authenticate"] == "Bearer"
            assert "token" in response.json()["detail"]


def test_only_the_static_ui_shell_is_outside_the_schema(client):
    documented = set(client.app.openapi()["paths"])
    for route in client.app.routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            assert route.path in documented
        else:
            assert route.path in set(PUBLIC_PATHS) | FRAMEWORK_PATHS, route.path
    page = client.get("/")
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("role", "method", "path", "body"),
    [
        ("moderator", "GET", "/api/stats", None),
        ("moderator", "POST", "/api/appeals", {"listing_id": "L1", "run_id": "r", "note": "x"}),
        ("moderator", "GET", "/api/users", None),
        ("policy", "POST", "/api/claim", {"limit": 1}),
        ("senior", "POST", "/api/users", {"name": "x", "role": "admin"}),
    ],
)
def test_roles_are_enforced_with_a_clear_403(client, tokens, role, method, path, body):
    response = client.request(method, path, headers=auth(tokens[role]), json=body)
    assert response.status_code == 403
    assert f"role '{role}' may not use" in response.json()["detail"]


def test_moderator_claims_decides_and_sees_the_audit(client, store, tokens, new_case):
    store.enqueue([new_case(1, risk=0.9), new_case(2)])
    headers = auth(tokens["moderator"])
    claimed = client.post("/api/claim", headers=headers, json={"limit": 1}).json()["cases"]
    assert [c["listing_id"] for c in claimed] == ["L000001"]
    case = claimed[0]
    assert case["highlights"] == ["телеграм @seller", "предоплата"]
    assert case["contributions"][0] == {"feature": "text_prepayment", "value": 0.42}
    assert client.get("/api/held", headers=headers).json()["cases"][0]["id"] == case["id"]
    response = client.post(f"/api/cases/{case['id']}/decision", headers=headers,
                           json={"decision": "block", "reason_code": "prepayment_scam", "note": "карта"})
    assert response.status_code == 200
    body = response.json()
    assert body["verdict"]["decision"] == "block" and body["verdict"]["moderator"] == "moderator1"
    assert [e["action"] for e in body["audit"]] == ["claim", "decide"]
    again = client.post(f"/api/cases/{case['id']}/decision", headers=headers,
                        json={"decision": "approve", "reason_code": "ok"})
    assert again.status_code == 409 and again.json()["error"] == "CaseAlreadyDecidedError"
    history = client.get("/api/sellers/s1/history", headers=headers).json()["decisions"]
    assert [h["reason_code"] for h in history] == ["prepayment_scam"]


def test_bad_decisions_and_foreign_cases_are_refused(client, store, tokens, new_case):
    store.enqueue([new_case(1)])
    headers = auth(tokens["moderator"])
    case_id = client.post("/api/claim", headers=headers, json={"limit": 1}).json()["cases"][0]["id"]
    bad = client.post(f"/api/cases/{case_id}/decision", headers=headers,
                      json={"decision": "approve", "reason_code": "spam"})
    assert bad.status_code == 422 and "reason_code 'ok'" in bad.json()["detail"]
    other = store.users.add("boris", "moderator")
    assert client.get(f"/api/cases/{case_id}", headers=auth(other)).status_code == 403
    stolen = client.post(f"/api/cases/{case_id}/decision", headers=auth(other),
                         json={"decision": "approve", "reason_code": "ok"})
    assert stolen.status_code == 409 and stolen.json()["error"] == "NotHolderError"
    assert client.get("/api/cases/424242", headers=auth(tokens["senior"])).status_code == 404
    assert client.post("/api/claim", headers=headers, json={"limit": 1000}).status_code == 422


def test_appeal_shows_the_original_decision_to_the_senior(client, store, tokens, new_case):
    store.enqueue([new_case(1)])
    mod, senior = auth(tokens["moderator"]), auth(tokens["senior"])
    case_id = client.post("/api/claim", headers=mod, json={"limit": 1}).json()["cases"][0]["id"]
    client.post(f"/api/cases/{case_id}/decision", headers=mod,
                json={"decision": "block", "reason_code": "spam", "note": "спам"})
    opened = client.post("/api/appeals", headers=senior,
                         json={"listing_id": "L000001", "run_id": "run-1", "note": "это не спам"})
    assert opened.status_code == 200
    (appeal,) = client.post("/api/claim", headers=senior, json={"limit": 5}).json()["cases"]
    assert appeal["kind"] == "appeal" and appeal["appeal"]["note"] == "это не спам"
    assert appeal["appeal"]["original"]["decision"] == "block"
    assert appeal["appeal"]["original"]["decided_by"] == "moderator1"
    refused = client.post("/api/appeals", headers=senior,
                          json={"listing_id": "L000001", "run_id": "run-1", "note": "again"})
    assert refused.status_code == 409 and "still under appeal" in refused.json()["detail"]


def test_second_review_view_is_blind(client, sqlite_url, new_case):
    store = open_store(sqlite_url, policy=QueuePolicy(second_review_share=1.0))
    try:
        with TestClient(create_app(store)) as c:
            a, b = auth(store.users.add("anna", "moderator")), auth(store.users.add("boris", "moderator"))
            store.enqueue([new_case(1)])
            first = c.post("/api/claim", headers=a, json={"limit": 1}).json()["cases"][0]
            c.post(f"/api/cases/{first['id']}/decision", headers=a, json={"decision": "block", "reason_code": "spam"})
            (second,) = c.post("/api/claim", headers=b, json={"limit": 5}).json()["cases"]
            assert second["kind"] == "review" and second["decision"] is None
            assert "appeal" not in second
            assert c.get(f"/api/cases/{first['id']}", headers=b).status_code == 403
    finally:
        store.close()


def test_dispute_shows_both_decisions_to_the_senior(sqlite_url, new_case):
    store = open_store(sqlite_url, policy=QueuePolicy(second_review_share=1.0))
    try:
        with TestClient(create_app(store)) as c:
            a, b = auth(store.users.add("anna", "moderator")), auth(store.users.add("boris", "moderator"))
            senior = auth(store.users.add("olga", "senior"))
            store.enqueue([new_case(1)])
            first = c.post("/api/claim", headers=a, json={"limit": 1}).json()["cases"][0]
            c.post(f"/api/cases/{first['id']}/decision", headers=a,
                   json={"decision": "block", "reason_code": "spam", "note": "рассылка"})
            (second,) = c.post("/api/claim", headers=b, json={"limit": 5}).json()["cases"]
            verdict = c.post(f"/api/cases/{second['id']}/decision", headers=b,
                             json={"decision": "approve", "reason_code": "ok"}).json()
            verdict = verdict["verdict"]
            assert verdict["dispute_case_id"] is not None
            assert c.post("/api/claim", headers=a, json={"limit": 5}).json()["cases"] == []
            (dispute,) = c.post("/api/claim", headers=senior, json={"limit": 5, "kinds": ["dispute"]}).json()["cases"]
            assert dispute["id"] == verdict["dispute_case_id"] and dispute["kind"] == "dispute"
            first_view, second_view = dispute["dispute"]["first"], dispute["dispute"]["second"]
            assert (first_view["decision"], first_view["decided_by"], first_view["note"]) == ("block", "anna", "рассылка")
            assert (second_view["decision"], second_view["decided_by"]) == ("approve", "boris")
    finally:
        store.close()


def test_reports_users_and_decisions(client, store, tokens, new_case):
    store.enqueue([new_case(1)])
    admin, policy = auth(tokens["admin"]), auth(tokens["policy"])
    created = client.post("/api/users", headers=admin, json={"name": "vera", "role": "moderator"})
    assert created.status_code == 201
    vera = auth(created.json()["token"])
    assert client.get("/api/me", headers=vera).json() == {"name": "vera", "role": "moderator"}
    case_id = client.post("/api/claim", headers=vera, json={}).json()["cases"][0]["id"]
    client.post(f"/api/cases/{case_id}/decision", headers=vera, json={"decision": "approve", "reason_code": "ok"})
    stats = client.get("/api/stats", headers=policy).json()
    assert stats["decided_total"] == 1 and stats["throughput"][0]["moderator"] == "vera"
    decisions = client.get("/api/decisions", headers=policy, params={"since": "2020-01-01T00:00:00Z"}).json()
    assert [d["moderator"] for d in decisions["decisions"]] == ["vera"]
    naive = client.get("/api/decisions", headers=policy, params={"since": "2020-01-01T00:00:00"})
    assert naive.status_code == 422 and "timezone" in naive.json()["detail"]
    duplicate = client.post("/api/users", headers=admin, json={"name": "vera", "role": "admin"})
    assert duplicate.status_code == 409


def test_release_gives_cases_back_and_the_page_lists_every_shortcut(client, store, tokens, new_case):
    store.enqueue([new_case(i) for i in range(3)])
    headers = auth(tokens["moderator"])
    ids = [c["id"] for c in client.post("/api/claim", headers=headers, json={"limit": 3}).json()["cases"]]
    one = client.post(f"/api/cases/{ids[0]}/release", headers=headers)
    assert one.json() == {"released": 1}
    rest = client.post(f"/api/cases/{ids[1]}/release", headers=headers, json={"case_ids": ids[1:]})
    assert rest.json() == {"released": 2}
    assert client.get("/api/held", headers=headers).json()["cases"] == []
    assert [e["action"] for e in client.get(f"/api/cases/{ids[0]}/audit", headers=auth(tokens["senior"])).json()["entries"]] == ["claim", "release"]
    page = client.get("/").text
    for code in ("contacts_in_text", "prepayment_scam", "wrong_category"):
        assert f'data-reason="{code}"' in page
    assert re.search(r'data-key="a" data-decision="approve"\s+data-reason="ok"', page)
