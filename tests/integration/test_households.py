"""The household register through the service layer (SQLite and PostgreSQL): an
all-or-nothing load, a re-load that replaces the register and keeps the codes of
homes already in it, purges on request and after the retention period, each with
its audit event (counts only — no contact or code in the append-only log)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select, update

from accompany.bootstrap import App
from accompany.db.orm import EventRow, HouseholdRow, ProjectRow
from accompany.models.errors import NotFound, PermissionDenied
from accompany.services import households
from accompany.services.audit import verify_log

from ..web_support import snapshot

HEADER = ["楼号", "单元", "房号", "建筑面积", "业主人数", "联系方式"]
ROWS = [
    ["3", "2", "501", "56.8", "2", "13812345678"],
    ["3", "2", "502", "60", "1", ""],
    ["4", "1", "101", "72.5", "3", "010-65123456"],
]


def _rows(app: App) -> list[HouseholdRow]:
    with app.reader() as uow:
        return list(uow.session.scalars(select(HouseholdRow).order_by(HouseholdRow.position)))


def _events(app: App, kind: str) -> list[EventRow]:
    with app.reader() as uow:
        return list(uow.session.scalars(select(EventRow).where(EventRow.kind == kind).order_by(EventRow.id)))


def test_a_register_with_one_bad_row_loads_nothing(people: App, project_id: int) -> None:
    before = snapshot(people)
    with pytest.raises(households.RegisterRejected) as rejected:
        households.load_register(
            people, project_id, HEADER, [*ROWS, ["4", "1", "101", "0", "1", ""]], by="zhangl"
        )
    assert {(b.row, b.column) for b in rejected.value.check.bad} == {(5, "房号"), (5, "建筑面积")}
    assert snapshot(people) == before and _rows(people) == []


def test_load_then_reload_replaces_and_keeps_the_codes_of_known_homes(people: App, project_id: int) -> None:
    first = households.load_register(people, project_id, HEADER, ROWS, by="zhangl")
    assert (first.households, first.with_contact, first.replaced) == (3, 2, 0)
    codes = {(r.building, r.unit, r.room): r.code for r in _rows(people)}
    assert len(set(codes.values())) == 3
    view = households.register_view(people, project_id)
    assert [h.contact for h in view.households] == ["138****5678", "", "010****3456"]
    assert (view.total_owners, view.total_area_m2) == (6, 189.3)
    assert "13812345678" not in view.model_dump_json()
    assert all(code not in view.model_dump_json() for code in codes.values())

    # the planner re-loads: 3-2-502 left, 5-1-201 came
    again = households.load_register(
        people, project_id, HEADER, [ROWS[0], ROWS[2], ["5", "1", "201", "88", "2", ""]], by="wangrb"
    )
    assert (again.households, again.replaced, again.codes_kept) == (3, 3, 2)
    now = {(r.building, r.unit, r.room): r.code for r in _rows(people)}
    assert now[("3", "2", "501")] == codes[("3", "2", "501")] and ("3", "2", "502") not in now
    assert now[("5", "1", "201")] not in codes.values()

    loaded = _events(people, "households.loaded")
    assert [(e.actor, e.data["households"], e.data["replaced"]) for e in loaded] == [
        ("zhangl", 3, 0),
        ("wangrb", 3, 3),
    ]
    log = json.dumps([e.data for e in loaded])
    assert "13812345678" not in log and all(code not in log for code in now.values())
    assert verify_log(people).intact


def test_slips_carry_the_code_and_the_public_url(people: App, project_id: int) -> None:
    households.load_register(people, project_id, HEADER, ROWS, by="zhangl")
    sheet = households.slip_sheet(people, project_id, by="wangrb")
    assert [s.label for s in sheet.slips] == ["3-2-501", "3-2-502", "4-1-101"]
    first = sheet.slips[0]
    assert first.url == f"http://127.0.0.1:8000/public/projects/{project_id}?code={first.code}"


def test_only_the_coordinator_or_the_planner(people: App, project_id: int) -> None:
    before = snapshot(people)
    for person in ("zhaoy", "chenm"):
        with pytest.raises(PermissionDenied):
            households.load_register(people, project_id, HEADER, ROWS, by=person)
        with pytest.raises(PermissionDenied):
            households.purge(people, project_id, by=person)
    # another district's coordinator: the project does not exist for her
    with pytest.raises(NotFound):
        households.load_register(people, project_id, HEADER, ROWS, by="maf")
    with pytest.raises(NotFound):
        households.purge(people, project_id, by="maf")
    with pytest.raises(NotFound):
        households.load_register(people, 999, HEADER, ROWS, by="zhangl")
    assert snapshot(people) == before


def test_purge_contacts_only_then_all(people: App, project_id: int) -> None:
    households.load_register(people, project_id, HEADER, ROWS, by="zhangl")
    contacts = households.purge(people, project_id, by="wangrb", contacts_only=True)
    assert (contacts.households, contacts.contacts) == (3, 2)
    assert [r.contact for r in _rows(people)] == [None, None, None] and len(_rows(people)) == 3
    whole = households.purge(people, project_id, by="zhangl")
    assert whole.households == 3 and _rows(people) == []
    purged = _events(people, "households.purged")
    assert [(e.data["contacts_only"], e.data["reason"]) for e in purged] == [
        (True, "request"),
        (False, "request"),
    ]


def test_registers_are_deleted_after_the_retention_period(people: App, project_id: int) -> None:
    households.load_register(people, project_id, HEADER, ROWS, by="zhangl")
    assert households.purge_expired(people) == []  # the project runs: kept
    completed = people.now() - dt.timedelta(days=people.settings.household_retention_days - 1)
    with people.uow() as uow:
        uow.session.execute(
            update(ProjectRow)
            .where(ProjectRow.id == project_id)
            .values(status="completed", completed_at=completed)
        )
        uow.commit()
    assert households.purge_expired(people) == []  # one day short
    view = households.register_view(people, project_id)
    assert view.retention_ends == completed + dt.timedelta(days=people.settings.household_retention_days)
    people.clock.moment = people.now() + dt.timedelta(days=2)  # type: ignore[attr-defined]
    [report] = households.purge_expired(people)
    assert (report.project_id, report.households) == (project_id, 3) and _rows(people) == []
    [event] = _events(people, "households.purged")
    assert (event.actor, event.data["reason"]) == ("system", "retention")
