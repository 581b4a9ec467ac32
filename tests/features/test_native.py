"""The native text kernel gives exactly what the Polars reference gives, on any text."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from moderation.features import native, tabular
from moderation.features import text as T

# Letters (Cyrillic, Latin, look-alikes, ё), digits (also non-ASCII), spaces, punctuation, and
# characters the kernel leaves to the reference: U+1E030 (a letter since Unicode 15, unassigned
# in this Python's tables), U+20000 (beyond the kernel's planes), Σ (final-sigma lower case), İ.
_CHARS = list("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЕЁЗОТГСabcegkmopqtxyzABCETGOX0123456789٣ ")
_CHARS += [" ", "  ", ".", ",", "-", "!", "@", "(", ")", "[", "]", "/", ":", "\n", "\t", "\u00a0", "🔥",
           "İ", "ß", "Σ", "é", "\u0301", "\U0001e030", "\U00020000", "Ⱥ", "ǅ"]
_WORDS = ["собака", "СОБАКА", "ТёлЕг", "тг", "ТГ", "Инст", " ник", ".РФ", "WWW", "T.ME", ".Ru", "инн",
          "р с", "кпп", "см", "кг", "руб", "лет", "7 лет", "89 см", "сот", "девятьсот", "3о5", "8 з 4",
          "5о5о5", "восемь", "девять", "двадцать", "89123456789", "8 912 345 67 89", "тел 626171", "вотсап",
          "whatsapp", "@ivan_petrov", "прод98ажей", "9о 1", "1 2 3 4 5", "8 9", "9", "7", "89", "рублей",
          "170000 руб", "тысяч", "5 см 7 см", "инн 7701234567", "2 года", "м2", "٣٣"]
_texts = st.lists(st.one_of(st.sampled_from(_CHARS), st.sampled_from(_WORDS)), max_size=30).map("".join)
_maybe = st.one_of(st.none(), _texts)
_rows = st.lists(st.tuples(_maybe, _maybe), min_size=1, max_size=25)


def _frame(rows: list[tuple[str | None, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"title": [r[0] for r in rows], "description": [r[1] for r in rows]},
        schema={"title": pl.String, "description": pl.String},
    )


def test_the_kernel_is_built_and_loads() -> None:
    """CI installs with the extension built: a silent fall back to Polars would hide a slow path."""
    from moderation.features import _textscan  # noqa: F401

    assert native.kernel() is not None


@settings(max_examples=400, deadline=None)
@given(_rows)
@example([("Звоните 8 9о1 2З4 56 78", None), (None, None), ("", ""), ("тг: ivan_petrov88", "восемь девятьсот")])
@example([("ΣΑΣ \U0001e030 текст", "8 912 345 67 89")])
@example([(None, "Инстwhatsapp"), ("Ник ivan_petrov", None), ("(ник ivan_petrov)", "5инст ivan_88")])  # hint, no space
def test_text_features_equal_the_reference(rows) -> None:
    frame = _frame(rows)
    assert_frame_equal(T.add_text_features(frame).drop("title", "description"), T.reference_text_features(frame))


@settings(max_examples=300, deadline=None)
@given(_rows)
def test_text_statistics_equal_the_reference(rows) -> None:
    frame = _frame(rows)
    assert_frame_equal(tabular._text_stats(frame, None), tabular._reference_text_stats(frame))


def _same_grouping(a: pl.Series, b: pl.Series) -> bool:
    """Do a and b have their nulls on the same rows and equal values on the same pairs of rows?"""
    if a.is_null().to_list() != b.is_null().to_list():
        return False
    pairs = {(x, y) for x, y in zip(a.to_list(), b.to_list(), strict=True) if x is not None}
    return len(pairs) == len({x for x, _ in pairs}) == len({y for _, y in pairs})


def test_same_grouping_tells_groupings_apart() -> None:
    assert _same_grouping(pl.Series([1, 2, 1, None]), pl.Series([7, 5, 7, None]))
    assert not _same_grouping(pl.Series([1, 2, 1]), pl.Series([7, 5, 5]))
    assert not _same_grouping(pl.Series([1, 2, 3]), pl.Series([7, 7, 5]))
    assert not _same_grouping(pl.Series([1, None]), pl.Series([1, 2]))


def _with_listing_columns(frame: pl.DataFrame, seller: str | None) -> pl.DataFrame:
    return frame.with_columns(
        seller_id=pl.lit(seller, dtype=pl.String),
        listing_id=pl.int_range(pl.len()).cast(pl.String),
        created_at=pl.lit(None, dtype=pl.Datetime("us")),
    )


@settings(max_examples=300, deadline=None)
@given(_rows)
@example([("Диван", "Продаю диван, 2 шт."), ("ДИВАН!", "продаю ДИВАН 3 шт"), ("Диван", "Продаю кресло")])
def test_the_kernel_hashes_the_reference_letters(rows) -> None:
    """fingerprint_hashes(row) == hash_texts(the expression's letters of the row), where it decides."""
    frame = _frame(rows)
    hashes, state = native.fingerprint_hashes(frame["title"], frame["description"], *tabular.FINGERPRINT_SCAN)
    reference = native.hash_texts(frame.select(tabular._fingerprint_letters()).to_series())
    assert ((state == 0) == reference.is_null().to_numpy()).all()
    decided = state == 1
    assert hashes[decided].tolist() == reference.filter(pl.Series(decided)).to_list()



def test_the_fingerprint_reads_the_description_only_up_to_its_last_letter() -> None:
    """A character the tables do not cover after the 80th letter changes nothing: the kernel decides."""
    frame = _frame([("Диван", "д" * 80 + "\U0001e030Σ"), ("Диван", "д" * 79 + "\U0001e030Σ")])
    hashes, state = native.fingerprint_hashes(frame["title"], frame["description"], *tabular.FINGERPRINT_SCAN)
    assert state.tolist() == [1, 2]
    assert hashes[0] == native.hash_texts(frame.select(tabular._fingerprint_letters()).to_series())[0]


def test_hash_texts_gives_equal_strings_equal_hashes_and_keeps_nulls() -> None:
    texts = pl.Series(["диван|продаю", "диван|продаю", "диван|продаюх", "", None, "x" * 1000, "x" * 999])
    hashes = native.hash_texts(texts).to_list()
    assert hashes[0] == hashes[1] and hashes[4] is None
    assert len({h for h in hashes if h is not None}) == 5


@settings(max_examples=300, deadline=None)
@given(_rows, st.sampled_from(["s1", None]))
@example([("Диван", "Продаю диван"), ("ДИВАН!", "продаю, диван 3"), (None, "Продаю диван"), ("Диван", None)], "s1")
def test_fingerprints_group_listings_as_the_expression_does(rows, seller) -> None:
    """Kernel fingerprints: other numbers than the expression's, equal on the same rows, null on the same."""
    frame = _with_listing_columns(_frame(rows), seller)
    found = tabular._native_fingerprints(frame)["fingerprint"]
    assert _same_grouping(found, frame.select(tabular.listing_fingerprint()).to_series())
    assert found.to_list() == tabular.listing_fingerprints(frame).to_list()


@settings(max_examples=300, deadline=None)
@given(_rows, st.sampled_from(["s1", None]))
def test_fingerprints_from_the_scan_equal_the_kernel_alone(rows, seller) -> None:
    """The fingerprint hashes the text scan computes in passing give the same fingerprints."""
    frame = _with_listing_columns(_frame(rows), seller)
    scanned = native.scan_texts(frame["title"], frame["description"], tabular.FINGERPRINT_SCAN)
    hashes, alone = native.fingerprint_hashes(frame["title"], frame["description"], *tabular.FINGERPRINT_SCAN)
    # The scan may leave a row to the reference (state 2) that the letters alone compute: its
    # fingerprint then comes from the expression's letters, the same value.
    state = scanned["__fp_state"].to_numpy()
    assert ((state == alone) | (state == 2)).all()
    both = (state == 1) & (alone == 1)
    assert scanned["__fp_hash"].to_numpy()[both].tolist() == hashes[both].tolist()
    assert_frame_equal(tabular._native_fingerprints(frame, scanned), tabular._native_fingerprints(frame))
    assert_frame_equal(scanned.drop("__fp_hash", "__fp_state"), native.scan_texts(frame["title"], frame["description"]))


def test_add_features_of_a_whole_day_computes_its_figures_in_the_same_read(monkeypatch) -> None:
    """add_features(day) == add_features(day, compute_day_stats(day)), with and without the kernel."""
    from moderation.features import add_features, compute_day_stats
    from moderation.synth.day import generate_day

    listings, _ = generate_day(0, 3000, seed=13)
    expected = add_features(listings, compute_day_stats(listings))
    assert expected["earlier_copies"].sum() > 0
    assert_frame_equal(add_features(listings), expected)
    monkeypatch.setattr(native, "kernel", lambda: None)
    assert_frame_equal(add_features(listings), expected)


def test_a_generated_day_equals_the_reference_in_every_feature() -> None:
    """Realistic listings (obfuscated phones, spelled-out numbers, reposts), in thread slices."""
    from moderation.features import add_features, compute_day_stats
    from moderation.synth.day import generate_day

    listings, _ = generate_day(0, 3000, seed=11)
    previous, native.SLICE_ROWS = native.SLICE_ROWS, 700
    try:
        stats = compute_day_stats(listings)
        features = add_features(listings, stats)
    finally:
        native.SLICE_ROWS = previous
    texts = listings.select("title", "description")
    assert_frame_equal(features.select(list(T.TEXT_FEATURES)), T.reference_text_features(texts))
    assert_frame_equal(features.select(tabular._TEXT_STATS), tabular._reference_text_stats(texts))
    by_expression = tabular._earlier_copies(listings.lazy(), None, listings.height)  # no DataFrame: Polars
    assert_frame_equal(stats.earlier_copies.sort("listing_id"), by_expression.sort("listing_id"))
    assert features["phone_in_text"].sum() > 0 and features["hidden_phone"].sum() > 0
    assert stats.earlier_copies.height > 0


def test_rows_outside_the_tables_are_flagged_and_left_to_the_reference() -> None:
    frame = _frame([("обычный текст", "8 912 345 67 89"), ("знак \U0001e030", "тг @ivan_petrov")])
    scanned = native.scan_texts(frame["title"], frame["description"])
    flags = scanned["__flags"].to_list()
    assert not flags[0] & native.F_FALLBACK and flags[1] & native.F_FALLBACK
    assert scanned["__tok"].to_list() == ["обычный текст 89123456789", None]
    features = T.add_text_features(frame).drop("title", "description")
    assert_frame_equal(features, T.reference_text_features(frame))
    # The reference's (newer) Unicode calls U+1E030 a letter: it stays in the text.
    assert features["text_norm"][1].startswith("знак \U0001e030 тг")
    assert features["handle_in_text"].to_list() == [False, True]


def test_the_kernel_refuses_a_too_small_output_buffer() -> None:
    frame = _frame([("текст", "описание")])
    spec, _array = native._spec(frame["title"])
    small = np.empty(1, dtype=np.uint8)
    counts = [np.empty(1, dtype=np.int32) for _ in range(7)]
    with pytest.raises(ValueError, match="tok: buffer of 1 bytes"):
        native.kernel().scan(spec, spec, 1, np.empty(2, dtype=np.int64), small, *counts,
                             np.empty(1, dtype=np.uint32))


def test_a_lazy_scan_is_fingerprinted_in_slices_with_the_same_copies(monkeypatch, tmp_path) -> None:
    """score_day hands compute_day_stats a lazy scan (created_at as text): read in slices, same result."""
    from moderation.features import compute_day_stats
    from moderation.synth.day import generate_day

    listings, _ = generate_day(0, 2500, seed=12)
    listings.write_parquet(tmp_path / "day.parquet")
    monkeypatch.setattr(tabular, "_SCAN_ROWS", 700)  # 4 slices, the last one short
    scan = pl.scan_parquet(tmp_path / "day.parquet").with_columns(pl.col("created_at").cast(pl.String))
    lazy = compute_day_stats(scan).earlier_copies.sort("listing_id")
    assert lazy.height > 0
    assert_frame_equal(lazy, compute_day_stats(listings).earlier_copies.sort("listing_id"))
    by_expression = tabular._fingerprints(scan, None)["fingerprint"]
    assert _same_grouping(tabular._native_fingerprints_scan(scan)["fingerprint"], by_expression)
    assert by_expression.is_duplicated().any()


_NUMBERISH = st.lists(
    st.one_of(st.sampled_from(T._ALL_NUMBER_WORDS), st.sampled_from(["сот", "5", "15", "150", "٣", "9о5", "о", "з",
                                                                    "1 2", "торг", "x", "тел", "-", ", ", "5о", "з7",
                                                                    "О", "З", "о٣", "٣з", "оз", "зо"])),
    max_size=12,
).map(" ".join)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), _NUMBERISH), _NUMBERISH), min_size=1, max_size=20))
def test_spelled_out_numbers_compose_as_the_reference_does(rows) -> None:
    """"девятьсот двадцать восемь", "девять сот пятнадцать", "сорок два" ...: the kernel's token
    passes give the regex passes' text, digits and flags."""
    frame = _frame(rows)
    assert_frame_equal(T.add_text_features(frame).drop("title", "description"), T.reference_text_features(frame))


