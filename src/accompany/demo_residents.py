"""`accompany demo --web`: one project whose residents take part — a household register,
its public page published, the needs survey answered (menu items, problem points,
two paper answers 代录), comments and an objection during the 公示 answered by the
planner, a consent ballot passing Art. 278, and the satisfaction survey running now.

Everything goes through the service layer, at moments of the demo's timeline: the
staff's steps as the CLI takes them, the residents' own answers, comments and ballots
as the public page takes them (the web channel, no operating-system user), so the
audit log tells them apart as it would for real residents."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from .bootstrap import App, Origin
from .demo import ServiceDriver
from .i18n import translator
from .models.deadlines import local_date
from .services import commands, comments, consent, households, needs, public, satisfaction
from .services.commands import AttachmentInput, CompleteStage, DecideApproval, StartProject
from .services.needs import PointInput

if TYPE_CHECKING:
    from .demo_web import Timeline

PROJECT_NAME = "芍药居北里12号院公共空间改造"
COMMUNITY = "芍药居北里社区"

REGISTER_HEADER = ("楼号", "单元", "房号", "建筑面积", "业主人数", "联系方式")


def register_rows() -> list[list[str]]:
    """24 households of 12号院: buildings 5 and 6, two units each, floors 1–3 with two
    homes a floor (areas in m², owners, a contact for some)."""
    rows = []
    areas = {"01": (56.8, 57.3, 56.8), "02": (62.4, 61.9, 72.5)}
    owners = (2, 1, 2, 3, 1, 2)
    n = 0
    for building in ("5", "6"):
        for unit in ("1", "2"):
            for floor in (1, 2, 3):
                for side in ("01", "02"):
                    area = areas[side][floor - 1] + (0.6 if building == "6" else 0)
                    contact = f"1381234{5600 + n:04d}" if n % 3 else ""
                    rows.append(
                        [building, unit, f"{floor}{side}", f"{area:.1f}", str(owners[n % 6]), contact]
                    )
                    n += 1
    return rows


# menu answers: household index → (names of menu items chosen, comment)
NEEDS_ANSWERS: tuple[tuple[int, tuple[str, ...], str], ...] = (
    (0, ("屋面防水", "加装电梯", "无障碍设施"), "顶楼漏雨多年，希望尽快修"),
    (1, ("加装电梯", "适老化改造"), ""),
    (2, ("停车管理", "增设充电桩"), "晚上车停到消防通道上"),
    (3, ("楼道照明与消防设施", "非机动车棚"), ""),
    (5, ("绿化提升", "公共活动空间", "便民服务设施"), "希望院里有孩子玩的地方"),
    (6, ("屋面防水", "外墙保温"), ""),
    (7, ("加装电梯", "无障碍设施", "院门门禁与快递柜"), ""),
    (9, ("停车管理", "非机动车棚"), "电动自行车在楼道里充电，很危险"),
    (10, ("上下水管线改造", "供暖管线改造"), ""),
    (12, ("适老化改造", "公共活动空间"), "老人多，想要带靠背的座椅"),
    (14, ("院门门禁与快递柜", "停车管理"), ""),
    (15, ("绿化提升", "楼道照明与消防设施"), ""),
    (17, ("加装电梯", "屋面防水"), ""),
    (19, ("增设充电桩", "非机动车棚", "停车管理"), ""),
    (21, ("公共活动空间", "绿化提升"), ""),
)
PAPER_NEEDS = (12, 17)  # paper questionnaires the planner typed in (代录)

# problem points around the compound, in GCJ-02 (household index → points)
PROBLEM_POINTS: dict[int, tuple[PointInput, ...]] = {
    2: (PointInput(category="traffic", note="消防通道常被私家车占用", lat="39.98612", lng="116.44261"),),
    5: (PointInput(category="damage", note="健身器材锈蚀松动", lat="39.98578", lng="116.44312"),),
    9: (
        PointInput(category="safety", note="5号楼1单元门口电动车飞线充电", lat="39.98633", lng="116.44298"),
        PointInput(category="sanitation", note="垃圾桶站异味、无遮挡", lat="39.98561", lng="116.44238"),
    ),
}

COMMENTS: tuple[tuple[int, str, str, str], ...] = (
    (
        1,
        "comment",
        "方案里的座椅建议加扶手，方便老人起身。",
        "已采纳：休闲座椅全部改为带扶手、带靠背的款式。",
    ),
    (
        4,
        "comment",
        "非机动车棚能否装充电桩，避免楼道充电？",
        "车棚内将设12个智能充电口，带定时断电，施工图已调整。",
    ),
    (
        8,
        "comment",
        "施工期间希望保留一条无障碍通道。",
        "施工分两段进行，始终保留东侧通道，并设临时坡道。",
    ),
    (
        11,
        "objection",
        "反对把6号楼北侧的绿地改成停车位。",
        "已与居民代表现场踏勘：北侧绿地保留，新增车位改设在院门西侧原硬化地面。",
    ),
)

# ballots: household index → choice (18 agree, 2 disagree, 1 abstain; 3 did not vote)
DISAGREE, ABSTAIN, SILENT = (3, 16), (9,), (7, 13, 22)
PAPER_BALLOTS = (10, 20)

# satisfaction: household index → (改造内容, 改造过程, 长效管理, comment)
SATISFACTION: tuple[tuple[int, int, int, int, str], ...] = (
    (0, 5, 5, 4, "屋顶不漏了，谢谢规划师"),
    (1, 5, 4, 4, ""),
    (2, 4, 4, 3, "车位还是紧张"),
    (4, 5, 5, 5, ""),
    (5, 5, 4, 4, "孩子们很喜欢新的活动场地"),
    (6, 4, 4, 4, ""),
    (8, 5, 5, 4, ""),
    (10, 3, 4, 3, "施工期间噪音有点大"),
    (11, 5, 5, 5, "北侧绿地保留了，很满意"),
    (12, 5, 4, 4, ""),
    (15, 4, 5, 4, ""),
    (18, 5, 5, 4, ""),
)
VISITOR = 23  # the household whose code the demo prints: it has not answered yet


@dataclass(frozen=True)
class ResidentsDemo:
    project_id: int
    code: str


def build_residents_project(
    direct: ServiceDriver,
    files: dict[str, str],
    now: dt.datetime,
    when: Timeline,
    console: Console,
) -> ResidentsDemo:
    """The project, from its start 150 working days ago to its satisfaction survey
    running today."""

    def app(moment: dt.datetime) -> App:
        return direct.app(moment)

    def resident(moment: dt.datetime) -> App:
        # a resident on the public page: its channel, as the public routes act (web.routes.public)
        return direct.app(moment).via(Origin("web"))

    def household(moment: dt.datetime, paper: bool) -> App:
        """A household's answer: typed in by the planner from paper (代录, as the CLI
        does), or given by the resident on the public page."""
        return app(moment) if paper else resident(moment)

    def at(days_ago: int, hour: int) -> dt.datetime:
        return when.working_days_ago(days_ago, hour=hour)

    start_moment = at(150, 9)
    project_id = commands.start_project(
        app(start_moment),
        StartProject(
            name=PROJECT_NAME,
            district="chaoyang",
            street="taiyanggong",
            community=COMMUNITY,
            planner="wangrb",
            start=local_date(start_moment),
            by="zhangl",
            # version 2: the residents' surveys, the completion accepted by street and district
            template_version=2,
            # a compound of 24 homes: the coordinator sets the samples to its size
            params={"households_interviewed_min": "20", "respondents_min": "10"},
            stage_deadlines={"construction-accompany": local_date(now) - dt.timedelta(days=1)},
        ),
    ).project_id
    assert project_id is not None

    def done(stage: str, days_ago: int, evidence: dict[str, str], attach=(), note=None) -> None:  # type: ignore[no-untyped-def]
        commands.complete_stage(
            app(at(days_ago, 16)),
            CompleteStage(
                project_id=project_id,
                stage=stage,
                by="wangrb",
                evidence=evidence,
                attachments=[AttachmentInput(key=k, path=files[k]) for k in attach],
                note=note,
            ),
        )

    def approve(stage: str, days_ago: int, by: str = "zhaoy", hour: int = 11) -> dt.datetime:
        moment = at(days_ago, hour)
        commands.decide_approval(
            app(moment), DecideApproval(project_id=project_id, stage=stage, by=by, decision="approve")
        )
        return moment

    # the register, the public page, the poster's slips with their codes
    households.load_register(app(at(150, 14)), project_id, REGISTER_HEADER, register_rows(), by="wangrb")
    public.set_published(app(at(150, 15)), project_id, by="zhangl")
    codes = [slip.code for slip in households.slip_sheet(app(at(150, 15)), project_id, by="wangrb").slips]

    # 问需: the coordinator adds the compound's own item to the menu, households answer
    needs.edit_menu(app(at(149, 10)), project_id, by="zhangl", add=["完善类:院门门禁与快递柜"])
    menu = {item.name: item.id for item in needs.menu_view(app(at(149, 10)), project_id).items}
    for n, (index, chosen, remark) in enumerate(NEEDS_ANSWERS):
        paper = index in PAPER_NEEDS
        needs.record_answer(
            household(at(148 - n // 3, 19 if not paper else 15), paper),
            project_id,
            codes[index],
            [menu[name] for name in chosen],
            comment=remark or None,
            points=PROBLEM_POINTS.get(index, ()),
            by="wangrb" if paper else None,
        )
    done(
        "needs-survey",
        140,
        {"households_interviewed": "22", "observation_days": "4"},
        ["problem_map"],
        note="入户访谈22户，15户填写了需求问卷（其中2份纸质问卷代录）",
    )
    approve("needs-survey", 139)
    done("needs-list", 132, {"list_style": "菜单式"}, ["needs_list"])  # needs_items: computed
    approve("needs-list", 131)
    done("design-proposal", 112, {}, ["proposal"])
    notice_start = approve("design-proposal", 111)

    # 问计: comments and an objection during the 7-day notice, each answered
    ids = []
    for day, (index, kind, text, _answer) in enumerate(COMMENTS, start=1):
        moment = notice_start + dt.timedelta(days=day, hours=day - 2)  # 10:00, 11:00, …
        ids.append(comments.leave_comment(resident(moment), project_id, codes[index], kind, text).comment_id)
    answered = notice_start + dt.timedelta(days=len(COMMENTS), hours=6)  # the fourth day, 17:00
    for comment_id, (*_, reply) in zip(ids, COMMENTS, strict=True):
        comments.answer_comment(app(answered), project_id, comment_id, reply, by="wangrb")
    done(
        "plan-presentation",
        100,
        {"sessions_held": "2", "attendees": "38", "notice_days": "7", "objections": "无异议"},
    )
    approve("plan-presentation", 99)

    # the consent ballot (Art. 278, 改建: ≥ 3/4)
    for n, code in enumerate(codes):
        if n in SILENT:
            continue
        choice = "disagree" if n in DISAGREE else "abstain" if n in ABSTAIN else "agree"
        paper = n in PAPER_BALLOTS
        consent.cast_ballot(
            household(at(98 - n // 6, 15 if paper else 20), paper),
            project_id,
            code,
            choice,
            by="wangrb" if paper else None,
        )
    done("resident-consent", 90, {})  # both counts computed from the ballots
    approve("resident-consent", 89)

    done("construction-accompany", 6, {"site_visits": "9", "reception_point": "yes"})
    approve("construction-accompany", 5)
    done("completion-acceptance", 3, {"residents_present": "19"}, ["acceptance_record"])
    approve("completion-acceptance", 2)
    approve("completion-acceptance", 2, by="zhoux", hour=15)

    # 问效: the satisfaction survey, running now
    for n, (index, content, process, management, remark) in enumerate(SATISFACTION):
        satisfaction.give_answer(
            resident(at(1, 9 + n)),
            project_id,
            codes[index],
            content,
            process,
            management,
            remark or None,
        )

    _ = translator(direct.app(now).lang)
    console.print(
        Text(
            _(
                "built a project with its residents taking part: {name} (needs survey, comments, consent "
                "ballot, satisfaction survey)",
                name=PROJECT_NAME,
            )
        )
    )
    return ResidentsDemo(project_id=project_id, code=codes[VISITOR])


__all__ = ["ResidentsDemo", "build_residents_project"]
