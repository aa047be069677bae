"""One command = one transaction.

A unit of work opens a session, hands out the repositories bound to it, and commits
once at the end. Events (and, with them, outbox notifications) are written through
the same session, so they commit or roll back together with the change they describe.
"""

from __future__ import annotations

import datetime as dt
from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from ..db.accounts import AccountRepository
from ..db.delegations import DelegationRepository
from ..db.event_log import EventLog
from ..db.people import PeopleRepository
from ..db.projects import ProjectRepository
from ..db.templates import TemplateRepository
from ..models.errors import Conflict
from .outbox import Outbox

if TYPE_CHECKING:
    from ..bootstrap import Origin
    from ..clock import Clock


class UnitOfWork:
    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        readonly: bool = False,
        origin: Origin | None = None,
        wall_clock: Clock | None = None,
    ):
        self._factory = factory
        self.wall_clock = wall_clock
        self.readonly = readonly
        self.origin = origin
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        self.people = PeopleRepository(self.session)
        self.accounts = AccountRepository(self.session)
        # the dates no delegation covers, read with a project by a writing command
        quiet_days: set[dt.date] = set()
        self.delegations = DelegationRepository(self.session, days_without_delegations=quiet_days)
        self.projects = ProjectRepository(
            self.session, lock=not self.readonly, days_without_delegations=quiet_days
        )
        self.templates = TemplateRepository(self.session)
        self.events = EventLog(
            self.session,
            channel=self.origin.channel if self.origin else None,
            os_user=self.origin.os_user if self.origin else None,
            wall_clock=self.wall_clock,
        )
        self.outbox = Outbox(self.session)
        return self

    def commit(self) -> None:
        self.session.commit()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() ends an uncommitted transaction (a rollback at the database) and
        # detaches the loaded objects without expiring them, so read results stay
        # usable after the unit of work
        self.session.close()
        if exc is None:
            return
        if isinstance(exc, StaleDataError):
            raise Conflict(
                "someone else changed this stage at the same moment; nothing was saved — "
                "look at it again (`accompany project show`) and retry if still needed"
            ) from exc
        if isinstance(exc, IntegrityError) and _is_unique_violation(exc):
            raise Conflict("a concurrent command created the same record first; nothing was saved") from exc
        if isinstance(exc, OperationalError) and "database is locked" in str(exc):
            raise Conflict("the database stayed locked by another command; nothing was saved, retry") from exc


def _is_unique_violation(exc: IntegrityError) -> bool:
    text = str(exc.orig).lower()
    return "unique" in text or "duplicate key" in text
