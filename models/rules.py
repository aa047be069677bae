"""Transition rules: small named guards, each with the plain-English rule it enforces.

Every action on a stage runs its rules in order (who may act first, then the state
of the stage); the first rule that fails raises an error that names the problem.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from .deadlines import LOCAL_TZ
from .errors import Conflict, Localized, PermissionDenied, RuleViolation
from .parties import party_has_not_signed, party_may_sign, step_words
from .people import ROLE_LABELS_EN, ROLE_LABELS_ZH, Person, Role
from .states import ProjectStatus, StageState
from .template import ApprovalLevel, JointStep

if TYPE_CHECKING:
    from .project import Project
    from .stage import Stage


class Action(StrEnum):
    COMPLETE = "mark done"
    APPROVE = "approve"
    RETURN = "return"
    PAUSE = "pause the clock of"
    RESUME = "resume the clock of"
    REQUEST_EXTENSION = "request an extension for"
    DECIDE_EXTENSION = "decide the extension of"
    START = "start a project in"
    SUSPEND = "suspend"
    RESUME_PROJECT = "resume"
    CANCEL = "cancel"
    HANDOVER = "hand over"
    EDIT = "edit"
    MIGRATE = "move to another template version"

    @property
    def words(self) -> Localized:
        return ACTION_WORDS[self]


ACTION_WORDS = {
    Action.COMPLETE: Localized("标记完成", "mark done"),
    Action.APPROVE: Localized("审批通过", "approve"),
    Action.RETURN: Localized("退回", "return"),
    Action.PAUSE: Localized("暂停计时", "pause the clock of"),
    Action.RESUME: Localized("恢复计时", "resume the clock of"),
    Action.REQUEST_EXTENSION: Localized("申请延期", "request an extension for"),
    Action.DECIDE_EXTENSION: Localized("审批延期", "decide the extension of"),
    Action.START: Localized("启动项目", "start a project"),
    Action.SUSPEND: Localized("暂停项目", "suspend a project"),
    Action.RESUME_PROJECT: Localized("恢复项目", "resume a project"),
    Action.CANCEL: Localized("取消项目", "cancel a project"),
    Action.HANDOVER: Localized("更换责任规划师", "hand a project over to another planner"),
    Action.EDIT: Localized("修改项目信息", "edit a project"),
    Action.MIGRATE: Localized("迁移项目模板版本", "move a project to another template version"),
}
LEVEL_WORDS = {
    ApprovalLevel.STREET_OFFICE: Localized("街道办事处", "street office"),
    ApprovalLevel.DISTRICT: Localized("区规划分局", "district"),
}


def _stage(stage: Stage) -> dict[str, object]:
    """The values naming a stage in a message: its id and its name."""
    spec = stage.spec
    return {
        "stage": stage.key,
        "stage_name": Localized(spec.name, spec.name_en) if spec else Localized(stage.key),
    }


def _role(person: Person) -> Localized:
    return Localized(ROLE_LABELS_ZH[person.role], ROLE_LABELS_EN[person.role])


def _where(project: Project) -> Localized:
    return Localized(project.street_name or project.street)


@dataclass(frozen=True)
class Attempt:
    """One person trying one action on one stage of one project."""

    project: Project
    stage: Stage
    actor: Person
    action: Action


class TransitionRule:
    """Base class: ``check`` raises when the attempt is not allowed."""

    def check(self, attempt: Attempt) -> None:  # pragma: no cover - interface
        raise NotImplementedError


# -- who ----------------------------------------------------------------------------


class ActorIsActive(TransitionRule):
    """Someone removed from the directory can no longer act."""

    def check(self, attempt: Attempt) -> None:
        if not attempt.actor.active:
            raise PermissionDenied("{person} is no longer active in the directory", person=attempt.actor.name)


class ActorIsProjectPlanner(TransitionRule):
    """Only the planner assigned to the project marks its stages done or asks for
    more time."""

    def check(self, attempt: Attempt) -> None:
        project, actor = attempt.project, attempt.actor
        if actor.id != project.planner_id:
            raise PermissionDenied(
                "{person} cannot {action} stage {stage_name}: only the project's planner can",
                person=actor.name,
                action=attempt.action.words,
                **_stage(attempt.stage),
            )


class ActorCoordinatesProject(TransitionRule):
    """Only a coordinator of the project's street (or of its whole district) starts
    the project or pauses and resumes its stage clocks."""

    def check(self, attempt: Attempt) -> None:
        project, actor = attempt.project, attempt.actor
        coordinator_may_act(
            actor, project.district, project.street, attempt.action, street_name=_where(project)
        )


def coordinator_only(actor: Person, action: Action) -> None:
    """Only coordinators do ``action`` anywhere (start or import projects): asked before
    a form for it is shown, so that nobody fills one in to be refused."""
    if actor.role is not Role.COORDINATOR:
        raise PermissionDenied(
            "{person} is a {role}: only a coordinator can {action}",
            person=actor.name,
            role=_role(actor),
            action=action.words,
        )


def coordinator_may_act(
    actor: Person, district: str, street: str, action: Action, *, street_name: Localized | None = None
) -> None:
    where = street_name or Localized(street)
    coordinator_only(actor, action)
    if not actor.covers_street(district, street):
        raise PermissionDenied("{person} does not coordinate {street}", person=actor.name, street=where)


def approver_may_act(
    actor: Person,
    level: ApprovalLevel,
    district: str,
    street: str,
    *,
    street_name: Localized | None = None,
    district_name: Localized | None = None,
) -> None:
    """A street-office person of the project's street approves at the street-office
    level; a district person of the project's district at the district level."""
    where = street_name or Localized(street)
    if level is ApprovalLevel.STREET_OFFICE:
        if actor.role is not Role.STREET_OFFICE:
            raise PermissionDenied(
                "{person} is a {role}: this step needs the street office of {street}",
                person=actor.name,
                role=_role(actor),
                street=where,
            )
        if not actor.covers_street(district, street):
            raise PermissionDenied(
                "{person} is not the street office of {street}", person=actor.name, street=where
            )
    else:
        area = district_name or Localized(district)
        if actor.role is not Role.DISTRICT:
            raise PermissionDenied(
                "{person} is a {role}: this step needs the district ({district})",
                person=actor.name,
                role=_role(actor),
                district=area,
            )
        if actor.district != district:
            raise PermissionDenied("{person} does not belong to {district}", person=actor.name, district=area)


