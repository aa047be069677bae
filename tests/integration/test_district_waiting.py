"""A stage passed on to the district: how long it has waited there, on the district's
我的待办 — counted from the street office's approval that passed it on, not from the
planner's submission (周昕 read 3 working days where the district had waited 2) —
and, on the decide page, what the street office decided and said."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update

from accompany.bootstrap import App
from accompany.clock import parse_moment
from accompany.db.orm import StageRow
from accompany.services import commands
from accompany.services.commands import DecideApproval
from accompany.services.my_work import my_work
from accompany.web.app import create_web_app

from ..web_support import sign_in, visible_text, with_passwords
from .test_services import survey_done


def _person(app: App, person_id: str):  # type: ignore[no-untyped-def]
    with app.reader() as uow:
        return uow.people.get(person_id)


def _passed_to_district(people: App, project_id: int, evidence_file: Path) -> None:
    people.clock.moment = parse_moment("2026-03-20T10:00")  # type: ignore[attr-defined]  # a Friday
    survey_done(people, project_id, evidence_file)
    people.clock.moment = parse_moment("2026-03-25T11:00")  # type: ignore[attr-defined]  # Wednesday
    commands.decide_approval(
        people,
        DecideApproval(
            project_id=project_id,
            stage="needs-survey",
            by="zhaoy",
            decision="approve",
            comment="同意，请区里把关",
        ),
    )
    # the built-in template's first stage needs the street office only: here it goes
    # on to the district, as completion-acceptance does after the street office
    with people.uow() as uow:
        uow.session.execute(
            update(StageRow)
            .where(StageRow.project_id == project_id, StageRow.key == "needs-survey")
            .values(state="submitted", waiting_for="district", approved_at=None)
        )
        uow.commit()
    people.clock.moment = parse_moment("2026-03-30T10:00")  # type: ignore[attr-defined]  # Monday


def test_the_district_reads_the_street_offices_decision_before_its_own(
    people: App, project_id: int, evidence_file: Path
) -> None:
    _passed_to_district(people, project_id, evidence_file)
    district = sign_in(create_web_app(with_passwords(people, "zhoux")), "zhoux")
    page = district.get(f"/projects/{project_id}/stages/needs-survey/decide")
    shown = visible_text(page.text)
    assert page.status_code == 200, shown
    assert "通过 街道办事处 · 赵阳 · 2026-03-25 11:00" in shown and "同意，请区里把关" in shown, shown


def test_the_district_waits_from_the_street_offices_approval(
    people: App, project_id: int, evidence_file: Path
) -> None:
    _passed_to_district(people, project_id, evidence_file)
    [item] = my_work(people, _person(people, "zhoux")).to_decide
    assert item.submitted_at is not None and item.submitted_at.date().isoformat() == "2026-03-20"
    # 03-26, 03-27 and 03-30 since the street office passed it on (not 6 since the submission)
    assert item.waiting_working_days == 3
