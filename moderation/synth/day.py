"""One marketplace day: sellers post, some break rules, a few honest ads look suspicious.

``generate_day`` is pure (seed in, two frames out) and deterministic: the same arguments give
byte-identical frames. Rows are in posting-time order and built in this order: who posts (repeat
offenders take a fixed 3 % of the day), what they post (clean listings), offenders' violations,
background violations up to the day's base rates, the drift scam, hard cases, within-day
duplicates (copies of earlier rows), label noise.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np
import polars as pl

from moderation.errors import ConfigError
from moderation.schema import CATEGORIES, LISTING_COLUMNS, VIOLATIONS
from moderation.synth._render import pick
from moderation.synth.catalog import CATALOG
from moderation.synth.draft import GOODS, Draft
from moderation.synth.geo import CITIES
from moderation.synth.hard_cases import apply_hard_cases
from moderation.synth.listings import build_clean, round_price
from moderation.synth.sellers import Population, make_population
from moderation.synth.signatures import repost_signatures
from moderation.synth.violations import (
    contacts,
    drift_phishing,
    fake_job,
    near_edit,
    prepayment,
    price_bait,
    prohibited,
    spam,
    wrong_category,
)

__all__ = ["DEFAULT_START", "BASE_RATES", "generate_day", "population_for", "drift_share",
           "TRUTH_COLUMNS"]

DEFAULT_START = date(2026, 11, 1)
OFFENDER_ROWS = 0.03  # share of a day's listings posted by repeat offenders
# Label noise as moderation really makes it: a missed violation is far likelier than a clean ad
# flagged by mistake (about 0.18 % of rows in all).
MISSED_VIOLATION = 0.02  # share of violating rows labelled ok
FALSE_FLAG = 0.0003  # share of clean rows labelled with some violation
# Base rates per violation (share of all listings); about 7.5 % in total before the drift.
BASE_RATES: dict[str, float] = {
    "contacts_in_text": 0.025, "prepayment_scam": 0.010, "prohibited_goods": 0.005,
    "price_bait": 0.007, "duplicate": 0.012, "fake_job": 0.005, "spam": 0.006,
    "wrong_category": 0.005,
}
TRUTH_COLUMNS: dict[str, pl.DataType] = {
    "listing_id": pl.String(), "violation": pl.String(), "pattern": pl.String(),
    "hard_case": pl.Boolean(), "label_noise": pl.Boolean(),
}
_GENERATORS = {"contacts_in_text": contacts, "prepayment_scam": prepayment,
               "prohibited_goods": prohibited, "price_bait": price_bait, "fake_job": fake_job,
               "spam": spam, "wrong_category": wrong_category}
_JOBS = CATEGORIES.index("jobs")
# Posting activity by hour of day (Moscow time): quiet nights, evening peak.
_HOURS = np.array([1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4, 5, 5.5, 5.5, 5.5, 5.5, 5.5, 5.5, 5.5,
                   6, 6.5, 7, 7, 6, 4, 2])


def _eligible(d: Draft, violation: str) -> np.ndarray:
    free = ~d.taken
    if violation == "prepayment_scam":
        return free & GOODS[d.category]
    if violation == "price_bait":
        return free & GOODS[d.category] & (d.median >= 15_000)
    if violation == "fake_job":
        return free & (d.category == _JOBS) if (free & (d.category == _JOBS)).any() else free
    if violation == "wrong_category":
        return free & (d.category != _JOBS)
    return free


def population_for(seed: int, listings: int) -> Population:
    """The seller population a day of ``listings`` rows draws from (cached: same for every day)."""
    return _population(seed, max(200, int(listings * 0.7)))


@lru_cache(maxsize=4)
def _population(seed: int, size: int) -> Population:
    return make_population(seed, size)


def _hijacked(seed: int, pop: Population) -> np.ndarray:
    """The accounts the drift scam takes over (fixed per seed): established private sellers."""
    honest = np.flatnonzero((pop.offense < 0) & ~pop.is_pro & (pop.base_blocks == 0))
    k = min(honest.size, max(5, pop.size // 400))
    return np.sort(np.random.default_rng([seed, 7004]).choice(honest, size=k, replace=False))


def drift_share(day_index: int, drift_day: int | None) -> float:
    """Share of the day taken by the drift scam: 0 before day K (1-based), then growing to 1.6 %."""
    if drift_day is None or day_index + 1 < drift_day:
        return 0.0
    return min(0.005 + 0.004 * (day_index + 1 - drift_day), 0.016)


def _check(day_index: int, listings: int, seed: int, drift_day: int | None) -> None:
    if listings < 1:
        raise ConfigError(f"listings per day must be at least 1. Got {listings} instead.")
    if listings > 10_000_000:
        raise ConfigError(f"listings per day must be at most 10 000 000. Got {listings} instead.")
    if day_index < 0:
        raise ConfigError(f"day index must be 0 or more. Got {day_index} instead.")
    if seed < 0:
        raise ConfigError(f"seed must be a non-negative integer. Got {seed} instead.")
    if drift_day is not None and drift_day < 1:
        raise ConfigError(f"drift day is 1-based and must be at least 1. Got {drift_day} instead.")


def _pick(rng, pool: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
    """``k`` draws from ``pool`` proportional to ``weights`` (in pool order; the caller shuffles)."""
    if k == 0 or pool.size == 0:
        return np.zeros(0, dtype=np.int64)
    cdf = np.cumsum(weights[pool])
    u = np.sort(rng.random(k)) * cdf[-1]  # sorted: a cache-friendly searchsorted
    return pool[np.minimum(np.searchsorted(cdf, u, side="right"), pool.size - 1)]


def _choose(rng, mask: np.ndarray, k: int) -> np.ndarray:
    pool = np.flatnonzero(mask)
    k = min(max(k, 0), pool.size)
    return np.sort(rng.choice(pool, size=k, replace=False)) if k else np.zeros(0, dtype=np.int64)


def _draft(day_index: int, n: int, seed: int, pop: Population, rng, start: date) -> tuple[Draft, np.ndarray]:
    offenders = np.flatnonzero(pop.offense >= 0)
    honest = np.flatnonzero(pop.offense < 0)
    n_off = int(rng.binomial(n, OFFENDER_ROWS)) if offenders.size else 0
    seller = np.concatenate([_pick(rng, offenders, pop.activity, n_off),
                             _pick(rng, honest, pop.activity, n - n_off)])
    shuffle = rng.permutation(n)  # rows are in posting-time order; offenders anywhere in the day
    seller, by_offender = seller[shuffle], shuffle < n_off
    # Mild drift of the category mix and of price levels from day to day.
    trend = np.random.default_rng([seed, 7003]).normal(0, 0.02, len(CATEGORIES))
    cat_w = np.array([CATALOG[c]["weight"] for c in CATEGORIES])
    cat_w = cat_w * np.exp(trend * day_index + rng.normal(0, 0.04, len(CATEGORIES)))
    own = pop.is_pro[seller] | (rng.random(n) < 0.4) | (pop.offense[seller] >= 0)
    category = np.where(own, pop.main_cat[seller], rng.choice(len(CATEGORIES), n, p=cat_w / cat_w.sum()))
    city_w = np.array([c[3] for c in CITIES], dtype=float)
    city = np.where(rng.random(n) < 0.92, pop.city_idx[seller],
                    rng.choice(len(CITIES), n, p=city_w / city_w.sum()))
    level = float(np.exp(0.0015 * day_index + rng.normal(0, 0.01)))
    is_pro = pop.is_pro[seller]
    clean = build_clean(category, city, is_pro, rng, level, year_now=start.year)
    photos = np.where(is_pro, rng.integers(5, 16, n), np.clip(rng.poisson(4, n), 0, 10))
    d = Draft(
        seller=seller, category=category, city_idx=city, title=clean.title,
        description=clean.description, price=clean.price, median=clean.median, item=clean.item,
        photo_count=photos, violation=np.full(n, "ok", dtype=object),
        pattern=np.full(n, "clean", dtype=object), hard_case=np.zeros(n, dtype=bool),
        taken=np.zeros(n, dtype=bool),
    )
    return d, by_offender


def _within_day_duplicates(d: Draft, rows: np.ndarray, rng) -> None:
    """Reposts of an earlier clean listing later the same day (rows are in time order)."""
    sources = np.flatnonzero((d.violation == "ok") & ~d.taken)
    earlier = np.searchsorted(sources, rows)  # how many sources were posted before each row
    lone = rows[earlier == 0]
    d.violation[lone], d.pattern[lone] = "ok", "clean"
    rows, earlier = rows[earlier > 0], earlier[earlier > 0]
    if rows.size == 0:
        return
    src = sources[(rng.random(rows.size) * earlier).astype(np.int64)]
    for name in ("seller", "category", "city_idx", "price", "median", "photo_count"):
        arr = getattr(d, name)
        arr[rows] = arr[src]
    for name in ("title", "description", "item"):
        series = getattr(d, name)
        series.scatter(rows, series.gather(src))
    near = rng.random(rows.size) < 0.6
    r = rows[near]
    d.description.scatter(r, near_edit(d.description.gather(r), rng))
    d.price[r] = round_price(d.price[r] * rng.uniform(0.93, 1.03, r.size))
    d.label(rows, "duplicate", np.where(near, "duplicate_near_edit", "duplicate_exact"))


def generate_day(day_index: int, listings: int, seed: int, drift_day: int | None = None,
                 start_date: date = DEFAULT_START) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One day (0-based ``day_index`` after ``start_date``): (listings, truth) frames."""
    _check(day_index, listings, seed, drift_day)
    n = int(listings)
    pop = population_for(seed, n)
    rng = np.random.default_rng([seed, day_index, 1101])
    d, by_offender = _draft(day_index, n, seed, pop, rng, start_date)
    seconds = np.sort(rng.choice(24, size=n, p=_HOURS / _HOURS.sum()) * 3600
                      + rng.integers(0, 3600, n)).astype(np.int64)

    violate = by_offender & (rng.random(n) < 0.8)
    offense = pop.offense[d.seller]
    for code, violation in enumerate(VIOLATIONS):
        rows = np.flatnonzero(violate & (offense == code))
        if violation == "duplicate":
            repost_signatures(d, pop, rows, seed, day_index, rng)
        elif rows.size:
            _GENERATORS[violation](d, pop, rows, rng, np.ones(rows.size, dtype=bool))
    d.taken |= by_offender  # an offender's other rows stay clean, not hard cases

    dup_rows = np.zeros(0, dtype=np.int64)
    for violation, rate in BASE_RATES.items():
        want = int(round(n * rate * rng.lognormal(0, 0.05))) - int((d.violation == violation).sum())
        rows = _choose(rng, _eligible(d, violation), want)
        if violation == "duplicate":
            dup_rows = rows
            d.label(rows, "duplicate", "duplicate_exact")  # reserved; filled after hard cases
        elif rows.size:
            _GENERATORS[violation](d, pop, rows, rng, np.zeros(rows.size, dtype=bool))

    share = drift_share(day_index, drift_day)
    if share:
        private = ~pop.is_pro[d.seller]
        rows = _choose(rng, ~d.taken & GOODS[d.category] & private, int(round(n * share)))
        # The new wave runs from hijacked accounts: old, honest-looking, never blocked before.
        hijacked = _hijacked(seed, pop)
        d.seller[rows] = hijacked[rng.integers(0, hijacked.size, rows.size)]
        drift_phishing(d, pop, rows, rng, np.zeros(rows.size, dtype=bool))

    apply_hard_cases(d, rng, pop.is_pro[d.seller])
    _within_day_duplicates(d, dup_rows, rng)

    label_noise = np.zeros(n, dtype=bool)
    is_ok = d.violation == "ok"
    flip = np.union1d(
        _choose(rng, ~is_ok, int(rng.binomial(int((~is_ok).sum()), MISSED_VIOLATION))),
        _choose(rng, is_ok, int(rng.binomial(int(is_ok.sum()), FALSE_FLAG))),
    )
    label_noise[flip] = True
    was_ok = is_ok[flip]
    rates = np.array(list(BASE_RATES.values()))
    wrong = np.array(list(BASE_RATES))[rng.choice(len(rates), size=flip.size, p=rates / rates.sum())]
    d.violation[flip] = np.where(was_ok, wrong, "ok")
    return _frames(d, pop, seconds, label_noise, day_index, n, start_date)


