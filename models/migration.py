"""Moving a running project to a newer version of its template (模板迁移).

Like instance migration in a workflow engine, but checked: the operator gives the
target version and, when stage ids changed, a stage mapping (old id → new id, or
nothing: removed). A stage of the new version that nothing maps onto is *added*.

:func:`stage_mapping` reads and checks the mapping; :func:`plan_migration` says,
stage by stage, what the move does — kept, renamed, added or removed, and what
becomes of the stage's evidence and deadline — or why it is refused; and
:func:`apply_migration` carries the plan out on the project aggregate and returns
the events (``project.migrated`` and the stage starts and deadlines it causes).

The rules (each a named function below):

- only a running project moves (not a completed, cancelled or suspended one), to a
  *higher* version of *its own* template;
- no approved work is lost: a stage that is approved, was submitted (has evidence
  or files) or holds residents' answers (ballots, surveys, comments) is not removed;
- a stage waiting for approval keeps its approval chain: when the new version
  approves it differently, decide it first;
- a started stage stays started only when its new dependencies are all approved;
- a stage waiting for a joint signing (会签/或签) has its parties on the project (a
  stage not yet marked done may get them later, as after a start: see
  ``parties.signers_named``);
- a stage of the new version whose deadline is set at the start needs its date:
  carried, or given (``--due STAGE=DATE``).

Evidence, files, approvals, pauses and extensions go with their stage. Deadlines: a
started stage keeps its due date (its clock started under the old rule); a stage not
started gets its deadline under the new rule; an added stage whose dependencies are
all approved starts at the migration, its clock counted from then; a carried
set-at-start date stays. Parameters: the project's values are carried; a parameter
the new version does not know is dropped (the plan names it); a new one takes the
new version's default.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .calendar import WorkingCalendar
from .errors import N_, AccompanyError, InvalidInput, Localized, Problem, RuleViolation
from .events import Event, EventKind
from .parties import party_words
from .states import ProjectStatus, StageState
from .template import JointStep, ProcessTemplate, StageSpec

if TYPE_CHECKING:
    from .project import Project


class StageChange(StrEnum):
    KEPT = "kept"
    RENAMED = "renamed"
    ADDED = "added"
    REMOVED = "removed"


class DeadlineFate(StrEnum):
    """What becomes of a stage's deadline."""

    KEPT = "kept"  # a started stage keeps its due date; a carried set-at-start date stays
    NEW_RULE = "new-rule"  # not started: counted under the new rule when it starts
    GIVEN = "given"  # a set-at-start date given with --due
    FROM_MIGRATION = "from-migration"  # an added stage that starts now: counted from today
    DROPPED = "dropped"  # the stage is removed


@dataclass(frozen=True)
class StagePlan:
    """One stage's fate: ``old``/``new`` its id before and after (None: added or
    removed), its state after the move (a removed stage: its state before), the
    evidence items it carries, and its deadline's fate."""

    change: StageChange
    old: str | None
    new: str | None
    state: StageState
    evidence: int = 0
    files: int = 0
    deadline: DeadlineFate = DeadlineFate.NEW_RULE


@dataclass(frozen=True)
class MigrationPlan:
    """The move of one project: from and to which template version, each stage's
    fate (in the new version's order, the removed ones last), the parameters
    dropped and added, and the refusals (empty: the move may go ahead)."""

    project_id: int | None
    template_from: str
    template_to: str
    stages: tuple[StagePlan, ...]
    params_dropped: tuple[str, ...] = ()
    params_added: Mapping[str, Any] = field(default_factory=dict)
    refusals: tuple[AccompanyError, ...] = ()

    @property
    def refused(self) -> bool:
        return bool(self.refusals)

    def renames(self) -> dict[str, str]:
        """Old id → new id of every carried stage (kept ones map to themselves)."""
        return {s.old: s.new for s in self.stages if s.old is not None and s.new is not None}

    def removed(self) -> list[str]:
        return [s.old for s in self.stages if s.change is StageChange.REMOVED and s.old is not None]

    def added(self) -> list[str]:
        return [s.new for s in self.stages if s.change is StageChange.ADDED and s.new is not None]


