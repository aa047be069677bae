"""Errors the domain and the service layer raise.

Each carries one human-readable line; the CLI prints it and maps the class to an
exit code, the web app shows it next to the form field it names (``field``) and maps
the class to an HTTP status, so the message must name the problem (which project,
stage, key ...).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

T = TypeVar("T")

#: where a message is read: the command line (the default, and ``str(error)``), the
#: web pages, the JSON API. A message that tells how to act names that edge's means
#: (a command, a button, an endpoint): see :attr:`Problem.at_edge`.
Edge = Literal["cli", "web", "api"]


def N_(message: str) -> str:
    """Marks a message id for the catalogue's extraction; translated at the edge."""
    return message


@dataclass(frozen=True)
class Localized:
    """A value with a name per language (a stage's 需求调研 / Needs survey), chosen
    when the message is put into words for its reader."""

    zh: str
    en: str | None = None

    def text(self, lang: str) -> str:
        return self.en if lang == "en" and self.en else self.zh

    def __str__(self) -> str:
        # str(error) is the English line; the edge picks the reader's language
        return self.en or self.zh


@dataclass(frozen=True)
class Phrase:
    """Words of the engine's own inside a message (``a whole number``): a message id
    of the catalogue (marked with :func:`N_`), translated with the message it is in."""

    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Coded:
    """A code of the engine (an event kind, a state …) in a message: the edge names
    it by its label in the reader's language, from the one table of labels
    (``accompany.labels``: ``table`` is one of its tables, e.g. ``event``) — never
    the raw code (``stage.clock_paused``) a person does not read."""

    table: str
    code: str

    def __str__(self) -> str:
        # str(error) has no catalogue at hand: the code, as the log holds it
        return self.code


@dataclass(frozen=True)
class Problem:
    """One of several things wrong with an input, about one field.

    ``at_edge``: the same problem in the words of another :data:`Edge` (``web``,
    ``api``) — for a template that tells how to act, naming the CLI's commands, which
    a web page's reader cannot type; the edge that reads it chooses (the CLI's
    ``template`` where the edge has none). The variants share ``values``."""

    field: str | None
    template: str
    values: Mapping[str, Any]
    at_edge: Mapping[Edge, str] | None = None

    def template_for(self, edge: Edge) -> str:
        return (self.at_edge or {}).get(edge, self.template)

    def __str__(self) -> str:
        return fill(self.template, self.values)


def fill(template: str, values: Mapping[str, Any]) -> str:
    return template.format(**{k: str(v) for k, v in values.items()}) if values else template


class AccompanyError(Exception):
    """Base class: a refusal that a person can act on.

    The message is an English template with named ``{values}``; the edge (CLI, web,
    API) puts it into the reader's language through the catalogue
    (``accompany.i18n``), filling :class:`Localized` values with their name in that
    language. ``str(error)`` is the English line.

    ``field`` names the input the refusal is about, in the form's own terms
    (``name``, ``reason``, ``evidence.households_interviewed``, ``attach.problem_map``),
    so a form can put the message next to that field; ``problems`` lists several at
    once (every evidence key that falls short), each with its own field."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        fields: tuple[str, ...] = (),
        problems: Sequence[Problem] = (),
        **values: Any,
    ):
        self.template = message
        self.values = values
        self.problems = tuple(problems)
        self.field = field
        named = tuple(p.field for p in self.problems if p.field)
        self.fields = fields or named or ((field,) if field else ())
        if self.problems:
            # "{problems}" in a template is the list of problems, joined
            values = {**values, "problems": "; ".join(str(p) for p in self.problems)}
        super().__init__(fill(message, values))


class InvalidInput(AccompanyError):
    """The input itself is malformed (a date that doesn't parse, a wrong type)."""


class Refusals:
    """The refusals of an input's independent checks (one field each), kept as they
    come so that a person learns of every field to correct in one answer, not one per
    submission. ``check(run, *args)`` runs one check and gives its value (None when it
    refused); ``raise_any`` raises what was kept: one refusal as it is, several as one
    :class:`SeveralInvalid`. Only :class:`InvalidInput` is kept: any other refusal (not
    allowed, not found) ends the checks at once."""

    def __init__(self) -> None:
        self.errors: list[InvalidInput] = []

    def check(self, run: Callable[..., T], *args: Any, **named: Any) -> T | None:
        try:
            return run(*args, **named)
        except InvalidInput as error:
            self.errors.append(error)
            return None

    def raise_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise SeveralInvalid(self.errors)


class SeveralInvalid(InvalidInput):
    """Several refusals of independent checks told at once (see :class:`Refusals`):
    each a problem with its own field; ``errors`` the refusals themselves, for a
    reader that lists them apart (the import's bad cells)."""

    def __init__(self, errors: Sequence[InvalidInput]):
        self.errors = list(errors)
        problems = [
            problem
            for error in self.errors
            for problem in (error.problems or (Problem(error.field, error.template, error.values),))
        ]
        super().__init__(N_("{count} things to correct: {problems}"), problems=problems, count=len(problems))


def together(
    errors: Sequence[InvalidInput], rule: AccompanyError | None, *, unsure: tuple[str, ...] = ()
) -> AccompanyError:
    """A form's own refusals (``errors``, at least one) told with what the rule would
    refuse of the rest (``rule``, found without acting): one answer for every problem.
    A refusal about no field (not allowed, the project not found, changed meanwhile)
    is told alone, since correcting the fields would not help; the rule's problems with
    a field the form already refused are left out (a figure too long is not also
    "missing"), as are those with fields starting with one of ``unsure`` (the rule
    was asked with a stand-in for a refused value they depend on)."""
    about_a_field = rule is not None and bool(rule.field or rule.fields or rule.problems)
    if rule is not None and not isinstance(rule, InvalidInput | RuleViolation) and not about_a_field:
        return rule
    kept = list(errors)
    if rule is not None:
        told = {f for e in errors for f in (e.field, *e.fields, *(p.field for p in e.problems)) if f}
        problems = rule.problems or (Problem(rule.field, rule.template, rule.values),)
        rest = [
            p for p in problems if p.field is None or (p.field not in told and not p.field.startswith(unsure))
        ]
        if rest:
            kept.append(InvalidInput(rule.template, problems=rest, **rule.values))
    return kept[0] if len(kept) == 1 else SeveralInvalid(kept)


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


class SessionExpired(Unauthenticated):
    """A session that was valid has run out (idle or absolute limit)."""


class Throttled(AccompanyError):
    """Too many failed sign-ins from one account or address; try again later."""

    def __init__(self, message: str, *, retry_after_seconds: int):
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
