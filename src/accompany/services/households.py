"""A project's household register: load it from a file (all rows or none), list it
with contacts masked, print the residents' slips (a code and a QR code each), and
delete it — contacts only or whole — on request or after the retention period.

Every write is one transaction with its audit event (counts only: the event log is
append-only, so no contact or code ever goes into it).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import delete, func, select, union, update

from ..db.orm import BallotRow, CommentRow, HouseholdRow, NeedsAnswerRow, ProjectRow, SatisfactionRow
from ..models.errors import InvalidInput, Localized, NotFound
from ..models.events import SYSTEM_ACTOR, Event, EventKind
from ..models.households import (
    CODE_LENGTH,
    CODE_NEVER,
    Household,
    RegisterRejected,
    address_label,
    check_kept,
    check_register,
    mask_contact,
    may_manage_households,
    new_code,
    normalise_code,
    normalise_home,
    retention_ends,
)
from ..models.people import Person

if TYPE_CHECKING:
    from ..bootstrap import App
    from .unit_of_work import UnitOfWork

__all__ = ["RegisterRejected"]

#: a register file is small (a few thousand rows); anything bigger is not one
MAX_REGISTER_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class ProjectRef:
    """What the register's rules need of a project (read without the aggregate)."""

    id: int
    name: str
    community: str
    district: str
    street: str
    planner_id: str
    completed_at: dt.datetime | None


class HouseholdView(BaseModel):
    """One household as anyone may see it: the contact masked, no code."""

    building: str
    unit: str
    room: str
    label: str
    area_m2: float
    owners: int
    contact: str  # masked, "" when none


class RegisterView(BaseModel):
    project_id: int
    project_name: str
    households: list[HouseholdView]
    total_area_m2: float
    total_owners: int
    with_contact: int
    loaded_at: dt.datetime | None
    retention_ends: dt.datetime | None


class LoadReport(BaseModel):
    project_id: int
    households: int
    with_contact: int
    replaced: int
    codes_kept: int


class Slip(BaseModel):
    label: str
    code: str
    url: str


class SlipSheet(BaseModel):
    project_id: int
    project_name: str
    community: str
    slips: list[Slip]


class PurgeReport(BaseModel):
    project_id: int
    households: int
    contacts: int
    contacts_only: bool


def _project(uow: UnitOfWork, project_id: int, *, lock: bool = False) -> ProjectRef:
    query = select(
        ProjectRow.id,
        ProjectRow.name,
        ProjectRow.community,
        ProjectRow.district_id,
        ProjectRow.street_id,
        ProjectRow.planner_id,
        ProjectRow.completed_at,
    ).where(ProjectRow.id == project_id)
    if lock:
        query = query.with_for_update()
    row = uow.session.execute(query).first()
    if row is None:
        raise NotFound("unknown project {project}", project=project_id)
    return ProjectRef(*row)


def _allowed(uow: UnitOfWork, project_id: int, by: str, *, lock: bool = False) -> tuple[ProjectRef, Person]:
    actor = uow.people.resolve(by, field="by")
    project = _project(uow, project_id, lock=lock)
    may_manage_households(actor, project)
    return project, actor


def check_access(app: App, project_id: int, by: str) -> None:
    """Refuses (NotFound, PermissionDenied) unless ``by`` may manage the register."""
    with app.reader() as uow:
        _allowed(uow, project_id, by)


# -- a household named by a resident or a planner ---------------------------------------------------


#: the actor of what a resident gives on the public page (a ballot, an answer, a comment)
RESIDENT_ACTOR = "resident"


def unknown_household(text: str) -> NotFound | InvalidInput:
    """The one message for a code that is unknown, purged or another project's —
    nothing said of which. A text that cannot be a code at all (one letter short, a
    0 for an O, a home typed as 5-1-101) is told what a code looks like instead: its
    shape alone, which says nothing of the register."""
    if normalise_code(text or "") is None:
        return InvalidInput(
            "household code '{code}' is not a valid one: a code has {length} letters and digits "
            "(never {never}), as printed on your slip",
            field="code",
            code=(text or "").strip()[:12],
            length=CODE_LENGTH,
            never=Localized("、".join(CODE_NEVER), ", ".join(CODE_NEVER)),
        )
    return NotFound(
        "household code '{code}' is not in this project's register — check the slip and type it again",
        field="code",
        code=(text or "").strip()[:12],
    )


def unknown_home(home: str) -> NotFound:
    """A paper answer's home (3-2-501) that the register does not hold: named as the
    planner typed it, not as a code from a slip she does not have."""
    return NotFound("home {home} is not in this project's register", field="code", home=home[:40])


