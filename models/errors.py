"""Errors the domain and the service layer raise.

Each carries one human-readable line; the CLI prints it and maps the class to an
exit code, the web app shows it next to the form field it names (``field``) and maps
the class to an HTTP status, so the message must name the problem (which project,
stage, key ...).
"""

from __future__ import annotations


class AccompanyError(Exception):
    """Base class: a refusal that a person can act on.

    ``field`` names the input the refusal is about, in the form's own terms
    (``name``, ``reason``, ``evidence.households_interviewed``, ``attach.problem_map``),
    so a form can put the message next to that field; None for the form as a whole."""

    def __init__(self, message: str, *, field: str | None = None, fields: tuple[str, ...] = ()):
        super().__init__(message)
        self.field = field
        # several inputs at once (e.g. every evidence key that falls short)
        self.fields = fields or ((field,) if field else ())


class InvalidInput(AccompanyError):
    """The input itself is malformed (a date that doesn't parse, a wrong type)."""


class NotFound(AccompanyError):
    """An unknown project, stage, person, template, notification ..."""


class PermissionDenied(AccompanyError):
    """The actor's role or organisation does not allow this action."""


class RuleViolation(AccompanyError):
    """A transition guard refused: missing evidence, dependency not approved ..."""


class Conflict(AccompanyError):
    """The target changed under the command (already done/decided, or a concurrent
    command won the race)."""


class CalendarUnknown(AccompanyError):
    """Working-day data for a year is needed but nobody has provided it."""


class Unauthenticated(AccompanyError):
    """No valid sign-in: wrong or unknown credentials, an expired or ended session,
    a revoked token. Deliberately says nothing about which."""


class Throttled(AccompanyError):
    """Too many failed sign-ins from one account or address; try again later."""

    def __init__(self, message: str, *, retry_after_seconds: int):
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
