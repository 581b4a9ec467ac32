"""The seller population: who posts, how much, since when, and who keeps breaking the rules.

The population depends only on the seed and its size, so a seller (and a repeat offender's phone,
handle and favourite wording) recurs day after day. Offenders come in small rings that share a
phone and a handle across accounts, the way a scam shop runs several profiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import polars as pl

from moderation.schema import CATEGORIES, VIOLATIONS
from moderation.synth._render import choose, ints
from moderation.synth.catalog import CATALOG
from moderation.synth.geo import CITIES

__all__ = ["Population", "make_population", "population_block", "BLOCK", "OFFENDER_SHARE",
           "OFFENDER_MIX"]

OFFENDER_SHARE = 0.03  # of sellers
# What repeat offenders do (violation code -> share of offenders).
OFFENDER_MIX: dict[str, float] = {
    "contacts_in_text": 0.36,
    "prepayment_scam": 0.20,
    "duplicate": 0.16,
    "fake_job": 0.10,
    "spam": 0.10,
    "prohibited_goods": 0.08,
}

_NICK_HEAD = ["kupi", "best", "shop", "alex", "dima", "market", "prodam", "olga", "sveta", "max",
              "nik", "top", "deal", "lucky", "sale", "vip", "ivan", "katya", "roma", "gadget",
              "auto", "mebel", "dom", "zhenya", "sasha", "misha", "lena", "anna", "tanya", "artem"]
_NICK_JOIN = ["_", "", ".", "_", ""]
_NICK_TAIL = ["store", "shop", "pro", "msk", "spb", "24", "777", "ru", "official", "deals", "market",
              "sell", "rus", "kzn", "ekb", "nsk", "2024", "007", "x", "trade"]
_MAIL = ["mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru", "list.ru", "rambler.ru", "ya.ru"]


@dataclass
class Population:
    """Column arrays over sellers (index = seller number)."""

    seller_id: pl.Series
    is_pro: np.ndarray
    age_days: np.ndarray  # account age on the start date
    base_listings: np.ndarray
    base_blocks: np.ndarray
    phone10: pl.Series  # the verified phone, 10 digits after +7
    alt_phone10: pl.Series  # the number they put in texts (often a second SIM)
    handle: pl.Series  # messenger nick without '@'
    email: pl.Series
    card4: pl.Series  # last four digits of "their" bank card
    city_idx: np.ndarray
    main_cat: np.ndarray  # index into CATEGORIES
    activity: np.ndarray  # relative posting rate
    offense: np.ndarray  # index into VIOLATIONS, -1 for honest sellers
    variant: np.ndarray  # the offender's favourite wording (template number)
    hides_phone: np.ndarray
    ring_leader: np.ndarray  # the account whose phone, handle and listing a ring member reuses

    @property
    def size(self) -> int:
        return self.is_pro.size


def _phone10(rng: np.random.Generator, n: int) -> pl.Series:
    return ints(rng.integers(9_000_000_000, 10_000_000_000, n))


BLOCK = 20_000  # sellers are generated in fixed blocks, so a bigger population extends a smaller one


def make_population(seed: int, size: int) -> Population:
    """A deterministic population of ``size`` sellers for ``seed``.

    Seller ``i`` is the same person whatever ``size`` is (the population of a 100 000-listing day
    is a prefix of the population of a 200 000-listing day), so history and today share sellers.
    """
    n = max(int(size), 50)
    blocks = [population_block(seed, b) for b in range((n + BLOCK - 1) // BLOCK)]
    fields = Population.__dataclass_fields__
    joined = {}
    for name in fields:
        parts = [getattr(block, name) for block in blocks]
        whole = pl.concat(parts) if isinstance(parts[0], pl.Series) else np.concatenate(parts)
        joined[name] = whole[:n]
    return Population(**joined)


@lru_cache(maxsize=64)
def population_block(seed: int, b: int) -> Population:
    """Sellers ``b * BLOCK`` .. ``(b + 1) * BLOCK - 1`` (global indices in ``ring_leader``)."""
    rng = np.random.default_rng([seed, 7001, b])
    n = BLOCK
    first = b * BLOCK
    # Unique 9-digit ids: an affine map modulo 10**9 (multiplier coprime with 10) is a bijection.
    offset = int(np.random.default_rng([seed, 7000]).integers(0, 10**9))
    base = (np.arange(first, first + n, dtype=np.int64) * 7_919_113 + offset) % 10**9
    seller_id = "u" + pl.Series(values=base).cast(pl.String).str.zfill(9)
    is_pro = rng.random(n) < 0.15
    activity = np.where(is_pro, rng.lognormal(2.0, 0.9, n), rng.lognormal(0.0, 0.8, n))
    age_days = np.where(is_pro, rng.lognormal(np.log(900), 0.7, n), rng.lognormal(np.log(650), 1.1, n))
    base_listings = np.where(is_pro, rng.lognormal(5.5, 1.0, n), rng.lognormal(1.8, 1.1, n)).astype(int)
    base_blocks = np.where(rng.random(n) < 0.05, rng.poisson(1.0, n) + 1, 0)

    weights = np.array([c[3] for c in CITIES], dtype=float)
    city_idx = rng.choice(len(CITIES), size=n, p=weights / weights.sum())
    cat_w = np.array([CATALOG[c]["weight"] for c in CATEGORIES])
    main_cat = rng.choice(len(CATEGORIES), size=n, p=cat_w / cat_w.sum())

    handle = (choose(rng, _NICK_HEAD, n) + choose(rng, _NICK_JOIN, n) + choose(rng, _NICK_TAIL, n)
              + ints(rng.integers(1, 99, n)))
    email = handle.str.replace_all("_", ".", literal=True) + "@" + choose(rng, _MAIL, n)
    phone10 = _phone10(rng, n)
    alt = _phone10(rng, n)
    alt_phone10 = pl.select(pl.when(pl.Series(values=rng.random(n) < 0.5)).then(phone10)
                            .otherwise(alt)).to_series()
    card4 = ints(rng.integers(0, 10_000, n)).str.zfill(4)

    offense = np.full(n, -1)
    off_rows = np.flatnonzero(rng.random(n) < OFFENDER_SHARE)
    codes = [VIOLATIONS.index(v) for v in OFFENDER_MIX]
    mix = np.array(list(OFFENDER_MIX.values()))
    offense[off_rows] = np.array(codes)[rng.choice(len(codes), size=off_rows.size, p=mix / mix.sum())]
    # Offenders: younger accounts, more blocks behind them, and busy.
    age_days[off_rows] = rng.lognormal(np.log(45), 1.2, off_rows.size)
    base_blocks[off_rows] = rng.poisson(2.5, off_rows.size)
    activity[off_rows] = rng.lognormal(1.0, 0.5, off_rows.size)
    main_cat[off_rows[offense[off_rows] == VIOLATIONS.index("fake_job")]] = CATEGORIES.index("jobs")
    # Rings: a third of the offenders reuse the phone, handle and card of an earlier offender
    # (earlier, so that a truncated population never points past its end).
    in_ring = rng.random(off_rows.size) < 0.33
    heads = off_rows[~in_ring]
    candidates = off_rows[in_ring]
    before = np.searchsorted(heads, candidates)  # heads with a smaller index
    members = candidates[before > 0]
    ring_leader = np.arange(n)
    if members.size:
        leaders = heads[(rng.random(members.size) * before[before > 0]).astype(np.int64)]
        ring_leader[members] = leaders
        offense[members] = offense[leaders]
        for series in (alt_phone10, handle, email, card4):
            series.scatter(members, series.gather(leaders))
        city_idx[members] = city_idx[leaders]
    variant = rng.integers(0, 1_000_000, n)
    variant[members] = variant[ring_leader[members]]  # a ring uses one wording
    hides_phone = (~is_pro) & (rng.random(n) < 0.1)
    return Population(
        seller_id=seller_id, is_pro=is_pro, age_days=age_days, base_listings=base_listings,
        base_blocks=base_blocks, phone10=phone10, alt_phone10=alt_phone10, handle=handle,
        email=email, card4=card4, city_idx=city_idx, main_cat=main_cat, activity=activity,
        offense=offense, variant=variant, hides_phone=hides_phone, ring_leader=ring_leader + first,
    )
