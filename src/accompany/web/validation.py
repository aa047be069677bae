"""Pydantic's refusals of a request (a field too long, missing, unknown …) in the
reader's language, one line (the problems themselves: models/validation.py, shared
with the files people edit)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..i18n import problem_text, translate
from ..models.errors import Problem
from ..models.validation import MESSAGES, ONE_OF, UNTRANSLATED, field_of, validation_problems

__all__ = ["MESSAGES", "UNTRANSLATED", "field_of", "problem_line", "validation_problems", "validation_text"]


def problem_line(problem: Problem, lang: str) -> str:
    """``reason：最多 5000 个字符`` / ``reason: should have at most 5000 characters``;
    a problem with the whole body: ``请求正文：应为 JSON 对象``."""
    text = problem_text(problem, lang)
    if problem.template in (ONE_OF,) and lang == "zh":
        text = text.replace(", ", "、")
    if not problem.field:  # the body as a whole (not an object, not JSON)
        return translate("request body: {problem}", lang, problem=text)
    return translate("{field}: {problem}", lang, field=problem.field, problem=text)


def validation_text(errors: Iterable[Mapping[str, Any]], lang: str) -> str:
    """Every problem on one line, in the reader's language."""
    separator = "；" if lang == "zh" else "; "
    return separator.join(problem_line(p, lang) for p in validation_problems(errors))
