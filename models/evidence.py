"""Participation evidence: typing what a planner enters, and checking it against the
stage's rules before the stage may be marked done."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from fractions import Fraction

from .errors import InvalidInput, Localized, Problem
from .template import EvidenceField, EvidenceType, RateCheck, RatioCheck, StageSpec
from .text import LINE_BREAKS_AND_TABS, as_typed_number, has_control_characters

JsonValue = int | float | str | bool


# a whole number a person can mean: an optional sign, then ASCII digits (int() would
# also take full-width digits, underscores and 10**4000)
_INTEGER = re.compile(r"^[+-]?[0-9]{1,15}$")
_NUMBER = re.compile(r"^[+-]?([0-9]{1,15}(\.[0-9]*)?|\.[0-9]+)%?$")
# without a declared maximum, an integer is still a count of something real
DEFAULT_INTEGER_MAX = 1_000_000
MAX_TEXT_VALUE = 5000


def parse_evidence(spec: StageSpec, raw: Mapping[str, str]) -> dict[str, JsonValue]:
    """Turn ``key=value`` strings into typed values, refusing unknown keys and values
    of the wrong type. A key may be given by its label (入户访谈户数=36). Dates are kept
    as ISO strings so they store as JSON."""
    values: dict[str, JsonValue] = {}
    for key, text in raw.items():
        field = spec.find_field(key)
        if field is None:
            raise InvalidInput(
                "unknown evidence '{key}' for stage {stage_name} (evidence: {expected})",
                field=f"evidence.{key}",
                key=key[:60],
                stage=spec.id,
                stage_name=Localized(spec.name, spec.name_en),
                expected=Localized(
                    "、".join(f.label for f in spec.evidence) or "无",
                    ", ".join(f"{f.key}" for f in spec.evidence) or "none",
                ),
            )
        if field.type is EvidenceType.ATTACHMENT:
            raise InvalidInput(
                "evidence {key} is a file: give it with --attach {key}=FILE",
                field=f"attach.{field.key}",
                key=field.key,
            )
        if field.key in values:
            raise InvalidInput(
                "evidence {key} ({label}) is given twice",
                field=f"evidence.{field.key}",
                key=field.key,
                label=Localized(field.label, field.label_en),
            )
        values[field.key] = _parse_value(field, text)
    return values


def _parse_value(field: EvidenceField, text: str) -> JsonValue:
    kind = field.type
    text = as_typed_number(text) if kind in (EvidenceType.INTEGER, EvidenceType.NUMBER) else text.strip()
    where = {
        "field": f"evidence.{field.key}",
        "key": field.key,
        "label": Localized(field.label, field.label_en),
    }
    expected = {
        EvidenceType.INTEGER: Localized("整数", "a whole number"),
        EvidenceType.NUMBER: Localized("数字", "a number"),
        EvidenceType.BOOLEAN: Localized("是或否", "yes or no"),
        EvidenceType.DATE: Localized("日期（如 2026-03-15）", "a date like 2026-03-15"),
    }.get(kind)
    wrong = InvalidInput(
        "evidence {key} ({label}): expected {expected}, got '{value}'",
        expected=expected,
        value=text[:40],
        **where,
    )
    if kind is EvidenceType.INTEGER:
        if not _INTEGER.match(text):
            raise wrong
        number: int | float = int(text)
    elif kind is EvidenceType.NUMBER:
        if not _NUMBER.match(text):
            raise wrong
        number = float(text.rstrip("%"))
        if not math.isfinite(number):
            raise wrong
    elif kind is EvidenceType.BOOLEAN:
        lowered = text.lower()
        if lowered in ("true", "yes", "y", "1", "是"):
            return True
        if lowered in ("false", "no", "n", "0", "否"):
            return False
        raise wrong
    elif kind is EvidenceType.DATE:
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise wrong from None
        if not 2000 <= day.year <= 2100:
            raise InvalidInput(
                "evidence {key} ({label}): '{value}' is outside the years 2000–2100", value=text[:40], **where
            )
        return day.isoformat()
    else:
        if not text:
            raise InvalidInput("evidence {key} ({label}): empty value", **where)
        if len(text) > MAX_TEXT_VALUE:
            raise InvalidInput(
                "evidence {key} ({label}) is too long: at most {limit} characters",
                limit=MAX_TEXT_VALUE,
                **where,
            )
        if has_control_characters(text, allowed=LINE_BREAKS_AND_TABS):
            raise InvalidInput("evidence {key} ({label}) contains control characters", **where)
        if kind is EvidenceType.CHOICE:
            assert field.choices is not None
            if text not in field.choices:
                raise InvalidInput(
                    "evidence {key} ({label}): '{value}' is not one of {choices}",
                    value=text[:40],
                    choices=", ".join(field.choices),
                    **where,
                )
        return text
    # a count without a declared maximum is still a count of something real (the
    # template's own max, when it has one, is checked with the other rules)
    if kind is EvidenceType.INTEGER and field.max is None and abs(number) > DEFAULT_INTEGER_MAX:
        raise InvalidInput(
            "evidence {key} ({label}) must be at most {limit}", limit=DEFAULT_INTEGER_MAX, **where
        )
    return number


def _fmt(number: float | Fraction) -> str:
    if isinstance(number, Fraction):
        return str(number) if number.denominator != 1 else str(number.numerator)
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def evidence_problems(
    spec: StageSpec,
    values: Mapping[str, JsonValue],
    attached_keys: set[str],
    open_working_days: int | None,
) -> list[str]:
    """Everything that keeps the evidence from satisfying the stage, as short phrases
    naming each key. ``open_working_days`` is how long the stage has been open (for
    per-working-days checks)."""
    return [
        str(problem) for _, problem in evidence_shortfalls(spec, values, attached_keys, open_working_days)
    ]


def evidence_shortfalls(
    spec: StageSpec,
    values: Mapping[str, JsonValue],
    attached_keys: set[str],
    open_working_days: int | None,
) -> list[tuple[str, Problem]]:
    """:func:`evidence_problems` with the evidence key each problem is about (so a
    form can show it next to that field), as translatable :class:`Problem` s."""
    problems: list[tuple[str, Problem]] = []

    def shortfall(about: str, template: str, **found: object) -> None:
        spec_field = spec.field(about)
        kind = "attach" if spec_field and spec_field.type is EvidenceType.ATTACHMENT else "evidence"
        problems.append((about, Problem(f"{kind}.{about}", template, found)))

    for field in spec.evidence:
        label = Localized(field.label, field.label_en)
        if field.type is EvidenceType.ATTACHMENT:
            if field.required and field.key not in attached_keys:
                shortfall(
                    field.key,
                    "missing {key} ({label}; attach with --attach {key}=FILE)",
                    key=field.key,
                    label=label,
                )
            continue
        value = values.get(field.key)
        if value is None:
            if field.required:
                shortfall(field.key, "missing {key} ({label})", key=field.key, label=label)
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if field.min is not None and value < field.min:
            shortfall(
                field.key,
                "{key} ({label}) must be ≥ {minimum}, got {value}",
                key=field.key,
                label=label,
                minimum=_fmt(field.min),
                value=_fmt(value),
            )
        if field.max is not None and value > field.max:
            shortfall(
                field.key,
                "{key} ({label}) must be ≤ {maximum}, got {value}",
                key=field.key,
                label=label,
                maximum=_fmt(field.max),
                value=_fmt(value),
            )
    for check in spec.checks:
        if isinstance(check, RatioCheck):
            numerator, denominator = values.get(check.numerator), values.get(check.denominator)
            if numerator is None or denominator is None:
                continue  # already reported as missing
            if not denominator or Fraction(numerator) / Fraction(denominator) < check.min:
                shortfall(
                    check.numerator,
                    "{check}: {numerator_key}/{denominator_key} = {numerator}/{denominator} "
                    "must be ≥ {minimum}",
                    check=check.label,
                    numerator_key=check.numerator,
                    denominator_key=check.denominator,
                    numerator=numerator,
                    denominator=denominator,
                    minimum=_fmt(check.min),
                )
        elif isinstance(check, RateCheck):
            value = values.get(check.key)
            if value is None or open_working_days is None:
                continue
            needed = required_rate(check, open_working_days)
            if value < needed:
                shortfall(
                    check.key,
                    "{check}: {key} must be ≥ {needed} (one per {every} working days over {days} working "
                    "days), got {value}",
                    check=check.label,
                    key=check.key,
                    needed=needed,
                    every=check.every,
                    days=open_working_days,
                    value=_fmt(value),
                )
    return problems


def required_rate(check: RateCheck, open_working_days: int) -> int:
    return max(1, math.ceil(open_working_days / check.every))


__all__ = [
    "JsonValue",
    "RateCheck",
    "evidence_problems",
    "evidence_shortfalls",
    "parse_evidence",
    "required_rate",
]
