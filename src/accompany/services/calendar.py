"""Keeping deadlines true to the calendar data in force.

Policy for a year nobody knows yet (documented in the README): a deadline that
reaches into it is computed on weekdays only and flagged **provisional** everywhere
it is shown. Every deadline records the calendar data (source and hash per year) it
was computed with; when the data in force differs (an operator added next year's
schedule or corrected a year), :func:`sync_calendar` recomputes those deadlines —
each change a ``stage.deadline_changed`` event in the audit log. ``calendar add``
runs it at once; the daily reminder sweep runs it too, so a file dropped into the
calendar folder by hand is picked up without anyone remembering to.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ..calendars import calendar_state_fingerprint, read_calendar_file
from ..db.orm import ProjectRow, StageRow, SystemStateRow
from ..models.errors import Conflict, InvalidInput
from ..models.events import SYSTEM_ACTOR, Event, EventKind
from ..models.states import ProjectStatus, StageState
from .outbox import insert_for
from .recording import record

if TYPE_CHECKING:
    from ..bootstrap import App

STATE_KEY = "calendar"


@dataclass(frozen=True)
class SyncResult:
    fingerprint: str
    previous: str | None
    projects_checked: int
    deadlines_changed: int


def _stored_state(app: App) -> dict[str, Any]:
    """What the last sync recorded: the fingerprint of the calendar data in force and
    each year's (``years``); empty when never synced."""
    with app.reader() as uow:
        row = uow.session.get(SystemStateRow, STATE_KEY)
        return dict(row.value) if row else {}


#: the projects whose deadlines follow the calendar (not completed, not cancelled)
_OPEN = (ProjectStatus.ACTIVE.value, ProjectStatus.SUSPENDED.value)


def _stale_project_ids(app: App, *, only_provisional: bool) -> list[int]:
    """Active projects with an open deadline computed from calendar data other than
    the data in force now (each deadline records the source and hash per year)."""
    calendar = app.calendar
    query = (
        select(StageRow.project_id, StageRow.deadline)
        .join(ProjectRow)
        .where(
            # a suspended project's deadlines stay right for the day it resumes
            ProjectRow.status.in_(_OPEN),
            StageRow.state != StageState.APPROVED.value,
            StageRow.deadline.is_not(None),
        )
    )
    if only_provisional:
        query = query.where(StageRow.due_provisional.is_(True))
    stale: set[int] = set()
    with app.reader() as uow:
        for project_id, deadline in uow.session.execute(query):
            if project_id in stale:
                continue
            used = (deadline or {}).get("calendar", {})
            if any(calendar.fingerprint([int(year)])[year] != source for year, source in used.items()):
                stale.add(project_id)
    return sorted(stale)


def _check_not_behind(app: App, stored: dict[str, str] | None, *, automatic: bool) -> None:
    """Refuse to recompute from a calendar older than the one the database's deadlines
    were computed with. Machines that do not share the calendar folder would otherwise
    move deadlines back and forth, each move logged: a web worker without next year's
    file undoing what ``calendar add`` did on another machine. A year this machine
    lacks is refused always; a year it knows differently only when the sweep found it
    (which of the two is newer cannot be told; ``calendar add`` or ``recompute`` on
    purpose may correct it). ``stored``: each year's fingerprint as the last sync kept it."""
    if not stored:
        return  # never synced, or synced before the years were kept
    here = {str(o.year): o.fingerprint for o in app.calendar_origins}
    missing = sorted(year for year in stored if year not in here)
    differing = sorted(year for year in stored if year in here and here[year] != stored[year])
    if missing or (automatic and differing):
        raise Conflict(
            "this machine's calendar differs from the one the deadlines were computed with "
            "(years {years}): nothing was recomputed; give every machine the same calendar folder "
            "(ACCOMPANY_CALENDAR_DIR) and the same chinese-calendar version",
            years=", ".join(missing or differing),
        )


