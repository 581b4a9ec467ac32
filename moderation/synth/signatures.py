"""Repeat re-posters: each duplicate offender owns one listing and posts it again every day.

The listing (its "signature") is drawn once per seed from its own random stream, so it is the
same text on every day; the accounts of one ring all post their leader's listing. The very first posting (the first on day 0) is the original and labelled
``ok``; every later copy is a ``duplicate``, lightly edited about half the time.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from moderation.schema import VIOLATIONS
from moderation.synth.draft import Draft
from moderation.synth.listings import CleanListings, build_clean, round_price
from moderation.synth.sellers import Population
from moderation.synth.violations import near_edit

__all__ = ["repost_signatures"]

_DUP = VIOLATIONS.index("duplicate")


# (seed, population size) -> signatures; the population is a pure function of that key.
_CACHE: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, CleanListings]] = {}


def _build(pop: Population, seed: int) -> tuple[np.ndarray, np.ndarray, CleanListings]:
    key = (seed, pop.size)
    if key not in _CACHE:
        dup = pop.offense == _DUP
        owners = np.flatnonzero(dup & (pop.ring_leader == np.arange(pop.size)))
        slot = np.full(pop.size, -1, dtype=np.int64)
        slot[owners] = np.arange(owners.size)
        members = np.flatnonzero(dup & (slot < 0))
        slot[members] = slot[pop.ring_leader[members]]  # ring accounts repost the leader's listing
        rng = np.random.default_rng([seed, 7002])
        cats, cities = pop.main_cat[owners], pop.city_idx[owners]
        clean = build_clean(cats, cities, pop.is_pro[owners], rng) if owners.size else None
        _CACHE.clear()
        _CACHE[key] = (slot, np.stack([cats, cities]) if owners.size else np.zeros((2, 0), int), clean)
    return _CACHE[key]


def repost_signatures(d: Draft, pop: Population, rows: np.ndarray, seed: int, day_index: int,
                      rng: np.random.Generator) -> None:
    """Fill ``rows`` (duplicate offenders' postings) with their owners' signature listing."""
    if rows.size == 0:
        return
    slot, cat_city, clean = _build(pop, seed)
    k = slot[d.seller[rows]]
    d.category[rows], d.city_idx[rows] = cat_city[0][k], cat_city[1][k]
    title, desc = clean.title.gather(k), clean.description.gather(k)
    edit = rng.random(rows.size) < 0.5
    desc = pl.select(pl.when(pl.Series(values=edit)).then(near_edit(desc, rng)).otherwise(desc)).to_series()
    d.title.scatter(rows, title)
    d.description.scatter(rows, desc)
    d.item.scatter(rows, clean.item.gather(k))
    d.median[rows] = clean.median[k]
    base = clean.price[k]
    d.price[rows] = np.where(np.isnan(base), np.nan, round_price(np.nan_to_num(base) * rng.uniform(0.95, 1.03, rows.size)))
    d.label(rows, "duplicate", "duplicate_repost_days")
    if day_index == 0:  # the first posting ever is the original, not a duplicate
        _, first = np.unique(d.seller[rows], return_index=True)
        d.violation[rows[first]] = "ok"
        d.pattern[rows[first]] = "clean"
