"""Text features: obfuscated contacts undone in declared, vectorised fields."""

from __future__ import annotations

import polars as pl
import pytest

from moderation.features.text import TEXT_FEATURES, add_text_features, normalise_phrases


def _features(*descriptions: str | None, titles: list[str | None] | None = None) -> pl.DataFrame:
    frame = pl.DataFrame(
        {"title": titles or [None] * len(descriptions), "description": list(descriptions)},
        schema={"title": pl.String, "description": pl.String},
    )
    return add_text_features(frame)


def _one(description: str) -> dict:
    return _features(description).row(0, named=True)


@pytest.mark.parametrize(
    ("text", "norm"),
    [
        ("Звоните 8-912-345-67-89!", "звоните 89123456789"),
        ("восемь девятьсот двенадцать три четыре пять шестьдесят семь восемьдесят девять",
         "89123456789"),
        ("восемь девять сот двадцать восемьдесят семь семьдесят пять", "8920877 5".replace(" ", "")),
        ("девятьсот три", "903"),
        ("девятьсот", "900"),
        ("двадцать", "20"),
        ("сорок два", "42"),
        ("8 9O1 2З4 56 78", "89012345678"),  # Latin O and Cyrillic З inside a digit run
        ("BoTcAп", "вотсап"),  # Latin look-alikes folded to Cyrillic
        ("Ёлка, стол!!!", "елка стол"),
        ("место и стол", "место и стол"),  # number words only as whole words ("сто")
    ],
)
def test_text_norm(text: str, norm: str) -> None:
    assert _one(text)["text_norm"] == norm


@pytest.mark.parametrize(
    ("text", "feature"),
    [
        ("Звоните: +7 (921) 000-11-22", "phone_in_text"),
        ("тел восемь девятьсот двенадцать три четыре пять шестьдесят семь восемьдесят девять", "phone_in_text"),
        ("8-904-819-63-15 8-900-189-40-30", "phone_in_text"),  # two numbers in one run
        ("с прод98ажей не 8тороплюсь 9торг миним24альный маши88на по ходо97вой", "hidden_phone"),
        ("звонить только по этому номеру 995 30 41", "hidden_phone"),
        ("Пишите в тг @sale_msk", "handle_in_text"),
        ("тг: ivan_petrov88", "handle_in_text"),
        ("почта ivan.petrov@mail.ru", "email_in_text"),
        ("почта ivan собака mail точка ru", "email_in_text"),
        ("Каталог: vk.com/mebel_spb", "link_in_text"),
        ("t.me/shop_spb", "link_in_text"),
        ("сайт https://example.org", "link_in_text"),
        ("Пишите в вотсап", "messenger_mention"),
        ("WhatsApp", "messenger_mention"),
        ("вaцaп", "messenger_mention"),  # Latin а
        ("в тг", "messenger_mention"),
        ("ТГ", "messenger_mention"),
    ],
)
def test_contact_signals_found(text: str, feature: str) -> None:
    row = _one(text)
    assert row[feature] is True
    assert row["contact_signals"] >= 1


@pytest.mark.parametrize(
    "text",
    [
        "Диван, размеры 200x90x45, цена 15 000 руб",
        "Ноутбук 15.6 дюйма, 8 ГБ ОЗУ, SSD 512 ГБ, 2021 год",
        "Apple iPhone 13 128 ГБ, модель SM-S918B/DS 12/512",
        "Телевизор Xiaomi Mi TV 43, 2024",
        "Шкаф-купе, б.у., т.е. почти новый",
        "Вотсап и телеграм не использую, пишите здесь.",  # messenger named, no contact
    ],
)
def test_clean_texts_have_no_contact(text: str) -> None:
    row = _one(text)
    for name in ("phone_in_text", "hidden_phone", "handle_in_text", "email_in_text", "link_in_text"):
        assert row[name] is False, name


def test_text_phone_is_eleven_digits_starting_with_seven() -> None:
    rows = _features("звоните 8 912 345 67 89", "9123456789", "+7 912 345 67 89", "нет")
    assert rows["text_phone"].to_list() == ["79123456789", "79123456789", "79123456789", None]


def test_null_text_gives_null_features_and_row_order_is_kept() -> None:
    frame = pl.DataFrame(
        {"listing_id": ["a", "b", "c"], "title": [None, "Диван", None],
         "description": [None, None, "тел 89123456789"]},
    )
    out = add_text_features(frame)
    assert out["listing_id"].to_list() == ["a", "b", "c"]
    assert out.columns[:3] == ["listing_id", "title", "description"]
    assert set(TEXT_FEATURES) <= set(out.columns)
    first = out.row(0, named=True)
    assert all(first[name] is None for name in TEXT_FEATURES)
    assert out["phone_in_text"].to_list() == [None, False, True]
    assert out["text_norm"][1] == "диван"


