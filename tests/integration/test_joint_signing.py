"""Joint signing (会签/或签) through the service layer, on SQLite and PostgreSQL: the
parties list is stored with the project, each signature is an approval record, the
stage shows who signed and who is awaited, a party sees only its projects and its
"my work" lists what waits for its signature."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from accompany.bootstrap import App
from accompany.config.settings import Settings
from accompany.models.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from accompany.services import commands
from accompany.services.commands import CompleteStage, DecideApproval
from accompany.services.parties import SetParties, set_parties
from accompany.services.queries import show_project
from accompany.services.worklists import my_work, project_view

from ..conftest import start_command

JOINT = {
    "id": "joint-acceptance",
    "version": 1,
    "name": "竣工验收会签",
    "phases": [{"id": "after", "name": "改造后"}],
    "stages": [
        {
            "id": "acceptance",
            "name": "竣工验收",
            "phase": "after",
            "depends_on": [],
            "deadline": {"working_days": 15},
            "approval": [{"all": ["developer", "design", "construction", "supervision"]}, "street-office"],
        },
        {
            "id": "residents",
            "name": "居民确认",
            "phase": "after",
            "deadline": {"working_days": 15},
            "approval": [{"any": ["community-committee", "owners-committee"]}],
        },
    ],
}
PARTIES = {
    "developer": "tyg-jszx",
    "design": "sy-design",
    "construction": "sy-build",
    "supervision": "sy-jianli",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    calendars = tmp_path / "calendars"
    calendars.mkdir()
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "joint.yaml").write_text(yaml.safe_dump(JOINT, allow_unicode=True), "utf-8")
    return Settings(
        home=tmp_path / "home",
        calendar_dir=calendars,
        attachments_dir=tmp_path / "files",
        templates_dir=templates,
    )


def start(app: App, **parties: str) -> int:
    outcome = commands.start_project(
        app, start_command(template="joint-acceptance", stage_deadlines={}, parties=parties or PARTIES)
    )
    assert outcome.project_id is not None
    return outcome.project_id


def decide(
    app: App, project_id: int, by: str, decision: str = "approve", stage: str = "acceptance", **kw
) -> None:  # type: ignore[no-untyped-def]
    commands.decide_approval(
        app, DecideApproval(project_id=project_id, stage=stage, by=by, decision=decision, **kw)
    )


def submit(app: App, project_id: int, stage: str = "acceptance") -> None:
    commands.complete_stage(app, CompleteStage(project_id=project_id, stage=stage, by="wangrb"))


def test_joint_signing_end_to_end(people: App) -> None:
    project_id = start(people)
    detail = show_project(people, project_id)
    assert {p.role: p.person for p in detail.parties} == {
        **PARTIES,
        "community-committee": "tyg-jwh",
        "owners-committee": "tyg-ywh",
    }
    submit(people, project_id)
    # the design institute's "my work" lists the signature it owes
    work = my_work(people, people_get(people, "sy-design"))
    assert [(i.project_id, i.stage, i.waiting_for) for i in work.to_decide] == [
        (project_id, "acceptance", "all")
    ]
    decide(people, project_id, "sy-design", comment="图纸相符")
    stage = show_project(people, project_id).stages[0]
    assert stage.waiting_for == "all"
    assert stage.signing is not None and stage.signing.signed == ["design"]
    assert stage.signing.awaited == ["developer", "construction", "supervision"]
    assert [(a.level, a.by, a.decision) for a in stage.approvals] == [("design", "sy-design", "approved")]
    assert my_work(people, people_get(people, "sy-design")).to_decide == []
    with pytest.raises(Conflict, match="already signed"):
        decide(people, project_id, "sy-design")
    with pytest.raises(PermissionDenied):
        decide(people, project_id, "zhaoy")  # the street office waits for the joint step
    with pytest.raises(PermissionDenied):
        decide(people, project_id, "tyg-jwh")  # not a party of this step
    # one return sends the round back; everybody signs again after the next submission
    decide(people, project_id, "sy-jianli", "return", comment="监理资料不全")
    submit(people, project_id)
    stage = show_project(people, project_id).stages[0]
    assert stage.round == 2 and stage.signing is not None and stage.signing.signed == []
    for who in PARTIES.values():
        decide(people, project_id, who)
    assert show_project(people, project_id).stages[0].waiting_for == "street-office"
    decide(people, project_id, "zhaoy")
    submit(people, project_id, "residents")
    decide(people, project_id, "tyg-ywh", stage="residents")  # 或签: one signature is enough
    assert show_project(people, project_id).status == "completed"


def people_get(app: App, person_id: str):  # type: ignore[no-untyped-def]
    with app.reader() as uow:
        return uow.people.get(person_id)


def test_a_party_sees_only_the_projects_it_is_on(people: App) -> None:
    mine = start(people)
    other = commands.start_project(people, start_command(name="另一个项目")).project_id
    design = people_get(people, "sy-design")
    assert project_view(people, design, mine).detail.id == mine
    with pytest.raises(NotFound):
        project_view(people, design, other)  # type: ignore[arg-type]


def test_start_refuses_a_party_not_in_the_directory_or_of_another_role_and_changes_nothing(
    people: App,
) -> None:
    with pytest.raises(InvalidInput, match="not in the directory"):
        start(people, **{**PARTIES, "design": "no-such-institute"})
    with pytest.raises(InvalidInput, match="not a design institute"):
        start(people, **{**PARTIES, "design": "sy-build"})
    with people.reader() as uow:
        assert (
            uow.session.execute(__import__("sqlalchemy").text("SELECT count(*) FROM project")).scalar() == 0
        )


def test_the_coordinator_edits_the_parties(people: App) -> None:
    project_id = start(people)
    set_parties(people, SetParties(project_id=project_id, by="zhangl", parties={"expert": "linzj"}))
    assert {p.role: p.person for p in show_project(people, project_id).parties}["expert"] == "linzj"
    with pytest.raises(PermissionDenied):
        set_parties(people, SetParties(project_id=project_id, by="wangrb", parties={"expert": "linzj"}))
    # the expert now sees the project
    assert project_view(people, people_get(people, "linzj"), project_id).detail.id == project_id


def test_the_sweep_reminds_each_party_still_awaited(people: App) -> None:
    import datetime as dt

    from accompany.clock import parse_moment
    from accompany.services.reminders import decide as sweep_decisions

    project_id = start(people)
    submit(people, project_id)
    decide(people, project_id, "sy-design")
    people.clock.moment = parse_moment("2026-03-12T09:00")  # type: ignore[attr-defined]
    _, intents = sweep_decisions(people, dt.date(2026, 3, 12))
    waiting = sorted(i.audience for i in intents if i.kind.value == "approval-waiting")
    assert waiting == ["person:sy-build", "person:sy-jianli", "person:tyg-jszx"]


def test_a_party_named_later_and_the_stage_waits_for_it(people: App) -> None:
    """The construction company is chosen long after the start: the project starts
    without it, marking the acceptance done is refused (nothing changed) until the
    coordinator names it."""
    project_id = start(people, developer="tyg-jszx", design="sy-design", supervision="sy-jianli")
    assert "construction" not in {p.role for p in show_project(people, project_id).parties}
    with people.reader() as uow:
        before = uow.session.execute(__import__("sqlalchemy").text("SELECT count(*) FROM event")).scalar()
    with pytest.raises(RuleViolation, match="construction company"):
        submit(people, project_id)
    with people.reader() as uow:
        after = uow.session.execute(__import__("sqlalchemy").text("SELECT count(*) FROM event")).scalar()
    assert after == before
    assert show_project(people, project_id).stages[0].state == "in_progress"
    set_parties(people, SetParties(project_id=project_id, by="zhangl", parties={"construction": "sy-build"}))
    submit(people, project_id)
    assert show_project(people, project_id).stages[0].signing.awaited == [  # type: ignore[union-attr]
        "developer",
        "design",
        "construction",
        "supervision",
    ]
