"""The service layer on a real database (SQLite file, and PostgreSQL when set)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from accompany.bootstrap import App
from accompany.clock import FixedClock, parse_moment
from accompany.db.orm import Base, EventRow, StageRow
from accompany.models.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from accompany.services import commands
from accompany.services.commands import AttachmentInput, CompleteStage, DecideApproval
from accompany.services.queries import list_projects, show_project

from ..conftest import start_command


def snapshot(app: App) -> dict[str, list[tuple]]:
    """Every row of every table: to prove a refused command changed nothing."""
    out = {}
    with app.reader() as uow:
        for table in Base.metadata.sorted_tables:
            rows = uow.session.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(r) for r in rows]
    return out


def survey_done(app: App, project_id: int, evidence_file: Path) -> commands.Outcome:
    return commands.complete_stage(
        app,
        CompleteStage(
            project_id=project_id,
            stage="needs-survey",
            by="wangrb",
            evidence={"households_interviewed": "32", "observation_days": "4"},
            attachments=[AttachmentInput(key="problem_map", path=str(evidence_file))],
            note="入户访谈完成",
        ),
    )


def test_start_records_stages_deadlines_and_events(people: App, project_id: int) -> None:
    detail = show_project(people, project_id, with_events=True)
    assert detail.template == "accompany-service@3"  # the newest version
    assert [s.state for s in detail.stages][:2] == ["in_progress", "pending"]
    assert detail.stages[0].timing.due == dt.date(2026, 4, 14)
    assert detail.stages[0].deadline_basis["calendar"]["2026"].startswith("chinese-calendar")
    assert [e.kind for e in detail.events][:2] == ["project.started", "stage.activated"]
    assert detail.events[0].actor == "zhangl"
    assert detail.created_at.utcoffset() == dt.timedelta(hours=8)  # shown in Asia/Shanghai


def test_lifecycle_with_return_and_two_level_approval(
    people: App, project_id: int, evidence_file: Path, clock: FixedClock
) -> None:
    clock.moment = parse_moment("2026-03-20T10:00")
    survey_done(people, project_id, evidence_file)
    clock.moment = parse_moment("2026-03-23T10:00")
    commands.decide_approval(
        people,
        DecideApproval(
            project_id=project_id,
            stage="needs-survey",
            by="zhaoy",
            decision="return",
            comment="问题地图不完整",
        ),
    )
    detail = show_project(people, project_id)
    survey = detail.stages[0]
    assert survey.state == "in_progress" and survey.round == 2
    assert survey.approvals[-1].decision == "returned" and survey.approvals[-1].comment == "问题地图不完整"
    assert survey.evidence == {"households_interviewed": 32, "observation_days": 4}
    clock.moment = parse_moment("2026-03-24T10:00")
    commands.complete_stage(people, CompleteStage(project_id=project_id, stage="needs-survey", by="wangrb"))
    commands.decide_approval(
        people, DecideApproval(project_id=project_id, stage="needs-survey", by="sunh", decision="approve")
    )
    detail = show_project(people, project_id, with_events=True)
    assert detail.stages[0].state == "approved"
    assert detail.stages[1].state == "in_progress"
    assert detail.stages[1].timing.due == dt.date(2026, 4, 8)
    kinds = [e.kind for e in detail.events]
    assert kinds.count("stage.submitted") == 2 and "stage.returned" in kinds
    submitted = [e for e in detail.events if e.kind == "stage.submitted"]
    assert (
        submitted[0].data["on_time"] is True and submitted[0].data["evidence"]["households_interviewed"] == 32
    )
    stored = people.settings.resolved_attachments_dir()
    assert len(list(stored.rglob("*.pdf"))) == 1


def test_refusals_leave_the_database_unchanged(people: App, project_id: int, evidence_file: Path) -> None:
    before = snapshot(people)
    attempts = [
        (
            NotFound,
            lambda: commands.complete_stage(
                people, CompleteStage(project_id=99, stage="needs-survey", by="wangrb")
            ),
        ),
        (
            NotFound,
            lambda: commands.complete_stage(
                people, CompleteStage(project_id=project_id, stage="nope", by="wangrb")
            ),
        ),
        (
            NotFound,
            lambda: commands.complete_stage(
                people, CompleteStage(project_id=project_id, stage="needs-survey", by="ghost")
            ),
        ),
        (
            PermissionDenied,
            lambda: commands.complete_stage(
                people,
                CompleteStage(
                    project_id=project_id,
                    stage="needs-survey",
                    by="chenm",
                    evidence={"households_interviewed": "40"},
                ),
            ),
        ),
        (
            RuleViolation,
            lambda: commands.complete_stage(
                people,
                CompleteStage(
                    project_id=project_id,
                    stage="needs-survey",
                    by="wangrb",
                    evidence={"households_interviewed": "3"},
                ),
            ),
        ),
        (
            InvalidInput,
            lambda: commands.complete_stage(
                people,
                CompleteStage(
                    project_id=project_id,
                    stage="needs-survey",
                    by="wangrb",
                    evidence={"households_interviewed": "x"},
                ),
            ),
        ),
        (
            InvalidInput,
            lambda: commands.complete_stage(
                people,
                CompleteStage(
                    project_id=project_id,
                    stage="needs-survey",
                    by="wangrb",
                    attachments=[AttachmentInput(key="problem_map", path="/no/such/file.pdf")],
                ),
            ),
        ),
        (
            RuleViolation,
            lambda: commands.decide_approval(
                people,
                DecideApproval(project_id=project_id, stage="needs-survey", by="zhaoy", decision="approve"),
            ),
        ),
        (NotFound, lambda: commands.start_project(people, start_command(template="nope"))),
        (NotFound, lambda: commands.start_project(people, start_command(street="nowhere"))),
        (PermissionDenied, lambda: commands.start_project(people, start_command(by="maf"))),
        (
            InvalidInput,
            lambda: commands.start_project(
                people, start_command(params={"households_interviewed_min": "lots"})
            ),
        ),
    ]
    for error, attempt in attempts:
        with pytest.raises(error):
            attempt()
    assert snapshot(people) == before


def test_failed_evidence_check_stores_no_row_even_after_file_copy(
    people: App, project_id: int, evidence_file: Path
) -> None:
    before = snapshot(people)
    with pytest.raises(RuleViolation, match="observation_days"):
        commands.complete_stage(
            people,
            CompleteStage(
                project_id=project_id,
                stage="needs-survey",
                by="wangrb",
                evidence={"households_interviewed": "31"},
                attachments=[AttachmentInput(key="problem_map", path=str(evidence_file))],
            ),
        )
    assert snapshot(people) == before


def test_event_log_is_append_only(people: App, project_id: int) -> None:
    for statement in ("UPDATE event SET actor = 'x'", "DELETE FROM event"):
        with pytest.raises((IntegrityError, DBAPIError), match="append-only"), people.uow() as uow:
            uow.session.execute(text(statement))
            uow.commit()
    with people.reader() as uow:
        assert uow.session.scalar(select(func.count()).select_from(EventRow)) > 0


@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_event_log_refuses_truncate_on_postgresql(people: App, project_id: int) -> None:
    with people.reader() as uow:
        before = uow.session.scalar(select(func.count()).select_from(EventRow))
    assert people.engine.dialect.name == "postgresql" and before > 0
    with pytest.raises(DBAPIError, match="append-only"), people.uow() as uow:
        uow.session.execute(text("TRUNCATE event"))
        uow.commit()
    with people.reader() as uow:
        assert uow.session.scalar(select(func.count()).select_from(EventRow)) == before


def test_naive_datetimes_are_refused_and_utc_comes_back(people: App, project_id: int) -> None:
    with people.uow() as uow:
        stage = uow.session.scalar(select(StageRow).where(StageRow.project_id == project_id).limit(1))
        stage.submitted_at = dt.datetime(2026, 3, 3, 10, 0)  # naive
        with pytest.raises(Exception, match="naive datetime"):
            uow.session.flush()
    with people.reader() as uow:
        activated = uow.session.scalar(select(StageRow.activated_at).where(StageRow.key == "needs-survey"))
        assert activated.tzinfo is not None and activated.utcoffset() == dt.timedelta(0)
        assert activated == dt.datetime(2026, 3, 1, 16, 0, tzinfo=dt.UTC)  # 2026-03-02 00:00 Beijing


def test_template_version_is_frozen_once_used(people: App, project_id: int, tmp_path: Path) -> None:
    import yaml

    from accompany.config.settings import BUILTIN_TEMPLATES

    changed = yaml.safe_load((BUILTIN_TEMPLATES / "accompany-service.yaml").read_text("utf-8"))
    changed["stages"][0]["deadline"]["working_days"] = 20
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "changed.yaml").write_text(yaml.safe_dump({**changed, "id": "accompany-service", "version": 1}))
    people.settings.templates_dir = folder
    people.__dict__.pop("catalog", None)
    with pytest.raises(InvalidInput, match="defined twice"):
        commands.start_project(people, start_command())
    (folder / "changed.yaml").write_text(yaml.safe_dump({**changed, "version": 4}))
    people.__dict__.pop("catalog", None)
    second = commands.start_project(people, start_command(template_version=4, allow_duplicate=True))
    assert show_project(people, second.project_id).stages[0].timing.due == dt.date(2026, 3, 30)
    # the first project keeps its version's 30 working days
    assert show_project(people, project_id).stages[0].timing.due == dt.date(2026, 4, 14)


def test_list_filters_by_street_and_overdue(people: App, project_id: int, clock: FixedClock) -> None:
    commands.start_project(
        people, start_command(name="酒仙桥老旧小区", street="jiuxianqiao", planner="chenm", by="liuq")
    )
    _, total = list_projects(people)
    assert total == 2
    only, _ = list_projects(people, street="太阳宫街道")
    assert [p.id for p in only] == [project_id]
    assert list_projects(people, overdue_only=True)[1] == 0
    clock.moment = parse_moment("2026-04-16T10:00")
    overdue, _ = list_projects(people, overdue_only=True)
    assert len(overdue) == 2
    assert overdue[0].current[0].timing.working_days_overdue == 2  # due 04-14: 04-15, 04-16
    with pytest.raises(NotFound, match="unknown street"):
        list_projects(people, street="atlantis")


def test_conflict_when_a_version_moved_underneath(people: App, project_id: int) -> None:
    """Optimistic concurrency: a command holding a stale stage row loses with a
    clear conflict (SQLite never gets here: BEGIN IMMEDIATE serialises writers,
    which the thread test below covers)."""
    if people.engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE")
    with pytest.raises(Conflict, match="same moment"), people.uow() as uow:
        project = uow.projects.get(project_id)
        with people.engine.connect() as other:  # another command commits in between
            other.execute(text("UPDATE stage SET version = version + 1 WHERE key = 'needs-survey'"))
            other.commit()
        project.pause_clock("needs-survey", uow.people.get("zhangl"), reason="冬季停工", now=people.now())
        uow.projects.save(project)


def test_a_start_with_several_bad_fields_names_each_of_them(people: App) -> None:
    """The rules' checks of independent fields (name, community, planner, each
    deadline) are told together, each with its field, in the reader's language."""
    from accompany.i18n import error_text

    before = snapshot(people)
    with pytest.raises(InvalidInput) as caught:
        commands.start_project(
            people,
            start_command(
                name=" ",
                community="a\x00b",
                planner="zhangl",
                stage_deadlines={"construction-accompany": dt.date(2026, 3, 2)},
            ),
        )
    assert [p.field for p in caught.value.problems] == [
        "name",
        "community",
        "planner",
        "deadline.construction-accompany",
    ]
    line = error_text(caught.value, "zh")
    assert line.startswith("有 4 处需要修改：请填写项目名称；") and "不是责任规划师" in line
    with pytest.raises(InvalidInput) as params:
        commands.start_project(people, start_command(params={"nope": "1", "nor-this": "2"}))
    assert [p.field for p in params.value.problems] == ["param.nope", "param.nor-this"]
    assert snapshot(people) == before
