"""`accompany` CLI — the event log in Prefect's event feed."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import (
    EXIT_UNAVAILABLE,
    DbOption,
    JsonOption,
    cli_language,
    fail,
    handle_errors,
    make_app,
    print_json,
    say,
)
from .help import T

events_app = typer.Typer(help=T("The event log in Prefect's event feed."), no_args_is_help=True)


@events_app.command(
    "relay",
    help=T(
        "Send the event log's new events to Prefect's event feed (at $PREFECT_API_URL), in order and "
        "exactly once; the relay-events flow does the same every minute. Exit 69 when Prefect did "
        "not take them (they stay queued)."
    ),
)
@handle_errors
def events_relay(
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, help=T("send at most N events"), show_default=False),
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    from ..flows.events import PrefectEventFeed
    from ..i18n import translate
    from ..services.relay import relay

    application = make_app(db)
    result = relay(application, PrefectEventFeed(require_api_url=True), limit=limit)
    if json_out:
        print_json(result.to_dict())
    elif result.sent or result.ok:
        say(
            "relayed {sent} event(s) to Prefect in {batches} batch(es); cursor at event #{cursor}, "
            "{pending} waiting",
            sent=result.sent,
            batches=result.batches,
            cursor=result.cursor,
            pending=result.pending,
        )
    if not result.ok:
        raise fail(
            translate(
                "Prefect did not take the events: {detail}; {pending} event(s) stay queued after event "
                "#{cursor}",
                cli_language(),
                detail=result.error,
                pending=result.pending,
                cursor=result.cursor,
            ),
            EXIT_UNAVAILABLE,
        )
