"""`accompany` CLI — reminders, the notification outbox and the scheduled flows."""

from __future__ import annotations

from typing import Annotated

import typer

from ..i18n import translator
from ..labels import N_
from .common import (
    DbOption,
    JsonOption,
    NowOption,
    cli_language,
    console,
    handle_errors,
    load_settings,
    make_app,
    print_json,
    say,
    start_up_done,
)
from .help import T

reminders_app = typer.Typer(help=T("The reminder sweep."), no_args_is_help=True)
notifications_app = typer.Typer(help=T("The notification outbox and channels."), no_args_is_help=True)


@reminders_app.command("run", help=T("Run one reminder sweep by hand and show what it queued."))
@handle_errors
def reminders_run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=T("show what would be queued, queue nothing"))
    ] = False,
    show: Annotated[
        int, typer.Option("--show", min=0, help=T("list at most this many of the reminders"))
    ] = 20,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from rich.progress import Progress

    from ..services.reminders import sweep

    application = make_app(db, now)
    with Progress(console=console, transient=True, disable=json_out) as bar:
        task = bar.add_task(T("queueing"), total=None)
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
                "stages_open": result.stages_open,
                "stages_considered": result.stages_considered,
                "queued": result.queued,
                "already_queued": result.already_queued,
                "deadlines_recomputed": result.deadlines_recomputed,
                "by_kind": result.by_kind(),
                "audit": result.audit.to_dict() if result.audit else None,
                "audit_alerts": result.audit_alerts,
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
    # of the open stages, the sweep looks only at those a reminder can be due for
    message = (
        N_(
            "{today}: {open} open stage(s), {stages} of them near their deadline or awaiting a decision; "
            "would queue {queued} new notification(s), {already} already queued"
        )
        if dry_run
        else N_(
            "{today}: {open} open stage(s), {stages} of them near their deadline or awaiting a decision; "
            "queued {queued} new notification(s), {already} already queued"
        )
    )
    say(
        message,
        today=result.today,
        open=result.stages_open,
        stages=result.stages_considered,
        queued=result.queued,
        already=result.already_queued,
    )
    if result.deadlines_recomputed:
        say("{count} deadline(s) recomputed", count=result.deadlines_recomputed)
    if result.calendar_refused is not None:  # on stderr: the sweep itself went on
        from ..i18n import error_text
        from .common import errors

        errors.print(error_text(result.calendar_refused, cli_language()))
    if result.audit is not None and result.audit.finding is not None:
        from .audit import broken_line

        say(
            "{line} — {alerts} new alert(s) queued to the districts",
            style="bold red",
            line=broken_line(result.audit, cli_language()),
            alerts=result.audit_alerts,
        )
    if result.intents:
        from rich.table import Table
        from rich.text import Text

        from ..labels import audience_label, label
        from ..services.outbox import directory_names

        lang = application.lang
        _ = translator(lang)
        with application.reader() as uow:
            names = directory_names(uow.session)
        table = Table()
        for column in ("", _("To"), _("Kind"), _("Project"), _("Stage"), _("Due")):
            table.add_column(column)
        # the new ones first: they are what this run did
        shown = sorted(result.intents, key=lambda i: not result.is_new(i))[:show]
        for intent in shown:
            new = result.is_new(intent)
            table.add_row(
                Text(_("new") if new else _("already queued"), style="green" if new else "dim"),
                Text(audience_label(intent.audience, lang, *names)),
                Text(label("notification", intent.kind.value, lang)),
                Text(f"#{intent.project_id} {intent.payload.get('project')}"),
                Text(
                    str(
                        (lang == "en" and intent.payload.get("stage_name_en"))
                        or intent.payload.get("stage_name")
                        or intent.stage
                        or ""
                    )
                ),
                Text(str(intent.payload.get("due") or "")),
            )
        console.print(table)
        if len(result.intents) > show:
            say("… and {count} more (--show N, or --json)", count=len(result.intents) - show)


@notifications_app.command(
    "dispatch", help=T("Deliver what is due in the outbox now, through the Apprise channels.")
)
@handle_errors
def notifications_dispatch(db: DbOption = None, now: NowOption = None) -> None:
    from ..services.dispatch import dispatch

    application = make_app(db, now)
    result = dispatch(application, application.notifier())
    if result.quiet:
        say("quiet hours (or a non-working day): nothing sent now")
        return
    say(
        "{claimed} notification(s) in {messages} message(s): {sent} sent, {retried} to retry, {dead} dead",
        claimed=result.claimed,
        messages=result.messages,
        sent=result.sent,
        retried=result.retried,
        dead=result.dead,
    )
    for count, what in (
        (result.dropped, N_("{count} dropped (no longer true)")),
        (result.timeouts, N_("{count} timed out (may have been received)")),
        (result.released, N_("{count} left to another dispatcher")),
        (result.unrecorded, N_("{count} delivered but not recorded (may be repeated)")),
    ):
        if count:
            say(what, count=count)
    if result.errors:
        from ..labels import delivery_error_text
        from ..services.outbox import directory_names

        with application.reader() as uow:
            names = directory_names(uow.session)
        for error in sorted(set(result.errors))[:10]:
            say("failed: {error}", style="red", error=delivery_error_text(error, application.lang, *names))


