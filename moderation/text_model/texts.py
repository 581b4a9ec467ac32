"""The one text a listing is shown to the text model as — the same in training and scoring.

Title and description carry most of the signal; the category slug and the price go in front
because two violations are only visible next to them (``wrong_category``: a phone in "pets";
``price_bait``: an iPhone for 990). Training and scoring must build the text identically, so
this is the only place that does.
"""

from __future__ import annotations

import polars as pl

__all__ = ["listing_texts", "TEXT_COLUMNS"]

# Columns a frame must have to be turned into texts (category and price may be null).
TEXT_COLUMNS: tuple[str, ...] = ("title", "description")


def listing_texts(frame: pl.DataFrame) -> list[str]:
    """``"<category> | <price> | <title> | <description>"`` per row, in frame order."""
    missing = [c for c in TEXT_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(
            f"the text stage needs columns {list(TEXT_COLUMNS)}; missing {missing}. "
            f"Got columns {frame.columns} instead."
        )
    category = pl.col("category").fill_null("") if "category" in frame.columns else pl.lit("")
    price = (
        pl.col("price").round(0).cast(pl.Int64, strict=False).cast(pl.String).fill_null("")
        if "price" in frame.columns
        else pl.lit("")
    )
    text = pl.concat_str(
        [category, price, pl.col("title").fill_null(""), pl.col("description").fill_null("")],
        separator=" | ",
    )
    return frame.select(text.alias("text"))["text"].to_list()
