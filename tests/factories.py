"""Small hand-built listing frames for tests (the generator has its own tests)."""

from __future__ import annotations

import datetime as dt

import polars as pl


def make_listings(n: int = 20, **overrides) -> pl.DataFrame:
    """A valid dump of ``n`` listings, typed as the contract; overrides replace whole columns."""
    base = dt.datetime(2026, 11, 1, 9, 0)
    columns = {
        "listing_id": [f"L{i:05d}" for i in range(n)],
        "seller_id": [f"S{i % 7}" for i in range(n)],
        "created_at": [base + dt.timedelta(minutes=i) for i in range(n)],
        "category": ["phones" if i % 2 else "furniture" for i in range(n)],
        "title": [f"Продам диван {i}" for i in range(n)],
        "description": ["Хорошее состояние, самовывоз." for _ in range(n)],
        "price": [1000.0 + 10 * i for i in range(n)],
        "region": ["Москва" for _ in range(n)],
        "seller_registered_at": [base - dt.timedelta(days=30 + i) for i in range(n)],
        "photo_count": [3 for _ in range(n)],
    }
    columns.update(overrides)
    return pl.DataFrame(columns)
