"""Listing moderation: rules, fraud model and decision policy over batches of listings."""

from moderation.errors import ModerationError
from moderation.schema import DECISION_SCHEMA, LISTING_COLUMNS, REASON_CODES, SCHEMA_VERSION

__all__ = [
    "ModerationError",
    "DECISION_SCHEMA",
    "LISTING_COLUMNS",
    "REASON_CODES",
    "SCHEMA_VERSION",
    "__version__",
]

__version__ = "0.1.0"
