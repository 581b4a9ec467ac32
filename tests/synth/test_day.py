"""generate_day: the contract (columns, dtypes, ids), base rates, labels, drift and repeat offenders."""

from __future__ import annotations

import io
from datetime import date

import polars as pl
import pytest

from moderation.errors import ConfigError
from moderation.schema import CATEGORIES, LISTING_COLUMNS, VIOLATIONS
from moderation.synth import TRUTH_COLUMNS, drift_share, generate_day
from tests.synth.conftest import DRIFT_DAY


def test_listings_have_exactly_the_contract_columns_and_dtypes(day20k):
    listings, truth = day20k
    assert listings.schema == pl.Schema(LISTING_COLUMNS)
    assert truth.schema == pl.Schema(TRUTH_COLUMNS)
    assert listings.height == truth.height == 20_000
    assert listings["listing_id"].to_list() == truth["listing_id"].to_list()


def test_required_columns_are_filled_and_values_are_in_their_domains(day20k):
    listings, _ = day20k
    for col in ("listing_id", "seller_id", "created_at", "category", "title", "description", "region"):
        assert listings[col].null_count() == 0, col
    assert set(listings["category"].unique()) == set(CATEGORIES)
    assert set(listings["seller_type"].unique()) == {"private", "pro"}
    assert (listings["price"].drop_nulls() >= 0).all()
    assert (listings["seller_registered_at"] < listings["created_at"]).all()
    assert listings["created_at"].dt.date().unique().to_list() == [date(2026, 11, 1)]
    assert listings["created_at"].is_sorted()
    phones = listings["phone"].drop_nulls()
    assert phones.str.contains(r"^\+79\d{9}$").all()


def test_prices_are_sometimes_missing_for_jobs_and_services_only_rarely_for_goods(day20k):
    listings, _ = day20k
    null_share = listings.group_by("category").agg(pl.col("price").is_null().mean().alias("s"))
    shares = dict(null_share.iter_rows())
    assert shares["jobs"] > 0.1 and shares["services"] > 0.2
    assert shares["phones"] < 0.05


def test_price_medians_are_sensible_per_category(day20k):
    listings, truth = day20k
    ok = listings.filter(truth["violation"] == "ok")
    med = dict(ok.group_by("category").agg(pl.col("price").median()).iter_rows())
    assert med["real_estate"] > 500_000
    assert 300_000 < med["cars"] < 4_000_000
    assert 5_000 < med["phones"] < 80_000
    assert med["building_materials"] < med["phones"] < med["cars"]


def test_texts_are_russian_and_of_realistic_length(day20k):
    listings, _ = day20k
    desc_len = listings["description"].str.len_chars()
    title_len = listings["title"].str.len_chars()
    assert 60 < desc_len.median() < 800
    assert title_len.max() < 200 and title_len.min() >= 3
    cyrillic = listings["description"].str.contains("[а-яё]").mean()
    assert cyrillic > 0.99
    # variety: many distinct titles and descriptions
    assert listings["title"].n_unique() > 3000
    assert listings["description"].n_unique() > 15_000


def test_violation_share_is_within_five_to_ten_percent(day20k, week):
    for _, truth in [day20k, *week]:
        share = (truth["violation"] != "ok").mean()
        assert 0.05 <= share <= 0.10, share


def test_every_violation_type_and_category_appears_on_a_20k_day(day20k):
    listings, truth = day20k
    assert set(truth["violation"].unique()) == {*VIOLATIONS, "ok"}
    assert set(listings["category"].unique()) == set(CATEGORIES)
    patterns = set(truth["pattern"].unique())
    for expected in ("contacts_spelled_digits", "contacts_telegram_handle", "contacts_interleaved",
                     "contacts_lookalike", "contacts_email", "hard_phone_as_product",
                     "hard_spec_sheet", "hard_free_giveaway", "duplicate_near_edit", "clean"):
        assert expected in patterns, expected


def test_each_violation_has_several_sub_patterns(day20k):
    _, truth = day20k
    bad = truth.filter(~pl.col("label_noise") & (pl.col("violation") != "ok"))
    per = dict(bad.group_by("violation").agg(pl.col("pattern").n_unique()).iter_rows())
    assert all(per[v] >= 2 for v in VIOLATIONS), per


