"""The `accompany` command line: one module per command group (people, templates,
projects, stages, calendar, notifications, reports, set-up, demo); the shared option
types, error handling and rendering are in ``common`` and ``render``.

Person commands call the service layer directly (well under a second on SQLite);
the same services are what the Prefect flows in ``accompany.flows`` run, so
automation and people share one code path without people paying Prefect's start-up.
"""

from __future__ import annotations

import typer

from . import calendar, demo, notifications, people, projects, reports, setup, stages, templates, web

app = typer.Typer(
    name="accompany",
    help="陪伴式服务 workflow engine: 问需 → 问计 → 问效, with deadlines, approvals and reminders.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command("init")(setup.init)
app.add_typer(people.people_app, name="people")
app.add_typer(templates.template_app, name="template")
app.add_typer(projects.project_app, name="project")
app.add_typer(stages.stage_app, name="stage")
app.add_typer(calendar.calendar_app, name="calendar")
app.add_typer(setup.db_app, name="db")
app.add_typer(notifications.reminders_app, name="reminders")
app.add_typer(notifications.notifications_app, name="notifications")
app.command("serve")(notifications.serve)
app.add_typer(reports.report_app, name="report")
app.command("web")(web.web)
app.command("demo")(demo.demo)


def run() -> None:
    """The console entry point. Click's own usage errors (a missing option, a value of
    the wrong type, an unknown command) become one line on stderr and exit 2, like
    every other refusal — never a usage box."""
    import sys

    import typer

    from .common import fail

    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        sys.exit(1)
    except typer.TyperException as exc:  # Typer's click: usage and parameter errors
        from ..i18n import translate
        from .common import cli_language

        hint = translate("(see --help)", cli_language())
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        raise SystemExit(fail(f"{message} {hint}", getattr(exc, "exit_code", 2)).exit_code) from None
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    run()
