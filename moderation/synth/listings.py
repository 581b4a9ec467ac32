"""Clean listings: titles, descriptions and prices for rows whose category and city are chosen.

One pass per category: pick an item (popular items more often), compute the category's numbers
(area and floor, year and mileage, memory, sizes, salary...), fill title and description templates,
then draw a log-normal price around the item's median, scaled by region and the day's price level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from moderation.schema import CATEGORIES
from moderation.synth._render import choose, ints, join, pick, render, thousands
from moderation.synth.catalog import (
    CATALOG,
    COMMON_EXTRAS,
    PRO_BLOCKS,
    PRO_LONG,
    SHOP_NAMES,
    SHORT_DESCRIPTIONS,
)
from moderation.synth.geo import CITIES

__all__ = ["CleanListings", "build_clean", "round_price", "lower_first", "accusative"]

_CITY_NAMES = [c[1] for c in CITIES]
_CITY_PREP = [c[2] for c in CITIES]
_CITY_MULT = np.array([c[4] for c in CITIES])


@dataclass
class CleanListings:
    """Columns for ``n`` rows, aligned with the input arrays."""

    title: pl.Series
    description: pl.Series
    price: np.ndarray  # NaN = no price ("договорная")
    median: np.ndarray  # the item's expected price here and today (for bait and hard cases)
    item: pl.Series  # the item's name (hard cases and duplicates reuse it)


def lower_first(name: str) -> str:
    """Lower-case the first letter of a Russian common noun; keep brand names as written."""
    if name and "А" <= name[0] <= "Я" and not (len(name) > 1 and name[1].isupper()):
        return name[0].lower() + name[1:]
    return name


_PREPOSITIONS = {"с", "в", "для", "на", "под", "из", "от", "без", "по"}


def accusative(name: str) -> str:
    """``Стиральная машина Indesit`` -> ``стиральную машину Indesit`` (for "Продаю ...").

    A small heuristic over the catalogue's own names: feminine endings of the leading Russian
    words change (-ая -> -ую, -а -> -у, -я -> -ю); it stops at a preposition or a Latin word.
    """
    out = []
    adjectives_only = False  # after an unchanged (masculine) noun only agreeing adjectives change
    words = lower_first(name).split(" ")
    for i, word in enumerate(words):
        core = word.rstrip(",.")
        tail = word[len(core):]
        if core in _PREPOSITIONS or any("a" <= c.lower() <= "z" for c in core):
            out.extend(words[i:])
            break
        if any(c.isdigit() for c in core) or core.endswith(("ья", "ие", "ые")):
            out.append(word)
            continue
        endings = (("ая", "ую"), ("яя", "юю")) if adjectives_only else (
            ("ая", "ую"), ("яя", "юю"), ("а", "у"), ("я", "ю"))
        parts = []
        for part in core.split("-"):
            for old, new in endings:
                if part.endswith(old) and len(part) > 2:
                    part = part[: -len(old)] + new
                    break
            parts.append(part)
        changed = "-".join(parts)
        adjectives_only = adjectives_only or changed == core
        out.append(changed + tail)
    return " ".join(out)


def round_price(p: np.ndarray) -> np.ndarray:
    """Round like people do: to 1 000 above 100 000, 100 above 10 000, 50 above 1 000, else 10."""
    step = np.where(p >= 100_000, 1000, np.where(p >= 10_000, 100, np.where(p >= 1000, 50, 10)))
    return np.maximum(np.round(p / step) * step, step).astype(float)


def _numbers(slug: str, items: list, item_idx: np.ndarray, rng: np.random.Generator, n: int,
             year_now: int) -> tuple[dict[str, pl.Series], np.ndarray]:
    """Category-specific slots and the price factor they imply (area, age, memory...)."""
    s: dict[str, pl.Series] = {}
    factor = np.ones(n)
    attrs = [it[2] for it in items]
    if slug == "real_estate":
        lo = np.array([a[0] for a in attrs])[item_idx]
        hi = np.array([a[1] for a in attrs])[item_idx]
        rent = np.array([a[2] == "rent" for a in attrs])[item_idx]
        area = np.round(lo + (hi - lo) * rng.random(n), 1)
        kind = np.array([a[3] for a in attrs])[item_idx]
        low_rise = np.isin(kind, ["house", "garage"])
        floors = np.array([5, 9, 9, 10, 12, 14, 16, 17, 22, 25])[rng.integers(0, 10, n)]
        floors = np.where(low_rise, rng.integers(1, 4, n), floors)
        floor = np.where(low_rise, 1, 1 + (rng.random(n) * floors).astype(int))
        s["plot"] = ints(rng.choice(np.array([4, 6, 6, 8, 10, 12, 15, 20]), n))
        s["area"] = pl.Series(values=area).cast(pl.String).str.replace(".", ",", literal=True)
        s["floor"], s["floors"] = ints(floor), ints(floors)
        s["year"] = ints(rng.integers(1958, year_now, n))
        s["kitchen"] = ints(rng.integers(6, 16, n))
        s["deal_word"] = pick(["Продам", "Сдам"], rent.astype(int))
        s["deal_verb"] = pick(["Продаётся", "Сдаётся"], rent.astype(int))
        terms_sale = choose(rng, CATALOG[slug]["slots"]["deal_terms"], n)
        terms_rent = choose(rng, CATALOG[slug]["slots"]["rent_terms"], n)
        s["terms"] = pl.select(
            pl.when(pl.Series(values=rent)).then(terms_rent).otherwise(terms_sale)
        ).to_series()
        factor = area / ((lo + hi) / 2)
        s["_kind"] = pl.Series(values=kind)
    elif slug == "pets":
        s["_kind"] = pick([a for a in attrs], item_idx)
    elif slug == "cars":
        age = np.minimum(rng.gamma(2.2, 3.2, n).astype(int), 25)
        km = np.round(np.maximum(age, 0.3) * 16_000 * rng.lognormal(0, 0.35, n), -3).astype(int)
        s["year"] = ints(year_now - age)
        s["km"] = thousands(np.maximum(km, 1000))
        s["owners"] = ints(np.minimum(1 + rng.poisson(age / 5), 6))
        s["engine"] = pick([a[0] for a in attrs], item_idx)
        body = np.array([a[1] for a in attrs])[item_idx]
        s["body"] = pick([a[1] for a in attrs], item_idx)
        rear = np.isin(item_idx, [i for i, it in enumerate(items) if it[0].startswith(("BMW", "Mercedes"))])
        awd = np.isin(body, ["кроссовер", "внедорожник"]) & (rng.random(n) < 0.6)
        s["drive"] = pick(["передний привод", "полный привод", "задний привод"],
                          np.where(awd, 1, np.where(rear, 2, 0)))
        factor = np.exp(-0.085 * (age - 6))
    elif slug == "phones":
        mem = rng.choice(np.array([64, 128, 256, 512]), n, p=[0.2, 0.4, 0.3, 0.1])
        s["mem"] = ints(mem)
        s["battery"] = ints(rng.integers(78, 101, n))
        s["buy_year"] = ints(rng.integers(year_now - 4, year_now + 1, n))
        factor = np.select([mem == 64, mem == 256, mem == 512], [0.85, 1.15, 1.35], 1.0)
    elif slug in ("electronics", "hobbies"):
        s["buy_year"] = ints(rng.integers(year_now - 5, year_now + 1, n))
        s["year"] = s["buy_year"]
        s["warranty"] = ints(rng.integers(year_now, year_now + 3, n))
    elif slug == "clothing":
        kinds = np.array([a for a in attrs])[item_idx]
        cloth = choose(rng, ["XS", "S", "M", "L", "XL", "XXL", "42", "44", "46", "48", "50", "52"], n)
        shoe = ints(rng.integers(35, 47, n))
        s["size"] = pl.select(
            pl.when(pl.Series(values=kinds == "shoe")).then(shoe)
            .when(pl.Series(values=kinds == "bag")).then(pl.lit("универсальный"))
            .otherwise(cloth)
        ).to_series()
    elif slug == "jobs":
        s["salary"] = pl.Series(values=np.zeros(n, dtype=np.int64)).cast(pl.String)  # set below
        employer = choose(rng, CATALOG[slug]["slots"]["employer"], n)
        s["employer"] = employer
        s["employer_cap"] = employer.str.slice(0, 1).str.to_uppercase() + employer.str.slice(1)
    elif slug == "services":
        s["unit"] = pick([a for a in attrs], item_idx)
        s["clients"] = ints(np.round(rng.lognormal(5.5, 0.6, n), -1).astype(int))
        s["price_text"] = s["clients"]  # replaced by the real price below
    elif slug == "furniture":
        s["w"], s["d"], s["h"] = (ints(rng.integers(40, 260, n)), ints(rng.integers(35, 110, n)),
                                  ints(rng.integers(45, 240, n)))
        s["floor"] = ints(rng.integers(1, 17, n))
    elif slug == "building_materials":
        s["unit"] = pick([a for a in attrs], item_idx)
        s["qty"] = ints(rng.integers(2, 400, n))
    return s, factor


def _category(slug: str, rows: np.ndarray, city_idx: np.ndarray, is_pro: np.ndarray,
              rng: np.random.Generator, price_level: float, year_now: int):
    spec = CATALOG[slug]
    items = spec["items"]
    n = rows.size
    popularity = 1.0 / np.sqrt(1.0 + rng.permutation(len(items)))  # fixed per seed and day
    item_idx = rng.choice(len(items), size=n, p=popularity / popularity.sum())
    names = [it[0] for it in items]
    slots = {name: choose(rng, values, n) for name, values in spec["slots"].items()}
    if "cond_short" in spec:
        slots["cond_short"] = choose(rng, spec["cond_short"], n)
    slots["item"] = pick(names, item_idx)
    slots["item_lower"] = pick([lower_first(x) for x in names], item_idx)
    slots["item_acc"] = pick([accusative(x) for x in names], item_idx)
    slots["city"] = pick(_CITY_NAMES, city_idx)
    slots["city_prep"] = pick(_CITY_PREP, city_idx)
    numbers, factor = _numbers(slug, items, item_idx, rng, n, year_now)
    slots.update(numbers)

    median = np.array([it[1] for it in items], dtype=float)[item_idx] * factor * price_level
    if spec.get("region_sensitive"):
        median = median * _CITY_MULT[city_idx]
    price = round_price(median * rng.lognormal(0.0, spec["price_sigma"], n))
    if slug == "jobs":
        price = np.maximum(np.round(price / 5000) * 5000, 20_000)
        slots["salary"] = thousands(price.astype(np.int64))
    if slug in ("services", "real_estate"):
        slots["price_text"] = thousands(price.astype(np.int64))
    slots["new_price"] = thousands(round_price(median * rng.uniform(1.3, 2.2, n)).astype(np.int64))
    price = np.where(rng.random(n) < spec["price_null"], np.nan, price)

    frame = pl.DataFrame(slots)
    # Template sets: the category's own, and per item kind a variant that replaces it.
    variants = spec.get("variants", {})
    row_set = np.zeros(n, dtype=np.int64)
    if variants:
        kind = frame["_kind"].to_numpy()
        for i, k in enumerate(variants, start=1):
            row_set[kind == k] = i
    sets = [spec, *variants.values()]

    def text(key: str, start: np.ndarray, step: int = 0, share: float = 1.0) -> pl.Series:
        """Each row renders its own set's template number ``start + step`` (or null if absent)."""
        present = rng.random(n) < share
        out: pl.Series | None = None
        for i, tpl in enumerate(sets):
            templates = tpl[key]
            mine = (row_set == i) & present
            part = render(frame, templates, np.where(mine, (start + step) % len(templates), -1))
            out = part if out is None else out.fill_null(part)
        return out

    title = text("titles", rng.integers(0, 1_000_000, n))
    intro = text("intros", rng.integers(0, 1_000_000, n))
    start = rng.integers(0, 1_000_000, n)  # consecutive detail sentences: never the same twice
    d1, d2, d3 = text("details", start), text("details", start, 1, 0.75), text("details", start, 2, 0.45)
    extra = render(frame, spec["extras"],
                   np.where(rng.random(n) < 0.5, rng.integers(0, len(spec["extras"]), n), -1))
    blocks = spec.get("pro_blocks", PRO_BLOCKS)
    pro_frame = pl.DataFrame({"shop": choose(rng, spec.get("shops", SHOP_NAMES), n), "city": slots["city"]})
    pro_which = rng.integers(0, max(len(blocks), 1), n)
    pro = render(pro_frame, blocks, np.where(is_pro & (rng.random(n) < 0.8) & bool(blocks), pro_which, -1))
    k = rng.integers(0, len(COMMON_EXTRAS), n)
    goods = spec.get("goods", True)
    commons = [
        render(frame, COMMON_EXTRAS,
               np.where((rng.random(n) < p) & goods, (k + j) % len(COMMON_EXTRAS), -1))
        for j, p in enumerate((0.6, 0.35, 0.15))
    ]
    long_kind = "services" if slug == "services" else ("goods" if goods else None)
    long = None
    if long_kind:
        texts = PRO_LONG[long_kind]
        long = render(pro_frame, texts, np.where(is_pro & (rng.random(n) < 0.35),
                                                 rng.integers(0, len(texts), n), -1))
        long = "\n\n" + long
    description = join([intro, d1, d2, d3, pro, extra, *commons])
    if long is not None:
        description = pl.select(pl.concat_str([description, long], ignore_nulls=True)).to_series()
    # Many private sellers write a line or two; many put every sentence on its own line.
    short = np.flatnonzero((~is_pro) & goods & (rng.random(n) < 0.07))
    description.scatter(short, pick(SHORT_DESCRIPTIONS, rng.integers(0, len(SHORT_DESCRIPTIONS), short.size)))
    lines = np.flatnonzero(rng.random(n) < 0.25)
    description.scatter(lines, description.gather(lines).str.replace_all(". ", ".\n", literal=True))
    # How people really type: most write "е" for "ё", some drop commas, some use no capitals.
    yo = np.flatnonzero(rng.random(n) < 0.7)
    description.scatter(yo, description.gather(yo).str.replace_all("ё", "е", literal=True))
    title.scatter(yo, title.gather(yo).str.replace_all("ё", "е", literal=True))
    commas = np.flatnonzero((~is_pro) & (rng.random(n) < 0.1))
    description.scatter(commas, description.gather(commas).str.replace_all(",", "", literal=True))
    lower = np.flatnonzero((~is_pro) & (rng.random(n) < 0.12))
    description.scatter(lower, description.gather(lower).str.to_lowercase())
    return title, description, price, median, slots["item"]


def build_clean(cat_codes: np.ndarray, city_idx: np.ndarray, is_pro: np.ndarray,
                rng: np.random.Generator, price_level: float = 1.0,
                year_now: int = 2026) -> CleanListings:
    """Clean text and prices for rows with the given category codes (index into CATEGORIES)."""
    n = cat_codes.size
    price = np.full(n, np.nan)
    median = np.full(n, np.nan)
    titles: list[pl.Series] = []
    descs: list[pl.Series] = []
    items: list[pl.Series] = []
    order: list[np.ndarray] = []
    for code, slug in enumerate(CATEGORIES):
        rows = np.flatnonzero(cat_codes == code)
        if rows.size == 0:
            continue
        t, d, p, m, it = _category(slug, rows, city_idx[rows], is_pro[rows], rng, price_level,
                                   year_now)
        titles.append(t)
        descs.append(d)
        items.append(it)
        price[rows], median[rows] = p, m
        order.append(rows)
    inverse = np.empty(n, dtype=np.int64)
    inverse[np.concatenate(order)] = np.arange(n)
    return CleanListings(
        title=pl.concat(titles).gather(inverse),
        description=pl.concat(descs).gather(inverse),
        price=price,
        median=median,
        item=pl.concat(items).gather(inverse),
    )