def test_title_and_description_are_both_searched() -> None:
    out = _features("отличное состояние", titles=["Велосипед 8 912 345 67 89"])
    assert out["phone_in_text"].to_list() == [True]


def test_empty_and_unicode_inputs_do_not_break() -> None:
    out = _features("", "🔥🔥🔥", "\u0000\t\n", "ß" * 1000, "١٢٣٤٥٦٧٨٩٠")
    assert out.height == 5
    assert out["text_norm"].to_list()[:3] == ["", "", ""]
    assert out["contact_signals"].to_list()[:4] == [0, 0, 0, 0]


def test_list_phrases_are_normalised_like_text_norm() -> None:
    assert normalise_phrases(["Оплата ВПЕРЁД", "100% предоплата", "whatsapp"]) == [
        "оплата вперед", "100 предоплата", "wнатsарр",
    ]
    assert normalise_phrases([]) == []


def test_prefiltered_passes_equal_running_everything_everywhere() -> None:
    """add_text_features skips costly passes on rows that cannot need them: same text_norm."""
    from moderation.features.text import normalise_text
    from moderation.synth.day import generate_day

    listings, _ = generate_day(0, 1500, seed=3)
    extra = pl.DataFrame({
        "title": ["тел 62-61-71", None, "Стол 120 х 60", "8 9о5 12з 4 5б", "восемь 900 сто"],
        "description": ["девять сот двадцать", "вотсап 912 345 67 8", None, "оплата 15 000 руб", ""],
    })
    frame = pl.concat([listings.select("title", "description"), extra])
    out = add_text_features(frame)
    raw = pl.concat_str(["title", "description"], separator=" ", ignore_nulls=True)
    raw = pl.when(pl.col("title").is_null() & pl.col("description").is_null()).then(None).otherwise(raw)
    expected = frame.select(normalise_text(raw).alias("text_norm"))["text_norm"]
    assert out["text_norm"].to_list() == expected.to_list()
    from moderation.features.text import _REQUISITES_RE

    unlisted = expected.str.replace_all(_REQUISITES_RE, "")
    phones = frame.select(unlisted.str.contains(r"(?:^|\D)(?:[78]\d{10}|9\d{9}|89\d{8})(?:\D|$)"))
    assert out["phone_in_text"].fill_null(False).to_list() == phones.to_series().fill_null(False).to_list()


@pytest.mark.parametrize(
    "text",
    [
        "ООО, ИНН 9584028148, ОГРН 2764633782755. Адрес: ул. Мира, д. 133, офис 217, индекс 434006.",
        "ИНН/КПП 7701234567/770101001, р/с 40702810900000012345, к/с 30101810400000000225, БИК 044525225",
        "ИП Иванов, ОГРНИП 304500116000157, ИНН 500100732259",
    ],
)
def test_company_requisites_are_not_phones(text: str) -> None:
    row = _one(text)
    assert row["phone_in_text"] is False
    assert row["hidden_phone"] is False
    assert row["text_phone"] is None


def test_phone_next_to_requisites_is_still_found() -> None:
    row = _one("ООО «Вектор», ИНН 7701234567, звоните 8 912 345 67 89")
    assert row["phone_in_text"] is True
    assert row["text_phone"] == "79123456789"


@pytest.mark.parametrize(
    "text",
    [
        "Тумба. Размеры: ширина 89 см, глубина 97 см, высота 175 см. Работаем с 10 до 20",
        "Дом 89,2 м², 3 эт., 89,2 кв.м, участок 20 сот.",
        "Арматура А500С 12 мм. Продаем арматуру А500С 12 мм, остаток 259 м.",
    ],
)
def test_measures_and_grade_codes_are_not_a_hidden_phone(text: str) -> None:
    assert _one(text)["hidden_phone"] is False


@pytest.mark.parametrize(
    "text",
    [
        "Машина 8 в 906 идеальном 292 состоянии 00 вложений не 95 требует",
        "коляска 8 инвалидная 9 новая 1 покупали 3 не 6 понадобилось 7 звонить 1 по 0 этим 4 цифрам 3 по 2",
        "номер а954щ049ы24ж22 звоните",
        "звонить по номеру и8и9и3и1и6и8и1и2и5и4и3 торг",
    ],
)
def test_spread_and_interleaved_phones_still_found(text: str) -> None:
    assert _one(text)["hidden_phone"] is True
