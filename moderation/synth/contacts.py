"""Phone numbers and e-mails written the ways people dodge a contact filter.

Input is a String series of 10-digit numbers after +7 (``9051234567``); every function returns a
String series of the same length. Russian number words are built once from a small grammar.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from moderation.synth._render import pick

__all__ = ["phone_plain", "phone_words", "phone_groups", "phone_mixed", "phone_look", "email_obf",
           "number_words"]

_ONES = ["ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять"]
_TEENS = ["десять", "одиннадцать", "двенадцать", "тринадцать", "четырнадцать", "пятнадцать",
          "шестнадцать", "семнадцать", "восемнадцать", "девятнадцать"]
_TENS = ["", "", "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят",
         "восемьдесят", "девяносто"]
_HUNDREDS = ["", "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот",
             "восемьсот", "девятьсот"]


def number_words(n: int) -> str:
    """0..999 in Russian words (``905`` -> ``девятьсот пять``)."""
    if n == 0:
        return _ONES[0]
    words = []
    h, rest = divmod(n, 100)
    if h:
        words.append(_HUNDREDS[h])
    if 10 <= rest < 20:
        words.append(_TEENS[rest - 10])
    else:
        t, o = divmod(rest, 10)
        if t:
            words.append(_TENS[t])
        if o:
            words.append(_ONES[o])
    return " ".join(words)


def _group_words(width: int) -> dict[str, str]:
    """How people read a group of digits aloud: a leading zero is said separately."""
    table = {}
    for n in range(10**width):
        key = str(n).zfill(width)
        stripped = key.lstrip("0")
        zeros = len(key) - len(stripped)
        table[key] = " ".join([_ONES[0]] * zeros + ([number_words(int(stripped))] if stripped else []))
    return table


_GROUP3 = _group_words(3)
_GROUP2 = _group_words(2)
_DIGITS = {str(i): w for i, w in enumerate(_ONES)}
_MIXED = {"0": "о", "1": "l", "3": "З", "4": "Ч", "6": "б", "8": "В"}
_LOOK = {"0": "O", "3": "З", "1": "I", "5": "S"}  # Latin O/I/S, Cyrillic З


def _frame(p10: pl.Series) -> pl.DataFrame:
    return pl.DataFrame({"p": p10}).with_columns(
        a=pl.col("p").str.slice(0, 3), b=pl.col("p").str.slice(3, 3),
        c=pl.col("p").str.slice(6, 2), d=pl.col("p").str.slice(8, 2),
    )


def phone_plain(p10: pl.Series, rng: np.random.Generator) -> pl.Series:
    """The usual ways to write a number: ``8 (905) 123-45-67``, ``+7 905 123 45 67``, ``89051234567``."""
    f = _frame(p10)
    forms = [
        pl.concat_str([pl.lit("8 ("), "a", pl.lit(") "), "b", pl.lit("-"), "c", pl.lit("-"), "d"]),
        pl.concat_str([pl.lit("+7 "), "a", pl.lit(" "), "b", pl.lit(" "), "c", pl.lit(" "), "d"]),
        pl.concat_str([pl.lit("8"), "p"]),
        pl.concat_str([pl.lit("8-"), "a", pl.lit("-"), "b", pl.lit("-"), "c", pl.lit("-"), "d"]),
        pl.concat_str([pl.lit("+7"), "p"]),
    ]
    which = pl.Series(values=rng.integers(0, len(forms), p10.len()))
    expr = pl.when(which == 0).then(forms[0])
    for i in range(1, len(forms)):
        expr = expr.when(which == i).then(forms[i])
    return f.select(expr.otherwise(forms[-1]).alias("s")).to_series()


def phone_words(p10: pl.Series) -> pl.Series:
    """Digit by digit in words: ``восемь девять ноль пять ...``."""
    f = pl.DataFrame({"p": p10})
    digits = [pl.col("p").str.slice(i, 1).replace_strict(_DIGITS) for i in range(10)]
    return f.select(pl.concat_str([pl.lit("восемь"), *digits], separator=" ").alias("s")).to_series()


def phone_groups(p10: pl.Series) -> pl.Series:
    """As read aloud in groups: ``восемь девятьсот пять сто двадцать три сорок пять шестьдесят семь``."""
    f = _frame(p10)
    parts = [pl.lit("восемь"), pl.col("a").replace_strict(_GROUP3), pl.col("b").replace_strict(_GROUP3),
             pl.col("c").replace_strict(_GROUP2), pl.col("d").replace_strict(_GROUP2)]
    return f.select(pl.concat_str(parts, separator=" ").alias("s")).to_series()


def _swap_digits(p10: pl.Series, mapping: dict[str, str], share: float,
                 rng: np.random.Generator) -> list[pl.Expr]:
    n = p10.len()
    out = []
    for i in range(10):
        d = pl.col("p").str.slice(i, 1)
        mask = pl.lit(pl.Series(values=rng.random(n) < share))
        out.append(pl.when(mask).then(d.replace(mapping)).otherwise(d))
    return out


def phone_mixed(p10: pl.Series, rng: np.random.Generator) -> pl.Series:
    """Digits interleaved with look-alike letters: ``8-9о5-12З-45-67``."""
    f = pl.DataFrame({"p": p10})
    d = _swap_digits(p10, _MIXED, 0.6, rng)
    sep = pick(["-", " ", ".", ""], rng.integers(0, 4, p10.len()))
    f = f.with_columns(sep=sep)
    s = pl.col("sep")
    parts = [pl.lit("8"), s, d[0], d[1], d[2], s, d[3], d[4], d[5], s, d[6], d[7], s, d[8], d[9]]
    return f.select(pl.concat_str(parts).alias("s")).to_series()


def phone_look(p10: pl.Series, rng: np.random.Generator) -> pl.Series:
    """Latin/Cyrillic look-alikes in place of digits: ``+7 9O5 12З 45 67``."""
    f = pl.DataFrame({"p": p10})
    d = _swap_digits(p10, _LOOK, 0.7, rng)
    parts = [pl.lit("+7 "), d[0], d[1], d[2], pl.lit(" "), d[3], d[4], d[5], pl.lit(" "), d[6], d[7],
             pl.lit(" "), d[8], d[9]]
    return f.select(pl.concat_str(parts).alias("s")).to_series()


def email_obf(email: pl.Series) -> pl.Series:
    """``nick собака mail точка ru``."""
    return (email.str.replace("@", " собака ", literal=True)
            .str.replace_all(".", " точка ", literal=True))
