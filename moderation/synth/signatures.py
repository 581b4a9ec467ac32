"""Repeat re-posters: each duplicate offender owns one listing and posts it again every day.

The listing (its "signature") is drawn once per seed and seller block from its own random stream,
so it is the same text on every day and for every population size; the accounts of one ring all
post their leader's listing. The very first posting (the first on day 0) is the original and
labelled ``ok``; every later copy is a ``duplicate``, lightly edited about half the time.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import polars as pl

from moderation.schema import VIOLATIONS
from moderation.synth.draft import Draft
from moderation.synth.listings import CleanListings, build_clean, round_price
from moderation.synth.sellers import BLOCK, Population, population_block
from moderation.synth.violations import near_edit

__all__ = ["repost_signatures"]

_DUP = VIOLATIONS.index("duplicate")


@lru_cache(maxsize=64)
def _block_signatures(seed: int, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, CleanListings | None]:
    """(signature number per seller of the block or -1, category, city, texts) for block ``b``."""
    block = population_block(seed, b)
    local = np.arange(BLOCK)
    leader = block.ring_leader - b * BLOCK
    dup = block.offense == _DUP
    heads = np.flatnonzero(dup & (leader == local))
    slot = np.full(BLOCK, -1, dtype=np.int64)
    slot[heads] = np.arange(heads.size)
    members = np.flatnonzero(dup & (slot < 0))
    slot[members] = slot[leader[members]]  # ring accounts repost the leader's listing
    cats, cities = block.main_cat[heads], block.city_idx[heads]
    if heads.size == 0:
        return slot, cats, cities, None
    clean = build_clean(cats, cities, block.is_pro[heads], np.random.default_rng([seed, 7002, b]))
    return slot, cats, cities, clean


def repost_signatures(d: Draft, pop: Population, rows: np.ndarray, seed: int, day_index: int,
                      rng: np.random.Generator) -> None:
    """Fill ``rows`` (duplicate offenders' postings) with their owners' signature listing."""
    if rows.size == 0:
        return
    sellers = d.seller[rows]
    blocks = sellers // BLOCK
    titles, descs, items, order = [], [], [], []
    for b in np.unique(blocks):
        mine = np.flatnonzero(blocks == b)
        slot, cats, cities, clean = _block_signatures(seed, int(b))
        k = slot[sellers[mine] - b * BLOCK]
        r = rows[mine]
        d.category[r], d.city_idx[r] = cats[k], cities[k]
        d.median[r] = clean.median[k]
        base = clean.price[k]
        d.price[r] = np.where(np.isnan(base), np.nan,
                              round_price(np.nan_to_num(base) * rng.uniform(0.95, 1.03, r.size)))
        titles.append(clean.title.gather(k))
        descs.append(clean.description.gather(k))
        items.append(clean.item.gather(k))
        order.append(mine)
    inverse = np.empty(rows.size, dtype=np.int64)
    inverse[np.concatenate(order)] = np.arange(rows.size)
    desc = pl.concat(descs).gather(inverse)
    edit = pl.Series(values=rng.random(rows.size) < 0.5)
    desc = pl.select(pl.when(edit).then(near_edit(desc, rng)).otherwise(desc)).to_series()
    d.title.scatter(rows, pl.concat(titles).gather(inverse))
    d.description.scatter(rows, desc)
    d.item.scatter(rows, pl.concat(items).gather(inverse))
    d.label(rows, "duplicate", "duplicate_repost_days")
    if day_index == 0:  # the first posting ever is the original, not a duplicate
        _, first = np.unique(sellers, return_index=True)
        d.violation[rows[first]] = "ok"
        d.pattern[rows[first]] = "clean"
