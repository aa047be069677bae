"""The project aggregate: a renovation project and its stage instances.

Every command is a method that checks the transition rules, changes the project and
returns the events that describe the change. Nothing is persisted here; the service
layer saves the touched stages and appends the events in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .calendar import WorkingCalendar
from .consent import FAILED_LABELS, RULE_LABELS, Tally, consent_evidence, consent_summary, failed_conditions
from .deadlines import LOCAL_TZ, Deadline, PausePeriod, compute_deadline, local_date
from .errors import N_, Conflict, InvalidInput, Localized, Phrase, Problem, Refusals, RuleViolation
from .events import SYSTEM_ACTOR, Event, EventKind
from .evidence import JsonValue, evidence_shortfalls
from .parties import (
    check_party_removable,
    check_party_role,
    party_fits_project,
    party_has_not_signed,
    party_may_sign,
    party_words,
    signers_named,
    step_complete,
)
from .people import ROLE_LABELS_EN, ROLE_LABELS_ZH, Person, Role
from .rules import (
    ActingTime,
    Action,
    Attempt,
    ProjectAttempt,
    TimedAttempt,
    coordinator_may_act,
    enforce,
    enforce_project,
    enforce_time,
)
from .satisfaction import SurveyTally, satisfaction_evidence, survey_summary
from .states import ProjectStatus, StageState
from .template import ApprovalLevel, JointStep, PartyRole, ProcessTemplate, RatioCheck, StageSpec
from .text import LINE_BREAKS_AND_TABS, has_control_characters, is_blank

MAX_EXTENSION_WORKING_DAYS = 250
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


@dataclass
class Project:
    id: int | None
    name: str
    district: str
    street: str
    community: str
    planner_id: str
    coordinator_id: str
    template: ProcessTemplate
    params: dict[str, Any]
    start_date: dt.date
    created_at: dt.datetime
    status: ProjectStatus = ProjectStatus.ACTIVE
    completed_at: dt.datetime | None = None
    # why, since when and by whom the project is suspended or cancelled
    status_reason: str | None = None
    status_since: dt.datetime | None = None
    status_by: str | None = None
    # display names of the street and district, for the messages people read
    street_name: str = ""
    district_name: str = ""
    stages: dict[str, Stage] = field(default_factory=dict)
    # the project's parties: party role → person id (see ``models.parties``)
    parties: dict[str, str] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set, repr=False)
    project_touched: bool = field(default=False, repr=False)
    parties_touched: bool = field(default=False, repr=False)

    # -- creation -------------------------------------------------------------------
    @classmethod
    def start(
        cls,
        *,
        template: ProcessTemplate,
        params: Mapping[str, Any],
        name: str,
        district: str,
        street: str,
        community: str,
        planner: Person,
        coordinator: Person,
        start_date: dt.date,
        fixed_dues: Mapping[str, dt.date],
        now: dt.datetime,
        calendar: WorkingCalendar,
        street_name: str = "",
        district_name: str = "",
        parties: Mapping[str, str] | None = None,
    ) -> tuple[Project, list[Event]]:
        """A coordinator starts a project for their street; the stages with no
        dependencies start on the project's start date. ``parties``: the project's
        parties list, as ``parties.resolve_parties`` checked it."""
        # each field's problems are told together (a person corrects them in one go);
        # who may start a project is asked before the planner, as before
        refusals = Refusals()
        refusals.check(_required_text, name, PROJECT_NAME, "name", 300, N_("project name is empty"))
        refusals.check(_required_text, community, COMMUNITY, "community", MAX_NAME, N_("community is empty"))
        if not coordinator.active:
            raise RuleViolation("{person} is no longer active in the directory", person=coordinator.name)
        where = Localized(street_name or street)
        coordinator_may_act(coordinator, district, street, Action.START, street_name=where)
        refusals.check(_check_planner, planner, district, street, where)
        needs_date = [s.id for s in template.stages if s.deadline.set_at_start]
        for stage_id in sorted(set(fixed_dues) - set(template.stage_ids)):
            refusals.errors.append(
                InvalidInput("--stage-deadline names unknown stage {stage}", stage=stage_id)
            )
        for key in sorted(set(fixed_dues) & set(template.stage_ids) - set(needs_date)):
            settable = [template.stage(s) for s in needs_date]
            refusals.errors.append(
                InvalidInput(
                    "stage {stage_name} has a deadline rule in the template; only {settable} take a deadline "
                    "at the start",
                    field=f"deadline.{key}",
                    stage=key,
                    stage_name=stage_name(template.stage(key)),
                    settable=Localized(
                        "、".join(s.name for s in settable) or "无",
                        ", ".join(f"{s.name_en or s.name} ({s.id})" for s in settable) or "none",
                    ),
                )
            )
        for stage_id in needs_date:
            due = fixed_dues.get(stage_id)
            if due is None:
                refusals.errors.append(
                    InvalidInput(
                        "stage {stage_name} needs its deadline set at start (a date like 2026-10-30)",
                        field=f"deadline.{stage_id}",
                        stage=stage_id,
                        stage_name=stage_name(template.stage(stage_id)),
                    )
                )
            elif due <= start_date:
                refusals.errors.append(
                    InvalidInput(
                        "the deadline of {stage_name} ({due}) must be later than the project start ({start})",
                        field=f"deadline.{stage_id}",
                        stage=stage_id,
                        stage_name=stage_name(template.stage(stage_id)),
                        due=due.isoformat(),
                        start=start_date.isoformat(),
                    )
                )
        refusals.raise_any()

        project = cls(
            id=None,
            name=name.strip(),
            district=district,
            street=street,
            community=community.strip(),
            planner_id=planner.id,
            coordinator_id=coordinator.id,
            template=template,
            params=dict(params),
            start_date=start_date,
            created_at=now,
            street_name=street_name,
            district_name=district_name,
            parties=dict(parties or {}),
        )
        project.parties_touched = bool(project.parties)
        for position, spec in enumerate(template.stages):
            project.stages[spec.id] = Stage(
                key=spec.id, position=position, fixed_due=fixed_dues.get(spec.id), spec=spec
            )
        project.touched = set(project.stages)
        events = [
            Event(
                EventKind.PROJECT_STARTED,
                now,
                coordinator.id,
                after=ProjectStatus.ACTIVE.value,
                data={
                    "name": project.name,
                    "district": district,
                    "street": street,
                    "community": project.community,
                    "planner": planner.id,
                    "team": planner.team,
                    "template": template.ref,
                    "params": dict(params),
                    "start_date": start_date.isoformat(),
                    **({"parties": dict(project.parties)} if project.parties else {}),
                },
            )
        ]
        # Stages with no dependencies start on the project's start date, which may be
        # earlier than the day it is registered (the events are stamped `now`) — or
        # later: then they stay pending until that day (see `begin`).
        if start_date <= local_date(now):
            events += project.begin(now, calendar)
        for stage in project.stages.values():
            if stage.deadline is None:
                events += project._refresh_deadline(stage, now, calendar, "project start")
        return project, events

    def has_begun(self) -> bool:
        return any(stage.state is not StageState.PENDING for stage in self.stages.values())

    def begin(self, now: dt.datetime, calendar: WorkingCalendar) -> list[Event]:
        """The start day has come: the stages with no dependencies start, dated on the
        project's start date. Nothing happens before that day, or a second time."""
        if self.has_begun() or self.start_date > local_date(now):
            return []
        start_moment = dt.datetime.combine(self.start_date, dt.time(), LOCAL_TZ).astimezone(dt.UTC)
        return self._activate_ready(now, calendar, started_at=start_moment)

    # -- lookups --------------------------------------------------------------------
    def stage(self, key: str) -> Stage:
        self.template.stage(key)  # raises NotFound naming the template's stages
        return self.stages[key]

    def ensure_allowed(self, key: str, actor: Person, action: Action) -> None:
        """Raise if ``actor`` may not take ``action`` on stage ``key`` now."""
        self._attempt(key, actor, action)

    def check_time(self, key: str, action: Action, time: ActingTime) -> None:
        """Raise if ``action`` on stage ``key`` may not be dated ``time.at``: not in
        the future, not before the project's start, the event it answers or the
        stage's last event (see the time rules in ``rules``)."""
        enforce_time(TimedAttempt(self, self.stage(key), action, time))

    def _attempt(self, key: str, actor: Person, action: Action) -> Stage:
        stage = self.stage(key)
        enforce(Attempt(self, stage, actor, action))
        return stage

    def _touch(self, stage: Stage) -> None:
        self.touched.add(stage.key)

    # -- planner --------------------------------------------------------------------
    def _ballot_failed(self, spec: StageSpec, consent: Tally) -> Problem:
        """A failed Art. 278 ballot, as a problem of the consent evidence: with a way
        back in the template (``on_failure``), the two ways forward, each edge naming
        its own means (the CLI its commands, the web page its buttons, the API its
        endpoints)."""
        assert spec.consent is not None
        values: dict[str, Any] = {
            "rule": RULE_LABELS[consent.rule],
            "failed": Localized(
                "；".join(FAILED_LABELS[f].zh for f in failed_conditions(consent)),
                "; ".join(str(FAILED_LABELS[f]) for f in failed_conditions(consent)),
            ),
        }
        field = f"evidence.{spec.consent.approving}"
        if spec.on_failure is None:
            return Problem(
                field, N_("the ballot did not pass under Civil Code Art. 278 ({rule}): {failed}"), values
            )
        return Problem(
            field,
            N_(
                "the ballot did not pass under Civil Code Art. 278 ({rule}): {failed}; "
                "revise the proposal and consult again (accompany stage loop) or cancel "
                "the project (accompany project cancel)"
            ),
            {
                **values,
                # the buttons of the project page's box for a failed consent, by their labels
                "loop": Phrase(N_("Revise the proposal and consult again")),
                "close": Phrase(N_("Close the project")),
                "project_id": self.id,
                "stage": spec.id,
            },
            at_edge={
                "web": N_(
                    "the ballot did not pass under Civil Code Art. 278 ({rule}): {failed}; "
                    "on the project page, start a new round with “{loop}” or close the "
                    "project with “{close}”"
                ),
                "api": N_(
                    "the ballot did not pass under Civil Code Art. 278 ({rule}): {failed}; "
                    "revise the proposal and consult again "
                    "(POST /api/v1/projects/{project_id}/stages/{stage}/loop) or cancel the "
                    "project (POST /api/v1/projects/{project_id}/cancel)"
                ),
            },
        )

    def complete_stage(
        self,
        key: str,
        actor: Person,
        *,
        evidence: Mapping[str, JsonValue],
        attachments: Sequence[Attachment],
        note: str | None,
        now: dt.datetime,
        calendar: WorkingCalendar,
        consent: Tally | None = None,
        survey: SurveyTally | None = None,
    ) -> list[Event]:
        """The planner marks a stage done. The evidence recorded so far (kept across
        returns) plus this submission must satisfy the stage's rules.

        ``consent``: the tally of the stage's ballots when there are any (a stage with
        ``consent:`` in the template). Its counts become the consent evidence (a typed
        figure that differs is refused) and its Art. 278 verdict replaces the ratio
        checks on those keys.

        ``survey``: the tally of the stage's satisfaction answers when there are any
        (a stage with ``satisfaction:``); it becomes the respondents and satisfaction
        evidence the same way, and its per-dimension sums go into the event for the
        quarterly report."""
        stage = self._attempt(key, actor, Action.COMPLETE)
        spec = self.template.stage(key)
        signers_named(spec, self.parties)
        # a bad note is told with the evidence's shortfalls, not a submission before them
        bad_note = Refusals()
        bad_note.check(check_text, note or "", NOTE, field="note", limit=MAX_REASON)
        if survey is not None and spec.satisfaction is not None:
            evidence = {
                **evidence,
                **satisfaction_evidence(
                    evidence,
                    survey,
                    respondents_key=spec.satisfaction.respondents,
                    satisfied_key=spec.satisfaction.satisfied,
                    labels=spec.evidence_labels(),
                ),
            }
        else:
            survey = None
        if consent is not None and spec.consent is not None:
            computed = consent_evidence(
                evidence,
                consent,
                participating_key=spec.consent.participating,
                approving_key=spec.consent.approving,
                labels=spec.evidence_labels(),
            )
            evidence = {**evidence, **computed}
            keys = set(computed)
            checked = spec.model_copy(
                update={
                    "checks": tuple(
                        c
                        for c in spec.checks
                        if not (isinstance(c, RatioCheck) and {c.numerator, c.denominator} & keys)
                    )
                }
            )
        else:
            consent, checked = None, spec
        merged = {**stage.evidence, **evidence}
        attached = stage.attached_keys() | {a.key for a in attachments if a.key}
        for attachment in attachments:
            if attachment.key is not None:
                field_spec = spec.field(attachment.key)
                if field_spec is None or field_spec.type.value != "attachment":
                    files = [f.key for f in spec.evidence if f.type.value == "attachment"]
                    raise InvalidInput(
                        "stage {stage_name} has no file evidence {key} (file evidence: {files})",
                        field=f"attach.{attachment.key}",
                        stage=key,
                        stage_name=stage_name(spec),
                        key=attachment.key,
                        files=", ".join(files) or "—",
                    )
        today = local_date(now)
        problems = evidence_shortfalls(
            checked, merged, attached, self._open_working_days(stage, today, calendar)
        )
        if consent is not None and not consent.passed:
            problems.append((spec.consent.approving, self._ballot_failed(spec, consent)))
        if bad_note.errors and not problems:
            bad_note.raise_any()
        problems += [("note", Problem(e.field, e.template, e.values)) for e in bad_note.errors]
        if problems:
            raise RuleViolation(
                "stage {stage_name} cannot be marked done: {problems}",
                problems=[problem for _, problem in problems],
                stage=key,
                stage_name=Localized(spec.name, spec.name_en),
            )

        events: list[Event] = []
        if stage.open_pause() is not None:
            events += self._close_pause(stage, actor.id, now, calendar, "stage marked done")
        stage.evidence = merged
        # the same file given again (a resubmission after a return) is listed once
        known = {(a.key, a.sha256) for a in stage.attachments}
        stage.attachments.extend(a for a in attachments if (a.key, a.sha256) not in known)
        stage.state = StageState.SUBMITTED
        stage.submitted_at = now
        self._touch(stage)
        due = stage.deadline.due if stage.deadline else None
        events.append(
            Event(
                EventKind.STAGE_SUBMITTED,
                now,
                actor.id,
                stage=key,
                before=StageState.IN_PROGRESS.value,
                after=StageState.SUBMITTED.value,
                data={
                    "round": stage.round,
                    "first_level": spec.approval[0].value if spec.approval else None,
                    **self._newly_awaited(stage),
                    "evidence": merged,
                    **({"consent": consent_summary(consent)} if consent is not None else {}),
                    **({"satisfaction": survey_summary(survey)} if survey is not None else {}),
                    "attachments": [a.filename for a in attachments],
                    "note": note,
                    "due": due.isoformat() if due else None,
                    "on_time": (today <= due) if due else None,
                },
            )
        )
        # the work is delivered: the clock the request asked to extend has stopped
        events += self.withdraw_open_extension(stage, actor.id, now, why=WITHDRAWN_STAGE_DONE)
        if not spec.approval:
            events += self._approve_fully(stage, actor.id, now, calendar)
        return events

    def request_extension(
        self, key: str, actor: Person, *, working_days: int, reason: str, now: dt.datetime
    ) -> list[Event]:
        """The planner asks the street office for more working days, with a reason."""
        refusals = Refusals()  # the days and the reason told together
        if working_days <= 0 or working_days > MAX_EXTENSION_WORKING_DAYS:
            refusals.errors.append(
                InvalidInput(
                    "an extension must be 1–{most} working days, got {days}",
                    field="days",
                    most=MAX_EXTENSION_WORKING_DAYS,
                    days=working_days,
                )
            )
        reason = refusals.check(_require_reason, reason, "an extension request") or ""
        refusals.raise_any()
        stage = self._attempt(key, actor, Action.REQUEST_EXTENSION)
        stage.extensions.append(ExtensionRequest(now, actor.id, working_days, reason))
        self._touch(stage)
        return [
            Event(
                EventKind.EXTENSION_REQUESTED,
                now,
                actor.id,
                stage=key,
                data={"working_days": working_days, "reason": reason},
            )
        ]

    # -- street office / district -----------------------------------------------------
    def approve_stage(
        self,
        key: str,
        actor: Person,
        *,
        comment: str | None,
        now: dt.datetime,
        calendar: WorkingCalendar,
    ) -> list[Event]:
        """Approve at the next level the stage waits for; the last level approves the
        stage, starts the stages that were waiting for it, and may complete the
        project."""
        check_text(comment or "", COMMENT, field="comment", limit=MAX_REASON)
        stage = self._attempt(key, actor, Action.APPROVE)
        level = stage.next_approval_level()
        assert level is not None
        if isinstance(level, JointStep):
            return self._sign(stage, level, actor, comment=comment, now=now, calendar=calendar)
        stage.approvals.append(ApprovalRecord(stage.round, level, "approved", actor.id, now, comment or None))
        self._touch(stage)
        remaining = stage.next_approval_level()
        waited = self._waited_working_days(stage, now, calendar)
        event = Event(
            EventKind.STAGE_APPROVED,
            now,
            actor.id,
            stage=key,
            before=StageState.SUBMITTED.value,
            after=StageState.SUBMITTED.value if remaining else StageState.APPROVED.value,
            data={
                "level": level.value,
                "final": remaining is None,
                "round": stage.round,
                "comment": comment or None,
                "waited_working_days": waited,
                "next_level": remaining.value if remaining else None,
                **self._newly_awaited(stage),
            },
        )
        if remaining is not None:
            return [event]
        return [event, *self._approve_fully(stage, actor.id, now, calendar, record_event=False)]

    def return_stage(
        self,
        key: str,
        actor: Person,
        *,
        reason: str,
        now: dt.datetime,
    ) -> list[Event]:
        """Send a done stage back to the planner with a reason; approvals given in
        this round are void and the stage is decided again after the next
        submission. The deadline is not moved by a return."""
        reason = _require_reason(reason, "a return")
        stage = self._attempt(key, actor, Action.RETURN)
        step = stage.next_approval_level()
        assert step is not None
        # a party returning a joint step: the whole round goes back (all sign again)
        level = PartyRole(actor.role.value) if isinstance(step, JointStep) else step
        stage.approvals.append(ApprovalRecord(stage.round, level, "returned", actor.id, now, reason))
        stage.round += 1
        stage.state = StageState.IN_PROGRESS
        stage.submitted_at = None
        self._touch(stage)
        return [
            Event(
                EventKind.STAGE_RETURNED,
                now,
                actor.id,
                stage=key,
                before=StageState.SUBMITTED.value,
                after=StageState.IN_PROGRESS.value,
                data={
                    "level": level.value,
                    "reason": reason,
                    "round": stage.round - 1,
                    **({"party": level.value, "step": step.mode} if isinstance(step, JointStep) else {}),
                },
            )
        ]

    def _sign(
        self,
        stage: Stage,
        step: JointStep,
        actor: Person,
        *,
        comment: str | None,
        now: dt.datetime,
        calendar: WorkingCalendar,
    ) -> list[Event]:
        """A party signs the joint step the stage waits for (the rules checked the
        party may): an approval record with the party; when the step is complete the
        stage goes on to its next step, or is approved after the last one."""
        name = stage_name(self.template.stage(stage.key))
        role = party_may_sign(actor, step, self.parties, name)
        party_has_not_signed(actor, stage, name)
        stage.approvals.append(
            ApprovalRecord(stage.round, PartyRole(role), "approved", actor.id, now, comment or None)
        )
        self._touch(stage)
        remaining = stage.next_approval_level()
        awaited = [] if remaining is step else None
        if awaited is not None:
            signed = {a.level.value for a in stage.approvals_this_round()}
            awaited = [p.value for p in step.parties if p.value not in signed]
        event = Event(
            EventKind.STAGE_APPROVED,
            now,
            actor.id,
            stage=stage.key,
            before=StageState.SUBMITTED.value,
            after=StageState.SUBMITTED.value if remaining else StageState.APPROVED.value,
            data={
                "level": role,
                "party": role,
                "step": step.mode,
                "awaited": awaited or [],
                "final": remaining is None,
                "round": stage.round,
                "comment": comment or None,
                "waited_working_days": self._waited_working_days(stage, now, calendar),
                "next_level": remaining.value if remaining else None,
                **(self._newly_awaited(stage) if remaining is not step else {}),
            },
        )
        if remaining is not None:
            return [event]
        return [event, *self._approve_fully(stage, actor.id, now, calendar, record_event=False)]

    def _newly_awaited(self, stage: Stage) -> dict[str, Any]:
        """For the event that makes a joint step the one a stage waits for: the
        parties it awaits (role → person on the project), whom it notifies."""
        step = stage.next_approval_level()
        if not isinstance(step, JointStep):
            return {}
        signed = {a.level.value for a in stage.approvals_this_round()}
        return {
            "awaited_parties": {
                p.value: self.parties.get(p.value) for p in step.parties if p.value not in signed
            }
        }

    def set_parties(
        self,
        actor: Person,
        changes: Mapping[str, Person | None],
        *,
        removed: Sequence[str] = (),
        names: Mapping[str, str] | None = None,
        now: dt.datetime,
    ) -> list[Event]:
        """The coordinator names (or replaces) parties on the project's parties list;
        each must fit the project (see ``parties.party_fits_project``; ``None``: an id
        missing from the directory). ``removed``: roles taken off the list (see
        ``parties.check_party_removable``). Signatures already given stay. ``names``:
        the names of the people on the list now (the event names everyone it mentions,
        so the history reads names, not ids, whoever leaves the directory later)."""
        self.ensure_project_allowed(actor, Action.EDIT)
        where = Localized(self.street_name or self.street)
        changed: dict[str, list[str | None]] = {}
        for role in removed:
            if role in changes:
                raise InvalidInput(
                    "party {party}: named and removed at once", field=f"party.{role}", party=party_words(role)
                )
            check_party_removable(role, self.parties, list(self.stages.values()))
            changed[role] = [self.parties[role], None]
        for role, person in changes.items():
            check_party_role(role)  # an unknown role first: "not in the directory" would mislead
            if person is None:
                raise InvalidInput(
                    "party {party}: not in the directory", field=f"party.{role}", party=party_words(role)
                )
            party_fits_project(role, person, self.district, self.street, where)
            if self.parties.get(role) != person.id:
                changed[role] = [self.parties.get(role), person.id]
        if not changed:
            raise InvalidInput("nothing to change: the parties are already so", field="party")
        for role, (_, new) in changed.items():
            if new is None:
                del self.parties[role]
            else:
                self.parties[role] = new
        self.parties_touched = True
        self.project_touched = True  # the project's version check guards the list
        named = {**(names or {}), **{p.id: p.name for p in changes.values() if p is not None}}
        mentioned = {pid for pair in changed.values() for pid in pair if pid is not None}
        return [
            Event(
                EventKind.PROJECT_EDITED,
                now,
                actor.id,
                data={
                    "parties": changed,
                    "names": {pid: named[pid] for pid in sorted(mentioned) if pid in named},
                },
            )
        ]

    def decide_extension(
        self,
        key: str,
        actor: Person,
        *,
        grant: bool,
        working_days: int | None,
        comment: str | None,
        now: dt.datetime,
        calendar: WorkingCalendar,
    ) -> list[Event]:
        """The street office grants (all or part of the requested days) or refuses
        (with a reason) a waiting extension request."""
        check_text(comment or "", COMMENT, field="comment", limit=MAX_REASON)
        stage = self._attempt(key, actor, Action.DECIDE_EXTENSION)
        request = stage.open_extension()
        assert request is not None
        if grant:
            days = request.working_days if working_days is None else working_days
            if days <= 0 or days > request.working_days:
                raise InvalidInput(
                    "granted days must be 1–{most} (the days requested), got {days}",
                    field="days",
                    most=request.working_days,
                    days=days,
                )
        else:
            if working_days is not None:
                raise InvalidInput("--days goes with granting, not refusing", field="days")
            comment = _require_reason(comment or "", "a refusal")
        request.status = "granted" if grant else "refused"
        request.decided_by = actor.id
        request.decided_at = now
        request.granted_days = days if grant else None
        request.comment = comment or None
        request.dirty = True
        self._touch(stage)
        events = [
            Event(
                EventKind.EXTENSION_GRANTED if grant else EventKind.EXTENSION_REFUSED,
                now,
                actor.id,
                stage=key,
                data={
                    "requested_days": request.working_days,
                    "granted_days": request.granted_days,
                    "reason": request.reason,
                    "comment": request.comment,
                    "requested_by": request.requested_by,
                },
            )
        ]
        if grant:
            events += self._refresh_deadline(stage, now, calendar, f"extension of {days} working days")
        return events

    # -- coordinator ------------------------------------------------------------------
    def pause_clock(self, key: str, actor: Person, *, reason: str, now: dt.datetime) -> list[Event]:
        """Stop a stage's deadline clock (winter construction stop, waiting for
        residents …). While paused the stage is never overdue."""
        reason = _require_reason(reason, "a pause")
        stage = self._attempt(key, actor, Action.PAUSE)
        stage.pauses.append(ClockPause(now, actor.id, reason))
        self._touch(stage)
        return [
            Event(
                EventKind.CLOCK_PAUSED,
                now,
                actor.id,
                stage=key,
                before="running",
                after="paused",
                data={"reason": reason},
            )
        ]

    def resume_clock(
        self, key: str, actor: Person, *, now: dt.datetime, calendar: WorkingCalendar
    ) -> list[Event]:
        """Restart a paused clock; the deadline moves by the working days it was
        paused."""
        stage = self._attempt(key, actor, Action.RESUME)
        return self._close_pause(stage, actor.id, now, calendar, "resumed")

    # -- the project's life -------------------------------------------------------------
    def ensure_project_allowed(self, actor: Person, action: Action) -> None:
        """Raise if ``actor`` may not take ``action`` on the whole project now."""
        enforce_project(ProjectAttempt(self, actor, action))

    def _set_status(self, status: ProjectStatus, reason: str | None, actor_id: str, now: dt.datetime) -> None:
        self.status = status
        self.status_reason = reason
        self.status_since = now
        self.status_by = actor_id
        self.project_touched = True

    def suspend(self, actor: Person, *, reason: str, now: dt.datetime) -> list[Event]:
        """The coordinator stops the whole project for a while (funding, a dispute,
        winter …), with a reason: the clocks of its stages in progress pause (a stage
        already paused on its own stays so), no reminders go out, and no stage is
        acted on until the project is resumed."""
        reason = _require_reason(reason, "a suspension")
        self.ensure_project_allowed(actor, Action.SUSPEND)
        running = [
            s for s in self.stages.values() if s.state is StageState.IN_PROGRESS and s.open_pause() is None
        ]
        self._set_status(ProjectStatus.SUSPENDED, reason, actor.id, now)
        events = [
            Event(
                EventKind.PROJECT_SUSPENDED,
                now,
                actor.id,
                before=ProjectStatus.ACTIVE.value,
                after=ProjectStatus.SUSPENDED.value,
                data={"reason": reason, "paused_stages": [s.key for s in running]},
            )
        ]
        for stage in running:
            stage.pauses.append(ClockPause(now, actor.id, reason, suspension=True))
            self._touch(stage)
            events.append(
                Event(
                    EventKind.CLOCK_PAUSED,
                    now,
                    actor.id,
                    stage=stage.key,
                    before="running",
                    after="paused",
                    data={"reason": reason, "why": "project suspended"},
                )
            )
        return events

    def resume(self, actor: Person, *, now: dt.datetime, calendar: WorkingCalendar) -> list[Event]:
        """The coordinator resumes a suspended project: the clocks the suspension
        paused run again and their deadlines move by the working days it lasted."""
        self.ensure_project_allowed(actor, Action.RESUME_PROJECT)
        since = self.status_since
        if since is not None and now < since:
            raise InvalidInput(
                "cannot resume at {now}: the project was suspended later, at {suspended}",
                field="now",
                now=now.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
                suspended=since.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
            )
        days = calendar.working_days_between(local_date(since), local_date(now)).days if since else 0
        reason = self.status_reason
        self._set_status(ProjectStatus.ACTIVE, None, actor.id, now)
        events = [
            Event(
                EventKind.PROJECT_RESUMED,
                now,
                actor.id,
                before=ProjectStatus.SUSPENDED.value,
                after=ProjectStatus.ACTIVE.value,
                data={
                    "reason": reason,
                    "suspended_at": since.isoformat() if since else None,
                    "suspended_working_days": days,
                },
            )
        ]
        for stage in self.stages.values():
            pause = stage.open_pause()
            if pause is not None and pause.suspension:
                events += self._close_pause(stage, actor.id, now, calendar, "project resumed")
        # a project suspended before its start day begins now if that day has come
        return events + self.begin(now, calendar)

    def cancel(self, actor: Person, *, reason: str, now: dt.datetime) -> list[Event]:
        """Cancel the project for good, with a reason (see the rule on who may). A
        cancelled project is final: no command acts on it, no reminder goes out."""
        reason = _require_reason(reason, "a cancellation")
        self.ensure_project_allowed(actor, Action.CANCEL)
        before = self.status
        open_stages = [s.key for s in self.stages.values() if s.state is not StageState.APPROVED]
        approved = len(self.stages) - len(open_stages)
        self._set_status(ProjectStatus.CANCELLED, reason, actor.id, now)
        events = [
            Event(
                EventKind.PROJECT_CANCELLED,
                now,
                actor.id,
                before=before.value,
                after=ProjectStatus.CANCELLED.value,
                data={"reason": reason, "open_stages": open_stages, "approved_stages": approved},
            )
        ]
        # a cancelled project is final: nobody is left to decide its waiting requests
        for stage in self.stages.values():
            events += self.withdraw_open_extension(stage, actor.id, now, why=WITHDRAWN_PROJECT_CANCELLED)
        return events

    def hand_over(
        self,
        actor: Person,
        planner: Person,
        *,
        note: str,
        now: dt.datetime,
        previous: Person | None = None,
        from_planner: str | None = None,
    ) -> list[Event]:
        """The coordinator gives the project to another planner of its street, with a
        handover note; its open stages go with it (from now on the new planner marks
        them done). ``previous`` is the planner who held it, when known.
        ``from_planner``: the planner the person saw holding it (a form's); when it is
        no longer so, the handover was decided on a stale page (the back button after
        a handover) and is refused rather than handing the project on again."""
        note = _require_reason(note, "a handover", label=HANDOVER_NOTE, field="note")
        self.ensure_project_allowed(actor, Action.HANDOVER)
        if from_planner is not None and from_planner != self.planner_id:
            raise Conflict(
                "the project has been handed over to {person} meanwhile; look at it again before "
                "handing it over",
                field="planner",
                person=previous.name if previous is not None else self.planner_id,
            )
        _check_planner(planner, self.district, self.street, Localized(self.street_name or self.street))
        if planner.id == self.planner_id:
            raise RuleViolation(
                "{person} already is the planner of {project}",
                field="planner",
                person=planner.name,
                project=self.name,
            )
        old = self.planner_id
        self.planner_id = planner.id
        self.project_touched = True
        open_stages = [s.key for s in self.stages.values() if s.state is not StageState.APPROVED]
        return [
            Event(
                EventKind.PROJECT_HANDED_OVER,
                now,
                actor.id,
                before=old,
                after=planner.id,
                data={
                    "from": old,
                    "to": planner.id,
                    "from_name": previous.name if previous else old,
                    "to_name": planner.name,
                    "from_team": previous.team if previous else None,
                    "team": planner.team,
                    "note": note,
                    "open_stages": open_stages,
                },
            )
        ]

    def edit(
        self, actor: Person, *, name: str | None = None, community: str | None = None, now: dt.datetime
    ) -> list[Event]:
        """The coordinator corrects the project's name or community; the audit log
        keeps each value before and after."""
        self.ensure_project_allowed(actor, Action.EDIT)
        changes: dict[str, list[str]] = {}
        refusals = Refusals()  # the name's and the community's problems told together
        for key, value, what, limit, empty in (
            ("name", name, PROJECT_NAME, 300, N_("project name is empty")),
            ("community", community, COMMUNITY, MAX_NAME, N_("community is empty")),
        ):
            if value is None:
                continue
            told = len(refusals.errors)
            refusals.check(_required_text, value, what, key, limit, empty)
            if len(refusals.errors) > told:
                continue  # told with the other field's problem, below
            old = getattr(self, key)
            if value.strip() != old:
                changes[key] = [old, value.strip()]
        refusals.raise_any()
        if not changes:
            raise InvalidInput("nothing to change: give a new --name or --community", field="name")
        for key, (_, new) in changes.items():
            setattr(self, key, new)
        self.project_touched = True
        return [Event(EventKind.PROJECT_EDITED, now, actor.id, data={"changes": changes})]

    # -- calendar ---------------------------------------------------------------------
    def recompute_deadlines(self, now: dt.datetime, calendar: WorkingCalendar, reason: str) -> list[Event]:
        """Recompute every deadline (after the calendar data changed). Only deadlines
        that actually change produce events."""
        events: list[Event] = []
        for stage in self.stages.values():
            events += self._refresh_deadline(stage, now, calendar, reason)
        return events

    def settle_stages(self, now: dt.datetime, calendar: WorkingCalendar, *, reason: str) -> list[Event]:
        """After the stages changed under a begun project (a move to another template
        version, ``models.migration``): the stages whose dependencies are all approved
        start now, the stages not started get their deadlines under the current rule
        (a started stage keeps its due date), and a project with every stage approved
        is completed."""
        events = self._activate_ready(now, calendar) if self.has_begun() else []
        for stage in self.stages.values():
            if stage.state is StageState.PENDING:
                events += self._refresh_deadline(stage, now, calendar, reason)
        if self.stages and all(s.state is StageState.APPROVED for s in self.stages.values()):
            self.status, self.completed_at, self.project_touched = ProjectStatus.COMPLETED, now, True
            events.append(
                Event(
                    EventKind.PROJECT_COMPLETED,
                    now,
                    SYSTEM_ACTOR,
                    before=ProjectStatus.ACTIVE.value,
                    after=ProjectStatus.COMPLETED.value,
                )
            )
        return events

    # -- extension requests nobody is left to decide ----------------------------------------
    def withdraw_open_extension(
        self,
        stage: Stage,
        actor_id: str,
        now: dt.datetime,
        *,
        why: str,
        status: str = "lapsed",
        data: Mapping[str, Any] | None = None,
    ) -> list[Event]:
        """Close the stage's waiting extension request, if any, when nothing is left
        for it to extend: the stage was marked done (its clock stopped; on time or
        late is judged at the submission), approved, or its project cancelled — or
        a new round reset the stage (``models.loop``, status ``withdrawn``). The
        street office no longer has it to decide, and a decision on it is refused
        (``rules.ExtensionRequestOpen``); the planner asks again if the stage runs
        again (a return). A suspension does not withdraw it: the stage's clock is
        only paused and the request is decided when the project resumes. One
        ``stage.extension_withdrawn`` event says why, by whoever's command closed
        the clock, in that command's transaction."""
        request = stage.open_extension()
        if request is None:
            return []
        request.status = status
        request.decided_by = actor_id
        request.decided_at = now
        request.dirty = True
        self._touch(stage)
        return [
            Event(
                EventKind.EXTENSION_WITHDRAWN,
                now,
                actor_id,
                stage=stage.key,
                data={
                    "working_days": request.working_days,
                    "reason": request.reason,
                    "requested_by": request.requested_by,
                    "requested_at": request.requested_at.isoformat(),
                    "why": why,
                    **(data or {}),
                },
            )
        ]

    # -- internals ----------------------------------------------------------------------
    def _close_pause(
        self, stage: Stage, actor_id: str, now: dt.datetime, calendar: WorkingCalendar, why: str
    ) -> list[Event]:
        pause = stage.open_pause()
        assert pause is not None
        if now < pause.paused_at:
            raise InvalidInput(
                "cannot resume at {now}: the clock was paused later, at {paused}",
                now=now.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
                paused=pause.paused_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
            )
        pause.resumed_at = now
        pause.resumed_by = actor_id
        pause.dirty = True
        self._touch(stage)
        period = pause.period()
        assert period.end is not None
        paused_days = calendar.working_days_between(period.start, period.end).days
        return [
            Event(
                EventKind.CLOCK_RESUMED,
                now,
                actor_id,
                stage=stage.key,
                before="paused",
                after="running",
                data={
                    "paused_working_days": paused_days,
                    "paused_at": pause.paused_at.isoformat(),
                    "reason": pause.reason,
                    "why": why,
                },
            ),
            *self._refresh_deadline(stage, now, calendar, f"clock paused {paused_days} working days"),
        ]

    def _approve_fully(
        self,
        stage: Stage,
        actor_id: str,
        now: dt.datetime,
        calendar: WorkingCalendar,
        record_event: bool = True,
    ) -> list[Event]:
        events: list[Event] = []
        stage.state = StageState.APPROVED
        stage.approved_at = now
        self._touch(stage)
        # a request still waiting (one made before submissions withdrew them) has
        # nothing left to extend: withdrawn by the approval, in its transaction
        withdrawn = self.withdraw_open_extension(stage, actor_id, now, why=WITHDRAWN_STAGE_APPROVED)
        if record_event:
            events.append(
                Event(
                    EventKind.STAGE_APPROVED,
                    now,
                    actor_id,
                    stage=stage.key,
                    before=StageState.SUBMITTED.value,
                    after=StageState.APPROVED.value,
                    data={
                        "level": None,
                        "final": True,
                        "round": stage.round,
                        "comment": "no approval required",
                    },
                )
            )
        events += withdrawn
        events += self._activate_ready(now, calendar)
        # a later stage's deadline may count from this approval
        for other in self.stages.values():
            if other.deadline is None:
                events += self._refresh_deadline(other, now, calendar, f"{stage.key} approved")
        if all(s.state is StageState.APPROVED for s in self.stages.values()):
            self.status = ProjectStatus.COMPLETED
            self.completed_at = now
            self.project_touched = True
            events.append(
                Event(
                    EventKind.PROJECT_COMPLETED,
                    now,
                    actor_id,
                    before=ProjectStatus.ACTIVE.value,
                    after=ProjectStatus.COMPLETED.value,
                )
            )
        return events

    def _activate_ready(
        self, now: dt.datetime, calendar: WorkingCalendar, started_at: dt.datetime | None = None
    ) -> list[Event]:
        started_at = started_at or now
        events: list[Event] = []
        for stage in self.stages.values():
            if stage.state is not StageState.PENDING:
                continue
            deps = self.template.dependencies(stage.key)
            if all(self.stages[d].state is StageState.APPROVED for d in deps):
                stage.state = StageState.IN_PROGRESS
                stage.activated_at = started_at
                self._touch(stage)
                events.append(
                    Event(
                        EventKind.STAGE_ACTIVATED,
                        now,
                        SYSTEM_ACTOR,
                        stage=stage.key,
                        before=StageState.PENDING.value,
                        after=StageState.IN_PROGRESS.value,
                        data={"started_on": local_date(started_at).isoformat()},
                    )
                )
                events += self._refresh_deadline(stage, now, calendar, "stage started")
        return events

    def _anchor_date(self, stage: Stage) -> dt.date | None:
        rule = self.template.stage(stage.key).deadline
        if rule.anchor == "project-start":
            return self.start_date
        approved = rule.approved_stage
        if approved is not None:
            source = self.stages[approved].approved_at
            return local_date(source) if source else None
        if stage.activated_at is None:
            return None
        started = local_date(stage.activated_at)
        if rule.anchor == "notice-end":
            assert rule.notice_calendar_days is not None
            return started + dt.timedelta(days=rule.notice_calendar_days)
        return started

    def _refresh_deadline(
        self, stage: Stage, now: dt.datetime, calendar: WorkingCalendar, reason: str
    ) -> list[Event]:
        if stage.state is StageState.APPROVED and stage.deadline is not None:
            return []  # a closed stage keeps the deadline it was judged against
        new = compute_deadline(
            self.template.stage(stage.key).deadline,
            anchor=self._anchor_date(stage),
            calendar=calendar,
            template_ref=self.template.ref,
            fixed_due=stage.fixed_due,
            pauses=[p.period() for p in stage_run_pauses(stage)],
            extension_working_days=stage_run_extension_days(stage),
        )
        old = stage.deadline
        if new is None or (
            old is not None
            and old.due == new.due
            and old.provisional == new.provisional
            and old.basis == new.basis
        ):
            return []
        stage.deadline = new
        self._touch(stage)
        return [
            Event(
                EventKind.DEADLINE_SET if old is None else EventKind.DEADLINE_CHANGED,
                now,
                SYSTEM_ACTOR,
                stage=stage.key,
                before=old.due.isoformat() if old else None,
                after=new.due.isoformat(),
                data={**new.to_record(), "reason": reason},
            )
        ]

    def _open_working_days(self, stage: Stage, today: dt.date, calendar: WorkingCalendar) -> int | None:
        if stage.activated_at is None:
            return None
        started = local_date(stage.activated_at)
        total = calendar.working_days_between(started, today + dt.timedelta(days=1)).days
        paused = sum(
            calendar.working_days_between(p.period().start, p.period().end or today).days
            for p in stage.pauses
        )
        return max(0, total - paused)

    @staticmethod
    def _waited_working_days(stage: Stage, now: dt.datetime, calendar: WorkingCalendar) -> int | None:
        if stage.submitted_at is None:
            return None
        return calendar.working_days_late(local_date(stage.submitted_at), local_date(now)).days


