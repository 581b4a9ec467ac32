"""Tabular features: price against the day's category median, seller history, text statistics.

Pure functions of a batch plus ``DayStats`` (figures computed once over the whole dump, so a
listing gets the same features whatever batch it lands in — local and Ray runs agree).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import polars as pl

__all__ = [
    "DayStats",
    "compute_day_stats",
    "add_tabular_features",
    "listing_fingerprint",
    "listing_fingerprints",
    "TABULAR_FEATURES",
]

# Columns this module adds, with their meaning (rules/fields.yaml declares them for rules).
TABULAR_FEATURES: dict[str, str] = {
    "category_median_price": "median positive price of the listing's category in this dump",
    "price_ratio": "price / category_median_price (null without a price)",
    "seller_age_days": "days between the seller's registration and the listing",
    "title_len": "characters in the title",
    "description_len": "characters in the description",
    "digit_share": "share of digits among the characters of title + description",
    "upper_share": "share of upper-case letters among the letters of title + description",
    "exclamation_count": "number of '!' in title + description",
    "earlier_copies": "earlier listings of the same seller with the same text (this dump or earlier days)",
}

_FINGERPRINT_COLUMNS = ("listing_id", "seller_id", "created_at", "title", "description")
_COPIES_SCHEMA = {"listing_id": pl.String, "earlier_copies": pl.Int64}


_FINGERPRINT_SEED = 20261101
# The description's start: its first 160 characters, of which the first 80 letters count.
_DESCRIPTION_CHARS, _DESCRIPTION_LETTERS = 160, 80
# What native.scan_texts needs to give the fingerprint letters in the same read of the texts.
FINGERPRINT_SCAN = (_DESCRIPTION_CHARS, _DESCRIPTION_LETTERS)


def _fingerprint_letters() -> pl.Expr:
    """What a fingerprint hashes besides the seller: the letters of the title, "|", the first
    letters of the description's start (lower case).

    Digits, punctuation, case and a changed tail do not change it, so a repost with small edits
    ("торг", a new price, one more line) keeps its fingerprint.
    """
    def letters(text: pl.Expr) -> pl.Expr:
        return text.str.to_lowercase().str.replace_all(r"[^\p{L}]+", "")

    # Slice before normalising: the start of the text is all we hash, and long texts are common.
    description_start = letters(pl.col("description").str.slice(0, _DESCRIPTION_CHARS)).str.slice(
        0, _DESCRIPTION_LETTERS
    )
    return pl.concat_str([letters(pl.col("title")), description_start], separator="|")


def listing_fingerprint() -> pl.Expr:
    """The fingerprint as a Polars expression: a hash of seller + ``_fingerprint_letters``; null
    when the seller, the title or the description is null (nothing to compare: never a copy).

    This is what ``listing_fingerprints`` gives without the native kernel; with it, the values
    are the kernel's (the same listings are equal, the numbers differ): compare fingerprints
    from ``listing_fingerprints`` only.
    """
    keyed = pl.concat_str([pl.col("seller_id"), _fingerprint_letters()], separator="|")
    return pl.when(keyed.is_not_null()).then(keyed.hash(seed=_FINGERPRINT_SEED)).alias("fingerprint")


def listing_fingerprints(listings: pl.DataFrame | pl.LazyFrame) -> pl.Series:
    """Each listing's fingerprint (UInt64, in order; null without seller, title or description).

    With the native kernel: its hash of ``_fingerprint_letters`` (one read of the texts, no
    letters written out) combined with the seller's hash; without: ``listing_fingerprint()``.
    Equal for listings with the same seller and letters, within one installation: earlier days'
    fingerprints (``compute_day_stats(previous_fingerprints=...)``) come from here too.
    """
    if isinstance(listings, pl.DataFrame):
        return _fingerprint_table(listings.lazy(), listings.height, listings)["fingerprint"]
    return _fingerprint_table(listings, None)["fingerprint"]


@dataclass(frozen=True)
class DayStats:
    """Per-dump reference figures. ``category_median_price`` maps category -> median price."""

    category_median_price: Mapping[str, float] = field(default_factory=dict)
    overall_median_price: float | None = None
    # listing_id -> how many copies of it came earlier; only listings with at least one.
    earlier_copies: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=_COPIES_SCHEMA))


def compute_day_stats(
    listings: pl.LazyFrame | pl.DataFrame, previous_fingerprints: pl.Series | None = None,
    scanned: pl.DataFrame | None = None,
) -> DayStats:
    """Median positive price per category (and overall) and earlier copies, over the whole dump.

    ``previous_fingerprints`` are the ``listing_fingerprints`` of earlier days' listings.
    ``scanned``: ``native.scan_texts(..., FINGERPRINT_SCAN)`` of an in-memory ``listings``, when
    the caller has it (its fingerprint letters save a second read of the texts).
    """
    lazy = listings.lazy() if isinstance(listings, pl.DataFrame) else listings
    columns = lazy.collect_schema().names()
    priced = lazy.select("category", "price").filter(pl.col("price") > 0)
    per_category = priced.group_by("category").agg(pl.col("price").median()).collect()
    overall = priced.select(pl.col("price").median()).collect().item()
    medians = {
        c: float(m)
        for c, m in zip(per_category["category"], per_category["price"], strict=True)
        if c is not None and m is not None
    }
    rows = listings.height if isinstance(listings, pl.DataFrame) else None
    in_memory = listings if isinstance(listings, pl.DataFrame) else None
    copies = (
        _earlier_copies(lazy, previous_fingerprints, rows, in_memory, scanned)
        if all(c in columns for c in _FINGERPRINT_COLUMNS)
        else pl.DataFrame(schema=_COPIES_SCHEMA)
    )
    return DayStats(category_median_price=medians, overall_median_price=overall, earlier_copies=copies)


# Rows per slice when fingerprints of an in-memory batch are computed on parallel threads.
_SLICE_ROWS = 100_000


def _fingerprints(lazy: pl.LazyFrame, rows: int | None) -> pl.DataFrame:
    """listing_id, created_at (as text) and fingerprint per listing, in input order, by Polars.

    Hashing is a few string passes per row, which Polars runs on one core: a batch of known
    size is cut into row slices that ``collect_all`` computes in parallel, one per core.
    """
    plan = lazy.select(
        pl.col("listing_id").cast(pl.String), pl.col("created_at").cast(pl.String), listing_fingerprint()
    )
    workers = min(pl.thread_pool_size(), (rows or 0) // _SLICE_ROWS)
    if workers <= 1:
        return plan.collect()
    bounds = [rows * i // workers for i in range(workers + 1)]
    parts = pl.collect_all([plan.slice(a, b - a) for a, b in zip(bounds[:-1], bounds[1:], strict=True)])
    return pl.concat(parts, rechunk=False)


def _native_fingerprints(listings: pl.DataFrame, scanned: pl.DataFrame | None = None) -> pl.DataFrame | None:
    """``_fingerprints`` of an in-memory batch by the native kernel (None without it).

    The kernel hashes the fingerprint letters (from ``scanned`` when it has them: the same read
    as the features); rows its tables do not cover get their letters from the expression, hashed
    by the kernel too. The seller's Polars hash is mixed in (xor: both are 64-bit hashes).
    """
    from moderation.features import native

    if scanned is not None and "__fp_hash" in scanned.columns:
        hashes, state = scanned["__fp_hash"], scanned["__fp_state"].to_numpy()
    else:
        found = native.fingerprint_hashes(listings["title"], listings["description"], *FINGERPRINT_SCAN)
        if found is None:
            return None
        hashes, state = pl.Series(found[0]), found[1]
    uncovered = np.flatnonzero(state == 2)
    if len(uncovered):
        letters = listings[uncovered].select(_fingerprint_letters()).to_series()
        hashes = hashes.scatter(uncovered, native.hash_texts(letters))
    hashes = hashes.scatter(np.flatnonzero(state == 0), None)
    seller = listings["seller_id"].cast(pl.String)  # as concat_str reads it: dumps of any format agree
    return pl.DataFrame({
        "listing_id": listings["listing_id"].cast(pl.String),
        "created_at": listings["created_at"],
        "fingerprint": pl.select(seller.hash(_FINGERPRINT_SEED) ^ hashes).to_series()
        .scatter(seller.is_null().arg_true(), None),
    })


# Rows read at a time when fingerprinting a lazy scan (a day of millions stays out of memory).
_SCAN_ROWS = 500_000


def _native_fingerprints_scan(lazy: pl.LazyFrame) -> pl.DataFrame | None:
    """``_native_fingerprints`` of a lazy scan, read in slices of ``_SCAN_ROWS`` rows."""
    from moderation.features import native

    if native.kernel() is None:
        return None
    columns = lazy.select(*_FINGERPRINT_COLUMNS)
    parts, offset = [], 0
    while True:
        part = columns.slice(offset, _SCAN_ROWS).collect()
        parts.append(_native_fingerprints(part))
        offset += part.height
        if part.height < _SCAN_ROWS:
            return pl.concat(parts, rechunk=False)


def _fingerprint_table(lazy: pl.LazyFrame, rows: int | None, listings: pl.DataFrame | None = None,
                       scanned: pl.DataFrame | None = None) -> pl.DataFrame:
    """listing_id, created_at, fingerprint: by the kernel when it is built, else by Polars."""
    found = _native_fingerprints(listings, scanned) if listings is not None else _native_fingerprints_scan(lazy)
    return _fingerprints(lazy, rows) if found is None else found


def _earlier_copies(lazy: pl.LazyFrame, previous: pl.Series | None, rows: int | None = None,
                    listings: pl.DataFrame | None = None, scanned: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per listing, the number of same-fingerprint listings before it (by time, then file order).

    ``created_at`` orders as itself or as its text (the lazy path of ``score_day`` reads it as
    text): ISO text sorts in time order, so both give the same order.
    """
    found = _fingerprint_table(lazy, rows, listings, scanned).filter(pl.col("fingerprint").is_not_null())
    # Only listings whose fingerprint occurs twice today, or on an earlier day, can have copies
    # before them: the ordering work runs on those few rows (their order among themselves is
    # their order in the dump).
    earlier_days = (
        pl.col("fingerprint").is_in(previous.cast(pl.UInt64).drop_nulls().implode())
        if previous is not None and previous.len()
        else pl.lit(False)
    )
    candidates = found.filter(pl.col("fingerprint").is_duplicated() | earlier_days)
    earlier_today = pl.int_range(pl.len(), dtype=pl.Int64).over("fingerprint")
    return (
        candidates.lazy()
        .with_row_index("_order")
        .sort("created_at", "_order", nulls_last=True)
        .select("listing_id", (earlier_today + earlier_days.cast(pl.Int64)).alias("earlier_copies"))
        .filter(pl.col("earlier_copies") > 0, pl.col("listing_id").is_not_null())
        .group_by("listing_id")
        .agg(pl.col("earlier_copies").max())
        .collect()
    )


