"""Rule suggestion runner: reviewer decisions -> candidate shadow rules, list entries, a report.

All I/O of ``moderation rules suggest`` lives here: read decisions from the review queue (or a
frame the simulation hands over), attach the rule fields, evaluate the current ruleset for the
overlap, run the pure miners (``review_queue.promotion``), write each proposed candidate as a
rule file with ``status: shadow`` (plus its list file), re-check the rules directory like a
compiler, and write the report (Markdown + HTML + figures + candidates.json) for the policy team.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from moderation.features import add_features
from review_queue.promotion import (
    Candidate,
    Criteria,
    EntityCriteria,
    ReviewRule,
    condition_mask,
    list_rule_condition,
    propose,
    report_html,
    report_markdown,
    rule_yaml,
    used_fields,
    with_phone_norm,
    with_rule_columns,
)

__all__ = [
    "SuggestResult", "decisions_frame", "attach_features", "suggest", "run_suggest", "promote_rule", "demote_rule", "reject_rule", "read_history",
    "write_report",
]

_DESCRIBE_OK = "Sellers whose listings reviewers approved again and again, over several days, and never blocked."
_DESCRIBE = {
    "phones": "Phone numbers reviewers blocked again and again for `{reason}` (form or text).",
    "sellers": "Seller accounts reviewers blocked again and again for `{reason}`.",
    "phrases": "Handles, e-mails, links and copied texts reviewers blocked again and again for `{reason}`.",
}


@dataclass(frozen=True)
class SuggestResult:
    candidates: list[Candidate]
    entities: pl.DataFrame
    written: list[Path]  # rule and list files written into the rules directory
    report_path: Path | None

    @property
    def proposed(self) -> list[Candidate]:
        return [c for c in self.candidates if c.verdict == "propose"]


def decisions_frame(records: Sequence) -> pl.DataFrame:
    """Reviewer decisions (review_queue DecisionRecord) as one row per case: snapshot + outcome."""
    rows = []
    for r in records:
        if r.decision not in ("approve", "block"):
            continue
        rows.append({
            **{k: v for k, v in r.listing.items() if k != "highlights"},
            "listing_id": r.listing_id, "decision": r.decision, "reason_code": r.reason_code,
            "decided_at": r.decided_at, "moderator": r.moderator, "rule_hits": list(r.rule_hits),
        })
    if not rows:
        return pl.DataFrame(schema={"listing_id": pl.String, "decision": pl.String, "reason_code": pl.String,
                                    "decided_at": pl.Datetime("us"), "moderator": pl.String,
                                    "rule_hits": pl.List(pl.String)})
    frame = pl.DataFrame(rows, infer_schema_length=None)
    for column in ("created_at", "seller_registered_at"):
        if column in frame.columns and frame.schema[column] == pl.String:
            frame = frame.with_columns(pl.col(column).str.to_datetime(strict=False, time_unit="us"))
    # the latest decision per listing wins (an appeal overrides the first review)
    return frame.sort("decided_at").unique("listing_id", keep="last", maintain_order=True)


def attach_features(reviewed: pl.DataFrame, history: pl.DataFrame | None = None) -> pl.DataFrame:
    """Every rule field on the reviewed cases: taken from the scored history when it has the
    listing (same day statistics as at scoring time), else computed from the snapshot."""
    from moderation.schema import LISTING_COLUMNS

    if history is not None and history.height and "listing_id" in history.columns:
        extra = [c for c in history.columns if c not in reviewed.columns or c in LISTING_COLUMNS]
        extra = [c for c in extra if c not in ("decision", "reason_code", "decided_at", "rule_hits")]
        joined = reviewed.join(history.select(extra), on="listing_id", how="inner", suffix="_hist")
        if joined.height == reviewed.height:
            return joined.drop([c for c in joined.columns if c.endswith("_hist")])
    frame = reviewed
    for name, dtype in LISTING_COLUMNS.items():
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=dtype).alias(name))
        else:
            frame = frame.with_columns(pl.col(name).cast(dtype, strict=False))
    return add_features(frame)


def _examples(reviewed: pl.DataFrame, condition: str, approve: bool = False) -> tuple[list[dict], list[dict]]:
    hit = condition_mask(reviewed, condition)
    outcome, other = ("approve", "block") if approve else ("block", "approve")
    match = reviewed.filter(hit & (pl.col("decision") == outcome)).head(2).to_dicts()
    no_match = reviewed.filter(~hit & (pl.col("decision") == other)).head(2).to_dicts()
    return match, no_match


def _write(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _render_candidate(cand: Candidate, reviewed: pl.DataFrame, declared: list[str], rules_dir: Path,
                      *, author: str, today: dt.date, window: str) -> list[Path]:
    """Write the rule file (and list file) of one proposed candidate; return the paths."""
    written = []
    match, no_match = _examples(reviewed, cand.condition, approve=cand.action == "approve")
    if not match or not no_match:
        return []
    if cand.kind == "list":
        group = cand.id.rsplit("_", 1)[-1]
        list_name = cand.entries[0][0]
        kind = {"phones": "phone", "sellers": "seller"}.get(group, "phrase")
        condition = list_rule_condition(list_name, kind)
        list_path = rules_dir / "lists" / f"{list_name}.txt"
        header = f"# Proposed by `moderation rules suggest` on {today}: {cand.reason_code} ({cand.action}), {window}.\n"
        values = [v for _, v in cand.entries]
        if kind == "phone":  # the form field holds '+7...' while text_phone holds '7...'
            values = values + [f"+{v}" for v in values]
        _write(list_path, header + "\n".join(values) + "\n")
        written.append(list_path)
        description = _DESCRIBE_OK if cand.action == "approve" else _DESCRIBE[group].format(reason=cand.reason_code)
        fields = used_fields(condition, declared)
    else:
        condition = cand.rule_condition or cand.condition
        description = (
            "Listings reviewers approved, separated by this condition from every reviewer block."
            if cand.action == "approve"
            else f"Automates a manual check — {cand.origin}."
            if cand.rule_condition
            else f"Reviewer blocks for `{cand.reason_code}` that this condition separates from approvals."
        )
        fields = used_fields(condition, declared)
    text = rule_yaml(cand, description=description, owner="policy-promotion", author=author, today=today,
                     window=window, match=match, no_match=no_match, condition=condition, used_fields=fields)
    rule_path = rules_dir / f"{cand.id}.yaml"
    _write(rule_path, text)
    written.append(rule_path)
    return written


def _figures(candidates: list[Candidate], out_dir: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    shown = [c for c in candidates if c.evidence.get("backtest")][:12]
    if shown:
        fig, ax = plt.subplots(figsize=(8, 4))
        for c in shown:
            days = [str(r["day"]) for r in c.evidence["backtest"]]
            ax.plot(days, [r["hits"] for r in c.evidence["backtest"]], marker="o",
                    label=f"{c.id[-28:]} ({c.verdict})", linestyle="-" if c.verdict == "propose" else ":")
        ax.set_title("Backtest: would-be hits per day")
        ax.tick_params(axis="x", rotation=45)
        ax.legend(fontsize=6)
        fig.tight_layout()
        fig.savefig(out_dir / "backtest_hits.png", dpi=90)
        plt.close(fig)
        names.append("backtest_hits.png")
    if candidates:
        fig, ax = plt.subplots(figsize=(6, 4))
        for verdict, color in (("propose", "tab:green"), ("drop", "tab:red")):
            chosen = [c for c in candidates if c.verdict == verdict]
            ax.scatter([c.evidence.get("support", 0) for c in chosen], [c.evidence.get("precision", 0) for c in chosen],
                       c=color, label=verdict)
        ax.set_xlabel("support (reviewer blocks)")
        ax.set_ylabel("precision vs reviewers")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out_dir / "candidates.png", dpi=90)
        plt.close(fig)
        names.append("candidates.png")
    return names


def suggest(
    reviewed: pl.DataFrame,
    *,
    rules_dir: Path,
    out_dir: Path | None,
    history: pl.DataFrame | None = None,
    since: str = "",
    today: dt.date | None = None,
    author: str = "rules-suggest",
    criteria: Criteria = Criteria(),
    entity_criteria: EntityCriteria | None = None,
    write_rules: bool = True,
    approve_rules: bool = True,
) -> SuggestResult:
    """Mine, measure, judge; write proposed candidates as shadow rules into ``rules_dir``."""
    from moderation.rules import check_rules, evaluate, load_ruleset

    today = today or dt.date.today()
    rules_dir = Path(rules_dir)
    ruleset = load_ruleset(rules_dir)
    if not reviewed.height:
        return SuggestResult([], pl.DataFrame(), [], None)
    reviewed = with_phone_norm(attach_features(reviewed, history))
    hits = evaluate(ruleset, reviewed)
    existing = hits["rule_hits"].list.concat(hits["shadow_hits"])

    def counts(rule) -> bool:
        # What makes a candidate redundant: active rules, and this miner's own pending shadow
        # rules. A shadow rule someone wrote by hand is unproven; mining goes on beside it.
        return rule.status == "active" or (rule.status == "shadow" and rule.spec.provenance.author == author)

    blocking = frozenset(r.id for r in ruleset.rules if r.action == "block" and counts(r))
    approving = frozenset(r.id for r in ruleset.rules if r.action == "approve" and counts(r))
    known = {e for entries in ruleset.lists.values() for e in entries}
    conditions = {(r.action, " ".join(r.spec.condition.split())) for r in ruleset.rules}
    review_rules = [ReviewRule(r.id, r.reason, r.spec.condition) for r in ruleset.active if r.action == "review"]
    ids = [r.id for r in review_rules]
    reviewed = with_rule_columns(reviewed, ids, hits["rule_hits"])
    if history is not None and history.height:
        history = with_rule_columns(history, ids)
    candidates, entities = propose(
        reviewed, ruleset.field_types, history=history, existing_hits=existing, blocking_rules=blocking,
        approving_rules=approving, pattern_options={"approvals_too": approve_rules},
        known_entries=known, existing_conditions=conditions, criteria=criteria,
        entity_criteria=entity_criteria, today=today, review_rules=review_rules,
    )
    window = f"reviewer decisions since {since}" if since else "reviewer decisions"
    written: list[Path] = []
    final = []
    for cand in candidates:
        if cand.verdict != "propose" or not write_rules:
            final.append(cand)
            continue
        paths = _render_candidate(cand, reviewed, list(ruleset.fields), rules_dir, author=author, today=today, window=window)
        _, diags = check_rules(rules_dir)
        mine = [d for d in diags if any(Path(d.file).name == p.name or d.file.endswith(p.name) for p in paths)]
        if not paths or mine or diags:
            for p in paths:
                p.unlink(missing_ok=True)
            why = "; ".join(str(d).splitlines()[0] for d in (mine or diags)[:2]) or "no examples to show"
            final.append(replace(cand, verdict="drop", why=f"invalid as a rule file: {why}"))
            continue
        written += paths
        final.append(cand)
    report_path = None
    if out_dir is not None:
        report_path = write_report(final, entities, out_dir, since=since, decisions=reviewed.height)
    return SuggestResult(final, entities, written, report_path)


def write_report(candidates: list[Candidate], entities: pl.DataFrame, out_dir: Path, *, since: str, decisions: int) -> Path:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = _figures(candidates, out_dir)
    markdown = report_markdown(candidates, entities, since=since, decisions=decisions, figures=figures)
    _write(out_dir / "report.md", markdown)
    _write(out_dir / "report.html", report_html(markdown))
    payload = [
        {"id": c.id, "kind": c.kind, "reason": c.reason_code, "verdict": c.verdict, "why": c.why,
         "condition": c.condition, "entries": [e for _, e in c.entries],
         "evidence": {k: v for k, v in c.evidence.items() if not k.startswith("_")}}
        for c in candidates
    ]
    _write(out_dir / "candidates.json", json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")
    return out_dir / "report.md"


def run_suggest(settings, since: dt.datetime, out_dir: Path, *, history: pl.DataFrame | None = None,
                write_rules: bool = True, today: dt.date | None = None) -> SuggestResult:
    """``moderation rules suggest``: decisions since ``since`` from the review queue."""
    from review_queue import open_store

    store = open_store(settings.resolved_queue_url)
    try:
        records = store.decisions_since(since)
    finally:
        store.close()
    return suggest(decisions_frame(records), rules_dir=settings.rules_dir, out_dir=out_dir, history=history,
                   since=since.date().isoformat(), today=today, write_rules=write_rules)


def promote_rule(rules_dir: Path, rule_id: str, *, who: str, today: dt.date | None = None) -> Path:
    """Make shadow rule ``rule_id`` active by editing its file; the directory is re-checked and the
    edit undone if it no longer validates. Only ever called by a person (or the simulated policy team)."""
    from review_queue.promotion import promote_text

    return _edit_status(rules_dir, rule_id, lambda text: promote_text(text, rule_id, who=who, today=today or dt.date.today()))


def demote_rule(rules_dir: Path, rule_id: str, *, who: str, why: str, today: dt.date | None = None) -> Path:
    """Send active rule ``rule_id`` back to shadow (the same kind of plain, reviewable edit)."""
    from review_queue.promotion import demote_text

    return _edit_status(rules_dir, rule_id,
                        lambda text: demote_text(text, rule_id, who=who, today=today or dt.date.today(), why=why))


def reject_rule(rules_dir: Path, rule_id: str, *, who: str, why: str, today: dt.date | None = None) -> Path:
    """Set shadow rule ``rule_id`` to ``disabled``: its evidence did not hold up (kept for the record)."""
    from review_queue.promotion import reject_text

    return _edit_status(rules_dir, rule_id,
                        lambda text: reject_text(text, rule_id, who=who, today=today or dt.date.today(), why=why))


def _edit_status(rules_dir: Path, rule_id: str, edit) -> Path:
    from moderation.errors import RuleValidationError
    from moderation.rules import check_rules

    path = Path(rules_dir) / f"{rule_id}.yaml"
    if not path.is_file():
        raise RuleValidationError([f"{path}: no rule file for id `{rule_id}`"])
    before = path.read_text(encoding="utf-8")
    try:
        after = edit(before)
    except ValueError as exc:
        raise RuleValidationError([f"{path}: {exc}"]) from None
    _write(path, after)
    _, diags = check_rules(Path(rules_dir))
    if diags:
        _write(path, before)
        raise RuleValidationError(diags)
    return path


def read_history(dumps: Sequence[Path], runs: Sequence[Path]) -> pl.DataFrame:
    """Scored history for the backtest: each dump's listings with their rule fields (that day's
    statistics) joined to the run's ``decisions.parquet``; ``day`` is the listing's date."""
    from moderation.errors import InputSchemaError

    if len(dumps) != len(runs):
        raise InputSchemaError(
            f"--history and --runs must pair up one to one. Got {len(dumps)} dump(s) and {len(runs)} run(s) instead."
        )
    frames = []
    for dump, run in zip(dumps, runs, strict=True):
        listings = pl.read_parquet(dump)
        decisions_path = Path(run) / "decisions.parquet"
        if not decisions_path.is_file():
            raise InputSchemaError(f"{decisions_path}: no decisions file (run `moderation score` first).")
        decisions = pl.read_parquet(decisions_path, columns=["listing_id", "decision", "rule_hits", "shadow_hits"])
        features = add_features(listings)
        frames.append(features.join(decisions, on="listing_id").with_columns(pl.col("created_at").dt.date().alias("day")))
    return pl.concat(frames, how="vertical_relaxed")