def _rank_within(seller: np.ndarray) -> np.ndarray:
    """How many listings the same seller placed earlier today (rows are in time order)."""
    n = seller.size
    order = np.argsort(seller, kind="stable")
    ordered = seller[order]
    starts = np.ones(n, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - first
    return rank


def _frames(d: Draft, pop: Population, seconds: np.ndarray, label_noise: np.ndarray,
            day_index: int, n: int, start: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    day = start + timedelta(days=day_index)
    midnight = np.datetime64(datetime(day.year, day.month, day.day), "us")
    s = d.seller
    origin = np.datetime64(datetime(start.year, start.month, start.day), "us")
    registered = origin - (pop.age_days[s] * 86_400e6).astype("timedelta64[us]")
    daily = pop.activity[s] / pop.activity.mean() * (n / pop.size)
    past_blocks = pop.base_blocks[s] + np.where(pop.offense[s] >= 0, int(day_index * 0.6), 0)
    hidden = pl.Series(values=pop.hides_phone[s])
    phone = pl.select(pl.when(hidden).then(None).otherwise("+7" + pop.phone10.gather(s))).to_series()
    ids = ("L" + day.strftime("%Y%m%d") + "-"
           + pl.Series(values=np.arange(1, n + 1)).cast(pl.String).str.zfill(7))
    listings = pl.DataFrame({
        "listing_id": ids,
        "seller_id": pop.seller_id.gather(s),
        "created_at": midnight + seconds.astype("timedelta64[s]").astype("timedelta64[us]"),
        "category": pick(CATEGORIES, d.category),
        "title": d.title,
        "description": d.description,
        "price": pl.Series(values=d.price).fill_nan(None),
        "region": pick([c[0] for c in CITIES], d.city_idx),
        "city": pick([c[1] for c in CITIES], d.city_idx),
        "seller_type": pick(["private", "pro"], pop.is_pro[s].astype(np.int64)),
        "seller_registered_at": registered,
        "seller_listing_count": (pop.base_listings[s] + (daily * day_index).astype(np.int64)
                                 + _rank_within(s)),
        "seller_past_blocks": past_blocks.astype(np.int64),
        "photo_count": d.photo_count.astype(np.int64),
        "phone": phone,
    })
    truth = pl.DataFrame({
        "listing_id": ids,
        "violation": pl.Series(values=d.violation, dtype=pl.String),
        "pattern": pl.Series(values=d.pattern, dtype=pl.String),
        "hard_case": d.hard_case,
        "label_noise": label_noise,
    })
    return listings.cast(LISTING_COLUMNS), truth.cast(TRUTH_COLUMNS)
