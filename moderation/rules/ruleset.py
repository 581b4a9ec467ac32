"""The compiled ruleset: what ``load_ruleset`` returns and ``evaluate`` runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from moderation.rules.compile import Compiled
from moderation.rules.model import FieldSpec, RuleFile

__all__ = ["Rule", "Ruleset", "ACTION_ORDER"]

# Precedence (design.md): block beats review beats approve; flag never decides.
ACTION_ORDER: dict[str, int] = {"block": 0, "review": 1, "approve": 2, "flag": 3}


@dataclass(frozen=True)
class Rule:
    spec: RuleFile
    compiled: Compiled
    path: Path
    line_of: Mapping[tuple, int] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def action(self) -> str:
        return self.spec.action

    @property
    def reason(self) -> str:
        return self.spec.reason

    @property
    def status(self) -> str:
        return self.spec.status

    @property
    def sort_key(self) -> tuple[int, str]:
        return ACTION_ORDER[self.action], self.id


@dataclass(frozen=True)
class Ruleset:
    """Every rule (disabled ones included, never evaluated), the declared fields, lists, reasons."""

    root: Path
    rules: tuple[Rule, ...]
    fields: Mapping[str, FieldSpec]
    lists: Mapping[str, tuple[str, ...]]
    reasons: Mapping[str, str]
    version: str

    def __post_init__(self) -> None:
        # Private copies (plain dicts, so a ruleset pickles for Ray workers); treat as read-only.
        object.__setattr__(self, "fields", dict(self.fields))
        object.__setattr__(self, "lists", {k: tuple(v) for k, v in self.lists.items()})
        object.__setattr__(self, "reasons", dict(self.reasons))

    def with_status(self, status: str) -> tuple[Rule, ...]:
        """Rules of one status in precedence order (action, then id)."""
        return tuple(sorted((r for r in self.rules if r.status == status), key=lambda r: r.sort_key))

    @property
    def active(self) -> tuple[Rule, ...]:
        return self.with_status("active")

    @property
    def shadow(self) -> tuple[Rule, ...]:
        return self.with_status("shadow")

    def get(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    @property
    def field_types(self) -> dict[str, str]:
        return {name: spec.type for name, spec in self.fields.items()}
