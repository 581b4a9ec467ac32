"""Clean listings: Russian grammar helpers, prices by item and region, and honest-looking hard cases."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from moderation.schema import CATEGORIES
from moderation.synth.geo import CITIES
from moderation.synth.listings import accusative, build_clean, lower_first, round_price


@pytest.mark.parametrize(
    ("name", "acc"),
    [
        ("Стиральная машина Indesit", "стиральную машину Indesit"),
        ("Квартира-студия", "квартиру-студию"),
        ("Кровать двуспальная 160×200", "кровать двуспальную 160×200"),
        ("Детская кроватка с маятником", "детскую кроватку с маятником"),
        ("Администратор салона", "администратор салона"),
        ("Стулья, комплект 4 шт.", "стулья, комплект 4 шт."),
        ("Apple iPhone 13", "Apple iPhone 13"),
    ],
)
def test_accusative_for_продаю(name, acc):
    assert accusative(name) == acc


def test_lower_first_keeps_brands_and_abbreviations():
    assert lower_first("Котята") == "котята"
    assert lower_first("УАЗ Патриот") == "УАЗ Патриот"
    assert lower_first("Sony PlayStation 5") == "Sony PlayStation 5"


def test_round_price_rounds_like_people_and_never_to_zero():
    out = round_price(np.array([3.0, 1234.0, 23_456.0, 1_234_567.0]))
    assert out.tolist() == [10.0, 1250.0, 23_500.0, 1_235_000.0]


def _clean(category: str, city: str, n: int = 2000, pro: bool = False):
    rng = np.random.default_rng(3)
    code = np.full(n, CATEGORIES.index(category))
    city_idx = np.full(n, [c[1] for c in CITIES].index(city))
    return build_clean(code, city_idx, np.full(n, pro), rng)


def test_flats_cost_more_in_moscow_than_in_kurgan_like_towns():
    moscow = _clean("real_estate", "Москва")
    bratsk = _clean("real_estate", "Братск")
    assert np.nanmedian(moscow.price) > 3 * np.nanmedian(bratsk.price)


def test_phone_prices_follow_the_model_and_memory():
    phones = _clean("phones", "Казань", n=5000)
    frame = pl.DataFrame({"item": phones.item, "price": phones.price, "title": phones.title})
    med = dict(frame.group_by("item").agg(pl.col("price").median()).iter_rows())
    assert med["Apple iPhone 15 Pro Max"] > 4 * med["Samsung Galaxy A14"]
    assert frame["title"].str.contains(r"\d+ ?(ГБ|GB|гб|Gb)|Продам|\{").mean() > 0.5
    assert not frame["title"].str.contains(r"[{}]").any()  # no unfilled slot


def test_every_category_renders_without_unfilled_slots():
    rng = np.random.default_rng(0)
    n = 6000
    codes = rng.integers(0, len(CATEGORIES), n)
    clean = build_clean(codes, rng.integers(0, len(CITIES), n), rng.random(n) < 0.3, rng)
    for series in (clean.title, clean.description):
        assert not series.str.contains(r"[{}]").any()
        assert series.null_count() == 0
    assert not clean.description.str.contains("  ").any()


def test_jobs_and_services_do_not_get_goods_phrases():
    jobs = _clean("jobs", "Пермь", n=3000)
    assert not jobs.description.str.contains(r"(?i)Самовывоз|Торг уместен|Торг\.|такая цена").any()
    assert jobs.description.str.contains("вакансия|требуется|должность|Обязанности|Требования|Зарплата").all()


def test_houses_and_garages_are_not_described_as_flats():
    estate = _clean("real_estate", "Тула", n=4000)
    frame = pl.DataFrame({"item": estate.item, "title": estate.title})
    houses = frame.filter(pl.col("item").is_in(["Дом", "Дача", "Таунхаус", "Гараж"]))
    assert houses.height > 0
    assert not houses["title"].str.contains(r"\d+/\d+ эт\.").any()
