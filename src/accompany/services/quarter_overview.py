"""A district's quarter at a glance: the on-time rate and overdue count per street
and the worst overdue items, from the same event-log replay as the quarterly
report, for the person's district or one street of their scope — and who may see
which street's reports.

The figures are built once and kept until something changes them (``_OVERVIEWS``).
Part of the pages' read models (see :mod:`.worklists`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import and_, func, or_, select

from ..db.orm import ProjectRow, StreetRow
from ..models.deadlines import local_date
from ..models.errors import Localized, NotFound, PermissionDenied
from ..models.people import ROLE_LABELS_EN, ROLE_LABELS_ZH, Person
from .names import load_names, load_stage_names

if TYPE_CHECKING:
    from ..bootstrap import App
    from .unit_of_work import UnitOfWork

P = ProjectRow.__table__


class StreetFigures(BaseModel):
    street: str
    street_name: str
    stages_due: int
    closed_on_time: int
    on_time_rate: float | None
    overdue_now: int


class OverdueItem(BaseModel):
    project_id: int
    project: str
    street: str
    planner: str
    stage_name: str
    due: dt.date
    working_days_overdue: int


class QuarterOverview(BaseModel):
    quarter: str
    cutoff: dt.datetime
    scope_name: str
    on_time_rate: float | None
    stages_due: int
    overdue_now: int
    streets: list[StreetFigures]
    worst: list[OverdueItem]


def ensure_may_see_reports(person: Person) -> None:
    """A party sees the projects it is on, not the reports of a street or district."""
    if person.is_party:
        raise PermissionDenied(
            "{person} is a {role}: reports are for the planning organisation",
            person=person.name,
            role=Localized(ROLE_LABELS_ZH[person.role], ROLE_LABELS_EN[person.role]),
        )


def report_street(app: App, person: Person, street: str | None) -> str | None:
    """The street a person's report is about: the one asked for if it is in their
    scope, their own if they act for one street, None for a whole district. A street
    of another district is "unknown", like a project; another street of their own
    district is refused by its name — a street office knows its neighbours, and "no
    such street" would be untrue."""
    scope = person.scope()
    ensure_may_see_reports(person)
    if street is None:
        return scope.streets[0] if scope.streets else None
    with app.reader() as uow:
        district = uow.session.scalar(select(StreetRow.district_id).where(StreetRow.id == street))
        if district != scope.district:
            raise NotFound("unknown street '{street}'", street=street[:64])
        if scope.streets and street not in scope.streets:
            names = dict(
                uow.session.execute(
                    select(StreetRow.id, StreetRow.name).where(StreetRow.id.in_([street, *scope.streets]))
                ).all()
            )
            raise PermissionDenied(
                "you may only see the reports of {own}, not of {street}",
                field="street",
                own=Localized(
                    "、".join(names.get(s, s) for s in scope.streets),
                    ", ".join(names.get(s, s) for s in scope.streets),
                ),
                street=names.get(street, street),
            )
    return street


# The figures a district's page shows, per (district, street, quarter, language,
# today): they change only when something is recorded about a project of that
# district (a lifecycle event: what the quarterly report replays), when the people
# or the calendar change (names, working days), or when the day changes (overdue
# counts) — not at every event anywhere in the city, nor at a sign-in.
# key → [the newest event id looked at, the overview]
_OVERVIEWS: dict[tuple[str, str | None, str, str, dt.date], list[Any]] = {}
#: events about no project that change what the figures show
_DIRECTORY_KINDS = ("people.loaded", "person.deactivated", "person.activated", "calendar.changed")


def _overview_changed(uow: UnitOfWork, district: str, since: int, upto: int) -> bool:
    """Whether an event in ``(since, upto]`` changes the figures of ``district`` (a
    range scan over the new events only)."""
    from ..db.orm import EventRow
    from .reports import LIFECYCLE_KINDS

    E = EventRow.__table__
    in_district = and_(
        # what the report replays, and a project's new name (the worst items name it)
        E.c.kind.in_((*LIFECYCLE_KINDS, "project.edited")),
        E.c.project_id.in_(select(P.c.id).where(P.c.district_id == district).scalar_subquery()),
    )
    query = (
        select(E.c.id)
        .where(E.c.id > since, E.c.id <= upto, or_(E.c.kind.in_(_DIRECTORY_KINDS), in_district))
        .limit(1)
    )
    return uow.session.scalar(query) is not None


def quarter_overview(
    app: App, person: Person, *, street: str | None = None, quarter: str | None = None
) -> QuarterOverview:
    """On-time rate and overdue count per street for this quarter (or ``quarter``),
    and the worst overdue items, from the same event-log replay as the quarterly
    report, for the person's district (or one street of their scope). Built once and
    kept until something changes them (see ``_OVERVIEWS``)."""
    ensure_may_see_reports(person)
    from ..db.orm import EventRow
    from ..models.report import Quarter
    from .reports import quarterly_report

    scope = person.scope()
    street = report_street(app, person, street)
    today = local_date(app.now())
    period = Quarter.parse(quarter) if quarter else Quarter.containing(today)
    key = (scope.district, street, period.label, app.lang, today)
    cached = _OVERVIEWS.get(key)
    with app.single_read() as uow:
        latest = uow.session.scalar(select(func.max(EventRow.id))) or 0
        if cached is not None and (
            cached[0] == latest or not _overview_changed(uow, scope.district, cached[0], latest)
        ):
            cached[0] = max(cached[0], latest)
            return cached[1]  # type: ignore[no-any-return]
    report = quarterly_report(app, period, district=scope.district, street=street)
    with app.reader() as uow:
        project_ids = {item["project_id"] for item in report.worst_overdue[:10]}
        rows = uow.session.execute(
            select(P.c.id, P.c.template_pk, P.c.planner_id).where(P.c.id.in_(project_ids))
        ).all()
        names = load_names(uow, {r.planner_id for r in rows})
        stage_names = load_stage_names(app, uow, {r.template_pk for r in rows}, app.lang)
    templates = {r.id: r.template_pk for r in rows}
    planners = {r.id: r.planner_id for r in rows}
    overview = QuarterOverview(
        quarter=period.label,
        cutoff=report.cutoff,
        scope_name=names.streets.get(street, street)
        if street
        else names.districts.get(scope.district, scope.district),
        on_time_rate=report.summary.get("on_time_rate"),
        stages_due=report.summary.get("stages_due", 0),
        overdue_now=report.summary.get("overdue_now", 0),
        streets=[
            StreetFigures(
                street=row["key"],
                street_name=names.streets.get(row["key"], row["key"]),
                stages_due=row["stages_due"],
                closed_on_time=row["stages_closed_on_time"],
                on_time_rate=row["on_time_rate"],
                overdue_now=row["overdue_now"],
            )
            for row in report.rows
            if row["level"] == "street"
        ],
        worst=[
            OverdueItem(
                project_id=item["project_id"],
                project=item["project"],
                street=names.streets.get(item["street"], item["street"]),
                planner=names.person(planners.get(item["project_id"], item["planner"])),
                stage_name=stage_names.get(
                    (templates.get(item["project_id"], 0), item["stage"]), item["stage"]
                ),
                due=item["due"],
                working_days_overdue=item["working_days_overdue"],
            )
            for item in report.worst_overdue[:10]
        ],
    )
    for stale in [k for k in _OVERVIEWS if k[4] != today]:
        _OVERVIEWS.pop(stale, None)  # figures of another day: never asked for again
    _OVERVIEWS[key] = [latest, overview]
    return overview