_REASON_NEEDED = {
    "an extension request": N_("an extension request needs a reason"),
    "a return": N_("a return needs a reason"),
    "a refusal": N_("a refusal needs a reason"),
    "a pause": N_("a pause needs a reason"),
    "a suspension": N_("a suspension needs a reason"),
    "a cancellation": N_("a cancellation needs a reason"),
    "a handover": N_("a handover needs a note"),
}


def _require_reason(text: str, what: str, *, label: Localized | None = None, field: str = "reason") -> str:
    """``text`` as the reason of ``what``, refused when blank; ``label`` (the reason)
    and ``field`` name the input as its form does (a handover's is its note)."""
    check_text(text or "", label or REASON, field=field, limit=MAX_REASON)
    text = (text or "").strip()
    if is_blank(text):
        raise InvalidInput(_REASON_NEEDED[what], field=field)
    return text


MAX_NAME = 200  # a name: project, community (the columns allow more; one rule on both databases)
MAX_REASON = 5000  # a reason, comment or note


PROJECT_NAME = Localized("项目名称", "project name")
COMMUNITY = Localized("社区", "community")
REASON = Localized("原因", "reason")
NOTE = Localized("说明", "note")
HANDOVER_NOTE = Localized("交接说明", "handover note")
COMMENT = Localized("意见", "comment")


