"""Pattern promotion: short, readable conditions that separate a reason code from approvals.

Per reason code, a shallow decision tree is fitted on reviewer decisions (that reason's blocks
against reviewer approvals) over the declared rule fields plus phrase features; each pure
positive leaf becomes a candidate: its path, written as a condition in the rule language (a SQL
boolean expression over rule fields), then pruned to the fewest clauses that keep its precision.

The tree is only a search device: every number a person sees (support, precision, coverage) is
measured again by evaluating the written condition, so what is reported is what would run.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.tree import DecisionTreeClassifier

from review_queue.promotion._text import DECISION_COLUMNS, require_columns, with_text_norm

__all__ = ["PatternCandidate", "Clause", "mine_patterns", "condition_mask", "top_phrases"]

_NUMERIC = ("float", "int")


@dataclass(frozen=True)
class Clause:
    """One test of a path: ``field op value`` (op: <=, >, =, <>, has, lacks, is, isnot)."""

    field: str
    op: str
    value: float | str | None = None

    def sql(self) -> str:
        if self.op in ("<=", ">"):
            return f"{self.field} {self.op} {_nice(float(self.value))}"
        if self.op in ("=", "<>"):
            return f"{self.field} {self.op} '{_quote(str(self.value))}'"
        if self.op == "has":
            return f"text_norm LIKE '%{_quote(str(self.value))}%'"
        if self.op == "lacks":
            return f"NOT text_norm LIKE '%{_quote(str(self.value))}%'"
        return self.field if self.op == "is" else f"NOT {self.field}"


@dataclass(frozen=True)
class PatternCandidate:
    """A condition proposed for one reason code, with the figures of the tree that found it."""

    reason_code: str
    clauses: tuple[Clause, ...]
    train_hits: int
    train_precision: float

    @property
    def condition(self) -> str:
        return " AND ".join(c.sql() for c in self.clauses)


def _quote(text: str) -> str:
    return text.replace("'", "''")


def _nice(value: float) -> str:
    """Round a split point to 3 significant digits (policy people read these numbers)."""
    if value == 0 or not math.isfinite(value):
        return "0"
    digits = 2 - int(math.floor(math.log10(abs(value))))
    rounded = round(value, digits)
    return str(int(rounded)) if float(rounded).is_integer() else f"{rounded:g}"


def condition_mask(frame: pl.DataFrame, condition: str) -> pl.Series:
    """Where ``condition`` holds in ``frame`` (NULL counts as no match, as in the rule engine)."""
    if not frame.height:
        return pl.Series("hit", [], dtype=pl.Boolean)
    return frame.select(pl.sql_expr(condition).fill_null(False).alias("hit"))["hit"]


def top_phrases(positive: list[str | None], negative: list[str | None], *, k: int = 30,
                min_count: int = 3, max_negative_share: float = 0.02) -> list[str]:
    """Word 1- and 2-grams far more frequent in ``positive`` texts than in ``negative`` ones."""

    def grams(text: str | None) -> set[str]:
        words = [w for w in (text or "").split() if not w.isdigit()]
        return {w for w in words if len(w) >= 4} | {" ".join(p) for p in zip(words, words[1:], strict=False)}

    pos = Counter(g for t in positive for g in grams(t))
    neg = Counter(g for t in negative for g in grams(t))
    n_pos, n_neg = max(len(positive), 1), max(len(negative), 1)
    scored = [
        ((c / n_pos) - 3 * (neg[g] / n_neg), g)
        for g, c in pos.items()
        if c >= min_count and neg[g] / n_neg <= max_negative_share
    ]
    return [g for _, g in sorted(scored, key=lambda x: (-x[0], x[1]))[:k]]


def _design(frame: pl.DataFrame, fields: Mapping[str, str], phrases: list[str],
            categories: list[str]) -> tuple[np.ndarray, list[tuple[str, str, object]]]:
    """Feature matrix plus, per column, how to say its split in the rule language."""
    columns: list[pl.Expr] = []
    meaning: list[tuple[str, str, object]] = []
    for name, kind in fields.items():
        if name not in frame.columns:
            continue
        if kind in _NUMERIC:
            col = pl.col(name).cast(pl.Float64)
            columns.append(col.fill_null(col.median()).fill_null(0.0).alias(f"f{len(columns)}"))
            meaning.append(("num", name, None))
        elif kind == "bool":
            columns.append(pl.col(name).fill_null(False).cast(pl.Float64).alias(f"f{len(columns)}"))
            meaning.append(("bool", name, None))
    for category in categories:
        columns.append((pl.col("category") == category).fill_null(False).cast(pl.Float64).alias(f"f{len(columns)}"))
        meaning.append(("cat", "category", category))
    for phrase in phrases:
        columns.append(
            pl.col("text_norm").str.contains(phrase, literal=True).fill_null(False).cast(pl.Float64)
            .alias(f"f{len(columns)}")
        )
        meaning.append(("phrase", "text_norm", phrase))
    return frame.select(columns).to_numpy(), meaning


def _clause(meaning: tuple[str, str, object], left: bool, threshold: float) -> Clause:
    kind, name, value = meaning
    if kind == "num":
        return Clause(name, "<=" if left else ">", threshold)
    if kind == "bool":
        return Clause(name, "isnot" if left else "is")
    if kind == "cat":
        return Clause(name, "<>" if left else "=", value)
    return Clause(name, "lacks" if left else "has", value)


def _paths(tree: DecisionTreeClassifier, meaning: list, node: int = 0,
           path: tuple[Clause, ...] = ()) -> list[tuple[int, tuple[Clause, ...]]]:
    t = tree.tree_
    if t.children_left[node] == -1:
        return [(node, path)]
    feature, threshold = t.feature[node], float(t.threshold[node])
    return _paths(tree, meaning, t.children_left[node], (*path, _clause(meaning[feature], True, threshold))) + \
        _paths(tree, meaning, t.children_right[node], (*path, _clause(meaning[feature], False, threshold)))


def _precision(frame: pl.DataFrame, target: pl.Series, clauses: tuple[Clause, ...]) -> tuple[int, float]:
    hit = condition_mask(frame, " AND ".join(c.sql() for c in clauses))
    hits = int(hit.sum())
    return hits, (float((hit & target).sum()) / hits if hits else 0.0)


def _prune(frame: pl.DataFrame, target: pl.Series, clauses: tuple[Clause, ...]) -> tuple[Clause, ...]:
    """Drop clauses that add nothing (same or better precision, no fewer true hits)."""
    hits, precision = _precision(frame, target, clauses)
    changed = True
    while changed and len(clauses) > 1:
        changed = False
        for i in range(len(clauses)):
            shorter = clauses[:i] + clauses[i + 1 :]
            h, p = _precision(frame, target, shorter)
            if p >= precision - 1e-9 and h * p >= hits * precision - 1e-9:
                clauses, hits, precision, changed = shorter, h, p, True
                break
    return clauses


def mine_patterns(
    decisions: pl.DataFrame,
    fields: Mapping[str, str],
    *,
    reasons: list[str] | None = None,
    max_depth: int = 3,
    min_support: int = 5,
    min_precision: float = 0.9,
    n_phrases: int = 30,
    random_state: int = 0,
    approvals_too: bool = False,
    min_support_ok: int = 50,
    min_precision_ok: float = 0.985,
    background: pl.DataFrame | None = None,
) -> list[PatternCandidate]:
    """Candidate conditions per reason code (reviewed blocks of that reason vs reviewed approvals).

    With ``approvals_too`` the code ``ok`` is mined as well: reviewer approvals against every
    reviewer block — conditions for approve rules that take clearly clean listings out of the
    queue (stricter support and precision, since a wrong approval is a leaked violation).

    ``fields`` maps the declared rule fields to their types (rules/fields.yaml): numeric and bool
    fields feed the tree directly, ``category`` is one-hot, and phrases come from ``text_norm``.

    ``background``: listings the system approved and nobody contested (a sample of the scored
    history). When reviewers see almost only violations, their few approvals cannot tell the tree
    what ordinary listings look like; the background joins the negatives of every block reason
    (not the positives of ``ok``), so a condition must also spare what is normally approved.
    """
    require_columns(decisions, DECISION_COLUMNS, "mine_patterns")
    frame = with_text_norm(decisions)
    approvals = frame.filter(pl.col("decision") == "approve")
    blocked = frame.filter(pl.col("decision") == "block")
    codes = reasons or sorted(blocked["reason_code"].unique().drop_nulls().to_list())
    categories = sorted(frame["category"].unique().drop_nulls().to_list()) if "category" in frame.columns else []
    found: list[PatternCandidate] = []
    if approvals_too:
        codes = [*codes, "ok"]
    for code in codes:
        if code == "ok":
            positive, negative = approvals, blocked
            need, purity = min_support_ok, min_precision_ok
        else:
            positive, negative = blocked.filter(pl.col("reason_code") == code), approvals
            if background is not None and background.height:
                negative = pl.concat([negative, background], how="diagonal_relaxed")
            need, purity = min_support, min_precision
        if positive.height < need or not negative.height:
            continue
        data = pl.concat([positive, negative.select([c for c in negative.columns if c in positive.columns])],
                         how="diagonal_relaxed")
        target = pl.Series([True] * positive.height + [False] * negative.height)
        phrases = top_phrases(positive["text_norm"].to_list(), negative["text_norm"].to_list(), k=n_phrases)
        x, meaning = _design(data, fields, phrases, categories)
        if not meaning:
            continue
        tree = DecisionTreeClassifier(
            max_depth=max_depth, min_samples_leaf=max(2, need // 2), random_state=random_state
        ).fit(x, target.to_numpy())
        seen: set[str] = set()
        for _, path in _paths(tree, meaning):
            if not path:
                continue
            hits, precision = _precision(data, target, path)
            if hits < need or precision < purity:
                continue
            clauses = _prune(data, target, path)
            candidate = PatternCandidate(code, clauses, *_precision(data, target, clauses))
            if candidate.condition not in seen:
                seen.add(candidate.condition)
                found.append(candidate)
    return found
