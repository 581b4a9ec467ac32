"""Conditions -> Polars expressions: expand named lists, parse with ``pl.sql_expr``, type-check.

The condition language is a SQL boolean expression as Polars parses it, plus named lists:

* ``field IN @list`` / ``field NOT IN @list`` — exact values (phones, handles, seller ids);
* ``contains_any(field, @list)`` — the field contains any entry (case-insensitive);
* ``contains_word(field, @list)`` — ... as a whole word / phrase.

On ``text_norm`` (lower-case, single spaces between words) entries are normalised the same way
and matched without a case-insensitive flag, with spaces as word boundaries: the regex engine
can then use its literal prefilters, which matters on millions of rows.

Lists are expanded textually before parsing, so the same expanded SQL also runs in DuckDB (the
differential test). Entries used against ``text_norm`` are normalised exactly as ``text_norm`` is.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from moderation.features.text import normalise_phrases

__all__ = [
    "CompileError",
    "Compiled",
    "NeedleCall",
    "compile_condition",
    "expand_lists",
    "to_duckdb",
    "polars_dtype",
    "regex_literals",
    "required_literals",
    "without_literal_calls",
]

_POLARS_TYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "float": pl.Float64(),
    "int": pl.Int64(),
    "bool": pl.Boolean(),
    "datetime": pl.Datetime("us"),
}

_LITERAL = re.compile(r"'(?:[^']|'')*'")
_IN_LIST = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s+(NOT\s+)?IN\s+@([A-Za-z0-9_]+)", re.IGNORECASE)
_CONTAINS = re.compile(
    r"\b(contains_any|contains_word)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,\s*@([A-Za-z0-9_]+)\s*\)",
    re.IGNORECASE,
)
_STRAY_LIST = re.compile(r"@([A-Za-z0-9_]*)")
_REGEX_CALL = re.compile(r"\bregexp_like\s*\(\s*[A-Za-z_][A-Za-z0-9_]*\s*,\s*('(?:[^']|'')*')", re.IGNORECASE)
_TILDE = re.compile(r"!?~\*?")
_REGEX_META = re.compile(r"([\\.^$|?*+()\[\]{}])")
_BOUNDARY = r"[^\pL\d]"


class CompileError(Exception):
    """A condition cannot be compiled; ``problems`` holds every (message, hint) found."""

    def __init__(self, message: str, hint: str | None = None, more: list[tuple[str, str | None]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.problems: list[tuple[str, str | None]] = [(message, hint), *(more or [])]

    @classmethod
    def of(cls, problems: list[tuple[str, str | None]]) -> CompileError:
        return cls(problems[0][0], problems[0][1], problems[1:])


@dataclass(frozen=True)
class NeedleCall:
    """One ``regexp_like(field, pattern)`` of a condition whose every match contains one of
    ``literals`` (contains_any / contains_word lists, literal-led regexes).

    Its value on a row: NULL where ``field`` is NULL, false where no literal occurs in it, else
    true when ``exact`` (the pattern is nothing but those literals), else ``expr``. evaluate()
    finds the literals of all calls in one pass and runs ``expr`` only on rows that contain one.
    """

    name: str  # the column standing for the call in ``Compiled.expr_with_calls`` (same call, same name)
    field: str
    literals: frozenset[str]
    exact: bool
    expr: pl.Expr  # the call alone, as in ``Compiled.expr`` (NULL where the field is NULL)


@dataclass(frozen=True)
class Compiled:
    sql: str  # the condition with lists expanded (what Polars and DuckDB parse)
    expr: pl.Expr  # boolean, NULL -> false
    fields: tuple[str, ...]
    # Literals that some regexp_like(field, ...) of the condition cannot match without (per
    # field), and the condition on rows where none of them occurs (those calls then false).
    # evaluate() runs ``expr`` only on the few rows that contain one: one Aho-Corasick pass
    # instead of one regex pass per phrase list. Empty when the condition has no such call.
    needles: Mapping[str, frozenset[str]] = field(default_factory=dict)
    expr_without_needles: pl.Expr | None = None
    # The same calls as columns: ``expr`` with each call replaced by the column ``call.name``
    # (NULL -> false as ``expr``). None when the condition has no such call.
    calls: tuple[NeedleCall, ...] = ()
    expr_with_calls: pl.Expr | None = None


def polars_dtype(type_name: str) -> pl.DataType:
    return _POLARS_TYPES[type_name]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _regex_escape(text: str) -> str:
    # Only real metacharacters: Rust's regex rejects escapes of ordinary letters.
    return _REGEX_META.sub(r"\\\1", text)


def _split_literals(sql: str) -> list[tuple[bool, str]]:
    """Pieces of ``sql`` as (is_string_literal, text), so rewrites never touch quoted text."""
    pieces, last = [], 0
    for match in _LITERAL.finditer(sql):
        pieces.append((False, sql[last : match.start()]))
        pieces.append((True, match.group(0)))
        last = match.end()
    pieces.append((False, sql[last:]))
    return pieces


def expand_lists(condition: str, lists: Mapping[str, list[str]],
                 problems: list[tuple[str, str | None]] | None = None) -> str:
    """Replace every list reference by literal SQL.

    Problems (unknown lists, misuse) are appended to ``problems`` when given (an unknown list
    then expands to a harmless placeholder so later passes still run), else raised.
    """
    collect = problems is not None
    found: list[tuple[str, str | None]] = problems if collect else []

    def entries(name: str) -> list[str]:
        if name not in lists:
            found.append((f"unknown list `@{name}`",
                          _did_you_mean(name, lists, prefix="@") or "lists live in rules/lists/<name>.txt"))
            return ["?"]
        return lists[name]

    def in_list(m: re.Match[str]) -> str:
        values = ", ".join(_quote(v) for v in entries(m.group(3)))
        return f"{m.group(1)} {'NOT ' if m.group(2) else ''}IN ({values})"

    def contains(m: re.Match[str]) -> str:
        func, field, name = m.group(1).lower(), m.group(2), m.group(3)
        phrases = entries(name)
        normalised = field == "text_norm"
        if normalised:  # already lower-case, words single-spaced: cheaper, literal-friendly patterns
            phrases = normalise_phrases(phrases)
        phrases = sorted({p for p in phrases if p}, key=lambda p: (-len(p), p))
        alternation = "|".join(_regex_escape(p) for p in phrases)
        flags, boundary = ("", " ") if normalised else ("(?i)", _BOUNDARY)
        if func == "contains_word":
            pattern = f"{flags}(?:^|{boundary})(?:{alternation})(?:{boundary}|$)"
        else:
            pattern = f"{flags}(?:{alternation})"
        return f"regexp_like({field}, {_quote(pattern)})"

    out = []
    for is_literal, text in _split_literals(condition):
        if not is_literal:
            text = _CONTAINS.sub(contains, _IN_LIST.sub(in_list, text))
            stray = _STRAY_LIST.search(text)
            if stray:
                found.append((
                    f"list `@{stray.group(1)}` used outside `field IN @list`, "
                    "`contains_any(field, @list)` or `contains_word(field, @list)`",
                    "write e.g. `text_phone IN @blocked_phones` or "
                    "`contains_any(text_norm, @prepayment_phrases)`",
                ))
            if _TILDE.search(text):
                found.append((
                    "the regex operator `~` is not supported (engines disagree on its meaning)",
                    "write `regexp_like(field, 'pattern')` instead",
                ))
        out.append(text)
    if found and not collect:
        raise CompileError.of(found)
    return "".join(out)


# ``regexp_like(f, '(?:^| )(?:a|b)(?: |$)')`` (contains_word on text_norm) is evaluated as
# ``regexp_like(' ' || f || ' ', ' (?:a|b) ')``: the same hits (NULL stays NULL), but a pattern
# of plain literals lets the regex engine prefilter with Aho-Corasick, 2-3x faster.
_WORD_CALL = re.compile(
    r"\bregexp_like\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,\s*'\(\?:\^\| \)\(\?:((?:[^']|'')*)\)\(\?: \|\$\)'\s*\)",
    re.IGNORECASE,
)
_ANCHORS = re.compile(r"[$^]|\\[bBAz]")


def _padded_words(sql: str) -> str:
    """The SQL handed to Polars: whole-word alternations matched on space-padded text."""
    def pad(m: re.Match[str]) -> str:
        field, alternation = m.group(1), m.group(2)
        if _ANCHORS.search(alternation):
            return m.group(0)
        return f"regexp_like(' ' || {field} || ' ', ' (?:{alternation}) ')"

    return _WORD_CALL.sub(pad, sql)


def regex_literals(sql: str) -> list[str]:
    """The patterns of every ``regexp_like(field, '...')`` call in ``sql``."""
    return [m.group(1)[1:-1].replace("''", "'") for m in _REGEX_CALL.finditer(sql)]


_CALL = re.compile(
    r"\bregexp_like\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,\s*('(?:[^']|'')*')\s*\)", re.IGNORECASE
)
_META_CHARS = set("\\.^$|?*+()[]{}")


def _literal_alternatives(body: str) -> list[str] | None:
    """``a|b\\.c`` -> ["a", "b.c"]; None unless every alternative is a non-empty plain literal."""
    alternatives, current, i = [], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            if i + 1 >= len(body) or body[i + 1] not in _META_CHARS:
                return None  # \d, \b, \pL ...: a class or an assertion, not a literal
            current.append(body[i + 1])
            i += 2
            continue
        if ch == "|":
            alternatives.append("".join(current))
            current = []
        elif ch in _META_CHARS:
            return None
        else:
            current.append(ch)
        i += 1
    alternatives.append("".join(current))
    return alternatives if all(alternatives) else None


def _first_group(pattern: str) -> tuple[str, str] | None:
    """``(?:body)rest`` or ``(body)rest`` -> (body, rest) when body has no nested group."""
    start = 3 if pattern.startswith("(?:") else 1 if pattern.startswith("(") else 0
    if not start:
        return None
    i = start
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] == "(":
            return None
        if pattern[i] == ")":
            return pattern[start:i], pattern[i + 1 :]
        i += 1
    return None


def required_literals(pattern: str) -> list[str] | None:
    """Literals one of which every match of ``pattern`` contains, or None if we cannot tell.

    Understood forms (what lists expand to, and hand-written phrase alternations):
    ``a|b``, ``(?:a|b)...`` / ``(a|b)...`` (a literal first group; anything may follow), and
    ``(?:^| )(?:a|b)(?: |$)`` (contains_word on text_norm).
    """
    word = re.fullmatch(r"\(\?:\^\| \)\(\?:(.*)\)\(\?: \|\$\)", pattern, re.DOTALL)
    if word:
        return _literal_alternatives(word.group(1))
    whole = _literal_alternatives(pattern)
    if whole is not None:
        return whole
    group = _first_group(pattern)
    if not group or not _always_after(group[1]):
        return None
    return _literal_alternatives(group[0])


def _always_after(rest: str) -> bool:
    """True when ``rest`` cannot make a preceding group optional nor offer an alternative
    without it: it starts with no quantifier and has no top-level ``|``."""
    if rest[:1] in ("?", "*", "{"):
        return False
    depth, in_class, i = 0, False, 0
    while i < len(rest):
        ch = rest[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if rest[i + 1 : i + 2] == "]":  # "[]...]": a leading ] is literal
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return False
        i += 1
    return True


def _literal_calls(sql: str, replace) -> str:
    """``sql`` with every ``regexp_like(f, p)`` whose ``p`` has required literals replaced by
    ``replace(match, field, pattern, literals)``; other calls and quoted text are left alone."""
    literal_spans = [m.span() for m in _LITERAL.finditer(sql)]

    def sub(m: re.Match[str]) -> str:
        if any(a <= m.start() < b for a, b in literal_spans):
            return m.group(0)  # inside a quoted string: not a call
        pattern = m.group(2)[1:-1].replace("''", "'")
        literals = required_literals(pattern)
        if literals is None:
            return m.group(0)
        return replace(m, m.group(1), pattern, literals)

    return _CALL.sub(sub, sql)


def without_literal_calls(sql: str) -> tuple[str, dict[str, set[str]]]:
    """``sql`` with every ``regexp_like(f, p)`` whose ``p`` has required literals replaced by
    FALSE — the condition on rows whose field f contains none of them (and is not NULL) —
    and those literals per field."""
    needles: dict[str, set[str]] = {}

    def replace(m: re.Match[str], name: str, pattern: str, literals: list[str]) -> str:
        needles.setdefault(name, set()).update(literals)
        return "FALSE"

    return _literal_calls(sql, replace), needles


def _only_literals(pattern: str) -> bool:
    """True when ``pattern`` matches exactly where one of its literals occurs: ``a|b``, ``(?:a|b)``."""
    if _literal_alternatives(pattern) is not None:
        return True
    group = _first_group(pattern)
    return group is not None and group[1] == "" and _literal_alternatives(group[0]) is not None


def with_call_columns(sql: str) -> tuple[str, list[NeedleCall]]:
    """``sql`` with every ``regexp_like(f, p)`` whose ``p`` has required literals replaced by a
    column standing for the call (named after field and pattern), and those calls."""
    calls: dict[str, NeedleCall] = {}

    def replace(m: re.Match[str], name: str, pattern: str, literals: list[str]) -> str:
        digest = hashlib.sha1(f"{name}\0{pattern}".encode()).hexdigest()[:20]
        column = f"__needle_call_{digest}"
        if column not in calls:
            calls[column] = NeedleCall(
                name=column, field=name, literals=frozenset(literals),
                exact=_only_literals(pattern),
                expr=pl.sql_expr(_padded_words(f"regexp_like({name}, {_quote(pattern)})")),
            )
        return f'"{column}"'

    return _literal_calls(sql, replace), list(calls.values())


def _did_you_mean(name: str, known, prefix: str = "") -> str | None:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"did you mean `{prefix}{close[0]}`?" if close else None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def compile_condition(
    condition: str, field_types: Mapping[str, str], lists: Mapping[str, list[str]]
) -> Compiled:
    """Compile and type-check one condition against the declared fields.

    Raises CompileError carrying every problem found (lists, regexes, fields), not just the first.
    """
    problems: list[tuple[str, str | None]] = []
    sql = expand_lists(condition, lists, problems)
    for pattern in regex_literals(sql):
        try:
            pl.select(pl.lit("").str.contains(pattern))
        except Exception as exc:  # polars raises ComputeError on a bad pattern
            found = re.findall(r"error: ([^\n]+)", str(exc))
            detail = found[-1].strip() if found else _first_line(exc)
            problems.append((
                f"invalid regular expression {pattern!r}: {detail}",
                "escape special characters with a backslash, e.g. '\\.' for a dot",
            ))
    try:
        expr = pl.sql_expr(_padded_words(sql))
    except Exception as exc:
        problems.append((
            f"cannot parse the condition: {_first_line(exc)}",
            "write a SQL boolean expression, e.g. `price < 0.3 * category_median_price "
            "AND seller_age_days < 7`",
        ))
        raise CompileError.of(problems) from None
    used = tuple(dict.fromkeys(expr.meta.root_names()))
    for name in used:
        if name not in field_types:
            problems.append((
                f"unknown field `{name}`",
                _did_you_mean(name, field_types) or "declare it in rules/fields.yaml",
            ))
    if problems:
        raise CompileError.of(problems)
    schema = {name: _POLARS_TYPES[field_types[name]] for name in used}
    probe = pl.DataFrame({n: [None] for n in schema}, schema=schema) if schema else pl.DataFrame({"_": [0]})
    try:
        result = probe.select(expr.alias("__hit"))
    except Exception as exc:
        types = ", ".join(f"`{n}` is {field_types[n]}" for n in used)
        raise CompileError(
            f"type mismatch in the condition: {_first_line(exc)}",
            f"compare fields with values of their declared type ({types})",
        ) from None
    dtype = result.schema["__hit"]
    if dtype != pl.Boolean:
        raise CompileError(
            f"the condition must be true or false for a listing. Got a {dtype} value instead.",
            "compare the value, e.g. `text_digit_count >= 10`",
        )
    rest, needles = without_literal_calls(sql)
    absent = pl.sql_expr(_padded_words(rest)).fill_null(False) if needles else None
    columns, calls = with_call_columns(sql)
    with_calls = pl.sql_expr(_padded_words(columns)).fill_null(False) if calls else None
    return Compiled(sql=sql, expr=expr.fill_null(False), fields=used,
                    needles={f: frozenset(n) for f, n in needles.items()}, expr_without_needles=absent,
                    calls=tuple(calls), expr_with_calls=with_calls)


def to_duckdb(sql: str) -> str:
    """The expanded condition in DuckDB's dialect (used by the differential test)."""
    pieces = _split_literals(sql)
    return "".join(
        text if lit else re.sub(r"\bregexp_like\s*\(", "regexp_matches(", text, flags=re.IGNORECASE)
        for lit, text in pieces
    )
