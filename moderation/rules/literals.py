"""Which needle calls have a literal in each row: one native Aho-Corasick pass (``_literals.c``).

``call_masks(column, calls)`` returns per row a bit mask of the calls (bit ``i % per_word`` of
word ``i // per_word`` for call ``i``) having at least one of their literals in the row — the
same as ``any(lit in text for lit in call)`` per call, overlapping literals included — and the
NULL rows. evaluate() uses it instead of a regex pass plus ``str.extract_many``. Without the
compiled extension it returns None (a warning, once) and evaluate() keeps its Polars path.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import ModuleType

import numpy as np
import polars as pl

from moderation import aho_corasick
from moderation.features.native import _spec, in_slices

__all__ = ["Automaton", "TooManyLiterals", "automaton", "call_masks", "kernel"]

log = logging.getLogger(__name__)

_lock = threading.Lock()
_kernel: ModuleType | None = None
_tried = False


def kernel() -> ModuleType | None:
    """The compiled ``_literals`` module, or None when it is not built (warned once)."""
    global _kernel, _tried
    with _lock:
        if not _tried:
            _tried = True
            try:
                from moderation.rules import _literals
            except ImportError:
                log.warning("the native literal search is not built (pip install -e . builds it); "
                            "rule phrase searches use the slower Polars path")
            else:
                _kernel = _literals
    return _kernel


class TooManyLiterals(ValueError):
    """The automaton's table would not fit the kernel's 32-bit state offsets."""


@dataclass(frozen=True)
class Automaton:
    """A byte-level Aho-Corasick DFA as the C kernel reads it.

    ``next[offset + classes[byte]]`` is the offset (state * n_classes) of the next state; states
    from ``accept_start`` on (an offset) accept, ``accept[(offset - accept_start) // n_classes]``
    being the masks of every literal ending there, suffix links included. ``base``: the masks
    of calls owning an empty literal (true on every non-NULL row)."""

    classes: np.ndarray  # uint8[256]
    next: np.ndarray  # int32[states * n_classes]
    n_classes: int
    accept: np.ndarray  # uint64[accepting, words]
    accept_start: int
    base: np.ndarray  # uint64[words]

    @property
    def words(self) -> int:
        return len(self.base)


def _owner_bits(calls: tuple[tuple[str, ...], ...], per_word: int) -> dict[bytes, int]:
    """UTF-8 literal -> the calls owning it, as one int (bit word * 64 + bit)."""
    owners: dict[bytes, int] = {}
    for i, literals in enumerate(calls):
        bit = 1 << (i // per_word * 64 + i % per_word)
        for lit in literals:
            key = lit.encode()
            owners[key] = owners.get(key, 0) | bit
    return owners


def _byte_classes(literals: Iterable[bytes]) -> np.ndarray:
    """Class per byte: one per byte occurring in a literal (1...), 0 for all the others."""
    used = sorted({b for lit in literals for b in lit})
    classes = np.zeros(256, dtype=np.uint8)
    classes[used] = np.arange(1, len(used) + 1)
    return classes


def _words(bits: int, words: int) -> list[int]:
    return [bits >> (64 * k) & 0xFFFF_FFFF_FFFF_FFFF for k in range(words)]


@functools.lru_cache(maxsize=64)
def automaton(calls: tuple[tuple[str, ...], ...], per_word: int = 64) -> Automaton:
    """The DFA finding the literals of ``calls`` (call i: bit i % per_word of word i // per_word)."""
    if not 1 <= per_word <= 64:
        raise ValueError("per_word must be within 1..64")
    words = -(-len(calls) // per_word)
    owners = _owner_bits(calls, per_word)
    base = owners.pop(b"", 0)
    classes = _byte_classes(owners)
    n_classes = int(classes.max()) + 1
    goto, out = aho_corasick.trie(([int(classes[byte]) for byte in lit], bits) for lit, bits in owners.items())
    if len(goto) * n_classes > np.iinfo(np.int32).max:
        raise TooManyLiterals(f"{len(goto)} states x {n_classes} byte classes: too many for the native automaton")
    table = aho_corasick.transitions(goto, out, n_classes)
    # Accepting states last (the root stays state 0): one comparison per byte tells them apart.
    order = sorted(range(len(goto)), key=lambda s: (out[s] != 0, s))
    renumber = np.empty(len(goto), dtype=np.int64)
    renumber[order] = np.arange(len(goto))
    accepting = [s for s in order if out[s]]
    next_ = (renumber[table[order]] * n_classes).astype(np.int32).reshape(-1)
    accept = np.array([_words(out[s], words) for s in accepting], dtype=np.uint64).reshape(len(accepting), words)
    return Automaton(classes, next_, n_classes, accept, (len(goto) - len(accepting)) * n_classes,
                     np.array(_words(base, words), dtype=np.uint64))


def call_masks(column: pl.Series, calls: Sequence[Iterable[str]], per_word: int = 64
               ) -> tuple[np.ndarray, np.ndarray] | None:
    """Per row, the calls with a literal occurring in ``column``: (uint64[n, words], NULL rows).

    Rows are scanned in slices on parallel threads (the kernel releases the GIL). None when the
    extension is not built; TooManyLiterals when the automaton would be too large."""
    module = kernel()
    if module is None:
        return None
    dfa = automaton(tuple(tuple(sorted(set(c))) for c in calls), per_word)
    column = column.cast(pl.String)  # an all-NULL column may be of type Null
    n = len(column)
    masks = np.zeros((n, dfa.words), dtype=np.uint64)
    nulls = np.zeros(n, dtype=np.uint8)

    def work(a: int, length: int) -> None:
        spec, array = _spec(column.slice(a, length))
        module.masks(spec, length, dfa.classes, dfa.next, dfa.n_classes, dfa.accept, dfa.accept_start,
                     dfa.base, masks[a : a + length], nulls[a : a + length])
        del array  # its buffers were read in place until here

    if n:
        in_slices(n, work)
    return masks, nulls.view(bool)
