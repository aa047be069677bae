"""`accompany` CLI — serving the web app."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import (
    EXIT_UNAVAILABLE,
    DbOption,
    cli_language,
    fail,
    handle_errors,
    load_settings,
    say,
    start_up_done,
)
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
    refuse_a_busy_port(host, port)
    say(
        "listening on http://{host}:{port} ({workers} worker(s)), database {url} — Ctrl-C stops",
        host=host,
        port=port,
        workers=workers,
        url=redact_url(url),
    )
    say(
        "links in invites and messages start with {base_url} (ACCOMPANY_BASE_URL)", base_url=settings.base_url
    )
    if "base_url" not in settings.model_fields_set and not reaches(settings.base_url, host, port):
        say(
            "warning: ACCOMPANY_BASE_URL is not set, so those links point to {base_url}, not to this "
            "server: set it to the address people open",
            style="yellow",
            base_url=settings.base_url,
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


#: addresses that mean "every interface": a base URL with any host reaches them
ANY_HOST = ("0.0.0.0", "::", "")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def reaches(base_url: str, host: str, port: int) -> bool:
    """Whether links starting with ``base_url`` lead to a server listening on
    ``host``:``port`` (a reverse proxy in between is what ACCOMPANY_BASE_URL is set
    for, so only an unset one is compared)."""
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    try:
        base_port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return False
    base_host = (parts.hostname or "").lower()
    same_host = (
        host in ANY_HOST or base_host == host.lower() or (base_host in LOOPBACK and host.lower() in LOOPBACK)
    )
    return same_host and base_port == port


def refuse_a_busy_port(host: str, port: int) -> None:
    """Before announcing the server: a port another process listens on (or an address
    this machine does not have) is one line and the unavailable-service exit code,
    not the server's own English error after the announcement."""
    import errno
    import socket

    from ..i18n import translate

    lang = cli_language()
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            # as the server binds: a port left in TIME_WAIT by a stopped server is free
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            message = translate(
                "port {port} is already in use on {host} (another server is listening there): "
                "stop it or choose another --port",
                lang,
                port=port,
                host=host,
            )
        else:
            message = translate(
                "cannot listen on {host}:{port}: {detail}",
                lang,
                host=host,
                port=port,
                detail=exc.strerror or exc,
            )
        raise fail(message, EXIT_UNAVAILABLE) from None
