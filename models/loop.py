"""A failed gate has a way forward: loop back for a new round (issues #12, #13).

A stage with a consent ballot may declare in its template ``on_failure: {loop_to:
<earlier stage>}`` (e.g. resident consent → design proposal). When the ballot has
**failed**, the planner or a coordinator of the street loops the project back: the
proposal is revised, presented and put to the residents again. The other way
forward is to cancel the project (``project cancel``, with the reason).

*Failed* (:func:`consent_failed`): the consent stage is in progress and its Art. 278
tally does not pass, and either ballots were cast (the planner or coordinator
declares the ballot closed by looping — residents who have not voted no longer
change the outcome of this round), or the stage's deadline has passed without a
passing tally (no ballot at all counts as not passed).

The loop (:func:`loop_back`):

- the stages reset are the target and every stage that depends on it (directly or
  through others) up to and including the failing stage;
- the target goes back to in progress, started now, with a fresh deadline from its
  template rule; the others go back to not started, their deadlines cleared;
- each reset stage's ``round`` goes up by one; its evidence and files of the old
  round are kept in the log (in the ``stage.looped`` event and the submissions
  before it) but no longer count; the approvals of the old round stay recorded
  under their round; open clock pauses of reset stages are closed;
- the extension requests still waiting on reset stages are withdrawn
  (:func:`withdraw_open_extensions`): they asked for more time in a round that is
  over, so the street office no longer has them to decide;
- the ballots of the old round are kept, archived under their round (the service
  layer does this): the new round's tally starts from zero.

One ``stage.looped`` event (on the failing stage) carries the reason, the target,
the stages reset, their old deadlines, evidence and files, and the tally figures;
one ``stage.extension_withdrawn`` event per request withdrawn says why.
Pure: no database, no clock (``now`` and the tally are passed in).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .calendar import WorkingCalendar
from .consent import Tally, consent_summary
from .deadlines import local_date
from .errors import Conflict, InvalidInput, Localized, PermissionDenied, RuleViolation
from .events import Event, EventKind
from .people import Person, Role
from .rules import moment_label, project_not_cancelled
from .stage import WITHDRAWN_NEW_ROUND
from .states import ProjectStatus, StageState
from .template import ProcessTemplate
from .text import LINE_BREAKS_AND_TABS, has_control_characters

if TYPE_CHECKING:
    from .project import Project

MAX_LOOP_REASON = 2000
#: why a gate failed
TALLY_FAILED = "tally_failed"
DEADLINE_PASSED = "deadline_passed"


def _words(project: Project, key: str) -> dict[str, object]:
    spec = project.template.stage(key)
    return {"stage": key, "stage_name": Localized(spec.name, spec.name_en)}


def ancestors(template: ProcessTemplate, key: str) -> set[str]:
    """The stages ``key`` depends on, directly or through others."""
    found: set[str] = set()
    frontier = list(template.dependencies(key))
    while frontier:
        current = frontier.pop()
        if current not in found:
            found.add(current)
            frontier.extend(template.dependencies(current))
    return found


def loop_stages(template: ProcessTemplate, failing: str, target: str) -> list[str]:
    """The stages a loop from ``failing`` back to ``target`` resets, in template
    order: the target, and every stage that depends on it and that the failing
    stage depends on (or is)."""
    path = ancestors(template, failing) | {failing}
    return [s for s in template.stage_ids if s == target or (s in path and target in ancestors(template, s))]


def loop_target(project: Project, key: str) -> str:
    """The stage a failed ``key`` loops back to; a stage without ``on_failure`` in
    its template has no loop (a conflict naming the other way: cancel)."""
    spec = project.template.stage(key)
    if spec.on_failure is None:
        raise Conflict(
            "stage {stage_name} declares no loop (on_failure) in its template: "
            "the project can only be cancelled (accompany project cancel)",
            **_words(project, key),
        )
    return spec.on_failure.loop_to


def loop_reason_given(reason: str | None) -> str:
    """A loop says why, in a few words (everyone told reads it)."""
    text = (reason or "").strip()
    if len(text) > MAX_LOOP_REASON:
        raise InvalidInput(
            "{what} is too long: {length} characters, at most {limit}",
            field="reason",
            what=Localized("原因", "reason"),
            length=len(text),
            limit=MAX_LOOP_REASON,
        )
    if has_control_characters(text, allowed=LINE_BREAKS_AND_TABS):
        raise InvalidInput(
            "{what} contains control characters", field="reason", what=Localized("原因", "reason")
        )
    if not text:
        raise InvalidInput("a new round needs a reason", field="reason")
    return text


def project_open_for_loop(project: Project) -> None:
    """Only a running project loops: a cancelled or completed one is final, a
    suspended one is resumed first."""
    project_not_cancelled(project)
    if project.status is ProjectStatus.COMPLETED:
        raise Conflict("project #{id} “{name}” is already completed", id=project.id or "?", name=project.name)
    if project.status is ProjectStatus.SUSPENDED:
        raise Conflict(
            "project #{id} “{name}” is suspended: resume it before starting a new round",
            id=project.id or "?",
            name=project.name,
        )


def looper_may_act(project: Project, actor: Person) -> None:
    """The project's planner or a coordinator of its street declares a failed
    consent and starts the new round; the street office and the district decide,
    they do not loop."""
    if not actor.active:
        raise PermissionDenied("{person} is no longer active in the directory", person=actor.name)
    if actor.role is Role.PLANNER and actor.id == project.planner_id:
        return
    if actor.role is Role.COORDINATOR and actor.covers_street(project.district, project.street):
        return
    raise PermissionDenied(
        "{person} cannot start a new round of project #{id}: "
        "only its planner or a coordinator of its street can",
        person=actor.name,
        id=project.id or "?",
    )


def consent_failed(project: Project, key: str, result: Tally | None, today: dt.date) -> str:
    """Whether the consent of stage ``key`` has failed, and why (``TALLY_FAILED`` or
    ``DEADLINE_PASSED``); a conflict otherwise. Failed: the stage is in progress,
    its tally does not pass, and ballots were cast or its deadline has passed."""
    stage = project.stage(key)
    if stage.state is not StageState.IN_PROGRESS:
        raise Conflict(
            "stage {stage_name} is not in progress ({state}): only a consent in progress can fail",
            state=stage.state.value,
            **_words(project, key),
        )
    if result is not None and result.passed:
        raise Conflict(
            "the ballot of {stage_name} passes: mark the stage done instead of starting a new round",
            **_words(project, key),
        )
    if result is not None and result.ballots > 0:
        return TALLY_FAILED
    if stage.deadline is not None and today > stage.deadline.due:
        return DEADLINE_PASSED
    raise Conflict(
        "the ballot of {stage_name} has not failed: "
        "no ballot was cast and its deadline ({due}) has not passed",
        due=stage.deadline.due.isoformat() if stage.deadline else "—",
        **_words(project, key),
    )


def loop_not_before_history(project: Project, stages: tuple[str, ...], at: dt.datetime) -> None:
    """A new round is not dated before anything its reset stages already hold (a
    back-dated ``--now`` earlier than a ballot, a submission or an approval on them
    is refused)."""
    for key in stages:
        last = project.stages[key].last_moment()
        if last is not None and at < last:
            raise RuleViolation(
                "cannot start a new round at {at}: stage {stage_name} changed later, at {then}",
                field="now",
                at=moment_label(at),
                then=moment_label(last),
                **_words(project, key),
            )


@dataclass(frozen=True)
class LoopPlan:
    """What a loop will do: the failing stage, its target, the stages reset and why
    the gate failed."""

    failing: str
    target: str
    stages: tuple[str, ...]
    why: str


def check_loop(project: Project, key: str, actor: Person, result: Tally | None, today: dt.date) -> LoopPlan:
    """Every rule on a loop, in order: the project, who, the template's loop, the
    failed gate."""
    project_open_for_loop(project)
    looper_may_act(project, actor)
    target = loop_target(project, key)
    why = consent_failed(project, key, result, today)
    return LoopPlan(key, target, tuple(loop_stages(project.template, key, target)), why)


def may_loop(project: Project, key: str, actor: Person, result: Tally | None, today: dt.date) -> bool:
    """Whether ``actor`` may loop stage ``key`` now (the web page's box)."""
    try:
        check_loop(project, key, actor, result, today)
    except (Conflict, PermissionDenied):
        return False
    return True


def loop_back(
    project: Project,
    key: str,
    actor: Person,
    *,
    reason: str | None,
    result: Tally | None,
    now: dt.datetime,
    calendar: WorkingCalendar,
) -> tuple[LoopPlan, list[Event]]:
    """Loop a failed stage back to its template's target (see the module's
    description). Returns the plan and the events: ``stage.looped``, the extension
    requests withdrawn (``stage.extension_withdrawn``), then the target's new
    deadline."""
    text = loop_reason_given(reason)
    plan = check_loop(project, key, actor, result, local_date(now))
    loop_not_before_history(project, plan.stages, now)
    withdrawn = withdraw_open_extensions(project, plan, actor, now)
    rounds: dict[str, int] = {}
    old_deadlines: dict[str, str | None] = {}
    old_evidence: dict[str, Any] = {}
    old_files: dict[str, list[dict[str, Any]]] = {}
    for stage_key in plan.stages:
        stage = project.stages[stage_key]
        old_deadlines[stage_key] = stage.deadline.due.isoformat() if stage.deadline else None
        if stage.evidence:
            old_evidence[stage_key] = dict(stage.evidence)
        if stage.attachments:
            old_files[stage_key] = [
                {
                    "key": a.key,
                    "filename": a.filename,
                    "sha256": a.sha256,
                    "stored_as": a.stored_as,
                    "added_by": a.added_by,
                    "added_at": a.added_at.isoformat(),
                }
                for a in stage.attachments
            ]
        pause = stage.open_pause()
        if pause is not None:
            pause.resumed_at, pause.resumed_by, pause.dirty = now, actor.id, True
        stage.dropped_attachments.extend(a.id for a in stage.attachments if a.id is not None)
        stage.attachments = []
        stage.evidence = {}
        stage.round += 1
        stage.submitted_at = stage.approved_at = None
        stage.deadline = None
        stage.state = StageState.IN_PROGRESS if stage_key == plan.target else StageState.PENDING
        stage.activated_at = now if stage_key == plan.target else None
        rounds[stage_key] = stage.round
        project._touch(stage)
    failing = project.stages[key]
    event = Event(
        EventKind.STAGE_LOOPED,
        now,
        actor.id,
        stage=key,
        before=StageState.IN_PROGRESS.value,
        after=failing.state.value,
        data={
            "reason": text,
            "why": plan.why,
            "failing_stage": key,
            "target": plan.target,
            "stages_reset": list(plan.stages),
            "rounds": rounds,
            "deadlines_removed": old_deadlines,
            "evidence_archived": old_evidence,
            "files_archived": old_files,
            "tally": consent_summary(result) if result is not None else None,
            "extensions_withdrawn": {e.stage: e.data["working_days"] for e in withdrawn if e.stage},
        },
    )
    target = project.stages[plan.target]
    return plan, [event, *withdrawn, *project._refresh_deadline(target, now, calendar, "new round")]


def withdraw_open_extensions(
    project: Project, plan: LoopPlan, actor: Person, now: dt.datetime
) -> list[Event]:
    """A new round withdraws the extension requests still waiting on the stages it
    resets: they asked for more time in a round that is over (the new round's
    deadlines come from the template's rules), so nobody is left to decide them —
    they leave the street office's worklist, and the planner asks again in the new
    round if need be. Each is closed as ``withdrawn`` by whoever looped, with a
    ``stage.extension_withdrawn`` event saying why (a new round, its reason is in
    the ``stage.looped`` event)."""
    events: list[Event] = []
    for stage_key in plan.stages:
        events += project.withdraw_open_extension(
            project.stages[stage_key],
            actor.id,
            now,
            why=WITHDRAWN_NEW_ROUND,
            status="withdrawn",
            data={"failing_stage": plan.failing, "target": plan.target},
        )
    return events
