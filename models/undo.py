"""Undo (撤回) of the last approval or return on a stage, within a short window.

Whoever gave a decision (the substitute, when it was given under a delegation) may
take it back for a short while after it was recorded — a wrong button, the wrong
stage — as long as nothing happened since on that stage or on what depends on it.

The undo is an event of its own (``stage.decision_undone``) naming the undone event
and everything that event caused in its transaction; the log stays append-only, and
whatever replays it (the quarterly report) treats those events as never having
happened. The stage goes back to where it was before the decision:

- an approval at one level (street office of a two-level stage): the stage waits for
  that level again;
- the final approval: the stage waits for the same level again; the stages it
  started go back to not started, and the deadlines it set (counted from the
  approval or from their start) are removed;
- a return: the stage is the submission it was (same round, same submission time,
  the approvals given in that round before the return count again) and waits for
  the level that returned it.

A party's signature in a joint step (会签/或签: the design institute, the
construction company …) is a decision too, under the same rules: only the party
who signed, within the window, nothing since. Undoing one signature of a 会签
takes back that signature alone (the others' stay, the step waits for the party
again); undoing the signature that completed the step also puts the step back;
undoing a party's return (which sent the whole round back) restores the round with
the signatures given in it.

Clocks: as if the decision had not been given. A decision does not move the decided
stage's deadline, and a stage waiting for approval has no running clock, so its
deadline stays as it was; a stage the approval started loses its start and its
deadline (its clock never ran). Anything that touched a clock since (a pause of the
returned stage, a deadline change) is a later event and makes the undo refused.

The rules are the named functions below; the service layer reads the log and the
real clock and passes them in (the domain never reads a clock).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .calendar import WorkingCalendar
from .errors import Coded, Conflict, InvalidInput, Localized, PermissionDenied, RuleViolation
from .events import SYSTEM_ACTOR, Event, EventKind
from .people import Person
from .rules import moment_label, project_not_cancelled
from .states import ProjectStatus, StageState
from .template import ApprovalLevel, PartyRole
from .text import LINE_BREAKS_AND_TABS, has_control_characters

if TYPE_CHECKING:
    from .project import Project
    from .stage import Stage

#: how long after it was recorded a decision may be undone, unless configured
DEFAULT_UNDO_WINDOW = dt.timedelta(minutes=30)
MAX_UNDO_REASON = 500
#: the decisions that can be undone
DECISION_KINDS = frozenset({EventKind.STAGE_APPROVED.value, EventKind.STAGE_RETURNED.value})
#: what a decision causes in its own transaction (undone with it)
CONSEQUENCE_KINDS = frozenset(
    {
        EventKind.STAGE_ACTIVATED.value,
        EventKind.DEADLINE_SET.value,
        EventKind.DEADLINE_CHANGED.value,
        EventKind.PROJECT_COMPLETED.value,
        EventKind.EXTENSION_WITHDRAWN.value,
    }
)
#: consequences the undo does not take back. An extension request the final approval
#: withdrew (``Project.withdraw_open_extension``) stays withdrawn: the undo puts the
#: stage back to waiting for approval, where its clock does not run and no request
#: waits (a submission withdraws them too); if the stage is returned, the planner
#: asks again. The withdrawal is still part of the decision's transaction, so it
#: does not count as something that happened since (the undo is not refused for it).
KEPT_CONSEQUENCE_KINDS = frozenset({EventKind.EXTENSION_WITHDRAWN.value})


@dataclass(frozen=True)
class LoggedEvent:
    """One event of a project as the log holds it: its id, and when it was really
    recorded (``recorded_at``, the wall clock, never ``--now``)."""

    id: int
    kind: str
    stage: str | None
    actor: str
    at: dt.datetime
    recorded_at: dt.datetime
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DecisionHistory:
    """What the log says about a stage's last decision: the decision, the events it
    caused in its own transaction, the project's history events after them, and
    the submission it answered."""

    decision: LoggedEvent | None
    consequences: tuple[LoggedEvent, ...] = ()
    later: tuple[LoggedEvent, ...] = ()
    submitted_at: dt.datetime | None = None

    @property
    def undone_ids(self) -> list[int]:
        if self.decision is None:
            return []
        return [
            self.decision.id,
            *(e.id for e in self.consequences if e.kind not in KEPT_CONSEQUENCE_KINDS),
        ]


def decision_history(stage_key: str, events: Sequence[LoggedEvent], by: str | None = None) -> DecisionHistory:
    """Split a project's history events (oldest first; notifications left out) around
    the stage's last decision — or, given ``by``, the last one that person gave on
    the stage when they gave one (in a joint round several parties sign: another
    party's signature since is then a later event, not someone else's decision).
    The decision's consequences are the events right after it, in the same
    transaction (recorded at the same moment), that a decision causes: stages
    started, deadlines set, the project completed."""
    decisions = [i for i, e in enumerate(events) if e.stage == stage_key and e.kind in DECISION_KINDS]
    own = [i for i in decisions if events[i].actor == by] if by is not None else []
    index = (own or decisions or [None])[-1]
    if index is None:
        return DecisionHistory(None)
    decision = events[index]
    consequences: list[LoggedEvent] = []
    rest = index + 1
    while (
        rest < len(events)
        and events[rest].recorded_at == decision.recorded_at
        and events[rest].kind in CONSEQUENCE_KINDS
        and events[rest].actor in (SYSTEM_ACTOR, decision.actor)
    ):
        consequences.append(events[rest])
        rest += 1
    submitted = next(
        (
            e.at
            for e in reversed(events[:index])
            if e.stage == stage_key and e.kind == EventKind.STAGE_SUBMITTED.value
        ),
        None,
    )
    return DecisionHistory(decision, tuple(consequences), tuple(events[rest:]), submitted)


def dependents(project: Project, key: str) -> set[str]:
    """The stages that wait, directly or through others, for stage ``key``."""
    found: set[str] = set()
    frontier = [key]
    while frontier:
        current = frontier.pop()
        for other in project.stages:
            if other not in found and current in project.template.dependencies(other):
                found.add(other)
                frontier.append(other)
    return found


def _stage_words(project: Project, key: str) -> dict[str, object]:
    spec = project.template.stage(key)
    return {"stage": key, "stage_name": Localized(spec.name, spec.name_en)}


# -- the rules ---------------------------------------------------------------------------


def undo_reason_given(reason: str | None) -> str:
    """An undo says why, in a few words (the planner and the audit log read it)."""
    text = (reason or "").strip()
    if len(text) > MAX_UNDO_REASON:
        raise InvalidInput(
            "{what} is too long: {length} characters, at most {limit}",
            field="reason",
            what=Localized("原因", "reason"),
            length=len(text),
            limit=MAX_UNDO_REASON,
        )
    if has_control_characters(text, allowed=LINE_BREAKS_AND_TABS):
        raise InvalidInput(
            "{what} contains control characters", field="reason", what=Localized("原因", "reason")
        )
    if not text:
        raise InvalidInput("an undo needs a reason", field="reason")
    return text


def project_open_for_undo(project: Project) -> None:
    """A cancelled or completed project is final: no decision on it is undone."""
    project_not_cancelled(project)
    if project.status is ProjectStatus.COMPLETED:
        raise Conflict(
            "project #{id} “{name}” is completed: its decisions can no longer be undone",
            id=project.id if project.id is not None else "?",
            name=project.name,
        )


def there_is_a_decision(project: Project, key: str, history: DecisionHistory) -> LoggedEvent:
    """Only an approval or a return given by an approver is undone (a stage that
    needs no approval is approved by its submission: that is not a decision)."""
    decision = history.decision
    if decision is None or (
        decision.kind == EventKind.STAGE_APPROVED.value and not decision.data.get("level")
    ):
        raise Conflict("stage {stage_name} has no approval or return to undo", **_stage_words(project, key))
    return decision


def undoer_gave_it(project: Project, key: str, decision: LoggedEvent, actor: Person) -> None:
    """Only the person who gave the decision undoes it — under a delegation, the
    substitute who gave it (the delegator did not) — while still active."""
    if not actor.active:
        raise PermissionDenied("{person} is no longer active in the directory", person=actor.name)
    if actor.id != decision.actor:
        raise PermissionDenied(
            "{person} cannot undo the decision on stage {stage_name}: only the person who gave it can",
            person=actor.name,
            **_stage_words(project, key),
        )


def decision_is_last(project: Project, key: str, history: DecisionHistory) -> None:
    """Only the last thing that happened is undone: nothing since on the stage, on a
    stage that depends on it or on the project as a whole (a suspension, a
    handover …); an undone decision is not undone twice."""
    decision = history.decision
    assert decision is not None
    watched = {key} | dependents(project, key)
    for event in history.later:
        if (
            event.kind == EventKind.STAGE_DECISION_UNDONE.value
            and event.data.get("undone_event") == decision.id
        ):
            raise Conflict(
                "the decision on stage {stage_name} was already undone at {when}",
                when=moment_label(event.at),
                **_stage_words(project, key),
            )
        if event.stage is None or event.stage in watched:
            spec = project.template.stage(event.stage) if event.stage else None
            raise Conflict(
                "the decision on stage {stage_name} is no longer the last thing that happened: "
                "{other} at {when} ({kind}); it cannot be undone",
                other=Localized(spec.name, spec.name_en) if spec else Localized("项目", "the project"),
                kind=Coded("event", event.kind),
                when=moment_label(event.at),
                **_stage_words(project, key),
            )


def within_undo_window(
    project: Project, key: str, decision: LoggedEvent, real_now: dt.datetime, window: dt.timedelta
) -> None:
    """A decision is undone only within the window after it was recorded, on the
    real clock (``recorded_at``; a back-dated ``--now`` neither opens nor extends
    it). The window's last moment still counts."""
    if real_now - decision.recorded_at > window:
        raise Conflict(
            "the decision on stage {stage_name} was recorded at {when}: it can only be undone within "
            "{minutes} minutes",
            when=moment_label(decision.recorded_at),
            minutes=int(window.total_seconds() // 60),
            **_stage_words(project, key),
        )


def not_before_decision(project: Project, key: str, decision: LoggedEvent, at: dt.datetime) -> None:
    """An undo is not dated before the decision it takes back (a back-dated
    ``--now`` earlier than the decision is refused)."""
    if at < decision.at:
        raise RuleViolation(
            "cannot undo the decision on stage {stage_name} at {at}: it was given later, at {then}",
            field="now",
            at=moment_label(at),
            then=moment_label(decision.at),
            **_stage_words(project, key),
        )


def check_undo(
    project: Project,
    key: str,
    actor: Person,
    history: DecisionHistory,
    *,
    real_now: dt.datetime,
    window: dt.timedelta,
) -> LoggedEvent:
    """Every rule on an undo, in order: the project, the decision, who, what came
    after, the window. Returns the decision to undo."""
    project_open_for_undo(project)
    decision = there_is_a_decision(project, key, history)
    undoer_gave_it(project, key, decision, actor)
    decision_is_last(project, key, history)
    within_undo_window(project, key, decision, real_now, window)
    return decision


def may_undo(
    project: Project,
    key: str,
    actor: Person,
    history: DecisionHistory,
    *,
    real_now: dt.datetime,
    window: dt.timedelta,
) -> bool:
    """Whether ``actor`` may undo the stage's last decision now (for the web page's
    button)."""
    try:
        check_undo(project, key, actor, history, real_now=real_now, window=window)
    except (Conflict, PermissionDenied):
        return False
    return True


# -- the change ---------------------------------------------------------------------------


def undo_decision(
    project: Project,
    key: str,
    actor: Person,
    history: DecisionHistory,
    *,
    reason: str | None,
    now: dt.datetime,
    real_now: dt.datetime,
    window: dt.timedelta,
    calendar: WorkingCalendar,
) -> list[Event]:
    """Undo the stage's last decision (see the module's description); returns the
    ``stage.decision_undone`` event and the deadline events of the stages put back."""
    text = undo_reason_given(reason)
    decision = check_undo(project, key, actor, history, real_now=real_now, window=window)
    not_before_decision(project, key, decision, now)
    stage = project.stage(key)
    before = stage.state
    data = decision.data
    level = decided_level(data["level"])
    decision_round = int(data.get("round") or stage.round)
    returned = decision.kind == EventKind.STAGE_RETURNED.value
    _drop_record(stage, decision_round, level, "returned" if returned else "approved", decision.actor)
    reverted: list[str] = []
    cleared: dict[str, str] = {}
    follow: list[Event] = []  # deadlines computed again
    if returned:
        stage.round = decision_round
        stage.state = StageState.SUBMITTED
        stage.submitted_at = history.submitted_at
    else:
        stage.state = StageState.SUBMITTED
        stage.approved_at = None
        for other_key in sorted({e.stage for e in history.consequences if e.stage and e.stage != key}):
            other = project.stages[other_key]
            if any(
                e.stage == other_key and e.kind == EventKind.STAGE_ACTIVATED.value
                for e in history.consequences
            ):
                other.state = StageState.PENDING
                other.activated_at = None
                reverted.append(other_key)
            # the deadline as it stood before the approval: computed again from the
            # stage put back (none while its anchor is not known)
            old, other.deadline = other.deadline, None
            project._touch(other)
            fresh = project._refresh_deadline(other, now, calendar, f"{key} approval undone")
            new = other.deadline
            if (
                old is not None
                and new is not None
                and (old.due, old.provisional) == (new.due, new.provisional)
            ):
                other.deadline = old  # not set by the approval: kept as it was, no event
                continue
            if old is not None:
                cleared[other_key] = old.due.isoformat()
            follow += fresh
    project._touch(stage)
    event = Event(
        EventKind.STAGE_DECISION_UNDONE,
        now,
        actor.id,
        stage=key,
        before=before.value,
        after=stage.state.value,
        data={
            "undone_event": decision.id,
            "undone_events": history.undone_ids,
            "decision": "returned" if returned else "approved",
            "level": level.value,
            "round": decision_round,
            "final": bool(data.get("final")),
            "next_level": data.get("next_level"),
            # a party's signature or return in a joint step (会签/或签)
            **({"party": data["party"], "step": data.get("step")} if data.get("party") else {}),
            # the parties the decision asked to sign next (they hear it was withdrawn)
            **({"awaited_parties": data["awaited_parties"]} if data.get("awaited_parties") else {}),
            "decided_at": decision.at.isoformat(),
            "decided_by": decision.actor,
            "reason": text,
            "stages_not_started": reverted,
            "deadlines_removed": cleared,
            **({"on_behalf_of": data["on_behalf_of"]} if data.get("on_behalf_of") else {}),
        },
    )
    return [event, *follow]


def decided_level(value: str) -> ApprovalLevel | PartyRole:
    """The level a decision was given at, as the log names it: the street office or
    the district, or — a signature or a return in a joint step — the party's role."""
    try:
        return ApprovalLevel(value)
    except ValueError:
        return PartyRole(value)


def _drop_record(stage: Stage, round_: int, level: ApprovalLevel | PartyRole, decision: str, by: str) -> None:
    for index in range(len(stage.approvals) - 1, -1, -1):
        record = stage.approvals[index]
        if (record.round, record.level, record.decision, record.decided_by) == (round_, level, decision, by):
            removed = stage.approvals.pop(index)
            if removed.id is not None:
                stage.dropped_approvals.append(removed.id)
            return


def undone_event_ids(undos: Iterable[Mapping[str, Any]]) -> set[int]:
    """The ids of the events the given undo events' data name as undone: a replay
    of the log skips them (and the undo events) as if they had not happened."""
    found: set[int] = set()
    for data in undos:
        found.update(int(i) for i in data.get("undone_events") or [])
    return found
