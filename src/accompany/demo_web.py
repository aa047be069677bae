"""`accompany demo --web`: after the lifecycle demo, a small portfolio in every state a
person meets at work (due soon, overdue, waiting for approval, returned with a
reason, an extension asked, a paused clock, waiting for the district, another
district's project), demo passwords for everyone, and the web app served on it.

The web app's clock continues the demo's simulated timeline in real time, starting
the working day after the last demo event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.text import Text
from sqlalchemy import func, select

from .bootstrap import App, Origin
from .clock import ShiftedClock
from .db.orm import EventRow
from .demo import ServiceDriver
from .demo_residents import ResidentsDemo, build_residents_project
from .i18n import translator
from .labels import label
from .models.deadlines import LOCAL_TZ, local_date
from .services import accounts, commands, households
from .services.commands import AttachmentInput, CompleteStage, DecideApproval, StartProject

DEMO_PASSWORD = "accompany-demo"
#: the demo's accounts: account, name, role (labels.ROLES), where they work (a place's name)
SIGN_INS = (
    ("zhangl", "张磊", "coordinator", "太阳宫街道"),
    ("wangrb", "王若冰", "planner", None),
    ("zhaoy", "赵阳", "street-office", "太阳宫街道"),
    ("zhoux", "周昕", "district", "朝阳区"),
)


def sign_in_lines(lang: str) -> list[str]:
    """The printed sign-in list, each role in the reader's language only:
    ``zhangl   张磊  协调人（太阳宫街道）`` / ``zhangl   张磊  Coordinator (太阳宫街道)``."""
    lines = []
    for account, name, role, place in SIGN_INS:
        role_name = label("role", role, lang)
        if place:
            role_name = f"{role_name}（{place}）" if lang == "zh" else f"{role_name} ({place})"
        lines.append(f"  {account:8} {name}  {role_name}")
    return lines


class Timeline:
    """Moments counted back from the demo's "now" in working days."""

    def __init__(self, app: App, now: dt.datetime):
        self.calendar = app.calendar
        self.now = now

    def working_days_ago(self, days: int, hour: int = 10) -> dt.datetime:
        day = local_date(self.now)
        while days > 0:
            day -= dt.timedelta(days=1)
            if self.calendar.is_working_day(day):
                days -= 1
        return dt.datetime.combine(day, dt.time(hour), LOCAL_TZ).astimezone(dt.UTC)


def demo_now(app: App) -> dt.datetime:
    """10:00 on the first working day after the last thing the lifecycle demo did."""
    with app.reader() as uow:
        last = uow.session.scalar(select(func.max(EventRow.occurred_at)))
    day = local_date(last) + dt.timedelta(days=1) if last else dt.date(2026, 11, 2)
    while not app.calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(10), LOCAL_TZ).astimezone(dt.UTC)


