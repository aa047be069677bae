"""Errors the domain and the service layer raise.

Each carries one human-readable line; the CLI prints it and maps the class to an
exit code, so the message must name the problem (which project, stage, key ...).
"""


class AccompanyError(Exception):
    """Base class: a refusal that a person can act on."""


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
