"""The shortcuts inside add_text_features give what the plain formulas give, on any text."""

from __future__ import annotations

import polars as pl
from hypothesis import example, given, settings
from hypothesis import strategies as st

from moderation.features import native
from moderation.features import text as T

# Letters (Cyrillic, Latin, look-alikes, ё), digits (also non-ASCII), spaces and punctuation.
_CHARS = list("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЕЁЗОТГСabcegkmopqtxyzABCETGOX0123456789٣ ")
_CHARS += [" ", "  ", ".", ",", "-", "@", "(", ")", "[", "]", "/", ":", "\n", "\t", "\u00a0", "🔥", "İ", "ß"]
_WORDS = ["собака", "СОБАКА", "ТёлЕг", "тг", "ТГ", "Инст", " ник", ".РФ", "WWW", "T.ME", ".Ru", "инн",
          "р с", "кпп", "см", "кг", "руб", "лет", "7 лет", "89 см", "сот", "девятьсот", "3о5", "8 з 4",
          "тел", "Телефон", "звоните", "моб", "т", "номеру", "сотовый", "мобильный", "отель", "1234567", "626171",
          "ivan_petrov", "insta", "Ник"]
_texts = st.lists(st.one_of(st.sampled_from(_CHARS), st.sampled_from(_WORDS)), max_size=30).map("".join)


def _column(values: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"t": values}, schema={"t": pl.String})


@settings(max_examples=300, deadline=None)
@given(st.lists(_texts, min_size=1, max_size=20))
def test_tokenising_regex_equals_the_plain_one(texts: list[str]) -> None:
    frame = _column(texts)
    plain = pl.col("t").str.replace_many(T._LOWER_FOLD).str.replace_all(r"[^\pL\d]+", " ").str.strip_chars(" ")
    assert frame.select(T._tokenise(pl.col("t"))).to_series().to_list() == frame.select(plain).to_series().to_list()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from([*T._ALL_NUMBER_WORDS[:12], "5", "а", "сотка", "x"]), max_size=6)
                .map(" ".join), min_size=1, max_size=20))
def test_number_word_literals_equal_the_word_regex(texts: list[str]) -> None:
    tok = pl.col("t")
    frame = _column(texts)
    padded = (pl.lit(" ") + tok + pl.lit(" ")).str.contains_any(T._NUMBER_WORDS_PADDED)
    assert frame.select(padded).to_series().to_list() == frame.select(tok.str.contains(T._HAS_NUMBER_WORD)).to_series().to_list()


@settings(max_examples=300, deadline=None)
@given(st.lists(_texts, min_size=1, max_size=20))
def test_raw_spellings_find_exactly_the_lower_case_hints(texts: list[str]) -> None:
    frame = _column(texts)
    on_low = pl.col("t").str.replace_many(T._LOWER).str.contains_any(T._CONTACT_HINTS)
    on_raw = pl.col("t").str.contains_any(T._RAW_CONTACT_HINTS, ascii_case_insensitive=True)
    assert frame.select(on_raw).to_series().to_list() == frame.select(on_low).to_series().to_list()


@settings(max_examples=300, deadline=None)
@given(st.lists(_texts, min_size=1, max_size=20))
@example(["моб 1234567", "Телефону: 62-61-71", "т. 626171", "звоните мне скорее 1234567", "сотовый 7654321"])
def test_norm_prefilters_and_measures(texts: list[str]) -> None:
    norm = _column(texts).select(T.normalise_text(pl.col("t")).alias("t"))
    t = pl.col("t")
    out = norm.select(
        t.str.contains(T._REQUISITES_RE).alias("requisite"),
        T._has_requisite_word(t).alias("requisite_hint"),
        t.str.replace_all(T._MEASURE_RE, "").str.replace_all(r"\D", "").alias("digits"),
        T._without_measures(t).str.replace_all(r"\D", "").alias("digits_fast"),
        t.str.replace_all(T._REQUISITES_RE, "").str.contains(T._LOCAL_PHONE_RE).alias("local"),
        t.str.contains(T._SIX_OR_SEVEN_DIGITS).alias("six"),
        (pl.lit(" ") + t + pl.lit(" ")).str.contains_any(T._CALL_HINTS).alias("call_hint"),
    )
    assert out["digits_fast"].to_list() == out["digits"].to_list()
    assert not (out["requisite"] & ~out["requisite_hint"]).any()  # the hint is a superset
    assert not (out["local"] & ~out["six"]).any()
    assert not (out["local"] & ~out["call_hint"]).any()


@settings(max_examples=300, deadline=None)
@given(st.lists(_texts, min_size=1, max_size=20))
@example(["Инстwhatsapp", "ник:ivan_petrov", "тг @sale_msk", "mail.ru", "a@b.ru", "(ник ivan_petrov)", "5инст ivan_88"])
def test_contact_hints_are_in_every_text_the_contact_regexes_match(texts: list[str]) -> None:
    raw = pl.col("t")
    low = raw.str.replace_many(T._LOWER)
    out = _column(texts).select(
        (low.str.contains(T._EMAIL_RE) | low.str.contains(T._LINK_RE) | low.str.contains(T._HANDLE_RE)).alias("found"),
        raw.str.contains_any(T._RAW_CONTACT_HINTS, ascii_case_insensitive=True).alias("hint"),
    )
    assert not (out["found"] & ~out["hint"]).any()


def test_features_equal_the_unfiltered_formulas_in_slices_and_whole() -> None:
    """Slices computed in threads, prefilters and all: what one pass over everything gives."""
    from moderation.synth.day import generate_day

    listings, _ = generate_day(0, 2500, seed=5)
    frame = listings.select("title", "description")
    whole = T.add_text_features(frame)
    previous, native.SLICE_ROWS = native.SLICE_ROWS, 600
    try:
        sliced = T.add_text_features(frame)
    finally:
        native.SLICE_ROWS = previous
    assert sliced.equals(whole)
    raw = T._raw_text()
    norm = T.normalise_text(raw)
    low = raw.str.replace_many(T._LOWER)
    unlisted = norm.str.replace_all(T._REQUISITES_RE, "")
    expected = frame.select(
        norm.alias("text_norm"),
        low.str.contains(T._EMAIL_RE).alias("email_in_text"),
        low.str.contains(T._LINK_RE).alias("link_in_text"),
        low.str.contains(T._HANDLE_RE).alias("handle_in_text"),
        norm.str.contains(T._MESSENGER_RE).alias("messenger_mention"),
        unlisted.str.contains(T._PHONE_RE).alias("phone_in_text"),
    )
    for name in expected.columns:
        got, want = whole[name], expected[name]
        if want.dtype == pl.Boolean:
            got, want = got.fill_null(False), want.fill_null(False)
        assert got.to_list() == want.to_list(), name
    assert whole["email_in_text"].sum() > 0 and whole["phone_in_text"].sum() > 0
