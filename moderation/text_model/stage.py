"""A fine-tuned sequence classifier, loaded from a directory, that scores listing texts.

The directory is self-contained: the transformers model and tokenizer (``save_pretrained``) plus
``text_stage.json`` with the thresholds, the version and the scoring settings. Nothing is
downloaded: loading reads only that directory (or an MLflow artefact copied to one), so the
daily run works offline. Loading problems raise ``TextModelError`` naming the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from moderation.errors import TextModelError
from moderation.text_model.encode import encode_texts
from moderation.text_model.thresholds import TextThresholds

__all__ = ["TextStage", "STAGE_FILE", "load_text_stage_from_mlflow"]

STAGE_FILE = "text_stage.json"
FORMAT_VERSION = 1


@dataclass
class TextStage:
    """A loaded text model with its thresholds; ``predict_proba`` is the only thing scoring needs."""

    model: Any  # transformers PreTrainedModel (sequence classification, 2 labels)
    tokenizer: Any  # transformers tokenizer
    thresholds: TextThresholds
    version: str = "text/unversioned"
    max_length: int = 128
    batch_size: int = 32
    num_threads: int | None = None
    metrics: dict = field(default_factory=dict)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """``(n, 2)`` probabilities of [ok, violation], in input order.

        Texts are scored in batches sorted by length, so padding stays short; torch's thread
        count is set to ``num_threads`` for the call only (the machine is shared).
        """
        import torch

        texts = [t if isinstance(t, str) else "" for t in texts]
        out = np.zeros((len(texts), 2), dtype=np.float64)
        if not texts:
            return out
        order = np.argsort([len(t) for t in texts], kind="stable")
        previous = torch.get_num_threads()
        if self.num_threads:
            torch.set_num_threads(self.num_threads)
        self.model.eval()
        try:
            with torch.inference_mode():
                for start in range(0, len(texts), self.batch_size):
                    idx = order[start : start + self.batch_size]
                    enc = encode_texts(self.tokenizer, [texts[i] for i in idx], self.max_length)
                    logits = self.model(**enc).logits
                    out[idx] = torch.softmax(logits.float(), dim=-1).numpy()
        finally:
            torch.set_num_threads(previous)
        return out

    def save(self, directory: Path | str) -> Path:
        """Write model, tokenizer and ``text_stage.json`` to ``directory`` (created if needed)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(directory)
        self.tokenizer.save_pretrained(directory)
        meta = {
            "format_version": FORMAT_VERSION,
            "version": self.version,
            "max_length": self.max_length,
            "batch_size": self.batch_size,
            "thresholds": self.thresholds.to_dict(),
            "metrics": self.metrics,
        }
        (directory / STAGE_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
        return directory

    @classmethod
    def load(
        cls, directory: Path | str, *, num_threads: int | None = None, batch_size: int | None = None
    ) -> TextStage:
        """Load a directory written by ``save``; every problem raises ``TextModelError``."""
        directory = Path(directory)
        if not directory.is_dir():
            raise TextModelError(
                f"text model directory {directory} does not exist. "
                f"Train one with `moderation text-model train --out {directory}`."
            )
        meta = _read_meta(directory / STAGE_FILE)
        try:
            thresholds = TextThresholds.from_dict(meta["thresholds"])
        except (TypeError, ValueError) as exc:
            raise TextModelError(f"{directory / STAGE_FILE}: bad 'thresholds': {exc}") from None
        model, tokenizer = _load_transformers(directory)
        return cls(
            model=model,
            tokenizer=tokenizer,
            thresholds=thresholds,
            version=str(meta["version"]),
            max_length=int(meta.get("max_length", 128)),
            batch_size=int(batch_size or meta.get("batch_size", 32)),
            num_threads=num_threads,
            metrics=dict(meta.get("metrics", {})),
        )


def _read_meta(path: Path) -> dict:
    if not path.is_file():
        raise TextModelError(
            f"{path} is missing: {path.parent} is not a text-stage model directory "
            f"(expected {STAGE_FILE} next to the transformers model files)."
        )
    try:
        meta = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TextModelError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise TextModelError(f"{path} must hold a JSON object. Got {type(meta).__name__} instead.")
    missing = [k for k in ("format_version", "version", "thresholds") if k not in meta]
    if missing:
        raise TextModelError(f"{path} lacks required key(s) {missing}.")
    if meta["format_version"] != FORMAT_VERSION:
        raise TextModelError(
            f"{path}: format_version must be {FORMAT_VERSION}. Got {meta['format_version']!r} instead."
        )
    return meta


def _load_transformers(directory: Path) -> tuple[Any, Any]:
    """Model and tokenizer from local files only (``local_files_only``: never the hub)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(directory, local_files_only=True)
    except Exception as exc:  # transformers raises OSError, ValueError, safetensors errors, ...
        raise TextModelError(
            f"cannot load the transformers model in {directory}: {type(exc).__name__}: {exc}"
        ) from None
    if getattr(model.config, "num_labels", None) != 2:
        raise TextModelError(
            f"{directory / 'config.json'}: the text model must have 2 labels (ok, violation). "
            f"Got num_labels={model.config.num_labels} instead."
        )
    model.eval()
    return model, tokenizer


def load_text_stage_from_mlflow(
    artifact_uri: str, *, tracking_uri: str, num_threads: int | None = None
) -> TextStage:
    """Copy a logged text-model artefact (e.g. ``runs:/<run_id>/text_model``) locally and load it."""
    import mlflow

    try:
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=artifact_uri, tracking_uri=tracking_uri
        )
    except Exception as exc:  # mlflow raises MlflowException / OSError for unknown runs and paths
        raise TextModelError(
            f"cannot fetch text model {artifact_uri} from {tracking_uri}: {exc}"
        ) from None
    return TextStage.load(local, num_threads=num_threads)