class MigrationRefused(RuleViolation):
    """Some of the projects cannot move: nothing was changed. ``refusals`` lists
    every refusal, per project."""

    def __init__(self, template: str, refusals: Sequence[tuple[int, AccompanyError]]):
        self.refusals = list(refusals)
        projects = sorted({project_id for project_id, _ in self.refusals})
        if len(self.refusals) == 1:
            project_id, error = self.refusals[0]
            super().__init__(
                N_("project #{id} cannot move to {template}: {problems}; nothing was changed"),
                problems=[Problem(error.field, error.template, error.values)],
                id=project_id,
                template=template,
            )
        else:
            super().__init__(
                N_(
                    "{count} problem(s) in {projects} project(s) stop the move to {template}; nothing was "
                    "changed"
                ),
                # each one, for a reader that lists them (the API's problems)
                problems=[Problem(e.field, e.template, e.values) for _, e in self.refusals],
                count=len(self.refusals),
                projects=len(projects),
                template=template,
            )


# -- the mapping -------------------------------------------------------------------------


def stage_mapping(
    raw: Mapping[str, Any] | None, old: ProcessTemplate, new: ProcessTemplate
) -> dict[str, str | None]:
    """Every stage of ``old`` with the stage of ``new`` it becomes (None: removed).
    ``raw`` is the mapping file's content, ``{stages: {old-id: new-id | null}}``;
    a stage it does not name keeps its id when ``new`` has it, and is removed when
    not. A mapping naming an unknown stage, or two stages onto one, is refused."""
    given: Mapping[str, Any] = {}
    if raw:
        if (
            not isinstance(raw, Mapping)
            or set(raw) - {"stages"}
            or not isinstance(raw.get("stages"), Mapping)
        ):
            raise InvalidInput(
                "the stage mapping must read {shape}",
                field="mapping",
                shape="stages: {old-id: new-id | null}",
            )
        given = raw["stages"]
    result: dict[str, str | None] = {}
    for key, target in given.items():
        if str(key) not in old.stage_ids:
            raise InvalidInput(
                "the stage mapping names {stage}, which is not a stage of {template} (stages: {stages})",
                field="mapping",
                stage=str(key)[:64],
                template=old.ref,
                stages=", ".join(old.stage_ids),
            )
        if target is not None and (not isinstance(target, str) or target not in new.stage_ids):
            raise InvalidInput(
                "the stage mapping maps {stage} onto {target}, which is not a stage of {template} (stages: "
                "{stages})",
                field="mapping",
                stage=str(key),
                target=str(target)[:64],
                template=new.ref,
                stages=", ".join(new.stage_ids),
            )
        result[str(key)] = target
    for key in old.stage_ids:
        if key not in result:
            result[key] = key if key in new.stage_ids else None
    onto: dict[str, str] = {}
    for key in old.stage_ids:
        target = result[key]
        if target is None:
            continue
        if target in onto:
            raise InvalidInput(
                "the stage mapping puts two stages onto {target}: {first} and {second}",
                field="mapping",
                target=target,
                first=onto[target],
                second=key,
            )
        onto[target] = key
    return result


# -- the rules ---------------------------------------------------------------------------


def _name(spec: StageSpec) -> Localized:
    return Localized(spec.name, spec.name_en)


def migration_target_fits(project: Project, new: ProcessTemplate) -> AccompanyError | None:
    """A project moves to a higher version of its own template."""
    old = project.template
    if new.id != old.id:
        return RuleViolation(
            "it runs on {current}, not on template {template}: a project moves only to another version of "
            "its own template",
            field="template",
            id=project.id,
            current=old.ref,
            template=new.id,
        )
    if new.version == old.version:
        return RuleViolation(
            "it already runs on {template}", field="template", id=project.id, template=new.ref
        )
    if new.version < old.version:
        return RuleViolation(
            "it runs on {current}: it does not move back to the older {template}",
            field="template",
            id=project.id,
            current=old.ref,
            template=new.ref,
        )
    return None


def project_may_move(project: Project) -> AccompanyError | None:
    """Only a running project moves: a completed or cancelled one is final, and a
    suspended one is resumed first (its clocks are paused by the suspension)."""
    if project.status is ProjectStatus.ACTIVE:
        return None
    message = {
        ProjectStatus.COMPLETED: N_("“{name}” is completed: it stays on {template}"),
        ProjectStatus.CANCELLED: N_("“{name}” is cancelled: it stays on {template}"),
        ProjectStatus.SUSPENDED: N_(
            "“{name}” is suspended: resume it before moving it to another template version"
        ),
    }[project.status]
    return RuleViolation(
        message, field="project", id=project.id, name=project.name, template=project.template.ref
    )


