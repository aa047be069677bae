"""Reminder sweep and outbox dispatch as Prefect flows, and the deployments that
run them on Asia/Shanghai schedules (`accompany serve`). They read the database
URL and the Apprise config from the worker's own settings, never from parameters."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from prefect import flow, get_run_logger

from ..models.deadlines import local_date
from ..services.dispatch import dispatch
from ..services.reminders import sweep
from .app import flow_app, this_run_day


def sweep_run_name() -> str:
    """``send-reminders 2026-04-09``: the day swept."""
    return f"send-reminders {this_run_day()}"


def dispatch_run_name() -> str:
    return f"dispatch-notifications {this_run_day()}"


@flow(name="send-reminders", flow_run_name=sweep_run_name)
async def send_reminders_flow(now: dt.datetime | None = None, force: bool = False) -> dict[str, Any]:
    """The daily sweep: recompute deadlines touched by new calendar data, then queue
    the reminders and escalations due today. Skips statutory non-working days (the
    cron fires daily; make-up working Saturdays count) unless ``force``."""
    app = flow_app(now)
    logger = get_run_logger()
    today = local_date(app.now())
    if not force and not app.calendar.is_working_day(today):
        logger.info("%s is not a working day: no sweep", today)
        return {"today": today.isoformat(), "skipped": "not a working day"}
    result = await asyncio.to_thread(sweep, app)
    logger.info(
        "sweep %s: %d stages considered, %d queued, %d already queued, %d deadlines recomputed",
        today,
        result.stages_considered,
        result.queued,
        result.already_queued,
        result.deadlines_recomputed,
    )
    if result.calendar_refused is not None:  # an operator must give this worker the calendar
        logger.warning("%s", result.calendar_refused)
    audit = result.audit
    if audit is not None and audit.finding is not None:
        logger.error(
            "event log: hash chain broken at event #%d (%s); %d new alert(s) queued",
            audit.finding.record.id,
            audit.finding.problem.value,
            result.audit_alerts,
        )
    return {
        "today": today.isoformat(),
        "queued": result.queued,
        "already_queued": result.already_queued,
        "by_kind": result.by_kind(),
        "deadlines_recomputed": result.deadlines_recomputed,
        "audit": audit.to_dict() if audit is not None else None,
    }


@flow(name="dispatch-notifications", flow_run_name=dispatch_run_name, retries=2, retry_delay_seconds=30)
async def dispatch_notifications_flow(now: dt.datetime | None = None) -> dict[str, Any]:
    """Deliver the outbox through Apprise. Per-message retries and dead-lettering
    live in the outbox; the flow's own retries cover the database or the config
    being briefly unavailable."""
    app = flow_app(now)
    result = await asyncio.to_thread(dispatch, app, app.notifier())
    get_run_logger().info(
        "dispatch: %d claimed, %d messages, %d sent, %d retry, %d dead%s",
        result.claimed,
        result.messages,
        result.sent,
        result.retried,
        result.dead,
        " (quiet hours)" if result.quiet else "",
    )
    return result.summary()
