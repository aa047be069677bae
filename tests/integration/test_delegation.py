"""Delegation (代理审批) on a real database (SQLite, and PostgreSQL when set): a
substitute decides in the delegator's place during the range, both names recorded;
refused outside it; the reminders reach the substitute."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from accompany.bootstrap import App
from accompany.clock import FixedClock, parse_moment
from accompany.db.orm import NotificationRow
from accompany.models.errors import Conflict, InvalidInput, PermissionDenied
from accompany.services import commands
from accompany.services.commands import DecideApproval, DecideExtension, RequestExtension
from accompany.services.delegation import delegate, end_delegation, list_delegations
from accompany.services.queries import show_project
from accompany.services.reminders import sweep

from .test_services import survey_done


def audiences(app: App) -> list[str]:
    with app.reader() as uow:
        return list(uow.session.scalars(select(NotificationRow.audience).order_by(NotificationRow.id)))


def zhaoy_away(app: App) -> int:
    """赵阳 (street office of 太阳宫) names 李静 (street office of 酒仙桥) for 5–20 March."""
    return delegate(
        app,
        "zhaoy",
        to="lij",
        starts_on=dt.date(2026, 3, 5),
        ends_on=dt.date(2026, 3, 20),
        by="zhaoy",
        reason="出差",
    )


def test_the_substitute_approves_during_the_range_with_both_names_recorded(
    people: App, project_id: int, clock: FixedClock, evidence_file: Path
) -> None:
    delegation_id = zhaoy_away(people)
    clock.moment = parse_moment("2026-03-10T09:00")
    survey_done(people, project_id, evidence_file)
    # the submission's notice to the street office reaches the substitute in person too
    assert "street-office:taiyanggong" in audiences(people)
    assert "person:lij" in audiences(people)
    clock.moment = parse_moment("2026-03-11T09:00")
    outcome = commands.decide_approval(
        people, DecideApproval(project_id=project_id, stage="needs-survey", by="lij", decision="approve")
    )
    assert outcome.events[0].actor == "lij"
    assert outcome.events[0].data["on_behalf_of"] == "zhaoy"
    detail = show_project(people, project_id, with_events=True)
    assert detail.stages[0].state == "approved"
    approved = [e for e in detail.events if e.kind == "stage.approved"]
    assert approved[0].actor_name == "李静（代 赵阳）"
    # the delegator still decides for themself
    views = list_delegations(people, "lij")
    assert [(v.id, v.status) for v in views] == [(delegation_id, "in effect")]


def test_refused_outside_the_range_and_once_ended(
    people: App, project_id: int, clock: FixedClock, evidence_file: Path
) -> None:
    delegation_id = zhaoy_away(people)
    clock.moment = parse_moment("2026-03-04T09:00")
    survey_done(people, project_id, evidence_file)
    decision = DecideApproval(project_id=project_id, stage="needs-survey", by="lij", decision="approve")
    with pytest.raises(PermissionDenied, match="李静 is not the street office of 太阳宫街道"):
        commands.decide_approval(people, decision)
    clock.moment = parse_moment("2026-03-06T09:00")
    end_delegation(people, delegation_id, by="zhaoy")
    with pytest.raises(PermissionDenied):
        commands.decide_approval(people, decision)
    assert show_project(people, project_id).stages[0].state == "submitted"
    assert list_delegations(people)[0].status == "ended"


def test_the_substitute_decides_an_extension_and_hears_the_sweep(
    people: App, project_id: int, clock: FixedClock, evidence_file: Path
) -> None:
    zhaoy_away(people)
    clock.moment = parse_moment("2026-03-05T09:00")
    commands.request_extension(
        people,
        RequestExtension(
            project_id=project_id, stage="needs-survey", by="wangrb", working_days=5, reason="雨季"
        ),
    )
    outcome = commands.decide_extension(
        people, DecideExtension(project_id=project_id, stage="needs-survey", by="lij", grant=True)
    )
    assert outcome.events[0].data["on_behalf_of"] == "zhaoy"
    survey_done(people, project_id, evidence_file)
    clock.moment = parse_moment("2026-03-20T09:00")
    result = sweep(people)
    street = [i for i in result.intents if i.audience == "street-office:taiyanggong"]
    copies = [i for i in result.intents if i.audience == "person:lij"]
    assert street and len(copies) == len(street)
    # after the range, no copy
    clock.moment = parse_moment("2026-03-23T09:00")
    assert not [i for i in sweep(people, dry_run=True).intents if i.audience == "person:lij"]


def test_naming_a_substitute_is_checked(people: App) -> None:
    with pytest.raises(InvalidInput, match="their own substitute"):
        delegate(
            people,
            "zhaoy",
            to="zhaoy",
            starts_on=dt.date(2026, 3, 5),
            ends_on=dt.date(2026, 3, 6),
            by="zhaoy",
        )
    with pytest.raises(InvalidInput, match="another district"):
        delegate(
            people, "zhaoy", to="guoj", starts_on=dt.date(2026, 3, 5), ends_on=dt.date(2026, 3, 6), by="zhaoy"
        )
    zhaoy_away(people)
    with pytest.raises(Conflict, match="already names 李静"):
        delegate(
            people, "zhaoy", to="sunh", starts_on=dt.date(2026, 3, 6), ends_on=dt.date(2026, 3, 7), by="zhaoy"
        )
    assert len(list_delegations(people)) == 1


def test_the_report_names_both_for_a_substitutes_return(
    people: App, project_id: int, clock: FixedClock, evidence_file: Path
) -> None:
    from accompany.models.report import Quarter
    from accompany.reporting import render_html
    from accompany.services.reports import quarterly_report

    zhaoy_away(people)
    clock.moment = parse_moment("2026-03-10T09:00")
    survey_done(people, project_id, evidence_file)
    commands.decide_approval(
        people,
        DecideApproval(
            project_id=project_id, stage="needs-survey", by="lij", decision="return", comment="补充停车点位"
        ),
    )
    clock.moment = parse_moment("2026-03-31T18:00")
    report = quarterly_report(people, Quarter.parse("2026Q1"), district="chaoyang")
    [entry] = report.returns
    assert (entry["by"], entry["on_behalf_of"]) == ("lij", "zhaoy")
    # the report names people (both names of a substitute's decision)
    assert "李静（代 赵阳）" in render_html(report, "zh")
    assert "李静 (for 赵阳)" in render_html(report, "en")
