"""The `accompany` command line: one module per command group (people, templates,
projects, stages, calendar, notifications, reports, set-up, demo); the shared option
types, error handling and rendering are in ``common`` and ``render``.

Person commands call the service layer directly (well under a second on SQLite);
the same services are what the Prefect flows in ``accompany.flows`` run, so
automation and people share one code path without people paying Prefect's start-up.
"""

from __future__ import annotations

import typer

from ..models.errors import N_
from . import (
    attachments,
    audit,
    calendar,
    comments,
    consent,
    demo,
    events,
    households,
    migrate,
    needs,
    notifications,
    people,
    projects,
    reports,
    satisfaction,
    setup,
    stages,
    templates,
    web,
)
from .help import T

app = typer.Typer(
    name="accompany",
    help=T("陪伴式服务 workflow engine: 问需 → 问计 → 问效, with deadlines, approvals and reminders."),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command("init", help=T("Create or upgrade the database schema (also done automatically on first use)."))(
    setup.init
)
app.add_typer(people.people_app, name="people")
# `template migrate` registers itself on the template group
assert migrate.template_migrate
app.add_typer(templates.template_app, name="template")
app.add_typer(projects.project_app, name="project")
app.add_typer(stages.stage_app, name="stage")
app.add_typer(attachments.attachment_app, name="attachment")
app.add_typer(calendar.calendar_app, name="calendar")
app.add_typer(setup.db_app, name="db")
app.add_typer(notifications.reminders_app, name="reminders")
app.add_typer(notifications.notifications_app, name="notifications")
app.command(
    "serve",
    help=T(
        "Serve the scheduled flows (reminder sweep, outbox dispatch, quarterly report) as Prefect "
        "deployments on Asia/Shanghai cron schedules, until stopped."
    ),
)(notifications.serve)
app.add_typer(reports.report_app, name="report")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(events.events_app, name="events")
app.add_typer(households.households_app, name="households")
app.add_typer(households.public_app, name="public")
app.add_typer(consent.consent_app, name="consent")
app.add_typer(satisfaction.satisfaction_app, name="satisfaction")
app.add_typer(comments.comments_app, name="comments")
app.add_typer(needs.needs_app, name="needs")
app.command(
    "web",
    help=T(
        "Serve the web app and the API (/api/v1, docs at /api/docs) — on SQLite or on PostgreSQL. "
        "In production: several workers behind a reverse proxy (see README)."
    ),
)(web.web)
app.command(
    "demo",
    help=T(
        "Run a whole project lifecycle on a throwaway database with a simulated clock (and, with --web, "
        "serve the web app on it: one sign-in per role)."
    ),
)(demo.demo)


USAGE_ERRORS = (
    (r"^Missing option '(?P<name>[^']+)'\.?$", N_("missing option {name}")),
    (r"^Missing argument '(?P<name>[^']+)'\.?$", N_("missing argument {name}")),
    (r"^No such option: (?P<name>\S+)", N_("no such option: {name}")),
    (r"^No such command '(?P<name>[^']+)'\.?$", N_("no such command: {name}")),
    (r"^Invalid value for '(?P<name>[^']+)': (?P<detail>.*)$", N_("invalid value for {name}: {detail}")),
    (r"^Got unexpected extra arguments? \((?P<name>.*)\)$", N_("unexpected extra argument(s): {name}")),
)


def usage_error_text(message: str, lang: str) -> str:
    """Click's own English usage errors, in the reader's language where known."""
    import re

    from ..i18n import translate

    for pattern, template in USAGE_ERRORS:
        match = re.match(pattern, message.strip())
        if match:
            return translate(template, lang, **match.groupdict())
    return message


class OneLineGroup(typer.core.TyperGroup):
    """The top-level command group: Click's own usage errors (a missing option, a value
    of the wrong type, an unknown command) become one line on stderr and exit 2, like
    every other refusal — never a usage box. (In the group itself, so a test runner
    invoking the app sees exactly what a person at the shell sees.)"""

    def main(self, *args, standalone_mode: bool = True, **extra):  # type: ignore[no-untyped-def,override]
        import sys

        from .common import cli_language, fail

        try:
            result = super().main(*args, standalone_mode=False, **extra)
        except typer.Abort:
            sys.exit(1)
        except typer.TyperException as exc:  # Typer's click: usage and parameter errors
            from ..i18n import translate

            lang = cli_language()
            hint = translate("(see --help)", lang)
            text = exc.format_message() if hasattr(exc, "format_message") else str(exc)
            sys.exit(fail(f"{usage_error_text(text, lang)} {hint}", getattr(exc, "exit_code", 2)).exit_code)
        if standalone_mode:
            sys.exit(result if isinstance(result, int) else 0)
        return result


app.info.cls = OneLineGroup


def run() -> None:
    app()


if __name__ == "__main__":
    run()
