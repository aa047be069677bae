"""A synthetic city for the benchmarks: 16 districts, 333 streets, a planner team per
street, and N projects whose lifecycles are simulated through the real domain
aggregate (so stages, deadlines, approvals, returns, pauses, extensions and events
are consistent), then bulk-inserted.

    python bench/synthetic.py --db sqlite:////tmp/city.db --projects 10000

Each project also gets the notification events its actions cause (the real
notification policy) and, for stages done late, the reminders and escalations that
were sent — about 100 events per project, ~1,000,000 for 10,000 projects.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, insert, select, text

from accompany.bootstrap import App, build_app
from accompany.clock import FixedClock
from accompany.config.settings import BUILTIN_TEMPLATES, Settings
from accompany.db.event_log import _jsonable
from accompany.db.orm import (
    ApprovalRow,
    AttachmentRow,
    ClockPauseRow,
    EventRow,
    ExtensionRow,
    NotificationRow,
    ProjectRow,
    StageRow,
    SystemStateRow,
)
from accompany.db.stage_rows import approval_values, extension_values, pause_values, stage_values
from accompany.models.deadlines import LOCAL_TZ, local_date
from accompany.models.events import SYSTEM_ACTOR, Event, EventKind
from accompany.models.people import Directory, District, Person, Role, Street
from accompany.models.project import Project
from accompany.models.reminders import ProjectFacts, notifications_for_events
from accompany.models.stage import Attachment
from accompany.models.states import StageState
from accompany.services import commands
from accompany.templates import read_template_file

DISTRICTS = [
    "dongcheng",
    "xicheng",
    "chaoyang",
    "haidian",
    "fengtai",
    "shijingshan",
    "mentougou",
    "fangshan",
    "tongzhou",
    "shunyi",
    "changping",
    "daxing",
    "huairou",
    "pinggu",
    "miyun",
    "yanqing",
]
TODAY = dt.date(2026, 11, 24)
EVIDENCE = {
    "needs-survey": lambda r: {
        "households_interviewed": r.randint(30, 160),
        "observation_days": r.randint(3, 12),
    },
    "needs-list": lambda r: {"needs_items": r.randint(3, 40), "list_style": r.choice(["清单式", "菜单式"])},
    "design-proposal": lambda r: {},
    "plan-presentation": lambda r: {
        "sessions_held": r.randint(1, 5),
        "attendees": r.randint(20, 300),
        "notice_days": r.randint(7, 10),
        "objections": r.choice(["无", "停车位意见2条", "绿化意见3条，已采纳"]),
    },
    "resident-consent": lambda r: (
        lambda n: {"households_surveyed": n, "households_consenting": r.randint(-(-2 * n // 3), n)}
    )(r.randint(40, 300)),
    "construction-accompany": lambda r: {"site_visits": r.randint(40, 80), "reception_point": True},
    "completion-acceptance": lambda r: {"residents_present": r.randint(5, 60)},
    "post-evaluation": lambda r: {
        "respondents": r.randint(30, 200),
        "satisfaction_pct": round(r.uniform(70, 99), 1),
    },
}
FILES = {
    "needs-survey": ["problem_map"],
    "design-proposal": ["proposal"],
    "completion-acceptance": ["acceptance_record"],
}


def directory() -> Directory:
    districts, people = [], []
    street_count = 0
    for index, district_id in enumerate(DISTRICTS):
        n = 333 // len(DISTRICTS) + (1 if index < 333 % len(DISTRICTS) else 0)
        streets = tuple(
            Street(id=f"{district_id}-s{j:02d}", name=f"{district_id}街道{j:02d}") for j in range(n)
        )
        street_count += n
        districts.append(District(id=district_id, name=f"{district_id}区", streets=streets))
        people.append(
            Person(id=f"{district_id}-coord", name="协调人", role=Role.COORDINATOR, district=district_id)
        )
        people.append(
            Person(id=f"{district_id}-ghj", name="区规划分局", role=Role.DISTRICT, district=district_id)
        )
        for street in streets:
            people.append(
                Person(
                    id=f"{street.id}-so",
                    name="街道办",
                    role=Role.STREET_OFFICE,
                    district=district_id,
                    streets=(street.id,),
                )
            )
            people.append(
                Person(
                    id=f"{street.id}-pl",
                    name="责任规划师",
                    role=Role.PLANNER,
                    district=district_id,
                    streets=(street.id,),
                    team=f"team-{street.id}",
                )
            )
    assert street_count == 333
    return Directory(districts=tuple(districts), people=tuple(people))


def moment(day: dt.date, hour: int, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, rng.randint(0, 59)), LOCAL_TZ).astimezone(dt.UTC)


def simulate(
    rng: random.Random,
    app: App,
    template: Any,
    people: dict[str, Person],
    street: Street,
    district: str,
    number: int,
) -> tuple[Project, list[Event]] | None:
    """One project's life up to TODAY, through the domain aggregate."""
    calendar = app.calendar
    start = TODAY - dt.timedelta(days=rng.randint(5, 730))
    start = calendar.roll_forward(start).value
    planner = people[f"{street.id}-pl"]
    coordinator = people[f"{district}-coord"]
    office = people[f"{street.id}-so"]
    supervisor = people[f"{district}-ghj"]
    project, events = Project.start(
        template=template,
        params={},
        name=f"更新项目{number:05d}",
        district=district,
        street=street.id,
        community=f"社区{rng.randint(1, 30)}",
        planner=planner,
        coordinator=coordinator,
        start_date=start,
        fixed_dues={"construction-accompany": start + dt.timedelta(days=rng.randint(240, 420))},
        now=moment(start, 9, rng),
        calendar=calendar,
    )
    project.id = number
    for spec in template.stages:
        stage = project.stages[spec.id]
        if stage.state is not StageState.IN_PROGRESS or stage.deadline is None:
            break
        due = stage.deadline.due
        opened = local_date(stage.activated_at)
        budget = max(1, calendar.working_days_between(opened, due).days)
        if rng.random() < 0.04:  # a pause: waiting for residents, a winter stop …
            pause_day = calendar.add_working_days(opened, rng.randint(1, max(1, budget // 2))).value
            if pause_day >= TODAY:
                break
            events += project.pause_clock(
                spec.id,
                coordinator,
                reason=rng.choice(["冬季停工", "等待居民意见"]),
                now=moment(pause_day, 10, rng),
            )
            resume_day = calendar.add_working_days(pause_day, rng.randint(3, 20)).value
            if resume_day >= TODAY:
                break
            events += project.resume_clock(
                spec.id, coordinator, now=moment(resume_day, 10, rng), calendar=calendar
            )
            due = project.stages[spec.id].deadline.due
        if rng.random() < 0.05:  # an extension request
            ask_day = calendar.add_working_days(opened, max(1, budget // 2)).value
            if ask_day >= TODAY:
                break
            events += project.request_extension(
                spec.id,
                planner,
                working_days=rng.randint(3, 15),
                reason="居民外出，需延长",
                now=moment(ask_day, 11, rng),
            )
            decide_day = calendar.add_working_days(ask_day, rng.randint(1, 4)).value
            if decide_day >= TODAY:
                break
            grant = rng.random() < 0.7
            events += project.decide_extension(
                spec.id,
                office,
                grant=grant,
                working_days=None,
                comment=None if grant else "时间充足",
                now=moment(decide_day, 15, rng),
                calendar=calendar,
            )
            due = project.stages[spec.id].deadline.due
        late = rng.random() < 0.25
        opened_now = (
            max(opened, local_date(project.stages[spec.id].pauses[-1].resumed_at))
            if project.stages[spec.id].pauses
            else opened
        )
        spent = rng.randint(budget + 1, budget + 25) if late else rng.randint(max(1, budget // 3), budget)
        done_day = calendar.add_working_days(opened_now, spent).value
        if spec.deadline.set_at_start:  # construction runs to its agreed date
            if late:
                done_day = calendar.add_working_days(due, rng.randint(1, 8)).value
            else:
                done_day = calendar.roll_forward(due - dt.timedelta(days=rng.randint(3, 20))).value
            done_day = max(done_day, calendar.add_working_days(opened_now, 5).value)
        if done_day >= TODAY:
            break
        rounds = 2 if rng.random() < 0.08 else 1
        for round_ in range(rounds):
            evidence = EVIDENCE[spec.id](rng)
            files = (
                [
                    Attachment(
                        k, f"{k}.pdf", "0" * 64, 1024, "00/x.pdf", planner.id, moment(done_day, 9, rng)
                    )
                    for k in FILES.get(spec.id, [])
                ]
                if round_ == 0
                else []
            )
            events += project.complete_stage(
                spec.id,
                planner,
                evidence=evidence,
                attachments=files,
                note=None,
                now=moment(done_day, 16, rng),
                calendar=calendar,
            )
            for level in spec.approval:
                decide_day = calendar.add_working_days(done_day, rng.randint(1, 6)).value
                if decide_day >= TODAY:
                    return project, events
                approver = office if level.value == "street-office" else supervisor
                if round_ < rounds - 1:
                    events += project.return_stage(
                        spec.id,
                        approver,
                        reason=rng.choice(["证据不完整，请补充", "公示照片缺失", "需补充入户访谈记录"]),
                        now=moment(decide_day, 10, rng),
                    )
                    done_day = calendar.add_working_days(decide_day, rng.randint(2, 8)).value
                    if done_day >= TODAY:
                        return project, events
                    break
                events += project.approve_stage(
                    spec.id, approver, comment=None, now=moment(decide_day, 10, rng), calendar=calendar
                )
                done_day = decide_day
    return project, events


def notification_events(project: Project, events: list[Event], rng: random.Random) -> list[Event]:
    """notification.sent events for what the actions caused and the reminders sent."""
    facts = ProjectFacts(
        project.id or 0,
        project.name,
        project.district,
        project.street,
        project.planner_id,
        project.coordinator_id,
        {},
    )
    out = []
    for event in events:
        for intent in notifications_for_events(facts, [event]):
            out.append(
                Event(
                    EventKind.NOTIFICATION_SENT,
                    event.at + dt.timedelta(minutes=3),
                    SYSTEM_ACTOR,
                    stage=intent.stage,
                    data={
                        "kind": intent.kind.value,
                        "audience": intent.audience,
                        "escalation": False,
                        "digest_of": 1,
                    },
                )
            )
        if event.kind is EventKind.STAGE_SUBMITTED:
            late = event.data.get("on_time") is False
            reminders = (
                ["due-soon"] * rng.randint(3, 6)
                + ["due-today"]
                + ["approval-waiting"] * rng.randint(0, 2)
                + (["overdue"] * rng.randint(2, 8) + ["escalation-street-office"] if late else [])
            )
            for kind in reminders:
                out.append(
                    Event(
                        EventKind.NOTIFICATION_SENT,
                        event.at - dt.timedelta(days=rng.randint(1, 30)),
                        SYSTEM_ACTOR,
                        stage=event.stage,
                        data={
                            "kind": kind,
                            "audience": "person:" + project.planner_id,
                            "escalation": kind.startswith("escalation"),
                            "digest_of": rng.randint(1, 4),
                        },
                    )
                )
    # reminders for the stages still open
    for stage in project.stages.values():
        if stage.state is StageState.IN_PROGRESS:
            for _ in range(rng.randint(5, 20)):
                out.append(
                    Event(
                        EventKind.NOTIFICATION_SENT,
                        dt.datetime.combine(
                            TODAY - dt.timedelta(days=rng.randint(1, 60)), dt.time(1), dt.UTC
                        ),
                        SYSTEM_ACTOR,
                        stage=stage.key,
                        data={
                            "kind": "due-soon",
                            "audience": "person:" + project.planner_id,
                            "escalation": False,
                            "digest_of": 1,
                        },
                    )
                )
    return out


def chunks(rows: list[dict[str, Any]], size: int = 5000) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def build_city(url: str, projects: int, seed: int = 20261124, quiet: bool = False) -> dict[str, int]:
    started = time.perf_counter()
    rng = random.Random(seed)
    settings = Settings(home=Path("/tmp/accompany-bench-home"))
    app = build_app(settings, database_url=url, clock=FixedClock(dt.datetime(2026, 11, 24, 1, tzinfo=dt.UTC)))
    with app.uow() as uow:  # start from an empty city
        session = uow.session
        if session.get_bind().dialect.name == "postgresql":
            # a benchmark reset, not an application path: the log is append-only by trigger
            session.execute(text("ALTER TABLE event DISABLE TRIGGER event_append_only"))
            session.execute(
                text(
                    "TRUNCATE event, notification, attachment, approval, clock_pause, "
                    "extension_request, stage, project, process_template, person, street, district, "
                    "system_state RESTART IDENTITY CASCADE"
                )
            )
            session.execute(text("ALTER TABLE event ENABLE TRIGGER event_append_only"))
        else:
            session.execute(text("DROP TRIGGER IF EXISTS event_no_delete"))
            for table in (
                NotificationRow,
                EventRow,
                AttachmentRow,
                ApprovalRow,
                ClockPauseRow,
                ExtensionRow,
                StageRow,
                ProjectRow,
                SystemStateRow,
            ):
                session.execute(delete(table))
            session.execute(
                text(
                    "CREATE TRIGGER event_no_delete BEFORE DELETE ON event "
                    "BEGIN SELECT RAISE(ABORT, 'event log is append-only'); END"
                )
            )
        uow.commit()
    commands.load_directory(app, directory())
    source = read_template_file(BUILTIN_TEMPLATES / "accompany-service.yaml")
    with app.uow() as uow:
        template_row = uow.templates.snapshot(source.body, app.now())
        template = uow.templates.parsed(template_row, {})
        template_pk = template_row.pk
        uow.commit()
    people = {p.id: p for p in directory().people}
    streets = [(d.id, s) for d in directory().districts for s in d.streets]
    project_rows, stage_rows, approval_rows, pause_rows, extension_rows, event_rows = [], [], [], [], [], []
    stage_id = approval_id = pause_id = extension_id = 0
    for number in range(1, projects + 1):
        district, street = streets[rng.randrange(len(streets))]
        project, events = simulate(rng, app, template, people, street, district, number)
        events += notification_events(project, events, rng)
        project_rows.append(
            {
                "id": number,
                "name": project.name,
                "district_id": district,
                "street_id": street.id,
                "community": project.community,
                "planner_id": project.planner_id,
                "coordinator_id": project.coordinator_id,
                "template_pk": template_pk,
                "params": {},
                "start_date": project.start_date,
                "status": project.status.value,
                "created_at": project.created_at,
                "completed_at": project.completed_at,
                "version": 1,
            }
        )
        for stage in project.stages.values():
            stage_id += 1
            # the same row values the repository writes
            stage_rows.append(
                {
                    **stage_values(stage),
                    "id": stage_id,
                    "project_id": number,
                    "key": stage.key,
                    "position": stage.position,
                    "phase": template.stage(stage.key).phase,
                    "version": 1,
                }
            )
            for a in stage.approvals:
                approval_id += 1
                approval_rows.append({**approval_values(a), "id": approval_id, "stage_id": stage_id})
            for p in stage.pauses:
                pause_id += 1
                pause_rows.append({**pause_values(p), "id": pause_id, "stage_id": stage_id})
            for e in stage.extensions:
                extension_id += 1
                extension_rows.append({**extension_values(e), "id": extension_id, "stage_id": stage_id})
        events.sort(key=lambda e: e.at)
        for e in events:
            event_rows.append(
                {
                    "project_id": number,
                    "stage_key": e.stage,
                    "kind": e.kind.value,
                    "actor": e.actor,
                    "occurred_at": e.at,
                    # recorded when it happened, as in a real city (not all at build time:
                    # that made every decision in the city look a minute old to the undo
                    # window and to the report's count of back-dated events)
                    "recorded_at": e.at,
                    "before_state": e.before,
                    "after_state": e.after,
                    "data": _jsonable(e.data),
                }
            )
        if not quiet and number % 1000 == 0:
            print(f"  simulated {number} projects ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    simulated = time.perf_counter()
    with app.uow() as uow:
        session = uow.session
        for table, rows in (
            (ProjectRow, project_rows),
            (StageRow, stage_rows),
            (ApprovalRow, approval_rows),
            (ClockPauseRow, pause_rows),
            (ExtensionRow, extension_rows),
        ):
            for chunk in chunks(rows):
                session.execute(insert(table.__table__), chunk)
        # the event log in the order things happened, as the engine would have appended it
        event_rows.sort(key=lambda r: r["occurred_at"])
        for chunk in chunks(event_rows, 20000):
            session.execute(insert(EventRow.__table__), chunk)
        if session.get_bind().dialect.name == "postgresql":
            for table, column in (
                ("project", "id"),
                ("stage", "id"),
                ("approval", "id"),
                ("clock_pause", "id"),
                ("extension_request", "id"),
            ):
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                        f"(SELECT COALESCE(MAX({column}), 1) FROM {table}))"
                    )
                )
        uow.commit()
    with app.uow() as uow:
        if uow.session.get_bind().dialect.name == "postgresql":
            uow.session.execute(text("ANALYZE"))
        else:
            uow.session.execute(text("ANALYZE"))
        uow.commit()
    counts = {
        "projects": len(project_rows),
        "stages": len(stage_rows),
        "approvals": len(approval_rows),
        "events": len(event_rows),
        "simulate_s": round(simulated - started, 1),
        "insert_s": round(time.perf_counter() - simulated, 1),
    }
    with app.reader() as uow:
        counts["open_stages"] = len(
            list(
                uow.session.scalars(
                    select(StageRow.id).where(StageRow.state.in_(("in_progress", "submitted")))
                )
            )
        )
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", required=True, help="database URL (its tables are emptied)")
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261124)
    options = parser.parse_args()
    print(build_city(options.db, options.projects, options.seed))


if __name__ == "__main__":
    main()
