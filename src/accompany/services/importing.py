"""Bulk import of projects from CSV or XLSX: every row is checked first, then all are
imported in one transaction, or none.

Columns (header row; English or Chinese names): name/项目名称, district/区,
street/街道, community/社区, planner/责任规划师, start/启动日期, by/协调人, optional
template/流程模板 (id or id@version), optional ``deadline:<stage>`` for stages whose
deadline is set at start, optional ``param:<name>`` for template parameters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ..db.orm import ProjectRow
from ..models.errors import AccompanyError, InvalidInput, PermissionDenied
from ..models.people import District, Person
from ..models.project import Project
from ..models.template import ProcessTemplate, build_template, coerce_parameter

if TYPE_CHECKING:
    from ..bootstrap import App

REQUIRED = ("name", "district", "street", "community", "planner", "start", "by")
ALIASES = {
    "项目名称": "name",
    "项目": "name",
    "区": "district",
    "街道": "street",
    "社区": "community",
    "责任规划师": "planner",
    "启动日期": "start",
    "协调人": "by",
    "流程模板": "template",
}
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BadRow:
    row: int  # as in the file: the header is row 1
    column: str
    reason: str


@dataclass
class ImportReport:
    rows: int
    project_ids: list[int] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    dry_run: bool = False


class ImportRejected(InvalidInput):
    """Some rows are invalid: nothing was imported. ``report`` lists them."""

    def __init__(self, report: ImportReport):
        self.report = report
        rows = len({b.row for b in report.bad})
        super().__init__(
            f"{rows} of {report.rows} row(s) are invalid ({len(report.bad)} problem(s)); nothing was imported"
        )


def _columns(
    header: Sequence[str], stage_ids: set[str], params: set[str], *, by_given: bool = False
) -> list[str]:
    """Canonical column names; unknown or missing columns are refused (``by`` may be
    left out when the importing person is known: the web's signed-in coordinator)."""
    columns = []
    for name in header:
        canonical = ALIASES.get(name, name)
        if canonical in REQUIRED or canonical == "template":
            pass
        elif canonical.startswith("deadline:"):
            if canonical.split(":", 1)[1] not in stage_ids:
                raise InvalidInput(
                    f"column {name!r}: no stage {canonical.split(':', 1)[1]!r} in the template"
                )
        elif canonical.startswith("param:"):
            if canonical.split(":", 1)[1] not in params:
                raise InvalidInput(
                    f"column {name!r}: the template has no parameter {canonical.split(':', 1)[1]!r}"
                )
        else:
            expected = ", ".join((*REQUIRED, "template", "deadline:<stage>", "param:<name>"))
            raise InvalidInput(f"unknown column {name!r} (expected: {expected})")
        if canonical in columns:
            raise InvalidInput(f"column {name!r} appears twice")
        columns.append(canonical)
    missing = [c for c in REQUIRED if c not in columns and not (by_given and c == "by")]
    if missing:
        raise InvalidInput(f"missing column(s): {', '.join(missing)}")
    return columns


def _day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date like 2026-03-15") from None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


# -- checking and importing -------------------------------------------------------------------


@dataclass
class _Directory:
    people: dict[str, Person]
    districts: list[District]

    def district(self, text: str) -> District:
        for district in self.districts:
            if text in (district.id, district.name):
                return district
        raise InvalidInput(f"unknown district {text!r}")

    def street(self, district: District, text: str) -> str:
        for street in district.streets:
            if text in (street.id, street.name):
                return street.id
        raise InvalidInput(f"unknown street {text!r} in district {district.id}")

    def person(self, person_id: str) -> Person:
        person = self.people.get(person_id)
        if person is None:
            raise InvalidInput(f"unknown person {person_id!r}")
        return person


@dataclass
class _Row:
    number: int
    values: dict[str, Any]
    template: ProcessTemplate | None = None
    template_body: dict[str, Any] | None = None
    start_args: dict[str, Any] = field(default_factory=dict)
    started: tuple[Project, list[Any]] | None = None  # the checked project, imported as is


def _column_for(error: AccompanyError, template: ProcessTemplate | None) -> str:
    """Which column a domain refusal is about, for the bad-row report."""
    message = str(error)
    if isinstance(error, PermissionDenied):
        return "by"
    if "deadline" in message and template is not None:
        for stage_id in template.stage_ids:
            if stage_id in message:
                return f"deadline:{stage_id}"
    for column, words in (
        ("planner", ("planner",)),
        ("name", ("project name",)),
        ("community", ("community",)),
    ):
        if any(word in message for word in words):
            return column
    return ""


def import_projects(
    app: App,
    header: Sequence[str],
    data: Sequence[Sequence[Any]],
    *,
    notify: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    acting_as: str | None = None,
) -> ImportReport:
    """Check every row (nothing written while any is bad), then import them all in
    one transaction. Event notifications are not queued unless ``notify``: a bulk
    import of an existing portfolio should not message everyone at once.

    ``acting_as``: the person importing, when known from a sign-in (the web app):
    every project is started by them — a ``by`` column may be left out, and a row
    naming someone else is refused."""
    default = app.catalog.get("accompany-service").template
    columns = _columns(
        header, set(default.stage_ids), set(default.parameters), by_given=acting_as is not None
    )
    report = ImportReport(rows=len(data), dry_run=dry_run)
    now = app.now()
    with app.reader() as uow:
        directory = _Directory({p.id: p for p in uow.people.all()}, uow.people.districts())
        existing = {
            (name, street, start)
            for name, street, start in uow.session.execute(
                select(ProjectRow.name, ProjectRow.street_id, ProjectRow.start_date)
            )
        }
    seen: dict[tuple[str, str, dt.date], int] = {}
    checked: list[_Row] = []
    templates: dict[tuple[str, str], ProcessTemplate] = {}  # (ref, params) → built once
    for index, cells in enumerate(data):
        row = _Row(index + 2, {c: (cells[i] if i < len(cells) else "") for i, c in enumerate(columns)})
        if acting_as is not None:
            named = _text(row.values.get("by"))
            if named and named != acting_as:
                report.bad.append(
                    BadRow(
                        row.number,
                        "by",
                        f"{named!r}: you import as yourself ({acting_as}), not as someone else",
                    )
                )
                checked.append(row)
                continue
            row.values["by"] = acting_as
        problems = _check(app, row, directory, now, templates)
        if not problems:
            key = (_text(row.values["name"]), row.start_args["street"], row.start_args["start_date"])
            if key in existing:
                problems.append(
                    BadRow(row.number, "name", "a project with this name, street and start already exists")
                )
            elif key in seen:
                problems.append(BadRow(row.number, "name", f"the same project as row {seen[key]}"))
            seen.setdefault(key, row.number)
        report.bad += problems
        checked.append(row)
        if progress and (index % 200 == 0 or index == len(data) - 1):
            progress("checking", index + 1, len(data))
    if report.bad:
        raise ImportRejected(report)
    if dry_run or not checked:
        return report

    from .commands import record

    with app.uow() as uow:
        snapshots: dict[str, Any] = {}
        for done, row in enumerate(checked, start=1):
            assert row.template is not None and row.template_body is not None and row.started is not None
            if row.template.ref not in snapshots:
                snapshots[row.template.ref] = uow.templates.snapshot(row.template_body, now)
            project, events = row.started
            project_id = uow.projects.add(project, snapshots[row.template.ref])
            if notify:
                record(app, uow, project, events)
            else:
                uow.events.append(project_id, events)
            report.project_ids.append(project_id)
            if progress and (done % 200 == 0 or done == len(checked)):
                progress("importing", done, len(checked))
        uow.commit()
    return report


def _check(
    app: App,
    row: _Row,
    directory: _Directory,
    now: dt.datetime,
    templates: dict[tuple[str, str], ProcessTemplate],
) -> list[BadRow]:
    """Run every check project start would, in memory; fills ``row.start_args``."""
    values, problems = row.values, []

    def bad(column: str, reason: str) -> None:
        problems.append(BadRow(row.number, column, reason))

    template_text = _text(values.get("template")) or "accompany-service"
    name, _, version = template_text.partition("@")
    try:
        source = app.catalog.get(name, int(version) if version.isdigit() else None)
        row.template_body = source.body
    except AccompanyError as exc:
        bad("template", str(exc))
        return problems
    fields: dict[str, Any] = {}
    try:
        fields["start"] = _day(values["start"])
    except AccompanyError as exc:
        bad("start", str(exc))
    try:
        district = directory.district(_text(values["district"]))
        fields["district"] = district.id
        try:
            fields["street"] = directory.street(district, _text(values["street"]))
        except AccompanyError as exc:
            bad("street", str(exc))
    except AccompanyError as exc:
        bad("district", str(exc))
    for column in ("planner", "by"):
        try:
            fields[column] = directory.person(_text(values[column]))
        except AccompanyError as exc:
            bad(column, str(exc))
    deadlines, params = {}, {}
    for column, value in values.items():
        if column.startswith("deadline:") and _text(value):
            try:
                deadlines[column.split(":", 1)[1]] = _day(value)
            except AccompanyError as exc:
                bad(column, str(exc))
        elif column.startswith("param:") and _text(value):
            param = column.split(":", 1)[1]
            try:
                params[param] = coerce_parameter(param, source.template.parameters[param], _text(value))
            except (AccompanyError, KeyError) as exc:
                bad(column, str(exc))
    if problems:
        return problems
    try:
        key = (source.template.ref, repr(sorted(params.items())))
        if key not in templates:
            templates[key] = build_template(source.body, params, source=f"template {source.template.ref}")
        template = templates[key]
        row.template = template
        row.start_args = {
            "template": template,
            "params": params,
            "name": _text(values["name"]),
            "district": fields["district"],
            "street": fields["street"],
            "community": _text(values["community"]),
            "planner": fields["planner"],
            "coordinator": fields["by"],
            "start_date": fields["start"],
            "fixed_dues": deadlines,
        }
        row.started = Project.start(**row.start_args, now=now, calendar=app.calendar)
    except AccompanyError as exc:
        bad(_column_for(exc, row.template), str(exc))
    return problems
