"""Who may call the queue, and what each role may do.

Tokens are random 256-bit strings shown once at creation; only their SHA-256 is stored. A fast
hash is enough here (unlike for passwords): the token's entropy, not the hash's cost, is what
makes guessing impossible, and lookups by hash stay a single indexed query per request.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from review_queue._tables import users
from review_queue.errors import UnknownRoleError, UserExistsError

__all__ = ["ROLES", "PERMISSIONS", "User", "UserDirectory", "hash_token", "allowed"]

ROLES: tuple[str, ...] = ("moderator", "senior", "policy", "admin")

# permission -> roles that hold it. Moderators work cases; seniors also take appeals and run QC;
# the policy team reads decisions and reports; admins do everything, including users.
PERMISSIONS: dict[str, frozenset[str]] = {
    "work": frozenset({"moderator", "senior", "admin"}),
    "view_any_case": frozenset({"senior", "policy", "admin"}),
    "appeals": frozenset({"senior", "admin"}),
    "gold": frozenset({"senior", "admin"}),
    "reports": frozenset({"senior", "policy", "admin"}),
    "decisions": frozenset({"senior", "policy", "admin"}),
    "users": frozenset({"admin"}),
}


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def allowed(user: User, permission: str) -> bool:
    return user.role in PERMISSIONS[permission]


class UserDirectory:
    """Users of the queue, in the queue's own database."""

    def __init__(
        self, engine: Engine, clock: Callable[[], datetime], writing: Callable | None = None
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._writing = writing or engine.begin

    def add(self, name: str, role: str) -> str:
        """Create a user; return the token (the only time it is ever visible)."""
        if role not in ROLES:
            raise UnknownRoleError(f"role must be one of {', '.join(ROLES)}. Got {role!r} instead.")
        if not name or len(name) > 100 or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise UnknownRoleError(
                f"user name must be 1-100 letters, digits, '.', '-' or '_'. Got {name!r} instead."
            )
        token = "rq_" + secrets.token_urlsafe(32)
        try:
            with self._writing() as conn:
                conn.execute(insert(users).values(
                    name=name, role=role, token_hash=hash_token(token), created_at=self._clock()
                ))
        except IntegrityError:
            raise UserExistsError(f"user {name!r} already exists.") from None
        return token

    def authenticate(self, token: str) -> User | None:
        """The active user holding ``token``, or None."""
        with self._engine.connect() as conn:
            row = conn.execute(
                select(users.c.name, users.c.role)
                .where(users.c.token_hash == hash_token(token), users.c.disabled_at.is_(None))
            ).first()
        return User(row.name, row.role) if row else None

    def disable(self, name: str) -> bool:
        with self._writing() as conn:
            result = conn.execute(
                update(users).where(users.c.name == name, users.c.disabled_at.is_(None))
                .values(disabled_at=self._clock())
            )
        return result.rowcount > 0

    def list(self) -> list[tuple[str, str, bool]]:
        """(name, role, active) for every user, by name."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(users.c.name, users.c.role, users.c.disabled_at).order_by(users.c.name)
            ).all()
        return [(r.name, r.role, r.disabled_at is None) for r in rows]
