"""`accompany` CLI — serving the web app."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import DbOption, handle_errors, load_settings, say, start_up_done
from .help import T


@handle_errors
def web(
    host: Annotated[str, typer.Option("--host", help=T("address to listen on"))] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help=T("port"))] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help=T("worker processes"))] = 1,
    proxy: Annotated[
        bool,
        typer.Option(
            "--behind-proxy", help=T("trust X-Forwarded-For/-Proto from the reverse proxy on this host")
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    import uvicorn

    from ..db.engine import redact_url

    start_up_done()  # a server: the cycle collector back on
    settings = load_settings()
    url = db or settings.resolved_database_url()
    if db:
        import os

        os.environ["ACCOMPANY_DATABASE_URL"] = db  # the worker processes read it
    say(
        "serving {base_url} on http://{host}:{port} ({workers} worker(s)), database {url} — Ctrl-C stops",
        base_url=settings.base_url,
        host=host,
        port=port,
        workers=workers,
        url=redact_url(url),
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
