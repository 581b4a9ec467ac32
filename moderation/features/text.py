"""Text features for rules: a normalised text and the contact signals found in it.

Sellers hide contacts from moderation: "8 девятьсот 12З 4о 5б", "вотсап", Latin letters that look
Cyrillic ("BoTcAп"), digits sprinkled into words ("прод98ажей 8тороплюсь"). Rules stay simple
because the undoing happens here, once, in declared derived fields (see rules/fields.yaml).

Everything is a whole-column Polars expression (regex / Aho-Corasick passes over the column):
this runs on every listing of a 4-million-row day, so there is no per-row Python.
"""

from __future__ import annotations

import polars as pl

from moderation.features import native

__all__ = [
    "TEXT_FEATURES",
    "add_text_features",
    "normalise_text",
    "normalise_phrases",
]

# Columns this module adds, with their meaning (rules/fields.yaml declares them for rules).
TEXT_FEATURES: dict[str, str] = {
    "text_norm": "title + description: lower-case, look-alike letters folded to Cyrillic, "
    "spelled-out numbers as digits, separators between digits removed, punctuation as spaces",
    "text_digit_count": "number of digits in text_norm",
    "text_phone": "first phone-like number in the text, as 11 digits starting with 7 (null if none)",
    "phone_in_text": "a phone number (10-11 digits, after undoing obfuscation) is in the text; "
    "company requisites (ИНН, ОГРН, КПП, БИК, р/с ...) do not count",
    "hidden_phone": "digits interleaved with words ('прод98ажей 8тороплюсь') that add up to a phone; "
    "measures ('89 см'), requisites and grade codes ('А500С') do not count",
    "handle_in_text": "a messenger handle (@nick, t.me/nick, 'тг nick') is in the text",
    "email_in_text": "an e-mail address (also 'name собака mail точка ru') is in the text",
    "link_in_text": "a web link or domain (http, www, site.ru, vk.com/...) is in the text",
    "messenger_mention": "a messenger is named (вотсап, телеграм, тг, вайбер, ...)",
    "contact_signals": "how many of phone/hidden phone/handle/e-mail/link/messenger are present",
}

# Latin letters that look like Cyrillic ones (after lower-casing), folded to Cyrillic.
_LOOKALIKES: dict[str, str] = {
    "a": "а", "b": "в", "c": "с", "e": "е", "h": "н", "k": "к", "m": "м",
    "o": "о", "p": "р", "t": "т", "x": "х", "y": "у", "ё": "е",
}  # fmt: skip

_UPPER = "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Lower-casing as one Aho-Corasick pass (str.to_lowercase is several times slower on Cyrillic);
# "ё" is written "е" everywhere. _LOWER keeps Latin (for e-mails, links); _LOWER_FOLD folds it.
_LOWER: dict[str, str] = {**{c: c.lower() for c in _UPPER}, "Ё": "е", "ё": "е"}
_LOWER_FOLD: dict[str, str] = {
    **{c: _LOOKALIKES.get(c.lower(), c.lower()) for c in _UPPER},
    **_LOOKALIKES,
    "Ё": "е",
}

# Markers for "hundreds" and "tens" while composing spelled-out numbers (private-use code points).
_H = "\ue000"
_T = "\ue001"

_UNITS = {
    "ноль": "0", "нуль": "0", "один": "1", "одна": "1", "одну": "1", "два": "2", "две": "2",
    "три": "3", "четыре": "4", "пять": "5", "шесть": "6", "семь": "7", "сем": "7",
    "восемь": "8", "восем": "8", "девять": "9", "девят": "9",
}  # fmt: skip
_TEENS = {
    "десять": "10", "одиннадцать": "11", "двенадцать": "12", "тринадцать": "13",
    "четырнадцать": "14", "пятнадцать": "15", "шестнадцать": "16", "семнадцать": "17",
    "восемнадцать": "18", "девятнадцать": "19", "десят": "10",
}  # fmt: skip
_TENS = {
    "двадцать": "2", "тридцать": "3", "сорок": "4", "пятьдесят": "5", "пятдесят": "5", "писят": "5", "пийсят": "5", "полтос": "5",
    "шестьдесят": "6", "шестдесят": "6", "семьдесят": "7", "семдесят": "7",
    "восемьдесят": "8", "восемдесят": "8", "девяносто": "9",
}  # fmt: skip
_HUNDREDS = {
    "сто": "1", "двести": "2", "триста": "3", "тристо": "3", "четыреста": "4",
    "пятьсот": "5", "пятсот": "5", "шестьсот": "6", "шестсот": "6", "семьсот": "7",
    "семсот": "7", "восемьсот": "8", "восемсот": "8", "девятьсот": "9", "девятсот": "9",
}  # fmt: skip

