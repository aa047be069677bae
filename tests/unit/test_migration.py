"""The rules of moving a running project to a newer template version
(``models.migration``), on the test template pair pocket-park@1 → @2 (renamed,
removed and added stages) and on accompany-service@2 → @3 (a 会签 needing parties)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from accompany.config.settings import BUILTIN_TEMPLATES
from accompany.models.errors import InvalidInput
from accompany.models.events import EventKind
from accompany.models.migration import (
    DeadlineFate,
    MigrationPlan,
    StageChange,
    apply_migration,
    plan_migration,
    stage_mapping,
)
from accompany.models.parties import parties_missing
from accompany.models.project import Project
from accompany.models.states import ProjectStatus, StageState
from accompany.models.template import ProcessTemplate, build_template

from .world import CALENDAR, PEOPLE, at, new_project

FIXTURES = Path(__file__).parent.parent / "fixtures" / "migration"
MAPPING = yaml.safe_load((FIXTURES / "mapping.yaml").read_text("utf-8"))


def pocket(version: int, **params: object) -> ProcessTemplate:
    body = yaml.safe_load((FIXTURES / "templates" / f"pocket-park-v{version}.yaml").read_text("utf-8"))
    return build_template(body, params)


def v1_project(start: str = "2026-03-02") -> Project:
    project, _ = Project.start(
        template=pocket(1),
        params={},
        name="口袋公园",
        district="chaoyang",
        street="taiyanggong",
        community="太阳宫北社区",
        planner=PEOPLE["wangrb"],
        coordinator=PEOPLE["zhangl"],
        start_date=dt.date.fromisoformat(start),
        fixed_dues={"build": dt.date(2026, 10, 30)},
        now=at(f"{start}T09:00"),
        calendar=CALENDAR,
    )
    project.id = 7
    return project


def finish(project: Project, key: str, evidence: dict[str, object], when: str) -> None:
    project.complete_stage(
        key, PEOPLE["wangrb"], evidence=evidence, attachments=[], note=None, now=at(when), calendar=CALENDAR
    )


def approve(project: Project, key: str, when: str, who: str = "zhaoy") -> None:
    project.approve_stage(key, PEOPLE[who], comment=None, now=at(when), calendar=CALENDAR)


def plan(project: Project, new: ProcessTemplate | None = None, **kwargs: object) -> MigrationPlan:
    new = new or pocket(2)
    mapping = stage_mapping(kwargs.pop("raw", MAPPING), project.template, new)  # type: ignore[arg-type]
    return plan_migration(project, new, mapping, today=dt.date(2026, 3, 20), **kwargs)  # type: ignore[arg-type]


def by_new(result: MigrationPlan) -> dict[str | None, object]:
    return {s.new or s.old: s for s in result.stages}


def messages(result: MigrationPlan) -> list[str]:
    return [str(r) for r in result.refusals]


# -- the mapping -------------------------------------------------------------------------


def test_the_mapping_keeps_ids_found_in_both_renames_and_removes() -> None:
    mapping = stage_mapping(MAPPING, pocket(1), pocket(2))
    assert mapping == {"survey": "survey", "design": "design-proposal", "briefing": None, "build": "build"}


def test_a_stage_the_new_version_lacks_and_the_mapping_leaves_out_is_removed() -> None:
    assert stage_mapping(None, pocket(1), pocket(2))["design"] is None


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ({"stages": {"nope": "survey"}}, "names nope, which is not a stage of pocket-park@1"),
        ({"stages": {"design": "nope"}}, "maps design onto nope, which is not a stage of pocket-park@2"),
        ({"stages": {"design": "survey"}}, "puts two stages onto survey: survey and design"),
        ({"stage": {}}, "must read stages"),
        ({"stages": ["design"]}, "must read stages"),
    ],
)
def test_a_bad_mapping_is_refused_in_one_line(raw: dict[str, object], words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        stage_mapping(raw, pocket(1), pocket(2))


# -- the plan ----------------------------------------------------------------------------


def test_a_fresh_project_moves_with_renamed_removed_and_added_stages() -> None:
    project = v1_project()
    result = plan(project)
    assert not result.refused, messages(result)
    stages = by_new(result)
    assert stages["survey"].change is StageChange.KEPT  # type: ignore[attr-defined]
    assert stages["survey"].deadline is DeadlineFate.KEPT  # type: ignore[attr-defined]
    assert stages["design-proposal"].change is StageChange.RENAMED  # type: ignore[attr-defined]
    assert stages["design-proposal"].old == "design"  # type: ignore[attr-defined]
    assert stages["site-review"].change is StageChange.ADDED  # type: ignore[attr-defined]
    assert stages["site-review"].deadline is DeadlineFate.NEW_RULE  # type: ignore[attr-defined]
    assert stages["briefing"].change is StageChange.REMOVED  # type: ignore[attr-defined]
    # the set-at-start date of `build` is carried
    assert stages["build"].deadline is DeadlineFate.KEPT  # type: ignore[attr-defined]


def test_removing_an_approved_stage_is_refused_as_losing_approved_work() -> None:
    project = v1_project()
    finish(project, "survey", {"households": 12}, "2026-03-05T10:00")
    approve(project, "survey", "2026-03-06T10:00")
    result = plan(project, raw={"stages": {"survey": None, "design": "design-proposal", "briefing": None}})
    assert any("is approved" in m and "lose approved work" in m for m in messages(result))


def test_removing_a_stage_with_submitted_evidence_is_refused() -> None:
    project = v1_project()
    finish(project, "survey", {"households": 12}, "2026-03-05T10:00")
    result = plan(project, raw={"stages": {"survey": None, "design": "design-proposal", "briefing": None}})
    assert any("has submitted evidence" in m for m in messages(result))


def test_removing_a_stage_holding_residents_answers_is_refused() -> None:
    project = v1_project()
    result = plan(project, residents={"briefing": 3})
    assert any("holds 3 residents' answers" in m for m in messages(result))


def test_a_stage_waiting_for_approval_whose_chain_changes_must_be_decided_first() -> None:
    project = v1_project()
    finish(project, "survey", {"households": 12}, "2026-03-05T10:00")
    two_levels = pocket(2).model_copy(
        update={
            "stages": tuple(
                s.model_copy(update={"approval": (*s.approval, "district")}) if s.id == "survey" else s
                for s in pocket(2).stages
            )
        }
    )
    result = plan(project, two_levels)
    assert any("decide it first" in m for m in messages(result))
    # the same chain: the waiting stage moves as it is
    assert not plan(project).refused


def test_a_started_stage_whose_new_dependency_is_not_approved_is_refused() -> None:
    project = v1_project()
    finish(project, "survey", {"households": 12}, "2026-03-05T10:00")
    approve(project, "survey", "2026-03-06T10:00")
    assert project.stages["design"].state is StageState.IN_PROGRESS
    # in this version the design waits for a new stage, which is not approved
    new = pocket(2)
    reordered = new.model_copy(
        update={
            "stages": (
                new.stage("survey"),
                new.stage("site-review").model_copy(update={"depends_on": ("survey",)}),
                new.stage("design-proposal").model_copy(update={"depends_on": ("site-review",)}),
                new.stage("build"),
            )
        }
    )
    result = plan(project, reordered)
    assert any("has started, but in pocket-park@2 it depends on" in m for m in messages(result))


def test_an_added_stage_whose_dependencies_are_approved_starts_with_the_move() -> None:
    project = v1_project()
    for key, evidence in (("survey", {"households": 12}), ("design", {"summary": "方案"})):
        finish(project, key, evidence, "2026-03-05T10:00")
        approve(project, key, "2026-03-06T10:00")
    result = plan(project)
    assert not result.refused, messages(result)
    review = by_new(result)["site-review"]
    assert review.state is StageState.IN_PROGRESS  # type: ignore[attr-defined]
    assert review.deadline is DeadlineFate.FROM_MIGRATION  # type: ignore[attr-defined]
    events = apply_migration(
        project,
        result,
        pocket(2),
        {},
        dues={},
        actor="operator",
        now=at("2026-03-20T09:00"),
        calendar=CALENDAR,
    )
    kinds = [(e.kind, e.stage) for e in events]
    assert kinds[0] == (EventKind.PROJECT_MIGRATED, None)
    assert (EventKind.STAGE_ACTIVATED, "site-review") in kinds
    stage = project.stages["site-review"]
    assert stage.activated_at == at("2026-03-20T09:00")
    # five working days counted from the migration day (Fri 20 March → Fri 27 March)
    assert stage.deadline is not None and stage.deadline.due == dt.date(2026, 3, 27)
    # the approved work is carried under the new id, approvals and all
    moved = project.stages["design-proposal"]
    assert moved.state is StageState.APPROVED and moved.evidence == {"summary": "方案"}
    assert [a.level.value for a in moved.approvals] == ["street-office"]
    assert "briefing" not in project.stages and project.template.ref == "pocket-park@2"
    assert list(project.stages) == ["survey", "design-proposal", "site-review", "build"]


def test_a_started_stage_keeps_its_due_date_and_its_evidence() -> None:
    project = v1_project()
    finish(project, "survey", {"households": 12}, "2026-03-05T10:00")
    due = project.stages["survey"].deadline.due  # type: ignore[union-attr]
    # the new version counts the survey differently: its started clock is not reset
    new = pocket(2)
    longer = new.model_copy(
        update={
            "stages": tuple(
                s.model_copy(update={"deadline": s.deadline.model_copy(update={"calendar_days": 60})})
                if s.id == "survey"
                else s
                for s in new.stages
            )
        }
    )
    result = plan(project, longer)
    apply_migration(
        project, result, longer, {}, dues={}, actor="operator", now=at("2026-03-20T09:00"), calendar=CALENDAR
    )
    assert project.stages["survey"].deadline.due == due  # type: ignore[union-attr]
    assert project.stages["survey"].evidence == {"households": 12}


def test_a_new_set_at_start_deadline_needs_its_date() -> None:
    project = v1_project()
    new = pocket(2)
    dated = new.model_copy(
        update={
            "stages": tuple(
                s.model_copy(
                    update={
                        "deadline": s.deadline.model_copy(update={"working_days": None, "set_at_start": True})
                    }
                )
                if s.id == "site-review"
                else s
                for s in new.stages
            )
        }
    )
    assert any("needs its deadline set: --due site-review=" in m for m in messages(plan(project, dated)))
    result = plan(project, dated, dues={"site-review": dt.date(2026, 6, 1)})
    assert not result.refused, messages(result)
    assert by_new(result)["site-review"].deadline is DeadlineFate.GIVEN  # type: ignore[attr-defined]
    apply_migration(
        project,
        result,
        dated,
        {},
        dues={"site-review": dt.date(2026, 6, 1)},
        actor="operator",
        now=at("2026-03-20T09:00"),
        calendar=CALENDAR,
    )
    assert project.stages["site-review"].fixed_due == dt.date(2026, 6, 1)


def test_a_due_for_a_stage_that_takes_none_or_in_the_past_is_refused() -> None:
    project = v1_project()
    assert any(
        "is not set at the migration" in m
        for m in messages(plan(project, dues={"survey": dt.date(2026, 6, 1)}))
    )
    assert any(
        "not a stage of pocket-park@2" in m
        for m in messages(plan(project, dues={"nope": dt.date(2026, 6, 1)}))
    )


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (ProjectStatus.CANCELLED, "is cancelled"),
        (ProjectStatus.COMPLETED, "is completed"),
        (ProjectStatus.SUSPENDED, "resume it before"),
    ],
)
def test_only_a_running_project_moves(status: ProjectStatus, words: str) -> None:
    project = v1_project()
    project.status = status
    assert any(words in m for m in messages(plan(project)))


def test_the_same_an_older_or_another_template_is_refused() -> None:
    project = v1_project()
    assert messages(plan(project, pocket(1), raw=None)) == ["it already runs on pocket-park@1"]
    project2 = new_project()
    assert any(
        "moves only to another version of its own template" in m for m in messages(plan(project2, raw=None))
    )
    v2 = v1_project()
    v2.template = pocket(2)
    assert any("does not move back" in m for m in messages(plan(v2, pocket(1), raw=None)))


def test_a_joint_signing_may_get_its_parties_after_the_move() -> None:
    """accompany-service@3 has the completion acceptance signed by the developer,
    design institute, construction company and supervision (会签): a project moves to
    it before its parties are chosen, as a project starts on it without them; marking
    the acceptance done waits for them (``parties.signers_named``)."""
    project = new_project()
    v2 = build_template(
        yaml.safe_load((BUILTIN_TEMPLATES / "accompany-service-v2.yaml").read_text("utf-8")), {}
    )
    v3 = build_template(
        yaml.safe_load((BUILTIN_TEMPLATES / "accompany-service-v3.yaml").read_text("utf-8")), {}
    )
    project.template = v2
    assert not plan(project, v3, raw=None).refused
    assert parties_missing(v3, project.parties).keys() == {
        "developer",
        "design",
        "construction",
        "supervision",
    }


def test_params_the_new_version_does_not_know_are_listed_as_dropped() -> None:
    project = v1_project()
    result = plan(project, params_dropped=["legacy_days"], params_added={"review_days": 5})
    assert result.params_dropped == ("legacy_days",) and result.params_added == {"review_days": 5}
