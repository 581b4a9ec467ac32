"""Why a listing got its rule hits: every rule's verdict and the field values it looked at.

For one listing only, so this may use plain Python to show which list entries were found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import polars as pl

from moderation.features.text import normalise_phrases
from moderation.rules.evaluate import evaluate, rule_matches
from moderation.rules.ruleset import Rule, Ruleset

__all__ = ["RuleVerdict", "Explanation", "explain", "format_explanation"]

_LIST_USE = re.compile(
    r"\b(?:contains_any|contains_word)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,\s*@([A-Za-z0-9_]+)\s*\)"
    r"|\b([A-Za-z_][A-Za-z0-9_]*)\s+(?:NOT\s+)?IN\s+@([A-Za-z0-9_]+)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RuleVerdict:
    rule_id: str
    status: str
    action: str
    reason: str
    hit: bool
    values: dict[str, Any]  # the fields the condition reads, as this listing has them
    list_matches: dict[str, list[str]]  # "@list" -> entries found in the field


@dataclass(frozen=True)
class Explanation:
    listing_id: str
    rule_action: str | None
    rule_reasons: list[str]
    rule_hits: list[str]
    shadow_hits: list[str]
    verdicts: list[RuleVerdict]


def _list_matches(rule: Rule, row: dict[str, Any], ruleset: Ruleset) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for m in _LIST_USE.finditer(rule.spec.condition):
        field, name = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        value = row.get(field)
        if value is None or name not in ruleset.lists:
            continue
        entries = list(ruleset.lists[name])
        if m.group(1):  # contains_*: the entries as they are matched
            shown = normalise_phrases(entries) if field == "text_norm" else entries
            hits = [e for e, s in zip(entries, shown, strict=True) if s and s.lower() in str(value).lower()]
        else:
            hits = [e for e in entries if e == value]
        found[f"@{name}"] = hits
    return found


def explain(ruleset: Ruleset, features: pl.DataFrame, listing_id: str) -> Explanation:
    """Explain the rules for the listing ``listing_id`` of a feature batch."""
    row_frame = features.filter(pl.col("listing_id") == listing_id)
    if row_frame.height == 0:
        raise KeyError(listing_id)
    row_frame = row_frame.head(1)
    rules = ruleset.active + ruleset.shadow
    matches = rule_matches(ruleset, row_frame, rules).row(0, named=True) if rules else {}
    hits = evaluate(ruleset, row_frame).row(0, named=True)
    row = row_frame.row(0, named=True)
    verdicts = [
        RuleVerdict(
            rule_id=r.id, status=r.status, action=r.action, reason=r.reason,
            hit=bool(matches.get(r.id)),
            values={f: row.get(f) for f in r.compiled.fields},
            list_matches=_list_matches(r, row, ruleset),
        )
        for r in rules
    ]
    return Explanation(
        listing_id=listing_id, rule_action=hits["rule_action"], rule_reasons=hits["rule_reasons"],
        rule_hits=hits["rule_hits"], shadow_hits=hits["shadow_hits"], verdicts=verdicts,
    )


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def format_explanation(exp: Explanation, *, all_rules: bool = False) -> str:
    """Plain text for the terminal: the outcome, then every hit rule with its field values."""
    lines = [
        f"listing {exp.listing_id}",
        f"  rule action: {exp.rule_action or '-'}   reasons: {', '.join(exp.rule_reasons) or '-'}",
        f"  active hits: {', '.join(exp.rule_hits) or '-'}",
        f"  shadow hits: {', '.join(exp.shadow_hits) or '-'}",
    ]
    for v in exp.verdicts:
        if not (v.hit or all_rules):
            continue
        mark = "HIT " if v.hit else "miss"
        lines.append(f"  [{mark}] {v.rule_id} ({v.status}, {v.action} / {v.reason})")
        for field, value in v.values.items():
            lines.append(f"         {field} = {_show(value)}")
        for name, found in v.list_matches.items():
            lines.append(f"         {name} found: {', '.join(found) if found else '-'}")
    return "\n".join(lines)