_ALL_NUMBER_WORDS = sorted({*_UNITS, *_TEENS, *_TENS, *_HUNDREDS, "сот"}, key=len, reverse=True)
# Rows whose tokens need the (costly) deobfuscation: a number word, a digit-о/з-digit, or digits
# separated by a space. Everything else is already in its final form after tokenising.
_HAS_NUMBER_WORD = r"(?:^| )(?:" + "|".join(_ALL_NUMBER_WORDS) + ")(?: |$)"
# The same test as literals on space-padded tokens (one Aho-Corasick pass, no regex).
_NUMBER_WORDS_PADDED = [f" {w} " for w in _ALL_NUMBER_WORDS]
_HAS_DIGIT_GAP = r"\d ?[оз] ?\d|\d \d"
_NEEDS_DEOBFUSCATION = f"{_HAS_DIGIT_GAP}|{_HAS_NUMBER_WORD}"
# A call word before a short local number ("тел 62-61-71"); literal prefilter for _LOCAL_PHONE_RE,
# on " " + text_norm + " ": its call words as whole tokens or token starts (\pL* after them), as
# the regex has them ("тел" alone is in half of all texts: "покупатель", "отель").
_CALL_HINTS = [" т ", " тел ", " телефон", " звон", " номер", " моб ", " мобильный ", " сот ", " сотовый "]

# Every word padded with spaces so only whole words are replaced (text is tokenised first).
_NUMBER_WORDS: dict[str, str] = {
    **{f" {w} ": f" {d} " for w, d in _UNITS.items()},
    **{f" {w} ": f" {d} " for w, d in _TEENS.items()},
    **{f" {w} ": f" {d}{_T} " for w, d in _TENS.items()},
    **{f" {w} ": f" {d}{_H} " for w, d in _HUNDREDS.items()},
    " сот ": f" {_H} ",  # "девять сот"
}

_MESSENGERS_LONG = (
    "вотсап", "ватсап", "вацап", "ватцап", "вотсaп", "whatsapp", "watsap", "whatsap", "вайбер",
    "viber", "вибер", "телеграм", "телеграмм", "telegram", "телега", "телеге", "телегу",
    "skype", "скайп", "вконтакте", "vkontakte", "инстаграм", "instagram", "инсте", "инста",
)  # fmt: skip
_MESSENGERS_SHORT = ("тг", "tg", "вк", "vk", "wa", "ват", "вацап", "тлг", "tlg")


def _fold(word: str) -> str:
    """The scalar twin of the look-alike fold (used only to build the patterns below)."""
    return "".join(_LOOKALIKES.get(ch, ch) for ch in word.lower())


