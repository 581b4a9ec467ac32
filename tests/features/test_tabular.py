import datetime as dt

import polars as pl
import pytest

from moderation.features.tabular import (
    TABULAR_FEATURES,
    add_tabular_features,
    compute_day_stats,
    listing_fingerprint,
    listing_fingerprints,
)
from tests.factories import make_listings


def test_price_ratio_against_the_dumps_category_median():
    day = make_listings(
        5,
        category=["cars", "cars", "cars", "pets", "toys"],
        price=[100.0, 200.0, 300.0, None, 50.0],
    )
    stats = compute_day_stats(day)
    assert stats.category_median_price == {"cars": 200.0, "toys": 50.0}
    out = add_tabular_features(day, stats)
    assert out["price_ratio"].to_list()[:3] == [0.5, 1.0, 1.5]
    # No priced listing in "pets": the overall median stands in; no price -> no ratio.
    assert out["category_median_price"][3] == stats.overall_median_price == 150.0
    assert out["price_ratio"][3] is None
    assert set(TABULAR_FEATURES) <= set(out.columns)
    assert out["listing_id"].to_list() == day["listing_id"].to_list()


def test_seller_age_and_text_statistics():
    day = make_listings(
        2,
        created_at=[dt.datetime(2026, 11, 10, 12)] * 2,
        seller_registered_at=[dt.datetime(2026, 11, 9, 0), None],
        title=["ЗВОНИТЕ!!!", "Диван"],
        description=["12", ""],
    )
    out = add_tabular_features(day, compute_day_stats(day))
    assert out["seller_age_days"].to_list() == [1.5, None]
    assert out["exclamation_count"].to_list() == [3, 0]
    assert out["upper_share"][0] == 1.0 and out["upper_share"][1] == pytest.approx(1 / 5)
    assert out["digit_share"][0] == pytest.approx(2 / 13)


def test_reposts_are_counted_in_time_order_whatever_the_file_order():
    day = make_listings(
        4,
        seller_id=["s1", "s1", "s2", "s1"],
        title=["Диван угловой", "диван  УГЛОВОЙ!", "Диван угловой", "Шкаф"],
        description=["Самовывоз. Торг 5000", "самовывоз, торг 4500", "Самовывоз. Торг 5000", "x"],
        created_at=[dt.datetime(2026, 11, 1, h) for h in (12, 9, 10, 11)],
    )
    out = add_tabular_features(day, compute_day_stats(day))
    # Row 1 (09:00) is the first of s1's two sofas; row 0 (12:00) is its repost. s2 is another seller.
    assert out["earlier_copies"].to_list() == [1, 0, 0, 0]


def test_listings_seen_on_earlier_days_count_as_copies():
    yesterday = make_listings(1, title=["Велосипед"], description=["Горный"], seller_id=["s9"])
    today = make_listings(2, title=["Велосипед", "Велосипед"], description=["Горный", "Горный"],
                          seller_id=["s9", "s8"])
    previous = listing_fingerprints(yesterday)
    out = add_tabular_features(today, compute_day_stats(today, previous))
    assert out["earlier_copies"].to_list() == [1, 0]


@pytest.mark.parametrize("kernel", [True, False], ids=["native", "polars"])
def test_listings_without_a_description_or_seller_are_never_copies(kernel, monkeypatch):
    """Nothing to compare: no fingerprint (before, every such listing matched every other)."""
    from moderation.features import native

    if not kernel:
        monkeypatch.setattr(native, "kernel", lambda: None)
    day = make_listings(5, title=["Диван", "Шкаф", "Диван", "Диван", "Диван"],
                        description=[None, None, "Новый", "Новый", "Новый"],
                        seller_id=["s1", "s2", None, None, "s1"],
                        created_at=[dt.datetime(2026, 11, 1, h) for h in range(5)])
    assert listing_fingerprints(day).is_null().to_list() == [True, True, True, True, False]
    out = add_tabular_features(day, compute_day_stats(day, listing_fingerprints(day)))
    # Only the last listing has a fingerprint, and it was seen "on an earlier day" (itself).
    assert out["earlier_copies"].to_list() == [0, 0, 0, 0, 1]


