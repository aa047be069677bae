"""Where working-day data comes from: the ``chinese-calendar`` package for the years
it knows, and operator files (``config/calendars/*.yaml`` and ``ACCOMPANY_CALENDAR_DIR``)
that add a year the package lacks or correct one it has.

A calendar file::

    year: 2027
    source: 国务院办公厅关于2027年部分节假日安排的通知 (国办发明电〔2026〕…号)
    holidays:                      # days off (weekend days inside a holiday may be listed)
      - {name: 元旦, from: 2027-01-01, to: 2027-01-03}
      - {name: 劳动节, dates: [2027-05-01, 2027-05-03]}
      - 2027-10-01
    workdays:                      # make-up working days (调休上班)
      - {name: 春节调休, date: 2027-02-20}
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .models.calendar import WorkingCalendar, YearSchedule
from .models.errors import N_, InvalidInput
from .models.validation import InvalidValue, located_problems
from .yamlfile import read_yaml


class _DayEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str | None = None
    date: dt.date | None = None
    dates: list[dt.date] | None = None
    first: dt.date | None = Field(default=None, alias="from")
    last: dt.date | None = Field(default=None, alias="to")

    @model_validator(mode="after")
    def _one_form(self) -> _DayEntry:
        forms = [self.date is not None, self.dates is not None, self.first is not None]
        if sum(forms) != 1 or (self.first is None) != (self.last is None):
            raise InvalidValue(N_("give one of date, dates, or from + to"))
        if self.first and self.last and self.last < self.first:
            raise InvalidValue(N_("to ({to}) is before from ({first})"), to=self.last, first=self.first)
        return self

    def days(self) -> list[dt.date]:
        if self.date is not None:
            return [self.date]
        if self.dates is not None:
            return list(self.dates)
        assert self.first is not None and self.last is not None
        count = (self.last - self.first).days + 1
        return [self.first + dt.timedelta(days=i) for i in range(count)]


def _entry(value: Any) -> Any:
    if isinstance(value, dt.date | str):
        return {"date": value}
    return value


class CalendarFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2000, le=2100)
    source: str = Field(min_length=3, description="where the data comes from (document, date)")
    holidays: list[_DayEntry] = Field(min_length=1)
    workdays: list[_DayEntry] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _bare_dates(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for key in ("holidays", "workdays"):
                if isinstance(data.get(key), list):
                    data[key] = [_entry(v) for v in data[key]]
        return data

    def schedule(self, origin: str) -> YearSchedule:
        names: dict[dt.date, str] = {}
        holidays: set[dt.date] = set()
        workdays: set[dt.date] = set()
        for target, entries in ((holidays, self.holidays), (workdays, self.workdays)):
            for entry in entries:
                for day in entry.days():
                    target.add(day)
                    if entry.name:
                        names[day] = entry.name
        return YearSchedule(
            year=self.year,
            holidays=frozenset(holidays),
            makeup_workdays=frozenset(workdays),
            source=f"{self.source} [{origin}]",
            names=names,
        )


@dataclass(frozen=True)
class YearOrigin:
    year: int
    source: str
    origin: str  # "chinese-calendar x.y.z" or a file path
    holidays: int
    makeup_workdays: int
    fingerprint: str
    overrides_package: bool = False


def read_calendar_file(path: Path) -> YearSchedule:
    """Parse and check one calendar file; any problem is one line naming file and field."""
    raw = read_yaml(path, "calendar file")
    if not isinstance(raw, dict):
        raise InvalidInput(
            "calendar file {path}: expected a mapping with year, source, holidays", path=str(path)
        )
    try:
        parsed = CalendarFile.model_validate(raw)
        return parsed.schedule(path.name)
    except ValidationError as exc:
        raise InvalidInput(
            "calendar file {path}: {problems}", path=str(path), problems=located_problems(exc.errors())
        ) from None
    except InvalidValue as exc:  # YearSchedule's own checks (a day in the wrong year ...)
        raise InvalidInput(
            "calendar file {path}: {problems}", path=str(path), problems=[exc.problem()]
        ) from None


PACKAGE = "chinesecalendar"  # pinned in pyproject.toml: a release with new data is a deliberate upgrade


@dataclass(frozen=True)
class PackageData:
    """What the installed ``chinese-calendar`` package provides."""

    version: str
    first_year: int
    last_year: int

    @property
    def label(self) -> str:
        return f"chinese-calendar {self.version}"


def package_data() -> PackageData:
    schedules = _package_schedules()
    return PackageData(_package_version(), schedules[0].year, schedules[-1].year)


def _package_version() -> str:
    from importlib.metadata import version

    return version(PACKAGE)


def _package_schedules() -> list[YearSchedule]:
    from chinese_calendar import constants

    label = f"chinese-calendar {_package_version()}"
    holidays: dict[int, set[dt.date]] = {}
    workdays: dict[int, set[dt.date]] = {}
    names: dict[dt.date, str] = {}
    for day, name in constants.holidays.items():
        holidays.setdefault(day.year, set()).add(day)
        names[day] = str(name)
    for day, name in constants.workdays.items():
        workdays.setdefault(day.year, set()).add(day)
        names[day] = f"{name} (make-up workday)"
    return [
        YearSchedule(
            year=year,
            holidays=frozenset(holidays.get(year, ())),
            makeup_workdays=frozenset(workdays.get(year, ())),
            source=label,
            names={d: n for d, n in names.items() if d.year == year},
        )
        for year in sorted(set(holidays) | set(workdays))
    ]


def calendar_files(dirs: list[Path]) -> list[Path]:
    files: list[Path] = []
    for directory in dirs:
        if directory.is_dir():
            files.extend(sorted(directory.glob("*.yaml")))
    return files


@dataclass(frozen=True)
class CalendarProblem:
    """An operator calendar file that cannot be used (malformed, or a year twice)."""

    path: Path
    error: InvalidInput


def load_calendar(dirs: list[Path]) -> tuple[WorkingCalendar, list[YearOrigin], list[CalendarProblem]]:
    """The calendar in force: package years, then operator files (a file's year
    replaces the package's). A malformed file, or two files for the same year, is a
    problem: returned, not raised — only commands that need the calendar refuse (see
    `App.calendar`), and `calendar check` lists them."""
    package = {s.year: s for s in _package_schedules()}
    from_files: dict[int, tuple[YearSchedule, Path]] = {}
    problems: list[CalendarProblem] = []
    for path in calendar_files(dirs):
        try:
            schedule = read_calendar_file(path)
        except InvalidInput as exc:
            problems.append(CalendarProblem(path, exc))
            continue
        if schedule.year in from_files:
            other = from_files[schedule.year][1]
            problems.append(
                CalendarProblem(
                    path,
                    InvalidInput(
                        "year {year} is defined twice: {first} and {second}",
                        year=schedule.year,
                        first=str(other),
                        second=str(path),
                    ),
                )
            )
            continue
        from_files[schedule.year] = (schedule, path)
    merged = dict(package)
    origins: dict[int, YearOrigin] = {}
    for year, schedule in package.items():
        origins[year] = YearOrigin(
            year,
            schedule.source,
            schedule.source,
            len(schedule.holidays),
            len(schedule.makeup_workdays),
            schedule.fingerprint(),
        )
    for year, (schedule, path) in from_files.items():
        merged[year] = schedule
        origins[year] = YearOrigin(
            year,
            schedule.source,
            str(path),
            len(schedule.holidays),
            len(schedule.makeup_workdays),
            schedule.fingerprint(),
            overrides_package=year in package,
        )
    calendar = WorkingCalendar(merged.values())
    return calendar, [origins[y] for y in sorted(origins)], problems


def calendar_state_fingerprint(origins: list[YearOrigin]) -> str:
    """One hash of all calendar data in force: when it changes, deadlines may move."""
    text = ";".join(f"{o.year}:{o.fingerprint}" for o in origins)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
