"""Data contracts: the listing a dump must provide and the decision we write.

Schema version 1. Change these deliberately: bump SCHEMA_VERSION and say why.
"""

from __future__ import annotations

import polars as pl

__all__ = [
    "SCHEMA_VERSION",
    "REQUIRED_COLUMNS",
    "OPTIONAL_COLUMNS",
    "LISTING_COLUMNS",
    "DECISION_SCHEMA",
    "QUARANTINE_SCHEMA",
    "TRUTH_SCHEMA",
    "CATEGORIES",
    "REASON_CODES",
    "VIOLATIONS",
    "DECISIONS",
    "ACTIONS",
]

SCHEMA_VERSION = 1

# Listing (input). Required columns must be present in every dump.
REQUIRED_COLUMNS: dict[str, pl.DataType] = {
    "listing_id": pl.String(),
    "seller_id": pl.String(),
    "created_at": pl.Datetime("us"),
    "category": pl.String(),
    "title": pl.String(),
    "description": pl.String(),
    "price": pl.Float64(),  # nullable: "договорная" / free
    "region": pl.String(),
}

# Optional columns: used when present, filled with nulls when absent.
OPTIONAL_COLUMNS: dict[str, pl.DataType] = {
    "city": pl.String(),
    "seller_type": pl.String(),  # private | pro
    "seller_registered_at": pl.Datetime("us"),
    "seller_listing_count": pl.Int64(),  # listings the seller has placed before this one
    "seller_past_blocks": pl.Int64(),  # earlier listings of this seller that were blocked
    "photo_count": pl.Int64(),
    "phone": pl.String(),  # the phone from the listing form (not from the text)
}

LISTING_COLUMNS: dict[str, pl.DataType] = {**REQUIRED_COLUMNS, **OPTIONAL_COLUMNS}

# The marketplace's category slugs (Russian display names live in the generator).
CATEGORIES: tuple[str, ...] = (
    "real_estate",
    "cars",
    "phones",
    "electronics",
    "clothing",
    "jobs",
    "services",
    "pets",
    "furniture",
    "kids",
    "hobbies",
    "building_materials",
)

# Reason codes: the closed taxonomy (rules/reasons.yaml is the policy team's copy with meanings).
VIOLATIONS: tuple[str, ...] = (
    "contacts_in_text",
    "prepayment_scam",
    "prohibited_goods",
    "price_bait",
    "duplicate",
    "fake_job",
    "spam",
    "wrong_category",
)
REASON_CODES: tuple[str, ...] = (*VIOLATIONS, "ok")

DECISIONS: tuple[str, ...] = ("approve", "block", "review")
ACTIONS: tuple[str, ...] = ("block", "review", "approve", "flag")

# Decision (output, one row per accepted listing).
DECISION_SCHEMA: dict[str, pl.DataType] = {
    "listing_id": pl.String(),
    "run_id": pl.String(),
    "decision": pl.String(),
    "decided_by": pl.String(),  # rule | model | human
    "reasons": pl.List(pl.String()),
    "rule_hits": pl.List(pl.String()),
    "shadow_hits": pl.List(pl.String()),
    "fraud_score": pl.Float64(),
    "model_version": pl.String(),
    "ruleset_version": pl.String(),
}

# Quarantine (rows that failed validation, kept whole as text, with one reason each).
QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "source_file": pl.String(),
    "row_number": pl.Int64(),  # 0-based row in the dump
    "listing_id": pl.String(),
    "reason": pl.String(),  # e.g. "null listing_id", "price: negative (-5.0)"
    "row_json": pl.String(),  # the original row, so nothing is lost
}

# Ground truth written by the generator; scoring never reads it.
TRUTH_SCHEMA: dict[str, pl.DataType] = {
    "listing_id": pl.String(),
    "violation": pl.String(),  # a VIOLATIONS code or "ok"
}