_MESSENGER_RE = (
    "(?:^| )(?:"
    + "|".join(sorted({_fold(w) for w in _MESSENGERS_LONG}, key=len, reverse=True))
    + ")|(?:^| )(?:"
    + "|".join(sorted({_fold(w) for w in _MESSENGERS_SHORT}, key=len, reverse=True))
    + ")(?: |$)"
)
# A phone after normalisation: 11 digits starting 7/8, or a 10-digit mobile starting with 9.
_ONE_PHONE = r"(?:[78]\d{10}|9\d{9}|89\d{8})"
# A digit run made only of phones (sellers list two numbers in a row: "8904... 8900...").
_PHONE_RE = rf"(?:^|[^\d])({_ONE_PHONE})(?:{_ONE_PHONE})*(?:[^\d]|$)"
# A short local number right after a call phrase ("звонить по номеру 995 30 41", "тел 62-61-71").
_LOCAL_PHONE_RE = (
    r"(?:^| )(?:т|тел|телефон\pL*|звон\pL*|номер\pL*|моб|мобильный|сот|сотовый)"
    r"(?: [а-я]+){0,3} \d{6,7}(?: |$)"
)
_EMAIL_RE = (
    r"[a-z0-9][a-z0-9._%+-]*\s*(?:@|\(at\)|\[at\]|собака)\s*[a-z0-9-]+\s*(?:\.|точка|\(dot\))\s*"
    r"(?:ru|com|net|org|ua|by|kz|su|io|me|info|biz|рф)(?:[^a-z]|$)"
)
_LINK_RE = (
    r"https?://|www\.|(?:^|[^a-z0-9@.])[a-z0-9][a-z0-9-]{1,}\.(?:ru|com|net|org|su|info|me|io|biz"
    r"|pro|site|online|shop|store|by|kz|ua)(?:/|[^a-z0-9]|$)|t\.me/|wa\.me/|vk\.(?:com|me)/"
    r"|[а-я0-9-]{2,}\.рф"
)
_HANDLE_RE = (
    r"(?:^|[^\w.])@[a-z_][a-z0-9_.]{3,}"
    r"|(?:^|[^\pL])(?:тг|tg|телеграм\pL*|telegram|инст\pL*|insta\pL*|ник)\s*[:\-]?\s*@?[a-z_][a-z0-9_]{3,}"
)
# Digits glued into words: letters, 1-3 digits, letters ("маши88на", "8тороплюсь", "и8и9и3");
# three digits between single letters only inside a longer run ("а954щ049"), so that grade codes
# ("А500С") do not count.
# Matched on the unfolded lower-case text, Cyrillic only: Latin model codes ("sm-s918b") don't count.
_GLUED_DIGITS_RE = (
    r"[а-яё]\d{1,2}[а-яё]|[а-яё]{2}\d{3}[а-яё]|[а-яё]\d{3}[а-яё](?:[а-яё]|\d)"
    r"|(?:^|[^\w])\d{1,3}[а-яё]{3,}|[а-яё]{3,}\d{1,3}(?:[^\w]|$)"
)
# Numbers that are not phones, removed (on text_norm) before looking for phones: company
# requisites after their keyword ("инн 7701234567", "р с 40702810..."), several keywords in a row
# ("инн кпп 7701234567 770101001") included.
_REQUISITE_WORDS = (
    "инн", "кпп", "огрн", "огрнип", "бик", "окпо", "окато", "октмо", "оквэд", "снилс", "р с", "к с",
    "рс", "кс", "р сч", "к сч", "расчетный счет", "расч счет", "корр счет", "корреспондентский счет",
    "лицевой счет",
)  # fmt: skip
_REQUISITE_ALT = "|".join(sorted(_REQUISITE_WORDS, key=len, reverse=True))
_REQUISITES_RE = rf"\b(?:{_REQUISITE_ALT})(?: (?:{_REQUISITE_ALT}|\d+)\b)*"
# A number followed by a unit ("89 см", "170000 руб", "7 лет") is a measure, never part of a
# phone spread over the text.
_MEASURE_UNITS = (
    "мм", "см", "м", "км", "кв", "га", "сот", "соток", "сотки", "кг", "гр", "т", "л", "мл", "шт", "р",
    "лет", "год", "года", "году", "гг", "мес", "дня", "дней", "час", "часа", "часов", "мин", "эт",
    "гб", "тб", "мб", "мп", "вт", "квт", "мач", "лс",
)  # fmt: skip
_MEASURE_PREFIXES = ("руб", "тыс", "месяц", "этаж", "дюйм")  # and any letters after them
_MEASURE_RE = (
    r"\b\d+ (?:" + "|".join([*_MEASURE_UNITS, *(rf"{p}\pL*" for p in _MEASURE_PREFIXES)]) + r")\b"
)


def _tokenise(text: pl.Expr) -> pl.Expr:
    """Lower-case, fold look-alikes, punctuation as single spaces (most rows stop here)."""
    folded = text.str.replace_many(_LOWER_FOLD)
    # = replace_all(r"[^\pL\d]+", " "), but single spaces (most separators) are not matches:
    # a run with punctuation, or of two or more spaces, becomes one space. 40 % fewer CPU-s.
    return folded.str.replace_all(r"[^\pL\d]*[^\pL\d ][^\pL\d]*|  +", " ").str.strip_chars(" ")


def _padded(tokens: pl.Expr) -> pl.Expr:
    """Every token padded by two spaces, so number words are replaced only as whole words."""
    return pl.lit("  ") + tokens.str.replace_all(" ", "  ", literal=True) + pl.lit("  ")


def _numbers_as_digits(tokens: pl.Expr) -> pl.Expr:
    """Spelled-out numbers to digits: "восемь девятьсот три" -> "8 903" (tokens still spaced)."""
    words = tokens.str.replace_many(_NUMBER_WORDS)
    return (
        words.str.replace_all(f"{_H}\\s*(\\d{_T})", "${1}")  # девятьсот двадцать -> 92T
        .str.replace_all(f"{_H}\\s*(\\d\\d)(?:\\s|$)", "${1} ")  # девятьсот пятнадцать -> 915
        .str.replace_all(f"{_H}\\s*(\\d)(?:\\s|$)", "0${1} ")  # девятьсот три -> 903
        .str.replace_all(_H, "00", literal=True)  # девятьсот -> 900
        .str.replace_all(f"{_T}\\s*(\\d)(?:\\s|$)", "${1} ")  # двадцать восемь -> 28
        .str.replace_all(_T, "0", literal=True)  # двадцать -> 20
    )


