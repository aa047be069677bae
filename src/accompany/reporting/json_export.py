"""The report as JSON, for machines: the figures as the report computed them, ids kept
(a team's name beside its id), the meta with the inputs checksum."""

from __future__ import annotations

import json
from typing import Any

from ..models.report import Report
from ..services.reports import jsonable


def _with_team_names(report: Report, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items, each whose team the directory names with a ``team_name`` beside its
    ``team`` (the export keeps the ids; a team never named has no ``team_name``)."""
    teams = report.names.get("team") or {}
    return [
        {**item, "team_name": teams[item["team"]]} if item.get("team") in teams else item for item in items
    ]


def render_json(report: Report) -> str:
    data = {
        "quarter": report.quarter,
        "period": {"start": report.period_start, "end": report.period_end},
        "cutoff": report.cutoff,
        "complete_quarter": report.complete_quarter,
        "scope": report.scope,
        "summary": report.summary,
        "rows": _with_team_names(report, report.rows),
        "worst_overdue": _with_team_names(report, report.worst_overdue),
        "returns": report.returns,
        "pauses": report.pauses,
        "extensions": report.extensions,
        "stopped": report.stopped,
        "overdue_trend": report.overdue_trend,
        "notifications_by_kind": report.notifications_by_kind,
        "meta": report.meta,
    }
    if report.satisfaction:  # residents answered a survey in the quarter (问效)
        data["satisfaction"] = {"overall": report.satisfaction_overall, "projects": report.satisfaction}
    if report.participation:  # residents took part in the quarter (问需/问计/问效, consent)
        data["participation"] = {"overall": report.participation_overall, "rows": report.participation}
    return json.dumps(jsonable(data), ensure_ascii=False, indent=2)
