"""The native text kernel (``_textscan.c``): its tables, Arrow buffers in and out, row slices.

``scan_texts`` reads each listing's title and description once and returns the tokenised text,
the character statistics and prefilter flags (see the ``F_*`` bits) that the Polars code in
``text.py`` and ``tabular.py`` would otherwise compute in a dozen passes. Rows holding a
character the kernel's tables do not cover are flagged ``F_FALLBACK``; callers compute those
rows with the Polars reference, so results never depend on which path ran.

Without a compiled kernel (an install that skipped the build), ``kernel()`` is None and the
features fall back to the Polars reference everywhere — slower, the same values.
"""

from __future__ import annotations

import logging
import mmap
import re
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType

import numpy as np
import polars as pl
import pyarrow as pa

from moderation import aho_corasick

__all__ = [
    "F_NULL", "F_FALLBACK", "F_NUMBER_WORD", "F_DIGIT_GAP", "F_RUN10", "F_RUN67", "F_SPREAD9",
    "F_EMAIL_HINT", "F_LINK_HINT", "F_HANDLE_HINT", "F_REQUISITE_HINT", "F_CALL_HINT", "F_MESSENGER_HINT", "F_GLUED2", "F_AT", "F_LATIN4", "F_PHONE_DECIDED", "F_ONE_PHONE",
    "SCAN_COLUMNS", "kernel", "scan_texts", "fingerprint_hashes", "hash_texts", "lower_texts", "phone_at", "in_slices",
]  # fmt: skip

log = logging.getLogger(__name__)

# Row flags, as _textscan.c sets them.
F_NULL = 1  # title and description both null
F_FALLBACK = 2  # a character outside the tables: compute the row with the Polars reference
F_NUMBER_WORD = 4  # a token is a spelled-out number ("девятьсот")
F_DIGIT_GAP = 8  # the tokens hold "\d ?[оз] ?\d" or "\d \d"
F_RUN10 = 16  # a run of 10+ digits in the tokens
F_RUN67 = 32  # a run of exactly 6 or 7 digits
F_SPREAD9 = 64  # a '9' followed later by 9 more digits
# Needle sets (bit 7 on): three on the lower-cased raw text, then three on " " + tokens + " " (as
# written, before number words and letters between digits become digits: a superset of the
# needles in text_norm, which is all a prefilter needs).
F_EMAIL_HINT = 1 << 7  # a literal _EMAIL_RE cannot match without
F_LINK_HINT = 1 << 8  # ... _LINK_RE
F_HANDLE_HINT = 1 << 9  # ... _HANDLE_RE
F_REQUISITE_HINT = 1 << 10
F_CALL_HINT = 1 << 11
F_MESSENGER_HINT = 1 << 12
F_GLUED2 = 1 << 13  # a Cyrillic letter touches a digit in two places or more (raw text)
F_AT = 1 << 14  # an '@'
F_LATIN4 = 1 << 15  # a Latin identifier, [a-z_] then three or more of [a-z0-9_] (any case)
F_PHONE_DECIDED = 1 << 16  # a F_SPREAD9 row without requisite words: F_ONE_PHONE is the answer
F_ONE_PHONE = 1 << 17  # the digits of text_norm, measures aside, are one phone: [78]9 + 9 digits

# Columns of a scan, per row.
SCAN_COLUMNS = ("__tok", "__title_chars", "__description_chars", "__letters", "__upper", "__digits",
                "__exclamations", "__norm_digits", "__flags")  # fmt: skip
_COUNTS = SCAN_COLUMNS[1:8]

_C_LETTER, _C_UPPER, _C_DIGIT, _C_UNKNOWN = 1, 2, 4, 8
_TABLE_SIZE = 0x20000
_MAP_SIZE = 0x800
_FP_UNKNOWN = 0xFFFFFFFF

_lock = threading.Lock()
_kernel: ModuleType | None = None
_tried = False


def _class_table() -> np.ndarray:
    """Letter / upper-case / digit bits per code point of planes 0-1, as Rust's regex sees them.

    Unassigned code points (in this Python's Unicode version) are 'unknown': a newer Unicode
    may have assigned them, so rows holding one go to the Polars reference.
    """
    table = np.zeros(_TABLE_SIZE, dtype=np.uint8)
    for cp in range(_TABLE_SIZE):
        category = unicodedata.category(chr(cp))
        if category in ("Cn", "Cs"):
            table[cp] = _C_UNKNOWN
        elif category[0] == "L":
            table[cp] = _C_LETTER | (_C_UPPER if category == "Lu" else 0)
        elif category == "Nd":
            table[cp] = _C_DIGIT
    return table