def household_on_paper(uow: UnitOfWork, project_id: int, text: str) -> HouseholdRow:
    """The household a paper answer names (代录): by its code, or by its home as
    written — 3-2-501, full-width forgiven, or the room alone when only one home has
    it. A code-shaped text that is neither is told as an unknown code; any other text
    as a home the register does not hold, or holds more than once."""
    row = household_by_code(uow, project_id, text)
    if row is not None:
        return row
    home = normalise_home(text)
    found = households_at(uow, project_id, home)
    if not found:
        found = list(
            uow.session.scalars(
                select(HouseholdRow)
                .where(HouseholdRow.project_id == project_id, HouseholdRow.room == home)
                .order_by(HouseholdRow.position, HouseholdRow.id)
            )
        )
    if not found:
        raise unknown_household(text) if normalise_code(text or "") is not None else unknown_home(home)
    if len(found) > 1:
        raise InvalidInput(
            "{count} homes of this project's register read {home}: type the whole home (3-2-501) or "
            "the household code",
            field="code",
            count=len(found),
            home=home[:40],
        )
    return found[0]


def household_by_code(uow: UnitOfWork, project_id: int, text: str) -> HouseholdRow | None:
    """The project's household with the code ``text`` (as typed: case and spaces
    forgiven), or None."""
    code = normalise_code(text or "")
    if code is None:
        return None
    return uow.session.scalar(
        select(HouseholdRow).where(HouseholdRow.project_id == project_id, HouseholdRow.code == code)
    )


def households_at(uow: UnitOfWork, project_id: int, home: str) -> list[HouseholdRow]:
    """The project's households whose home reads ``home`` (3-2-501), in register order."""
    rows = uow.session.scalars(
        select(HouseholdRow)
        .where(HouseholdRow.project_id == project_id)
        .order_by(HouseholdRow.position, HouseholdRow.id)
    )
    return [r for r in rows if address_label(r.building, r.unit, r.room) == home]


# -- load ---------------------------------------------------------------------------------------


def load_register(
    app: App, project_id: int, header: Sequence[Any], data: Sequence[Sequence[Any]], *, by: str
) -> LoadReport:
    """Check every row (nothing written while any is bad), then replace the project's
    register in one transaction. A household already in the register (the same
    building, unit and room) keeps its code, so slips already handed out stay valid;
    new households get new codes."""
    with app.reader() as uow:
        _allowed(uow, project_id, by)  # the role is refused before the file is read
    check = check_register(header, data)
    if check.bad:
        raise RegisterRejected(check)
    now = app.acting_time().at
    with app.uow() as uow:
        project, actor = _allowed(uow, project_id, by, lock=True)
        existing = {
            (r.building, r.unit, r.room): r.code
            for r in uow.session.execute(
                select(HouseholdRow.building, HouseholdRow.unit, HouseholdRow.room, HouseholdRow.code).where(
                    HouseholdRow.project_id == project.id
                )
            )
        }
        check_kept(existing, (h.key for h in check.households), _took_part(uow, project.id))
        taken = set(uow.session.scalars(select(HouseholdRow.code)))
        rows, kept = [], 0
        for position, household in enumerate(check.households):
            code = existing.get(household.key)
            if code is None:
                code = new_code(secrets.randbelow, taken)
                taken.add(code)
            else:
                kept += 1
            rows.append(_values(project.id, household, code, position, now))
        uow.session.execute(delete(HouseholdRow).where(HouseholdRow.project_id == project.id))
        if rows:
            uow.session.execute(HouseholdRow.__table__.insert(), rows)
        report = LoadReport(
            project_id=project.id,
            households=len(rows),
            with_contact=sum(1 for h in check.households if h.contact),
            replaced=len(existing),
            codes_kept=kept,
        )
        event = Event(
            EventKind.HOUSEHOLDS_LOADED,
            at=now,
            actor=actor.id,
            data=report.model_dump(exclude={"project_id"}),
        )
        uow.events.append(project.id, [event])
        uow.commit()
    return report


def _took_part(uow: UnitOfWork, project_id: int) -> set[str]:
    """The codes of the households that have taken part in the project: a ballot, a
    survey answer, a comment or a needs answer, in any stage or round."""
    rows = (BallotRow, SatisfactionRow, CommentRow, NeedsAnswerRow)
    query = union(*(select(row.code).where(row.project_id == project_id) for row in rows))
    return set(uow.session.scalars(query))


def _values(project_id: int, h: Household, code: str, position: int, now: dt.datetime) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "building": h.building,
        "unit": h.unit,
        "room": h.room,
        "area_centi": h.area_centi,
        "owners": h.owners,
        "contact": h.contact,
        "code": code,
        "position": position,
        "loaded_at": now,
    }


# -- read ---------------------------------------------------------------------------------------