class ActorApprovesAtNextLevel(TransitionRule):
    """Approvals are given step by step in the template's order (street office,
    then district); each level only by a person of that level for the project's
    street or district, each joint step (会签/或签) only by the parties it names."""

    def check(self, attempt: Attempt) -> None:
        stage = attempt.stage
        level = stage.next_approval_level()
        if attempt.action is Action.APPROVE:
            party_signs_once(attempt)
        if level is not None:
            step_may_be_decided_by(attempt, level)
            return
        # Nothing waits for a decision: the state rules say why, but only to someone
        # who could approve this stage at some level.
        levels = stage.spec.approval if stage.spec else ()
        refusals = []
        for candidate in levels:
            try:
                step_may_be_decided_by(attempt, candidate)
                return
            except PermissionDenied as exc:
                refusals.append(exc)
        if refusals:
            raise refusals[0]


def step_may_be_decided_by(attempt: Attempt, step: ApprovalLevel | JointStep) -> None:
    """A level is decided by a person of that level (see :func:`approver_may_act`);
    a joint step by a party it names who is that party on the project's parties
    list (see ``parties.party_may_sign``)."""
    project = attempt.project
    if isinstance(step, JointStep):
        party_may_sign(attempt.actor, step, project.parties, _stage(attempt.stage)["stage_name"])  # type: ignore[arg-type]
        return
    approver_may_act(
        attempt.actor,
        step,
        project.district,
        project.street,
        street_name=_where(project),
        district_name=Localized(project.district_name or project.district),
    )


def party_signs_once(attempt: Attempt) -> None:
    """A party that signed the stage's current round does not sign it again (a
    conflict, whatever step the stage has moved on to)."""
    if attempt.actor.is_party and attempt.stage.state is StageState.SUBMITTED:
        party_has_not_signed(attempt.actor, attempt.stage, _stage(attempt.stage)["stage_name"])  # type: ignore[arg-type]


def step_name(step: ApprovalLevel | JointStep) -> Localized:
    """The words for the approval step a stage waits for."""
    return step_words(step) if isinstance(step, JointStep) else LEVEL_WORDS[step]


