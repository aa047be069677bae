"""Refusals as HTTP: the CLI's exit-code classes mapped to statuses."""

from __future__ import annotations

from ..models.errors import (
    AccompanyError,
    CalendarUnknown,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RuleViolation,
    Throttled,
    Unauthenticated,
)

# exit 2 → 400, 3 → 404, 4 → 403, 5 → 409, 6 → 422 (see the README's exit codes)
STATUS: dict[type[AccompanyError], int] = {
    InvalidInput: 400,
    NotFound: 404,
    PermissionDenied: 403,
    Conflict: 409,
    RuleViolation: 422,
    CalendarUnknown: 422,
    Unauthenticated: 401,
    Throttled: 429,
}
CODES = {
    400: "invalid_input",
    401: "unauthenticated",
    403: "not_allowed",
    404: "not_found",
    409: "conflict",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "refused_by_rule",
    429: "too_many_attempts",
}


def status_for(exc: AccompanyError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def form_status(exc: AccompanyError) -> int:
    """The status of a residents' form refused: a household the form named that the
    register does not hold (``field`` "code") is the form's bad input, 400 — as on the
    public page — not a page that is not there."""
    if isinstance(exc, NotFound) and exc.field == "code":
        return 400
    return status_for(exc)
