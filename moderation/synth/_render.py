"""Vectorised text building: pick strings by index arrays and fill ``{slot}`` templates.

Nothing here loops over rows. A template is compiled once into a ``concat_str`` of literals and
slot columns; each row names the template it uses, and every template renders only its own rows
(so the cost is one concatenation per row, not one per template).
"""

from __future__ import annotations

import string
from collections.abc import Sequence

import numpy as np
import polars as pl

__all__ = ["pick", "choose", "fields_of", "render", "join", "thousands", "ints"]

_FORMATTER = string.Formatter()


def pick(values: Sequence[str], idx: np.ndarray) -> pl.Series:
    """``values[idx]`` as a String series (a gather, not a loop)."""
    return pl.Series(values=list(values), dtype=pl.String).gather(np.asarray(idx, dtype=np.int64))


def choose(rng: np.random.Generator, values: Sequence[str], n: int, p=None) -> pl.Series:
    """``n`` independent picks from ``values`` (optionally weighted)."""
    if p is None:
        idx = rng.integers(0, len(values), n)
    else:
        w = np.asarray(p, dtype=float)
        idx = rng.choice(len(values), size=n, p=w / w.sum())
    return pick(values, idx)


def ints(values: np.ndarray) -> pl.Series:
    """Integers as decimal strings."""
    return pl.Series(values=np.asarray(values, dtype=np.int64)).cast(pl.String)


def thousands(values: np.ndarray) -> pl.Series:
    """Integers written the Russian way, groups of three separated by a space: ``95 000``."""
    v = np.asarray(values, dtype=np.int64)
    frame = pl.DataFrame({"m": v // 1_000_000, "t": (v // 1000) % 1000, "u": v % 1000})
    t3 = pl.col("t").cast(pl.String).str.zfill(3)
    u3 = pl.col("u").cast(pl.String).str.zfill(3)
    expr = (
        pl.when(pl.col("m") > 0)
        .then(pl.concat_str([pl.col("m").cast(pl.String), t3, u3], separator=" "))
        .when(pl.col("t") > 0)
        .then(pl.concat_str([pl.col("t").cast(pl.String), u3], separator=" "))
        .otherwise(pl.col("u").cast(pl.String))
    )
    return frame.select(expr.alias("s")).to_series()


def fields_of(template: str) -> list[str]:
    """The slot names a template uses, in order."""
    return [f for _, f, _, _ in _FORMATTER.parse(template) if f]


def _compile(template: str) -> pl.Expr:
    parts: list[pl.Expr] = []
    for literal, field, _, _ in _FORMATTER.parse(template):
        if literal:
            parts.append(pl.lit(literal))
        if field:
            parts.append(pl.col(field))
    if not parts:
        return pl.lit("")
    return pl.concat_str(parts, ignore_nulls=True)


def render(slots: pl.DataFrame, templates: Sequence[str], which: np.ndarray) -> pl.Series:
    """Row ``i`` gets ``templates[which[i]]`` filled from row ``i`` of ``slots``; null if ``which[i] < 0``.

    Raises ``KeyError`` naming the template when a slot is missing: a catalogue bug, not input.
    """
    n = slots.height
    which = np.asarray(which)
    if n == 0:
        return pl.Series(values=[], dtype=pl.String)
    pieces: list[pl.Series] = []
    order: list[np.ndarray] = []
    for t, template in enumerate(templates):
        idx = np.flatnonzero(which == t)
        if idx.size == 0:
            continue
        needed = list(dict.fromkeys(fields_of(template)))
        missing = [f for f in needed if f not in slots.columns]
        if missing:
            raise KeyError(f"template {template!r} uses unknown slot(s) {missing}")
        if needed:
            sub = slots.select(needed)[idx]
            pieces.append(sub.select(_compile(template).alias("s")).to_series())
        else:  # a pure literal: a select would broadcast it to one row, not idx.size rows
            pieces.append(pick([template], np.zeros(idx.size, dtype=np.int64)))
        order.append(idx)
    absent = np.flatnonzero(which < 0)
    if absent.size:
        pieces.append(pl.Series(values=[None], dtype=pl.String).gather(np.zeros(absent.size, np.int64)))
        order.append(absent)
    rows = np.concatenate(order)
    if rows.size == n and (rows[1:] > rows[:-1]).all():
        return pl.concat(pieces)  # one template or already in row order: no gather needed
    inverse = np.empty(n, dtype=np.int64)
    inverse[rows] = np.arange(n)
    return pl.concat(pieces).gather(inverse)


def join(parts: Sequence[pl.Series], sep: str = " ") -> pl.Series:
    """Concatenate series row-wise, skipping nulls (so absent parts leave no double spaces)."""
    frame = pl.DataFrame({f"p{i}": p for i, p in enumerate(parts)})
    return frame.select(
        pl.concat_str([pl.col(c) for c in frame.columns], separator=sep, ignore_nulls=True)
    ).to_series()