class ActorIsStreetOffice(TransitionRule):
    """Extensions of a deadline are granted or refused by the project's street office."""

    def check(self, attempt: Attempt) -> None:
        project = attempt.project
        approver_may_act(
            attempt.actor,
            ApprovalLevel.STREET_OFFICE,
            project.district,
            project.street,
            street_name=_where(project),
        )


# -- state ----------------------------------------------------------------------------


def _project(project: Project) -> dict[str, object]:
    """The values naming a project in a message: its number and its name."""
    return {"id": project.id if project.id is not None else "?", "name": project.name}


def _since(project: Project) -> str:
    return moment_label(project.status_since) if project.status_since else "?"


def project_not_cancelled(project: Project) -> None:
    """A cancelled project is final: nothing acts on it any more (a conflict: it
    changed under whoever still meant to act)."""
    if project.status is ProjectStatus.CANCELLED:
        raise Conflict(
            "project #{id} “{name}” was cancelled on {when} ({reason}): nothing more can be done on it",
            when=_since(project),
            reason=project.status_reason or "",
            **_project(project),
        )


class ProjectOpenForWork(TransitionRule):
    """No stage of a cancelled project is acted on; a suspended project's stages wait
    (their clocks are paused) until the coordinator resumes the project."""

    def check(self, attempt: Attempt) -> None:
        project = attempt.project
        project_not_cancelled(project)
        if project.status is ProjectStatus.SUSPENDED:
            raise RuleViolation(
                "project #{id} “{name}” is suspended since {when} ({reason}): the coordinator resumes it "
                "first",
                when=_since(project),
                reason=project.status_reason or "",
                **_project(project),
            )


class DependenciesApproved(TransitionRule):
    """A stage cannot start before every stage it depends on is approved."""

    def check(self, attempt: Attempt) -> None:
        project, stage = attempt.project, attempt.stage
        waiting = [
            dep
            for dep in project.template.dependencies(stage.key)
            if project.stages[dep].state is not StageState.APPROVED
        ]
        if waiting:
            names = [project.template.stage(key) for key in waiting]
            raise RuleViolation(
                "stage {stage_name} cannot start before {waiting} is approved",
                waiting=Localized(
                    "、".join(s.name for s in names), ", ".join(s.name_en or s.id for s in names)
                ),
                **_stage(stage),
            )


class StageIsInProgress(TransitionRule):
    """Only a stage in progress can be marked done or have its clock and deadline
    changed; a stage already done or approved is a conflict."""

    def check(self, attempt: Attempt) -> None:
        stage = attempt.stage
        if stage.state is StageState.SUBMITTED:
            level = stage.next_approval_level()
            raise Conflict(
                "stage {stage_name} is already done (at {when}) and waits for the {level}",
                when=stage.submitted_label(),
                level=step_name(level) if level else Localized("审批", "approval"),
                **_stage(stage),
            )
        if stage.state is StageState.APPROVED:
            raise Conflict("stage {stage_name} is already approved", **_stage(stage))
        if stage.state is not StageState.IN_PROGRESS:
            raise RuleViolation("stage {stage_name} has not started yet", **_stage(stage))


class StageAwaitsDecision(TransitionRule):
    """Only a stage marked done and waiting for approval can be approved or returned."""

    def check(self, attempt: Attempt) -> None:
        stage = attempt.stage
        if stage.state is StageState.APPROVED:
            raise Conflict("stage {stage_name} is already approved", **_stage(stage))
        last = stage.approvals[-1] if stage.approvals else None
        if (
            stage.state is StageState.IN_PROGRESS
            and last is not None
            and last.decision == "returned"
            and last.round == stage.round - 1
        ):
            # someone decided first: the submission this approver saw is gone
            # the reason's start only: the whole of it (up to 5,000 characters) is on the
            # project page, and a banner two screens long hid what the refusal says
            reason = last.comment or ""
            raise Conflict(
                "stage {stage_name} was already returned on {when} ({reason}); it must be marked done again "
                "before it can be decided",
                when=moment_label(last.decided_at),
                reason=reason if len(reason) <= 40 else reason[:40] + "…",
                **_stage(stage),
            )
        if stage.state is not StageState.SUBMITTED:
            raise RuleViolation(
                "stage {stage_name} is not marked done: it must be marked done before it can be decided",
                **_stage(stage),
            )


