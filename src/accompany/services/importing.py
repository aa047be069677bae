"""Bulk import of projects from CSV or XLSX: every row is checked first, then all are
imported in one transaction, or none.

Columns (header row; English or Chinese names): name/项目名称, district/区,
street/街道, community/社区, planner/责任规划师, start/启动日期, by/协调人, optional
template/流程模板 (id or id@version), optional ``deadline:<stage>`` / ``截止:<阶段>``
(the stage's id or name) for stages whose deadline is set at start, optional
``param:<name>`` / ``参数:<name>`` for template parameters. People are named by id or
by name (when the name is unique). A problem is reported with the row number and the
column as the file names it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ..db.orm import ProjectRow
from ..models.deadlines import local_date
from ..models.errors import N_, AccompanyError, InvalidInput, Localized, PermissionDenied, SeveralInvalid
from ..models.people import District, Person, Street
from ..models.project import Project
from ..models.template import ProcessTemplate, StageSpec, build_template, coerce_parameter
from ..models.text import row_number
from ..templates import template_ref

if TYPE_CHECKING:
    from ..bootstrap import App

REQUIRED = ("name", "district", "street", "community", "planner", "start", "by")
ALIASES = {
    "项目名称": "name",
    "项目": "name",
    "区": "district",
    "所属区": "district",
    "街道": "street",
    "所属街道": "street",
    "社区": "community",
    "责任规划师": "planner",
    "规划师": "planner",
    "启动日期": "start",
    "开始日期": "start",
    "协调人": "by",
    "流程模板": "template",
    "模板": "template",
}
PREFIXES = {"deadline": "deadline", "截止": "deadline", "param": "param", "参数": "param"}
Progress = Callable[[str, int, int], None]
IMPORT_BATCH = 2000  # projects written per executemany


@dataclass(frozen=True)
class BadRow:
    """One problem: the row as numbered in the file (the header is row 1), the column
    as the file names it, and the refusal (put into words in the reader's language)."""

    row: int
    column: str
    problem: AccompanyError

    @property
    def reason(self) -> str:
        return str(self.problem)


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
        super().__init__(
            N_("{rows} of {total} row(s) are invalid ({problems_count} problem(s)); nothing was imported"),
            rows=len({b.row for b in report.bad}),
            total=report.rows,
            problems_count=len(report.bad),
        )


def _columns(
    header: Sequence[str], template: ProcessTemplate, *, by_given: bool = False
) -> tuple[list[str | None], dict[str, str]]:
    """Each header's canonical column (None: a blank header, as Excel often saves after
    the last column; a value under it is told row by row), and each column's header as
    the file writes it; unknown, repeated or missing columns are refused."""
    columns: list[str | None] = []
    headers: dict[str, str] = {}
    for raw in header:
        name = str(raw).strip()
        if not name:
            columns.append(None)
            continue
        canonical = ALIASES.get(name, name)
        prefix, colon, rest = name.replace("：", ":").partition(":")
        if canonical in REQUIRED or canonical == "template":
            pass
        elif colon and PREFIXES.get(prefix.strip().lower()) == "deadline":
            stage = template.find_stage(rest.strip())
            if stage is None:
                raise InvalidInput(
                    "column '{column}': the template has no stage '{stage}'", column=name, stage=rest.strip()
                )
            canonical = f"deadline:{stage.id}"
        elif colon and PREFIXES.get(prefix.strip().lower()) == "param":
            if rest.strip() not in template.parameters:
                raise InvalidInput(
                    "column '{column}': the template has no parameter '{param}' (parameters: {names})",
                    column=name,
                    param=rest.strip(),
                    names=", ".join(template.parameters) or "—",
                )
            canonical = f"param:{rest.strip()}"
        else:
            raise InvalidInput(
                "unknown column '{column}' (columns: 项目名称/name, 区/district, 街道/street, "
                "社区/community, 责任规划师/planner, 启动日期/start, 协调人/by, 流程模板/template, "
                "截止:<阶段>/deadline:<stage>, 参数:<名称>/param:<name>)",
                column=name[:60],
            )
        if canonical in columns:
            raise InvalidInput("column '{column}' appears twice", column=name)
        columns.append(canonical)
        headers[canonical] = name
    missing = [c for c in REQUIRED if c not in columns and not (by_given and c == "by")]
    if missing:
        raise InvalidInput("missing column(s): {columns}", columns=", ".join(missing))
    return columns, headers


def _day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        day = _spreadsheet_day(text)
    except ValueError:
        raise InvalidInput("'{text}' is not a date like 2026-03-15", text=text[:40]) from None
    if not 2000 <= day.year <= 2100:
        raise InvalidInput("'{text}' is outside the years 2000–2100", text=text[:40])
    return day


_DAY_SEPARATORS = str.maketrans({"/": "-", ".": "-", "年": "-", "月": "-", "日": None})


def _spreadsheet_day(text: str) -> dt.date:
    """A day as spreadsheets and people write it: 2027-02-01, 2027/2/1, 2027.2.1 or
    2027年2月1日 (year first, as in China; never the ambiguous 2/1/2027)."""
    parts = text.translate(_DAY_SEPARATORS).split("-")
    if len(parts) != 3 or len(parts[0]) != 4 or not all(p.isdigit() and 0 < len(p) <= 4 for p in parts):
        raise ValueError(text)
    return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))


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
        raise InvalidInput("unknown district '{district}'", district=text[:100])

    def street(self, district: District, text: str) -> Street:
        for street in district.streets:
            if text in (street.id, street.name):
                return street
        raise InvalidInput(
            "unknown street '{street}' in {district}", street=text[:100], district=Localized(district.name)
        )

    def person(self, text: str) -> Person:
        person = self.people.get(text)
        if person is not None:
            return person
        named = [p for p in self.people.values() if p.name == text]
        if len(named) == 1:
            return named[0]
        if named:
            raise InvalidInput(
                "'{name}' names {count} people ({ids}): give the id",
                name=text[:60],
                count=len(named),
                ids=", ".join(sorted(p.id for p in named)),
            )
        raise InvalidInput("unknown person '{person}'", person=text[:100])