def _lower_table() -> np.ndarray:
    """Unicode lower case per BMP code point (0: unchanged; unknown where it is not one-to-one)."""
    table = np.zeros(0x10000, dtype=np.uint32)
    for cp in range(0x10000):
        ch = chr(cp)
        if unicodedata.category(ch) in ("Cn", "Cs") or ch == "Σ":  # Σ: final-sigma rule in context
            table[cp] = _FP_UNKNOWN
            continue
        low = ch.lower()
        if len(low) != 1:
            table[cp] = _FP_UNKNOWN
        elif low != ch:
            table[cp] = ord(low)
    return table


def _char_map(mapping: dict[str, str]) -> np.ndarray:
    table = np.zeros(_MAP_SIZE, dtype=np.uint16)
    for key, value in mapping.items():
        if len(key) != 1 or len(value) != 1 or ord(key) >= _MAP_SIZE or ord(value) >= _MAP_SIZE:
            raise ValueError(f"character map entry {key!r} -> {value!r} does not fit the kernel's table")
        table[ord(key)] = ord(value)
    return table


_ALPHABET = 128  # symbols per automaton (_textscan.c ALPHABET); symbol 0: any other character
_STATE_BITS = 10  # _textscan.c STATE_BITS: a transition entry is the state, then the accept bits


