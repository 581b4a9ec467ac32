"""``moderation rules suggest`` and ``moderation rules promote``: the promotion workflow.

Thin: parse arguments, call ``pipelines.suggest``, print what was written. Nothing is ever
promoted automatically — ``promote`` is a person's command and a plain edit of one rule file.
"""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path

import typer

from moderation.cli.rules import console, rules_app

__all__ = ["suggest_command", "promote_command"]


def _parse_date(value: str) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"--since must be a date like 2026-01-31. Got {value!r} instead.") from None
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


@rules_app.command("suggest")
def suggest_command(
    since: str = typer.Option(..., "--since", help="Mine reviewer decisions made after this date (YYYY-MM-DD)."),
    out: Path = typer.Option(None, "--out", help="Report directory (default: HOME/suggestions/<today>)."),
    history: list[Path] = typer.Option(
        [], "--history", help="Scored history for the backtest: listings dumps whose decisions sit in runs (repeatable)."
    ),
    runs: list[Path] = typer.Option([], "--runs", help="Run directories (decisions.parquet) matching --history, same order."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Write only the report, no rule files."),
) -> None:
    """Propose shadow rules and list entries from reviewer decisions, with their evidence."""
    from moderation.settings import load_settings
    from pipelines.suggest import read_history, run_suggest

    settings = load_settings()
    started = _parse_date(since)
    out = out or settings.home / "suggestions" / dt.date.today().isoformat()
    frame = read_history(history, runs) if history else None
    result = run_suggest(settings, started, out, history=frame, write_rules=not dry_run)
    for cand in result.candidates:
        ev = cand.evidence
        mark = "[green]propose[/]" if cand.verdict == "propose" else "[red]drop[/]"
        console.print(
            f"{mark} {cand.id} ({cand.kind}, {cand.reason_code}): support {ev.get('support', 0)}, "
            f"precision {ev.get('precision', 0.0):.3f}, coverage {ev.get('coverage', 0.0):.1%} — {cand.why}"
        )
    for path in result.written:
        console.print(f"wrote {path}")
    if result.report_path:
        console.print(f"report: {result.report_path} (and report.html, candidates.json)")
    console.print(f"{len(result.proposed)} candidate(s) proposed as shadow rules; "
                  "promote one with `moderation rules promote ID` after reading its evidence")


@rules_app.command("promote")
def promote_command(
    rule_id: str = typer.Argument(..., help="Id of a shadow rule to make active."),
    who: str = typer.Option(None, "--who", help="Who promotes it (default: the login name)."),
) -> None:
    """Turn a shadow rule active: edits its `status:` line and records who and when in provenance."""
    from moderation.settings import load_settings
    from pipelines.suggest import promote_rule

    settings = load_settings()
    path = promote_rule(settings.rules_dir, rule_id, who=who or getpass.getuser())
    console.print(f"promoted {rule_id}: {path} now has status active (review the diff and commit it)")