class ClockRunning(TransitionRule):
    """A clock that is already paused cannot be paused again."""

    def check(self, attempt: Attempt) -> None:
        pause = attempt.stage.open_pause()
        if pause is not None:
            raise Conflict(
                "the clock of stage {stage_name} is already paused (since {when}: {reason})",
                when=pause.paused_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
                reason=pause.reason,
                **_stage(attempt.stage),
            )


class StageNotPaused(TransitionRule):
    """A stage whose clock the coordinator paused is not marked done until the clock
    runs again: the pause says the work is stopped (resuming it is the coordinator's
    decision, not a side effect of a submission)."""

    def check(self, attempt: Attempt) -> None:
        pause = attempt.stage.open_pause()
        if pause is not None:
            raise RuleViolation(
                "the clock of stage {stage_name} was paused by {person} since {when} ({reason}); ask the "
                "coordinator to resume it first",
                person=pause.paused_by_name or pause.paused_by,
                when=pause.paused_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
                reason=pause.reason,
                **_stage(attempt.stage),
            )


class ClockPaused(TransitionRule):
    """Only a paused clock can be resumed."""

    def check(self, attempt: Attempt) -> None:
        if attempt.stage.open_pause() is None:
            raise RuleViolation("the clock of stage {stage_name} is not paused", **_stage(attempt.stage))


class NoOpenExtensionRequest(TransitionRule):
    """One extension request at a time per stage."""

    def check(self, attempt: Attempt) -> None:
        open_request = attempt.stage.open_extension()
        if open_request is not None:
            raise Conflict(
                "stage {stage_name} already has an extension request waiting ({days} working days)",
                days=open_request.working_days,
                **_stage(attempt.stage),
            )


#: what became of an extension request that no longer waits, in a refusal's words
EXTENSION_OUTCOMES = {
    "granted": Localized("已批准", "granted"),
    "refused": Localized("已驳回", "refused"),
    "withdrawn": Localized("因重新征询而撤销", "withdrawn by a new round"),
    "lapsed": Localized(
        "已撤销（阶段已提交或项目已取消）", "withdrawn (the stage was marked done or the project cancelled)"
    ),
}


class ExtensionRequestOpen(TransitionRule):
    """Only a waiting extension request can be granted or refused; one already
    decided or withdrawn is a conflict (someone, or the stage's own progress, got
    there first)."""

    def check(self, attempt: Attempt) -> None:
        stage = attempt.stage
        if stage.open_extension() is not None:
            return
        last = stage.extensions[-1] if stage.extensions else None
        if last is None:
            raise RuleViolation("stage {stage_name} has no extension request waiting", **_stage(stage))
        raise Conflict(
            "the extension request on stage {stage_name} no longer waits for a decision: {outcome} on {when}",
            outcome=EXTENSION_OUTCOMES.get(last.status, Localized(last.status)),
            when=moment_label(last.decided_at) if last.decided_at else "?",
            **_stage(stage),
        )


class ExtensionClockRuns(TransitionRule):
    """An extension moves the deadline of a stage whose clock runs: once the stage is
    marked done or approved there is nothing left to extend (a request still
    waiting from before that rule was withdrawn is refused here too)."""

    def check(self, attempt: Attempt) -> None:
        stage = attempt.stage
        if stage.state is StageState.IN_PROGRESS:
            return
        if stage.state is StageState.APPROVED:
            raise Conflict(
                "stage {stage_name} is already approved: its deadline no longer runs, so no extension can be "
                "decided",
                **_stage(stage),
            )
        if stage.state is StageState.SUBMITTED:
            raise Conflict(
                "stage {stage_name} is already done (at {when}): its deadline no longer runs, so no "
                "extension can be decided",
                when=stage.submitted_label(),
                **_stage(stage),
            )
        raise RuleViolation("stage {stage_name} has not started yet", **_stage(stage))