@settings(max_examples=200, deadline=None)
@given(_rows, st.data())
def test_lower_texts_equal_the_lower_case_map(rows, data) -> None:
    frame = _frame(rows)
    at = pl.Series(data.draw(st.lists(st.integers(0, frame.height - 1), max_size=10)), dtype=pl.Int64)
    expected = frame[at].select(T._raw_text().str.replace_many(T._LOWER)).to_series()
    assert native.lower_texts(frame["title"], frame["description"], at).to_list() == expected.to_list()


def test_lower_texts_refuses_a_row_outside_the_columns() -> None:
    frame = _frame([("Текст", None)])
    with pytest.raises(IndexError, match="row 1 is outside the 1 rows"):
        native.lower_texts(frame["title"], frame["description"], pl.Series([1]))


_DIGITISH = st.lists(st.sampled_from(["7", "8", "9", "89", "79", "0", "1234", "12345678", "9123456789", "89123456789",
                                      " ", "а", "x", "٣", "-", "ё"]), max_size=14).map("".join)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.one_of(st.none(), _DIGITISH), min_size=1, max_size=12))
def test_phone_at_finds_the_phone_the_regex_finds(texts) -> None:
    """Where _PHONE_RE's phone is (its preference among 7/8 + 10, 9 + 9 and 89 + 8 digits, runs of
    several phones), or that only the regex can tell (a digit of another script nearby)."""
    column = pl.Series(texts, dtype=pl.String)
    at = native.phone_at(column, pl.int_range(len(texts), eager=True))
    expected = pl.DataFrame({"t": column}).select(T._phone_exprs(pl.col("t").str.extract(T._PHONE_RE, 1)))
    for text, offset, phone in zip(texts, at, expected["text_phone"], strict=True):
        if offset == -2:
            assert "٣" in text
        else:
            assert (None if offset == -1 else "7" + text[offset : offset + 10]) == phone, text
