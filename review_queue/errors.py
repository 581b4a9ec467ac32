"""Errors of the review queue, named by their cause (all are ``ModerationError``s).

The API maps them to HTTP status codes (see ``api.py``); the CLI prints their message.
"""

from __future__ import annotations

from moderation.errors import ModerationError

__all__ = [
    "QueueError",
    "CaseNotFoundError",
    "NotHolderError",
    "LeaseExpiredError",
    "CaseAlreadyDecidedError",
    "InvalidDecisionError",
    "AppealNotAllowedError",
    "UnknownRoleError",
    "UserExistsError",
    "QueueUrlError",
]


class QueueError(ModerationError):
    """Base class for review-queue errors a user can act on."""

    status_code = 400


class CaseNotFoundError(QueueError):
    status_code = 404


class NotHolderError(QueueError):
    """The case is held by someone else (or by nobody): claim it first."""

    status_code = 409


class LeaseExpiredError(QueueError):
    """The lease lapsed before the decision arrived; the case went back to the queue."""

    status_code = 409


class CaseAlreadyDecidedError(QueueError):
    """A decided case is final; only an appeal re-opens it."""

    status_code = 409


class InvalidDecisionError(QueueError):
    status_code = 422


class AppealNotAllowedError(QueueError):
    """Only a blocked listing can be appealed, and only once at a time."""

    status_code = 409


class UnknownRoleError(QueueError):
    status_code = 422


class UserExistsError(QueueError):
    status_code = 409


class QueueUrlError(QueueError, ValueError):
    """The queue database URL names no usable store."""
