"""Turning listing texts into model inputs: head + tail truncation, shared by training and scoring.

A listing's signal sits at both ends: the category, price and title at the start, and the
"переведите предоплату по СБП" or the hidden contact at the very end of the description. An
encoder reads at most ``max_length`` tokens (and the bundled MiniLM splits Cyrillic into single
characters), so instead of cutting the tail off, a long text keeps its first half-budget of tokens
and its last: the head + tail truncation that works best for long documents in BERT fine-tuning
studies (Sun et al., 2019).
"""

from __future__ import annotations

from typing import Any

__all__ = ["encode_texts"]


def encode_texts(tokenizer: Any, texts: list[str], max_length: int) -> dict:
    """``input_ids`` and ``attention_mask`` tensors (padded to the longest row) for ``texts``."""
    import torch

    full = tokenizer(list(texts), add_special_tokens=True, truncation=False)["input_ids"]
    start, end = _special_counts(tokenizer)
    budget = max(1, max_length - start - end)
    head = (budget + 1) // 2
    rows = []
    for ids in full:
        body = ids[start : len(ids) - end]
        if len(body) > budget:
            body = body[:head] + body[len(body) - (budget - head) :]
        rows.append(ids[:start] + body + ids[len(ids) - end :])
    width = max(len(r) for r in rows)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    input_ids = torch.full((len(rows), width), pad, dtype=torch.long)
    attention = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        input_ids[i, : len(r)] = torch.as_tensor(r, dtype=torch.long)
        attention[i, : len(r)] = 1
    return {"input_ids": input_ids, "attention_mask": attention}


def _special_counts(tokenizer: Any) -> tuple[int, int]:
    """How many special tokens the tokenizer puts before and after a text ([CLS] ... [SEP]: 1, 1)."""
    body = tokenizer("a", add_special_tokens=False)["input_ids"]
    full = tokenizer("a", add_special_tokens=True)["input_ids"]
    for start in range(len(full) - len(body) + 1):
        if full[start : start + len(body)] == body:
            return start, len(full) - start - len(body)
    return 0, 0
