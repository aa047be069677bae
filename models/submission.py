"""A stage marked done: the planner's submission, its evidence checked against the
stage's rules — with the consent ballot's and the satisfaction survey's tallies
where the stage has them — before it goes to its first approval step.

A part of the project aggregate: ``StageSubmission`` is mixed into
``models.project.Project`` and its methods act on that project.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .calendar import WorkingCalendar
from .consent import FAILED_LABELS, RULE_LABELS, Tally, consent_evidence, consent_summary, failed_conditions
from .deadlines import local_date
from .errors import N_, InvalidInput, Localized, Phrase, Problem, Refusals, RuleViolation
from .events import Event, EventKind
from .evidence import JsonValue, evidence_shortfalls
from .parties import signers_named
from .people import Person
from .project_input import MAX_REASON, NOTE, check_text, stage_name
from .rules import Action
from .satisfaction import SurveyTally, satisfaction_evidence, survey_summary
from .stage import WITHDRAWN_STAGE_DONE, Attachment
from .stage_timing import open_working_days
from .states import StageState
from .template import RatioCheck, StageSpec

if TYPE_CHECKING:
    from .project import Project


class StageSubmission:
    """The planner's command on a stage: mark it done."""

    def _ballot_failed(self: Project, spec: StageSpec, consent: Tally) -> Problem:
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
        self: Project,
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
        problems = evidence_shortfalls(checked, merged, attached, open_working_days(stage, today, calendar))
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
