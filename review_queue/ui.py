"""The moderator web UI: one server-rendered page plus a small script, served by the API app.

The page and its assets hold no data and need no token (a browser cannot send a bearer token
when it first loads a page); every piece of data comes from the authenticated /api endpoints.
Listing text is untrusted: the template autoescapes, and the script only ever inserts text
nodes (never innerHTML), so a listing cannot inject markup or script.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from moderation.schema import VIOLATIONS

__all__ = ["mount", "ui_url", "PUBLIC_PATHS", "SHORTCUTS"]

ASSETS = Path(__file__).resolve().parent / "ui_assets"
PUBLIC_PATHS = ("/", "/ui/app.js", "/ui/app.css")

# key -> (decision, reason code): 'a' approves, digits block with a violation.
SHORTCUTS: tuple[tuple[str, str, str], ...] = (
    ("a", "approve", "ok"),
    *((str(i + 1), "block", code) for i, code in enumerate(VIOLATIONS)),
)

_env = Environment(loader=FileSystemLoader(ASSETS), autoescape=select_autoescape(["html"]))


def ui_url(host: str = "127.0.0.1", port: int = 8000) -> str:
    """Where ``moderation queue serve`` shows the queue (what the demo prints)."""
    return f"http://{host}:{port}/"


def mount(app: FastAPI) -> None:
    page = _env.get_template("index.html").render(shortcuts=SHORTCUTS)
    headers = {
        "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                                   "img-src 'self' data:; object-src 'none'; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }

    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(page, headers=headers)

    @app.get("/ui/app.js", include_in_schema=False)
    def script() -> FileResponse:
        return FileResponse(ASSETS / "app.js", media_type="text/javascript", headers=headers)

    @app.get("/ui/app.css", include_in_schema=False)
    def style() -> FileResponse:
        return FileResponse(ASSETS / "app.css", media_type="text/css", headers=headers)
