"""Reviewer decisions built by hand: a prepayment scam ring (shared phones, one handle, copied
text, new sellers, a delivery phrase) against ordinary approved listings."""

from __future__ import annotations

import datetime as dt
import random

import polars as pl
import pytest

from moderation.features import add_features, compute_day_stats

_SCAM = "Отправлю курьерской доставкой, оплата по ссылке на сайте доставки, тг @fast_deliv{k} лот {i}"


def _raw(n_scam: int = 30, n_ok: int = 90, seed: int = 3, scam_text: str = _SCAM,
         phone: str = "8 912 345 00 0{k}") -> pl.DataFrame:
    rng = random.Random(seed)
    rows = []
    for i in range(n_scam):
        rows.append(dict(
            listing_id=f"scam{i}", seller_id=f"s{i}", title="iPhone 14 Pro новый",
            description=scam_text.format(k=i % 3, i=i),
            price=9000.0 + i, category="phones", phone=phone.format(k=i % 4),
            created_at=dt.datetime(2026, 1, 1 + i % 3, 10), seller_registered_at=dt.datetime(2025, 12, 31),
            decision="block", reason_code="prepayment_scam", decided_at=dt.datetime(2026, 1, 2 + i % 3),
            moderator=f"m{i % 2}", rule_hits=[],
        ))
    for i in range(n_ok):
        category = rng.choice(["furniture", "phones", "kids"])
        rows.append(dict(
            listing_id=f"ok{i}", seller_id=f"t{i}", title=rng.choice(["Диван угловой", "iPhone 12", "Коляска"]),
            description=f"Продам в хорошем состоянии, самовывоз или доставка, торг {i}",
            price=rng.choice([9000.0, 30000.0, 15000.0]), category=category, phone=f"8 900 111 {i:04d}",
            created_at=dt.datetime(2026, 1, 1 + i % 3, 11), seller_registered_at=dt.datetime(2023, 5, 1),
            decision="approve", reason_code="ok", decided_at=dt.datetime(2026, 1, 2 + i % 3),
            moderator=f"m{i % 2}", rule_hits=[],
        ))
    return pl.DataFrame(rows)


def _decisions(**options) -> pl.DataFrame:
    frame = _raw(**options)
    return add_features(frame, compute_day_stats(frame))


@pytest.fixture(scope="session")
def make_raw_decisions():
    """Reviewer decisions as the queue hands them over: snapshot columns, no derived fields."""
    return _raw


@pytest.fixture(scope="session")
def decisions() -> pl.DataFrame:
    return _decisions()


@pytest.fixture(scope="session")
def fields() -> dict[str, str]:
    import yaml

    from moderation.settings import PROJECT_ROOT

    spec = yaml.safe_load((PROJECT_ROOT / "rules" / "fields.yaml").read_text(encoding="utf-8"))
    return {f["name"]: f["type"] for f in spec["fields"]}
