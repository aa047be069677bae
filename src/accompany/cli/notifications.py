"""`accompany` CLI — reminders, the notification outbox and the scheduled flows."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import (
    DbOption,
    JsonOption,
    NowOption,
    console,
    handle_errors,
    load_settings,
    make_app,
    print_json,
)

reminders_app = typer.Typer(help="The reminder sweep.", no_args_is_help=True)
notifications_app = typer.Typer(help="The notification outbox and channels.", no_args_is_help=True)


@reminders_app.command("run")
@handle_errors
def reminders_run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="show what would be queued, queue nothing")
    ] = False,
    show: Annotated[int, typer.Option("--show", min=0, help="list at most this many of the reminders")] = 20,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    """Run one reminder sweep by hand and show what it queued."""
    from rich.progress import Progress

    from ..services.reminders import sweep

    application = make_app(db, now)
    with Progress(console=console, transient=True, disable=json_out) as bar:
        task = bar.add_task("queueing", total=None)
        result = sweep(
            application,
            dry_run=dry_run,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if json_out:
        print_json(
            {
                "today": result.today.isoformat(),
                "dry_run": dry_run,
                "stages_considered": result.stages_considered,
                "queued": result.queued,
                "already_queued": result.already_queued,
                "deadlines_recomputed": result.deadlines_recomputed,
                "by_kind": result.by_kind(),
                "notifications": [
                    {
                        "key": i.dedupe_key,
                        "audience": i.audience,
                        "kind": i.kind.value,
                        "project_id": i.project_id,
                        "stage": i.stage,
                        "new": result.is_new(i),
                    }
                    for i in result.intents
                ],
            }
        )
        return
    verb = "would queue" if dry_run else "queued"
    console.print(
        f"{result.today}: {result.stages_considered} open stage(s) considered; {verb} "
        f"{result.queued} new notification(s), {result.already_queued} already queued"
        + (f"; {result.deadlines_recomputed} deadline(s) recomputed" if result.deadlines_recomputed else "")
    )
    if result.intents:
        from rich.table import Table
        from rich.text import Text

        from ..labels import audience_label, label
        from ..services.outbox import directory_names

        lang = application.lang
        with application.reader() as uow:
            names = directory_names(uow.session)
        table = Table()
        for column in ("", "to", "kind", "project", "stage", "due"):
            table.add_column(column)
        # the new ones first: they are what this run did
        shown = sorted(result.intents, key=lambda i: not result.is_new(i))[:show]
        for intent in shown:
            new = result.is_new(intent)
            table.add_row(
                Text("new" if new else "already queued", style="green" if new else "dim"),
                Text(audience_label(intent.audience, lang, *names)),
                Text(label("notification", intent.kind.value, lang)),
                Text(f"#{intent.project_id} {intent.payload.get('project')}"),
                Text(str(intent.payload.get("stage_name") or intent.stage or "")),
                Text(str(intent.payload.get("due") or "")),
            )
        console.print(table)
        if len(result.intents) > show:
            console.print(f"… and {len(result.intents) - show} more (--show N, or --json)")


@notifications_app.command("dispatch")
@handle_errors
def notifications_dispatch(db: DbOption = None, now: NowOption = None) -> None:
    """Deliver what is due in the outbox now, through the Apprise channels."""
    from ..services.dispatch import dispatch

    application = make_app(db, now)
    result = dispatch(application, application.notifier())
    if result.quiet:
        console.print("quiet hours (or a non-working day): nothing sent now")
        return
    extra = [
        f"{n} {what}"
        for n, what in (
            (result.dropped, "dropped (no longer true)"),
            (result.timeouts, "timed out (may have been received)"),
            (result.released, "left to another dispatcher"),
            (result.unrecorded, "delivered but not recorded (may be repeated)"),
        )
        if n
    ]
    console.print(
        f"{result.claimed} notification(s) in {result.messages} message(s): {result.sent} sent, "
        f"{result.retried} to retry, {result.dead} dead" + "".join(f", {e}" for e in extra),
        markup=False,
    )
    for error in sorted(set(result.errors))[:10]:
        console.print("failed: " + error, style="red", markup=False)


@notifications_app.command("list")
@handle_errors
def notifications_list(
    failed: Annotated[bool, typer.Option("--failed", help="only dead-lettered and retrying")] = False,
    pending: Annotated[bool, typer.Option("--pending", help="only not yet sent")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 100,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """The outbox: what was queued, sent, is waiting to retry or failed for good."""
    from sqlalchemy import select

    from ..db.orm import NotificationRow
    from ..labels import audience_label, label
    from ..services.outbox import directory_names
    from ..services.queries import local

    application = make_app(db)
    with application.reader() as uow:
        query = select(NotificationRow).order_by(NotificationRow.id.desc()).limit(limit)
        if failed:
            query = query.where(NotificationRow.status.in_(("dead", "retry")))
        elif pending:
            query = query.where(NotificationRow.status.in_(("pending", "retry", "sending")))
        rows = list(uow.session.scalars(query))
        names = directory_names(uow.session)
    lang = application.lang
    if json_out:
        print_json(
            [
                {
                    "id": r.id,
                    "status": r.status,
                    "kind": r.kind,
                    "audience": r.audience,
                    "audience_name": audience_label(r.audience, lang, *names),
                    "project_id": r.project_id,
                    "project": (r.payload or {}).get("project"),
                    "stage": r.stage_key,
                    "stage_name": (r.payload or {}).get("stage_name"),
                    "attempts": r.attempts,
                    "next_attempt_at": local(r.next_attempt_at),
                    "sent_at": local(r.sent_at),
                    "last_error": r.last_error,
                    "key": r.dedupe_key,
                }
                for r in rows
            ]
        )
        return
    if not rows:
        console.print("no notifications match")
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Notifications")
    for column in ("id", "status", "kind", "to", "project", "stage", "tries", "next / sent", "error"):
        table.add_column(column)
    for r in rows:
        when = local(r.sent_at) if r.status == "sent" else local(r.next_attempt_at)
        payload = r.payload or {}
        project = f"#{r.project_id} {payload.get('project') or ''}".strip() if r.project_id else ""
        table.add_row(
            str(r.id),
            label("notification_status", r.status, lang),
            label("notification", r.kind, lang),
            Text(audience_label(r.audience, lang, *names)),
            Text(project),
            Text(str(payload.get("stage_name") or r.stage_key or "")),
            str(r.attempts),
            when.strftime("%Y-%m-%d %H:%M") if when else "",
            Text(r.last_error or ""),
        )
    console.print(table)


@notifications_app.command("retry")
@handle_errors
def notifications_retry(
    ids: Annotated[list[int] | None, typer.Argument(help="notification ids (default: all dead ones)")] = None,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    """Put dead-lettered notifications back in the queue (after fixing a channel)."""
    from ..services.outbox import retry_dead

    application = make_app(db, now)
    count = retry_dead(application, ids or None)
    console.print(f"{count} notification(s) queued again; they go out with the next dispatch")


@notifications_app.command("channels")
@handle_errors
def notifications_channels(db: DbOption = None) -> None:
    """The Apprise channels (URLs masked) and which people and offices they reach."""
    from rich.table import Table
    from rich.text import Text

    from ..models.reminders import audience_tag, district, person, street_office

    application = make_app(db)
    notifier = application.notifier()
    table = Table(title=f"Channels in {notifier.path}")
    table.add_column("channel (secrets masked)")
    table.add_column("tags")
    for channel, tags in notifier.all_channels():
        table.add_row(Text(channel.label), Text(", ".join(sorted(tags))))
    console.print(table)
    for problem in notifier.problems:
        console.print(f"[yellow]not loaded:[/] {problem}")
    with application.reader() as uow:
        people = uow.people.all()
        districts = uow.people.districts()
    audiences = {person(p.id) for p in people if p.role.value in ("planner", "coordinator")}
    audiences |= {street_office(s.id) for d in districts for s in d.streets}
    audiences |= {district(d.id) for d in districts}
    missing = sorted(a for a in audiences if not notifier.channels(audience_tag(a)))
    if missing:
        from ..labels import audience_label
        from ..services.outbox import directory_names

        with application.reader() as uow:
            names = directory_names(uow.session)
        shown = [f"{audience_label(a, application.lang, *names)} ({audience_tag(a)})" for a in missing]
        console.print("no channel for: " + ", ".join(shown), style="red", markup=False)
    else:
        console.print(
            f"every planner, coordinator, street office and district ({len(audiences)}) has a channel"
        )


@handle_errors
def serve(
    check: Annotated[bool, typer.Option("--check", help="print the deployments and exit")] = False,
) -> None:
    """Serve the scheduled flows (reminder sweep, outbox dispatch) as Prefect
    deployments on Asia/Shanghai cron schedules, until stopped."""
    from ..flows.serve import build_deployments, serve_forever

    settings = load_settings()
    if check:
        for deployment in build_deployments(settings):
            schedules = ", ".join(f"{s.schedule.cron} ({s.schedule.timezone})" for s in deployment.schedules)
            console.print(f"{deployment.flow_name}/{deployment.name}: {schedules}")
        return
    console.print("serving send-reminders and dispatch-notifications (Ctrl-C to stop; schedules stay active)")
    serve_forever(settings)
