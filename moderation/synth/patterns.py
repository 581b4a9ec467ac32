"""Every ``pattern`` the generator can write to a truth file, with the label it stands for.

Evaluation code groups errors by pattern (which obfuscation slipped through, which hard case was
blocked); this table says what each one is without reading the generators.
"""

from __future__ import annotations

from moderation.synth.hard_cases import HARD_MIX
from moderation.synth.phrases import (
    CONTACT_PATTERNS,
    FAKE_JOB,
    PREPAY_PATTERNS,
    PROHIBITED,
    SPAM_PATTERNS,
)

__all__ = ["PATTERNS"]

PATTERNS: dict[str, str] = {
    "clean": "ok",
    **{name: "ok" for name in HARD_MIX},
    **{name: "contacts_in_text" for name in CONTACT_PATTERNS},
    **{name: "prepayment_scam" for name in PREPAY_PATTERNS},
    "drift_delivery_phishing": "prepayment_scam",
    **{name: "prohibited_goods" for name, *_ in PROHIBITED},
    "price_bait_fraction": "price_bait",
    "price_bait_symbolic": "price_bait",
    "price_bait_round": "price_bait",
    "duplicate_exact": "duplicate",
    "duplicate_near_edit": "duplicate",
    "duplicate_repost_days": "duplicate",
    **{name: "fake_job" for name in FAKE_JOB},
    **{name: "spam" for name in SPAM_PATTERNS},
    "wrong_category_goods": "wrong_category",
    "wrong_category_service_in_goods": "wrong_category",
}
