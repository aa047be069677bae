"""Pydantic's refusals of an input (a request, a file people edit) in the reader's
language: each common error type has a message of the catalogue filled with the
error's own values (``max_length`` …); a validator's own refusal carries its message
(:class:`InvalidValue`); a type not listed keeps pydantic's text. The web app puts
each next to its field; a file's problems name their field in the line
(:func:`located_problems`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .errors import N_, Problem, fill


class InvalidValue(ValueError):
    """A validator's refusal as a message of the catalogue (marked with ``N_``) and
    its values, so that pydantic's error carries it (in its ``ctx``) to the reader in
    their language; ``str()`` is the English line."""

    def __init__(self, template: str, **values: Any) -> None:
        self.template = template
        self.values = values
        super().__init__(fill(template, values))

    def problem(self, field: str | None = None) -> Problem:
        return Problem(field, self.template, self.values)


_OBJECT = N_("should be a JSON object")
_WHOLE_NUMBER = N_("should be a whole number")
_NUMBER = N_("should be a number")
_DATE = N_("should be a date like 2026-04-01")
_MOMENT = N_("should be a date and time like 2026-04-01T09:00")
_BOOL = N_("should be true or false")
ONE_OF = N_("should be one of {expected}")

#: pydantic's error types (pydantic_core ErrorType) → the catalogue's message; the
#: message's {values} are the error's ``ctx``
MESSAGES = {
    "missing": N_("is required"),
    "extra_forbidden": N_("is not a field of this request"),
    "string_too_long": N_("should have at most {max_length} characters"),
    "string_too_short": N_("should have at least {min_length} characters"),
    "too_long": N_("should have at most {max_length} items"),
    "too_short": N_("should have at least {min_length} items"),
    "string_type": N_("should be text"),
    "string_pattern_mismatch": N_("does not have the expected form"),
    "dict_type": _OBJECT,
    "model_type": _OBJECT,
    "model_attributes_type": _OBJECT,
    "int_parsing": _WHOLE_NUMBER,
    "int_type": _WHOLE_NUMBER,
    "int_from_float": _WHOLE_NUMBER,
    "float_parsing": _NUMBER,
    "float_type": _NUMBER,
    "date_parsing": _DATE,
    "date_type": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "datetime_parsing": _MOMENT,
    "datetime_type": _MOMENT,
    "datetime_from_date_parsing": _MOMENT,
    "bool_parsing": _BOOL,
    "bool_type": _BOOL,
    "list_type": N_("should be a list"),
    "json_invalid": N_("is not valid JSON"),
    "json_type": N_("is not valid JSON"),
    "enum": ONE_OF,
    "literal_error": ONE_OF,
    "greater_than_equal": N_("should be at least {ge}"),
    "greater_than": N_("should be greater than {gt}"),
    "less_than_equal": N_("should be at most {le}"),
    "less_than": N_("should be less than {lt}"),
}
#: a type not listed: pydantic's own words
UNTRANSLATED = "{message}"
#: the request's part pydantic names first in a request's error (body.reason)
SOURCES = ("body", "query", "path", "header", "cookie")


def field_of(loc: Iterable[Any]) -> str:
    """``("body", "evidence", "households", 0)`` → ``evidence.households[0]``."""
    items = list(loc)
    if items and items[0] in SOURCES:
        items = items[1:]
    field = ""
    for item in items:
        if isinstance(item, int):
            field += f"[{item}]"
        elif str(item).startswith(("function-", "tagged-union")):
            continue
        else:
            field += ("." if field else "") + str(item)
    return field


def _values(kind: str, ctx: Mapping[str, Any]) -> dict[str, Any]:
    values = {key: value for key, value in ctx.items() if isinstance(value, str | int | float)}
    if kind in ("enum", "literal_error"):
        # pydantic lists them as "'a', 'b' or 'c'"
        values["expected"] = str(ctx.get("expected", "")).replace(" or ", ", ")
    return values


def validation_problems(errors: Iterable[Mapping[str, Any]]) -> list[Problem]:
    """One problem per pydantic error, its field in the request's own terms."""
    problems = []
    for error in errors:
        kind = str(error.get("type", ""))
        # a JSON syntax error's loc is the character's position, not a field
        field = "" if kind == "json_invalid" else field_of(error.get("loc", ()))
        refusal = (error.get("ctx") or {}).get("error")
        if isinstance(refusal, InvalidValue):
            problems.append(refusal.problem(field or None))
        elif kind in MESSAGES:
            problems.append(Problem(field or None, MESSAGES[kind], _values(kind, error.get("ctx") or {})))
        else:
            message = str(error.get("msg", "")).removeprefix("Value error, ")
            problems.append(Problem(field or None, UNTRANSLATED, {"message": message}))
    return problems


#: a file's problem with its field named in the line: ``people[0].role：应为…之一``
AT_FIELD = N_("{field}: {problem}")


def located_problems(errors: Iterable[Mapping[str, Any]]) -> list[Problem]:
    """:func:`validation_problems` of a file: each names its field in its own words
    (a file has no form to put a message next to)."""
    return [
        Problem(p.field, AT_FIELD, {"field": p.field, "problem": p}) if p.field else p
        for p in validation_problems(errors)
    ]