RULES: dict[Action, tuple[TransitionRule, ...]] = {
    Action.COMPLETE: (
        ActorIsActive(),
        ActorIsProjectPlanner(),
        ProjectOpenForWork(),
        DependenciesApproved(),
        StageIsInProgress(),
        StageNotPaused(),
    ),
    Action.APPROVE: (
        ActorIsActive(),
        ActorApprovesAtNextLevel(),
        ProjectOpenForWork(),
        StageAwaitsDecision(),
    ),
    Action.RETURN: (
        ActorIsActive(),
        ActorApprovesAtNextLevel(),
        ProjectOpenForWork(),
        StageAwaitsDecision(),
    ),
    Action.PAUSE: (
        ActorIsActive(),
        ActorCoordinatesProject(),
        ProjectOpenForWork(),
        DependenciesApproved(),
        StageIsInProgress(),
        ClockRunning(),
    ),
    Action.RESUME: (ActorIsActive(), ActorCoordinatesProject(), ProjectOpenForWork(), ClockPaused()),
    Action.REQUEST_EXTENSION: (
        ActorIsActive(),
        ActorIsProjectPlanner(),
        ProjectOpenForWork(),
        DependenciesApproved(),
        StageIsInProgress(),
        NoOpenExtensionRequest(),
    ),
    Action.DECIDE_EXTENSION: (
        ActorIsActive(),
        ActorIsStreetOffice(),
        ProjectOpenForWork(),
        ExtensionRequestOpen(),
        ExtensionClockRuns(),
    ),
}


#: the actions taken on a stage (starting a project is not one)
STAGE_ACTIONS = tuple(RULES)


def enforce(attempt: Attempt) -> None:
    for rule in RULES[attempt.action]:
        rule.check(attempt)


# -- the project's life ------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectAttempt:
    """One person trying one action on a whole project (suspend, resume, cancel,
    hand over, edit)."""

    project: Project
    actor: Person
    action: Action


class ProjectRule:
    """Base class: ``check`` raises when the attempt is not allowed."""

    def check(self, attempt: ProjectAttempt) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ProjectActorIsActive(ProjectRule):
    """Someone removed from the directory can no longer act."""

    def check(self, attempt: ProjectAttempt) -> None:
        if not attempt.actor.active:
            raise PermissionDenied("{person} is no longer active in the directory", person=attempt.actor.name)


class ActorCoordinatesWholeProject(ProjectRule):
    """Only a coordinator of the project's street (or of its whole district)
    suspends, resumes, hands over or edits the project."""

    def check(self, attempt: ProjectAttempt) -> None:
        project, actor = attempt.project, attempt.actor
        coordinator_may_act(
            actor, project.district, project.street, attempt.action, street_name=_where(project)
        )


class ActorMayCancel(ProjectRule):
    """A coordinator of the project's street or the street office of the project's
    street cancels it (which of them, once a stage is approved: see
    :class:`ApprovedOnlyByTheStreetOffice`)."""

    def check(self, attempt: ProjectAttempt) -> None:
        project, actor = attempt.project, attempt.actor
        if actor.role is Role.STREET_OFFICE:
            approver_may_act(
                actor,
                ApprovalLevel.STREET_OFFICE,
                project.district,
                project.street,
                street_name=_where(project),
            )
            return
        if actor.role is not Role.COORDINATOR:
            raise PermissionDenied(
                "{person} is a {role}: only a coordinator or the street office can {action}",
                person=actor.name,
                role=_role(actor),
                action=attempt.action.words,
            )
        coordinator_may_act(
            actor, project.district, project.street, attempt.action, street_name=_where(project)
        )


class ApprovedOnlyByTheStreetOffice(ProjectRule):
    """Once the street office has approved a stage, only the street office cancels the
    project, not a coordinator. Checked after the project's state: a completed or
    cancelled project is told as such, not sent to the street office."""

    def check(self, attempt: ProjectAttempt) -> None:
        project, actor = attempt.project, attempt.actor
        if actor.role is not Role.COORDINATOR:
            return
        approved = [s for s in project.stages.values() if s.state is StageState.APPROVED]
        if approved:
            names = [s.spec for s in approved if s.spec is not None]
            raise PermissionDenied(
                "{person} cannot cancel project #{id} “{name}”: stage {stages} is already approved, so "
                "only the street office of {street} can cancel it",
                person=actor.name,
                stages=Localized(
                    "、".join(s.name for s in names), ", ".join(s.name_en or s.id for s in names)
                ),
                street=_where(project),
                **_project(project),
            )


