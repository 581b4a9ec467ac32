"""Writing candidates for people: rule files (status shadow, evidence in provenance), list
entries, and the report the policy team reads. Pure text out; the runner writes the files.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
import yaml

from review_queue.promotion.evidence import Candidate

__all__ = ["rule_yaml", "list_rule_condition", "used_fields", "report_markdown", "report_html", "promote_text", "demote_text",
           "reject_text"]

_FIELD = re.compile(r"\b([a-z_][a-z0-9_]*)\b")


def list_rule_condition(list_name: str, kind: str) -> str:
    """The condition of the rule that uses a proposed list (in the rule language, with ``@list``)."""
    if kind == "phone":
        return f"text_phone IN @{list_name} OR phone IN @{list_name}"
    if kind == "seller":
        return f"seller_id IN @{list_name}"
    return f"contains_any(text_norm, @{list_name})"


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def _example(row: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """A listing as a rule example: its text and every field the condition reads, as stored."""
    keep = ["title", "description", "category", "price", *fields]
    return {k: _plain(row.get(k)) for k in dict.fromkeys(keep) if k in row}


def _notes(ev: Mapping[str, Any]) -> str:
    parts = [
        f"hits {ev.get('hits', 0)} reviewed cases ({ev.get('blocks', 0)} decided as this rule would, "
        f"{ev.get('approvals', 0)} the other way)",
        f"coverage of the reason {ev.get('coverage', 0.0):.1%}",
        f"overlap with existing rules {ev.get('overlap_existing', 0.0):.0%}",
        f"{ev.get('sellers', 0)} sellers over {ev.get('days', 0)} day(s)",
    ]
    if "backtest_hits_per_day" in ev:
        parts.append(
            f"backtest: {ev['backtest_hits_per_day']:.1f} hits/day, automation "
            f"{ev.get('backtest_automation_delta', 0.0):+.2%}, block precision (known) "
            f"{_fmt(ev.get('backtest_precision_known'))}"
        )
    return "; ".join(parts)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None or value != value else f"{value:.3f}"


def rule_yaml(
    candidate: Candidate,
    *,
    description: str,
    owner: str,
    author: str,
    today: dt.date,
    window: str,
    match: Sequence[Mapping[str, Any]],
    no_match: Sequence[Mapping[str, Any]],
    condition: str | None = None,
    used_fields: Sequence[str] = (),
) -> str:
    """A complete rule file for a candidate, with ``status: shadow`` — it never changes a decision
    until a person runs ``moderation rules promote``."""
    ev = candidate.evidence
    data = {
        "id": candidate.id,
        "description": description,
        "owner": owner,
        "action": candidate.action,
        "reason": candidate.reason_code,
        "status": "shadow",
        "condition": condition or candidate.condition,
        "examples": {
            "match": [_example(r, used_fields) for r in match],
            "no_match": [_example(r, used_fields) for r in no_match],
        },
        "provenance": {
            "kind": "promoted",
            "author": author,
            "date": today,
            "evidence": {
                "source": f"reviewer decisions ({candidate.origin})",
                "window": window,
                "support": max(int(ev.get("support", 1)), 1),
                "precision_vs_reviewers": round(float(ev.get("precision", 0.0)), 4),
                "notes": _notes(ev),
            },
        },
        "tags": ["promoted", candidate.kind],
    }
    header = (
        f"# Proposed by `moderation rules suggest` on {today.isoformat()} from reviewer decisions.\n"
        f"# Shadow: its hits are recorded and compared with reviewers; it decides nothing until a\n"
        f"# person runs `moderation rules promote {candidate.id}`.\n"
    )
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def used_fields(condition: str, declared: Sequence[str]) -> list[str]:
    """Declared fields a condition mentions (outside string literals)."""
    bare = re.sub(r"'(?:[^']|'')*'", "''", condition)
    names = set(_FIELD.findall(bare))
    return [f for f in declared if f in names]


def promote_text(text: str, rule_id: str, *, who: str, today: dt.date) -> str:
    """The rule file with ``status: active`` and a provenance line saying who promoted it, when.

    A plain edit of two lines so the diff is reviewable; comments and key order are kept.
    """
    return _set_status(text, rule_id, "shadow", "active", f"promoted to active by {who} on {today.isoformat()}")


def demote_text(text: str, rule_id: str, *, who: str, today: dt.date, why: str) -> str:
    """The reverse edit: an active rule back to ``shadow`` (its hits recorded, deciding nothing)."""
    return _set_status(text, rule_id, "active", "shadow", f"demoted to shadow by {who} on {today.isoformat()}: {why}")


def reject_text(text: str, rule_id: str, *, who: str, today: dt.date, why: str) -> str:
    """A shadow rule the evidence did not bear out: ``disabled`` (kept, validated, never run)."""
    return _set_status(text, rule_id, "shadow", "disabled", f"rejected by {who} on {today.isoformat()}: {why}")


def _set_status(text: str, rule_id: str, current: str, new: str, ticket: str) -> str:
    status = re.compile(r"^status:\s*(\S+)\s*$", re.MULTILINE)
    found = status.search(text)
    if not found:
        raise ValueError(f"rule `{rule_id}` has no top-level `status:` line")
    if found.group(1) != current:
        verb = {"active": "promoted", "shadow": "demoted", "disabled": "rejected"}[new]
        raise ValueError(f"rule `{rule_id}` is {found.group(1)!r}; only a {current} rule can be {verb}")
    text = text[: found.start()] + f"status: {new}" + text[found.end() :]
    prov = re.compile(r"^provenance:\s*\n", re.MULTILINE).search(text)
    if not prov:
        raise ValueError(f"rule `{rule_id}` has no top-level `provenance:` mapping")
    quoted = "'" + ticket.replace("'", "''") + "'"
    if re.search(r"^  ticket:", text[prov.end():], re.MULTILINE):
        return re.sub(r"^(  ticket:).*$", lambda m: f"{m.group(1)} {quoted}", text, count=1, flags=re.MULTILINE)
    return text[: prov.end()] + f"  ticket: {quoted}\n" + text[prov.end() :]


def _candidate_rows(candidates: Sequence[Candidate]) -> list[dict[str, Any]]:
    rows = []
    for c in candidates:
        ev = c.evidence
        rows.append({
            "id": c.id, "kind": c.kind, "reason": c.reason_code, "verdict": c.verdict, "why": c.why,
            "condition": c.condition if c.kind == "pattern" else f"{len(c.entries)} list entries",
            "support": ev.get("support", 0), "precision": ev.get("precision", 0.0),
            "coverage": ev.get("coverage", 0.0), "overlap": ev.get("overlap_existing", 0.0),
            "hits/day": ev.get("backtest_hits_per_day"), "automation Δ": ev.get("backtest_automation_delta"),
            "block precision": ev.get("backtest_precision_known"),
        })
    return rows


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "" if value is None else str(value).replace("|", "\\|")


def report_markdown(
    candidates: Sequence[Candidate], entities: pl.DataFrame, *, since: str, decisions: int,
    figures: Sequence[str] = (),
) -> str:
    """The policy team's report: proposed candidates first, then dropped ones and why."""
    rows = _candidate_rows(candidates)
    lines = [
        f"# Rule suggestions from reviewer decisions since {since}",
        "",
        f"{decisions} reviewer decisions mined; {sum(c.verdict == 'propose' for c in candidates)} candidate(s) "
        f"proposed as shadow rules, {sum(c.verdict == 'drop' for c in candidates)} dropped.",
        "Nothing is active until a person runs `moderation rules promote ID`.",
        "",
    ]
    for title, verdict in (("Proposed", "propose"), ("Dropped", "drop")):
        chosen = [r for r in rows if r["verdict"] == verdict]
        lines += [f"## {title} ({len(chosen)})", ""]
        if chosen:
            keys = [k for k in rows[0] if k != "verdict"]
            lines += ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
            lines += ["| " + " | ".join(_cell(r[k]) for k in keys) + " |" for r in chosen]
        lines.append("")
    proposed_lists = [c for c in candidates if c.kind == "list" and c.verdict == "propose"]
    if proposed_lists:
        lines += ["## List entries proposed", ""]
        for c in proposed_lists:
            lines.append(f"- `{c.id}` ({c.reason_code}):")
            lines += [f"  - `{name}`: `{entry}`" for name, entry in c.entries[:50]]
        lines.append("")
    if entities.height:
        lines += ["## Recurring entities (support and counter-evidence)", "",
                  "| kind | value | reason | cases | blocks | approvals | sellers | days |", "|---|---|---|---|---|---|---|---|"]
        for r in entities.head(40).iter_rows(named=True):
            lines.append(
                f"| {r['kind']} | `{_cell(r['value'])}` | {r['reason_code']} | {r['cases']} | {r['blocks']} | "
                f"{r['approvals']} | {r['sellers']} | {r['days']} |"
            )
        lines.append("")
    for figure in figures:
        lines += [f"![{figure}]({figure})", ""]
    return "\n".join(lines)


def report_html(markdown: str) -> str:
    """A dependency-free HTML rendering of the Markdown report (tables, headings, images)."""
    out = ["<!doctype html><meta charset='utf-8'><title>Rule suggestions</title>",
           "<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto}"
           "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}</style>"]
    table: list[list[str]] = []

    def flush() -> None:
        if table:
            head, *body = [r for r in table if not set("".join(r)) <= set("-")]
            out.append("<table><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in head) + "</tr>")
            out.extend("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in body)
            out.append("</table>")
            table.clear()

    for line in markdown.splitlines():
        if line.startswith("|"):
            table.append([c.strip().strip("`") for c in line.strip("|").split(" | ")])
            continue
        flush()
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            out.append(f"<h{level}>{html.escape(line.lstrip('# '))}</h{level}>")
        elif line.startswith("!["):
            src = line[line.index("(") + 1 : -1]
            out.append(f"<img src='{html.escape(src)}' style='max-width:100%'>")
        elif line.strip():
            out.append(f"<p>{html.escape(line)}</p>")
    flush()
    return "\n".join(out) + "\n"