def removal_loses_nothing(
    project: Project, key: str, residents: Mapping[str, int], new: ProcessTemplate
) -> AccompanyError | None:
    """A stage is removed only when nothing was done in it that counts: not
    approved, never submitted (no evidence, no files) and no residents' answers."""
    stage = project.stages[key]
    spec = project.template.stage(key)
    values = {"stage": key, "stage_name": _name(spec), "template": new.ref, "field": f"stage.{key}"}
    if stage.state is StageState.APPROVED:
        return RuleViolation(
            "stage {stage_name} is approved and {template} drops it: the move would lose approved work; map "
            "it onto a stage of the new version",
            **values,
        )
    if stage.state is StageState.SUBMITTED or stage.evidence or stage.attachments:
        return RuleViolation(
            "stage {stage_name} has submitted evidence and {template} drops it: the move would lose its "
            "work; map it onto a stage of the new version",
            **values,
        )
    if residents.get(key):
        return RuleViolation(
            "stage {stage_name} holds {count} residents' answers and {template} drops it: the move would "
            "lose them; map it onto a stage of the new version",
            count=residents[key],
            **values,
        )
    return None


def decision_not_in_flight(project: Project, key: str, target: StageSpec) -> AccompanyError | None:
    """A stage waiting for approval keeps its approval chain: when the new version
    approves it differently, the waiting decision is taken first (approve or
    return), then the project moves."""
    stage = project.stages[key]
    if stage.state is not StageState.SUBMITTED:
        return None
    if tuple(project.template.stage(key).approval) == tuple(target.approval):
        return None
    return RuleViolation(
        "stage {stage_name} is waiting for approval and the new version approves it differently: decide it "
        "first (approve or return), then move the project",
        field=f"stage.{key}",
        stage=key,
        stage_name=_name(project.template.stage(key)),
    )


def started_stage_keeps_its_footing(
    project: Project, key: str, target: StageSpec, new: ProcessTemplate, states: Mapping[str, StageState]
) -> AccompanyError | None:
    """A stage that has started stays started only when the stages it depends on in
    the new version are all approved (``states``: each new stage's state after the
    move)."""
    if project.stages[key].state is StageState.PENDING:
        return None
    open_deps = [d for d in new.dependencies(target.id) if states.get(d) is not StageState.APPROVED]
    if not open_deps:
        return None
    waiting = new.stage(open_deps[0])
    return RuleViolation(
        "stage {stage_name} has started, but in {template} it depends on {other}, which is not approved",
        field=f"stage.{key}",
        stage=key,
        stage_name=_name(project.template.stage(key)),
        template=new.ref,
        other=_name(waiting),
    )


def parties_on_project(
    project: Project, new: ProcessTemplate, states: Mapping[str, StageState]
) -> list[AccompanyError]:
    """Every party a joint signing (会签/或签) names, of a stage waiting for its
    approval, is on the project's parties list: name it first (``accompany project
    parties``). A stage not marked done yet may get its parties later — the
    construction company and the supervision are often chosen long after the start;
    marking it done waits for them (``parties.signers_named``)."""
    problems: list[AccompanyError] = []
    seen: set[str] = set()
    for spec in new.stages:
        if states.get(spec.id) is not StageState.SUBMITTED:
            continue
        for step in spec.approval:
            if not isinstance(step, JointStep):
                continue
            for party in step.parties:
                if party.value in project.parties or party.value in seen:
                    continue
                seen.add(party.value)
                problems.append(
                    RuleViolation(
                        "stage {stage_name} of {template} is signed by the {party}, and the project has "
                        "none: name it on the project's parties list first",
                        field=f"party.{party.value}",
                        stage=spec.id,
                        stage_name=_name(spec),
                        template=new.ref,
                        party=party_words(party.value),
                        role=party.value,
                        id=project.id,
                    )
                )
    return problems


