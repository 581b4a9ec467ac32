"""The shape of the rule-engine files: frozen pydantic models that reject unknown keys.

Parsing a file into these models is the first compiler pass; semantic checks (known fields,
types, lists, reasons, examples) live in ``validate.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "FIELD_TYPES",
    "FieldSpec",
    "FieldsFile",
    "ReasonSpec",
    "ReasonsFile",
    "Examples",
    "Evidence",
    "Provenance",
    "RuleFile",
]

FIELD_TYPES = ("string", "float", "int", "bool", "datetime")

_ID = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class FieldSpec(_Strict):
    """One field a rule may use: a raw listing column or a derived feature."""

    name: str = Field(pattern=_ID)
    type: Literal["string", "float", "int", "bool", "datetime"]
    meaning: str = Field(min_length=3)
    source: Literal["listing", "tabular", "text"]


class FieldsFile(_Strict):
    fields: tuple[FieldSpec, ...]


class ReasonSpec(_Strict):
    code: str = Field(pattern=_ID)
    meaning: str = Field(min_length=3)


class ReasonsFile(_Strict):
    reasons: tuple[ReasonSpec, ...]


class Examples(_Strict):
    """Listings (field -> value) the condition must and must not match."""

    match: tuple[dict[str, Any], ...] = Field(min_length=1)
    no_match: tuple[dict[str, Any], ...] = Field(min_length=1)


class Evidence(_Strict):
    """Why a promoted rule exists: the manual decisions it automates."""

    source: str = Field(min_length=3)
    window: str = Field(min_length=3)
    support: int = Field(ge=1)
    precision_vs_reviewers: float = Field(ge=0.0, le=1.0)
    notes: str | None = None


class Provenance(_Strict):
    kind: Literal["written_by_hand", "promoted"]
    author: str = Field(min_length=2)
    date: dt.date
    evidence: Evidence | None = None
    ticket: str | None = None


class RuleFile(_Strict):
    """One rule file (``rules/<id>.yaml``)."""

    id: str = Field(pattern=_ID, max_length=64)
    description: str = Field(min_length=10)
    owner: str = Field(min_length=2)
    action: Literal["block", "review", "approve", "flag"]
    reason: str
    status: Literal["active", "shadow", "disabled"]
    condition: str = Field(min_length=1)
    examples: Examples
    provenance: Provenance
    tags: tuple[str, ...] = ()
