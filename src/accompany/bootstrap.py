"""The one place that wires concrete adapters: settings → database, clock, calendar,
template catalog, attachment store (and, later, the notifier)."""

from __future__ import annotations

import copy
import datetime as dt
import getpass
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from .attachments import AttachmentStore
from .calendars import CalendarProblem, YearOrigin, load_calendar
from .clock import Clock, SystemClock
from .config.settings import Settings
from .db.engine import make_engine, session_factories
from .db.schema import ensure_schema
from .models.calendar import WorkingCalendar
from .models.errors import InvalidInput
from .models.reminders import QuietHours
from .models.rules import ActingTime, check_acting_time
from .passwords import PasswordHasher
from .services.ports import Notifier
from .services.unit_of_work import UnitOfWork
from .templates import TemplateCatalog

_ENGINES: dict[str, Engine] = {}


def engine_for(url: str) -> Engine:
    """One engine (and pool) per database URL per process."""
    engine = _ENGINES.get(url)
    if engine is None:
        engine = make_engine(url)
        ensure_schema(engine)
        _ENGINES[url] = engine
    return engine


def dispose_engines() -> None:
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


Channel = Literal["cli", "web", "api", "flow"]
T = TypeVar("T")


def _yaml_files_key(dirs: list[Path]) -> tuple[Any, ...]:
    """What a calendar or the template catalog is read from: the folders and the
    content of their ``*.yaml`` files (the same files, in the same order, that
    :func:`load_calendar` and :class:`TemplateCatalog` read)."""
    files = []
    for directory in dirs:
        if directory.is_dir():
            for path in sorted(directory.glob("*.yaml")):
                try:
                    files.append((str(path), hashlib.sha256(path.read_bytes()).digest()))
                except OSError:
                    files.append((str(path), None))
    return (tuple(str(d) for d in dirs), tuple(files))


@dataclass(frozen=True)
class Origin:
    """How a command came in, recorded with every event it writes: the channel, and
    for the CLI (the operator's tool on the server) the operating-system user."""

    channel: Channel
    os_user: str | None = None

    @classmethod
    def cli(cls) -> Origin:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (some containers)
            user = None
        return cls("cli", user)


