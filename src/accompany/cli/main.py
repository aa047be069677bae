"""The `accompany` command line: one module per command group (people, templates,
projects, stages, calendar, notifications, reports, set-up, demo); the shared option
types, error handling and rendering are in ``common`` and ``render``.

Person commands call the service layer directly (well under a second on SQLite);
the same services are what the Prefect flows in ``accompany.flows`` run, so
automation and people share one code path without people paying Prefect's start-up.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING

import typer

from ..models.errors import N_
from . import demo, notifications, setup, web
from .help import T, toolkit_in_language

if TYPE_CHECKING:
    from typer.models import TyperInfo

toolkit_in_language()  # "Usage:", "Options", "[required]" in the CLI's language too

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
app.command(
    "serve",
    help=T(
        "Serve the scheduled flows (reminder sweep, outbox dispatch, quarterly report) as Prefect "
        "deployments on Asia/Shanghai cron schedules, until stopped."
    ),
)(notifications.serve)
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

# The command groups, in the order help lists them: name → (module, its Typer app). A
# group's module is imported, and its commands built, only when the command line names
# it (or help lists them all) — building some eighty commands' parameters for the one
# that runs was ~50 ms of a quick command's start-up.
GROUPS = {
    "people": ("people", "people_app"),
    "template": ("templates", "template_app"),
    "project": ("projects", "project_app"),
    "stage": ("stages", "stage_app"),
    "attachment": ("attachments", "attachment_app"),
    "calendar": ("calendar", "calendar_app"),
    "db": ("setup", "db_app"),
    "reminders": ("notifications", "reminders_app"),
    "notifications": ("notifications", "notifications_app"),
    "report": ("reports", "report_app"),
    "audit": ("audit", "audit_app"),
    "events": ("events", "events_app"),
    "households": ("households", "households_app"),
    "public": ("households", "public_app"),
    "consent": ("consent", "consent_app"),
    "satisfaction": ("satisfaction", "satisfaction_app"),
    "comments": ("comments", "comments_app"),
    "needs": ("needs", "needs_app"),
}
# modules that add commands to another module's group
EXTENSIONS = {"template": ("migrate",)}


def group_info(name: str) -> TyperInfo:
    """The group ``name`` as ``app.add_typer(group, name=name)`` registers it."""
    from typer.models import TyperInfo

    module, attribute = GROUPS[name]
    for extension in EXTENSIONS.get(name, ()):
        importlib.import_module(f"{__package__}.{extension}")
    return TyperInfo(getattr(importlib.import_module(f"{__package__}.{module}"), attribute), name=name)


class GroupsOnDemand(MutableMapping[str, typer.core.TyperGroup]):
    """The top-level commands, each group built on first look-up (in help's order)."""

    def __init__(self, built: MutableMapping[str, typer.core.TyperGroup]) -> None:
        self.built = dict(built)
        self.order = [*built, *(name for name in GROUPS if name not in built)]

    def __getitem__(self, name: str) -> typer.core.TyperGroup:
        if name not in self.built:
            if name not in GROUPS or name not in self.order:
                raise KeyError(name)
            from typer.main import get_group_from_info

            self.built[name] = get_group_from_info(
                group_info(name),
                pretty_exceptions_short=app.pretty_exceptions_short,
                suggest_commands=app.suggest_commands,
                rich_markup_mode=app.rich_markup_mode,
            )
        return self.built[name]

    def __setitem__(self, name: str, command: typer.core.TyperGroup) -> None:
        if name not in self.order:
            self.order.append(name)
        self.built[name] = command

    def __delitem__(self, name: str) -> None:
        self.order.remove(name)
        self.built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.order))

    def __len__(self) -> int:
        return len(self.order)


USAGE_ERRORS = (
    (r"^Missing option '(?P<name>[^']+)'\.?$", N_("missing option {name}")),
    (r"^Missing argument '(?P<name>[^']+)'\.?$", N_("missing argument {name}")),
    (
        r"^No such option: (?P<name>\S+)\s+Did you mean (?P<suggestion>\S+?)\?$",
        N_("no such option: {name} (did you mean {suggestion}?)"),
    ),
    (
        r"^No such option: (?P<name>\S+)\s+\(Possible options: (?P<suggestion>.*)\)$",
        N_("no such option: {name} (did you mean {suggestion}?)"),
    ),
    (r"^No such option: (?P<name>\S+)", N_("no such option: {name}")),
    (
        r"^No such command '(?P<name>[^']+)'\. Did you mean '(?P<suggestion>[^']+)'\?$",
        N_("no such command: {name} (did you mean {suggestion}?)"),
    ),
    (r"^No such command '(?P<name>[^']+)'\.?$", N_("no such command: {name}")),
    (r"^Invalid value for '(?P<name>[^']+)': (?P<detail>.*)$", N_("invalid value for {name}: {detail}")),
    (r"^Got unexpected extra arguments? \((?P<name>.*)\)$", N_("unexpected extra argument(s): {name}")),
)


