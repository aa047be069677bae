"""What every command shares: the --db/--now/--json options, building the app, and
turning errors into one line on stderr with a meaningful exit code."""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from ..models.errors import (
    AccompanyError,
    CalendarUnknown,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RuleViolation,
)
from .help import T

# Piped output (scripts, CI logs, CliRunner) gets a wide page instead of Rich's
# 80-column fallback, which would fold the stage tables beyond reading.
# Markup, emoji codes and highlighting are off: a name like "[/bold]x" or ":smile:"
# prints as it is; styles come only from Text objects the code builds.
console = Console(
    soft_wrap=False, width=None if sys.stdout.isatty() else 160, markup=False, emoji=False, highlight=False
)
errors = Console(stderr=True, soft_wrap=True, markup=False, emoji=False, highlight=False)


def say(message: str, *, style: str = "", **values: Any) -> None:
    """Print one translated line (values are text, never markup)."""
    from rich.text import Text

    from ..i18n import translate
    from ..presenting import printable

    line = translate(message, cli_language(), **{k: printable(str(v)) for k, v in values.items()})
    console.print(Text(line, style=style))


#: exit codes, documented in the README
EXIT_CODES: dict[type[AccompanyError], int] = {
    InvalidInput: 2,
    NotFound: 3,
    PermissionDenied: 4,
    Conflict: 5,
    RuleViolation: 6,
    CalendarUnknown: 6,
}
EXIT_UNAVAILABLE = 69
EXIT_INTERNAL = 70

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help=T("database URL (default: $ACCOMPANY_DATABASE_URL, else SQLite under $ACCOMPANY_HOME)"),
        show_default=False,
    ),
]
NowOption = Annotated[
    str | None,
    typer.Option(
        "--now",
        help=T("act as if it were this time (ISO date/time, Asia/Shanghai unless an offset is given)"),
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help=T("print JSON for scripts"))]
By = Annotated[str, typer.Option("--by", help=T("the person acting: id or name (from the directory)"))]
# a key is an id (households_interviewed) or a label (入户访谈户数); the value may hold "="
KEY_VALUE = re.compile(r"^([^=\s][^=]*?)\s*=(.*)$", re.S)


def pairs(values: list[str] | None, option: str) -> dict[str, str]:
    """``KEY=VALUE`` options (repeatable) as a dict; a malformed or repeated key is
    refused."""
    out: dict[str, str] = {}
    for value in values or []:
        match = KEY_VALUE.match(value)
        if not match:
            raise InvalidInput("{option} expects key=value, got '{value}'", option=option, value=value[:60])
        key, text = match.groups()
        if key in out:
            raise InvalidInput("{option} {key} is given twice", option=option, key=key[:60])
        out[key] = text
    return out


MAX_ID = 2_147_483_647  # ids are 32-bit in the schema


def project_number(text: str) -> int:
    """A project id as typed: a positive number (a refusal is one line, not a usage box)."""
    value = text.strip()
    if not value.isascii() or not value.isdigit() or not 0 < int(value) <= MAX_ID:
        raise InvalidInput("'{value}' is not a project id (a number like 12)", value=text[:30])
    return int(value)


def lang_of(application) -> str:  # type: ignore[no-untyped-def]
    return application.lang


F = TypeVar("F", bound=Callable[..., Any])


def exit_code_for(exc: AccompanyError) -> int:
    for cls in type(exc).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1


def _secrets() -> list[str]:
    """Strings that must never be printed: the database password, tokens …"""
    found: list[str] = []
    url = os.environ.get("ACCOMPANY_DATABASE_URL")
    candidates = [url] if url else []
    candidates += _EXTRA_URLS
    for candidate in candidates:
        try:
            from sqlalchemy import make_url

            password = make_url(candidate).password
        except Exception:
            password = None
        if password:
            found.append(str(password))
    return found


_EXTRA_URLS: list[str] = []


def redact(text: str) -> str:
    for secret in _secrets():
        if secret:
            text = text.replace(secret, "***")
    return text


def cli_language() -> str:
    """The language of what the CLI prints: ACCOMPANY_LANGUAGE (zh unless en)."""
    from ..i18n import normalise_language

    return normalise_language(os.environ.get("ACCOMPANY_LANGUAGE", "").strip().lower() or None)


def fail(message: str, code: int) -> typer.Exit:
    """One line on stderr; the message is text, never markup."""
    from rich.text import Text

    from ..i18n import translate
    from ..presenting import printable

    head, _, _rest = translate("error: {message}", cli_language(), message="\0").partition("\0")
    line = Text(head, style="bold red")
    line.append(printable(redact(message)))
    errors.print(line, highlight=False)
    return typer.Exit(code)


def handle_errors(func: F) -> F:
    """Run a command; any refusal becomes one line on stderr and a non-zero exit."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AccompanyError as exc:
            from ..i18n import error_text

            raise fail(error_text(exc, cli_language()), exit_code_for(exc)) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # the database is down, a disk is full …
            from sqlalchemy.exc import OperationalError

            from ..i18n import translate

            lang = cli_language()
            if isinstance(exc, OperationalError):
                first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
                raise fail(
                    translate("database unavailable: {detail}", lang, detail=first), EXIT_UNAVAILABLE
                ) from None
            if os.environ.get("ACCOMPANY_DEBUG"):
                raise
            raise fail(
                translate(
                    "internal error: {kind}: {detail} (ACCOMPANY_DEBUG=1 shows the traceback)",
                    lang,
                    kind=type(exc).__name__,
                    detail=str(exc)[:300],
                ),
                EXIT_INTERNAL,
            ) from None

    return wrapper  # type: ignore[return-value]


def load_settings():  # type: ignore[no-untyped-def]
    """Settings from ACCOMPANY_*; a bad value is one line naming the variable."""
    from pydantic import ValidationError

    from ..config.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        from ..models.template import describe_validation_error

        raise InvalidInput(
            "settings (ACCOMPANY_*): {detail}", detail=describe_validation_error(exc)
        ) from None


def start_up_done() -> None:
    """The command's modules are imported: when ``main.run`` turned the cycle collector
    off for the start-up, what the start-up made is kept out of the collector's way for
    good (frozen) and the collector is back on for the command's own work — for days, in
    a server. (A test runner invoking the app never turned it off: nothing to do.)"""
    import gc

    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def make_app(db: str | None, now: str | None = None):  # type: ignore[no-untyped-def]
    """Wire the application for one CLI command."""
    from ..bootstrap import build_app
    from ..clock import FixedClock, SystemClock, parse_moment

    start_up_done()

    if db:
        _EXTRA_URLS.append(db)
    clock = FixedClock(parse_moment(now)) if now else SystemClock()
    return build_app(load_settings(), database_url=db, clock=clock)


def print_json(data: Any) -> None:
    from ..jsonout import dumps_indented  # json.dumps(indent=2, …) character for character

    sys.stdout.write(dumps_indented(data) + "\n")