@notifications_app.command(
    "list", help=T("The outbox: what was queued, sent, is waiting to retry or failed for good.")
)
@handle_errors
def notifications_list(
    failed: Annotated[bool, typer.Option("--failed", help=T("only dead-lettered and retrying"))] = False,
    pending: Annotated[bool, typer.Option("--pending", help=T("only not yet sent"))] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help=T("at most this many, newest first"))] = 100,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    from sqlalchemy import select

    from ..db.orm import NotificationRow
    from ..labels import audience_label, delivery_error_text, label
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
        say("no notifications match")
        return
    from rich.table import Table
    from rich.text import Text

    _ = translator(lang)
    table = Table(title=_("Notifications"))
    for column in (
        _("No."),
        _("Status"),
        _("Kind"),
        _("To"),
        _("Project"),
        _("Stage"),
        _("Tries"),
        _("Next try / sent"),
        _("Error"),
    ):
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
            Text(delivery_error_text(r.last_error, lang, *names) if r.last_error else ""),
        )
    console.print(table)


@notifications_app.command(
    "retry", help=T("Put dead-lettered notifications back in the queue (after fixing a channel).")
)
@handle_errors
def notifications_retry(
    ids: Annotated[
        list[int] | None, typer.Argument(help=T("notification numbers (default: all dead ones)"))
    ] = None,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    from ..services.outbox import retry_dead

    application = make_app(db, now)
    count = retry_dead(application, ids or None)
    say("{count} notification(s) queued again; they go out with the next dispatch", count=count)


@notifications_app.command(
    "channels", help=T("The Apprise channels (URLs masked) and which people and offices they reach.")
)
@handle_errors
def notifications_channels(db: DbOption = None) -> None:
    from rich.table import Table
    from rich.text import Text

    from ..models.reminders import audience_tag, district, person, street_office

    application = make_app(db)
    notifier = application.notifier()
    _ = translator(application.lang)
    table = Table(title=Text(_("Channels in {file}", file=str(notifier.path))))
    table.add_column(_("Channel (secrets masked)"))
    table.add_column(_("Tags"))
    from ..labels import audience_label, audience_of_tag
    from ..services.outbox import directory_names

    with application.reader() as uow:
        people = uow.people.all()
        districts = uow.people.districts()
        names = directory_names(uow.session)

    def tag_shown(tag: str) -> str:
        """A tag as the same words as everywhere else: 太阳宫街道办事处 (street-office-taiyanggong)."""
        audience = audience_of_tag(tag)
        known = audience is not None and any(audience.split(":", 1)[1] in table for table in names)
        return f"{audience_label(audience, application.lang, *names)} ({tag})" if known else tag

    for channel, tags in notifier.all_channels():
        table.add_row(Text(channel.label), Text(", ".join(tag_shown(t) for t in sorted(tags))))
    console.print(table)
    for problem in notifier.problems:
        say("not loaded: {problem}", style="yellow", problem=problem)
    audiences = {person(p.id) for p in people if p.role.value in ("planner", "coordinator")}
    audiences |= {street_office(s.id) for d in districts for s in d.streets}
    audiences |= {district(d.id) for d in districts}
    missing = sorted(a for a in audiences if not notifier.channels(audience_tag(a)))
    if missing:
        shown = [f"{audience_label(a, application.lang, *names)} ({audience_tag(a)})" for a in missing]
        say(
            "no channel for: {audiences}",
            style="red",
            audiences="、".join(shown) if application.lang == "zh" else ", ".join(shown),
        )
    else:
        say(
            "every planner, coordinator, street office and district ({count}) has a channel",
            count=len(audiences),
        )


@handle_errors
def serve(
    check: Annotated[bool, typer.Option("--check", help=T("print the deployments and exit"))] = False,
) -> None:
    """Serve the scheduled flows (reminder sweep, outbox dispatch) as Prefect
    deployments on Asia/Shanghai cron schedules, until stopped."""
    from ..flows.serve import build_deployments, serve_forever

    start_up_done()  # a server: the cycle collector back on
    settings = load_settings()
    if check:
        for deployment in build_deployments(settings):
            schedules = ", ".join(f"{s.schedule.cron} ({s.schedule.timezone})" for s in deployment.schedules)
            console.print(f"{deployment.flow_name}/{deployment.name}: {schedules}")
        return
    say("serving send-reminders and dispatch-notifications (Ctrl-C to stop; schedules stay active)")
    serve_forever(settings)