# A letter standing for a digit inside a digit run ("9о5", "12 з4"); what _letters_as_digits undoes.
_LETTER_DIGIT = r"\d\s*[оз]\s*\d"


def _letters_as_digits(text: pl.Expr) -> pl.Expr:
    """'9о5' -> '905', '12з4' -> '1234' (the identity where _LETTER_DIGIT does not match)."""
    return text.str.replace_all(r"(\d\s*)о(\s*\d)", "${1}0${2}").str.replace_all(
        r"(\d\s*)з(\s*\d)", "${1}3${2}"
    )


def _join_digits(text: pl.Expr) -> pl.Expr:
    """Spaces between digits removed: "8 912 345" -> "8912345"."""
    # Two passes: a match consumes the digit on each side, so one pass leaves every other gap.
    return text.str.replace_all(r"(\d)\s+(\d)", "${1}${2}").str.replace_all(r"(\d)\s+(\d)", "${1}${2}")


def _join_digit_runs(text: pl.Expr) -> pl.Expr:
    """Letters standing for digits inside runs ('9о5', '12з4') and spaces between digits removed."""
    return _single_spaced(_join_digits(_letters_as_digits(text)))


def _single_spaced(text: pl.Expr) -> pl.Expr:
    """Tokens are single-spaced apart from the padding: two literal passes collapse it."""
    return text.str.replace_all("  ", " ", literal=True).str.replace_all("  ", " ", literal=True).str.strip_chars(" ")


def _deobfuscate(tokens: pl.Expr) -> pl.Expr:
    """Spelled-out numbers as digits, letters standing for digits, digit runs joined.

    The identity on tokens that ``_NEEDS_DEOBFUSCATION`` does not match, which is what lets
    ``add_text_features`` run it on those rows only.
    """
    return _join_digit_runs(_numbers_as_digits(_padded(tokens)))


def normalise_text(text: pl.Expr) -> pl.Expr:
    """The text_norm transformation of a string expression (null stays null)."""
    return _deobfuscate(_tokenise(text))


def normalise_phrases(phrases: list[str]) -> list[str]:
    """Normalise list entries exactly as text_norm is normalised, so they match it."""
    if not phrases:
        return []
    frame = pl.DataFrame({"p": phrases}, schema={"p": pl.String})
    return frame.select(normalise_text(pl.col("p")).alias("p"))["p"].to_list()


# Literals without which none of the e-mail / link / handle patterns can match (checked first,
# with one Aho-Corasick pass, so those regexes only run on the few rows that have one).
_TLDS = ("ru", "com", "net", "org", "su", "info", "me", "io", "biz", "pro", "site", "online", "shop",
         "store", "by", "kz", "ua")
_CONTACT_HINTS = [
    "@", "собака", "(at)", "[at]", "http", "www", "t.me", "wa.me", "vk.", ".рф", "тг", "tg", "телег",
    "telegram", "инст", "insta", "ник", *(f".{tld}" for tld in _TLDS), *(f". {tld}" for tld in _TLDS),
]


def _raw_spellings(hint: str) -> list[str]:
    """Every string that lower-cases (``_LOWER``) to ``hint``, ASCII case aside.

    Searching these in the raw text (ASCII case-insensitively) finds exactly the rows whose
    lower-cased text contains ``hint``: lower-casing maps character to character.
    """
    spellings = [""]
    for ch in hint:
        sources = [ch] if ch.isascii() else [c for c in {ch, *_LOWER} if _LOWER.get(c, c) == ch]
        spellings = [s + c for s in spellings for c in sorted(sources)]
    return spellings


_RAW_CONTACT_HINTS = sorted({s for hint in _CONTACT_HINTS for s in _raw_spellings(hint)})
# Per regex, literals (on the lower-cased text) without which it cannot match: the kernel flags
# the rows holding one, so each regex runs on its own few rows.
_EMAIL_HINTS = ["@", "(at)", "[at]", "собака"]
_LINK_TLDS = ("ru", "com", "net", "org", "su", "info", "me", "io", "biz", "pro", "site", "online", "shop",
              "store", "by", "kz", "ua")
