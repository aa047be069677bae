"""Building the quarterly compliance report from the event log.

Reads the lifecycle events up to the cut-off (streamed, in time order) and the
counts of notifications sent in the quarter (one SQL aggregation), hands them to the
pure replay in ``models.report``, and states the cut-off and a checksum of every
input, so a re-run of a past quarter can be checked against the original.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, cast, func, select, text, type_coerce
from sqlalchemy.types import NullType

from ..db.orm import EventRow, ProjectRow, StreetRow, TemplateRow
from ..models.deadlines import LOCAL_TZ
from ..models.errors import InvalidInput, NotFound
from ..models.report import EventFact, Quarter, Report, build_report
from ..models.rules import is_backdated
from ..models.undo import undone_event_ids
from .participation import residents_participation

if TYPE_CHECKING:
    from ..bootstrap import App

LIFECYCLE_KINDS = (
    "project.started",
    "project.completed",
    "project.suspended",
    "project.resumed",
    "project.cancelled",
    "project.handed_over",
    "project.migrated",
    "stage.activated",
    "stage.deadline_set",
    "stage.deadline_changed",
    "stage.submitted",
    "stage.approved",
    "stage.returned",
    "stage.clock_paused",
    "stage.clock_resumed",
    "stage.extension_requested",
    "stage.extension_granted",
    "stage.extension_refused",
    "stage.extension_withdrawn",
    "stage.looped",
)
Progress = Callable[[int, int | None], None]  # (events read, total once known)
STREAM_BATCH = 2_000  # events fetched at a time (10,000: +10 MiB, no faster)


def resolve_scope(app: App, district: str | None, street: str | None) -> tuple[str | None, str | None]:
    """District and street ids from ids or names; unknown ones are refused."""
    with app.reader() as uow:
        district_id = uow.people.resolve_district(district).id if district else None
        street_id = None
        if street:
            row = uow.session.scalar(
                select(StreetRow).where((StreetRow.id == street) | (StreetRow.name == street))
            )
            if row is None:
                raise NotFound("unknown street '{street}'", street=street[:100])
            if district_id and row.district_id != district_id:
                raise InvalidInput(
                    "street {street} is not in district {district}", street=row.name, district=district_id
                )
            street_id = row.id
    return district_id, street_id


def quarterly_report(
    app: App,
    quarter: Quarter,
    *,
    district: str | None = None,
    street: str | None = None,
    progress: Progress | None = None,
) -> Report:
    now = app.now()
    if now <= quarter.start:
        raise InvalidInput(
            "quarter {quarter} has not started yet (it is {today} now)",
            field="quarter",
            quarter=quarter.label,
            today=now.astimezone(LOCAL_TZ).date().isoformat(),
        )
    cutoff = min(quarter.end, now)
    district_id, street_id = resolve_scope(app, district, street)
    digest = hashlib.sha256()
    with app.reader() as uow:
        session = uow.session
        phases: dict[str, dict[str, str]] = {}
        for row in session.scalars(select(TemplateRow).order_by(TemplateRow.pk)):
            phases[f"{row.template_id}@{row.version}"] = {
                s["id"]: s["phase"] for s in row.body.get("stages", [])
            }
            digest.update(f"template {row.template_id}@{row.version} {row.checksum}\n".encode())

        scope = select(ProjectRow.id)
        if district_id:
            scope = scope.where(ProjectRow.district_id == district_id)
        if street_id:
            scope = scope.where(ProjectRow.street_id == street_id)
        e = EventRow
        base = [e.kind.in_(LIFECYCLE_KINDS), e.occurred_at < cutoff, e.project_id.is_not(None)]
        if district_id or street_id:
            base.append(e.project_id.in_(scope.scalar_subquery()))
        # the decisions undone before the cut-off count as never given (models.undo)
        undone = undone_event_ids(
            session.scalars(
                select(e.data).where(
                    e.kind == "stage.decision_undone", e.occurred_at < cutoff, e.project_id.is_not(None)
                )
            )
        )
        if undone:
            digest.update(f"undone {sorted(undone)}\n".encode())
        # Core rows, the time and JSON read raw: the report streams hundreds of
        # thousands of events and the ORM's per-row work would dominate. Streamed in
        # batches (a server-side cursor on PostgreSQL): memory stays flat in the
        # number of events, and no COUNT pass is needed — the events are counted as
        # they are read. The times as UTC text on both databases (as SQLite stores
        # them): the events of one command share a time, parsed once, and its
        # checksum text is cut from it.
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            # the streamed queries' plans for reading every row, not the first tenth
            # (a server-side cursor's default): the notifications' aggregation would
            # walk the whole log by project instead of the quarter's by time
            session.execute(text("SET LOCAL cursor_tuple_fraction = 1.0"))
        as_text, zone = _time_text(dialect)
        # The streaming is this statement's option, not the connection's: the later
        # queries (the notifications' aggregation) run as plain ones — as a
        # server-side cursor PostgreSQL plans that aggregation for its first rows,
        # ten times slower.
        rows = session.connection().execute(
            select(
                e.id,
                e.kind,
                as_text(e.occurred_at).label("at"),
                e.project_id,
                e.stage_key,
                e.actor,
                e.after_state,
                cast(e.data, String).label("data"),
                as_text(e.recorded_at).label("recorded"),
            )
            .where(*base)
            .order_by(e.occurred_at, e.id)
            .execution_options(stream_results=True, yield_per=STREAM_BATCH)
        )
        # on PostgreSQL the server prepares the next batch while this one is replayed;
        # SQLite's reading is this process's own work, and a second thread only adds
        # the two threads' handing over of Python's lock (a fifth slower, measured)
        batches = _read_ahead(rows.partitions()) if dialect == "postgresql" else rows.partitions()
        read = 0
        events_hashed = False

        backdated = [0]  # events of the quarter recorded well after their moment

        def facts() -> Iterator[EventFact]:
            nonlocal read, events_hashed
            from_text = dt.datetime.fromisoformat
            start = quarter.start
            last_text, last_at, last_iso = None, None, ""  # events of one command share a time
            for batch in batches:
                lines = []  # the checksum's lines, hashed once per batch (same digest)
                line = lines.append
                for id_, kind_, at, project_id, stage, actor, after, raw, recorded in batch:
                    # 2026-03-02 01:00:00.000000 (+ zone): see _time_text
                    if at == last_text:
                        at, iso = last_at, last_iso
                    else:
                        last_text = at
                        stamp = at + zone
                        at = from_text(stamp)
                        if len(stamp) == 32 and stamp[10] == " " and stamp[19] == "." and stamp[26] in "+-":
                            # its isoformat() from the text: microseconds only if any
                            fraction = "" if stamp[19:26] == ".000000" else stamp[19:26]
                            iso = f"{stamp[:10]}T{stamp[11:19]}{fraction}{stamp[26:]}"
                        else:
                            iso = at.isoformat()
                        last_at, last_iso = at, iso
                    if recorded is not None and at >= start:
                        recorded = from_text(recorded + zone)
                        if is_backdated(at, recorded):
                            backdated[0] += 1
                    raw = raw or "{}"
                    line(f"{id_}|{kind_}|{iso}|{stage}|{after}|{raw}\n")
                    yield EventFact(id_, kind_, at, project_id, stage, actor, after, raw)
                digest.update("".join(lines).encode())
                read += len(batch)
                if progress:
                    progress(read, None)
            events_hashed = True

        kind = e.data["kind"].as_string()
        groups = 0  # of notifications: (project, stage, kind)

        def notifications() -> Iterator[tuple[int, str | None, str, int]]:
            """The counts of notifications sent in the quarter, (project id, stage,
            kind, count), read and hashed as the replay takes them — tens of
            thousands, never all kept. The checksum hashes them right after the
            events: the replay takes them once it has every event. Core rows, like
            the events': through the ORM each row cost more than its aggregation."""
            nonlocal groups
            if not events_hashed:
                raise RuntimeError("the notifications are hashed after the events")
            counts = session.connection().execute(
                select(e.project_id, e.stage_key, kind, func.count())
                .where(
                    e.kind == "notification.sent",
                    e.occurred_at >= quarter.start,
                    e.occurred_at < cutoff,
                    e.project_id.is_not(None),
                    *([e.project_id.in_(scope.scalar_subquery())] if district_id or street_id else []),
                )
                .group_by(e.project_id, e.stage_key, kind)
                .order_by(e.project_id, e.stage_key, kind)
                .execution_options(stream_results=True, yield_per=STREAM_BATCH)
            )
            for batch in counts.partitions():
                items = [(project_id, stage, kind_, count) for project_id, stage, kind_, count in batch]
                digest.update("".join(f"notification {item}\n" for item in items).encode())
                groups += len(items)
                yield from items

        with _collection_paused():
            taken = notifications()
            report = build_report(
                quarter=quarter,
                cutoff=cutoff,
                events=facts(),
                phases_by_template=phases,
                notifications=taken,
                calendar=app.calendar,
                district=district_id,
                street=street_id,
                undone=undone,
                project_names={i: name for i, name in session.execute(scope.add_columns(ProjectRow.name))},
            )
            for _ in taken:  # (all hashed, whatever the replay read)
                pass
        total = read
        if progress:
            progress(total, total)
        report.names = _names(uow, session)
        # residents' participation (问需/问计/问效, consent): only with residents' activity
        report.participation, report.participation_overall, residents = residents_participation(
            session, quarter.start, cutoff, district_id, street_id
        )
    years = range(quarter.year - 1, quarter.year + 2)
    calendar_sources = app.calendar.fingerprint(years)
    digest.update(json.dumps(calendar_sources, sort_keys=True).encode())
    if residents:  # a report without residents' data keeps its checksum
        digest.update("".join(residents).encode())
    report.meta = {
        "generated_at": now.astimezone(report.cutoff.tzinfo),
        "cutoff": report.cutoff,
        "complete_quarter": report.complete_quarter,
        "events_read": total,
        "backdated_events": backdated[0],
        "notification_groups": groups,
        "inputs_sha256": digest.hexdigest(),
        "calendar": calendar_sources,
        "templates": sorted(phases),
        "definitions": "see models/report.py and the README (Quarterly compliance reports)",
    }
    return report


