"""The ``moderation`` command: parses arguments, calls library functions, maps errors to exit codes.

Each command group lives in its own module and registers itself on ``app``.
"""

from __future__ import annotations

import sys

import typer

from moderation.errors import ModerationError

__all__ = ["app", "main"]

app = typer.Typer(
    name="moderation",
    help="Listing moderation pipeline: generate data, train, score, review, promote rules.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

def _register_commands() -> None:
    # Imported here so that `moderation --help` lists every group; each module adds its commands.
    for optional in (
        "generate", "train", "score", "model", "rules", "promotion", "text_model", "queue", "simulate",
    ):
        try:
            __import__(f"moderation.cli.{optional}")
        except ModuleNotFoundError as exc:
            if exc.name != f"moderation.cli.{optional}":
                raise


_register_commands()


def main() -> None:
    """Console entry point: user errors print one clear message and exit non-zero.

    Usage errors (bad options) are reported by Typer itself with exit status 2.
    """
    try:
        app()
    except ModerationError as exc:
        # Plain text: error lines must stay whole in logs and pipes (no wrapping).
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
