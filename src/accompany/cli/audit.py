"""`accompany` CLI — checking the audit log (the event log's hash chain)."""

from __future__ import annotations

from typing import Annotated

import typer

from ..labels import N_
from .common import DbOption, JsonOption, cli_language, console, handle_errors, make_app, print_json, say
from .help import T

audit_app = typer.Typer(
    help=T("The audit log: check that no record was changed or removed."), no_args_is_help=True
)

#: exit code of a check that found a problem (README, "Errors and exit codes")
EXIT_CHECK_FAILED = 1

PROBLEMS = {
    "content-changed": N_("content changed after it was written (it no longer matches its hash)"),
    "link-broken": N_("link broken: it does not follow event #{previous}"),
    "row-missing": N_("row missing: events after #{previous} and before it were removed"),
    "row-missing-first": N_("row missing: the events before it were removed"),
    "unhashed": N_("no hash: written around the application"),
}
TRIGGER_PROBLEMS = {
    "missing": N_(
        "append-only trigger {trigger} is missing: the log can be changed (`accompany db upgrade` "
        "re-creates it)"
    ),
    "disabled": N_(
        "append-only trigger {trigger} is disabled: the log can be changed (`accompany db upgrade` "
        "enables it)"
    ),
}


def broken_line(report, lang: str) -> str:  # type: ignore[no-untyped-def]
    """The first broken link in words: event, project, kind, time, what is wrong."""
    from ..i18n import translate
    from ..labels import label
    from ..services.audit import local_time

    finding = report.finding
    record = finding.record
    key = finding.problem.value
    if key == "row-missing" and finding.previous_id is None:
        key = "row-missing-first"
    problem = translate(PROBLEMS[key], lang, previous=finding.previous_id)
    if record.project_id is None:
        project = translate("no project", lang)
    else:
        project = f"#{record.project_id} {report.project_name or ''}".strip()
    return translate(
        "chain broken at event #{event} ({project}, {kind}, {time}): {problem}",
        lang,
        event=record.id,
        project=project,
        kind=label("event", record.kind, lang),
        time=local_time(record.occurred_at),
        problem=problem,
    )


@audit_app.command(
    "verify",
    help=T(
        "Walk the event log's hash chain and name the first broken link (a record changed, a link "
        "broken, a record removed); also check the append-only triggers. Exit 0 when intact, 1 when not."
    ),
)
@handle_errors
def audit_verify(
    tail: Annotated[
        int | None,
        typer.Option("--tail", min=1, help=T("check only the newest N events"), show_default=False),
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    from ..services.audit import verify_log

    application = make_app(db)
    report = verify_log(application, tail)
    if json_out:
        print_json(report.to_dict())
    else:
        if report.finding is not None:
            from rich.text import Text

            from ..presenting import printable

            console.print(Text(printable(broken_line(report, cli_language())), style="bold red"))
            say("{count} event(s) checked, up to the broken link", count=report.verdict.checked)
        elif report.verdict.checked == 0:
            say("event log: no events to check")
        else:
            say(
                "event log intact: {count} event(s) checked, the hash chain holds through event #{last}",
                count=report.verdict.checked,
                last=report.verdict.last_id,
            )
        for trigger, problem in report.triggers:
            say(TRIGGER_PROBLEMS[problem], style="bold red", trigger=trigger)
    if not report.intact:
        raise typer.Exit(EXIT_CHECK_FAILED)
