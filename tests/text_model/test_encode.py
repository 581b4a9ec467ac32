"""Head + tail truncation keeps both ends of a long listing within max_length."""

from __future__ import annotations

from transformers import AutoTokenizer

from moderation.text_model.encode import encode_texts


def test_long_texts_keep_head_and_tail(tiny_base):
    tokenizer = AutoTokenizer.from_pretrained(tiny_base)
    long = "продам диван " + "самовывоз " * 60 + "предоплата на карту"
    enc = encode_texts(tokenizer, [long, "продам диван"], max_length=24)
    assert enc["input_ids"].shape == (2, 24)
    assert enc["attention_mask"].sum(dim=1).tolist()[0] == 24
    tokens = tokenizer.convert_ids_to_tokens(enc["input_ids"][0].tolist())
    text = tokenizer.convert_tokens_to_string(tokens[1:-1]).replace(" ", "")
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"
    assert text.startswith("продамдиван") and text.endswith("предоплатанакарту")


def test_short_texts_are_padded_not_cut(tiny_base):
    tokenizer = AutoTokenizer.from_pretrained(tiny_base)
    enc = encode_texts(
        tokenizer, ["продам диван", "продам диван в хорошем состоянии"], max_length=64
    )
    full = tokenizer("продам диван в хорошем состоянии")["input_ids"]
    assert enc["input_ids"][1].tolist() == full
    short = enc["attention_mask"][0].sum().item()
    assert enc["input_ids"][0, short:].eq(tokenizer.pad_token_id).all()
