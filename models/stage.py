"""A stage of a project and the records it keeps: its attachments, the decisions on
it (a level's approval or return, a party's signature), its clock's pauses and its
extension requests — and what a stage tells of itself (the step it waits for, its
open pause, its last moment).

The data the project aggregate's commands (``models.project``) change and the
repository saves, apart from the commands themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .deadlines import LOCAL_TZ, Deadline, PausePeriod, local_date
from .evidence import JsonValue
from .parties import step_complete
from .states import StageState
from .template import ApprovalLevel, JointStep, PartyRole, StageSpec

#: why a waiting extension request was withdrawn (the ``why`` of ``stage.extension_withdrawn``)
WITHDRAWN_NEW_ROUND = "new_round"
WITHDRAWN_STAGE_DONE = "stage_done"
WITHDRAWN_STAGE_APPROVED = "stage_approved"
WITHDRAWN_PROJECT_CANCELLED = "project_cancelled"


@dataclass
class Attachment:
    key: str | None
    filename: str
    sha256: str
    size: int
    stored_as: str
    added_by: str
    added_at: dt.datetime
    id: int | None = None


@dataclass
class ApprovalRecord:
    """One decision on a stage: at a level (street office, district) or — a party's
    signature in a joint step — by a party (``level`` is then the party's role)."""

    round: int
    level: ApprovalLevel | PartyRole
    decision: str  # "approved" | "returned"
    decided_by: str
    decided_at: dt.datetime
    comment: str | None = None
    id: int | None = None

    @property
    def party(self) -> str | None:
        """The party that signed (a joint step), or None for a level's decision."""
        return self.level.value if isinstance(self.level, PartyRole) else None


@dataclass
class ClockPause:
    paused_at: dt.datetime
    paused_by: str
    reason: str
    resumed_at: dt.datetime | None = None
    resumed_by: str | None = None
    id: int | None = None
    dirty: bool = field(default=False, compare=False)
    paused_by_name: str = field(default="", compare=False)  # for messages
    # opened by the project's suspension (closed when the project is resumed), not
    # by a pause of this stage alone
    suspension: bool = False

    def period(self) -> PausePeriod:
        return PausePeriod(
            local_date(self.paused_at), local_date(self.resumed_at) if self.resumed_at else None
        )


@dataclass
class ExtensionRequest:
    requested_at: dt.datetime
    requested_by: str
    working_days: int
    reason: str
    # requested | granted | refused | withdrawn (by a new round, models.loop) | lapsed
    # (withdrawn because nothing is left for it to extend: see Project.withdraw_open_extension)
    status: str = "requested"
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    granted_days: int | None = None
    comment: str | None = None
    id: int | None = None
    dirty: bool = field(default=False, compare=False)


@dataclass
class Stage:
    key: str
    position: int
    state: StageState = StageState.PENDING
    round: int = 1
    activated_at: dt.datetime | None = None
    submitted_at: dt.datetime | None = None
    approved_at: dt.datetime | None = None
    fixed_due: dt.date | None = None
    deadline: Deadline | None = None
    evidence: dict[str, JsonValue] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)
    approvals: list[ApprovalRecord] = field(default_factory=list)
    pauses: list[ClockPause] = field(default_factory=list)
    extensions: list[ExtensionRequest] = field(default_factory=list)
    version: int = 0
    spec: StageSpec | None = field(default=None, repr=False, compare=False)
    # the moment of the stage's last event in the log (the service layer reads it
    # before a write: see :meth:`last_moment`)
    last_event_at: dt.datetime | None = field(default=None, repr=False, compare=False)
    # ids of approval records an undo took back (the service layer deletes them)
    dropped_approvals: list[int] = field(default_factory=list, repr=False, compare=False)
    # ids of attachment records a loop archived (the log keeps them; the service
    # layer deletes the rows: they no longer count in the new round)
    dropped_attachments: list[int] = field(default_factory=list, repr=False, compare=False)

    # -- derived --------------------------------------------------------------------
    def open_pause(self) -> ClockPause | None:
        return next((p for p in self.pauses if p.resumed_at is None), None)

    def open_extension(self) -> ExtensionRequest | None:
        return next((e for e in self.extensions if e.status == "requested"), None)

    def granted_extension_days(self) -> int:
        return sum(e.granted_days or 0 for e in self.extensions if e.status == "granted")

    def approvals_this_round(self) -> list[ApprovalRecord]:
        return [a for a in self.approvals if a.round == self.round and a.decision == "approved"]

    def next_approval_level(self) -> ApprovalLevel | JointStep | None:
        """The approval step the stage waits for: a level, or a joint step some of
        whose parties have still to sign (see ``parties``)."""
        if self.state is not StageState.SUBMITTED or self.spec is None:
            return None
        given = {a.level.value for a in self.approvals_this_round()}
        for step in self.spec.approval:
            if isinstance(step, JointStep):
                if not step_complete(step, list(given)):
                    return step
            elif step.value not in given:
                return step
        return None

    def submitted_label(self) -> str:
        if self.submitted_at is None:
            return "?"
        return self.submitted_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")

    def attached_keys(self) -> set[str]:
        return {a.key for a in self.attachments if a.key}

    def last_moment(self) -> dt.datetime | None:
        """The latest moment the stage's history holds: its last logged event, or
        what the stage itself remembers (a submission, a decision, a pause …)."""
        moments = [
            self.last_event_at,
            self.submitted_at,
            self.approved_at,
            *(a.decided_at for a in self.approvals),
            *(a.added_at for a in self.attachments),
            *(m for p in self.pauses for m in (p.paused_at, p.resumed_at)),
            *(m for e in self.extensions for m in (e.requested_at, e.decided_at)),
        ]
        known = [m for m in moments if m is not None]
        return max(known) if known else None
