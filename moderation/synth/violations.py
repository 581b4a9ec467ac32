"""Violation generators: each takes the rows it owns and turns clean listings into violations.

Every generator records the moderator's label (``violation``) and the finer sub-type (``pattern``).
Rows of a repeat offender (``offender`` mask) always get the offender's own sub-pattern and wording,
so the same phone, handle or sentence comes back day after day.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from moderation.schema import CATEGORIES
from moderation.synth._render import pick, render
from moderation.synth.draft import GOODS, Draft, append_text, context, pattern_choice, set_text
from moderation.synth.listings import round_price
from moderation.synth.phrases import (
    CONTACT_PATTERNS,
    DRIFT_PHISHING,
    FAKE_JOB,
    NEAR_EDITS,
    PREPAY_PATTERNS,
    PROHIBITED,
    SPAM_PATTERNS,
)
from moderation.synth.sellers import Population

__all__ = ["contacts", "prepayment", "prohibited", "fake_job", "spam", "wrong_category",
           "price_bait", "drift_phishing", "near_edit", "render_patterns"]

_JOBS = CATEGORIES.index("jobs")
_SERVICES = CATEGORIES.index("services")


def render_patterns(ctx: pl.DataFrame, patterns: dict[str, list[str]], pat: np.ndarray,
                    var: np.ndarray) -> pl.Series:
    """Row i gets wording ``var[i]`` (modulo) of sub-pattern ``pat[i]``."""
    lists = list(patterns.values())
    lens = np.array([len(x) for x in lists])
    offsets = np.concatenate([[0], np.cumsum(lens)[:-1]])
    flat = [t for x in lists for t in x]
    return render(ctx, flat, offsets[pat] + var % lens[pat])


def contacts(d: Draft, pop: Population, rows: np.ndarray, rng, offender: np.ndarray) -> None:
    """A phone, handle, e-mail or link in the text, plain or obfuscated."""
    names = list(CONTACT_PATTERNS)
    pat, var = pattern_choice(d, pop, rows, len(names), rng, offender,
                              weights=[3, 1.2, 1, 1.2, 3, 2, 0.8, 1, 1, 1.5, 1])
    frag = render_patterns(context(d, pop, rows, rng), CONTACT_PATTERNS, pat, var)
    where = rng.random(rows.size)
    in_title = where > 0.9
    body = rows[~in_title]
    append_text(d.description, body, frag.filter(pl.Series(values=~in_title)),
                before=where[~in_title] > 0.75)
    append_text(d.title, rows[in_title], frag.filter(pl.Series(values=in_title)))
    d.label(rows, "contacts_in_text", np.array(names)[pat])


def prepayment(d: Draft, pop: Population, rows: np.ndarray, rng, offender: np.ndarray) -> None:
    """Prepayment demands: card transfer, delivery only after payment, booking deposits."""
    names = list(PREPAY_PATTERNS)
    pat, var = pattern_choice(d, pop, rows, len(names), rng, offender)
    frag = render_patterns(context(d, pop, rows, rng), PREPAY_PATTERNS, pat, var)
    append_text(d.description, rows, frag, before=rng.random(rows.size) < 0.1)
    cheaper = rng.random(rows.size) < 0.4
    d.price[rows[cheaper]] = round_price(d.median[rows[cheaper]] * rng.uniform(0.55, 0.85, cheaper.sum()))
    d.label(rows, "prepayment_scam", np.array(names)[pat])


def _rewrite(d: Draft, pop: Population, rows: np.ndarray, rng, offender: np.ndarray,
             groups: list[tuple[str, int, list[str], list[str]]]) -> np.ndarray:
    """Replace title and description by a group's wording; returns the chosen group per row."""
    g, var = pattern_choice(d, pop, rows, len(groups), rng, offender)
    ctx = context(d, pop, rows, rng)
    titles = {name: t for name, _, t, _ in groups}
    descs = {name: t for name, _, _, t in groups}
    set_text(d.title, rows, render_patterns(ctx, titles, g, var))
    body = render_patterns(ctx, descs, g, var // 7)
    second = render_patterns(ctx, descs, g, var // 7 + 1)
    set_text(d.description, rows, body + " " + second)
    d.category[rows] = np.array([c for _, c, _, _ in groups])[g]
    return g


def prohibited(d: Draft, pop: Population, rows: np.ndarray, rng, offender: np.ndarray) -> None:
    """Weapons, drugs slang, forged documents, counterfeit, prescription drugs, red-book animals."""
    groups = [(name, CATEGORIES.index(cat), t, s) for name, cat, t, s in PROHIBITED]
    g = _rewrite(d, pop, rows, rng, offender, groups)
    d.price[rows] = round_price(rng.lognormal(np.log(4000), 0.9, rows.size))
    d.photo_count[rows] = rng.integers(0, 3, rows.size)
    tg = rng.random(rows.size) < 0.35
    append_text(d.description, rows[tg], "Пишите в тг @" + pop.handle.gather(d.seller[rows[tg]]))
    d.label(rows, "prohibited_goods", np.array([x[0] for x in groups])[g])


def fake_job(d: Draft, pop: Population, rows: np.ndarray, rng, offender: np.ndarray) -> None:
    """Jobs that are not jobs: easy money, paid training, drop cards, anonymous couriers."""
    groups = [(name, _JOBS, t, s) for name, (t, s) in FAKE_JOB.items()]
    g = _rewrite(d, pop, rows, rng, offender, groups)
    salary = np.round(rng.uniform(120_000, 450_000, rows.size), -4)
    d.price[rows] = np.where(rng.random(rows.size) < 0.4, np.nan, salary)
    d.photo_count[rows] = rng.integers(0, 2, rows.size)
    tg = rng.random(rows.size) < 0.4
    append_text(d.description, rows[tg], "Подробности в телеграм: @" + pop.handle.gather(d.seller[rows[tg]]))
    d.label(rows, "fake_job", np.array([x[0] for x in groups])[g])


def spam(d: Draft, pop: Population, rows: np.ndarray, rng, offender: np.ndarray) -> None:
    """Caps and emoji, keyword stuffing, "ЛУЧШАЯ ЦЕНА", unrelated promotion."""
    names = list(SPAM_PATTERNS)
    pat, var = pattern_choice(d, pop, rows, len(names), rng, offender)
    frag = render_patterns(context(d, pop, rows, rng), SPAM_PATTERNS, pat, var)
    for k, name in enumerate(names):
        mask = pat == k
        r, f = rows[mask], frag.filter(pl.Series(values=mask))
        if name == "spam_caps_emoji":
            set_text(d.title, r, f)
            set_text(d.description, r, d.description.gather(r).str.to_uppercase() + " 🔥🔥🔥")
        elif name == "spam_keyword_stuffing":
            append_text(d.description, r, f)
        elif name == "spam_best_price":
            append_text(d.description, r, f, before=np.ones(r.size, dtype=bool))
            set_text(d.title, r, d.title.gather(r) + " !!! ЛУЧШАЯ ЦЕНА")
        else:
            set_text(d.title, r, pick(["Раскрутка соцсетей", "Прогнозы на спорт", "Курсы трейдинга"],
                                      var[mask] % 3))
            set_text(d.description, r, f)
            d.price[r] = round_price(rng.lognormal(np.log(1500), 0.6, r.size))
    d.label(rows, "spam", np.array(names)[pat])


def wrong_category(d: Draft, pop: Population, rows: np.ndarray, rng, offender: np.ndarray) -> None:
    """A listing placed in a category it does not belong to (a phone in clothing, a car in kids)."""
    service = d.category[rows] == _SERVICES
    goods = np.flatnonzero(GOODS)
    shift = rng.integers(1, goods.size, rows.size)
    pos = np.searchsorted(goods, d.category[rows])  # position of the true goods category
    moved = goods[(pos + shift) % goods.size]
    d.category[rows] = np.where(service, goods[rng.integers(0, goods.size, rows.size)], moved)
    d.label(rows, "wrong_category", np.where(service, "wrong_category_service_in_goods",
                                             "wrong_category_goods"))


def price_bait(d: Draft, pop: Population, rows: np.ndarray, rng, offender: np.ndarray) -> None:
    """An expensive item at a price far below its market (iPhone 15 за 3000)."""
    names = np.array(["price_bait_fraction", "price_bait_symbolic", "price_bait_round"])
    pat = rng.choice(3, size=rows.size, p=[0.5, 0.2, 0.3])
    med = d.median[rows]
    fraction = round_price(med * rng.uniform(0.04, 0.18, rows.size))
    symbolic = np.array([1.0, 10.0, 100.0, 500.0])[rng.integers(0, 4, rows.size)]
    rounded = np.array([1000.0, 2000.0, 3000.0, 5000.0])[rng.integers(0, 4, rows.size)]
    rounded = np.minimum(rounded, round_price(med * 0.2))
    d.price[rows] = np.select([pat == 0, pat == 1], [fraction, symbolic], rounded)
    urgent = rng.random(rows.size) < 0.35
    set_text(d.title, rows[urgent], "Срочно! " + d.title.gather(rows[urgent]))
    d.label(rows, "price_bait", names[pat])


def drift_phishing(d: Draft, pop: Population, rows: np.ndarray, rng, offender: np.ndarray) -> None:
    """The new scam from the drift day on: "безопасная доставка" with a fake payment page."""
    pat, var = pattern_choice(d, pop, rows, 1, rng, offender)
    frag = render_patterns(context(d, pop, rows, rng), {"d": DRIFT_PHISHING}, pat, var)
    append_text(d.description, rows, frag)
    d.price[rows] = round_price(d.median[rows] * rng.uniform(0.6, 0.9, rows.size))
    d.label(rows, "prepayment_scam", "drift_delivery_phishing")


def near_edit(text: pl.Series, rng: np.random.Generator) -> pl.Series:
    """The tiny edits of a re-poster: a word appended or prepended, a verb or punctuation changed."""
    n = text.len()
    edit = pl.Series(values=rng.integers(0, 4, n))
    word = pick(NEAR_EDITS, rng.integers(0, len(NEAR_EDITS), n))
    return pl.select(
        pl.when(edit == 0).then(text + " " + word)
        .when(edit == 1).then(word + " " + text)
        .when(edit == 2).then(text.str.replace("Продаю", "Продам", literal=True)
                              .str.replace(". ", "! ", literal=True))
        .otherwise(text.str.replace(",", "", literal=True).str.replace(".", "!", literal=True))
    ).to_series()
