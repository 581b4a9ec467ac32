"""Repeat re-posters: each duplicate offender owns one listing and posts it again every day.

The listings come from a pool drawn once per seed (``POOL`` per category, from its own random
stream); an offender's listing is fixed by its index, so it is the same text on every day and
for every population size, and the accounts of one ring all post their leader's listing. The
very first posting (the first on day 0) is the original and labelled ``ok``; every later copy is
a ``duplicate``, lightly edited about half the time.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import polars as pl

from moderation.schema import CATEGORIES
from moderation.synth.draft import Draft
from moderation.synth.geo import CITIES
from moderation.synth.listings import CleanListings, build_clean, round_price
from moderation.synth.sellers import Population
from moderation.synth.violations import near_edit

__all__ = ["repost_signatures", "POOL"]

POOL = 256  # signature listings per category


@lru_cache(maxsize=8)
def _pool(seed: int) -> CleanListings:
    """``POOL`` private listings per category, category by category (row = category * POOL + j)."""
    rng = np.random.default_rng([seed, 7002])
    cats = np.repeat(np.arange(len(CATEGORIES)), POOL)
    cities = rng.integers(0, len(CITIES), cats.size)
    return build_clean(cats, cities, np.zeros(cats.size, dtype=bool), rng)


def repost_signatures(d: Draft, pop: Population, rows: np.ndarray, seed: int, day_index: int,
                      rng: np.random.Generator) -> None:
    """Fill ``rows`` (duplicate offenders' postings) with their owners' signature listing."""
    if rows.size == 0:
        return
    sellers = d.seller[rows]
    owner = pop.ring_leader[sellers]
    k = pop.main_cat[owner] * POOL + (owner * 2_654_435_761) % POOL  # fixed per owner
    pool = _pool(seed)
    d.category[rows] = pop.main_cat[owner]
    d.city_idx[rows] = pop.city_idx[owner]
    d.median[rows] = pool.median[k]
    base = pool.price[k]
    d.price[rows] = np.where(np.isnan(base), np.nan,
                             round_price(np.nan_to_num(base) * rng.uniform(0.95, 1.03, rows.size)))
    desc = pool.description.gather(k)
    edit = pl.Series(values=rng.random(rows.size) < 0.5)
    desc = pl.select(pl.when(edit).then(near_edit(desc, rng)).otherwise(desc)).to_series()
    d.title.scatter(rows, pool.title.gather(k))
    d.description.scatter(rows, desc)
    d.item.scatter(rows, pool.item.gather(k))
    d.label(rows, "duplicate", "duplicate_repost_days")
    if day_index == 0:  # the first posting ever is the original, not a duplicate
        _, first = np.unique(sellers, return_index=True)
        d.violation[rows[first]] = "ok"
        d.pattern[rows[first]] = "clean"
