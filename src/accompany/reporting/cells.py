"""Each value as the reader reads it, the same in every format: names for the ids (a
district, street, team, person, stage), words for report values (an extension's
outcome, yes/no), the rows of the satisfaction and participation tables, dates as text;
and the one rule every cell of a CSV or workbook passes (formula-like text stays text)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..models.consent import RULE_LABELS, VERDICT_LABELS, Rule
from ..models.delegation import on_behalf_label
from ..models.report import Report
from .columns import PARTICIPATION_COLUMNS, ROW_LEVELS, SATISFACTION_COLUMNS


def satisfaction_rows(report: Report, lang: str) -> list[list[Any]]:
    """One row per evaluated project, then the overall row (全部 / all): each
    dimension's average over every household that answered."""
    rows = [
        [_list_cell("satisfaction", key, item, lang, report) for key, _, _ in SATISFACTION_COLUMNS]
        for item in report.satisfaction
    ]
    overall = report.satisfaction_overall
    if overall:
        label = "全部" if lang == "zh" else "all"
        rows.append(
            [None, label, None, None, None, *(overall.get(key) for key, _, _ in SATISFACTION_COLUMNS[5:])]
        )
    return rows


def _participation_cell(key: str, item: dict[str, Any], lang: str, report: Report) -> Any:
    value = item.get(key)
    if key == "level":
        return ROW_LEVELS[lang].get(value, value)
    if key in ("district", "street"):
        return _name(report, key, value, lang)
    if key == "consent_rule" and value:
        return RULE_LABELS[Rule(value)].text(lang)
    if key == "consent_passed":
        if item["level"] == "project":
            return None if value is None else VERDICT_LABELS[bool(value)].text(lang)
        # a total: how many of the projects that voted passed
        voted = item.get("consent_projects") or 0
        if not voted:
            return None
        return f"{value}/{voted} {'通过' if lang == 'zh' else 'passed'}"
    return value


def participation_rows(report: Report, lang: str) -> list[list[Any]]:
    """The overall row (全部 / all), then each district, street and project."""
    items = [{"level": "all", **report.participation_overall}, *report.participation]
    return [
        [_participation_cell(key, item, lang, report) for key, _, _ in PARTICIPATION_COLUMNS]
        for item in items
    ]


#: a stopped project's state as the reader reads it (the report is built without the catalogue)
PROJECT_STATE_NAMES = {
    "zh": {"suspended": "已暂停", "cancelled": "已取消"},
    "en": {"suspended": "suspended", "cancelled": "cancelled"},
}


#: report values as the reader reads them (the report is built without the catalogue)
VALUE_NAMES = {
    "zh": {
        # an extension's outcome in the web pages' words (labels.EXTENSION_STATUSES)
        "granted": "已批准",
        "refused": "已驳回",
        "requested": "待审批",
        "withdrawn": "已撤销：已重新征询",
        "lapsed": "已撤销：阶段已提交或项目已取消",
        "street-office": "街道办事处",
        "district": "区规划分局",
        True: "是",
        False: "否",
    },
    "en": {
        "lapsed": "withdrawn (the stage closed first)",
        "street-office": "street office",
        "district": "district",
        True: "yes",
        False: "no",
    },
}
#: list columns holding an id, and the kind of name shown for it
NAMED_COLUMNS = {
    "district": "district",
    "street": "street",
    "team": "team",
    "planner": "person",
    "by": "person",
    "stage": "stage",
}


def _name(report: Report, kind: str, value: Any, lang: str = "zh") -> Any:
    if kind == "stage" and lang != "zh":
        kind = "stage_en"
    if value is None:
        return None
    if kind == "team" and str(value).startswith("(") and str(value).endswith(")"):
        # a planner without a team counts as "(their id)": shown as "(their name)"
        planner = str(value)[1:-1]
        return f"({report.names.get('person', {}).get(planner, planner)})"
    # a team the directory never named is shown by its id
    return report.names.get(kind, {}).get(value, value)


def _value(value: Any, lang: str) -> Any:
    if isinstance(value, bool | str):
        return VALUE_NAMES.get(lang, {}).get(value, value)
    return value


def _list_cell(name: str, key: str, item: dict[str, Any], lang: str, report: Report | None = None) -> Any:
    value = item.get(key)
    if name == "stopped" and key == "status":
        return PROJECT_STATE_NAMES.get(lang, PROJECT_STATE_NAMES["en"]).get(value, value)
    if key == "by" and item.get("on_behalf_of"):
        # a substitute's decision: 李静（代 赵阳） / 李静 (for 赵阳)
        by, behalf = str(value), str(item["on_behalf_of"])
        if report is not None and key in NAMED_COLUMNS:
            by = str(_name(report, NAMED_COLUMNS[key], by, lang))
            behalf = str(_name(report, NAMED_COLUMNS[key], behalf, lang))
        return on_behalf_label(by, behalf, lang)
    if report is not None and key in NAMED_COLUMNS:
        return _name(report, NAMED_COLUMNS[key], value, lang)
    if key in ("status", "level"):
        return _value(value, lang)
    return value


def _row_names(report: Report, row: dict[str, Any]) -> dict[str, Any]:
    """A figures row with names for its district, street, team and (district/street/team
    level) name; a project's key as a number."""
    named = dict(row)
    named["district"] = _name(report, "district", row["district"])
    named["street"] = _name(report, "street", row["street"])
    named["team"] = _name(report, "team", row["team"])
    if row["level"] in ("district", "street"):
        named["name"] = _name(report, row["level"], row["key"])
    elif row["level"] == "team":
        named["name"] = named["team"]
    if row["level"] == "project" and str(row["key"]).isdigit():
        named["key"] = int(row["key"])
    return named


#: what a spreadsheet reads as the start of a formula (OWASP "CSV injection"): a text
#: cell starting with one of these must reach the reader as text
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: Any) -> bool:
    """A text value a spreadsheet would run as a formula (``=HYPERLINK(…)``,
    ``+1+1``, ``@SUM(A1)``, ``-2+3``, a tab or carriage return first). Numbers,
    negative ones too, are not text and stay numbers."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def neutralised(value: Any) -> Any:
    """The one rule both writers apply to every cell: formula-like text gets a single
    quote in front (the OWASP rule for CSV); the XLSX writer also stores it as a
    string cell, never a formula (see :func:`.xlsx_workbook._xlsx_cell`)."""
    return "'" + value if formula_like(value) else value


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