class ActorMayMigrate(ProjectRule):
    """A coordinator of the project's street, or the district planning branch of its
    district, moves it to another template version (the operator at the server
    acts without a person: see ``services.migration``)."""

    def check(self, attempt: ProjectAttempt) -> None:
        project, actor = attempt.project, attempt.actor
        if actor.role is Role.DISTRICT:
            if actor.district != project.district:
                raise PermissionDenied(
                    "{person} does not coordinate {street}", person=actor.name, street=_where(project)
                )
            return
        coordinator_may_act(
            actor, project.district, project.street, attempt.action, street_name=_where(project)
        )


class ProjectNotFinal(ProjectRule):
    """A cancelled or completed project is final: nothing acts on it any more."""

    def check(self, attempt: ProjectAttempt) -> None:
        project = attempt.project
        project_not_cancelled(project)
        if project.status is ProjectStatus.COMPLETED:
            raise Conflict("project #{id} “{name}” is already completed", **_project(project))


class ProjectIsActive(ProjectRule):
    """Only a running project is suspended (a suspended one already is)."""

    def check(self, attempt: ProjectAttempt) -> None:
        project = attempt.project
        if project.status is ProjectStatus.SUSPENDED:
            raise Conflict(
                "project #{id} “{name}” is already suspended (since {when}: {reason})",
                when=_since(project),
                reason=project.status_reason or "",
                **_project(project),
            )


class ProjectIsSuspended(ProjectRule):
    """Only a suspended project is resumed."""

    def check(self, attempt: ProjectAttempt) -> None:
        project = attempt.project
        if project.status is not ProjectStatus.SUSPENDED:
            raise RuleViolation("project #{id} “{name}” is not suspended", **_project(project))


PROJECT_RULES: dict[Action, tuple[ProjectRule, ...]] = {
    Action.SUSPEND: (
        ProjectActorIsActive(),
        ActorCoordinatesWholeProject(),
        ProjectNotFinal(),
        ProjectIsActive(),
    ),
    Action.RESUME_PROJECT: (
        ProjectActorIsActive(),
        ActorCoordinatesWholeProject(),
        ProjectNotFinal(),
        ProjectIsSuspended(),
    ),
    Action.CANCEL: (
        ProjectActorIsActive(),
        ActorMayCancel(),
        ProjectNotFinal(),
        ApprovedOnlyByTheStreetOffice(),
    ),
    Action.HANDOVER: (ProjectActorIsActive(), ActorCoordinatesWholeProject(), ProjectNotFinal()),
    Action.EDIT: (ProjectActorIsActive(), ActorCoordinatesWholeProject(), ProjectNotFinal()),
    # the project's state is one of the move's own refusals (models.migration)
    Action.MIGRATE: (ProjectActorIsActive(), ActorMayMigrate()),
}


def enforce_project(attempt: ProjectAttempt) -> None:
    for rule in PROJECT_RULES[attempt.action]:
        rule.check(attempt)


def not_before_project_history(
    project: Project, action: Action, time: ActingTime, last: dt.datetime | None
) -> None:
    """The moment of an action on a whole project: the general rules, and not before
    the project's last recorded lifecycle event (a back-fill enters the past in the
    order it happened)."""
    check_acting_time(time)
    if last is not None and time.at < last:
        raise RuleViolation(
            "cannot {action} at {at} (project #{id}): its last recorded event is later, at {then}",
            field="now",
            action=action.words,
            at=moment_label(time.at),
            then=moment_label(last),
            id=project.id if project.id is not None else "?",
        )


# -- time -------------------------------------------------------------------------------
#
# A command acts at a moment: the real time, or an earlier one an operator gives with
# ``--now`` to back-fill what happened on paper. The service layer passes both in
# (the domain never reads a clock); these rules say which moments a write may take.

#: how far a given moment may be ahead of the real clock (clocks of two machines,
#: a time typed to the minute) before it is "in the future"; and how far behind
#: before a write counts as back-dated
CLOCK_SKEW = dt.timedelta(minutes=5)


def is_backdated(
    occurred_at: dt.datetime, recorded_at: dt.datetime | None, skew: dt.timedelta = CLOCK_SKEW
) -> bool:
    """An event is back-dated when it was recorded more than the skew after the
    moment it says it happened."""
    return recorded_at is not None and recorded_at - occurred_at > skew


