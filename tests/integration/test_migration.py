"""Moving running projects to a newer template version on a real database (SQLite,
and PostgreSQL when set): what is stored, what the log says, that a refusal or a dry
run changes nothing, that undo and the quarterly report follow the move."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from accompany.bootstrap import App
from accompany.clock import FixedClock, parse_moment
from accompany.db.orm import EventRow, StageRow
from accompany.models.errors import Conflict, NotFound, PermissionDenied
from accompany.models.migration import MigrationRefused
from accompany.models.report import Quarter
from accompany.presenting import event_summary
from accompany.services import commands
from accompany.services.audit import verify_log
from accompany.services.commands import CompleteStage, DecideApproval
from accompany.services.migration import MigrateProjects, migrate_projects
from accompany.services.queries import show_project
from accompany.services.reports import quarterly_report
from accompany.services.undo import UndoDecision, undo_stage_decision

from ..conftest import start_command
from .test_services import snapshot, survey_done

FIXTURES = Path(__file__).parent.parent / "fixtures" / "migration"
MAPPING = yaml.safe_load((FIXTURES / "mapping.yaml").read_text("utf-8"))


@pytest.fixture
def pocket(people: App) -> App:
    """The app with the test template pair pocket-park@1/@2 in its templates dir."""
    people.settings.templates_dir = FIXTURES / "templates"
    people.__dict__.pop("catalog", None)
    return people


def start_pocket(app: App, **overrides: object) -> int:
    values: dict[str, object] = {
        "template": "pocket-park",
        "template_version": 1,
        "stage_deadlines": {"build": dt.date(2026, 10, 30)},
        **overrides,
    }
    outcome = commands.start_project(app, start_command(**values))
    assert outcome.project_id is not None
    return outcome.project_id


def done(app: App, project_id: int, stage: str, evidence: dict[str, str]) -> None:
    commands.complete_stage(
        app, CompleteStage(project_id=project_id, stage=stage, by="wangrb", evidence=evidence)
    )


def approve(app: App, project_id: int, stage: str, by: str = "zhaoy") -> None:
    commands.decide_approval(
        app, DecideApproval(project_id=project_id, stage=stage, by=by, decision="approve", comment=None)
    )


def migrate(app: App, ids: list[int], to: str = "pocket-park@2", **kwargs: object) -> object:
    kwargs.setdefault("mapping", MAPPING if to.startswith("pocket") else None)
    return migrate_projects(app, MigrateProjects(project_ids=ids, template=to, **kwargs))  # type: ignore[arg-type]


def test_a_running_project_moves_from_v1_to_v2_and_keeps_its_approved_work(
    people: App, clock: FixedClock, evidence_file: Path
) -> None:
    project_id = commands.start_project(people, start_command(template_version=1)).project_id
    assert project_id is not None
    clock.moment = parse_moment("2026-03-10T09:00")
    survey_done(people, project_id, evidence_file)
    approve(people, project_id, "needs-survey")
    before = show_project(people, project_id)
    clock.moment = parse_moment("2026-03-11T09:00")
    result = migrate(people, [project_id], "accompany-service@2")
    assert [p.project_id for p in result.projects] == [project_id]  # type: ignore[attr-defined]
    after = show_project(people, project_id, with_events=True)
    assert (before.template, after.template) == ("accompany-service@1", "accompany-service@2")
    assert [(s.key, s.state) for s in after.stages] == [(s.key, s.state) for s in before.stages]
    assert after.stages[0].evidence == before.stages[0].evidence
    assert after.stages[1].timing.due == before.stages[1].timing.due  # started: its due date stays
    event = next(e for e in after.events if e.kind == "project.migrated")
    assert (event.actor, event.data["template_from"], event.data["template_to"]) == (
        "operator",
        "accompany-service@1",
        "accompany-service@2",
    )
    assert event_summary(event.kind, event.data, {}, "zh").startswith("accompany-service@1 → @2：")
    assert verify_log(people).verdict.intact
    # the approval given before the move is no longer undone
    with pytest.raises(Conflict, match="no longer the last thing"):
        undo_stage_decision(
            people, UndoDecision(project_id=project_id, stage="needs-survey", by="zhaoy", reason="点错了")
        )


def test_renamed_removed_and_added_stages_are_written_and_the_project_goes_on(
    pocket: App, clock: FixedClock
) -> None:
    project_id = start_pocket(pocket)
    clock.moment = parse_moment("2026-03-05T09:00")
    done(pocket, project_id, "survey", {"households": "12"})
    approve(pocket, project_id, "survey")
    clock.moment = parse_moment("2026-03-06T09:00")
    done(pocket, project_id, "design", {"summary": "方案说明"})
    design_due = show_project(pocket, project_id).stages[1].timing.due
    clock.moment = parse_moment("2026-03-09T09:00")
    migrate(pocket, [project_id])
    detail = show_project(pocket, project_id)
    assert detail.template == "pocket-park@2"
    assert [(s.key, s.state) for s in detail.stages] == [
        ("survey", "approved"),
        ("design-proposal", "submitted"),
        ("site-review", "pending"),
        ("build", "pending"),
    ]
    assert detail.stages[1].timing.due == design_due
    assert detail.stages[3].timing.due == dt.date(2026, 10, 30)  # the set-at-start date is carried
    # the events before the move name the stage by its old id; people read its name
    logged = show_project(pocket, project_id, with_events=True).events
    submitted = next(e for e in logged if e.kind == "stage.submitted" and e.stage == "design")
    assert submitted.stage_name == "方案设计"
    with pocket.reader() as uow:
        keys = uow.session.scalars(select(StageRow.key).where(StageRow.project_id == project_id)).all()
        assert sorted(keys) == ["build", "design-proposal", "site-review", "survey"]
    # the waiting submission is decided under its new id, and the added stage starts
    clock.moment = parse_moment("2026-03-10T09:00")
    approve(pocket, project_id, "design-proposal")
    detail = show_project(pocket, project_id)
    assert detail.stages[2].state == "in_progress" and detail.stages[2].timing.due is not None


def test_a_refusal_in_one_project_changes_nothing_in_any(pocket: App, clock: FixedClock) -> None:
    fresh = start_pocket(pocket)
    worked = start_pocket(pocket, name="第二个口袋公园")
    clock.moment = parse_moment("2026-03-05T09:00")
    for stage, evidence in (("survey", {"households": "12"}), ("design", {"summary": "方案"})):
        done(pocket, worked, stage, evidence)
        approve(pocket, worked, stage)
    before = snapshot(pocket)
    with pytest.raises(MigrationRefused) as refused:
        migrate(pocket, [fresh, worked], mapping={"stages": {"design": None, "briefing": None}})
    assert [pid for pid, _ in refused.value.refusals] == [worked]
    assert "lose approved work" in str(refused.value)
    assert snapshot(pocket) == before
    # a dry run of an allowed move changes nothing either
    result = migrate(pocket, [fresh, worked], dry_run=True)
    assert [p.project_id for p in result.projects] == [fresh, worked]  # type: ignore[attr-defined]
    assert snapshot(pocket) == before


def test_from_selects_the_active_projects_on_a_version_and_by_is_checked(pocket: App) -> None:
    first, second = start_pocket(pocket), start_pocket(pocket, name="第二个口袋公园")
    with pytest.raises(PermissionDenied):
        migrate(pocket, [], from_template="pocket-park@1", by="wangrb")
    with pytest.raises(NotFound):
        migrate(pocket, [999])
    result = migrate(pocket, [], from_template="pocket-park@1", by="zhoux")  # the district
    assert [p.project_id for p in result.projects] == [first, second]  # type: ignore[attr-defined]
    with pocket.reader() as uow:
        actors = uow.session.scalars(select(EventRow.actor).where(EventRow.kind == "project.migrated")).all()
    assert actors == ["zhoux", "zhoux"]


def test_the_quarterly_report_follows_the_renamed_stage(pocket: App, clock: FixedClock) -> None:
    project_id = start_pocket(pocket)
    clock.moment = parse_moment("2026-03-05T09:00")
    done(pocket, project_id, "survey", {"households": "12"})
    approve(pocket, project_id, "survey")
    clock.moment = parse_moment("2026-03-09T09:00")
    migrate(pocket, [project_id])
    design_due = show_project(pocket, project_id).stages[1].timing.due
    assert design_due is not None
    # the renamed design stage runs past its due date: the report names it by its new id
    clock.moment = parse_moment("2026-04-01T09:00")
    report = quarterly_report(pocket, Quarter.parse("2026Q1"))
    assert [(row["stage"], row["due"]) for row in report.worst_overdue] == [("design-proposal", design_due)]
    assert report.names["stage"].get("design-proposal") == "方案设计"


def test_a_reminder_queued_before_a_rename_is_not_queued_again(pocket: App, clock: FixedClock) -> None:
    from accompany.db.orm import NotificationRow
    from accompany.services.reminders import sweep

    project_id = start_pocket(pocket)
    clock.moment = parse_moment("2026-03-05T09:00")
    done(pocket, project_id, "survey", {"households": "12"})
    approve(pocket, project_id, "survey")
    due = show_project(pocket, project_id).stages[1].timing.due
    assert due is not None
    clock.moment = parse_moment(f"{due.isoformat()}T08:00")  # the design is due today
    first = sweep(pocket)
    assert any(i.stage == "design" for i in first.intents)
    migrate(pocket, [project_id])
    again = sweep(pocket)
    assert any(i.stage == "design-proposal" for i in again.intents)  # the stage is still due today …
    assert not any("|design-proposal|" in key for key in again.new_keys)  # … and already reminded
    with pocket.reader() as uow:
        keys = {row.stage_key for row in uow.session.scalars(select(NotificationRow))}
    assert "design-proposal" in keys and "design" not in keys


def test_the_project_page_shows_the_moved_project_with_its_new_stages(pocket: App, clock: FixedClock) -> None:
    from accompany.web.app import create_web_app

    from ..web_support import sign_in, visible_text, with_passwords

    project_id = start_pocket(pocket)
    clock.moment = parse_moment("2026-03-05T09:00")
    done(pocket, project_id, "survey", {"households": "12"})
    migrate(pocket, [project_id])
    web = create_web_app(with_passwords(pocket, "zhangl"))
    page = sign_in(web, "zhangl").get(f"/projects/{project_id}")
    assert page.status_code == 200, page.text
    text = visible_text(page.text)
    assert "现场评审" in text  # the added stage
    assert "模板迁移" in text and "pocket-park@1 → @2" in text and "删除「方案宣讲」" in text
