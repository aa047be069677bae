"""`accompany demo`: one real project lifecycle on a throwaway database, with a
simulated clock, through the same service layer the CLI uses (and, by default,
through the Prefect flows that automation uses)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from .bootstrap import App, build_app
from .clock import FixedClock, parse_moment
from .config.settings import EXAMPLE_PEOPLE, Settings
from .directory import read_directory
from .i18n import error_text, translator
from .labels import label
from .models.calendar import WorkingCalendar
from .models.errors import N_, AccompanyError
from .services import commands
from .services.commands import AttachmentInput, CompleteStage, DecideApproval, StartProject
from .services.queries import list_projects, show_project

#: the templates that are not the default yet (accompany-service@3: completion by 会签)
#: the parties of the demo's project: the 建设单位 organises the completion acceptance
#: with the design institute, the construction company and the supervision (会签)
DEMO_PARTIES = {
    "developer": "tyg-jszx",
    "design": "sy-design",
    "construction": "sy-build",
    "supervision": "sy-jianli",
}


class ServiceDriver:
    """Calls the service layer directly, exactly as the CLI commands do."""

    label = N_("service layer")

    def __init__(self, settings: Settings, url: str):
        self.settings, self.url = settings, url

    def app(self, now: dt.datetime) -> App:
        # a simulation: its real time is the simulated time (nothing is back-dated)
        clock = FixedClock(now)
        return build_app(self.settings, database_url=self.url, clock=clock, wall_clock=clock)

    def start(self, command: StartProject, now: dt.datetime) -> int:
        outcome = commands.start_project(self.app(now), command)
        assert outcome.project_id is not None
        return outcome.project_id

    def complete(self, command: CompleteStage, now: dt.datetime) -> None:
        commands.complete_stage(self.app(now), command)

    def decide(self, command: DecideApproval, now: dt.datetime) -> None:
        commands.decide_approval(self.app(now), command)


class PrefectDriver(ServiceDriver):
    """Runs each step as a Prefect flow run (local ephemeral Prefect). A flow takes
    no database URL (Prefect would store it with the run's parameters): it reads
    the settings of the worker it runs on — here this process, whose environment
    is pointed at the demo's throwaway home for the length of each run."""

    label = N_("Prefect flows (start-project, complete-stage, decide-approval)")

    @contextmanager
    def worker_environment(self) -> Iterator[None]:
        values = {
            "ACCOMPANY_DATABASE_URL": self.url,
            "ACCOMPANY_HOME": str(self.settings.home),
            "ACCOMPANY_ATTACHMENTS_DIR": str(self.settings.resolved_attachments_dir()),
            "ACCOMPANY_CALENDAR_DIR": str(self.settings.resolved_calendar_dir()),
        }
        dropped: tuple[str, ...] = ("ACCOMPANY_APPRISE_CONFIG",)  # the demo never uses the user's channels
        if self.settings.templates_dir is not None:
            values["ACCOMPANY_TEMPLATES_DIR"] = str(self.settings.templates_dir)
        else:
            dropped += ("ACCOMPANY_TEMPLATES_DIR",)
        saved = {key: os.environ.get(key) for key in (*values, *dropped)}
        os.environ.update(values)
        for key in dropped:
            os.environ.pop(key, None)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def start(self, command: StartProject, now: dt.datetime) -> int:
        from .flows.lifecycle import start_project_flow

        with self.worker_environment():
            return asyncio.run(start_project_flow(command, now=now))

    def complete(self, command: CompleteStage, now: dt.datetime) -> None:
        from .flows.lifecycle import complete_stage_flow

        with self.worker_environment():
            asyncio.run(complete_stage_flow(command, now=now))

    def decide(self, command: DecideApproval, now: dt.datetime) -> None:
        from .flows.lifecycle import decide_approval_flow

        with self.worker_environment():
            asyncio.run(decide_approval_flow(command, now=now))


def shown_url(url: str) -> str:
    """A database URL fit to print: the password masked."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(the database given with --db)"


def minimal_pdf(title: str) -> bytes:
    """A small valid one-page PDF showing ``title`` (ASCII): demo evidence that opens
    in any viewer and passes the content check."""
    text = title.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _files(folder: Path) -> dict[str, str]:
    from openpyxl import Workbook

    documents = {
        "problem_map": ("问题地图.pdf", "Problem map (demo)"),
        "proposal": ("设计方案.pdf", "Design proposal (demo)"),
        "acceptance_record": ("竣工验收记录.pdf", "Acceptance record (demo)"),
    }
    out = {}
    for key, (name, title) in documents.items():
        path = folder / name
        path.write_bytes(minimal_pdf(title))
        out[key] = str(path)
    book = Workbook()
    sheet = book.active
    sheet.append(["需求", "类别", "户数"])
    for row in (["无障碍坡道", "基础类", 21], ["休闲座椅", "完善类", 17], ["夜间照明", "基础类", 15]):
        sheet.append(row)
    path = folder / "需求清单.xlsx"
    book.save(path)
    out["needs_list"] = str(path)
    return out


def run_demo(
    *,
    database_url: str | None,
    use_prefect: bool,
    keep: bool,
    console: Console,
    then: Callable[[ServiceDriver, dict[str, str]], None] | None = None,
) -> None:
    """The lifecycle demo; ``then`` continues on the same throwaway data (the web demo
    adds a portfolio and serves it) before the data is thrown away."""
    if database_url:
        refuse_a_database_in_use(database_url)
    workdir = Path(tempfile.mkdtemp(prefix="accompany-demo-"))
    # a home of its own: the user's database, attachments and channels stay untouched
    settings = Settings(
        home=workdir,
        attachments_dir=workdir / "attachments",
        apprise_config=None,
    )
    url = database_url or f"sqlite:///{workdir / 'demo.db'}"
    direct = ServiceDriver(settings, url)
    driver: ServiceDriver = PrefectDriver(settings, url) if use_prefect else direct
    files = _files(workdir)
    try:
        _lifecycle(console, direct, driver, files)
        if then is not None:
            then(direct, files)
    finally:
        if keep:
            _ = translator(direct.app(parse_moment("2026-03-02T08:30")).lang)
            hidden = shown_url(url)
            line = (
                _("kept the demo database: --db {url} (with the password you gave)", url=hidden)
                if hidden != url
                else _("kept the demo database: --db {url}", url=hidden)
            )
            console.print("\n" + line, markup=False)
        else:
            from .bootstrap import dispose_engines

            dispose_engines()
            shutil.rmtree(workdir, ignore_errors=True)


def refuse_a_database_in_use(url: str) -> None:
    """The demo writes its own people and projects: never into a database that already
    holds projects (someone's real data)."""
    from sqlalchemy import inspect, text

    from .db.engine import make_engine
    from .models.errors import InvalidInput

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if "project" not in inspect(connection).get_table_names():
                return
            count = connection.execute(text("SELECT count(*) FROM project")).scalar() or 0
    finally:
        engine.dispose()
    if count:
        raise InvalidInput(
            "the demo needs an empty database: {url} already holds {count} project(s); leave out --db to use "
            "a throwaway one",
            url=shown_url(url),
            count=count,
        )


def _years_later(calendar: WorkingCalendar) -> int:
    """The story is told for 2026, its last stage due in 2027, a year not known yet; when
    the calendar knows 2027 (a newer chinese-calendar, an operator file) the story moves
    on by whole years, so that stage is still due in the first year nobody knows."""
    return max(calendar.known_years) + 1 - 2027


def _lifecycle(console: Console, direct: ServiceDriver, driver: ServiceDriver, files: dict[str, str]) -> None:
    later = _years_later(direct.app(parse_moment("2026-03-02T08:30")).calendar)

    def when_(text: str) -> str:  # a moment of the story, in the years it is told in
        return f"{int(text[:4]) + later}{text[4:]}"

    def at(text: str) -> dt.datetime:
        return parse_moment(when_(text))

    lang = direct.app(parse_moment("2026-03-02T08:30")).lang
    _ = translator(lang)

    def who(name: str, role: str) -> str:
        return f"{name} {label('role', role, lang)}"

    def step(when: str, actor: str, what: str, action: Callable[[dt.datetime], Any]) -> None:
        line = Text(when_(when).replace("T", " "), style="dim")
        line.append(" " + actor, style="bold")
        line.append(": " + what)
        console.print(line)
        action(at(when))

    console.rule(_("accompany demo — 陪伴式服务 lifecycle (simulated clock)"))
    console.print(Text(_("steps run through: {driver}", driver=_(driver.label))))
    if isinstance(driver, PrefectDriver):
        console.print(Text(_("(the first flow run starts a local Prefect server: ~10 s)"), style="dim"))
    directory = read_directory(EXAMPLE_PEOPLE)
    # the demo's planner gives residents a work phone: their public page shows it masked
    people = tuple(
        p.model_copy(update={"phone": "13911226688"}) if p.id == "wangrb" else p for p in directory.people
    )
    directory = directory.model_copy(update={"people": people})
    counts = commands.load_directory(direct.app(at("2026-03-02T08:30")), directory)
    console.print(Text(_("loaded the example directory: {count} people", count=counts["added"])))

    start = StartProject(
        name="太阳宫北街口袋公园更新",
        district="朝阳区",
        street="太阳宫街道",
        community="太阳宫北社区",
        planner="wangrb",
        start=dt.date(2026 + later, 3, 2),
        by="zhangl",
        stage_deadlines={"construction-accompany": dt.date(2026 + later, 10, 30)},
        template_version=3,
        parties=DEMO_PARTIES,
    )
    project_id = 0

    def do_start(now: dt.datetime) -> None:
        nonlocal project_id
        project_id = driver.start(start, now)

    step(
        "2026-03-02T09:00",
        who("张磊", "coordinator"),
        _("starts the project from accompany-service"),
        do_start,
    )

    def done(
        stage: str,
        evidence: dict[str, str],
        attach: list[str] | None = None,
        note: str | None = None,
    ):
        return lambda now: driver.complete(
            CompleteStage(
                project_id=project_id,
                stage=stage,
                by="wangrb",
                evidence=evidence,
                attachments=[AttachmentInput(key=k, path=files[k]) for k in attach or []],
                note=note,
            ),
            now,
        )

    def decide(stage: str, by: str, decision: str = "approve", comment: str | None = None):
        return lambda now: driver.decide(
            DecideApproval(project_id=project_id, stage=stage, by=by, decision=decision, comment=comment),
            now,
        )

    # A refusal, exactly as a planner on site would meet it.
    line = Text(when_("2026-03-20T16:00").replace("T", " "), style="dim")
    line.append(" " + who("王若冰", "planner"), style="bold")
    line.append(": " + _("tries to mark the needs survey done with 25 households"))
    console.print(line)
    try:
        direct.complete(
            CompleteStage(
                project_id=project_id,
                stage="needs-survey",
                by="wangrb",
                evidence={"households_interviewed": "25"},
            ),
            at("2026-03-20T16:00"),
        )
    except AccompanyError as exc:
        refused = Text("  " + _("refused:") + " ", style="red")
        refused.append(error_text(exc, lang))
        console.print(refused)

    step(
        "2026-03-30T10:00",
        who("王若冰", "planner"),
        _("needs-survey done: 36 households, 5 days on site, problem map"),
        done(
            "needs-survey",
            {"households_interviewed": "36", "observation_days": "5"},
            ["problem_map"],
        ),
    )
    step(
        "2026-03-31T15:00",
        who("赵阳", "street-office"),
        _("approves needs-survey"),
        decide("needs-survey", "zhaoy"),
    )
    step(
        "2026-04-10T11:00",
        who("王若冰", "planner"),
        _("needs-list done: 12 items (菜单式)"),
        done("needs-list", {"needs_items": "12", "list_style": "菜单式"}, ["needs_list"]),
    )
    step(
        "2026-04-13T09:30",
        who("赵阳", "street-office"),
        _("returns needs-list (退回) with a reason"),
        decide(
            "needs-list",
            "zhaoy",
            "return",
            "清单缺少老年人无障碍出行需求，请补充入户访谈结果后重新提交",
        ),
    )
    step(
        "2026-04-15T17:00",
        who("王若冰", "planner"),
        _("needs-list done again: 14 items"),
        done("needs-list", {"needs_items": "14"}, note="已补充无障碍坡道与扶手两项需求"),
    )
    step(
        "2026-04-16T10:00",
        who("孙浩", "street-office"),
        _("approves needs-list"),
        decide("needs-list", "sunh"),
    )
    step(
        "2026-05-20T10:00",
        who("王若冰", "planner"),
        _("design-proposal done"),
        done("design-proposal", {}, ["proposal"]),
    )
    step(
        "2026-05-22T10:00",
        who("赵阳", "street-office"),
        _("approves design-proposal"),
        decide("design-proposal", "zhaoy"),
    )
    step(
        "2026-06-03T18:00",
        who("王若冰", "planner"),
        _("plan-presentation done: 2 sessions, 86 attendees, 7-day notice"),
        done(
            "plan-presentation",
            {
                "sessions_held": "2",
                "attendees": "86",
                "notice_days": "7",
                "objections": "2条关于停车位的意见，已纳入方案调整",
            },
        ),
    )
    step(
        "2026-06-04T09:00",
        who("赵阳", "street-office"),
        _("approves plan-presentation"),
        decide("plan-presentation", "zhaoy"),
    )
    step(
        "2026-06-18T16:00",
        who("王若冰", "planner"),
        _("resident-consent done: 97 of 120 households consent"),
        done("resident-consent", {"households_surveyed": "120", "households_consenting": "97"}),
    )
    step(
        "2026-06-19T09:00",
        who("赵阳", "street-office"),
        _("approves resident-consent"),
        decide("resident-consent", "zhaoy"),
    )
    step(
        "2026-07-20T09:00",
        who("张磊", "coordinator"),
        _("pauses construction-accompany's clock (汛期停工)"),
        lambda now: commands.pause_clock(
            direct.app(now),
            commands.PauseClock(
                project_id=project_id,
                stage="construction-accompany",
                by="zhangl",
                reason="汛期停工",
            ),
        ),
    )
    step(
        "2026-08-03T09:00",
        who("张磊", "coordinator"),
        _("resumes the clock"),
        lambda now: commands.resume_clock(
            direct.app(now),
            commands.ResumeClock(project_id=project_id, stage="construction-accompany", by="zhangl"),
        ),
    )
    step(
        "2026-10-20T17:00",
        who("王若冰", "planner"),
        _("construction-accompany done: 12 site visits, reception point"),
        done("construction-accompany", {"site_visits": "12", "reception_point": "yes"}),
    )
    step(
        "2026-10-21T10:00",
        who("赵阳", "street-office"),
        _("approves construction-accompany"),
        decide("construction-accompany", "zhaoy"),
    )
    step(
        "2026-11-05T15:00",
        who("王若冰", "planner"),
        _("completion-acceptance done with the acceptance record"),
        done("completion-acceptance", {"residents_present": "23"}, ["acceptance_record"]),
    )
    # 会签: the developer organises the acceptance; design, construction and
    # supervision sign too — every one of them — before the street office decides
    signatures = (
        ("2026-11-06T10:00", "太阳宫街道城市建设事务中心", "developer", "tyg-jszx"),
        ("2026-11-06T10:30", "示例设计院", "design", "sy-design"),
        ("2026-11-06T11:00", "示例建设工程公司", "construction", "sy-build"),
        ("2026-11-06T11:30", "示例监理公司", "supervision", "sy-jianli"),
    )
    for moment, name, role, person in signatures:
        step(
            moment,
            who(name, role),
            _("signs completion-acceptance (会签)"),
            decide("completion-acceptance", person),
        )
        if role == "design":
            from .cli.render import signing_text

            shown = show_project(direct.app(at(moment)), project_id)
            signing = signing_text(next(s for s in shown.stages if s.key == "completion-acceptance"), lang)
            if signing is not None:
                console.print(Text("  ") + signing)
    step(
        "2026-11-09T10:00",
        who("赵阳", "street-office"),
        _("approves completion-acceptance after the 会签"),
        decide("completion-acceptance", "zhaoy"),
    )

    show = show_project(direct.app(at("2026-11-10T09:00")), project_id)
    post = next(s for s in show.stages if s.key == "post-evaluation")
    if post.timing.provisional:
        console.print(
            Text(
                "  "
                + _(
                    "{stage} is due {due} — provisional: {year}'s holiday schedule is not known yet, so the "
                    "deadline is counted on weekdays and will be recomputed when `accompany calendar add` "
                    "installs it",
                    stage=post.name,
                    due=post.timing.due,
                    year=post.timing.due.year,
                ),
                style="magenta",
            )
        )
    step(
        "2027-01-20T15:00",
        who("王若冰", "planner"),
        _("post-evaluation done: 64 respondents, 92.5% satisfied"),
        done("post-evaluation", {"respondents": "64", "satisfaction_pct": "92.5"}),
    )
    step(
        "2027-01-22T10:00",
        who("周昕", "district"),
        _("approves post-evaluation"),
        decide("post-evaluation", "zhoux"),
    )

    final_app = direct.app(at("2027-01-22T12:00"))
    detail = show_project(final_app, project_id, with_events=True)
    from .cli.render import evidence_lines, project_header, stages_table

    console.rule(_("final status"))
    console.print(project_header(detail, final_app.lang))
    console.print(stages_table(detail, final_app.lang))
    for line in evidence_lines(detail, final_app.lang):
        console.print(line)
    projects, _total = list_projects(final_app)
    summary = Text(
        _("{count} events in the audit log; project status:", count=len(detail.events or [])) + " "
    )
    summary.append(label("status", projects[0].status, lang), style="bold green")
    console.print(summary)