def _time_text(dialect: str) -> tuple[Callable[[Any], Any], str]:
    """A timestamp column read as text, and the zone to add to it: SQLite stores naive
    UTC text (2026-03-02 01:00:00.000000, + "+00:00"); PostgreSQL formats it with its
    offset, in the session's time zone — the zone psycopg's datetimes were in, whose
    isoformat() the checksum hashed (2026-03-02 09:00:00.000000+08:00 on a server in
    Asia/Shanghai), so a checksum made before stays the same."""
    if dialect == "postgresql":
        return lambda column: func.to_char(column, "YYYY-MM-DD HH24:MI:SS.USTZH:TZM"), ""
    return lambda column: type_coerce(column, NullType()), "+00:00"


def _read_ahead(batches: Iterator[Any], ahead: int = 4) -> Iterator[Any]:
    """The batches, fetched by a second thread up to ``ahead`` batches ahead of the
    replay: the database server prepares the next batch (formats its JSON and times)
    while this thread hashes and replays the last one, instead of each waiting for
    the other (a quarter of the report's time on PostgreSQL). The reader stops, and
    is waited for, when the replay stops early (a refusal, an error): the connection
    is never left in use by it."""
    box: queue.Queue[Any] = queue.Queue(ahead)
    stop = threading.Event()
    end = object()

    def read() -> None:
        try:
            for batch in batches:
                box.put(batch)
                if stop.is_set():
                    return
        except BaseException as exc:  # handed to the replay's thread, raised there
            box.put(exc)
            return
        box.put(end)

    reader = threading.Thread(target=read, name="report-read-ahead", daemon=True)
    reader.start()
    try:
        while (item := box.get()) is not end:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while reader.is_alive():  # let a reader blocked on a full box see the stop
            with suppress(queue.Empty):
                box.get(timeout=0.05)
        reader.join()


