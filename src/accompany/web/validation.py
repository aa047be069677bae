"""Pydantic's refusals of a request (a field too long, missing, unknown …) in the
reader's language: each common error type has a message of the catalogue filled with
the error's own values (``max_length`` …); a type not listed keeps pydantic's text."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..i18n import problem_text, translate
from ..labels import N_
from ..models.errors import Problem

_OBJECT = N_("should be a JSON object")
_WHOLE_NUMBER = N_("should be a whole number")
_NUMBER = N_("should be a number")
_DATE = N_("should be a date like 2026-04-01")
_MOMENT = N_("should be a date and time like 2026-04-01T09:00")
_BOOL = N_("should be true or false")
_ONE_OF = N_("should be one of {expected}")

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
    "enum": _ONE_OF,
    "literal_error": _ONE_OF,
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
        if kind in MESSAGES:
            problems.append(Problem(field or None, MESSAGES[kind], _values(kind, error.get("ctx") or {})))
        else:
            message = str(error.get("msg", "")).removeprefix("Value error, ")
            problems.append(Problem(field or None, UNTRANSLATED, {"message": message}))
    return problems


def problem_line(problem: Problem, lang: str) -> str:
    """``reason：最多 5000 个字符`` / ``reason: should have at most 5000 characters``;
    a problem with the whole body: ``请求正文：应为 JSON 对象``."""
    text = problem_text(problem, lang)
    if problem.template in (_ONE_OF,) and lang == "zh":
        text = text.replace(", ", "、")
    if not problem.field:  # the body as a whole (not an object, not JSON)
        return translate("request body: {problem}", lang, problem=text)
    return translate("{field}: {problem}", lang, field=problem.field, problem=text)


def validation_text(errors: Iterable[Mapping[str, Any]], lang: str) -> str:
    """Every problem on one line, in the reader's language."""
    separator = "；" if lang == "zh" else "; "
    return separator.join(problem_line(p, lang) for p in validation_problems(errors))