_LINK_HINTS = ["http", "www.", ".рф", *(f".{tld}" for tld in _LINK_TLDS)]
_HANDLE_HINTS = ["@", "тг", "tg", "телеграм", "telegram", "инст", "insta", "ник"]
# Literals without which _MESSENGER_RE cannot match (on text_norm): the long names themselves,
# the short ones with the space that must border them.
_MESSENGER_HINTS = sorted(
    {_fold(w) for w in _MESSENGERS_LONG}
    | {f" {_fold(w)}" for w in _MESSENGERS_SHORT}
    | {f"{_fold(w)} " for w in _MESSENGERS_SHORT}
)
_SIGNALS = ("phone_in_text", "hidden_phone", "handle_in_text", "email_in_text", "link_in_text",
            "messenger_mention")


def _on_rows(frame: pl.DataFrame, masks: list[pl.Expr], exprs: list[pl.Expr]) -> pl.DataFrame:
    """Evaluate ``exprs`` on the rows where every mask holds; null elsewhere; frame order kept.

    Masks are applied one after the other, each on the rows the previous ones kept (put cheap,
    selective ones first: Polars evaluates ``a & b`` on every row). Each step copies only the
    columns it reads, of the rows still in play (copying long texts costs as much as a pass).
    """
    rows: pl.Series | None = None
    for mask in masks:
        part = frame.select(sorted(set(mask.meta.root_names())))
        keep = (part if rows is None else part[rows]).select(mask.fill_null(False)).to_series()
        rows = keep.arg_true() if rows is None else rows.filter(keep)
    needed = sorted({n for e in exprs for n in e.meta.root_names()})
    found = frame.select(needed)[rows].select(exprs)
    return pl.DataFrame([
        pl.repeat(None, frame.height, dtype=c.dtype, eager=True).alias(c.name).scatter(rows, c)
        for c in found.get_columns()
    ])


# _REQUISITES_RE starts with \b before a letter: in text_norm (letters, digits, single spaces)
# that is the start of the text or a space before it.
_REQUISITE_HINTS = sorted({f" {w}" for w in _REQUISITE_WORDS})
_REQUISITE_AT_START = "^(?:" + _REQUISITE_ALT + ")"
# A run of exactly 6-7 digits, which _LOCAL_PHONE_RE needs (removing requisites only removes
# whole tokens, so it cannot make one).
_SIX_OR_SEVEN_DIGITS = r"(?:^|\D)\d{6,7}(?:\D|$)"


# _MEASURE_RE with its \b written out for text_norm (letters, digits, spaces): a space or the
# text's edge on each side. Unicode \b keeps the regex engine off its fast path on Cyrillic.
_MEASURE_SPACED = r"(^| )" + _MEASURE_RE.removeprefix(r"\b").removesuffix(r"\b") + "( |$)"


def _without_measures(norm: pl.Expr) -> pl.Expr:
    """text_norm without measures: the same digits, in order, as ``replace_all(_MEASURE_RE, "")``.

    Spaces are kept; each pass consumes the space after a measure, so a chain of measures
    ("5 см 7 см") loses every other one per pass and two passes remove them all.
    """
    return norm.str.replace_all(_MEASURE_SPACED, "${1}${2}").str.replace_all(_MEASURE_SPACED, "${1}${2}")


def _has_requisite_word(norm: pl.Expr) -> pl.Expr:
    return norm.str.contains_any(_REQUISITE_HINTS) | norm.str.contains(_REQUISITE_AT_START)


def _raw_text() -> pl.Expr:
    raw = pl.concat_str([pl.col("title"), pl.col("description")], separator=" ", ignore_nulls=True)
    return pl.when(pl.col("title").is_null() & pl.col("description").is_null()).then(None).otherwise(raw)


def add_text_features(df: pl.DataFrame, scanned: pl.DataFrame | None = None) -> pl.DataFrame:
    """Add the TEXT_FEATURES columns to a listing batch; row order and other columns are kept.

    Needs ``title`` and ``description`` (either may be null; a listing with neither gets null
    features, and NULL never matches a rule). ``scanned`` is ``native.scan_texts`` of the batch
    when the caller has it already (``add_features`` shares one scan with the tabular features).

    The native kernel reads every text once (tokens, digit gaps undone, prefilter flags); the
    regexes then run only on the rows whose flags say they can match. Rows the kernel does not
    cover, and every row when it is not built, take the Polars reference: the same values.
    """
    texts = df.select("title", "description")
    if scanned is None:
        scanned = native.scan_texts(texts["title"], texts["description"])
    if scanned is None:
        features = reference_text_features(texts)
    else:  # the regexes on flagged rows run on one core each: row slices on parallel threads
        parts = native.in_slices(texts.height, lambda a, n: _features_from_scan(texts.slice(a, n), scanned.slice(a, n)))
        features = parts[0] if len(parts) == 1 else pl.concat(parts, rechunk=False)
    return df.with_columns(features.get_columns())


