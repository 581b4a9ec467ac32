"""A tiny BERT and tokenizer built on the fly from test texts (no hub, seconds on a CPU)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

OK_PHRASES = [
    "продам диван в хорошем состоянии самовывоз",
    "детская коляска почти новая торг уместен",
    "велосипед горный размер рамы 18 отдам недорого",
    "шкаф купе белый доставка по городу",
    "куртка зимняя размер 48 носили один сезон",
    "щенки лабрадора привиты документы есть",
]
BAD_PHRASES = [
    "только предоплата на карту сбер отправлю почтой",
    "пишите в телеграм ватсап звонки не принимаю",
    "переведите залог на карту бронь без просмотра",
    "заработок от 5000 в день без опыта пишите в тг",
]


def make_texts(n: int, seed: int, violation_share: float = 0.3) -> tuple[list[str], np.ndarray]:
    """An easy synthetic task: violations carry scam/contact phrases, ok listings do not."""
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < violation_share).astype(np.int64)
    texts = []
    for y in labels:
        base = OK_PHRASES[rng.integers(len(OK_PHRASES))]
        if y:
            bad = BAD_PHRASES[rng.integers(len(BAD_PHRASES))]
            texts.append(f"{base} {bad}" if rng.random() < 0.5 else f"{bad} {base}")
        else:
            other = OK_PHRASES[rng.integers(len(OK_PHRASES))]
            texts.append(f"{base} {other}")
    return texts, labels


def build_tiny_base(directory: Path, texts: list[str]) -> Path:
    """A randomly initialised 2-layer BERT (hidden 32) and a WordPiece tokenizer trained on ``texts``."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(
        texts, trainers.WordPieceTrainer(vocab_size=300, special_tokens=special)
    )
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    config = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=160,
        pad_token_id=tok.token_to_id("[PAD]"),
    )
    import torch

    torch.manual_seed(0)
    BertModel(config).save_pretrained(directory)
    fast.save_pretrained(directory)
    return directory