def register_view(app: App, project_id: int, *, by: str | None = None) -> RegisterView:
    """The register with contacts masked and no codes. ``by``: the person asking
    (the web app); None for the operator's command line."""
    with app.reader() as uow:
        project = _allowed(uow, project_id, by)[0] if by else _project(uow, project_id)
        rows = uow.session.execute(
            select(HouseholdRow)
            .where(HouseholdRow.project_id == project_id)
            .order_by(HouseholdRow.position, HouseholdRow.id)
        ).scalars()
        households = [
            HouseholdView(
                building=r.building,
                unit=r.unit,
                room=r.room,
                label=address_label(r.building, r.unit, r.room),
                area_m2=r.area_centi / 100,
                owners=r.owners,
                contact=mask_contact(r.contact),
            )
            for r in rows
        ]
        loaded_at = uow.session.scalar(
            select(func.max(HouseholdRow.loaded_at)).where(HouseholdRow.project_id == project_id)
        )
    return RegisterView(
        project_id=project.id,
        project_name=project.name,
        households=households,
        total_area_m2=round(sum(h.area_m2 for h in households), 2),
        total_owners=sum(h.owners for h in households),
        with_contact=sum(1 for h in households if h.contact),
        loaded_at=loaded_at,
        retention_ends=retention_ends(project.completed_at, app.settings.household_retention_days),
    )


def public_url(app: App, project_id: int, code: str) -> str:
    """What a slip's QR code holds: the project's public page with the code."""
    return f"{app.settings.resolved_public_base_url()}/public/projects/{project_id}?code={code}"


def slip_sheet(app: App, project_id: int, *, by: str | None = None) -> SlipSheet:
    """Every household's slip: its home, its code and the URL of its QR code. The
    only place codes are shown."""
    with app.reader() as uow:
        project = _allowed(uow, project_id, by)[0] if by else _project(uow, project_id)
        rows = uow.session.execute(
            select(HouseholdRow.building, HouseholdRow.unit, HouseholdRow.room, HouseholdRow.code)
            .where(HouseholdRow.project_id == project_id)
            .order_by(HouseholdRow.position, HouseholdRow.id)
        ).all()
    return SlipSheet(
        project_id=project.id,
        project_name=project.name,
        community=project.community,
        slips=[
            Slip(label=address_label(b, u, r), code=code, url=public_url(app, project.id, code))
            for b, u, r, code in rows
        ],
    )


# -- delete -------------------------------------------------------------------------------------


def purge(app: App, project_id: int, *, by: str, contacts_only: bool = False) -> PurgeReport:
    """Delete the register's contacts (``contacts_only``) or the whole register, on
    request (个人信息保护法: deletable on request); the audit log keeps the counts."""
    now = app.acting_time().at
    with app.uow() as uow:
        project, actor = _allowed(uow, project_id, by, lock=True)
        report = _purge(uow, project, actor.id, now, contacts_only=contacts_only, reason="request")
        uow.commit()
    return report


def _purge(
    uow: UnitOfWork, project: ProjectRef, actor: str, now: dt.datetime, *, contacts_only: bool, reason: str
) -> PurgeReport:
    where = HouseholdRow.project_id == project.id
    households = uow.session.scalar(select(func.count()).select_from(HouseholdRow).where(where)) or 0
    contacts = (
        uow.session.scalar(
            select(func.count()).select_from(HouseholdRow).where(where, HouseholdRow.contact.is_not(None))
        )
        or 0
    )
    if contacts_only:
        uow.session.execute(update(HouseholdRow).where(where).values(contact=None))
    else:
        uow.session.execute(delete(HouseholdRow).where(where))
        # the ballots name households by their codes: they go with the register
        uow.session.execute(delete(BallotRow).where(BallotRow.project_id == project.id))
        # and so do the survey's answers (their comments too)
        uow.session.execute(delete(SatisfactionRow).where(SatisfactionRow.project_id == project.id))
        # so do the needs answers (their choices and problem points go with them)
        uow.session.execute(delete(NeedsAnswerRow).where(NeedsAnswerRow.project_id == project.id))
    report = PurgeReport(
        project_id=project.id, households=households, contacts=contacts, contacts_only=contacts_only
    )
    event = Event(
        EventKind.HOUSEHOLDS_PURGED,
        at=now,
        actor=actor,
        data={**report.model_dump(exclude={"project_id"}), "reason": reason},
    )
    uow.events.append(project.id, [event])
    return report


def purge_expired(app: App) -> list[PurgeReport]:
    """Delete the registers whose retention period has ended (``days`` after their
    project completed, ACCOMPANY_HOUSEHOLD_RETENTION_DAYS); one transaction."""
    now = app.acting_time().at
    cutoff = now - dt.timedelta(days=app.settings.household_retention_days)
    reports = []
    with app.uow() as uow:
        ids = list(
            uow.session.scalars(
                select(ProjectRow.id)
                .where(
                    ProjectRow.completed_at.is_not(None),
                    ProjectRow.completed_at <= cutoff,
                    ProjectRow.id.in_(select(HouseholdRow.project_id)),
                )
                .order_by(ProjectRow.id)
            )
        )
        for project_id in ids:
            project = _project(uow, project_id, lock=True)
            reports.append(_purge(uow, project, SYSTEM_ACTOR, now, contacts_only=False, reason="retention"))
        uow.commit()
    return reports
