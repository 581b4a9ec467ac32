"""Hard cases: honest listings (label ``ok``) that look like violations to a naive filter.

A phone number that is the product, a model code or IMEI full of digits, a free or broken item at a
tiny price, a spec sheet of numbers, honest ads that say "без предоплаты" or mention delivery, a
legitimate job with a high salary. A moderation system must not block these.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from moderation.schema import CATEGORIES
from moderation.synth._render import ints, pick
from moderation.synth.draft import GOODS, Draft, append_text, set_text
from moderation.synth.listings import round_price
from moderation.synth.phrases import (
    BEAUTIFUL_NUMBERS,
    BROKEN,
    DEVICE_CODES,
    GIVEAWAY,
    HARD_APPENDS,
    MODEL_CODES,
    SPEC_SHEETS,
)

__all__ = ["HARD_MIX", "apply_hard_cases"]

_C = {slug: i for i, slug in enumerate(CATEGORIES)}
_OPERATORS = ["МТС", "Билайн", "МегаФон", "Tele2"]

# pattern -> (share of all rows, eligible categories or None for every goods category)
HARD_MIX: dict[str, tuple[float, tuple[str, ...] | None]] = {
    "hard_phone_as_product": (0.003, ("phones",)),
    "hard_model_number": (0.006, ("phones", "electronics")),
    "hard_free_giveaway": (0.005, ("furniture", "kids", "clothing", "hobbies", "pets",
                                   "building_materials", "electronics")),
    "hard_broken_item": (0.004, ("phones", "electronics", "cars")),
    "hard_spec_sheet": (0.006, ("electronics", "phones", "cars")),
    "hard_no_prepayment": (0.006, None),
    "hard_messenger_refusal": (0.003, None),
    "hard_site_delivery": (0.004, None),
    "hard_high_salary": (0.002, ("jobs",)),
    # Shops print their requisites and address: 10-13 digit numbers that are not phones.
    "hard_company_requisites": (0.004, tuple(CATEGORIES)),
}


def _eligible(d: Draft, name: str, cats: tuple[str, ...] | None, pro: np.ndarray) -> np.ndarray:
    ok = ~d.taken
    if name == "hard_company_requisites":
        ok = ok & pro
    if name == "hard_free_giveaway":  # nobody gives away a flat or a new iPhone
        ok = ok & (d.median < 15_000)
    if cats is None:
        return ok & GOODS[d.category]
    return ok & np.isin(d.category, [_C[c] for c in cats])


def _apply(d: Draft, name: str, rows: np.ndarray, rng: np.random.Generator) -> None:
    m = rows.size
    if name == "hard_phone_as_product":
        number = pick(BEAUTIFUL_NUMBERS, rng.integers(0, len(BEAUTIFUL_NUMBERS), m))
        op = pick(_OPERATORS, rng.integers(0, len(_OPERATORS), m))
        set_text(d.title, rows, "Красивый номер " + number)
        set_text(d.description, rows, "Продаю красивый номер " + number + ", оператор " + op
                 + ". Переоформление в салоне связи на нового владельца, тариф любой.")
        d.price[rows] = round_price(rng.lognormal(np.log(5000), 0.9, m))
    elif name == "hard_model_number":
        phone = d.category[rows] == _C["phones"]
        item = d.item.gather(rows)
        expr = pl.when(~pl.Series(values=phone)).then(
            pick(DEVICE_CODES, rng.integers(0, len(DEVICE_CODES), m)))
        for brand, codes_of in MODEL_CODES.items():
            if brand != "other":
                expr = expr.when(item.str.starts_with(brand)).then(
                    pick(codes_of, rng.integers(0, len(codes_of), m)))
        other = MODEL_CODES["other"]
        codes = pl.select(expr.otherwise(pick(other, rng.integers(0, len(other), m)))).to_series()
        serial = ints(rng.integers(10**12, 10**13, m))  # IMEI: 35 + 13 digits, 15 in all
        set_text(d.title, rows, d.title.gather(rows) + " " + codes)
        note = pl.select(pl.when(pl.Series(values=phone))
                         .then("Модель " + codes + ", IMEI 35" + serial + ", совпадает с коробкой.")
                         .otherwise("Модель " + codes + ", серийный номер " + serial
                                    + " на наклейке и коробке.")).to_series()
        append_text(d.description, rows, note)
    elif name == "hard_free_giveaway":
        set_text(d.title, rows, "Отдам даром: " + d.title.gather(rows))
        append_text(d.description, rows, pick(GIVEAWAY, rng.integers(0, len(GIVEAWAY), m)),
                    before=np.ones(m, dtype=bool))
        d.price[rows] = 0.0
    elif name == "hard_broken_item":
        car = d.category[rows] == _C["cars"]
        for key, mine in (("car", car), ("device", ~car)):
            r, texts = rows[mine], BROKEN[key]
            append_text(d.description, r, pick(texts, rng.integers(0, len(texts), r.size)),
                        before=rng.random(r.size) < 0.5)
        set_text(d.title, rows, d.title.gather(rows) + " на запчасти")
        d.price[rows] = round_price(d.median[rows] * rng.uniform(0.05, 0.2, m))
    elif name == "hard_spec_sheet":
        item = d.item.gather(rows)
        family = np.select(
            [d.category[rows] == _C["cars"], d.category[rows] == _C["phones"],
             item.str.contains("Ноутбук|MacBook|ПК|Видеокарта").to_numpy(),
             item.str.contains("Телевизор|Монитор").to_numpy()],
            ["car", "phone", "laptop", "tv"], "other")
        for key, sheets in SPEC_SHEETS.items():
            r = rows[family == key]
            append_text(d.description, r, pick(sheets, rng.integers(0, len(sheets), r.size)))
    elif name == "hard_high_salary":
        d.price[rows] = np.round(rng.uniform(150_000, 260_000, m), -4)
        append_text(d.description, rows, "Высокая зарплата за опыт и переработки, белая, без задержек; "
                    "официальное оформление с первого дня, отзывы сотрудников на сайте компании.")
    elif name == "hard_company_requisites":
        append_text(d.description, rows, _requisites(rng, m))
    else:
        phrases = HARD_APPENDS[name]
        append_text(d.description, rows, pick(phrases, rng.integers(0, len(phrases), m)))
    d.hard_case[rows] = True
    d.pattern[rows] = name
    d.taken[rows] = True


def _requisites(rng: np.random.Generator, m: int):
    def digits(k: int):
        return ints(rng.integers(10 ** (k - 1), 10**k, m))

    street = pick(["Ленина", "Мира", "Советская", "Гагарина", "Промышленная", "Заводская"],
                  rng.integers(0, 6, m))
    return ("ООО, ИНН " + digits(10) + ", ОГРН " + digits(13) + ". Адрес: ул. " + street + ", д. "
            + ints(rng.integers(1, 200, m)) + ", офис " + ints(rng.integers(1, 500, m)) + ", индекс "
            + digits(6) + ".")


def apply_hard_cases(d: Draft, rng: np.random.Generator, pro: np.ndarray | None = None) -> None:
    """Turn about 4 % of the still-clean rows into hard cases, each pattern at its own share.

    ``pro`` marks rows posted by professional sellers (only they print company requisites).
    """
    for name, (share, cats) in HARD_MIX.items():
        pool = np.flatnonzero(_eligible(d, name, cats, pro if pro is not None else np.zeros(d.n, bool)))
        k = min(pool.size, int(rng.binomial(d.n, share)))
        if k:
            _apply(d, name, np.sort(rng.choice(pool, size=k, replace=False)), rng)