def _automaton(needle_sets: list[list[str]], char_map: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Aho-Corasick over the characters of the needles, as a full transition table.

    Returns (next, symbols): next[state * 128 + symbol] holds the next state in its low 10 bits
    and, above, the bits k of the needle sets with a needle ending there (or at a suffix);
    symbols[c] is the symbol of code point c (< U+0800) once ``char_map`` has mapped it.
    """
    chars = sorted({ch for needles in needle_sets for needle in needles for ch in needle} | {" "})
    if len(chars) >= _ALPHABET or any(ord(ch) >= _MAP_SIZE for ch in chars):
        raise ValueError("needles must use fewer than 128 characters, all below U+0800")
    symbol = {ch: i + 1 for i, ch in enumerate(chars)}
    goto, accept = aho_corasick.trie(
        ([symbol[ch] for ch in needle], 1 << k) for k, needles in enumerate(needle_sets) for needle in needles
    )
    if len(goto) > 1 << _STATE_BITS or len(needle_sets) > 16 - _STATE_BITS:
        raise ValueError("needle sets too large for the kernel's automaton")
    table = aho_corasick.transitions(goto, accept, _ALPHABET)
    entries = table | (np.array(accept, dtype=np.int64)[table] << _STATE_BITS)
    symbols = np.array([symbol.get(char_map.get(chr(c), chr(c)), 0) for c in range(_MAP_SIZE)], dtype=np.uint8)
    return entries.astype(np.uint16).reshape(-1), symbols


# Contact hints on the lower-cased text that hold a letter а-я are looked for in the tokens
# instead, in their token form ("собака", ".рф" -> "рф"): every text holding the hint has tokens
# holding that form, so the flag still covers every row the regex can match, and runs of plain
# letters (most of any text) need not step the raw automaton (_textscan.c plain_run).
_PLAIN = re.compile("[а-я]")


def _latin(hints: list[str]) -> list[str]:
    return [h for h in hints if not _PLAIN.search(h)]


def _cyrillic(hints: list[str], T: ModuleType) -> list[str]:
    forms = {re.sub(r"[\W_]+", " ", h.translate(str.maketrans(T._LOWER_FOLD))).strip() for h in hints if _PLAIN.search(h)}
    return sorted(f for f in forms if f)


def _number_words(T: ModuleType) -> list[tuple[bytes, bytes]]:
    """(word, what the kernel writes for it): _NUMBER_WORDS with its markers as bytes 1 and 2."""
    marks = {T._H: "\x01", T._T: "\x02"}
    return [
        (word.strip().encode(), "".join(marks.get(ch, ch) for ch in digits.strip()).encode())
        for word, digits in T._NUMBER_WORDS.items()
    ]


def _load() -> ModuleType | None:
    try:
        from moderation.features import _textscan
    except ImportError:
        log.warning("the native text kernel is not built (pip install -e . builds it); "
                    "text features use the slower Polars path")
        return None
    from moderation.features import text as T

    _textscan.init(
        _class_table(),
        _char_map(T._LOWER_FOLD),
        _lower_table(),
        _number_words(T),
        [u.encode() for u in T._MEASURE_UNITS],
        [u.encode() for u in T._MEASURE_PREFIXES],
        *_automaton([_latin(T._EMAIL_HINTS), _latin(T._LINK_HINTS), _latin(T._HANDLE_HINTS)], T._LOWER),
        *_automaton([T._REQUISITE_HINTS, T._CALL_HINTS, T._MESSENGER_HINTS,
                     _cyrillic(T._EMAIL_HINTS, T), _cyrillic(T._LINK_HINTS, T), _cyrillic(T._HANDLE_HINTS, T)],
                    T._LOWER_FOLD),
    )
    return _textscan


def kernel() -> ModuleType | None:
    """The initialised kernel module, or None when it is not built."""
    global _kernel, _tried
    with _lock:
        if not _tried:
            _kernel = _load()
            _tried = True
    return _kernel


def _spec(series: pl.Series) -> tuple[tuple, pa.Array]:
    """(views, data buffers, validity, offset) of a string column, read in place; and the array."""
    array = series.to_arrow(compat_level=pl.CompatLevel.newest())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if array.type != pa.string_view():
        array = array.cast(pa.string_view())
    buffers = array.buffers()
    return (buffers[1], tuple(buffers[2:]), buffers[0], array.offset), array


def _text_buffer(nbytes: int) -> np.ndarray:
    """An uninitialised byte array for the kernel to write text into, in plain 4 KiB pages.

    numpy asks the OS for transparent huge pages for large arrays. Where THP defrag is
    "madvise" (as on our CI machines), every first write to such a 2 MiB page compacts memory
    synchronously: 0.3 s of system time per 300 000 rows' text, against 0.1 s for plain pages,
    which are also only faulted in where written (the buffers are sized for the worst case).
    Private, not mmap's default shared mapping: shared anonymous memory is backed by shmem,
    whose page faults cost a third more (0.10 against 0.07 s of system time per 150 MiB).
    The array keeps the mapping alive, and the Arrow strings made from it keep the array.
    """
    mapping = mmap.mmap(-1, max(nbytes, 1), flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    return np.frombuffer(mapping, dtype=np.uint8)


def _strings(offsets: np.ndarray, data: np.ndarray, used: int, valid: np.ndarray) -> pl.Series:
    n = len(valid)
    bitmap = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    array = pa.LargeStringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(data[:used]), bitmap, null_count=int(n - valid.sum()))
    return pl.from_arrow(array)


def _scan_slice(title: pl.Series, description: pl.Series, fingerprint: tuple[int, int] | None) -> pl.DataFrame:
    module = kernel()
    n = len(title)
    title_spec, title_array = _spec(title)
    description_spec, description_array = _spec(description)
    raw_bytes = int(title.str.len_bytes().sum() or 0) + int(description.str.len_bytes().sum() or 0)
    offsets = np.empty(n + 1, dtype=np.int64)
    tok = _text_buffer(2 * raw_bytes + n + 8)
    counts = [np.empty(n, dtype=np.int32) for _ in _COUNTS]
    flags = np.empty(n, dtype=np.uint32)
    fp = () if fingerprint is None else (np.empty(n, dtype=np.uint64), np.empty(n, dtype=np.uint8), *fingerprint)
    used = module.scan(title_spec, description_spec, n, offsets, tok, *counts, flags, *fp)
    del title_array, description_array  # the buffers were read in place until here
    valid = (flags & (F_NULL | F_FALLBACK)) == 0
    columns = [
        _strings(offsets, tok, used, valid).alias("__tok"),
        *[pl.Series(name, values) for name, values in zip(_COUNTS, counts, strict=True)],
        pl.Series("__flags", flags),
    ]
    if fp:
        columns += [pl.Series("__fp_hash", fp[0]), pl.Series("__fp_state", fp[1])]
    return pl.DataFrame(columns)


# Rows per slice when a batch is split across threads (the kernel releases the GIL).
SLICE_ROWS = 100_000


def in_slices(height: int, work) -> list:
    """``work(offset, length)`` over row slices of ``height`` rows, one per Polars thread."""
    workers = max(1, min(pl.thread_pool_size(), height // SLICE_ROWS))
    if workers == 1:
        return [work(0, height)]
    bounds = [height * i // workers for i in range(workers + 1)]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda ab: work(ab[0], ab[1] - ab[0]), zip(bounds[:-1], bounds[1:], strict=True)))


def scan_texts(title: pl.Series, description: pl.Series,
               fingerprint: tuple[int, int] | None = None) -> pl.DataFrame | None:
    """SCAN_COLUMNS for each row of title / description (None without the kernel).

    ``__tok`` is the row's text_norm (spelled-out numbers, letters standing for digits and digit
    gaps undone), ``__norm_digits`` its digits, ``__flags`` what the regexes may find there. It
    is null on F_NULL and F_FALLBACK rows; the counts of F_FALLBACK rows are 0.

    With ``fingerprint`` = (description characters, description letters), the same read also
    gives what ``fingerprint_hashes`` would: ``__fp_hash`` and ``__fp_state``.
    """
    if kernel() is None:
        return None
    title, description = title.cast(pl.String), description.cast(pl.String)  # an all-null column may be Null
    parts = in_slices(len(title), lambda a, n: _scan_slice(title.slice(a, n), description.slice(a, n), fingerprint))
    return parts[0] if len(parts) == 1 else pl.concat(parts, rechunk=False)


def fingerprint_hashes(title: pl.Series, description: pl.Series, description_chars: int,
                       description_letters: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Per row the kernel's hash of "letters(lower(title))|letters(lower(description[:chars]))[:letters]"
    (uint64), and 0 / 1 / 2: a null input / hashed / needs the reference (its hash is then 0).
    None without the kernel."""
    module = kernel()
    if module is None:
        return None
    title, description = title.cast(pl.String), description.cast(pl.String)
    hashes, state = np.empty(len(title), dtype=np.uint64), np.empty(len(title), dtype=np.uint8)

    def work(a: int, n: int) -> None:
        title_spec, title_array = _spec(title.slice(a, n))
        description_spec, description_array = _spec(description.slice(a, n))
        module.fingerprint_hash(title_spec, description_spec, n, hashes[a : a + n], state[a : a + n],
                                description_chars, description_letters)
        del title_array, description_array

    in_slices(len(title), work)
    return hashes, state