#: why a value was refused, as Typer's pydantic says it for a number option (--port
#: 99999): the catalogue's words for pydantic's refusals (see models/validation.py)
VALUE_ERRORS = (
    (r"^Input should be less than or equal to (?P<le>\S+)$", N_("should be at most {le}")),
    (r"^Input should be greater than or equal to (?P<ge>\S+)$", N_("should be at least {ge}")),
    (r"^Input should be less than (?P<lt>\S+)$", N_("should be less than {lt}")),
    (r"^Input should be greater than (?P<gt>\S+)$", N_("should be greater than {gt}")),
    (r"^Input should be a valid integer\b.*$", N_("should be a whole number")),
    (r"^Input should be a valid number\b.*$", N_("should be a number")),
)


def usage_error_text(message: str, lang: str) -> str:
    """Click's own English usage errors, in the reader's language where known."""
    import re

    from ..i18n import translate

    for pattern, template in USAGE_ERRORS:
        match = re.match(pattern, message.strip())
        if match:
            values = match.groupdict()
            if "detail" in values:
                values["detail"] = value_error_text(values["detail"], lang)
            return translate(template, lang, **values)
    return message


def value_error_text(detail: str, lang: str) -> str:
    import re

    from ..i18n import translate

    for pattern, template in VALUE_ERRORS:
        match = re.match(pattern, detail.strip())
        if match:
            return translate(template, lang, **match.groupdict())
    return detail


class OneLineGroup(typer.core.TyperGroup):
    """The top-level command group: Click's own usage errors (a missing option, a value
    of the wrong type, an unknown command) become one line on stderr and exit 2, like
    every other refusal — never a usage box. (In the group itself, so a test runner
    invoking the app sees exactly what a person at the shell sees.)"""

    def __init__(self, **attrs):  # type: ignore[no-untyped-def]
        super().__init__(**attrs)
        self.commands = GroupsOnDemand(self.commands)

    def list_commands(self, ctx: typer.Context) -> list[str]:  # names only: builds nothing
        return list(self.commands)

    def main(self, *args, standalone_mode: bool = True, **extra):  # type: ignore[no-untyped-def,override]
        import sys

        from .common import cli_language, fail

        try:
            result = super().main(*args, standalone_mode=False, **extra)
        except typer.Abort:
            sys.exit(1)
        except typer.TyperException as exc:  # Typer's click: usage and parameter errors
            from ..i18n import translate

            if type(exc).__name__ == "NoArgsIsHelpError":
                # `accompany` or `accompany stage` alone: the help, as it is (it was
                # prefixed "错误：" and followed by "(see --help)"), exit 2 as Click's
                sys.stderr.write(exc.format_message().rstrip("\n") + "\n")
                sys.exit(2)

            lang = cli_language()
            hint = translate("(see --help)", lang)
            text = exc.format_message() if hasattr(exc, "format_message") else str(exc)
            sys.exit(fail(f"{usage_error_text(text, lang)} {hint}", getattr(exc, "exit_code", 2)).exit_code)
        if standalone_mode:
            sys.exit(result if isinstance(result, int) else 0)
        return result


app.info.cls = OneLineGroup


def run() -> None:
    import gc

    # Start-up imports what the command uses: some 100,000 objects and hardly any
    # garbage in cycles. The cycle collector's passes over them took ~50 ms of a quick
    # command's CPU time, so it is off until the command's modules are imported: back on
    # when the command builds the application or starts a server
    # (common.start_up_done); a command that does neither ends soon after.
    gc.disable()
    try:
        app()
    finally:
        let_the_process_end()


def let_the_process_end() -> None:
    """The command has run: close its database connections, then spare the interpreter's
    exit the cycle collector's passes over everything the command imported (some
    100,000 objects: ~100 ms of a quick command's CPU time). What is frozen is only
    what the process holds when it ends; the connections are closed here, as the
    collector closed them, so SQLite checkpoints and removes its write-ahead log."""
    import contextlib
    import gc
    import sys

    bootstrap = sys.modules.get("accompany.bootstrap")
    # a connection that fails to close says nothing more than the command's own outcome
    if bootstrap is not None:
        with contextlib.suppress(Exception):
            bootstrap.dispose_engines()
    gc.freeze()


if __name__ == "__main__":
    run()