def check_text(text: str, what: Localized, *, field: str, limit: int = 300) -> None:
    """Text from people: no NUL (PostgreSQL refuses it, SQLite would keep it), no
    control characters but line breaks and tabs, and the same length limit on every
    database."""
    if len(text) > limit:
        raise InvalidInput(
            "{what} is too long: {length} characters, at most {limit}",
            field=field,
            what=what,
            length=len(text),
            limit=limit,
        )
    if has_control_characters(text, allowed=LINE_BREAKS_AND_TABS):
        raise InvalidInput("{what} contains control characters", field=field, what=what)


def _required_text(text: str, what: Localized, field: str, limit: int, empty: str) -> None:
    check_text(text, what, field=field, limit=limit)
    if is_blank(text):
        raise InvalidInput(empty, field=field)


def _check_planner(planner: Person, district: str, street: str, where: Localized) -> None:
    """The person named as a project's planner: an active planner serving its street."""
    if planner.role is not Role.PLANNER:
        raise InvalidInput(
            "{person} is a {role}, not a planner",
            field="planner",
            person=planner.name,
            role=role_name(planner),
        )
    if not planner.active:
        raise InvalidInput(
            "{person} is no longer active in the directory", field="planner", person=planner.name
        )
    if not planner.covers_street(district, street):
        raise InvalidInput(
            "planner {person} does not serve {street}", field="planner", person=planner.name, street=where
        )