def test_hard_cases_are_labelled_ok_unless_flipped_by_noise(day20k):
    _, truth = day20k
    hard = truth.filter(pl.col("hard_case"))
    assert 0.02 < hard.height / truth.height < 0.07
    assert (hard.filter(~pl.col("label_noise"))["violation"] == "ok").all()


def test_label_noise_is_small_and_flips_the_label(day20k):
    listings, truth = day20k
    noisy = truth.filter(pl.col("label_noise"))
    assert 0.001 < noisy.height / truth.height < 0.005
    # A flipped row says ok while its pattern is a violation, or a violation on a clean pattern.
    clean_pattern = noisy["pattern"].str.starts_with("hard_") | (noisy["pattern"] == "clean")
    assert ((noisy["violation"] == "ok") != clean_pattern).all()


def test_obfuscated_contacts_really_are_in_the_text(day20k):
    listings, truth = day20k
    both = listings.hstack(truth.drop("listing_id"))
    text = pl.col("title") + " " + pl.col("description")
    spelled = both.filter(pl.col("pattern") == "contacts_spelled_digits").select(text).to_series()
    assert spelled.str.contains("восемь").all()
    tg = both.filter(pl.col("pattern") == "contacts_telegram_handle").select(text).to_series()
    assert tg.str.contains(r"(?i)(тг|телег|tg)").all()
    giveaway = both.filter(pl.col("pattern") == "hard_free_giveaway")
    assert (giveaway["price"] == 0).all()


def test_same_seed_gives_byte_identical_frames():
    a = generate_day(1, 2500, 123, drift_day=1)
    b = generate_day(1, 2500, 123, drift_day=1)
    for x, y in zip(a, b, strict=True):
        assert x.equals(y)
        buf_x, buf_y = io.BytesIO(), io.BytesIO()
        x.write_parquet(buf_x)
        y.write_parquet(buf_y)
        assert buf_x.getvalue() == buf_y.getvalue()
    other = generate_day(1, 2500, 124, drift_day=1)
    assert not a[0].equals(other[0])


def test_listing_ids_are_unique_across_days_and_sellers_recur(week):
    ids = pl.concat([listings["listing_id"] for listings, _ in week])
    assert ids.n_unique() == ids.len()
    sellers = [set(listings["seller_id"]) for listings, _ in week]
    assert len(sellers[0] & sellers[1]) > 100


def test_drift_pattern_absent_before_the_drift_day_and_present_from_it(week):
    for i, (_, truth) in enumerate(week):
        n_drift = int((truth["pattern"] == "drift_delivery_phishing").sum())
        if i + 1 < DRIFT_DAY:
            assert n_drift == 0
        else:
            assert n_drift > 0
            assert (truth.filter(pl.col("pattern") == "drift_delivery_phishing")
                    .filter(~pl.col("label_noise"))["violation"] == "prepayment_scam").all()
    assert drift_share(DRIFT_DAY + 10, DRIFT_DAY) <= 0.02
    assert drift_share(0, None) == 0


def test_repeat_offenders_come_back_with_the_same_phone_and_handle(week):
    per_day = []
    for listings, truth in week:
        bad = listings.hstack(truth.drop("listing_id")).filter(pl.col("violation") != "ok")
        per_day.append(bad)
    phones = [set(day["phone"].drop_nulls()) for day in per_day]
    assert len(phones[0] & phones[1] & phones[2]) > 0
    handles = [set(day["description"].str.extract(r"@([a-z0-9_.]+)").drop_nulls()) for day in per_day]
    assert len(handles[0] & handles[1]) > 0
    reposts = pl.concat([d.filter(pl.col("pattern") == "duplicate_repost_days") for d in per_day[1:]])
    originals = set(per_day[0]["seller_id"]) | set(week[0][0]["seller_id"])
    assert len(set(reposts["seller_id"]) & originals) > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"listings": 0}, "listings per day must be at least 1"),
        ({"day_index": -1}, "day index must be 0 or more"),
        ({"seed": -5}, "seed must be a non-negative integer"),
        ({"drift_day": 0}, "drift day is 1-based"),
    ],
)
def test_bad_arguments_raise_a_config_error_naming_the_argument(kwargs, message):
    args = {"day_index": 0, "listings": 10, "seed": 1} | kwargs
    with pytest.raises(ConfigError, match=message):
        generate_day(**args)


