"""Transition rules: small named guards, each with the plain-English rule it enforces.

Every action on a stage runs its rules in order (who may act first, then the state
of the stage); the first rule that fails raises an error that names the problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from .errors import Conflict, PermissionDenied, RuleViolation
from .people import Person, Role
from .states import StageState
from .template import ApprovalLevel

if TYPE_CHECKING:
    from .project import Project, Stage


class Action(StrEnum):
    COMPLETE = "mark done"
    APPROVE = "approve"
    RETURN = "return"
    PAUSE = "pause the clock of"
    RESUME = "resume the clock of"
    REQUEST_EXTENSION = "request an extension for"
    DECIDE_EXTENSION = "decide the extension of"


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
            raise PermissionDenied(f"{attempt.actor.label} is no longer active in the directory")


class ActorIsProjectPlanner(TransitionRule):
    """Only the planner assigned to the project marks its stages done or asks for
    more time."""

    def check(self, attempt: Attempt) -> None:
        project, actor = attempt.project, attempt.actor
        if actor.id != project.planner_id:
            raise PermissionDenied(
                f"{actor.label} cannot {attempt.action.value} stage {attempt.stage.key}: "
                f"only the project's planner ({project.planner_id}) can"
            )


class ActorCoordinatesProject(TransitionRule):
    """Only a coordinator of the project's street (or of its whole district) starts
    the project or pauses and resumes its stage clocks."""

    def check(self, attempt: Attempt) -> None:
        project, actor = attempt.project, attempt.actor
        coordinator_may_act(actor, project.district, project.street, attempt.action.value)


def coordinator_may_act(actor: Person, district: str, street: str, what: str) -> None:
    if actor.role is not Role.COORDINATOR:
        raise PermissionDenied(f"{actor.label} is a {actor.role.value}: only a coordinator can {what}")
    if not actor.covers_street(district, street):
        raise PermissionDenied(
            f"{actor.label} coordinates {actor.district}/{','.join(actor.streets) or '*'}, "
            f"not {district}/{street}"
        )


def approver_may_act(actor: Person, level: ApprovalLevel, district: str, street: str) -> None:
    """A street-office person of the project's street approves at the street-office
    level; a district person of the project's district at the district level."""
    if level is ApprovalLevel.STREET_OFFICE:
        if actor.role is not Role.STREET_OFFICE:
            raise PermissionDenied(
                f"{actor.label} is a {actor.role.value}: this step needs the street office of {street}"
            )
        if not actor.covers_street(district, street):
            raise PermissionDenied(
                f"{actor.label} is the street office of "
                f"{','.join(actor.streets) or actor.district}, not of {street}"
            )
    else:
        if actor.role is not Role.DISTRICT:
            raise PermissionDenied(
                f"{actor.label} is a {actor.role.value}: this step needs the district ({district})"
            )
        if actor.district != district:
            raise PermissionDenied(f"{actor.label} belongs to district {actor.district}, not {district}")


class ActorApprovesAtNextLevel(TransitionRule):
    """Approvals are given level by level in the template's order (street office,
    then district); each level only by a person of that level for the project's
    street or district."""

    def check(self, attempt: Attempt) -> None:
        stage, project = attempt.stage, attempt.project
        level = stage.next_approval_level()
        if level is not None:
            approver_may_act(attempt.actor, level, project.district, project.street)
            return
        # Nothing waits for a decision: the state rules say why, but only to someone
        # who could approve this stage at some level.
        levels = stage.spec.approval if stage.spec else ()
        refusals = []
        for candidate in levels:
            try:
                approver_may_act(attempt.actor, candidate, project.district, project.street)
                return
            except PermissionDenied as exc:
                refusals.append(exc)
        if refusals:
            raise refusals[0]


class ActorIsStreetOffice(TransitionRule):
    """Extensions of a deadline are granted or refused by the project's street office."""

    def check(self, attempt: Attempt) -> None:
        project = attempt.project
        approver_may_act(attempt.actor, ApprovalLevel.STREET_OFFICE, project.district, project.street)


# -- state ----------------------------------------------------------------------------


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
            raise RuleViolation(
                f"stage {stage.key} cannot start before {', '.join(waiting)} "
                f"{'is' if len(waiting) == 1 else 'are'} approved"
            )