# Text statistics of title + " " + description (the separating space is one more character,
# a non-letter, not a digit).
_TEXT_STATS = ("title_len", "description_len", "digit_share", "upper_share", "exclamation_count")


def _separator() -> pl.Expr:
    return (pl.col("title").is_not_null() & pl.col("description").is_not_null()).cast(pl.UInt32)


def _reference_text_stats(batch: pl.DataFrame) -> pl.DataFrame:
    """The text statistics by Polars expressions, counted on each part (no joined copy of every text)."""
    separator = _separator()

    def total(count) -> pl.Expr:
        return count(pl.col("title")).fill_null(0) + count(pl.col("description")).fill_null(0)

    chars = total(lambda t: t.str.len_chars()) + separator
    # Counted once into temporary columns: fill_nan repeats its input expression, and every
    # character is a letter or not, so letters = characters - non-letters (far fewer matches).
    counts = batch.select(
        __chars=chars,
        __digits=total(lambda t: t.str.count_matches(r"\d")),
        __upper=total(lambda t: t.str.count_matches(r"\p{Lu}")),
        __letters=chars - total(lambda t: t.str.count_matches(r"\P{L}")) - separator,
        __exclamations=total(lambda t: t.str.count_matches("!", literal=True)),
        title_len=pl.col("title").str.len_chars().cast(pl.Int64),
        description_len=pl.col("description").str.len_chars().cast(pl.Int64),
    )
    return _shares(counts)


