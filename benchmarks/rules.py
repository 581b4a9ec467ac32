"""Benchmark: the shipped ruleset over 1 000 000 generated listings, against row-at-a-time baselines.

    .venv/bin/python benchmarks/rules.py [--rows 1000000] [--sample 100000]

Measured in one run:
  * our engine, end to end: Parquet read -> one native scan of the texts -> day stats (their
    fingerprint letters from that scan) -> tabular + text features -> evaluate();
  * a plain Python loop over dicts doing the same work row by row (``re`` text normalisation and
    contact features, then every rule condition translated to a Python expression), on a sample;
  * the ``rule-engine`` package evaluating the same conditions over dicts (features given), on the
    sample, against our ``evaluate()`` alone.
The day is generated once into var/bench/rules/ (``moderation.synth``) and reused.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from moderation.features import compute_day_stats  # noqa: E402
from moderation.features import text as T  # noqa: E402
from moderation.rules import Ruleset, evaluate, load_ruleset  # noqa: E402

# ----------------------------------------------------------------------------------------------
# SQL condition (lists already expanded) -> Python / rule-engine source. Covers what rules use.
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+(?:\.\d+)?(?:e[+-]?\d+)?)|(?P<op><>|<=|>=|!=|[=<>(),*+/-])"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*))",
    re.IGNORECASE,
)
_BETWEEN = re.compile(r"\b(\w+)\s+BETWEEN\s+([\w.]+)\s+AND\s+([\w.]+)", re.IGNORECASE)


def _py_regex(pattern: str) -> str:
    """Rust/RE2 Unicode classes in Python ``re`` terms."""
    return (pattern.replace(r"[^\pL\d]", r"[\W_]").replace(r"[^\pL]", r"[\W\d_]")
            .replace(r"\pL", r"[^\W\d_]"))


def _tokens(sql: str) -> list[tuple[str, str]]:
    sql = _BETWEEN.sub(r"(\1 >= \2 AND \1 <= \3)", sql)
    out, pos = [], 0
    while pos < len(sql):
        m = _TOKEN.match(sql, pos)
        if not m or m.end() == pos:
            if sql[pos:].strip() == "":
                break
            raise ValueError(f"cannot translate {sql[pos:pos + 30]!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def to_python(sql: str) -> str:
    """A Python expression over ``r`` (a dict); NULL comparisons raise TypeError (-> no hit)."""
    words = {"and": "and", "or": "or", "not": "not", "in": "in", "true": "True", "false": "False",
             "null": "None", "regexp_like": "_re", "coalesce": "_co"}
    out = []
    for kind, text in _tokens(sql):
        if kind == "str":
            out.append(repr(_py_regex(text[1:-1].replace("''", "'"))))
        elif kind == "op":
            out.append({"=": "==", "<>": "!="}.get(text, text))
        elif kind == "word":
            out.append(words.get(text.lower(), f"r[{text!r}]"))
        else:
            out.append(text)
    return " ".join(out)


def to_rule_engine(sql: str) -> str:
    """The same condition in rule-engine syntax."""
    out, toks, i = [], _tokens(sql), 0
    while i < len(toks):
        kind, text = toks[i]
        low = text.lower()
        if kind == "word" and low == "regexp_like":  # regexp_like(f, 'p') -> (f =~~ "p")
            field, pattern = toks[i + 2][1], toks[i + 4][1][1:-1].replace("''", "'")
            out.append(f"({field} =~~ {_py_regex(pattern)!r})")
            i += 6
            continue
        if kind == "word" and low == "coalesce":  # coalesce(f, d) -> (f == null ? d : f)
            field, default = toks[i + 2][1], toks[i + 4][1]
            default = repr(default[1:-1]) if default.startswith("'") else default
            out.append(f"({field} == null ? {default} : {field})")
            i += 6
            continue
        if kind == "word" and low == "in":  # IN ('a', 'b') -> in ['a', 'b']
            j = toks.index(("op", ")"), i)
            items = [repr(t[1][1:-1].replace("''", "'")) if t[0] == "str" else t[1]
                     for t in toks[i + 2 : j] if t != ("op", ",")]
            out.append(f"in [{', '.join(items)}]")
            i = j + 1
            continue
        if kind == "str":
            out.append(repr(text[1:-1].replace("''", "'")))
        elif kind == "op":
            out.append({"=": "==", "<>": "!="}.get(text, text))
        elif kind == "word":
            out.append(low if low in {"and", "or", "not", "true", "false", "null"} else text)
        else:
            out.append(text)
        i += 1
    return " ".join(out)


# ----------------------------------------------------------------------------------------------
# Row-at-a-time text features with Python `re` (the same steps as moderation.features.text).
_TOKENISE = re.compile(r"[\W_]+")
_NUMBER_WORDS = {k.strip(): v.strip() for k, v in T._NUMBER_WORDS.items()}
_COMPOSE = [(re.compile(p), r) for p, r in [
    (f"{T._H}\\s*(\\d{T._T})", r"\1"), (f"{T._H}\\s*(\\d\\d)(?:\\s|$)", r"\1 "),
    (f"{T._H}\\s*(\\d)(?:\\s|$)", r"0\1 "), (T._H, "00"), (f"{T._T}\\s*(\\d)(?:\\s|$)", r"\1 "), (T._T, "0"),
]]
_O_DIGIT = re.compile(r"(\d\s*)о(\s*\d)")
_Z_DIGIT = re.compile(r"(\d\s*)з(\s*\d)")
_JOIN = re.compile(r"(\d)\s+(\d)")
_FOLD = str.maketrans(T._LOWER_FOLD)
_LOW = str.maketrans(T._LOWER)
_PY = {name: re.compile(_py_regex(getattr(T, name))) for name in (
    "_PHONE_RE", "_EMAIL_RE", "_LINK_RE", "_HANDLE_RE", "_GLUED_DIGITS_RE", "_MESSENGER_RE", "_LOCAL_PHONE_RE",
    "_REQUISITES_RE", "_MEASURE_RE")}


def py_text_features(row: dict) -> None:
    title, description = row.get("title"), row.get("description")
    if title is None and description is None:
        return
    raw = " ".join(x for x in (title, description) if x is not None)
    lower = raw.translate(_LOW)
    tokens = [_NUMBER_WORDS.get(t, t) for t in _TOKENISE.sub(" ", raw.translate(_FOLD)).split()]
    text = " ".join(tokens)
    for pattern, repl in _COMPOSE:
        text = pattern.sub(repl, text)
    text = _Z_DIGIT.sub(r"\g<1>3\2", _O_DIGIT.sub(r"\g<1>0\2", text))
    text = _JOIN.sub(r"\1\2", _JOIN.sub(r"\1\2", text))
    norm = " ".join(text.split())
    unlisted = _PY["_REQUISITES_RE"].sub("", norm)  # requisites are not phones
    phone = _PY["_PHONE_RE"].search(unlisted)
    digits = re.sub(r"\D", "", norm)
    phone_digits = re.sub(r"\D", "", _PY["_MEASURE_RE"].sub("", unlisted))  # nor are measures
    row.update(
        text_norm=norm,
        text_digit_count=len(digits),
        text_phone=None if not phone else "7" + phone.group(1)[-10:],
        phone_in_text=phone is not None,
        email_in_text=_PY["_EMAIL_RE"].search(lower) is not None,
        link_in_text=_PY["_LINK_RE"].search(lower) is not None,
        handle_in_text=_PY["_HANDLE_RE"].search(lower) is not None,
        messenger_mention=_PY["_MESSENGER_RE"].search(norm) is not None,
    )
    glued = len(_PY["_GLUED_DIGITS_RE"].findall(lower))
    row["hidden_phone"] = bool(
        (glued >= 2 and re.search(r"[78]9\d{9}|9\d{9}", digits))
        or re.fullmatch(r"[78]9\d{9}", phone_digits) or _PY["_LOCAL_PHONE_RE"].search(unlisted))
    row["contact_signals"] = sum(bool(row[k]) for k in (
        "phone_in_text", "hidden_phone", "handle_in_text", "email_in_text", "link_in_text", "messenger_mention"))


_DIGIT = re.compile(r"\d")
_UPPER_RE = re.compile(r"[^\W\d_]")


def py_tabular_features(row: dict, medians: dict[str, float], overall: float | None,
                        copies: dict[str, int]) -> None:
    """moderation.features.tabular, one row at a time (day figures looked up, as the engine does)."""
    median = medians.get(row.get("category"), overall)
    price, title, description = row.get("price"), row.get("title"), row.get("description")
    text = " ".join(x for x in (title, description) if x is not None)
    letters = _UPPER_RE.findall(text)
    created, registered = row.get("created_at"), row.get("seller_registered_at")
    row.update(
        category_median_price=median,
        price_ratio=None if price is None or not median else price / median,
        seller_age_days=None if created is None or registered is None
        else (created - registered).total_seconds() / 86_400.0,
        title_len=None if title is None else len(title),
        description_len=None if description is None else len(description),
        digit_share=len(_DIGIT.findall(text)) / len(text) if text else None,
        upper_share=sum(c.isupper() for c in letters) / len(letters) if letters else None,
        exclamation_count=text.count("!"),
        earlier_copies=copies.get(row.get("listing_id"), 0),
    )


def python_loop(rows: list[dict], ruleset: Ruleset, medians: dict[str, float],
                overall: float | None, copies: dict[str, int]) -> list[list[str]]:
    """The baseline: per row, tabular and text features, then every active/shadow rule."""
    rules = ruleset.active + ruleset.shadow
    regex_cache: dict[str, re.Pattern] = {}

    def _re(value, pattern):
        if value is None:
            raise TypeError
        compiled = regex_cache.get(pattern) or regex_cache.setdefault(pattern, re.compile(pattern))
        return compiled.search(value) is not None

    def _co(value, default):
        return default if value is None else value

    checks = [(r.id, compile(to_python(r.compiled.sql), r.id, "eval")) for r in rules]
    env = {"_re": _re, "_co": _co}
    out = []
    for row in rows:
        py_tabular_features(row, medians, overall, copies)
        py_text_features(row)
        hits = []
        for rule_id, code in checks:
            try:
                if eval(code, env, {"r": row}):  # noqa: S307 - our own translated conditions
                    hits.append(rule_id)
            except TypeError:  # a NULL took part in a comparison: no hit
                pass
        out.append(hits)
    return out


def rule_engine_loop(rows: list[dict], ruleset: Ruleset) -> list[list[str]]:
    import rule_engine

    ctx = rule_engine.Context(default_value=None)
    rules = [(r.id, rule_engine.Rule(to_rule_engine(r.compiled.sql), context=ctx))
             for r in ruleset.active + ruleset.shadow]
    out = []
    for row in rows:
        hits = []
        for rule_id, rule in rules:
            try:
                if rule.matches(row):
                    hits.append(rule_id)
            except rule_engine.errors.EvaluationError:  # NULL in a comparison
                pass
        out.append(hits)
    return out


# ----------------------------------------------------------------------------------------------
def ensure_day(cache: Path, rows: int, seed: int) -> Path:
    path = cache / f"listings-{rows}-seed{seed}.parquet"
    if not path.is_file():
        from moderation.synth.day import generate_day

        cache.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        listings, _truth = generate_day(0, rows, seed=seed)
        listings.write_parquet(path)
        print(f"generated {rows:,} listings in {time.perf_counter() - started:.1f} s -> {path}")
    return path


def our_engine(path: Path, ruleset: Ruleset) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, float]]:
    """moderation.features.add_features (text scan, day stats, tabular, text) then evaluate(), timed."""
    from moderation.features.native import kernel, scan_texts
    from moderation.features.tabular import FINGERPRINT_SCAN, add_tabular_features
    from moderation.features.text import add_text_features

    kernel()  # loaded once per process (its Unicode tables take ~0.1 s), not per batch

    marks = [(time.perf_counter(), time.process_time())]
    listings = pl.read_parquet(path)
    marks.append((time.perf_counter(), time.process_time()))
    scanned = scan_texts(listings["title"], listings["description"], FINGERPRINT_SCAN)
    marks.append((time.perf_counter(), time.process_time()))
    stats = compute_day_stats(listings, scanned=scanned)
    marks.append((time.perf_counter(), time.process_time()))
    tabular = add_tabular_features(listings, stats, scanned)
    marks.append((time.perf_counter(), time.process_time()))
    features = add_text_features(tabular, scanned)  # == add_features(listings)
    marks.append((time.perf_counter(), time.process_time()))
    hits = evaluate(ruleset, features)
    marks.append((time.perf_counter(), time.process_time()))
    names = ("read", "text scan", "day stats", "tabular", "text", "evaluate", "total")
    spans = [*zip(marks[:-1], marks[1:], strict=True), (marks[0], marks[-1])]
    # Per stage: (wall seconds, CPU seconds of all threads).
    timing = {n: (b[0] - a[0], b[1] - a[1]) for n, (a, b) in zip(names, spans, strict=True)}
    return features, hits, timing


def _hit_sets(hits: pl.DataFrame) -> list[list[str]]:
    return [a + b for a, b in zip(hits["rule_hits"].to_list(), hits["shadow_hits"].to_list(), strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=ROOT / "var" / "bench" / "rules")
    parser.add_argument("--rules", type=Path, default=ROOT / "rules")
    args = parser.parse_args()

    ruleset = load_ruleset(args.rules)
    path = ensure_day(args.cache, args.rows, args.seed)
    n_rules = len(ruleset.active) + len(ruleset.shadow)
    print(f"ruleset {ruleset.version}: {n_rules} rules (active + shadow) over {args.rows:,} listings")

    print(f"machine: {os.cpu_count()} cores, Polars {pl.__version__} with {pl.thread_pool_size()} threads, "
          f"load average {_load()} before the run")
    features, hits, t = our_engine(path, ruleset)
    ours, ours_cpu = args.rows / t["total"][0], t["total"][1]
    print(f"our engine      {ours:>12,.0f} listings/s  (wall, Parquet read included); "
          f"{args.rows / ours_cpu:,.0f} listings per CPU-second")
    for name, (wall, cpu) in t.items():
        print(f"    {name:<10} {wall:6.2f} s wall {cpu:6.2f} s CPU  {wall / t['total'][0]:4.0%} of wall  "
              f"{args.rows / wall:>12,.0f} listings/s")

    sample = min(args.sample, args.rows)
    raw_rows = pl.read_parquet(path, n_rows=sample).to_dicts()
    stats = compute_day_stats(pl.scan_parquet(path))  # the day's figures, as the engine uses
    copies = dict(stats.earlier_copies.iter_rows())
    started, cpu0 = time.perf_counter(), time.process_time()
    loop_hits = python_loop(raw_rows, ruleset, dict(stats.category_median_price),
                            stats.overall_median_price, copies)
    loop_rate = sample / (time.perf_counter() - started)
    loop_cpu_rate = sample / (time.process_time() - cpu0)
    agree = sum(a == b for a, b in zip(loop_hits, _hit_sets(hits.head(sample)), strict=True)) / sample
    print(f"python re loop  {loop_rate:>12,.0f} listings/s  on {sample:,} rows (features + rules; "
          f"same hits as ours on {agree:.1%} of rows)")

    feature_rows = features.head(sample).to_dicts()
    started = time.perf_counter()
    re_hits = rule_engine_loop(feature_rows, ruleset)
    re_rate = sample / (time.perf_counter() - started)
    eval_rate = args.rows / t["evaluate"][0]
    agree = sum(a == b for a, b in zip(re_hits, _hit_sets(hits.head(sample)), strict=True)) / sample
    print(f"rule-engine     {re_rate:>12,.0f} listings/s  on {sample:,} rows (rules only, features given; "
          f"same hits on {agree:.1%}); our evaluate() alone {eval_rate:,.0f} listings/s")
    print(f"ratio: ours / python loop = {ours / loop_rate:.1f}x wall-clock (target >= 10x), "
          f"{(args.rows / ours_cpu) / loop_cpu_rate:.1f}x per CPU-second; "
          f"evaluate / rule-engine = {eval_rate / re_rate:.1f}x; "
          f"target 400,000 listings/s: {'met' if ours >= 400_000 else 'NOT met'}")
    print(f"load average {_load()} after the run (other processes share the cores: compare CPU-seconds)")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