@dataclass
class _Row:
    number: int
    values: dict[str, Any]
    template: ProcessTemplate | None = None
    template_body: dict[str, Any] | None = None
    start_args: dict[str, Any] = field(default_factory=dict)
    started: tuple[Project, list[Any]] | None = None  # the checked project, imported as is


def deadline_header(stage: StageSpec) -> str:
    """A stage's deadline column as a file names it (the sample file's header too)."""
    return f"截止:{stage.name}"


def _column_name(column: str, template: ProcessTemplate | None) -> str:
    """A column the file does not have, named as the file would name it: 截止:施工陪伴
    for a stage's deadline, not the key deadline:construction-accompany."""
    kind, _, key = column.partition(":")
    if kind == "deadline" and template is not None:
        stage = template.find_stage(key)
        if stage is not None:
            return deadline_header(stage)
    return column


def _column_for(error: AccompanyError) -> str:
    """Which column a domain refusal is about (by the form field it names)."""
    if isinstance(error, PermissionDenied):
        return "by"
    name = error.field or ""
    if name.startswith("deadline."):
        return "deadline:" + name.split(".", 1)[1]
    if name.startswith("param."):
        return "param:" + name.split(".", 1)[1]
    return name if name in (*REQUIRED, "template") else ""


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
    columns, headers = _columns(header, default, by_given=acting_as is not None)
    if not data:
        # a header alone is most likely the wrong file (or sheet): say so, never "all 0 valid"
        raise InvalidInput(
            "the file lists no projects, only a header row: nothing was imported", field="file"
        )
    report = ImportReport(rows=len(data), dry_run=dry_run)
    now = app.now() if dry_run else app.acting_time().at
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
        row = _Row(
            row_number(cells, index),
            {c: (cells[i] if i < len(cells) else "") for i, c in enumerate(columns) if c is not None},
        )
        report.bad += [
            BadRow(row.number, f"#{position + 1}", InvalidInput("a value in a column without a header"))
            for position, cell in enumerate(cells)
            if (position >= len(columns) or columns[position] is None) and _text(cell)
        ]
        if acting_as is not None:
            named = _text(row.values.get("by"))
            me = directory.people.get(acting_as)
            if named and named not in (acting_as, me.name if me else acting_as):
                report.bad.append(
                    BadRow(
                        row.number,
                        headers.get("by", "by"),
                        InvalidInput(
                            "'{name}': you import as yourself ({me}), not as someone else",
                            name=named[:60],
                            me=me.name if me else acting_as,
                        ),
                    )
                )
                checked.append(row)
                continue
            row.values["by"] = acting_as
        problems = _check(app, row, directory, now, templates, headers)
        if not problems:
            key = (_text(row.values["name"]), row.start_args["street"], row.start_args["start_date"])
            name_column = headers.get("name", "name")
            if key in existing:
                problems.append(
                    BadRow(
                        row.number,
                        name_column,
                        InvalidInput("a project with this name, street and start already exists"),
                    )
                )
            elif key in seen:
                problems.append(
                    BadRow(
                        row.number, name_column, InvalidInput("the same project as row {row}", row=seen[key])
                    )
                )
            seen.setdefault(key, row.number)
        report.bad += problems
        checked.append(row)
        if progress and (index % 200 == 0 or index == len(data) - 1):
            progress(N_("checking"), index + 1, len(data))
    if report.bad:
        raise ImportRejected(report)
    if dry_run:
        return report

    from .recording import record

    with app.uow() as uow:
        snapshots: dict[str, int] = {}
        for row in checked:
            assert row.template is not None and row.template_body is not None and row.started is not None
            if row.template.ref not in snapshots:
                snapshots[row.template.ref] = uow.templates.snapshot(row.template_body, now).pk
        # in batches: one executemany per table for each (the ids and the rows are
        # those of inserting row after row), with progress in between
        for first in range(0, len(checked), IMPORT_BATCH):
            batch = [row.started for row in checked[first : first + IMPORT_BATCH] if row.started]
            ids = uow.projects.add_many([(project, snapshots[project.template.ref]) for project, _ in batch])
            if notify:
                for project, events in batch:
                    record(app, uow, project, events)
            else:
                uow.events.append_many(zip(ids, (events for _, events in batch), strict=True))
            report.project_ids += ids
            if progress:
                progress(N_("importing"), first + len(batch), len(checked))
        uow.commit()
    return report