@dataclass(frozen=True)
class ActingTime:
    """When a command says it acts (``at``: ``--now``, or the real time) and when it
    is really given (``real``: the wall clock, read by the service layer)."""

    at: dt.datetime
    real: dt.datetime
    backdating_allowed: bool = True
    skew: dt.timedelta = CLOCK_SKEW

    @property
    def backdated(self) -> bool:
        return is_backdated(self.at, self.real, self.skew)


def moment_label(moment: dt.datetime) -> str:
    """A moment as people read it: Beijing time to the minute."""
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class TimedAttempt:
    """One action on one stage of one project, at a moment."""

    project: Project
    stage: Stage
    action: Action
    time: ActingTime


class TimeRule:
    """Base class: ``check`` raises when the moment is not allowed."""

    def check(self, attempt: TimedAttempt) -> None:  # pragma: no cover - interface
        raise NotImplementedError


def not_in_the_future(time: ActingTime) -> None:
    """No write is dated in the future: at most the skew ahead of the real clock
    (what has not happened yet cannot be recorded as done)."""
    if time.at > time.real + time.skew:
        raise RuleViolation(
            "cannot act at {at}: that is in the future (it is {real} now)",
            field="now",
            at=moment_label(time.at),
            real=moment_label(time.real),
        )


def backdating_allowed(time: ActingTime) -> None:
    """Where back-dating is turned off (ACCOMPANY_ALLOW_BACKDATING=false, for
    production), no write is dated earlier than the real time (beyond the skew)."""
    if not time.backdating_allowed and time.backdated:
        raise RuleViolation(
            "cannot act at {at}: back-dating is turned off here (ACCOMPANY_ALLOW_BACKDATING=false); "
            "it is {real} now",
            field="now",
            at=moment_label(time.at),
            real=moment_label(time.real),
        )


def check_acting_time(time: ActingTime) -> None:
    """The rules on the moment of any write, whatever it changes."""
    not_in_the_future(time)
    backdating_allowed(time)


class NotBeforeProjectStart(TimeRule):
    """Nothing happens to a project's stages before the project's start date."""

    def check(self, attempt: TimedAttempt) -> None:
        start = dt.datetime.combine(attempt.project.start_date, dt.time(), LOCAL_TZ)
        if attempt.time.at < start:
            raise RuleViolation(
                "cannot {action} stage {stage_name} at {at}: the project starts on {start}",
                field="now",
                action=attempt.action.words,
                at=moment_label(attempt.time.at),
                start=attempt.project.start_date.isoformat(),
                **_stage(attempt.stage),
            )


class NotBeforeAnsweredEvent(TimeRule):
    """A decision comes after what it answers: an approval or a return after the
    submission, a decision on an extension after the request."""

    def check(self, attempt: TimedAttempt) -> None:
        stage, at = attempt.stage, attempt.time.at
        if attempt.action in (Action.APPROVE, Action.RETURN):
            answered, what = stage.submitted_at, Localized("标记完成", "it was marked done")
        elif attempt.action is Action.DECIDE_EXTENSION:
            request = stage.open_extension()
            answered = request.requested_at if request else None
            what = Localized("申请延期", "the extension was requested")
        else:
            return
        if answered is not None and at < answered:
            raise RuleViolation(
                "cannot {action} stage {stage_name} at {at}: {what} later, at {then}",
                field="now",
                action=attempt.action.words,
                at=moment_label(at),
                what=what,
                then=moment_label(answered),
                **_stage(stage),
            )


class NotBeforeStageHistory(TimeRule):
    """A stage's history stays in order: a write is not dated before the stage's
    last recorded event (a back-fill enters the past in the order it happened)."""

    def check(self, attempt: TimedAttempt) -> None:
        last = attempt.stage.last_moment()
        if last is not None and attempt.time.at < last:
            raise RuleViolation(
                "cannot {action} stage {stage_name} at {at}: its last recorded event is later, at {then}",
                field="now",
                action=attempt.action.words,
                at=moment_label(attempt.time.at),
                then=moment_label(last),
                **_stage(attempt.stage),
            )


#: the rules on the moment of an action on a stage, after the general ones
TIME_RULES: tuple[TimeRule, ...] = (
    NotBeforeProjectStart(),
    NotBeforeAnsweredEvent(),
    NotBeforeStageHistory(),
)


def enforce_time(attempt: TimedAttempt) -> None:
    check_acting_time(attempt.time)
    for rule in TIME_RULES:
        rule.check(attempt)
