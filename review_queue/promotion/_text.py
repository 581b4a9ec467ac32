"""Text helpers the miners share: the reviewed listing's text, normalised as rules see it."""

from __future__ import annotations

import polars as pl

__all__ = ["with_text_norm", "shingles", "require_columns", "DECISION_COLUMNS"]


def with_text_norm(decisions: pl.DataFrame) -> pl.DataFrame:
    """Add ``text_norm`` (and the other text features) unless the frame already has it.

    List entries and phrase conditions are matched against ``text_norm`` by the rule engine, so
    the miners must look at exactly the same normalised text.
    """
    if "text_norm" in decisions.columns:
        return decisions
    from moderation.features.text import add_text_features

    frame = decisions
    for column in ("title", "description"):
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(column))
    return add_text_features(frame)


def shingles(text: str | None, size: int = 3) -> set[str]:
    """Word ``size``-grams of a normalised text (the whole text when it is shorter)."""
    words = (text or "").split()
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


DECISION_COLUMNS = ("listing_id", "decision", "reason_code")


def require_columns(frame: pl.DataFrame, needed: tuple[str, ...], what: str) -> None:
    """Raise InputSchemaError naming every missing column (the miners' input contract)."""
    from moderation.errors import InputSchemaError

    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InputSchemaError(
            f"{what} needs column(s) {', '.join(missing)} in the reviewer-decision frame. "
            f"Got columns {', '.join(frame.columns) or '(none)'} instead."
        )
