"""`accompany serve`: the scheduled flows as Prefect deployments.

Runs in the foreground (a Prefect Runner) against the Prefect API in
``PREFECT_API_URL`` — a `prefect server start` in production, or an ephemeral local
one when unset. ``pause_on_shutdown=False`` keeps the schedules active when the
process stops (the default would pause them, and nothing would run after a restart
until someone resumed them in the UI).
"""

from __future__ import annotations

from typing import Any

from ..config.settings import Settings

TIMEZONE = "Asia/Shanghai"


def build_deployments(settings: Settings) -> list[Any]:
    from prefect.schedules import Cron

    from .events import relay_events_flow
    from .reminders import dispatch_notifications_flow, send_reminders_flow
    from .reports import quarterly_report_flow

    return [
        send_reminders_flow.to_deployment(
            name="daily-sweep",
            schedules=[Cron(settings.sweep_cron, timezone=TIMEZONE)],
            tags=["accompany", "reminders"],
            description="Queue reminders and escalations (skips statutory non-working days).",
        ),
        dispatch_notifications_flow.to_deployment(
            name="outbox",
            schedules=[Cron(settings.dispatch_cron, timezone=TIMEZONE)],
            tags=["accompany", "notifications"],
            description="Deliver queued notifications through Apprise.",
        ),
        quarterly_report_flow.to_deployment(
            name="quarterly",
            schedules=[Cron(settings.report_cron, timezone=TIMEZONE)],
            tags=["accompany", "reports"],
            description="Write and send the quarterly compliance reports (first working day of a quarter).",
        ),
        relay_events_flow.to_deployment(
            name="event-feed",
            schedules=[Cron(settings.relay_cron, timezone=TIMEZONE)],
            tags=["accompany", "events"],
            description="Relay the event log to Prefect's event feed, once per event.",
        ),
    ]


def serve_forever(settings: Settings) -> None:
    from prefect import serve

    serve(*build_deployments(settings), pause_on_shutdown=False)
