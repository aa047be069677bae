"""`accompany` CLI — serving the web app."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import DbOption, console, handle_errors, load_settings


@handle_errors
def web(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="port")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="worker processes")] = 1,
    proxy: Annotated[
        bool,
        typer.Option(
            "--behind-proxy", help="trust X-Forwarded-For/-Proto from the reverse proxy on this host"
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Serve the web app and the API (/api/v1, docs at /api/docs) — on SQLite or on
    PostgreSQL. In production: several workers behind a reverse proxy (see README)."""
    import uvicorn

    from ..db.engine import redact_url

    settings = load_settings()
    url = db or settings.resolved_database_url()
    if db:
        import os

        os.environ["ACCOMPANY_DATABASE_URL"] = db  # the worker processes read it
    console.print(
        f"serving {settings.base_url} on http://{host}:{port} ({workers} worker(s)), "
        f"database {redact_url(url)} — Ctrl-C stops"
    )
    uvicorn.run(
        "accompany.web.server:asgi_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=proxy,
        forwarded_allow_ips="127.0.0.1" if proxy else None,
        log_level="warning",
        server_header=False,
    )
