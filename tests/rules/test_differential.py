"""Differential test: every shipped rule condition gives the same hits in Polars and in DuckDB.

The conditions are expanded once (named lists -> literal SQL) and run by both engines (and by
evaluate(), whose phrase prefilter must not change a hit) over the
same frames: random frames with NULLs, empty strings, Unicode and extreme numbers (hypothesis),
every rule's own examples, and a generated day. NULL counts as "no hit" on both sides.
NaN is left out of the random floats: the feature code never produces it (shares and ratios are
null instead), and the two engines order NaN differently.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderation.features.text import normalise_phrases
from moderation.rules import (
    Ruleset,
    complete_fields,
    evaluate,
    example_frame,
    load_ruleset,
    to_duckdb,
)
from moderation.rules.compile import polars_dtype
from moderation.schema import CATEGORIES

SHIPPED_RULES = Path(__file__).resolve().parents[2] / "rules"
RULESET: Ruleset = load_ruleset(SHIPPED_RULES)
RULES = sorted(RULESET.rules, key=lambda r: r.id)  # disabled ones too: they ship as well


def _duckdb_hits(frame: pl.DataFrame) -> pl.DataFrame:
    con = duckdb.connect()
    con.register("listings", frame.to_arrow())
    select = ", ".join(
        f'COALESCE(({to_duckdb(r.compiled.sql)}), FALSE) AS "{r.id}"' for r in RULES
    )
    out = con.sql(f"SELECT {select} FROM listings").pl()
    con.close()
    return out


def _polars_hits(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select([r.compiled.expr.alias(r.id) for r in RULES])


def _engine_hits(frame: pl.DataFrame) -> pl.DataFrame:
    """evaluate()'s hits (its phrase prefilter path) as one boolean column per active/shadow rule."""
    hits = evaluate(RULESET, frame)
    ids = [a + b for a, b in zip(hits["rule_hits"].to_list(), hits["shadow_hits"].to_list(), strict=True)]
    return pl.DataFrame({r.id: [r.id in row for row in ids] for r in RULESET.active + RULESET.shadow},
                        schema={r.id: pl.Boolean for r in RULESET.active + RULESET.shadow})


def assert_same_hits(frame: pl.DataFrame) -> None:
    ours, theirs, engine = _polars_hits(frame), _duckdb_hits(frame), _engine_hits(frame)
    for rule in RULES:
        a, b = ours[rule.id].to_list(), theirs[rule.id].to_list()
        c = engine[rule.id].to_list() if rule.id in engine.columns else a
        if a != b or a != c:
            row = next(i for i, (x, y, z) in enumerate(zip(a, b, c, strict=True)) if not x == y == z)
            values = {f: frame[f][row] for f in rule.compiled.fields}
            pytest.fail(f"{rule.id}: polars={a[row]} duckdb={b[row]} evaluate={c[row]} at row {row} with {values}")


# Strings that make conditions hit: list entries (raw and normalised), categories, ids.
_VOCAB = sorted({
    *CATEGORIES, "private", "pro", "",
    *(e for entries in RULESET.lists.values() for e in entries),
    *normalise_phrases([e for entries in RULESET.lists.values() for e in entries]),
})
_word = st.sampled_from(_VOCAB)
_noise = st.text(
    alphabet=st.sampled_from(list("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЯЁabcxyzOo0123456789 .,-+@/:!'%_\\()[]*?") + ["🔥", "\u00a0", "\u200b", "ß", "İ", "\t"]),
    max_size=40,
)
_strings = st.one_of(st.none(), st.just(""), _word, _noise,
                     st.builds(lambda a, b, c: f"{a} {b} {c}", _word, _noise, _word))
_floats = st.one_of(
    st.none(), st.floats(allow_nan=False, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 0.1, 0.2, 0.33, 0.5, 0.7, 2.0, 7.0, 14.0, 30.0, 730.0, 1e308, -1e308, 5e-324]),
)
_ints = st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1), st.integers(-2, 400))
_bools = st.one_of(st.none(), st.booleans())
_datetimes = st.one_of(st.none(), st.datetimes(dt.datetime(1970, 1, 1), dt.datetime(2100, 1, 1)))
_BY_TYPE = {"string": _strings, "float": _floats, "int": _ints, "bool": _bools, "datetime": _datetimes}


@st.composite
def frames(draw) -> pl.DataFrame:
    n = draw(st.integers(1, 40))
    data = {name: draw(st.lists(_BY_TYPE[spec.type], min_size=n, max_size=n))
            for name, spec in RULESET.fields.items()}
    schema = {name: polars_dtype(spec.type) for name, spec in RULESET.fields.items()}
    return pl.DataFrame(data, schema=schema)


# DuckDB compiles every rule's regexes per query (~0.3 s), so: few examples, many rows each.
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(frames())
def test_random_frames_agree(frame: pl.DataFrame) -> None:
    assert_same_hits(frame)


def test_rule_examples_agree_and_hit() -> None:
    rows = [dict(e) for r in RULES for group in ("match", "no_match")
            for e in getattr(r.spec.examples, group)]
    frame = example_frame(rows, RULESET.fields)
    assert_same_hits(frame)
    assert all(_polars_hits(frame)[r.id].any() for r in RULES)  # every rule exercised


def test_generated_day_agrees() -> None:
    from moderation.features import add_features, compute_day_stats
    from moderation.synth.day import generate_day

    listings, _truth = generate_day(0, 3000, seed=11)
    frame = complete_fields(add_features(listings, compute_day_stats(listings)), RULESET.fields)
    assert_same_hits(frame)
    assert _polars_hits(frame).select(pl.any_horizontal(pl.all())).to_series().sum() > 50
