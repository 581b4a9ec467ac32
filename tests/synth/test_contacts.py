"""Obfuscated phone numbers: the words and look-alikes a contact filter must see through."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from moderation.synth.contacts import (
    email_obf,
    number_words,
    phone_groups,
    phone_look,
    phone_mixed,
    phone_plain,
    phone_words,
)

PHONES = pl.Series(["9051234567", "9160070809"])


@pytest.mark.parametrize(
    ("n", "words"),
    [(0, "ноль"), (7, "семь"), (12, "двенадцать"), (45, "сорок пять"), (100, "сто"),
     (905, "девятьсот пять"), (999, "девятьсот девяносто девять")],
)
def test_number_words(n, words):
    assert number_words(n) == words


def test_phone_words_spell_every_digit():
    assert phone_words(PHONES)[0] == "восемь девять ноль пять один два три четыре пять шесть семь"


def test_phone_groups_read_aloud_with_leading_zeros():
    assert phone_groups(PHONES).to_list() == [
        "восемь девятьсот пять сто двадцать три сорок пять шестьдесят семь",
        "восемь девятьсот шестнадцать ноль ноль семь ноль восемь ноль девять",
    ]


def test_plain_formats_keep_all_digits():
    rng = np.random.default_rng(0)
    out = phone_plain(pl.Series(["9051234567"] * 50), rng)
    digits = out.str.replace_all(r"\D", "")
    assert digits.is_in(["89051234567", "79051234567"]).all()
    assert out.n_unique() > 2


def test_mixed_and_lookalike_forms_hide_digits_behind_letters():
    rng = np.random.default_rng(1)
    many = pl.Series(["9030301030"] * 40)
    mixed = phone_mixed(many, rng)
    look = phone_look(many, rng)
    assert mixed.str.contains("[оlЗ]").any() and look.str.contains("[OIЗ]").any()
    # Undo the substitutions and the number comes back.
    undo = {"о": "0", "l": "1", "З": "3", "O": "0", "I": "1"}
    for series in (mixed, look):
        restored = series
        for letter, digit in undo.items():
            restored = restored.str.replace_all(letter, digit, literal=True)
        assert restored.str.replace_all(r"\D", "").str.ends_with("9030301030").all()


def test_email_obfuscation():
    assert email_obf(pl.Series(["ivan.store7@mail.ru"]))[0] == "ivan точка store7 собака mail точка ru"