def _check(
    app: App,
    row: _Row,
    directory: _Directory,
    now: dt.datetime,
    templates: dict[tuple[str, str], ProcessTemplate],
    headers: dict[str, str],
) -> list[BadRow]:
    """Run every check project start would, in memory; fills ``row.start_args``."""
    values, problems = row.values, []

    def bad(column: str, problem: AccompanyError) -> None:
        problems.append(
            BadRow(row.number, headers.get(column) or _column_name(column, row.template), problem)
        )

    # an empty cell (a short row too) is told as empty, not looked up as a name ''
    empty = [column for column in REQUIRED if not _text(values.get(column))]
    for column in empty:
        bad(column, InvalidInput("'{column}' is empty", column=headers.get(column, column)))

    template_text = _text(values.get("template")) or "accompany-service"
    try:
        source = app.catalog.get(*template_ref(template_text))
        row.template_body = source.body
    except AccompanyError as exc:
        bad("template", exc)
        return problems
    fields: dict[str, Any] = {}
    try:
        if "start" not in empty:
            fields["start"] = _day(values["start"])
    except AccompanyError as exc:
        bad("start", exc)
    try:
        if "district" not in empty:
            district = directory.district(_text(values["district"]))
            fields["district"] = district
            if "street" not in empty:
                try:
                    fields["street"] = directory.street(district, _text(values["street"]))
                except AccompanyError as exc:
                    bad("street", exc)
    except AccompanyError as exc:
        bad("district", exc)
    for column in ("planner", "by"):
        if column in empty:
            continue
        try:
            fields[column] = directory.person(_text(values[column]))
        except AccompanyError as exc:
            bad(column, exc)
    deadlines, params = {}, {}
    for column, value in values.items():
        if column.startswith("deadline:") and _text(value):
            try:
                deadlines[column.split(":", 1)[1]] = _day(value)
            except AccompanyError as exc:
                bad(column, exc)
        elif column.startswith("param:") and _text(value):
            param = column.split(":", 1)[1]
            if param not in source.template.parameters:
                bad(
                    column,
                    InvalidInput(
                        "template {template} has no parameter '{param}'",
                        template=source.template.ref,
                        param=param,
                    ),
                )
                continue
            try:
                params[param] = coerce_parameter(param, source.template.parameters[param], _text(value))
            except AccompanyError as exc:
                bad(column, exc)
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
            "district": fields["district"].id,
            "street": fields["street"].id,
            "district_name": fields["district"].name,
            "street_name": fields["street"].name,
            "community": _text(values["community"]),
            "planner": fields["planner"],
            "coordinator": fields["by"],
            "start_date": fields["start"],
            "fixed_dues": deadlines,
        }
        row.started = Project.start(**row.start_args, now=now, calendar=app.calendar)
    except AccompanyError as exc:
        # several problems told at once: each in its own column
        for part in exc.errors if isinstance(exc, SeveralInvalid) else [exc]:
            column = _column_for(part)
            if column == "by" and "by" not in headers:
                # no 协调人 column (the web import: the person signed in): what is out of
                # their reach is the street the row names
                column = "street"
            bad(column, part)
    return problems


def sample_table(app: App, person: Person) -> list[list[str]]:
    """A file to start from (the import page offers it): the header of the newest
    default template's columns — the stages whose deadline is set at the start among
    them — and one example row in the coordinator's own district, street and planner,
    so that the first try imports (after its name is changed)."""
    from .portfolio import filter_choices

    template = app.catalog.get("accompany-service").template
    choices = filter_choices(app, person)
    with app.reader() as uow:
        district = uow.people.resolve_district(person.district).name
    start = local_date(app.now())
    set_at_start = [s for s in template.stages if s.deadline.set_at_start]
    header = [
        "项目名称",
        "区",
        "街道",
        "社区",
        "责任规划师",
        "启动日期",
        *(deadline_header(s) for s in set_at_start),
    ]
    example = [
        "（示例）某小区综合整治",
        district,
        choices.streets[0][1] if choices.streets else "",
        "某社区",
        choices.planners[0][1] if choices.planners else "",
        start.isoformat(),
        *((start + dt.timedelta(days=180)).isoformat() for _ in set_at_start),
    ]
    return [header, example]
