"""The project's life, as its coordinator steers it: suspended and resumed,
cancelled, handed over to another planner, its name, community or parties list
corrected.

A part of the project aggregate: ``ProjectLife`` is mixed into
``models.project.Project`` and its methods act on that project.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .calendar import WorkingCalendar
from .deadlines import LOCAL_TZ, local_date
from .errors import N_, Conflict, InvalidInput, Localized, Refusals, RuleViolation
from .events import Event, EventKind
from .parties import check_party_removable, check_party_role, party_fits_project, party_words
from .people import Person
from .project_input import (
    COMMUNITY,
    HANDOVER_NOTE,
    MAX_NAME,
    PROJECT_NAME,
    check_planner,
    check_required_text,
    require_reason,
)
from .rules import Action
from .stage import WITHDRAWN_PROJECT_CANCELLED, ClockPause
from .states import ProjectStatus, StageState

if TYPE_CHECKING:
    from .project import Project


class ProjectLife:
    """The commands on the whole project: its status, its planner, its details."""

    def _set_status(
        self: Project, status: ProjectStatus, reason: str | None, actor_id: str, now: dt.datetime
    ) -> None:
        self.status = status
        self.status_reason = reason
        self.status_since = now
        self.status_by = actor_id
        self.project_touched = True

    def suspend(self: Project, actor: Person, *, reason: str, now: dt.datetime) -> list[Event]:
        """The coordinator stops the whole project for a while (funding, a dispute,
        winter …), with a reason: the clocks of its stages in progress pause (a stage
        already paused on its own stays so), no reminders go out, and no stage is
        acted on until the project is resumed."""
        reason = require_reason(reason, "a suspension")
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

    def resume(self: Project, actor: Person, *, now: dt.datetime, calendar: WorkingCalendar) -> list[Event]:
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

    def cancel(self: Project, actor: Person, *, reason: str, now: dt.datetime) -> list[Event]:
        """Cancel the project for good, with a reason (see the rule on who may). A
        cancelled project is final: no command acts on it, no reminder goes out."""
        reason = require_reason(reason, "a cancellation")
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
        self: Project,
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
        note = require_reason(note, "a handover", label=HANDOVER_NOTE, field="note")
        self.ensure_project_allowed(actor, Action.HANDOVER)
        if from_planner is not None and from_planner != self.planner_id:
            raise Conflict(
                "the project has been handed over to {person} meanwhile; look at it again before "
                "handing it over",
                field="planner",
                person=previous.name if previous is not None else self.planner_id,
            )
        check_planner(planner, self.district, self.street, Localized(self.street_name or self.street))
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
        self: Project,
        actor: Person,
        *,
        name: str | None = None,
        community: str | None = None,
        seen: Mapping[str, str] | None = None,
        now: dt.datetime,
    ) -> list[Event]:
        """The coordinator corrects the project's name or community; the audit log
        keeps each value before and after. ``seen``: each field's value as the person
        saw it (a form's); a field changed by someone else since is refused rather
        than overwritten — the second of two tabs would silently undo the first."""
        self.ensure_project_allowed(actor, Action.EDIT)
        changes: dict[str, list[str]] = {}
        refusals = Refusals()  # the name's and the community's problems told together
        stale: list[tuple[str, Localized, str, str]] = []
        for key, value, what, limit, empty in (
            ("name", name, PROJECT_NAME, 300, N_("project name is empty")),
            ("community", community, COMMUNITY, MAX_NAME, N_("community is empty")),
        ):
            if value is None:
                continue
            told = len(refusals.errors)
            refusals.check(check_required_text, value, what, key, limit, empty)
            if len(refusals.errors) > told:
                continue  # told with the other field's problem, below
            old = getattr(self, key)
            if value.strip() == old:
                continue
            if seen is not None and key in seen and seen[key].strip() != old:
                stale.append((key, what, old, seen[key].strip()))
                continue
            changes[key] = [old, value.strip()]
        refusals.raise_any()
        if stale:  # the first field someone else changed (both: the name)
            key, what, now_reads, was = stale[0]
            raise Conflict(
                "{what} was changed to “{now}” meanwhile (it read “{seen}” when you opened the form); "
                "look at it again before saving",
                field=key,
                what=what,
                now=now_reads,
                seen=was[:300],
            )
        if not changes:
            raise InvalidInput("nothing to change: give a new --name or --community", field="name")
        for key, (_, new) in changes.items():
            setattr(self, key, new)
        self.project_touched = True
        return [Event(EventKind.PROJECT_EDITED, now, actor.id, data={"changes": changes})]

    def set_parties(
        self: Project,
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
