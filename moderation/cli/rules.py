"""``moderation rules ...``: check, test, explain, backtest and measure the rule library.

Thin: parse arguments, call ``moderation.rules`` functions, print, map problems to exit codes.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from moderation.cli import app

__all__ = ["rules_app"]

rules_app = typer.Typer(help="Write, check, test, explain and backtest rule files.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")

console = Console(highlight=False, soft_wrap=True)


def _default_rules_dir() -> Path:
    from moderation.settings import load_settings

    return load_settings().rules_dir


def _resolve(path: Path | None) -> tuple[Path, list[Path] | None]:
    """A rules directory, or one rule file checked against its directory's fields and lists."""
    if path is None:
        return _default_rules_dir(), None
    if path.is_file():
        root = path.parent if (path.parent / "fields.yaml").is_file() else _default_rules_dir()
        return root, [path]
    return path, None


def _load(rules_dir: Path | None):
    from moderation.rules import load_ruleset

    return load_ruleset(rules_dir or _default_rules_dir())


@rules_app.command("check")
def check(path: Path = typer.Argument(None, help="Rules directory or one rule file (default: settings.rules_dir).")) -> None:
    """Validate rule files like a compiler: every error as file:line with a hint; exit 1 on any."""
    from moderation.rules import check_rules

    root, only = _resolve(path)
    ruleset, diags = check_rules(root, only)
    for diag in diags:
        console.print(str(diag))
    if diags:
        console.print(f"{len(diags)} error(s)")
        raise typer.Exit(1)
    assert ruleset is not None
    console.print(
        f"ok: {len(ruleset.rules)} rule(s) — {len(ruleset.active)} active, {len(ruleset.shadow)} shadow — "
        f"{len(ruleset.lists)} list(s), ruleset version {ruleset.version}"
    )