@contextmanager
def _collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while the events are replayed: the replay makes
    and drops millions of small objects (rows, events, lines) and keeps a growing
    state (projects, stages, rows of figures), and the collector, run every few
    hundred allocations, walks them again and again (12–30 % of the report's time)
    to find no cycle — they are freed by their reference counts."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _names(uow: Any, session: Any) -> dict[str, dict[str, str]]:
    """Ids to the names people read (districts, streets, planners' teams, people,
    stages); a team the directory never named is absent (shown by its id)."""
    names: dict[str, dict[str, str]] = {
        "district": {},
        "street": {},
        "team": uow.people.team_names(),
        "person": {},
        "stage": {},
        "stage_en": {},
        "template": {},
        "template_en": {},
    }
    for person in uow.people.all():
        names["person"][person.id] = person.name
    for district in uow.people.districts():
        names["district"][district.id] = district.name
        for street in district.streets:
            names["street"][street.id] = street.name
    for row in session.scalars(select(TemplateRow).order_by(TemplateRow.pk)):
        name = row.body.get("name") or row.template_id
        names["template"].setdefault(row.template_id, name)
        names["template_en"].setdefault(row.template_id, row.body.get("name_en") or name)
        for stage in row.body.get("stages", []):
            names["stage"].setdefault(stage["id"], stage.get("name", stage["id"]))
            names["stage_en"].setdefault(stage["id"], stage.get("name_en") or stage.get("name", stage["id"]))
    return names


def report_filename(report: Report, extension: str) -> str:
    scope = "-".join(v for v in (report.scope.get("district"), report.scope.get("street")) if v) or "all"
    return f"accompany-{report.quarter}-{scope}.{extension}"


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def queue_report_delivery(app: App, report: Report, files: list[str], district: str) -> bool:
    """Queue the report for the district's supervisors (tag district-<id>) through the
    outbox, once per district and quarter; returns False if it was queued before."""
    from ..models.reminders import Intent, NotificationKind
    from ..models.reminders import district as district_audience

    with app.reader() as uow:
        name = next((d.name for d in uow.people.districts() if d.id == district), district)
    payload = {
        "quarter": report.quarter,
        "scope_name": name,
        "cutoff": report.cutoff.strftime("%Y-%m-%d %H:%M"),
        "checksum": report.meta.get("inputs_sha256", ""),
        "attachments": files,
        "figures": {
            k: report.summary.get(k)
            for k in (
                "projects_active",
                "stages_due",
                "on_time_rate",
                "overdue_now",
                "returns",
                "approval_latency_median",
            )
        },
    }
    intent = Intent(
        district_audience(district), NotificationKind.QUARTERLY_REPORT, None, None, report.quarter, payload
    )
    now = app.now()
    with app.uow() as uow:
        added = uow.outbox.queue([intent], now=now, not_before=app.quiet.next_allowed(now, app.calendar))
        uow.commit()
    return added == 1


def districts_with_projects(app: App) -> list[str]:
    with app.reader() as uow:
        return sorted(set(uow.session.scalars(select(ProjectRow.district_id))))
