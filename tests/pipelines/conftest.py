"""A small day of listings, a tiny model registered in a throw-away MLflow store, settings for both.

Session-scoped: training and registering cost seconds, every test of the package reuses them.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from moderation.settings import PROJECT_ROOT, Settings, load_settings

_CLEAN = (
    "Продам диван, хорошее состояние, самовывоз",
    "Детская коляска после одного ребёнка, все колёса целые",
    "iPhone 13 128 ГБ, аккумулятор 89 процентов, без царапин",
    "Шкаф-купе 2 метра, разберу сам, доставка по договорённости",
    "Куртка зимняя, размер 48, носил один сезон",
)
_BAD = (
    "Звоните 8-912-345-67-89, отвечу в вотсап",
    "Только предоплата на карту, отправлю сразу после перевода",
    "пишите в тг @cheap_deals_ru, скидки для своих",
    "восемь девятьсот двенадцать три четыре пять шестьдесят семь восемьдесят девять",
    "Работа на дому, 5000 в день, нужна только предоплата за обучение",
)


def make_day(n: int, seed: int = 0) -> tuple[pl.DataFrame, np.ndarray]:
    """``n`` listings with a mix of clean and violating texts, and the 0/1 violation labels."""
    rng = np.random.default_rng(seed)
    bad = rng.random(n) < 0.2
    texts = np.where(bad, rng.choice(_BAD, n), rng.choice(_CLEAN, n))
    base = dt.datetime(2026, 11, 4, 8, 0)
    categories = np.array(["furniture", "phones", "kids", "clothing", "jobs"])
    price = np.round(rng.lognormal(8, 1, n)).astype(float) * np.where(bad, 0.3, 1.0)
    frame = pl.DataFrame(
        {
            "listing_id": [f"L{seed}-{i:06d}" for i in range(n)],
            "seller_id": [f"S{i}" for i in rng.integers(0, n // 3 + 1, n)],
            "created_at": [base + dt.timedelta(seconds=int(s)) for s in rng.integers(0, 86_000, n)],
            "category": rng.choice(categories, n),
            "title": [f"Объявление {i}" for i in range(n)],
            "description": texts,
            "price": price,
            "region": "Москва",
            "seller_registered_at": [
                base - dt.timedelta(days=int(d)) for d in np.where(bad, rng.integers(0, 5, n), rng.integers(10, 900, n))
            ],
            "photo_count": rng.integers(0, 8, n),
        }
    )
    return frame, bad.astype(np.int64)


@pytest.fixture(scope="session")
def day_frame() -> pl.DataFrame:
    return make_day(3_000, seed=1)[0]


@pytest.fixture(scope="session")
def day_path(tmp_path_factory, day_frame) -> Path:
    path = tmp_path_factory.mktemp("dumps") / "listings-2026-11-04.parquet"
    day_frame.write_parquet(path, row_group_size=700)
    return path


@pytest.fixture(scope="session")
def trained():
    """A tiny FraudModel on tabular + text features, with thresholds that give all three decisions."""
    from moderation.features import add_features, compute_day_stats
    from moderation.model import FraudModel, Thresholds

    frame, labels = make_day(4_000, seed=2)
    features = add_features(frame, compute_day_stats(frame))
    model = FraudModel(
        numeric_features=("price_ratio", "seller_age_days", "photo_count", "digit_share"),
        max_tokens=40,
        min_df=3,
        n_estimators=15,
        num_leaves=7,
    ).fit(features, labels)
    return model, Thresholds(approve_below=0.15, block_at=0.85)


@pytest.fixture(scope="session")
def home(tmp_path_factory, trained) -> Path:
    """A MODERATION_HOME with the tiny model registered as champion in its MLflow store."""
    from moderation.model import log_and_register

    home = tmp_path_factory.mktemp("home")
    model, thresholds = trained
    settings = Settings(home=home)
    log_and_register(
        model,
        tracking_uri=settings.resolved_tracking_uri,
        name=settings.model_name,
        thresholds=thresholds,
        params={"test": True},
        metrics={},
        artifact_location=settings.artifact_location,
    )
    return home


@pytest.fixture(scope="session")
def rules_dir(tmp_path_factory) -> Path:
    """A snapshot of the shipped rules, so every run of a test session scores with the same ruleset."""
    path = tmp_path_factory.mktemp("ruleset") / "rules"
    shutil.copytree(PROJECT_ROOT / "rules", path)
    return path


@pytest.fixture()
def settings(home, rules_dir, tmp_path) -> Settings:
    """Settings on the shared model store and ruleset, with a fresh queue per test."""
    return load_settings(
        home=home, queue_url=f"sqlite:///{tmp_path / 'queue.db'}", rules_dir=rules_dir, batch_size=1_000
    )
