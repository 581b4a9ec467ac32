"""``moderation queue``: serve the review queue (API + moderator UI), add users, print stats."""

from __future__ import annotations

import json

import typer

from moderation.cli import app

queue_app = typer.Typer(help="Review queue: serve the API and web UI, manage users, report.", no_args_is_help=True)
app.add_typer(queue_app, name="queue")


def _open(url: str | None):
    from moderation.settings import load_settings
    from review_queue import open_store

    settings = load_settings(queue_url=url)
    return open_store(settings.resolved_queue_url), settings.resolved_queue_url


_URL = typer.Option(None, "--url", help="Queue database URL (default: MODERATION_QUEUE_URL or SQLite under var/).")


@queue_app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    url: str = _URL,
) -> None:
    """Start the API and the moderator web UI; prints the URL to open."""
    import uvicorn

    from review_queue.api import create_app
    from review_queue.ui import ui_url

    store, _ = _open(url)
    typer.echo(f"review queue UI: {ui_url(host, port)}  (API docs: {ui_url(host, port)}docs)")
    try:
        uvicorn.run(create_app(store), host=host, port=port, log_level="warning")
    finally:
        store.close()


@queue_app.command("add-user")
def add_user(
    name: str = typer.Argument(..., help="User name (letters, digits, '.', '-', '_')."),
    role: str = typer.Option(..., "--role", help="moderator | senior | policy | admin"),
    url: str = _URL,
) -> None:
    """Create a user and print their token (shown only this once; only its hash is stored)."""
    store, _ = _open(url)
    try:
        token = store.users.add(name, role)
    finally:
        store.close()
    typer.echo(f"created {name} ({role}); token (store it now, it is not shown again):")
    typer.echo(token)


@queue_app.command("stats")
def stats(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
    url: str = _URL,
) -> None:
    """Backlog by reason and age, SLA breaches, throughput per moderator, agreement."""
    from review_queue.report import render

    store, resolved = _open(url)
    try:
        report = store.stats()
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        render(report, resolved)