def deadline_dates_given(
    project: Project,
    new: ProcessTemplate,
    origin: Mapping[str, str | None],
    dues: Mapping[str, dt.date],
    today: dt.date,
) -> list[AccompanyError]:
    """A stage of the new version whose deadline is set at the start has its date:
    carried from the old stage, or given with ``--due`` (after today). ``--due``
    names only such a stage without a carried date. ``origin``: each new stage's
    old id (None: added)."""
    problems: list[AccompanyError] = []
    for key in sorted(dues):
        if key not in new.stage_ids:
            problems.append(
                InvalidInput(
                    "--due names {stage}, which is not a stage of {template} (stages: {stages})",
                    field=f"due.{key}",
                    stage=key[:64],
                    template=new.ref,
                    stages=", ".join(new.stage_ids),
                )
            )
            continue
        spec = new.stage(key)
        old = origin.get(key)
        carried = project.stages[old].fixed_due if old is not None else None
        if not spec.deadline.set_at_start or carried is not None:
            problems.append(
                InvalidInput(
                    "--due {stage}: the stage's deadline is not set at the migration (only a set-at-start "
                    "deadline without a date is)",
                    field=f"due.{key}",
                    stage=key,
                )
            )
        elif dues[key] <= today:
            problems.append(
                InvalidInput(
                    "--due {stage}: {due} is not after today",
                    field=f"due.{key}",
                    stage=key,
                    due=dues[key].isoformat(),
                )
            )
    for spec in new.stages:
        if not spec.deadline.set_at_start or spec.id in dues:
            continue
        old = origin.get(spec.id)
        if old is not None and project.stages[old].fixed_due is not None:
            continue
        problems.append(
            RuleViolation(
                "stage {stage_name} of {template} needs its deadline set: --due {stage}=YYYY-MM-DD",
                field=f"due.{spec.id}",
                stage=spec.id,
                stage_name=_name(spec),
                template=new.ref,
            )
        )
    return problems


# -- the plan ----------------------------------------------------------------------------


def plan_migration(
    project: Project,
    new: ProcessTemplate,
    mapping: Mapping[str, str | None],
    *,
    dues: Mapping[str, dt.date] | None = None,
    residents: Mapping[str, int] | None = None,
    params_dropped: Sequence[str] = (),
    params_added: Mapping[str, Any] | None = None,
    today: dt.date,
) -> MigrationPlan:
    """What moving ``project`` to ``new`` (its parameters resolved) does, stage by
    stage, under ``mapping`` (from :func:`stage_mapping`), with the set-at-start
    ``dues`` given; ``residents``: the residents' answers per old stage (ballots,
    surveys, comments, needs). The plan lists every refusal it finds."""
    dues = dues or {}
    residents = residents or {}
    old = project.template
    refusals: list[AccompanyError] = []
    for problem in (project_may_move(project), migration_target_fits(project, new)):
        if problem is not None:
            refusals.append(problem)
    origin: dict[str, str | None] = {target: key for key, target in mapping.items() if target is not None}
    # each new stage's state after the move, before any added stage starts
    states: dict[str, StageState] = {
        spec.id: project.stages[origin[spec.id]].state if origin.get(spec.id) else StageState.PENDING  # type: ignore[index]
        for spec in new.stages
    }
    dependencies_met = {
        spec.id: all(states[d] is StageState.APPROVED for d in new.dependencies(spec.id))
        for spec in new.stages
    }
    begun = project.has_begun()
    plans: list[StagePlan] = []
    if refusals and any(p.field == "template" for p in refusals):
        return MigrationPlan(
            project.id, old.ref, new.ref, (), tuple(params_dropped), dict(params_added or {}), tuple(refusals)
        )
    for spec in new.stages:
        source = origin.get(spec.id)
        if source is None:
            starts = begun and dependencies_met[spec.id]
            plans.append(
                StagePlan(
                    StageChange.ADDED,
                    None,
                    spec.id,
                    StageState.IN_PROGRESS if starts else StageState.PENDING,
                    deadline=DeadlineFate.GIVEN
                    if spec.id in dues
                    else DeadlineFate.FROM_MIGRATION
                    if starts
                    else DeadlineFate.NEW_RULE,
                )
            )
            continue
        stage = project.stages[source]
        for problem in (
            decision_not_in_flight(project, source, spec),
            started_stage_keeps_its_footing(project, source, spec, new, states),
        ):
            if problem is not None:
                refusals.append(problem)
        state = stage.state
        if state is StageState.PENDING and begun and dependencies_met[spec.id]:
            state = StageState.IN_PROGRESS
            fate = DeadlineFate.GIVEN if spec.id in dues else DeadlineFate.FROM_MIGRATION
        elif stage.state is not StageState.PENDING or (spec.deadline.set_at_start and stage.fixed_due):
            fate = DeadlineFate.KEPT
        else:
            fate = DeadlineFate.GIVEN if spec.id in dues else DeadlineFate.NEW_RULE
        plans.append(
            StagePlan(
                StageChange.KEPT if source == spec.id else StageChange.RENAMED,
                source,
                spec.id,
                state,
                evidence=len(stage.evidence),
                files=len(stage.attachments),
                deadline=fate,
            )
        )
    for key in old.stage_ids:
        if mapping.get(key) is not None:
            continue
        problem = removal_loses_nothing(project, key, residents, new)
        if problem is not None:
            refusals.append(problem)
        stage = project.stages[key]
        plans.append(
            StagePlan(
                StageChange.REMOVED,
                key,
                None,
                stage.state,
                evidence=len(stage.evidence),
                files=len(stage.attachments),
                deadline=DeadlineFate.DROPPED,
            )
        )
    refusals += deadline_dates_given(project, new, origin, dues, today)
    after = {p.new: p.state for p in plans if p.new is not None}
    refusals += parties_on_project(project, new, after)
    return MigrationPlan(
        project.id,
        old.ref,
        new.ref,
        tuple(plans),
        tuple(params_dropped),
        dict(params_added or {}),
        tuple(refusals),
    )


