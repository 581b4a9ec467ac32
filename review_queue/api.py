"""The HTTP API (FastAPI): every endpoint authenticated by bearer token and authorised by role.

Missing or unknown token -> 401 with ``WWW-Authenticate: Bearer``; a role without the
permission -> 403 naming the roles that have it; queue errors -> their status (404/409/422)
with the message. The moderator web UI (``ui.py``) is served by the same app.
(No ``from __future__ import annotations`` here: FastAPI must see the dependency types.)
"""


from datetime import datetime
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from moderation.schema import REASON_CODES, VIOLATIONS
from review_queue import ui
from review_queue.auth import PERMISSIONS, ROLES, User, allowed
from review_queue.cases import NewCase
from review_queue.errors import QueueError
from review_queue.store import SqlStore
from review_queue.views import audit_view, case_view, history_view, verdict_view

__all__ = ["create_app"]

_bearer = HTTPBearer(auto_error=False, description="A per-user token from `moderation queue add-user`.")


class ClaimRequest(BaseModel):
    limit: int = Field(10, ge=1, le=100)
    kinds: list[Literal["review", "second", "appeal", "dispute"]] | None = None


class DecisionRequest(BaseModel):
    decision: Literal["approve", "block"]
    reason_code: str
    note: str | None = Field(None, max_length=4000)


class ReleaseRequest(BaseModel):
    case_ids: list[int] | None = None  # None: the one case in the path


class AppealRequest(BaseModel):
    listing_id: str
    run_id: str
    note: str = Field(..., min_length=1, max_length=4000)


class GoldCase(BaseModel):
    listing_id: str
    run_id: str
    reasons: list[str]
    rule_hits: list[str] = []
    fraud_score: float | None = None
    model_version: str = "gold"
    ruleset_version: str = "gold"
    listing: dict
    contributions: list[tuple[str, float]] = []
    risk: float = 0.5
    answer_decision: Literal["approve", "block"]
    answer_reason_code: str


class GoldRequest(BaseModel):
    cases: list[GoldCase] = Field(..., min_length=1, max_length=10_000)


class UserRequest(BaseModel):
    name: str
    role: Literal["moderator", "senior", "policy", "admin"]


