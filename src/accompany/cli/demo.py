"""`accompany` CLI — the demo."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import handle_errors, start_up_done
from .help import T


@handle_errors
def demo(
    db: Annotated[
        str | None, typer.Option("--db", help=T("database URL (default: a throwaway SQLite file)"))
    ] = None,
    prefect: Annotated[
        bool,
        typer.Option("--prefect/--no-prefect", help=T("drive the lifecycle through the Prefect flows")),
    ] = True,
    keep: Annotated[bool, typer.Option("--keep", help=T("keep the throwaway database"))] = False,
    web: Annotated[
        bool,
        typer.Option("--web", help=T("then build a portfolio and serve the web app with a sign-in per role")),
    ] = False,
    host: Annotated[str, typer.Option("--host", help=T("with --web: address to listen on"))] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help=T("with --web: port"))] = 8000,
) -> None:
    """Run a whole project lifecycle on a throwaway database with a simulated clock
    (and, with --web, serve the web app on it: one sign-in per role)."""
    from rich.console import Console

    from ..demo import run_demo

    start_up_done()  # the demo may serve the web app: the cycle collector back on
    # the demo's own narrative uses markup; everything from people in it is Text
    console = Console(highlight=False)

    then = None
    if web:
        from ..demo_web import web_demo
        from .web import refuse_a_busy_port

        # before the whole lifecycle runs, not after it (the server's own error came last)
        refuse_a_busy_port(host, port)
        then = web_demo(host, port, console)
    run_demo(database_url=db, use_prefect=prefect, keep=keep, console=console, then=then)