class StageIsInProgress(TransitionRule):
    """Only a stage in progress can be marked done or have its clock and deadline
    changed; a stage already done or approved is a conflict."""

    def check(self, attempt: Attempt) -> None:
        stage = attempt.stage
        if stage.state is StageState.SUBMITTED:
            raise Conflict(
                f"stage {stage.key} is already done (at {stage.submitted_label()}) and waits for "
                f"{stage.next_approval_level() or 'approval'}"
            )
        if stage.state is StageState.APPROVED:
            raise Conflict(f"stage {stage.key} is already approved")
        if stage.state is not StageState.IN_PROGRESS:
            raise RuleViolation(f"stage {stage.key} is {stage.state.value}, not in progress")


class StageAwaitsDecision(TransitionRule):
    """Only a stage marked done and waiting for approval can be approved or returned."""

    def check(self, attempt: Attempt) -> None:
        stage = attempt.stage
        if stage.state is StageState.APPROVED:
            raise Conflict(f"stage {stage.key} is already approved")
        last = stage.approvals[-1] if stage.approvals else None
        if (
            stage.state is StageState.IN_PROGRESS
            and last is not None
            and last.decision == "returned"
            and last.round == stage.round - 1
        ):
            # someone decided first: the submission this approver saw is gone
            raise Conflict(
                f"stage {stage.key} was already returned by {last.decided_by} "
                f"({last.comment}); it must be marked done again before it can be decided"
            )
        if stage.state is not StageState.SUBMITTED:
            raise RuleViolation(
                f"stage {stage.key} is {stage.state.value}: it must be marked done before "
                f"it can be {'approved' if attempt.action is Action.APPROVE else 'returned'}"
            )


class ClockRunning(TransitionRule):
    """A clock that is already paused cannot be paused again."""

    def check(self, attempt: Attempt) -> None:
        pause = attempt.stage.open_pause()
        if pause is not None:
            raise Conflict(
                f"stage {attempt.stage.key}'s clock is already paused (since "
                f"{pause.paused_at.isoformat()} by {pause.paused_by}: {pause.reason})"
            )


class ClockPaused(TransitionRule):
    """Only a paused clock can be resumed."""

    def check(self, attempt: Attempt) -> None:
        if attempt.stage.open_pause() is None:
            raise RuleViolation(f"stage {attempt.stage.key}'s clock is not paused")


class NoOpenExtensionRequest(TransitionRule):
    """One extension request at a time per stage."""

    def check(self, attempt: Attempt) -> None:
        open_request = attempt.stage.open_extension()
        if open_request is not None:
            raise Conflict(
                f"stage {attempt.stage.key} already has an extension request waiting "
                f"({open_request.working_days} working days, by {open_request.requested_by})"
            )


class ExtensionRequestOpen(TransitionRule):
    """Only a waiting extension request can be granted or refused."""

    def check(self, attempt: Attempt) -> None:
        if attempt.stage.open_extension() is None:
            raise RuleViolation(f"stage {attempt.stage.key} has no extension request waiting")


RULES: dict[Action, tuple[TransitionRule, ...]] = {
    Action.COMPLETE: (
        ActorIsActive(),
        ActorIsProjectPlanner(),
        DependenciesApproved(),
        StageIsInProgress(),
    ),
    Action.APPROVE: (ActorIsActive(), ActorApprovesAtNextLevel(), StageAwaitsDecision()),
    Action.RETURN: (ActorIsActive(), ActorApprovesAtNextLevel(), StageAwaitsDecision()),
    Action.PAUSE: (
        ActorIsActive(),
        ActorCoordinatesProject(),
        DependenciesApproved(),
        StageIsInProgress(),
        ClockRunning(),
    ),
    Action.RESUME: (ActorIsActive(), ActorCoordinatesProject(), ClockPaused()),
    Action.REQUEST_EXTENSION: (
        ActorIsActive(),
        ActorIsProjectPlanner(),
        DependenciesApproved(),
        StageIsInProgress(),
        NoOpenExtensionRequest(),
    ),
    Action.DECIDE_EXTENSION: (ActorIsActive(), ActorIsStreetOffice(), ExtensionRequestOpen()),
}


def enforce(attempt: Attempt) -> None:
    for rule in RULES[attempt.action]:
        rule.check(attempt)