def create_app(store: SqlStore) -> FastAPI:
    app = FastAPI(
        title="Review queue",
        version="1",
        description="Moderators claim and decide cases; seniors run QC and appeals.",
    )

    def current_user(
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> User:
        if creds is None:
            raise HTTPException(401, "missing bearer token: send 'Authorization: Bearer <token>'.",
                                headers={"WWW-Authenticate": "Bearer"})
        user = store.users.authenticate(creds.credentials)
        if user is None:
            raise HTTPException(401, "unknown or disabled token.",
                                headers={"WWW-Authenticate": "Bearer"})
        return user

    def need(permission: str):
        def check(user: Annotated[User, Depends(current_user)]) -> User:
            if not allowed(user, permission):
                roles = ", ".join(sorted(PERMISSIONS[permission]))
                raise HTTPException(
                    403, f"role '{user.role}' may not use '{permission}'; roles that may: {roles}."
                )
            return user
        return check

    Worker = Annotated[User, Depends(need("work"))]
    Anyone = Annotated[User, Depends(current_user)]

    @app.exception_handler(QueueError)
    async def _queue_error(_request: Request, exc: QueueError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "error": type(exc).__name__}, exc.status_code)

    def visible_case(case_id: int, user: User):
        case = store.get_case(case_id)
        if not allowed(user, "view_any_case") and user.name not in (case.holder, case.decided_by):
            raise HTTPException(403, f"case {case_id} is neither held nor decided by {user.name}.")
        return case

    def full_view(case) -> dict:
        if case.kind == "appeal" and case.parent_id:
            return case_view(case, store.get_case(case.parent_id))
        if case.kind == "dispute" and case.parent_id:
            second = store.get_case(case.parent_id)
            return case_view(case, store.get_case(second.parent_id), second)
        return case_view(case)

    @app.get("/api/me", tags=["auth"])
    def me(user: Anyone) -> dict:
        return {"name": user.name, "role": user.role}

    @app.get("/api/reasons", tags=["queue"])
    def reasons(user: Anyone) -> dict:
        return {"reason_codes": list(REASON_CODES), "violations": list(VIOLATIONS)}

    @app.post("/api/claim", tags=["queue"])
    def claim(body: ClaimRequest, user: Worker) -> dict:
        claimed = store.claim(user.name, role=user.role, limit=body.limit, kinds=body.kinds)
        return {"cases": [full_view(c) for c in claimed]}

    @app.get("/api/held", tags=["queue"])
    def held(user: Worker) -> dict:
        return {"cases": [full_view(c) for c in store.held(user.name)]}

    @app.post("/api/held/renew", tags=["queue"])
    def renew(user: Worker) -> dict:
        return {"renewed": store.renew(user.name)}

    @app.get("/api/cases/{case_id}", tags=["queue"])
    def get_case(case_id: int, user: Anyone) -> dict:
        return full_view(visible_case(case_id, user))

    @app.post("/api/cases/{case_id}/decision", tags=["queue"])
    def decide(case_id: int, body: DecisionRequest, user: Worker) -> dict:
        verdict = store.decide(case_id, user.name, body.decision, body.reason_code, body.note)
        return {"verdict": verdict_view(verdict),
                "audit": [audit_view(e) for e in store.audit(case_id)]}

    @app.post("/api/cases/{case_id}/release", tags=["queue"])
    def release(case_id: int, user: Worker, body: ReleaseRequest | None = None) -> dict:
        ids = body.case_ids if body and body.case_ids else [case_id]
        return {"released": store.release(ids, user.name)}

    @app.get("/api/cases/{case_id}/audit", tags=["queue"])
    def audit(case_id: int, user: Anyone) -> dict:
        visible_case(case_id, user)
        return {"entries": [audit_view(e) for e in store.audit(case_id)]}

    @app.get("/api/sellers/{seller_id}/history", tags=["queue"])
    def seller_history(seller_id: str, user: Anyone, limit: int = Query(20, ge=1, le=200)) -> dict:
        return {"decisions": [history_view(c) for c in store.seller_history(seller_id, limit=limit)]}

    @app.post("/api/appeals", tags=["appeals"])
    def appeal(body: AppealRequest, user: Annotated[User, Depends(need("appeals"))]) -> dict:
        return full_view(store.appeal(body.listing_id, body.run_id, actor=user.name, note=body.note))

    @app.post("/api/gold", tags=["qc"])
    def gold(body: GoldRequest, user: Annotated[User, Depends(need("gold"))]) -> dict:
        cases = [
            NewCase(listing_id=g.listing_id, run_id=g.run_id, reasons=tuple(g.reasons),
                    rule_hits=tuple(g.rule_hits), fraud_score=g.fraud_score,
                    model_version=g.model_version, ruleset_version=g.ruleset_version,
                    listing=g.listing, contributions=tuple(g.contributions), risk=g.risk)
            for g in body.cases
        ]
        answers = [(g.answer_decision, g.answer_reason_code) for g in body.cases]
        return {"added": store.seed_gold(cases, answers)}

    @app.get("/api/stats", tags=["reports"])
    def stats(user: Annotated[User, Depends(need("reports"))]) -> dict:
        return store.stats().to_dict()

    @app.get("/api/decisions", tags=["reports"])
    def decisions(
        since: datetime, user: Annotated[User, Depends(need("decisions"))],
        limit: int = Query(1000, ge=1, le=10_000),
    ) -> dict:
        if since.tzinfo is None:
            raise HTTPException(422, f"since must carry a timezone (e.g. 2026-11-20T00:00:00Z). Got {since.isoformat()!r}.")
        records = store.decisions_since(since, limit=limit)
        return {"decisions": [
            {"case_id": r.case_id, "listing_id": r.listing_id, "run_id": r.run_id, "kind": r.kind,
             "decision": r.decision, "reason_code": r.reason_code, "note": r.note,
             "moderator": r.moderator, "decided_at": r.decided_at.isoformat(),
             "reasons": list(r.reasons), "rule_hits": list(r.rule_hits)}
            for r in records
        ]}

    @app.get("/api/users", tags=["users"])
    def list_users(user: Annotated[User, Depends(need("users"))]) -> dict:
        return {"users": [{"name": n, "role": r, "active": a} for n, r, a in store.users.list()],
                "roles": list(ROLES)}

    @app.post("/api/users", tags=["users"], status_code=201)
    def add_user(body: UserRequest, user: Annotated[User, Depends(need("users"))]) -> dict:
        return {"name": body.name, "role": body.role, "token": store.users.add(body.name, body.role)}

    ui.mount(app)
    return app
