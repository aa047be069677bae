"""The event log in Prefect's event feed: the adapter that hands a batch of events
to the Prefect API, and the ``relay-events`` flow that runs the relay every minute
(`accompany serve`, prefect.yaml). `accompany events relay` runs the same relay by
hand.

The batch goes to the API's ``POST /events`` in one request, which answers only
once the server has taken every event of it: the relay advances its cursor on that
answer. (``prefect.events.emit_event`` queues events on a background worker and
returns before they are sent, so a relay could not know when to move on.)"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from prefect import flow, get_run_logger

from ..services.ports import FeedUnavailable
from ..services.relay import relay
from .app import flow_app

#: events a scheduled run relays at most (the rest waits for the next run)
FLOW_LIMIT = 5000


class PrefectEventFeed:
    """Prefect's event feed at the API the caller is configured for
    (``PREFECT_API_URL``). ``require_api_url``: refuse when none is configured,
    instead of starting a throwaway local server (the CLI; a flow run always has
    its API)."""

    def __init__(self, *, require_api_url: bool = False):
        self.require_api_url = require_api_url

    def send(self, events: Sequence[dict[str, Any]]) -> None:
        from prefect.client.orchestration import get_client
        from prefect.events import Event
        from prefect.settings import PREFECT_API_URL

        if self.require_api_url and not PREFECT_API_URL.value():
            raise FeedUnavailable("PREFECT_API_URL is not set")
        # validated here, so a malformed event fails this side, not as a 422
        body = [Event.model_validate(e).model_dump(mode="json") for e in events]
        try:
            with get_client(sync_client=True) as client:
                response = client.request("POST", "/events", json=body)  # type: ignore[arg-type]
                response.raise_for_status()
        except Exception as exc:  # unreachable, refused, timed out, rejected
            raise FeedUnavailable(_describe(exc)) from exc


def _describe(exc: Exception) -> str:
    """One line naming the failure (no headers, no API key)."""
    import httpx

    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code} from {exc.request.url.copy_with(query=None)}"
    if isinstance(exc, httpx.RequestError):
        where = exc.request.url.copy_with(query=None) if exc._request is not None else "the Prefect API"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no answer'} ({where})"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


@flow(name="relay-events")
async def relay_events_flow(limit: int = FLOW_LIMIT) -> dict[str, Any]:
    """Relay the event log's new events to Prefect's event feed, exactly once (see
    :mod:`accompany.services.relay`). Fails the run when Prefect did not take a
    batch: those events stay queued for the next run."""
    app = flow_app()
    result = await asyncio.to_thread(relay, app, PrefectEventFeed(), limit=limit)
    logger = get_run_logger()
    logger.info(
        "relay: %d event(s) in %d batch(es); cursor at event #%d, %d waiting",
        result.sent,
        result.batches,
        result.cursor,
        result.pending,
    )
    if not result.ok:
        raise RuntimeError(f"Prefect did not take the events: {result.error}")
    return result.to_dict()