def hash_texts(texts: pl.Series) -> pl.Series | None:
    """The kernel's fingerprint hash of each string (null stays null); None without the kernel."""
    module = kernel()
    if module is None:
        return None
    spec, array = _spec(texts.cast(pl.String))
    hashes, valid = np.empty(len(texts), dtype=np.uint64), np.empty(len(texts), dtype=np.uint8)
    module.hash_texts(spec, len(texts), hashes, valid)
    del array
    return pl.Series(texts.name, hashes).scatter(np.flatnonzero(valid == 0), None)


def lower_texts(title: pl.Series, description: pl.Series, rows: pl.Series) -> pl.Series | None:
    """title + " " + description of the given rows (nulls left out), lower-cased as text.py's
    ``_LOWER`` has it: ``_raw_text().str.replace_many(_LOWER)`` of those rows, in one pass.
    None without the kernel."""
    module = kernel()
    if module is None:
        return None
    title, description = title.cast(pl.String), description.cast(pl.String)
    title_spec, title_array = _spec(title)
    description_spec, description_array = _spec(description)
    at = rows.cast(pl.Int64).to_numpy()
    outside = at[(at < 0) | (at >= len(title))]
    if len(outside):
        raise IndexError(f"row {outside[0]} is outside the {len(title)} rows")
    need = int(title.str.len_bytes().gather(rows).sum() or 0) + int(description.str.len_bytes().gather(rows).sum() or 0)
    offsets = np.empty(len(at) + 1, dtype=np.int64)
    data = _text_buffer(need + len(at) + 8)
    valid = np.empty(len(at), dtype=np.uint8)
    used = module.lower_text(title_spec, description_spec, np.ascontiguousarray(at), offsets, data, valid)
    del title_array, description_array
    return _strings(offsets, data, used, valid.astype(bool))


def phone_at(texts: pl.Series, rows: pl.Series) -> np.ndarray | None:
    """Per given row of ``texts``: the character offset of the last ten digits of the phone
    ``text._PHONE_RE`` finds there (its group 1), -1 where it finds none (or the text is null),
    -2 where a digit of another script leaves the answer to the regex. None without the kernel."""
    module = kernel()
    if module is None:
        return None
    spec, array = _spec(texts.cast(pl.String))
    at = np.ascontiguousarray(rows.cast(pl.Int64).to_numpy())
    out = np.empty(len(at), dtype=np.int32)
    module.phone_at(spec, at, out)
    del array
    return out