def stage_name(spec: StageSpec) -> Localized:
    return Localized(spec.name, spec.name_en)


def role_name(person: Person) -> Localized:
    return Localized(ROLE_LABELS_ZH[person.role], ROLE_LABELS_EN[person.role])


def stage_run_pauses(stage: Stage) -> list[ClockPause]:
    """The pauses that move the stage's current deadline: all but those that ended
    before the stage (last) started — a pause of an earlier round (``models.loop``)."""
    started = stage.activated_at
    return [p for p in stage.pauses if started is None or p.resumed_at is None or p.resumed_at >= started]


def stage_run_extension_days(stage: Stage) -> int:
    """The granted extension days that move the current deadline: not those decided
    before the stage (last) started — an extension of an earlier round."""
    started = stage.activated_at
    return sum(
        e.granted_days or 0
        for e in stage.extensions
        if e.status == "granted" and (started is None or e.decided_at is None or e.decided_at >= started)
    )


def stage_lateness(stage: Stage, today: dt.date, calendar: WorkingCalendar) -> int:
    """Working days a stage in progress is past its deadline (0 when on time,
    paused, closed or without a deadline)."""
    if stage.state is not StageState.IN_PROGRESS or stage.deadline is None or stage.open_pause() is not None:
        return 0
    return calendar.working_days_late(stage.deadline.due, today).days