def build_portfolio(
    direct: ServiceDriver, files: dict[str, str], console: Console
) -> tuple[dt.datetime, ResidentsDemo]:
    """The portfolio, through the service layer; returns the demo's "now" and the
    project whose residents take part."""
    now = demo_now(direct.app(dt.datetime.now(dt.UTC)))
    when = Timeline(direct.app(now), now)

    def act(moment: dt.datetime, service: Callable[[App, Any], Any], command: Any) -> Any:
        return service(direct.app(moment), command)

    def start(days_ago: int, name: str, community: str, planner: str = "wangrb", **extra: Any) -> int:
        street = extra.pop("street", "taiyanggong")
        district = extra.pop("district", "chaoyang")
        by = extra.pop("by", "zhangl")
        start_moment = when.working_days_ago(days_ago, hour=9)
        outcome = act(
            start_moment,
            commands.start_project,
            StartProject(
                name=name,
                district=district,
                street=street,
                community=community,
                planner=planner,
                start=local_date(start_moment),
                by=by,
                template_version=1,  # the portfolio began before version 2 (its projects keep 1)
                stage_deadlines={
                    "construction-accompany": local_date(now)
                    + dt.timedelta(days=extra.pop("construction_days", 240))
                },
            ),
        )
        return outcome.project_id

    def done(
        project: int,
        stage: str,
        days_ago: int,
        evidence: dict[str, str],
        attach=(),
        by: str = "wangrb",
        note=None,
    ) -> None:  # type: ignore[no-untyped-def]
        act(
            when.working_days_ago(days_ago, hour=16),
            commands.complete_stage,
            CompleteStage(
                project_id=project,
                stage=stage,
                by=by,
                evidence=evidence,
                attachments=[AttachmentInput(key=k, path=files[k]) for k in attach],
                note=note,
            ),
        )

    def decide(
        project: int, stage: str, days_ago: int, by: str = "zhaoy", decision: str = "approve", comment=None
    ) -> None:  # type: ignore[no-untyped-def]
        act(
            when.working_days_ago(days_ago, hour=11),
            commands.decide_approval,
            DecideApproval(project_id=project, stage=stage, by=by, decision=decision, comment=comment),
        )

    survey = {"households_interviewed": "42", "observation_days": "4"}
    # due soon, and an extension asked for it
    soon = start(26, "太阳宫中路社区口袋花园", "太阳宫中路社区")
    act(
        when.working_days_ago(1),
        commands.request_extension,
        commands.RequestExtension(
            project_id=soon,
            stage="needs-survey",
            by="wangrb",
            working_days=5,
            reason="春节前后居民外出，入户访谈需补访",
        ),
    )
    # done yesterday, waiting for the street office
    waiting = start(20, "芍药居北里老旧小区综合整治", "芍药居北里社区")
    done(waiting, "needs-survey", 1, survey, ["problem_map"], note="共访谈42户，问题地图已标注18处")
    # returned with a reason
    returned = start(30, "太阳宫公园南门广场提升", "太阳宫公园社区")
    done(returned, "needs-survey", 18, survey, ["problem_map"])
    decide(returned, "needs-survey", 17)
    done(returned, "needs-list", 6, {"needs_items": "9", "list_style": "菜单式"}, ["needs_list"])
    decide(
        returned,
        "needs-list",
        4,
        decision="return",
        comment="清单未区分基础类与提升类需求，请按菜单式重新整理后提交",
    )
    # overdue, and handed over to another planner on the way (交接: the open stage moves
    # with the note; the report credits each planner with the time they held it)
    handed = start(40, "夏家园社区无障碍环境改造", "夏家园社区")
    act(
        when.working_days_ago(15),
        commands.hand_over_project,
        commands.HandOverProject(
            project_id=handed,
            by="zhangl",
            planner="chenm",
            note="王若冰借调区里专项工作；入户访谈已完成 12 户，名单与记录已移交陈敏",
        ),
    )
    # a paused clock during construction
    paused = start(120, "太阳宫北街沿街立面整治", "太阳宫北社区")
    for key, evidence, attach, gap in (
        ("needs-survey", survey, ["problem_map"], 100),
        ("needs-list", {"needs_items": "11"}, [], 92),
        ("design-proposal", {}, ["proposal"], 75),
        (
            "plan-presentation",
            {"sessions_held": "2", "attendees": "64", "notice_days": "7", "objections": "停车位调整意见3条"},
            [],
            60,
        ),
        ("resident-consent", {"households_surveyed": "150", "households_consenting": "121"}, [], 48),
    ):
        done(paused, key, gap, evidence, attach)
        decide(paused, key, gap - 1)
    act(
        when.working_days_ago(10),
        commands.pause_clock,
        commands.PauseClock(
            project_id=paused,
            stage="construction-accompany",
            by="zhangl",
            reason="冬季停工（11月15日至次年3月15日）",
        ),
    )
    # waiting for the district
    district = start(150, "太阳宫社区文化活动中心改造", "太阳宫社区", construction_days=-1)
    for key, evidence, attach, gap in (
        ("needs-survey", survey, ["problem_map"], 140),
        ("needs-list", {"needs_items": "15"}, ["needs_list"], 130),
        ("design-proposal", {}, ["proposal"], 110),
        (
            "plan-presentation",
            {"sessions_held": "3", "attendees": "112", "notice_days": "7", "objections": "无异议"},
            [],
            95,
        ),
        ("resident-consent", {"households_surveyed": "96", "households_consenting": "88"}, [], 85),
        ("construction-accompany", {"site_visits": "9", "reception_point": "yes"}, [], 6),
    ):
        done(district, key, gap, evidence, attach)
        decide(district, key, gap - 1)
    done(district, "completion-acceptance", 3, {"residents_present": "31"}, ["acceptance_record"])
    decide(district, "completion-acceptance", 2)
    # another street, another district: out of sight of 太阳宫街道 and 朝阳区
    other = start(12, "酒仙桥路口袋公园", "酒仙桥社区", planner="chenm", street="jiuxianqiao", by="liuq")
    act(
        when.working_days_ago(2),
        commands.request_extension,
        commands.RequestExtension(
            project_id=other, stage="needs-survey", by="chenm", working_days=3, reason="等待产权资料"
        ),
    )
    start(
        8, "东四南大街胡同微更新", "东四社区", planner="hel", street="dongsi", district="dongcheng", by="maf"
    )
    _ = translator(direct.app(now).lang)
    console.print(
        Text(_("built a portfolio of 8 more projects (due soon, overdue, returned, waiting, paused …)"))
    )
    return now, build_residents_project(direct, files, now, when, console)


def set_demo_passwords(direct: ServiceDriver, now: dt.datetime) -> None:
    app = direct.app(now)
    with app.reader() as uow:
        people = [p.id for p in uow.people.all()]
    for person in people:
        accounts.set_password(app, person, DEMO_PASSWORD, by="demo")


def serve(
    direct: ServiceDriver,
    now: dt.datetime,
    host: str,
    port: int,
    console: Console,
    residents: ResidentsDemo | None = None,
) -> None:
    import uvicorn

    from .web.app import create_web_app

    app = direct.app(now)
    app.clock = app.wall_clock = ShiftedClock(now)  # the simulated timeline, in real time
    app.origin = Origin("web")
    app.settings = app.settings.model_copy(
        update={"base_url": f"http://{host}:{port}", "public_base_url": None}
    )
    _ = translator(app.lang)
    console.rule(_("the web app"))
    console.print(
        Text(
            _(
                "open {url} and sign in (password {password} for everyone):",
                url=f"http://{host}:{port}/",
                password=DEMO_PASSWORD,
            )
        )
    )
    for line in sign_in_lines(app.lang):
        console.print(Text(line))
    if residents is not None:
        console.print(
            Text(
                _(
                    "residents' public page (no sign-in; household code {code}): {url}",
                    code=residents.code,
                    url=households.public_url(app, residents.project_id, residents.code),
                )
            ),
            soft_wrap=True,  # the URL in one piece, to copy
        )
    console.print(
        Text(
            _(
                "simulated time runs on from {moment} (Beijing); API docs at /api/docs; "
                "Ctrl-C stops and throws the demo data away",
                moment=f"{now.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}",
            )
        )
    )
    uvicorn.run(create_web_app(app), host=host, port=port, log_level="warning", server_header=False)


def web_demo(host: str, port: int, console: Console) -> Callable[[ServiceDriver, dict[str, str]], None]:
    def then(direct: ServiceDriver, files: dict[str, str]) -> None:
        now, residents = build_portfolio(direct, files, console)
        set_demo_passwords(direct, now)
        serve(direct, now, host, port, console, residents)

    return then