def _shares(counts: pl.DataFrame) -> pl.DataFrame:
    return counts.select(
        "title_len",
        "description_len",
        digit_share=(pl.col("__digits") / pl.col("__chars")).fill_nan(None),
        upper_share=(pl.col("__upper") / pl.col("__letters")).fill_nan(None),
        exclamation_count=pl.col("__exclamations").cast(pl.Int64),
    )


def _text_stats(batch: pl.DataFrame, scanned: pl.DataFrame | None) -> pl.DataFrame:
    """_TEXT_STATS per row: from the native kernel's counts where it has them, else the reference."""
    from moderation.features import native

    if scanned is None:
        scanned = native.scan_texts(batch["title"], batch["description"])
    if scanned is None:
        return _reference_text_stats(batch)
    counts = pl.concat([batch.select("title", "description"), scanned], how="horizontal").select(
        __chars=pl.col("__title_chars") + pl.col("__description_chars") + _separator(),
        __digits="__digits",
        __upper="__upper",
        __letters="__letters",
        __exclamations="__exclamations",
        title_len=pl.when(pl.col("title").is_not_null()).then(pl.col("__title_chars").cast(pl.Int64)),
        description_len=pl.when(pl.col("description").is_not_null())
        .then(pl.col("__description_chars").cast(pl.Int64)),
    )
    stats = _shares(counts)
    fallback = scanned.select((pl.col("__flags") & native.F_FALLBACK) != 0).to_series().arg_true()
    if fallback.len():  # characters the kernel's tables do not cover: the reference counts
        exact = _reference_text_stats(batch[fallback])
        stats = stats.with_columns(stats[c.name].scatter(fallback, c) for c in exact.get_columns())
    return stats


def add_tabular_features(batch: pl.DataFrame, stats: DayStats, scanned: pl.DataFrame | None = None) -> pl.DataFrame:
    """Add the TABULAR_FEATURES columns; row order and existing columns are kept.

    ``scanned``: ``native.scan_texts`` of the batch, when the caller has it (``add_features``).
    """
    medians = pl.DataFrame(
        {
            "category": list(stats.category_median_price),
            "category_median_price": list(stats.category_median_price.values()),
        },
        schema={"category": pl.String, "category_median_price": pl.Float64},
    )
    with_median = batch.join(medians, on="category", how="left", maintain_order="left").join(
        stats.earlier_copies, on="listing_id", how="left", maintain_order="left"
    )
    return with_median.with_columns(
        # A dump without any positive price (a text-only extract) has no overall median either.
        pl.col("category_median_price").fill_null(pl.lit(stats.overall_median_price, dtype=pl.Float64)),
        pl.col("earlier_copies").fill_null(0),
    ).with_columns(
        price_ratio=pl.col("price") / pl.col("category_median_price"),
        seller_age_days=(pl.col("created_at") - pl.col("seller_registered_at")).dt.total_seconds()
        / 86_400.0,
    ).with_columns(_text_stats(batch, scanned).get_columns())