def test_tiny_days_still_work():
    listings, truth = generate_day(0, 1, 3)
    assert listings.height == truth.height == 1
    assert listings.schema == pl.Schema(LISTING_COLUMNS)


def test_hard_cases_stay_plausible(day20k):
    listings, truth = day20k
    both = listings.hstack(truth.drop("listing_id"))
    giveaway = both.filter(pl.col("pattern") == "hard_free_giveaway")
    assert not giveaway["category"].is_in(["real_estate", "cars", "phones"]).any()
    broken_cars = both.filter((pl.col("pattern") == "hard_broken_item") & (pl.col("category") == "cars"))
    assert not broken_cars["description"].str.contains("экран").any()
    requisites = both.filter(pl.col("pattern") == "hard_company_requisites")
    assert requisites.height > 0 and (requisites["seller_type"] == "pro").all()
    assert requisites["description"].str.contains(r"ИНН \d{10}").all()
    sims = both.filter(pl.col("pattern") == "hard_phone_as_product")
    assert (sims["category"] == "phones").all()
    assert sims["title"].str.contains(r"\d{3}").all()


def test_price_bait_is_far_below_the_usual_price_of_the_same_title(day20k):
    listings, truth = day20k
    both = listings.hstack(truth.drop("listing_id"))
    bait = both.filter(pl.col("pattern") == "price_bait_fraction")
    usual = both.filter(pl.col("pattern") == "clean").group_by("category").agg(pl.col("price").median())
    joined = bait.join(usual, on="category", suffix="_usual")
    assert (joined["price"] < joined["price_usual"]).mean() > 0.8


def test_drift_scam_runs_from_a_few_recurring_clean_looking_accounts(week):
    sellers = []
    for listings, truth in week[DRIFT_DAY - 1:]:
        rows = listings.filter(truth["pattern"] == "drift_delivery_phishing")
        assert (rows["seller_past_blocks"] == 0).all()
        assert (rows["seller_type"] == "private").all()
        sellers.append(set(rows["seller_id"]))
    assert sellers[0] & sellers[1]


def test_every_pattern_written_is_catalogued_with_its_label(day20k, week):
    from moderation.synth import PATTERNS

    for _, truth in [day20k, *week]:
        clean = truth.filter(~pl.col("label_noise"))
        assert set(clean["pattern"].unique()) <= set(PATTERNS)
        expected = clean["pattern"].replace_strict(PATTERNS)
        assert (expected == clean["violation"]).all()
    assert set(PATTERNS.values()) == {*VIOLATIONS, "ok"}


def test_days_of_different_sizes_share_sellers_and_repost_the_same_listing():
    history, history_truth = generate_day(1, 5000, 21)
    today, today_truth = generate_day(2, 10_000, 21)
    assert len(set(history["seller_id"]) & set(today["seller_id"])) > 300
    reposts = [frame.filter(truth["pattern"] == "duplicate_repost_days").select("seller_id", "title")
               for frame, truth in ((history, history_truth), (today, today_truth))]
    shared = reposts[0].join(reposts[1], on="seller_id", suffix="_today")
    assert shared.height > 0
    assert (shared["title"] == shared["title_today"]).all()


def test_category_mix_drifts_mildly_over_weeks():
    shares = []
    for day in (0, 60):
        listings, _ = generate_day(day, 8000, 17)
        counts = dict(listings["category"].value_counts().iter_rows())
        shares.append({c: counts.get(c, 0) / listings.height for c in CATEGORIES})
    moved = max(abs(shares[0][c] - shares[1][c]) for c in CATEGORIES)
    assert moved > 0.01
    assert all(0.33 < shares[1][c] / shares[0][c] < 3 for c in CATEGORIES)