def reference_text_features(texts: pl.DataFrame) -> pl.DataFrame:
    """TEXT_FEATURES of a frame with ``title`` and ``description`` by Polars expressions alone.

    The definition the native path is tested against. Most passes are single regex scans, which
    Polars runs on one core: a large batch is cut into row slices computed on parallel threads.
    """
    parts = native.in_slices(texts.height, lambda a, n: _text_features(texts.slice(a, n)))
    return parts[0] if len(parts) == 1 else pl.concat(parts, rechunk=False)


def _scatter(frame: pl.DataFrame, rows: pl.Series, values: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with ``values`` (same columns) written over the given rows."""
    return frame.with_columns(frame[c.name].scatter(rows, c) for c in values.get_columns())


def _flag(bits: int) -> pl.Expr:
    """Rows with every one of ``bits`` set in the kernel's flags."""
    return (pl.col("__flags") & bits) == bits


def _phone_exprs(phone: pl.Expr) -> list[pl.Expr]:
    """text_phone and phone_in_text from _PHONE_RE's group 1 (null: no phone)."""
    return [
        pl.when(phone.str.len_chars() == 10).then(pl.lit("7") + phone)
        .otherwise(pl.lit("7") + phone.str.slice(1)).alias("text_phone"),
        phone.is_not_null().alias("phone_in_text"),
    ]


def _phones(frame: pl.DataFrame) -> pl.DataFrame:
    """text_phone and phone_in_text on the F_RUN10 rows of ``frame`` (null elsewhere).

    The kernel's ``phone_at`` says where _PHONE_RE's phone is (its last ten digits are the
    number after the 7); the regex itself runs only where it leaves the answer open."""
    rows = frame.select(_flag(native.F_RUN10)).to_series().arg_true()
    texts = frame["__unlisted"].gather(rows)  # (phone_at reads the rows it is given: only these)
    at = pl.Series("at", native.phone_at(texts, pl.int_range(len(rows), eager=True)))
    phone = pl.repeat(None, frame.height, dtype=pl.String, eager=True).alias("text_phone")
    present = pl.repeat(None, frame.height, dtype=pl.Boolean, eager=True).alias("phone_in_text")
    found = rows.filter(at >= 0)
    digits = pl.DataFrame({"u": texts.filter(at >= 0), "at": at.filter(at >= 0)})
    phone = phone.scatter(found, digits.select(pl.lit("7") + pl.col("u").str.slice(pl.col("at"), 10)).to_series())
    present = present.scatter(rows, at >= 0)
    open_rows = rows.filter(at == -2)
    if open_rows.len():
        by_regex = pl.DataFrame({"u": texts.filter(at == -2)}).select(_phone_exprs(pl.col("u").str.extract(_PHONE_RE, 1)))
        phone = phone.scatter(open_rows, by_regex["text_phone"])
        present = present.scatter(open_rows, by_regex["phone_in_text"])
    return pl.DataFrame([phone, present])


def _features_from_scan(texts: pl.DataFrame, scanned: pl.DataFrame) -> pl.DataFrame:
    """TEXT_FEATURES from a kernel scan (``native.SCAN_COLUMNS``) of ``texts``."""
    frame = pl.concat([texts, scanned.select("__tok", "__norm_digits", "__flags")], how="horizontal")
    tok = pl.col("__tok")
    # A handle is "@name", or a keyword then a Latin name ("тг ivan_88"): either needs an '@'
    # or a Latin identifier besides its keyword.
    handle = _flag(native.F_HANDLE_HINT) & (_flag(native.F_AT) | _flag(native.F_LATIN4))
    # The lower-cased raw text (_raw_text().str.replace_many(_LOWER)), by the kernel, of the rows
    # whose e-mail, link, handle or glued-digit regexes run: a frame of those rows alone.
    lowered = frame.select(
        _flag(native.F_EMAIL_HINT) | _flag(native.F_LINK_HINT) | handle | _flag(native.F_SPREAD9 | native.F_GLUED2)
    ).to_series().arg_true()
    low_rows = pl.DataFrame([frame["__flags"].gather(lowered),
                             native.lower_texts(texts["title"], texts["description"], lowered).alias("__low")])
    low = pl.col("__low")

    def on_lowered(mask: pl.Expr, expr: pl.Expr) -> pl.Series:
        """``expr`` where ``mask`` holds (a subset of the lowered rows), null elsewhere."""
        found = _on_rows(low_rows, [mask], [expr]).to_series()
        return pl.repeat(None, frame.height, dtype=found.dtype, eager=True).alias(found.name).scatter(lowered, found)

    hinted = pl.DataFrame([
        on_lowered(mask, low.str.contains(pattern).alias(name))
        for mask, pattern, name in [(_flag(native.F_EMAIL_HINT), _EMAIL_RE, "email_in_text"),
                                    (_flag(native.F_LINK_HINT), _LINK_RE, "link_in_text"),
                                    (handle, _HANDLE_RE, "handle_in_text")]
    ])
    # Requisites ("инн 7701234567") are numbers, never contacts: gone before any phone search.
    rows = frame.select(_flag(native.F_REQUISITE_HINT)).to_series().arg_true()
    without = frame["__tok"].gather(rows).str.replace_all(_REQUISITES_RE, "")
    frame = frame.with_columns(frame["__tok"].scatter(rows, without).alias("__unlisted"))
    unlisted = pl.col("__unlisted")
    phones = _phones(frame)
    # A phone spread over the text: all its digits, measures aside, make one phone; or digits glued
    # into words in two places or more (each match of _GLUED_DIGITS_RE has a letter touching a digit).
    # (The kernel decides it where no requisite word is; the rest here.)
    undecided = _flag(native.F_SPREAD9) & ~_flag(native.F_PHONE_DECIDED)
    one_phone = _on_rows(frame, [undecided], [
        _without_measures(unlisted).str.contains(r"^\D*[78]\D*9(?:\D*\d){9}\D*$").alias("spread"),
    ])
    glued = on_lowered(_flag(native.F_SPREAD9 | native.F_GLUED2), (low.str.count_matches(_GLUED_DIGITS_RE) >= 2).alias("spread"))
    decided = frame.select(_flag(native.F_ONE_PHONE)).to_series()
    spread = pl.DataFrame({"spread": decided | one_phone["spread"].fill_null(False) | glued.fill_null(False)})
    local = _on_rows(frame, [_flag(native.F_RUN67) & _flag(native.F_CALL_HINT)], [
        unlisted.str.contains(_LOCAL_PHONE_RE).alias("local"),
    ])
    messenger = _on_rows(frame, [_flag(native.F_MESSENGER_HINT)], [
        tok.str.contains(_MESSENGER_RE).alias("messenger_mention")
    ])
    hidden = pl.DataFrame({
        "hidden_phone": spread["spread"].fill_null(False) | local["local"].fill_null(False),
    })
    present = frame["__tok"].is_not_null()
    features = pl.DataFrame([
        frame["__tok"].alias("text_norm"),
        pl.select(pl.when(present).then(frame["__norm_digits"].cast(pl.Int64))).to_series().alias("text_digit_count"),
        phones["text_phone"],
        *[
            pl.select(pl.when(present).then(part[name].fill_null(False))).to_series().alias(name)
            for part, name in [(phones, "phone_in_text"), (hidden, "hidden_phone"),
                               (hinted, "handle_in_text"), (hinted, "email_in_text"),
                               (hinted, "link_in_text"), (messenger, "messenger_mention")]
        ],
    ])
    features = _with_contact_signals(features)
    fallback = frame.select(_flag(native.F_FALLBACK)).to_series().arg_true()
    if fallback.len():  # characters the kernel's tables do not cover: the reference decides
        features = _scatter(features, fallback, _text_features(texts[fallback]))
    return features


def _with_contact_signals(features: pl.DataFrame) -> pl.DataFrame:
    signals = pl.sum_horizontal([pl.col(c).cast(pl.Int64) for c in _SIGNALS]).cast(pl.Int64)
    return features.with_columns(
        pl.when(pl.col("text_norm").is_null()).then(None).otherwise(signals).alias("contact_signals")
    ).select(list(TEXT_FEATURES))


def _text_features(df: pl.DataFrame) -> pl.DataFrame:
    """The TEXT_FEATURES columns of a frame with ``title`` and ``description``."""
    base = df.select(_raw_text().alias("__raw")).with_columns(_tokenise(pl.col("__raw")).alias("__tok"))
    raw, tok = pl.col("__raw"), pl.col("__tok")
    low = raw.str.replace_many(_LOWER)  # only where needed: e-mails, links, handles, glued digits
    # Number words need the full treatment; digit gaps alone only the joining passes (the same
    # result on such rows, at a third of the cost), and letters inside digit runs are rare.
    has_words = (pl.lit(" ") + tok + pl.lit(" ")).str.contains_any(_NUMBER_WORDS_PADDED)
    spelled = _on_rows(base, [has_words], [_deobfuscate(tok).alias("d"), has_words.alias("words")])
    words = spelled["words"].fill_null(False)
    gapped = _on_rows(base.with_columns(words=words), [~pl.col("words"), tok.str.contains(_HAS_DIGIT_GAP)],
                      [tok.str.contains(_LETTER_DIGIT).alias("letters"), tok])
    lettered = _on_rows(gapped, [pl.col("letters")], [_letters_as_digits(tok).alias("__tok")])
    joined = _on_rows(gapped.with_columns(lettered["__tok"].fill_null(gapped["__tok"])),
                      [tok.is_not_null()], [_join_digits(tok).alias("d")])
    # The lower-cased text has a hint exactly where the raw text has one of its spellings.
    hinted = _on_rows(base, [raw.str.contains_any(_RAW_CONTACT_HINTS, ascii_case_insensitive=True)], [
        low.str.contains(_EMAIL_RE).alias("email_in_text"),
        low.str.contains(_LINK_RE).alias("link_in_text"),
        low.str.contains(_HANDLE_RE).alias("handle_in_text"),
    ])
    norm_series = spelled["d"].fill_null(joined["d"]).fill_null(base["__tok"]).alias("text_norm")
    staged = base.with_columns(norm_series).with_columns(
        pl.col("text_norm").str.count_matches(r"\d").cast(pl.Int64).alias("text_digit_count")
    )
    norm = pl.col("text_norm")
    # Requisites ("инн 7701234567") are numbers, never contacts: gone before any phone search
    # (on the few rows that have a requisite word; \b makes that regex slow on Cyrillic).
    requisites = _on_rows(staged, [_has_requisite_word(norm)], [norm.str.replace_all(_REQUISITES_RE, "")])
    staged = staged.with_columns(requisites["text_norm"].fill_null(staged["text_norm"]).alias("__unlisted"))
    unlisted = pl.col("__unlisted")
    phone = unlisted.str.extract(_PHONE_RE, 1)
    count = pl.col("text_digit_count")
    # Each signal runs only where it can fire: a phone needs a run of ten digits, a spread-out
    # phone ten digits in the text, a local number six digits and a call word.
    phones = _on_rows(staged, [count >= 10, norm.str.contains(r"\d{10}")], _phone_exprs(phone))
    # "The digits of the text, read in order, contain a phone" without building that string;
    # measures ("89 см", "7 лет") are not digits of a phone.
    digits_only = _without_measures(unlisted)
    spread = _on_rows(staged, [count >= 10, norm.str.contains(r"9(?:\D*\d){9}")], [
        (
            digits_only.str.contains(r"^\D*[78]\D*9(?:\D*\d){9}\D*$")  # all its digits: one phone
            | (low.str.count_matches(_GLUED_DIGITS_RE) >= 2)  # or digits glued into words
        ).alias("spread"),
    ])
    padded = pl.lit(" ") + norm + pl.lit(" ")
    local = _on_rows(staged, [count >= 6, norm.str.contains(_SIX_OR_SEVEN_DIGITS), padded.str.contains_any(_CALL_HINTS)], [
        unlisted.str.contains(_LOCAL_PHONE_RE).alias("local"),
    ])
    hidden = pl.DataFrame({
        "hidden_phone": spread["spread"].fill_null(False) | local["local"].fill_null(False),
    })
    lone_short = norm.is_in([_fold(w) for w in _MESSENGERS_SHORT])  # the whole text is "тг"
    messenger = _on_rows(staged, [norm.str.contains_any(_MESSENGER_HINTS) | lone_short], [
        norm.str.contains(_MESSENGER_RE).alias("messenger_mention")
    ])
    present = staged["text_norm"].is_not_null()
    features = pl.DataFrame([
        staged["text_norm"],
        staged["text_digit_count"],
        phones["text_phone"],
        *[
            pl.select(pl.when(present).then(frame[name].fill_null(False))).to_series().alias(name)
            for frame, name in [(phones, "phone_in_text"), (hidden, "hidden_phone"),
                                (hinted, "handle_in_text"), (hinted, "email_in_text"),
                                (hinted, "link_in_text"), (messenger, "messenger_mention")]
        ],
    ])
    return _with_contact_signals(features)