@pytest.mark.parametrize("kernel", [True, False], ids=["native", "polars"])
def test_fingerprints_do_not_depend_on_the_seller_ids_type(kernel, monkeypatch):
    """An earlier day read from another format (seller ids as numbers) still finds its reposts."""
    from moderation.features import native

    if not kernel:
        monkeypatch.setattr(native, "kernel", lambda: None)
    as_text = make_listings(2, seller_id=["5", "6"])
    as_numbers = as_text.with_columns(pl.col("seller_id").cast(pl.Int64))
    assert listing_fingerprints(as_numbers).to_list() == listing_fingerprints(as_text).to_list()


def test_stats_without_text_columns_skip_copies():
    prices = pl.DataFrame({"category": ["a", "a"], "price": [1.0, 3.0]})
    stats = compute_day_stats(prices)
    assert stats.category_median_price == {"a": 2.0}
    assert stats.earlier_copies.height == 0


def test_a_dump_without_prices_still_gets_features():
    day = make_listings(3, price=[None, None, -1.0])
    stats = compute_day_stats(day)
    assert stats.overall_median_price is None
    out = add_tabular_features(day, stats)
    assert out["category_median_price"].null_count() == 3
    assert out["price_ratio"].null_count() == 3


def _reference_text_statistics(batch: pl.DataFrame) -> pl.DataFrame:
    """The straightforward formulas the counted-once columns must reproduce."""
    text = pl.concat_str(["title", "description"], separator=" ", ignore_nulls=True)
    return batch.select(
        digit_share=(text.str.count_matches(r"\d") / text.str.len_chars()).fill_nan(None),
        upper_share=(text.str.count_matches(r"\p{Lu}") / text.str.count_matches(r"\p{L}")).fill_nan(None),
    )


def test_text_statistics_and_fingerprints_match_the_reference_formulas():
    from moderation.synth.day import generate_day

    listings, _ = generate_day(0, 2000, seed=5)
    extra = make_listings(
        5,
        title=["", None, "123", "ΣΟΦΙΑ İ ǅ", "ДИВАН Ёлка"],
        description=[None, None, "!!!", "ΟΔΟΣ", "é٣"],
    )
    batch = pl.concat([listings.select(extra.columns), extra], how="vertical_relaxed")
    out = add_tabular_features(batch, compute_day_stats(batch))
    assert out.select("digit_share", "upper_share").equals(_reference_text_statistics(batch))
    text = pl.concat_str(["title", "description"], separator=" ", ignore_nulls=True)
    assert out["exclamation_count"].to_list() == batch.select(text.str.count_matches("!", literal=True))[:, 0].to_list()
    assert not any(c.startswith("__") for c in out.columns)

    def reference_letters(text: pl.Expr) -> pl.Expr:
        return text.str.to_lowercase().str.replace_all(r"[^\p{L}]+", "")

    keyed = pl.concat_str(
        [pl.col("seller_id"), reference_letters(pl.col("title")),
         reference_letters(pl.col("description").str.slice(0, 160)).str.slice(0, 80)],
        separator="|",
    )
    reference = pl.when(keyed.is_not_null()).then(keyed.hash(seed=20261101))
    assert batch.select(listing_fingerprint()).to_series().to_list() == batch.select(reference).to_series().to_list()


def test_copies_counted_in_parallel_slices_equal_one_pass(monkeypatch):
    """A batch in memory is fingerprinted in row slices: the same earlier copies as one pass."""
    from moderation.features import tabular
    from moderation.synth.day import generate_day

    listings, _ = generate_day(0, 3000, seed=7)
    one_pass = compute_day_stats(listings.lazy()).earlier_copies.sort("listing_id")
    monkeypatch.setattr(tabular, "_SLICE_ROWS", 700)
    sliced = compute_day_stats(listings).earlier_copies.sort("listing_id")
    assert sliced.equals(one_pass)
    assert one_pass.height > 0