# -- carrying it out ---------------------------------------------------------------------


def apply_migration(
    project: Project,
    plan: MigrationPlan,
    new: ProcessTemplate,
    params: Mapping[str, Any],
    *,
    dues: Mapping[str, dt.date] | None,
    actor: str,
    now: dt.datetime,
    calendar: WorkingCalendar,
) -> list[Event]:
    """Move the project as ``plan`` (refused nowhere) says: its stages re-keyed,
    added and removed in the new version's order, its template and parameters
    switched; then the stages whose dependencies are all approved start (their
    clocks from ``now``) and the stages not started get their deadlines under the
    new rule. Returns ``project.migrated`` and the events that follow from it."""
    from .stage import Stage

    assert not plan.refused, "a refused plan is not applied"
    dues = dues or {}
    old_stages = project.stages
    old_names = {spec.id: _name(spec) for spec in project.template.stages}
    renames = plan.renames()
    stages: dict[str, Stage] = {}
    for position, spec in enumerate(new.stages):
        source = next((o for o, n in renames.items() if n == spec.id), None)
        if source is None:
            stage = Stage(key=spec.id, position=position, fixed_due=dues.get(spec.id), spec=spec)
        else:
            stage = old_stages[source]
            stage.key, stage.position, stage.spec = spec.id, position, spec
            if not spec.deadline.set_at_start:
                stage.fixed_due = None
            elif spec.id in dues:
                stage.fixed_due = dues[spec.id]
        stages[spec.id] = stage
    project.stages = stages
    project.template = new
    project.params = dict(params)
    project.touched = set(stages)
    project.project_touched = True
    events = [
        Event(
            EventKind.PROJECT_MIGRATED,
            now,
            actor,
            before=str(plan.template_from.rpartition("@")[2]),
            after=str(new.version),
            data={
                "template_from": plan.template_from,
                "template_to": plan.template_to,
                "stages": [
                    {
                        "change": s.change.value,
                        "from": s.old,
                        "to": s.new,
                        "state": s.state.value,
                        "evidence": s.evidence,
                        "files": s.files,
                        "deadline": s.deadline.value,
                        # the names people read in the audit log
                        "from_name": old_names[s.old].zh if s.old else None,
                        "from_name_en": old_names[s.old].en if s.old else None,
                        "to_name": new.stage(s.new).name if s.new else None,
                        "to_name_en": new.stage(s.new).name_en if s.new else None,
                    }
                    for s in plan.stages
                ],
                "params_dropped": list(plan.params_dropped),
                "params_added": dict(plan.params_added),
            },
        )
    ]
    events += project.settle_stages(now, calendar, reason=f"moved to {new.ref}")
    return events


def plan_rows(plan: MigrationPlan, project: Project | None = None) -> list[dict[str, Any]]:
    """The plan as rows people read (the CLI's table, the API's answer): each
    stage's change, ids, state, evidence and deadline — with the due date the
    project has after the move when ``project`` is the moved aggregate."""
    rows = []
    for s in plan.stages:
        due = None
        if project is not None and s.new is not None and s.new in project.stages:
            deadline = project.stages[s.new].deadline
            due = deadline.due.isoformat() if deadline else None
        rows.append(
            {
                "change": s.change.value,
                "from": s.old,
                "to": s.new,
                "state": s.state.value,
                "evidence": s.evidence,
                "files": s.files,
                "deadline": s.deadline.value,
                "due": due,
            }
        )
    return rows
