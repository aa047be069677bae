"""Domain events: what happened, to which stage, by whom, when, and the state before
and after. The service layer appends them to the append-only event log in the same
transaction as the change; reports are rebuilt from that log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

SYSTEM_ACTOR = "system"


class EventKind(StrEnum):
    PROJECT_STARTED = "project.started"
    PROJECT_COMPLETED = "project.completed"
    PROJECT_SUSPENDED = "project.suspended"
    PROJECT_RESUMED = "project.resumed"
    PROJECT_CANCELLED = "project.cancelled"
    PROJECT_HANDED_OVER = "project.handed_over"
    PROJECT_EDITED = "project.edited"
    PROJECT_MIGRATED = "project.migrated"
    STAGE_ACTIVATED = "stage.activated"
    DEADLINE_SET = "stage.deadline_set"
    DEADLINE_CHANGED = "stage.deadline_changed"
    STAGE_SUBMITTED = "stage.submitted"
    STAGE_APPROVED = "stage.approved"
    STAGE_RETURNED = "stage.returned"
    STAGE_DECISION_UNDONE = "stage.decision_undone"
    STAGE_LOOPED = "stage.looped"
    CLOCK_PAUSED = "stage.clock_paused"
    CLOCK_RESUMED = "stage.clock_resumed"
    EXTENSION_REQUESTED = "stage.extension_requested"
    EXTENSION_GRANTED = "stage.extension_granted"
    EXTENSION_REFUSED = "stage.extension_refused"
    EXTENSION_WITHDRAWN = "stage.extension_withdrawn"
    NOTIFICATION_SENT = "notification.sent"
    NOTIFICATION_DEAD = "notification.dead"
    PEOPLE_LOADED = "people.loaded"
    PERSON_DEACTIVATED = "person.deactivated"
    PERSON_ACTIVATED = "person.activated"
    DELEGATION_CREATED = "person.delegated"
    DELEGATION_ENDED = "person.delegation_ended"
    ACCOUNT_INVITED = "account.invited"
    PASSWORD_SET = "account.password_set"
    SIGNED_IN = "account.signed_in"
    SIGNED_OUT = "account.signed_out"
    TOKEN_CREATED = "account.token_created"
    TOKEN_REVOKED = "account.token_revoked"
    CALENDAR_CHANGED = "calendar.changed"
    HOUSEHOLDS_LOADED = "households.loaded"
    HOUSEHOLDS_PURGED = "households.purged"
    BALLOT_CAST = "consent.ballot_cast"
    BALLOT_REPLACED = "consent.ballot_replaced"
    SATISFACTION_ANSWERED = "satisfaction.answered"
    SATISFACTION_REPLACED = "satisfaction.replaced"
    COMMENT_LEFT = "comments.left"
    COMMENT_ANSWERED = "comments.answered"
    ANSWER_AMENDED = "comments.answer_amended"
    NEEDS_ANSWERED = "needs.answered"
    NEEDS_ANSWER_REPLACED = "needs.answer_replaced"
    NEEDS_MENU_CHANGED = "needs.menu_changed"
    PAGE_PUBLISHED = "project.published"
    PAGE_UNPUBLISHED = "project.unpublished"
    ATTACHMENT_PUBLISHED = "attachment.published"
    ATTACHMENT_UNPUBLISHED = "attachment.unpublished"
    AUDIT_BROKEN = "audit.broken"


@dataclass(frozen=True)
class Event:
    kind: EventKind
    at: dt.datetime
    actor: str
    stage: str | None = None
    before: str | None = None
    after: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("event time must be timezone-aware")
