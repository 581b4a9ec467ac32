"""Text context: price against similar texts, category against what the text reads like."""

from __future__ import annotations

import numpy as np
import polars as pl
import scipy.sparse as sp

from moderation.features.text_hash import frequent_vocabulary, token_matrix
from moderation.model.context import cross_fit_context, fit_context

_ITEMS = {  # item words -> (category, typical price)
    "айфон смартфон": ("phones", 60_000.0),
    "чехол силиконовый": ("phones", 500.0),
    "куртка зимняя": ("clothing", 6_000.0),
    "диван угловой": ("furniture", 25_000.0),
}
LEVELS = ("clothing", "furniture", "phones")


def _listings(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    items = list(_ITEMS)
    pick = rng.integers(0, len(items), n)
    return pl.DataFrame(
        {
            "text": [f"продаю {items[i]} торг" for i in pick],
            "category": [_ITEMS[items[i]][0] for i in pick],
            "region": rng.choice(["Москва", "Казань"], n).tolist(),
            "price": [_ITEMS[items[i]][1] * float(rng.lognormal(0, 0.2)) for i in pick],
            "seller_id": [f"s{i % 97}" for i in range(n)],
        }
    )


def _fit(frame: pl.DataFrame):
    vocab = frequent_vocabulary(frame["text"], max_tokens=50, min_df=2)
    tokens = token_matrix(frame["text"], vocab)
    labels = np.zeros(frame.height, dtype=np.int8)
    context = fit_context(
        tokens, frame["category"], frame["region"], frame["price"], labels, LEVELS,
        ("Казань", "Москва"),
    )
    return vocab, context


def test_a_bait_price_reads_far_below_similar_listings():
    train = _listings(600, seed=1)
    vocab, context = _fit(train)
    probe = pl.DataFrame(
        {
            "text": ["продаю айфон смартфон торг"] * 2 + ["продаю чехол силиконовый торг"],
            "category": ["phones"] * 3,
            "region": ["Москва"] * 3,
            "price": [60_000.0, 3_000.0, 500.0],
        }
    )
    values = context.features(
        token_matrix(probe["text"], vocab), probe["category"], probe["region"], probe["price"]
    )
    fair, bait, cheap_item = values[:, 0]
    assert abs(fair) < 0.5
    assert bait < np.log(0.1)  # 3 000 for a 60 000 phone: far below
    assert abs(cheap_item) < 0.5  # a cheap item at its own price is not bait


def test_a_listing_in_the_wrong_category_fits_it_badly():
    train = _listings(600, seed=2)
    vocab, context = _fit(train)
    probe = pl.DataFrame(
        {
            "text": ["продаю куртка зимняя торг"] * 2,
            "category": ["clothing", "furniture"],
            "region": ["Москва"] * 2,
            "price": [6_000.0, None],
        },
        schema_overrides={"price": pl.Float64},
    )
    values = context.features(
        token_matrix(probe["text"], vocab), probe["category"], probe["region"], probe["price"]
    )
    right, wrong = values[:, 1]
    assert right == 0.0  # the listed category is the likeliest one
    assert wrong < -5
    assert np.isnan(values[1, 0])  # no price, no price feature


def test_unknown_category_gives_no_category_feature():
    train = _listings(300, seed=3)
    vocab, context = _fit(train)
    tokens = token_matrix(pl.Series(["продаю диван угловой"]), vocab)
    values = context.features(
        tokens, pl.Series(["spaceships"]), pl.Series(["Москва"]), pl.Series([25_000.0])
    )
    assert np.isnan(values[0, 1]) and np.isfinite(values[0, 0])


def test_violations_do_not_teach_the_side_models_what_is_normal():
    train = _listings(600, seed=4)
    # A fifth of the phones are bait-priced violations: fitted on clean rows only, they do not
    # drag down what a phone is expected to cost.
    rng = np.random.default_rng(0)
    bait = (train["text"].str.contains("айфон") & pl.Series(rng.random(train.height) < 0.2)).to_numpy()
    train = train.with_columns(pl.when(pl.Series(bait)).then(1_000.0).otherwise(pl.col("price")).alias("price"))
    vocab = frequent_vocabulary(train["text"], max_tokens=50, min_df=2)
    tokens = token_matrix(train["text"], vocab)
    context = fit_context(
        tokens, train["category"], train["region"], train["price"], bait.astype(np.int8),
        LEVELS, ("Казань", "Москва"),
    )
    probe = token_matrix(pl.Series(["продаю айфон смартфон торг"]), vocab)
    fair = context.features(probe, pl.Series(["phones"]), pl.Series(["Москва"]), pl.Series([60_000.0]))
    assert abs(fair[0, 0]) < 0.5


def test_cross_fitted_values_come_from_the_other_sellers():
    train = _listings(400, seed=5)
    vocab = frequent_vocabulary(train["text"], max_tokens=50, min_df=2)
    tokens = token_matrix(train["text"], vocab)
    labels = np.zeros(train.height, dtype=np.int8)
    args = (train["category"], train["region"], train["price"], labels)
    full, oof = cross_fit_context(
        tokens, *args, train["seller_id"], LEVELS, ("Казань", "Москва")
    )
    assert oof.shape == (train.height, 2)
    assert np.isfinite(oof).all()
    in_sample = full.features(tokens, train["category"], train["region"], train["price"])
    assert not np.allclose(oof[:, 0], in_sample[:, 0])  # out-of-fold, not the full fit
    assert np.corrcoef(oof[:, 0], in_sample[:, 0])[0, 1] > 0.9


def test_too_few_rows_give_missing_features():
    frame = _listings(10, seed=6)
    vocab, context = _fit(frame)
    values = context.features(
        token_matrix(frame["text"], vocab), frame["category"], frame["region"], frame["price"]
    )
    assert context.price is None and context.category is None
    assert np.isnan(values).all()
    assert isinstance(token_matrix(frame["text"], vocab), sp.csr_matrix)
