"""A day being built: column arrays the violation and hard-case generators edit in place.

Generators receive the rows they own (a numpy index array) and overwrite text, price or category
of those rows only, recording the label and the sub-pattern. Text edits are scatters of
vectorised results, never per-row Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from moderation.schema import CATEGORIES
from moderation.synth._render import pick
from moderation.synth.contacts import (
    email_obf,
    phone_groups,
    phone_look,
    phone_mixed,
    phone_plain,
    phone_words,
)
from moderation.synth.geo import CITIES
from moderation.synth.phrases import BANKS, DRIFT_DOMAINS
from moderation.synth.sellers import Population

__all__ = ["Draft", "GOODS", "lower_first_series", "set_text", "append_text", "context", "pattern_choice"]

GOODS = np.array([c not in ("jobs", "services") for c in CATEGORIES])
_CITY_NAMES = [c[1] for c in CITIES]


@dataclass
class Draft:
    seller: np.ndarray  # index into the population
    category: np.ndarray  # index into CATEGORIES
    city_idx: np.ndarray
    title: pl.Series
    description: pl.Series
    price: np.ndarray  # NaN = null
    median: np.ndarray
    item: pl.Series
    photo_count: np.ndarray
    violation: np.ndarray  # str codes, "ok" by default
    pattern: np.ndarray  # generator sub-type, "clean" by default
    hard_case: np.ndarray  # bool
    taken: np.ndarray  # bool: row already owned by a generator

    @property
    def n(self) -> int:
        return self.seller.size

    def label(self, rows: np.ndarray, violation: str, pattern) -> None:
        self.violation[rows] = violation
        self.pattern[rows] = pattern
        self.taken[rows] = True


def set_text(series: pl.Series, rows: np.ndarray, values: pl.Series) -> None:
    """Overwrite ``series[rows]`` in place."""
    if rows.size:
        series.scatter(rows, values)


def append_text(series: pl.Series, rows: np.ndarray, fragment: pl.Series, before: np.ndarray | None = None) -> None:
    """Add ``fragment`` after (or, where ``before`` is true, in front of) the existing text."""
    if not rows.size:
        return
    old = series.gather(rows)
    after = old + " " + fragment
    if before is None:
        set_text(series, rows, after)
        return
    ahead = fragment + " " + old
    mask = pl.Series(values=np.asarray(before, dtype=bool))
    set_text(series, rows, pl.select(pl.when(mask).then(ahead).otherwise(after)).to_series())


def pattern_choice(draft: Draft, pop: Population, rows: np.ndarray, k: int,
                   rng: np.random.Generator, offender: np.ndarray | None = None,
                   weights=None) -> tuple[np.ndarray, np.ndarray]:
    """(sub-pattern number, wording variant) per row; a repeat offender always uses the same pair."""
    if weights is None:
        pat = rng.integers(0, k, rows.size)
    else:
        w = np.asarray(weights, dtype=float)
        pat = rng.choice(k, size=rows.size, p=w / w.sum())
    var = rng.integers(0, 1_000_000, rows.size)
    if offender is not None and offender.any():
        v = pop.variant[draft.seller[rows]]
        pat = np.where(offender, v % k, pat)
        var = np.where(offender, v // k, var)
    return pat, var


def lower_first_series(item: pl.Series) -> pl.Series:
    """Vectorised ``listings.lower_first``: lower-case a leading Russian common noun."""
    first, second = item.str.slice(0, 1), item.str.slice(1, 1)
    common = first.str.contains("^[А-ЯЁ]$") & ~second.str.contains("^[A-ZА-ЯЁ]$")
    lowered = first.str.to_lowercase() + item.str.slice(1)
    return pl.select(pl.when(common).then(lowered).otherwise(item)).to_series()


def context(draft: Draft, pop: Population, rows: np.ndarray, rng: np.random.Generator) -> pl.DataFrame:
    """Every slot a violation template may use, for ``rows`` (a small share of the day)."""
    s = draft.seller[rows]
    p10 = pop.alt_phone10.gather(s)
    email = pop.email.gather(s)
    item = draft.item.gather(rows)
    m = rows.size
    return pl.DataFrame({
        "phone": phone_plain(p10, rng),
        "phone_words": phone_words(p10),
        "phone_groups": phone_groups(p10),
        "phone_mixed": phone_mixed(p10, rng),
        "phone_look": phone_look(p10, rng),
        "handle": pop.handle.gather(s),
        "email": email,
        "email_obf": email_obf(email),
        "card4": pop.card4.gather(s),
        "bank": pick(BANKS, pop.variant[s] % len(BANKS)),
        "sum": pick(["500", "1000", "1500", "2000", "3000", "5000", "10 000"], rng.integers(0, 7, m)),
        "city": pick(_CITY_NAMES, draft.city_idx[rows]),
        "item": item,
        "item_lower": lower_first_series(item),
        "kw": item.str.split(" ").list.first().str.to_lowercase(),
        "domain": pick(DRIFT_DOMAINS, rng.integers(0, len(DRIFT_DOMAINS), m)),
        "upper": draft.title.gather(rows).str.to_uppercase(),
    })
