"""What a project's page is made of, in one statement: a rendered page may be kept
(web page cache) only as long as this has not moved.

Every change to what a project page shows is recorded with an event (one command =
one transaction, with its events), and the log is append-only (triggers refuse
UPDATE and DELETE):

- about the project itself — its stages, decisions, evidence, extensions, parties,
  hand-overs, its residents' ballots, comments, needs and satisfaction answers, its
  households and public page — an event carrying the project's id;
- about no project but shown on every project page — people (names, roles, who is
  active, who a substitute decides for) and the working-day calendar — an event of
  one of :data:`DIRECTORY_KINDS`.

Counts, not only the newest ids: two transactions may commit their events out of
id order, and a page read between them would otherwise be keyed on the newest id
while missing the other's event; a count grows with every commit. Read from the
database each time, so a change made by another worker or the CLI shows at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import bindparam, func, select

from ..db.orm import EventRow, ProjectRow
from ..models.events import EventKind

if TYPE_CHECKING:
    from ..bootstrap import App

#: events about no project that change what every project page shows
DIRECTORY_KINDS = (
    EventKind.PEOPLE_LOADED.value,
    EventKind.PERSON_DEACTIVATED.value,
    EventKind.PERSON_ACTIVATED.value,
    EventKind.DELEGATION_CREATED.value,
    EventKind.DELEGATION_ENDED.value,
    EventKind.CALENDAR_CHANGED.value,
)

ProjectHead = tuple[int, int, int, int, int]

_E = EventRow.__table__
_P = ProjectRow.__table__


def _statement():  # type: ignore[no-untyped-def]
    mine = _E.c.project_id == _P.c.id
    directory = _E.c.kind.in_(DIRECTORY_KINDS)
    return select(
        _P.c.version,
        select(func.count()).select_from(_E).where(mine).scalar_subquery(),
        select(func.coalesce(func.max(_E.c.id), 0)).where(mine).scalar_subquery(),
        select(func.count()).select_from(_E).where(directory).scalar_subquery(),
        select(func.coalesce(func.max(_E.c.id), 0)).where(directory).scalar_subquery(),
    ).where(_P.c.id == bindparam("project_id"))


_HEAD = _statement()


def project_head(app: App, project_id: int) -> ProjectHead | None:
    """The project row's version, the count and newest id of its events, and the
    count and newest id of the directory's events; None when there is no such
    project. Read before the page, so a page is never older than its head."""
    with app.single_read() as uow:
        row = uow.session.execute(_HEAD, {"project_id": project_id}).first()
    if row is None:
        return None
    return (int(row[0]), int(row[1]), int(row[2]), int(row[3]), int(row[4]))


#: events that change no "my work" or portfolio page: sign-ins, passwords, tokens,
#: and the reminders sent (neither page shows them; the sweep sends them by the
#: hundred) — a sign-in or a reminder somewhere in the city does not make every
#: "my work" page anew. (A project's own page keeps counting them: its audit log
#: lists them.)
_QUIET_KINDS = ("account.%", "notification.%")

_CITY_HEAD = select(func.coalesce(func.max(_E.c.id), 0)).where(
    *(_E.c.kind.not_like(kinds) for kinds in _QUIET_KINDS)
)


def city_head(app: App) -> int:
    """The newest event about anything but accounts and reminders sent: what a page
    about many projects ("my work", the portfolio) is made of has not changed while
    this has not moved.

    The newest id is enough here (no count needed): every transaction that appends
    events takes the log's chain lock before it inserts them (the hash chain,
    ``db.event_log``; on SQLite the database's write lock), so ids are handed out
    in commit order and a committed event never gets an id below one already seen."""
    with app.single_read() as uow:
        return int(uow.session.scalar(_CITY_HEAD) or 0)
