"""Tiny labelled listing frames for the model tests (a few thousand rows, built in memory)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest

from moderation.schema import CATEGORIES, LISTING_COLUMNS

_CLEAN = [
    "Продаю в отличном состоянии, самовывоз",
    "Торг уместен, возможна доставка по городу",
    "Новый, в упаковке, чек есть",
    "Состояние хорошее, небольшие потертости",
]
_BAD = [
    "Только предоплата на карту, отправлю почтой",
    "Пишите в вотсап 8 900 123 45 67",
    "Срочно! Переведите залог и заберите сегодня",
    "Звоните 89161234567 цена ниже рынка",
]


def labelled_listings(n: int, seed: int, bad_share: float = 0.2) -> tuple[pl.DataFrame, np.ndarray]:
    """Listings whose violations show in text, price and seller history — learnable, not trivial."""
    rng = np.random.default_rng(seed)
    bad = rng.random(n) < bad_share
    noisy = rng.random(n) < 0.08  # some rows carry the other class's text
    text_bad = bad ^ noisy
    base = datetime(2026, 11, 1)
    price = rng.lognormal(8, 1, n)
    price = np.where(bad & (rng.random(n) < 0.5), price * 0.2, price)
    frame = pl.DataFrame(
        {
            "listing_id": [f"L{seed}-{i}" for i in range(n)],
            "seller_id": [f"S{i % 500}" for i in range(n)],
            "created_at": [base] * n,
            "category": rng.choice(CATEGORIES, n).tolist(),
            "title": rng.choice(["Телефон", "Диван", "Куртка", "Велосипед"], n).tolist(),
            "description": [
                _BAD[i % 4] if t else _CLEAN[i % 4] for i, t in enumerate(text_bad.tolist())
            ],
            "price": price,
            "region": ["Москва"] * n,
            "seller_registered_at": [
                base - timedelta(days=float(d))
                for d in np.where(bad, rng.exponential(60, n), rng.exponential(300, n))
            ],
            "seller_listing_count": rng.poisson(np.where(bad, 4, 8)).astype(np.int64),
            "seller_past_blocks": rng.poisson(np.where(bad, 0.3, 0.1)).astype(np.int64),
            "photo_count": rng.integers(0, 10, n),
            "seller_type": rng.choice(["private", "pro"], n).tolist(),
        }
    )
    for column, dtype in LISTING_COLUMNS.items():
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=dtype).alias(column))
    return frame.select(list(LISTING_COLUMNS)).cast(dict(LISTING_COLUMNS)), bad.astype(np.int8)


@pytest.fixture(scope="session")
def feature_frames():
    """(train features, train labels, held-out features, held-out labels)."""
    from moderation.features import add_features, compute_day_stats

    train, y_train = labelled_listings(3000, seed=1)
    test, y_test = labelled_listings(1500, seed=2)
    return (
        add_features(train, compute_day_stats(train)),
        y_train,
        add_features(test, compute_day_stats(test)),
        y_test,
    )
