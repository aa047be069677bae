"""The satisfaction survey (问效) through the service layer (SQLite and PostgreSQL): a
household's code answers while the post-evaluation stage is in progress, a second
answer replaces it (counted once, audited as replaced), paper answers are recorded by
the planner (by code or home), unknown / another project's codes count nothing, the
survey closes with the stage, and the stage's evidence follows the answers."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from accompany.bootstrap import App
from accompany.db.orm import EventRow, SatisfactionRow, StageRow
from accompany.models.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation
from accompany.models.satisfaction import SurveyClosed
from accompany.services import commands, households
from accompany.services.audit import verify_log
from accompany.services.public import set_published
from accompany.services.satisfaction import give_answer, survey_comments, survey_tally

from ..conftest import start_command
from ..web_support import snapshot
from .test_consent import HEADER, codes

# 32 homes: the template asks for at least 30 respondents
ROWS = [["1", str(1 + i // 16), str(101 + i % 16), "60", "1"] for i in range(32)]


def open_survey(app: App, project_id: int) -> None:
    """Put the post-evaluation stage in progress (the earlier stages' approvals are
    not what these tests are about)."""
    with app.uow() as uow:
        uow.session.execute(
            update(StageRow)
            .where(StageRow.project_id == project_id, StageRow.key != "post-evaluation")
            .values(state="approved", approved_at=app.now(), waiting_for=None)
        )
        uow.session.execute(
            update(StageRow)
            .where(StageRow.project_id == project_id, StageRow.key == "post-evaluation")
            .values(state="in_progress", activated_at=app.now())
        )
        uow.commit()


@pytest.fixture
def survey(people: App, project_id: int) -> list[str]:
    households.load_register(people, project_id, HEADER, ROWS, by="zhangl")
    set_published(people, project_id, by="zhangl")
    open_survey(people, project_id)
    return codes(people, project_id)


def _events(app: App) -> list[EventRow]:
    with app.reader() as uow:
        return list(
            uow.session.scalars(
                select(EventRow).where(EventRow.kind.like("satisfaction.%")).order_by(EventRow.id)
            )
        )


def test_answers_by_code_replace_and_tally(people: App, project_id: int, survey: list[str]) -> None:
    first = give_answer(people, project_id, survey[0].lower(), "5", "4", "4", "楼道灯很好 secret-note")
    assert (first.stage, first.channel, first.replaced) == ("post-evaluation", "public", False)
    give_answer(people, project_id, survey[1], 2, 2, 2)
    again = give_answer(people, project_id, f" {survey[1][:4]}-{survey[1][4:]} ", 4, 4, 4)
    assert again.replaced is True
    give_answer(people, project_id, survey[2], 5, 5, 1)  # sum 11: not satisfied
    view = survey_tally(people, project_id)
    assert (view.households, view.respondents, view.satisfied) == (32, 3, 2)
    assert view.satisfaction_pct == 66.7 and view.response_rate_pct == 9.4  # 3/32 = 9.375
    assert [(d.key, d.average) for d in view.dimensions] == [
        ("content", 4.67),
        ("process", 4.33),
        ("management", 3.0),
    ]
    assert view.open and view.paper_answers == 0

    events = _events(people)
    assert [e.kind for e in events] == [
        "satisfaction.answered",
        "satisfaction.answered",
        "satisfaction.replaced",
        "satisfaction.answered",
    ]
    assert events[2].data["replaced"] == {"content": 2, "process": 2, "management": 2, "comment": False}
    assert events[0].actor == "resident" and events[0].stage_key == "post-evaluation"
    assert events[0].data["comment"] is True
    log = json.dumps([e.data for e in events], ensure_ascii=False)
    assert "secret-note" not in log and all(code not in log for code in survey)
    with people.reader() as uow:
        rows = uow.session.scalars(select(SatisfactionRow).order_by(SatisfactionRow.id)).all()
    assert len(rows) == 3 and rows[0].comment == "楼道灯很好 secret-note"
    assert rows[1].answered_at >= rows[1].created_at
    assert verify_log(people).intact


def test_bad_scores_comments_and_codes_change_nothing(
    people: App, project_id: int, survey: list[str]
) -> None:
    other = commands.start_project(people, start_command(name="另一个项目")).project_id
    assert other is not None
    households.load_register(people, other, HEADER, [["9", "1", "101", "50", "1"]], by="zhangl")
    set_published(people, other, by="zhangl")
    foreign = codes(people, other)[0]
    before = snapshot(people)
    for code in ("ZZZZZZZZ", foreign):
        with pytest.raises(NotFound, match="not in this project's register"):
            give_answer(people, project_id, code, 4, 4, 4)
    # text that cannot be a code is told what a code looks like (its shape says nothing of the register)
    with pytest.raises(InvalidInput, match="not a valid one: a code has 8 letters and digits"):
        give_answer(people, project_id, "not a code", 4, 4, 4)
    with pytest.raises(InvalidInput, match="type your household code"):  # asked for, not looked up
        give_answer(people, project_id, " ", 4, 4, 4)
    for bad in (0, 6, "4.5", "x", -1):
        with pytest.raises(InvalidInput, match="whole number from 1"):
            give_answer(people, project_id, survey[0], 4, bad, 4)
    with pytest.raises(InvalidInput, match="please give renovation process a score"):
        give_answer(people, project_id, survey[0], 4, "", 4)
    with pytest.raises(InvalidInput, match="control character"):
        give_answer(people, project_id, survey[0], 4, 4, 4, "ok\x1b[31m")
    with pytest.raises(InvalidInput, match="at most 500"):
        give_answer(people, project_id, survey[0], 4, 4, 4, "长" * 501)
    assert snapshot(people) == before
    # a comment of exactly 500 characters, with line breaks, is kept
    give_answer(people, project_id, survey[0], 4, 4, 4, "好\n" * 250)


def test_paper_answers_by_the_planner_or_coordinator_only(
    people: App, project_id: int, survey: list[str]
) -> None:
    give_answer(people, project_id, survey[0], 1, 1, 1)
    paper = give_answer(people, project_id, survey[0], 5, 5, 5, by="wangrb")
    assert (paper.channel, paper.replaced) == ("paper", True)
    by_home = give_answer(people, project_id, "1-1-102", 4, 3, 5, by="zhangl")
    assert by_home.channel == "paper"
    before = snapshot(people)
    with pytest.raises(InvalidInput, match="not a valid one"):  # a home is only for paper answers
        give_answer(people, project_id, "1-1-103", 4, 4, 4)
    for person in ("zhaoy", "chenm"):
        with pytest.raises(PermissionDenied):
            give_answer(people, project_id, survey[2], 4, 4, 4, by=person)
    assert snapshot(people) == before
    events = _events(people)
    assert [(e.actor, e.data["channel"]) for e in events[1:]] == [("wangrb", "paper"), ("zhangl", "paper")]
    view = survey_tally(people, project_id)
    assert (view.paper_answers, view.respondents) == (2, 2)
    with people.reader() as uow:
        recorded = uow.session.scalars(select(SatisfactionRow.recorded_by).order_by(SatisfactionRow.id)).all()
    assert recorded == ["wangrb", "zhangl"]


def test_unpublished_page_takes_no_public_answer(people: App, project_id: int, survey: list[str]) -> None:
    set_published(people, project_id, by="zhangl", published=False)
    with pytest.raises(NotFound, match="unknown project"):
        give_answer(people, project_id, survey[0], 4, 4, 4)
    assert give_answer(people, project_id, survey[0], 4, 4, 4, by="wangrb").channel == "paper"


def test_the_survey_closes_with_the_stage_and_the_evidence_follows_the_answers(
    people: App, project_id: int, survey: list[str]
) -> None:
    for code in survey[:29]:
        give_answer(people, project_id, code, 4, 4, 4)
    give_answer(people, project_id, survey[29], 3, 3, 3, "差一点")
    # 30 answers, 29 satisfied: 96.7 %
    before = snapshot(people)
    with pytest.raises(InvalidInput, match="computed from the residents' answers"):
        commands.complete_stage(
            people,
            commands.CompleteStage(
                project_id=project_id,
                stage="post-evaluation",
                by="wangrb",
                evidence={"respondents": "120", "satisfaction_pct": "98"},
            ),
        )
    with pytest.raises(InvalidInput, match="computed from the residents' answers"):
        commands.complete_stage(
            people,
            commands.CompleteStage(
                project_id=project_id,
                stage="post-evaluation",
                by="wangrb",
                evidence={"satisfaction_pct": "90"},
            ),
        )
    assert snapshot(people) == before
    outcome = commands.complete_stage(
        people,
        commands.CompleteStage(
            project_id=project_id,
            stage="post-evaluation",
            by="wangrb",
            evidence={"satisfaction_pct": "96.7"},  # the same figure is accepted
        ),
    )
    assert outcome.events[-1].data["evidence"] == {"respondents": 30, "satisfaction_pct": 96.7}
    with pytest.raises(SurveyClosed, match="is closed"):
        give_answer(people, project_id, survey[0], 1, 1, 1)
    with pytest.raises(SurveyClosed):
        give_answer(people, project_id, survey[0], 1, 1, 1, by="wangrb")
    assert survey_tally(people, project_id).open is False
    assert [c.text for c in survey_comments(people, project_id, by="wangrb")] == ["差一点"]
    with pytest.raises(PermissionDenied):
        survey_comments(people, project_id, by="zhaoy")


def test_too_few_answers_fall_short_of_the_template(people: App, project_id: int, survey: list[str]) -> None:
    give_answer(people, project_id, survey[0], 5, 5, 5)
    with pytest.raises(RuleViolation):
        commands.complete_stage(
            people,
            commands.CompleteStage(
                project_id=project_id, stage="post-evaluation", by="wangrb", evidence={"respondents": "1"}
            ),
        )


def test_without_answers_the_typed_figures_still_count(people: App, project_id: int) -> None:
    open_survey(people, project_id)
    outcome = commands.complete_stage(
        people,
        commands.CompleteStage(
            project_id=project_id,
            stage="post-evaluation",
            by="wangrb",
            evidence={"respondents": "120", "satisfaction_pct": "91.5"},
        ),
    )
    assert outcome.events[-1].data["evidence"] == {"respondents": 120, "satisfaction_pct": 91.5}


def test_purging_the_register_deletes_the_answers(people: App, project_id: int, survey: list[str]) -> None:
    give_answer(people, project_id, survey[0], 4, 4, 4, "意见")
    households.purge(people, project_id, by="zhangl")
    with people.reader() as uow:
        assert uow.session.scalars(select(SatisfactionRow)).all() == []


def test_the_quarterly_report_averages_each_dimension(
    people: App,
    project_id: int,
    survey: list[str],
    clock,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    from openpyxl import load_workbook

    from accompany.clock import parse_moment
    from accompany.models.report import Quarter
    from accompany.reporting import render_html, render_json, write_xlsx
    from accompany.services.reports import quarterly_report

    for code in survey[:20]:
        give_answer(people, project_id, code, 5, 4, 3)  # satisfied (12)
    for code in survey[20:30]:
        give_answer(people, project_id, code, 3, 4, 4, "<b>不含在报告里</b>")  # not satisfied (11)
    outcome = commands.complete_stage(
        people, commands.CompleteStage(project_id=project_id, stage="post-evaluation", by="wangrb")
    )
    assert outcome.events[-1].data["satisfaction"] == {
        "households": 32,
        "respondents": 30,
        "satisfied": 20,
        "sums": {"content": 130, "process": 120, "management": 100},
    }
    commands.decide_approval(
        people,
        commands.DecideApproval(
            project_id=project_id, stage="post-evaluation", by="zhoux", decision="approve"
        ),
    )
    clock.moment = parse_moment("2026-03-03T09:00")
    report = quarterly_report(people, Quarter.parse("2026Q1"))
    assert report.satisfaction == [
        {
            "project_id": project_id,
            "project": report.satisfaction[0]["project"],
            "district": "chaoyang",
            "street": "taiyanggong",
            "stage": "post-evaluation",
            "households": 32,
            "respondents": 30,
            "content": 4.33,
            "process": 4.0,
            "management": 3.33,
            "satisfied": 20,
            "satisfaction_pct": 66.7,
        }
    ]
    assert report.satisfaction_overall == {
        "projects": 1,
        "respondents": 30,
        "content": 4.33,
        "process": 4.0,
        "management": 3.33,
        "satisfied": 20,
        "satisfaction_pct": 66.7,
    }
    assert report.summary["respondents"] == 30 and report.summary["satisfaction_pct"] == 66.7
    data = json.loads(render_json(report))
    assert data["satisfaction"]["overall"]["content"] == 4.33
    assert "不含在报告里" not in render_json(report)
    html = render_html(report, "zh")
    assert "居民满意度 (1)" in html and "长效管理平均分" in html
    path = tmp_path / "q1.xlsx"
    write_xlsx(report, path, "zh")
    sheet = load_workbook(path)["居民满意度"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][6:9] == ("改造内容平均分", "改造过程平均分", "长效管理平均分")
    assert rows[-1][1] == "全部" and rows[-1][6:] == (4.33, 4.0, 3.33, 20, 66.7)


def test_a_report_without_answers_has_no_satisfaction_part(people: App, project_id: int, clock) -> None:  # type: ignore[no-untyped-def]
    from accompany.clock import parse_moment
    from accompany.models.report import Quarter
    from accompany.reporting import render_json
    from accompany.services.reports import quarterly_report

    open_survey(people, project_id)
    commands.complete_stage(
        people,
        commands.CompleteStage(
            project_id=project_id,
            stage="post-evaluation",
            by="wangrb",
            evidence={"respondents": "40", "satisfaction_pct": "90"},
        ),
    )
    commands.decide_approval(
        people,
        commands.DecideApproval(
            project_id=project_id, stage="post-evaluation", by="zhoux", decision="approve"
        ),
    )
    clock.moment = parse_moment("2026-03-03T09:00")
    report = quarterly_report(people, Quarter.parse("2026Q1"))
    assert report.satisfaction == [] and report.satisfaction_overall == {}
    assert report.summary["satisfaction_pct"] == 90.0
    assert "satisfaction" not in json.loads(render_json(report))