@dataclass
class App:
    settings: Settings
    engine: Engine
    clock: Clock = field(default_factory=SystemClock)
    # the real time, never --now: events record it (recorded_at) and the time rules
    # compare a command's moment with it; a simulation (the demo, tests) runs both on
    # one simulated clock
    wall_clock: Clock = field(default_factory=SystemClock)
    _notifier: Notifier | None = None
    origin: Origin = field(default_factory=Origin.cli)
    # the language of people-facing text for this caller (a web request's choice);
    # None: the settings' ACCOMPANY_LANGUAGE
    language: str | None = None
    # what via() clones share (copy.copy shares the dict): see _read_through
    _shared: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _is_clone: bool = field(default=False, repr=False, compare=False)

    def via(self, origin: Origin, *, language: str | None = None) -> App:
        """The same application acting for another channel (a web request, an API
        call), optionally in another language: shares the engine, the caches and the
        clock. A clone (one per web request) reads the calendar and the template
        catalog through the cache it shares with its siblings — parsed again only
        when their files changed — so each request still sees the files in force."""
        self._factories  # noqa: B018 - session factories: built once, shared with every clone
        clone = copy.copy(self)
        clone.origin = origin
        clone._is_clone = True
        if language is not None:
            clone.language = language
        return clone

    def _read_through(self, name: str, dirs: list[Path], load: Callable[[], T]) -> T:
        """``load()`` for the base application; for a clone, the value shared by all
        clones as long as the ``*.yaml`` files in ``dirs`` have the same content."""
        if not self._is_clone:
            return load()
        key = _yaml_files_key(dirs)
        cached = self._shared.get(name)
        if cached is not None and cached[0] == key:
            return cached[1]  # type: ignore[no-any-return]
        value = load()
        self._shared[name] = (key, value)
        return value

    @cached_property
    def _factories(self) -> tuple[sessionmaker[Session], sessionmaker[Session], sessionmaker[Session]]:
        return session_factories(self.engine)

    def uow(self) -> UnitOfWork:
        """A writing unit of work (one command = one transaction)."""
        return UnitOfWork(self._factories[0], origin=self.origin, wall_clock=self.wall_clock)

    def reader(self) -> UnitOfWork:
        """A read-only unit of work: one consistent snapshot, no locks taken."""
        return UnitOfWork(self._factories[1], readonly=True, origin=self.origin)

    def single_read(self) -> UnitOfWork:
        """A read-only unit of work for ONE statement (a statement always reads one
        snapshot): on PostgreSQL it runs without a transaction around it, saving the
        BEGIN and ROLLBACK round trips of :meth:`reader` — for what every request
        reads, like the signed-in person."""
        return UnitOfWork(self._factories[2], readonly=True, origin=self.origin)

    def now(self) -> dt.datetime:
        return self.clock.now()

    def real_now(self) -> dt.datetime:
        return self.wall_clock.now()

    def acting_time(self) -> ActingTime:
        """The moment a write acts at (``now()``, maybe ``--now``) with the real time
        and the back-dating policy, for the time rules; the moment itself refused if
        it is in the future, or earlier while back-dating is turned off."""
        time = ActingTime(self.now(), self.real_now(), self.settings.allow_backdating)
        check_acting_time(time)
        return time

    @cached_property
    def _calendar(self) -> tuple[WorkingCalendar, list[YearOrigin], list[CalendarProblem]]:
        dirs = self.settings.calendar_dirs()
        return self._read_through("calendar", dirs, lambda: load_calendar(dirs))

    @property
    def calendar(self) -> WorkingCalendar:
        """The working-day calendar in force; a malformed operator calendar file makes
        the commands that need it refuse, naming the file (the others run)."""
        problems = self._calendar[2]
        if problems:
            raise problems[0].error
        return self._calendar[0]

    @property
    def calendar_origins(self) -> list[YearOrigin]:
        return self._calendar[1]

    @property
    def calendar_problems(self) -> list[CalendarProblem]:
        return self._calendar[2]

    def reload_calendar(self) -> None:
        self.__dict__.pop("_calendar", None)
        self._shared.pop("calendar", None)

    @cached_property
    def catalog(self) -> TemplateCatalog:
        dirs = self.settings.template_dirs()
        return self._read_through("catalog", dirs, lambda: TemplateCatalog(dirs))

    @cached_property
    def passwords(self) -> PasswordHasher:
        return PasswordHasher()

    @cached_property
    def attachments(self) -> AttachmentStore:
        return AttachmentStore(self.settings.resolved_attachments_dir())

    @property
    def lang(self) -> str:
        return self.language or self.settings.language

    @cached_property
    def quiet(self) -> QuietHours:
        s = self.settings
        return QuietHours(s.quiet_start, s.quiet_end, s.quiet_on_non_working_days)

    def notifier(self) -> Notifier:
        """The Apprise notifier over the configured channels file."""
        if self._notifier is None:
            path = self.settings.apprise_config
            if path is None:
                raise InvalidInput(
                    "no Apprise configuration: set ACCOMPANY_APPRISE_CONFIG to a YAML or TEXT "
                    "Apprise config file (see config/apprise.example.yaml)"
                )
            from .notifications.apprise_notifier import AppriseNotifier

            self._notifier = AppriseNotifier(path)
        return self._notifier


def build_app(
    settings: Settings | None = None,
    *,
    database_url: str | None = None,
    clock: Clock | None = None,
    notifier: Notifier | None = None,
    origin: Origin | None = None,
    wall_clock: Clock | None = None,
) -> App:
    settings = settings or Settings()
    url = database_url or settings.resolved_database_url()
    return App(
        settings=settings,
        engine=engine_for(url),
        clock=clock or SystemClock(),
        wall_clock=wall_clock or SystemClock(),
        _notifier=notifier,
        origin=origin or Origin.cli(),
    )