def sync_calendar(app: App, *, force_all: bool = False, automatic: bool = False) -> SyncResult:
    """Recompute the deadlines whose calendar data is no longer the data in force.

    Cheap when nothing changed since the last sync: only provisional deadlines are
    looked at. When the data changed (or was never synced, or ``force_all``), every
    open deadline's recorded calendar basis is compared with the current data.
    ``automatic``: the daily sweep asks, not an operator (see :func:`_check_not_behind`)."""
    fingerprint = calendar_state_fingerprint(app.calendar_origins)
    state = _stored_state(app)
    previous = state.get("fingerprint")
    if previous is not None and previous != fingerprint:
        _check_not_behind(app, state.get("years"), automatic=automatic)
    now = app.acting_time().at
    if force_all:
        with app.reader() as uow:
            project_ids = sorted(
                uow.session.scalars(select(ProjectRow.id).where(ProjectRow.status.in_(_OPEN)))
            )
    else:
        project_ids = _stale_project_ids(app, only_provisional=previous == fingerprint)
    reason = "calendar data changed" if previous not in (None, fingerprint) else "calendar recheck"
    changed = 0
    for project_id in project_ids:
        with app.uow() as uow:
            project = uow.projects.get(project_id)
            events = project.recompute_deadlines(now, app.calendar, reason)
            if events:
                uow.projects.save(project)
                record(app, uow, project, events)
                uow.commit()
                changed += len(events)
    if previous != fingerprint:
        _remember(app, fingerprint, changed)
    return SyncResult(fingerprint, previous, len(project_ids), changed)


def _remember(app: App, fingerprint: str, changed: int) -> None:
    """Store the fingerprint of the calendar data now in force, and log the change
    once — also when two sweeps get here at the same moment (the row is created if
    missing, then locked, then compared)."""
    now = app.now()
    with app.uow() as uow:
        table = SystemStateRow.__table__
        insert = insert_for(uow.session)
        uow.session.execute(
            insert(table)
            .values(key=STATE_KEY, value={"fingerprint": None}, updated_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        row = uow.session.scalar(
            select(SystemStateRow).where(SystemStateRow.key == STATE_KEY).with_for_update()
        )
        assert row is not None
        stored = row.value.get("fingerprint")
        if stored == fingerprint:
            return  # someone else recorded it first
        record(
            app,
            uow,
            None,
            [
                Event(
                    EventKind.CALENDAR_CHANGED,
                    now,
                    SYSTEM_ACTOR,
                    before=stored,
                    after=fingerprint,
                    data={
                        "files": {
                            str(o.year): o.origin
                            for o in app.calendar_origins
                            if o.origin != o.source  # years from operator files
                        },
                        "deadlines_changed": changed,
                    },
                )
            ],
        )
        row.value = {
            "fingerprint": fingerprint,
            "synced_at": now.isoformat(),
            # each year's data, so that a machine with older data can tell (_check_not_behind)
            "years": {str(o.year): o.fingerprint for o in app.calendar_origins},
        }
        row.updated_at = now
        uow.commit()


def add_calendar_file(app: App, path: Path) -> tuple[Path, SyncResult]:
    """Check a calendar file, install it in the operator calendar folder, and
    recompute the deadlines it affects. A malformed file changes nothing."""
    schedule = read_calendar_file(path)
    target_dir = app.settings.resolved_calendar_dir()
    target = target_dir / f"{schedule.year}.yaml"
    for existing in sorted(target_dir.glob("*.yaml")) if target_dir.is_dir() else []:
        if existing.resolve() == path.resolve():
            target = existing
            break
        if existing.resolve() != target.resolve() and _year_of(existing) == schedule.year:
            raise InvalidInput(
                "year {year} is already defined by {path}; edit or replace that file",
                year=schedule.year,
                path=str(existing),
            )
    if path.resolve() != target.resolve():
        target_dir.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".yaml.partial")
        shutil.copyfile(path, partial)
        partial.replace(target)
    app.reload_calendar()
    try:
        app.calendar  # noqa: B018 - loads and validates all files together
    except InvalidInput:
        if path.resolve() != target.resolve():
            target.unlink(missing_ok=True)
        app.reload_calendar()
        raise
    return target, sync_calendar(app)


def _year_of(path: Path) -> int | None:
    try:
        return read_calendar_file(path).year
    except InvalidInput:  # a malformed file is reported by `calendar check`
        return None


def provisional_years(app: App) -> dict[int, int]:
    """Unknown years that open deadlines depend on → how many stages."""
    counts: dict[int, int] = {}
    with app.reader() as uow:
        rows = uow.session.execute(
            select(StageRow.deadline).where(
                StageRow.due_provisional.is_(True), StageRow.state != StageState.APPROVED.value
            )
        ).scalars()
        for record_ in rows:
            for year, source in (record_ or {}).get("calendar", {}).items():
                if source.startswith("unknown"):
                    counts[int(year)] = counts.get(int(year), 0) + 1
    return counts
