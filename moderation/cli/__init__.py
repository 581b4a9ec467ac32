"""The ``moderation`` command: parses arguments, calls library functions, maps errors to exit codes.

Each command group lives in its own module and registers itself on ``app``.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from moderation.errors import ModerationError

__all__ = ["app", "main"]

app = typer.Typer(
    name="moderation",
    help="Listing moderation pipeline: generate data, train, score, review, promote rules.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

err_console = Console(stderr=True)


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
    """Console entry point: user errors print one clear message and exit non-zero."""
    try:
        app(standalone_mode=False)
    except ModerationError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except Exception as exc:  # click usage errors carry their own exit code
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        raise
