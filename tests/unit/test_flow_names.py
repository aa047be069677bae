"""The names Prefect shows for flow runs say what each run is for (a scheduled sweep
was named "send-reminders None")."""

from __future__ import annotations

import datetime as dt

import pytest

from accompany.flows.app import run_day
from accompany.flows.reminders import send_reminders_flow, sweep_run_name
from accompany.flows.reports import quarterly_report_flow, report_run_name

SCHEDULED = dt.datetime(2026, 4, 9, 1, 0, tzinfo=dt.UTC)  # 09:00 in Beijing


def test_a_run_is_named_by_the_day_it_acts_for() -> None:
    assert run_day(None, SCHEDULED) == "2026-04-09"
    assert run_day(dt.datetime(2026, 4, 9, 17, 0, tzinfo=dt.UTC), SCHEDULED) == "2026-04-10"  # Beijing's day
    assert run_day("2026-04-11T09:00", SCHEDULED) == "2026-04-11"  # a parameter as the API gives it


def test_the_flows_name_their_runs_without_none(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.runtime import flow_run

    # a scheduled run: no parameters, a scheduled start
    monkeypatch.setitem(flow_run.FIELDS, "scheduled_start_time", lambda: SCHEDULED)
    monkeypatch.setitem(flow_run.FIELDS, "parameters", lambda: {"now": None, "quarter": None})
    assert send_reminders_flow.flow_run_name is sweep_run_name
    assert sweep_run_name() == "send-reminders 2026-04-09"
    assert quarterly_report_flow.flow_run_name is report_run_name
    assert report_run_name() == "quarterly-compliance-report 2026-04-09"
    monkeypatch.setitem(flow_run.FIELDS, "parameters", lambda: {"quarter": "2026Q1"})
    assert report_run_name() == "quarterly-compliance-report 2026Q1"
