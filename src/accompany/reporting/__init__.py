"""Writing a quarterly report: XLSX (a sheet per level and a summary — street offices
live in Excel), HTML with charts that need no network, CSV and JSON for machines.
Chinese headers by default, English available."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..models.calendar import UNKNOWN_YEAR
from ..models.consent import RULE_LABELS, VERDICT_LABELS, Rule
from ..models.delegation import on_behalf_label
from ..models.report import Report, quarter_name
from ..services.reports import jsonable

FIGURES: list[tuple[str, str, str]] = [
    ("projects_active", "在建项目", "projects active"),
    ("projects_started", "本季启动", "started"),
    ("projects_completed", "本季完成", "completed"),
    ("stages_due", "本季到期阶段", "stages due"),
    ("stages_closed_on_time", "按时完成", "closed on time"),
    ("on_time_rate", "按时率", "on-time rate"),
    ("overdue_now", "当前逾期", "overdue now"),
    ("overdue_working_days_max", "最长逾期(工作日)", "max working days overdue"),
    ("phase_before_done", "问需完成", "问需 done"),
    ("phase_during_done", "问计完成", "问计 done"),
    ("phase_after_done", "问效完成", "问效 done"),
    ("completed_with_all_phases", "三阶段齐全的完成项目", "completed with all three phases"),
    ("households_interviewed", "入户访谈户数", "households interviewed"),
    ("observation_days", "驻场观察天数", "observation days"),
    ("sessions_held", "宣讲场次", "presentation sessions"),
    ("attendees", "参与人数", "attendees"),
    ("households_surveyed", "征询户数", "households surveyed"),
    ("households_consenting", "同意户数", "households consenting"),
    ("consent_ratio", "同意率", "consent ratio"),
    ("respondents", "评估样本", "evaluation respondents"),
    ("satisfaction_pct", "满意度(%)", "satisfaction %"),
    ("decisions", "审批决定", "decisions"),
    ("approval_latency_median", "审批用时中位数(工作日)", "approval latency median (WD)"),
    ("approval_latency_p90", "审批用时P90(工作日)", "approval latency p90 (WD)"),
    ("returns", "退回次数", "returns"),
    ("reminders_sent", "提醒", "reminders sent"),
    ("escalations_sent", "督办/升级", "escalations sent"),
    ("pauses", "计时暂停", "clock pauses"),
    ("extensions_requested", "延期申请", "extensions requested"),
    ("extensions_granted", "延期批准", "extensions granted"),
]
LEVEL_NAMES = {
    "zh": {"district": "区", "street": "街道", "team": "规划师团队", "project": "项目"},
    "en": {"district": "districts", "street": "streets", "team": "planner teams", "project": "projects"},
}
IDENTITY = {
    "zh": {"district": "区", "street": "街道", "team": "团队", "key": "编号", "name": "名称"},
    "en": {"district": "district", "street": "street", "team": "team", "key": "key", "name": "name"},
}
LIST_COLUMNS = {
    "worst_overdue": [
        ("project_id", "项目编号", "project"),
        ("project", "项目", "name"),
        ("district", "区", "district"),
        ("street", "街道", "street"),
        ("team", "团队", "team"),
        ("planner", "责任规划师", "planner"),
        ("stage", "阶段", "stage"),
        ("due", "截止", "due"),
        ("working_days_overdue", "逾期(工作日)", "WD overdue"),
    ],
    "returns": [
        ("at", "时间", "when"),
        ("project_id", "项目编号", "project"),
        ("project", "项目", "name"),
        ("street", "街道", "street"),
        ("stage", "阶段", "stage"),
        ("level", "审批层级", "level"),
        ("by", "退回人", "by"),
        ("reason", "退回原因", "reason"),
    ],
    "pauses": [
        ("at", "暂停时间", "paused at"),
        ("project_id", "项目编号", "project"),
        ("project", "项目", "name"),
        ("stage", "阶段", "stage"),
        ("by", "操作人", "by"),
        ("reason", "原因", "reason"),
        ("resumed_at", "恢复时间", "resumed at"),
        ("paused_working_days", "暂停工作日", "WD paused"),
    ],
    "extensions": [
        ("at", "申请时间", "asked at"),
        ("project_id", "项目编号", "project"),
        ("project", "项目", "name"),
        ("stage", "阶段", "stage"),
        ("by", "申请人", "by"),
        ("working_days", "申请工作日", "WD asked"),
        ("reason", "理由", "reason"),
        ("status", "结果", "status"),
        ("granted_days", "批准工作日", "WD granted"),
        ("decision", "意见", "comment"),
    ],
    "stopped": [
        ("project_id", "项目编号", "project"),
        ("project", "项目", "name"),
        ("street", "街道", "street"),
        ("planner", "责任规划师", "planner"),
        ("status", "状态", "state"),
        ("since", "起始时间", "since"),
        ("reason", "原因", "reason"),
    ],
}
#: residents' satisfaction per evaluated project (问效; a sheet only when there are answers)
SATISFACTION_COLUMNS = [
    ("project_id", "项目编号", "project"),
    ("project", "项目", "name"),
    ("district", "区", "district"),
    ("street", "街道", "street"),
    ("households", "住户数", "households"),
    ("respondents", "答卷户数", "respondents"),
    ("content", "改造内容平均分", "content (average)"),
    ("process", "改造过程平均分", "process (average)"),
    ("management", "长效管理平均分", "long-term management (average)"),
    ("satisfied", "满意户数", "satisfied households"),
    ("satisfaction_pct", "满意度(%)", "satisfaction %"),
]
SATISFACTION_SHEET = {"zh": "居民满意度", "en": "residents' satisfaction"}


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


#: residents' participation per project, street and district (a sheet only with residents' data)
PARTICIPATION_COLUMNS = [
    ("level", "层级", "level"),
    ("district", "区", "district"),
    ("street", "街道", "street"),
    ("project_id", "项目编号", "project"),
    ("project", "项目", "name"),
    ("households", "登记户数", "households in the register"),
    ("needs_households", "问需答卷户数", "问需: households answered"),
    ("needs_rate_pct", "问需回应率(%)", "问需 response rate %"),
    ("during_households", "问计意见或表决户数", "问计: households commented or voted"),
    ("during_rate_pct", "问计参与率(%)", "问计 response rate %"),
    ("satisfaction_households", "问效答卷户数", "问效: households answered"),
    ("satisfaction_rate_pct", "问效回应率(%)", "问效 response rate %"),
    ("comments", "意见条数", "comments"),
    ("objections", "异议条数", "objections"),
    ("answered", "已答复条数", "answered"),
    ("consent_rule", "表决规则", "consent rule"),
    ("consent_ballots", "参与表决户数", "households voted"),
    ("participating_area_pct", "参与表决面积占总面积(%)", "participating area % of total"),
    ("participating_owners_pct", "参与表决人数占总人数(%)", "participating owners % of total"),
    ("agreeing_area_pct", "同意面积占参与面积(%)", "agreeing area % of participating"),
    ("agreeing_owners_pct", "同意人数占参与人数(%)", "agreeing owners % of participating"),
    ("consent_passed", "表决结果", "consent verdict"),
]
PARTICIPATION_SHEET = {"zh": "居民参与", "en": "Residents' participation"}
#: what each participation figure counts (models/participation.py): the quarter's own
#: activity (first answers, comments and ballots inside the quarter, up to the cut-off),
#: every ballot since the project began up to the cut-off (the consent tally), or the
#: register as it stands at the cut-off — the headers say which (a reader could not tell
#: a quarter's 问计 households from the running count of ballots beside them)
PARTICIPATION_PERIODS = {
    "households": "cut-off",
    **dict.fromkeys(
        (
            "needs_households",
            "needs_rate_pct",
            "during_households",
            "during_rate_pct",
            "satisfaction_households",
            "satisfaction_rate_pct",
            "comments",
            "objections",
            "answered",
        ),
        "quarter",
    ),
    **dict.fromkeys(
        (
            "consent_ballots",
            "participating_area_pct",
            "participating_owners_pct",
            "agreeing_area_pct",
            "agreeing_owners_pct",
            "consent_passed",
        ),
        "cumulative",
    ),
}
PERIOD_SUFFIXES = {
    "zh": {"quarter": "（本季度）", "cumulative": "（截至数据截止累计）", "cut-off": "（截至数据截止）"},
    "en": {
        "quarter": " (this quarter)",
        "cumulative": " (cumulative to the cut-off)",
        "cut-off": " (at the cut-off)",
    },
}
#: the line under the participation table (HTML, XLSX) saying what the two kinds mean
PARTICIPATION_NOTE = {
    "zh": "注：标“本季度”的列只计本季度内（季度开始至数据截止）的首次答卷、意见和投票"
    "（已答复：其中至数据截止已答复的）；标“截至数据截止累计”的列计项目开始以来至数据截止的"
    "全部表决（每户以截止前最后一票为准）；登记户数为数据截止时的登记册。",
    "en": "Note: “this quarter” columns count only what happened in the quarter (from its start "
    "to the cut-off): first answers, comments and ballots (answered: those of them answered by "
    "the cut-off); “cumulative to the cut-off” columns count every ballot since the project "
    "began, up to the cut-off (each household's latest); households in the register: the "
    "register at the cut-off.",
}


def participation_headers(lang: str) -> list[str]:
    """The participation table's headers, each figure's saying what it counts."""
    suffixes = PERIOD_SUFFIXES["zh" if lang == "zh" else "en"]
    return [
        (zh if lang == "zh" else en)
        + (suffixes[PARTICIPATION_PERIODS[key]] if key in PARTICIPATION_PERIODS else "")
        for key, zh, en in PARTICIPATION_COLUMNS
    ]


#: what a row counts (the CSVs' first column, the participation sheet's level)
ROW_LEVELS = {
    "zh": {"all": "全部", "district": "区", "street": "街道", "team": "团队", "project": "项目"},
    "en": {"all": "all", "district": "district", "street": "street", "team": "team", "project": "project"},
}
#: the CSV's first column, naming what a row counts (a Chinese reader's words in zh)
LEVEL_HEADER = {"zh": "层级", "en": "level"}


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
#: figures that are ratios (shown as percentages)
RATES = {"on_time_rate", "consent_ratio"}


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


def _percent(value: Any) -> Any:
    return f"{value:.1%}" if isinstance(value, float) else value


SHEETS = {
    "zh": {
        "summary": "汇总",
        "stopped": "暂停与取消的项目",
        "worst_overdue": "逾期事项",
        "returns": "退回",
        "pauses": "计时暂停",
        "extensions": "延期",
        "about": "说明",
    },
    "en": {
        "summary": "summary",
        "stopped": "suspended, cancelled",
        "worst_overdue": "worst overdue",
        "returns": "returns",
        "pauses": "paused clocks",
        "extensions": "extensions",
        "about": "about",
    },
}


def _label(figure: str, lang: str) -> str:
    for key, zh, en in FIGURES:
        if key == figure:
            return zh if lang == "zh" else en
    return figure


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
    string cell, never a formula (see :func:`_xlsx_cell`)."""
    return "'" + value if formula_like(value) else value


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


#: a year's holidays the calendar does not know (models/calendar.py), as the reader reads it
UNKNOWN_CALENDAR_YEAR = UNKNOWN_YEAR
UNKNOWN_CALENDAR_YEAR_NAMES = {"zh": "未知：仅按周一至周五计算（暂定）", "en": UNKNOWN_CALENDAR_YEAR}


def _calendar_source(source: str, lang: str) -> str:
    """A year's holiday data as the reader reads it: where it comes from, and its
    checksum labelled as one (the inputs' meta keeps ``chinese-calendar 1.11.0
    #ffe7b2168251``, which the inputs checksum hashes)."""
    if source == UNKNOWN_CALENDAR_YEAR:
        return UNKNOWN_CALENDAR_YEAR_NAMES.get(lang, source)
    origin, mark, digest = source.rpartition(" #")
    if not (mark and origin and digest.isalnum()):
        return source
    if lang == "zh":
        return f"来源：{origin}（数据校验码：{digest}）"
    return f"source: {origin} (data checksum: {digest})"


def _template_name(report: Report, ref: str, lang: str) -> str:
    """A template as the web names it: 责任规划师陪伴式服务 第 1 版 (not accompany-service@1)."""
    template, _, version = ref.rpartition("@")
    if not template or not version.isdigit():
        return ref
    names = report.names.get("template_en" if lang != "zh" else "template", {})
    name = names.get(template, template)
    return f"{name} 第 {version} 版" if lang == "zh" else f"{name}, version {version}"


def _about(report: Report, lang: str) -> list[tuple[str, Any]]:
    """The report's about section, as people read it (2026年第一季度, the templates by
    name and version, the calendar's state in words)."""
    zh = lang == "zh"
    meta = report.meta
    # named as people read them (朝阳区 · 太阳宫街道), not district=chaoyang
    scope = " · ".join(str(_name(report, k, v, lang)) for k, v in report.scope.items() if v) or (
        "全市" if zh else "all"
    )
    return [
        ("季度" if zh else "quarter", quarter_name(report.quarter, lang)),
        ("期间" if zh else "period", f"{report.period_start} — {report.period_end}"),
        ("范围" if zh else "scope", scope),
        ("数据截止（北京时间）" if zh else "data cut-off (Beijing time)", _cell(report.cutoff)),
        ("季度是否已结束" if zh else "quarter complete", _value(report.complete_quarter, lang)),
        ("生成时间" if zh else "generated at", _cell(meta.get("generated_at"))),
        ("读取事件数" if zh else "events read", meta.get("events_read")),
        (
            "本季补录事件数（事后补记，记录时间晚于发生时间）"
            if zh
            else "back-dated events in the quarter (recorded later)",
            meta.get("backdated_events", 0),
        ),
        ("输入校验和 (SHA-256)" if zh else "inputs checksum (SHA-256)", meta.get("inputs_sha256")),
        (
            "流程模板" if zh else "templates",
            ("；" if zh else "; ").join(
                _template_name(report, ref, lang) for ref in meta.get("templates", [])
            ),
        ),
        *(
            (
                f"{'节假日数据' if zh else 'calendar'} {year}",
                _calendar_source(source, lang),
            )
            for year, source in meta.get("calendar", {}).items()
        ),
    ]


# -- JSON and CSV -------------------------------------------------------------------------


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


#: the CSV's rate columns in percent, the unit in the header (按时率(%) 77.78) like
#: 满意度(%): the figures (the JSON export, the workbook) keep the fractions
CSV_PERCENT_HEADERS = {
    "on_time_rate": ("按时率(%)", "on-time rate %"),
    "consent_ratio": ("同意率(%)", "consent ratio %"),
}


def _csv_header(figure: str, lang: str) -> str:
    if figure in CSV_PERCENT_HEADERS:
        zh, en = CSV_PERCENT_HEADERS[figure]
        return zh if lang == "zh" else en
    return _label(figure, lang)


def _csv_figure(figure: str, value: Any) -> Any:
    if figure in RATES and isinstance(value, int | float) and not isinstance(value, bool):
        return round(value * 100, 2)
    return value


#: the CSV's key column: the row's id (chaoyang, taiyanggong/tsinghua-tyg, a project's
#: number), kept to join the rows with the JSON export and across quarters; the
#: header says it is a code (编号 read as a name column), the 名称 column next to it
#: names the row
CSV_KEY_HEADER = {"zh": "代码", "en": "key"}


def render_csv(report: Report, lang: str = "zh") -> str:
    """One row per district, street, team and project (a ``level`` column), after a
    summary row; a plain table (no comment line): the cut-off and checksum are in
    :func:`render_csv_about` (a file of its own, or a section after a blank line on stdout)."""
    out = io.StringIO()
    writer = _SafeWriter(csv.writer(out))
    ident = IDENTITY[lang]
    figures = [key for key, _, _ in FIGURES]
    levels = ROW_LEVELS[lang]
    writer.writerow(
        [
            LEVEL_HEADER[lang],
            ident["district"],
            ident["street"],
            ident["team"],
            CSV_KEY_HEADER[lang],
            ident["name"],
            *(_csv_header(f, lang) for f in figures),
        ]
    )
    writer.writerow(
        [levels["all"], "", "", "", "", "", *(_csv_figure(f, report.summary.get(f)) for f in figures)]
    )
    for row in map(lambda r: _row_names(report, r), report.rows):
        writer.writerow(
            [
                levels.get(row["level"], row["level"]),
                row["district"] or "",
                row["street"] or "",
                row["team"] or "",
                row["key"],
                row["name"],
                *(_csv_figure(f, row.get(f)) for f in figures),
            ]
        )
    return out.getvalue()


def render_csv_participation(report: Report, lang: str = "zh") -> str:
    """Residents' participation (empty without residents' data): the overall row, then
    one row per district, street and project, each with its ``level``."""
    if not report.participation:
        return ""
    out = io.StringIO()
    writer = _SafeWriter(csv.writer(out))
    # the rows as the sheet shows them: their level named (层级 全部/区/…) like the figures' CSV
    writer.writerow(participation_headers(lang))
    for row in participation_rows(report, lang):
        writer.writerow(row)
    return out.getvalue()


def render_csv_about(report: Report, lang: str = "zh") -> str:
    """The report's about section (quarter, cut-off, checksum…) as a two-column CSV."""
    out = io.StringIO()
    writer = _SafeWriter(csv.writer(out))
    writer.writerow(["项目" if lang == "zh" else "item", "值" if lang == "zh" else "value"])
    for key, value in _about(report, lang):
        writer.writerow([key, _cell(value)])
    return out.getvalue()


def render_csv_with_about(report: Report, lang: str = "zh") -> str:
    """One CSV text for a single download or stdout: a BOM (Excel reads it as UTF-8),
    the table, a blank line, then the about section (cut-off, checksum …)."""
    participation = render_csv_participation(report, lang)
    return (
        "\ufeff"
        + render_csv(report, lang)
        + ("\n" + participation if participation else "")
        + "\n"
        + render_csv_about(report, lang)
    )


def about_path(path: Path) -> Path:
    """Where a CSV report's about section goes: next to it, ``<name>-about.csv``."""
    return path.with_name(f"{path.stem}-about{path.suffix}")


def participation_path(path: Path) -> Path:
    """Where a CSV report's residents' participation goes (only when there is any):
    next to it, ``<name>-participation.csv``."""
    return path.with_name(f"{path.stem}-participation{path.suffix}")


class _SafeWriter:
    """A csv writer whose every cell went through :func:`neutralised`."""

    def __init__(self, writer: Any):
        self.writer = writer

    def writerow(self, values: list[Any]) -> None:
        self.writer.writerow([neutralised(v) for v in values])


# -- XLSX -----------------------------------------------------------------------------------


def _text_width(value: Any) -> int:
    """Columns a text takes in a spreadsheet: a Chinese character counts two."""
    import unicodedata

    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _xlsx_value(value: Any) -> Any:
    """Dates and times as Excel dates (Beijing time, which Excel keeps without a zone)."""
    if isinstance(value, dt.datetime):
        from ..clock import LOCAL_TZ

        return value.astimezone(LOCAL_TZ).replace(tzinfo=None) if value.tzinfo else value
    return value


def _xlsx_cell(sheet: Any, value: Any, rate: bool = False) -> Any:
    """A value for a write-only worksheet: a date or time as an Excel date, a rate as
    a percentage, and a formula-like text (see :func:`neutralised`) stored as a
    string — openpyxl would otherwise make any text starting with "=" a formula —
    marked quote-prefixed, so Excel shows and keeps it as text; anything else as is."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, dt.datetime):
        number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, dt.date):
        number_format = "yyyy-mm-dd"
    elif rate and isinstance(value, int | float) and not isinstance(value, bool):
        number_format = "0.0%"
    elif isinstance(value, str) and formula_like(value):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell
    else:
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def _put_row(sheet: Any, values: list[Any]) -> None:
    """Append a row to a write-only worksheet (see :func:`_xlsx_cell`)."""
    sheet.append([_xlsx_cell(sheet, value) for value in values])


def write_xlsx(report: Report, path: Path, lang: str = "zh") -> None:
    """The workbook in openpyxl's write-only mode (rows streamed to the file, no cell
    objects kept): each table's rows are known before it is written, so the column
    widths (fitting Chinese text), the frozen header row and the auto-filter are set
    before the first row; header cells are styled, rates formatted as percentages and
    dates as Excel dates as the cells are appended."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="top")
    book = Workbook(write_only=True)
    sheets = SHEETS[lang]

    def header_row(sheet: Any, headers: list[str]) -> None:
        cells = []
        for header in headers:
            cell = WriteOnlyCell(sheet, value=header)
            cell.font, cell.fill, cell.alignment = bold, header_fill, wrap
            cells.append(cell)
        sheet.append(cells)

    def table(
        sheet: Any,
        headers: list[str],
        rows: Iterable[list[Any]],
        rates: frozenset[int] = frozenset(),
        *,
        first: int = 1,
        freeze: bool = True,
        fixed: dict[str, float] | None = None,
    ) -> None:
        """A header row (bold, frozen, with an auto-filter) at row ``first``, then the
        rows."""
        values = [[_xlsx_value(v) for v in row] for row in rows]
        widths = [_text_width(h) for h in headers]
        for row in values:
            for index, value in enumerate(row[: len(widths)]):
                widths[index] = max(widths[index], _text_width(_cell(value)))
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(8, min(60, width + 2))
        for letter, width in (fixed or {}).items():
            sheet.column_dimensions[letter].width = width
        if freeze:
            sheet.freeze_panes = f"A{first + 1}"
        sheet.auto_filter.ref = f"A{first}:{get_column_letter(len(headers))}{first + len(values)}"
        header_row(sheet, headers)
        for row in values:
            sheet.append([_xlsx_cell(sheet, v, i in rates) for i, v in enumerate(row)])

    summary = book.create_sheet(sheets["summary"])
    summary.column_dimensions["A"].width = 36  # before the first row (write-only)
    summary.column_dimensions["B"].width = 24
    title = WriteOnlyCell(
        summary,
        value=f"{'陪伴式服务季度合规报告' if lang == 'zh' else 'Accompany-service quarterly compliance report'} "
        f"{quarter_name(report.quarter, lang)}",
    )
    title.font = Font(bold=True, size=14)
    summary.append([title])
    about = _about(report, lang)[:5]
    for key, value in about:
        _put_row(summary, [key, _cell(value)])
    summary.append([])
    rate_labels = {_label(f, lang) for f in RATES}
    # the value column holds rates and counts: a rate's cell is formatted by its row
    summary_rows = [
        [label, _xlsx_cell(summary, value, label in rate_labels)]
        for label, value in ((_label(f, lang), report.summary.get(f)) for f, _, _ in FIGURES)
    ]
    table(
        summary,
        ["指标" if lang == "zh" else "figure", "数值" if lang == "zh" else "value"],
        summary_rows,
        first=len(about) + 3,
        freeze=False,
        fixed={"A": 36, "B": 24},
    )

    ident = IDENTITY[lang]
    for level in ("district", "street", "team", "project"):
        sheet = book.create_sheet(LEVEL_NAMES[lang][level])
        identity = {
            "district": [ident["district"]],
            "street": [ident["district"], ident["street"]],
            "team": [ident["district"], ident["street"], ident["team"]],
            "project": [ident["district"], ident["street"], ident["team"], ident["key"], ident["name"]],
        }[level]
        rows = []
        for row in (_row_names(report, r) for r in report.rows if r["level"] == level):
            ids = {
                "district": [row["name"]],
                "street": [row["district"], row["name"]],
                "team": [row["district"], row["street"], row["team"]],
                "project": [row["district"], row["street"], row["team"], row["key"], row["name"]],
            }[level]
            rows.append([*ids, *(row.get(f) for f, _, _ in FIGURES)])
        rates = frozenset(len(identity) + i for i, (f, _, _) in enumerate(FIGURES) if f in RATES)
        table(sheet, identity + [_label(f, lang) for f, _, _ in FIGURES], rows, rates)
    for name, columns in LIST_COLUMNS.items():
        sheet = book.create_sheet(sheets[name])
        items = getattr(report, name)
        table(
            sheet,
            [zh if lang == "zh" else en for _, zh, en in columns],
            ([_list_cell(name, key, item, lang, report) for key, _, _ in columns] for item in items),
        )
    if report.satisfaction:
        table(
            book.create_sheet(SATISFACTION_SHEET[lang]),
            [zh if lang == "zh" else en for _, zh, en in SATISFACTION_COLUMNS],
            satisfaction_rows(report, lang),
        )
    if report.participation:
        sheet = book.create_sheet(PARTICIPATION_SHEET[lang])
        table(sheet, participation_headers(lang), participation_rows(report, lang))
        sheet.append([])
        sheet.append([PARTICIPATION_NOTE["zh" if lang == "zh" else "en"]])
    about_sheet = book.create_sheet(sheets["about"])
    table(
        about_sheet,
        ["项目" if lang == "zh" else "item", "值" if lang == "zh" else "value"],
        ([k, v] for k, v in _about(report, lang)),
        fixed={"A": 30, "B": 80},
    )
    book.save(path)


# -- HTML -------------------------------------------------------------------------------------


LEGEND = {
    "zh": (("#2e7d32", "≥ 90%"), ("#f9a825", "70%–90%"), ("#c62828", "< 70%"), ("#888", "— 本季无到期阶段")),
    "en": (("#2e7d32", "≥ 90%"), ("#f9a825", "70%–90%"), ("#c62828", "< 70%"), ("#888", "— no stage due")),
}


def _bar_chart(items: list[tuple[str, float | None]], title: str, lang: str = "zh", width: int = 760) -> str:
    """Horizontal bars (0–100 %) on a percentage axis, with a legend for the colours; inline SVG."""
    bar_h, left, top = 18, 170, 48
    height = top + bar_h * len(items) + 40
    parts = [
        f'<svg class="chart" role="img" aria-label="{html.escape(title)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="16" font-weight="bold">{html.escape(title)}</text>',
    ]
    scale = width - left - 60
    legend_x = 0
    parts.append('<g class="legend">')
    for color, text in LEGEND.get(lang, LEGEND["en"]):
        parts.append(f'<rect x="{legend_x}" y="26" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{legend_x + 16}" y="37" font-size="12">{html.escape(text)}</text>')
        legend_x += 40 + 8 * len(text)
    parts.append("</g>")
    axis_y = top + bar_h * len(items) + 4
    parts.append(
        f'<g class="axis"><line x1="{left}" y1="{axis_y}" x2="{left + scale}" y2="{axis_y}" stroke="#999"/>'
    )
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = left + scale * tick
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{axis_y + 4}" stroke="#ddd"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{axis_y + 18}" text-anchor="middle" font-size="11">{tick:.0%}</text>'
        )
    parts.append("</g>")
    for index, (label, value) in enumerate(items):
        y = top + index * bar_h
        parts.append(
            f'<text x="{left - 6}" y="{y + 13}" text-anchor="end" font-size="12">{html.escape(label)}</text>'
        )
        if value is None:
            parts.append(f'<text x="{left + 4}" y="{y + 13}" font-size="12" fill="#888">—</text>')
            continue
        w = max(1.0, scale * value)
        color = "#2e7d32" if value >= 0.9 else "#f9a825" if value >= 0.7 else "#c62828"
        parts.append(
            f'<rect class="bar" x="{left}" y="{y + 2}" width="{w:.1f}" height="{bar_h - 5}" fill="{color}"/>'
        )
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 13}" font-size="12">{value:.0%}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _line_chart(points: list[tuple[str, int]], title: str, width: int = 760, height: int = 240) -> str:
    left, top, bottom = 50, 28, 40
    parts = [
        f'<svg class="chart" role="img" aria-label="{html.escape(title)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="16" font-weight="bold">{html.escape(title)}</text>',
    ]
    if not points:
        parts.append(f'<text x="{left}" y="{top + 40}" fill="#888">—</text></svg>')
        return "".join(parts)
    peak = max(1, max(v for _, v in points))
    plot_w, plot_h = width - left - 20, height - top - bottom
    step = plot_w / max(1, len(points) - 1)
    coords = [(left + i * step, top + plot_h - plot_h * v / peak) for i, (_, v) in enumerate(points)]
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>'
    )
    parts.append(f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11">{peak}</text>')
    parts.append(f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="11">0</text>')
    path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(coords))
    parts.append(f'<path class="trend" d="{path}" fill="none" stroke="#c62828" stroke-width="2"/>')
    every = max(1, math.ceil(len(points) * 44 / plot_w))  # a label needs ~44 px: no overlap
    for index, ((label, value), (x, y)) in enumerate(zip(points, coords, strict=True)):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#c62828"><title>{label}: {value}</title></circle>'
        )
        if index % every == 0 or index == len(points) - 1:
            parts.append(
                f'<text class="tick" x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                f'font-size="12">{label[5:]}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _html_table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if v is None else str(_cell(v)))}</td>" for v in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(report: Report, lang: str = "zh") -> str:
    zh = lang == "zh"
    streets = [r for r in report.rows if r["level"] == "street" and r["stages_due"]]
    by = "street"
    if len(streets) > 40:  # a city-wide report: one bar per district reads better
        streets = [r for r in report.rows if r["level"] == "district" and r["stages_due"]]
        by = "district"
    streets.sort(key=lambda r: (r["on_time_rate"] is None, r["on_time_rate"] or 0))
    on_time = _bar_chart(
        [(_name(report, by, r["key"]), r["on_time_rate"]) for r in streets],
        ("各街道按时率" if by == "street" else "各区按时率") if zh else f"on-time rate by {by}",
        lang,
    )
    trend = _line_chart(
        [(p["date"].isoformat(), p["overdue"]) for p in report.overdue_trend],
        "逾期阶段数（每周）" if zh else "overdue stages (weekly)",
    )
    summary = _html_table(
        ["指标" if zh else "figure", "数值" if zh else "value"],
        [
            [_label(f, lang), _percent(report.summary.get(f)) if f in RATES else report.summary.get(f)]
            for f, _, _ in FIGURES
        ],
    )
    ident = IDENTITY[lang]
    level_tables = []
    for level in ("district", "street", "team"):
        rows = [r for r in report.rows if r["level"] == level]
        columns = [
            "projects_active",
            "stages_due",
            "on_time_rate",
            "overdue_now",
            "returns",
            "approval_latency_median",
            "approval_latency_p90",
            "reminders_sent",
            "escalations_sent",
        ]
        # a team counts once per street it serves: its rows are told apart by the
        # street (as the workbook's and the CSV's are)
        identity = [ident["street"], ident["team"]] if level == "team" else [ident["name"]]
        level_tables.append(
            f"<h2>{LEVEL_NAMES[lang][level]}</h2>"
            + _html_table(
                [*identity, *(_label(c, lang) for c in columns)],
                [
                    [
                        *([r["street"]] if level == "team" else []),
                        r["name"],
                        *(_percent(r.get(c)) if c in RATES else r.get(c) for c in columns),
                    ]
                    for r in map(lambda r: _row_names(report, r), rows)
                ],
            )
        )
    lists = []
    for name, columns in LIST_COLUMNS.items():
        items = getattr(report, name)
        lists.append(
            f"<h2>{SHEETS[lang][name]} ({len(items)})</h2>"
            + _html_table(
                [zh_ if zh else en for _, zh_, en in columns],
                [[_list_cell(name, key, item, lang, report) for key, _, _ in columns] for item in items],
            )
        )
    if report.satisfaction:
        lists.append(
            f"<h2>{SATISFACTION_SHEET[lang]} ({len(report.satisfaction)})</h2>"
            + _html_table(
                [zh_ if zh else en for _, zh_, en in SATISFACTION_COLUMNS], satisfaction_rows(report, lang)
            )
        )
    if report.participation:
        lists.append(
            f"<h2>{PARTICIPATION_SHEET[lang]} ({report.participation_overall.get('projects', 0)})</h2>"
            + _html_table(participation_headers(lang), participation_rows(report, lang))
            + f'<p class="note">{html.escape(PARTICIPATION_NOTE["zh" if zh else "en"])}</p>'
        )
    about = _html_table(["", ""], [[k, v] for k, v in _about(report, lang)])
    title = f"{'陪伴式服务季度合规报告' if zh else 'Accompany-service quarterly compliance report'} {quarter_name(report.quarter, lang)}"
    return f"""<!DOCTYPE html>
<html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 24px; color: #222; }}
table {{ border-collapse: collapse; margin: 8px 0 24px; font-size: 13px; }}
th, td {{ border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }}
th {{ background: #ddebf7; }}
.chart {{ display: block; margin: 12px 0 24px; }}
.note {{ color: #555; font-size: 13px; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p class="note">{"数据截止" if zh else "data cut-off"} {_cell(report.cutoff)}
 ({"北京时间" if zh else "Beijing time"}) · {"输入校验和" if zh else "inputs checksum"}
 <code>{report.meta.get("inputs_sha256", "")}</code></p>
{on_time}
{trend}
<h2>{"汇总" if zh else "Summary"}</h2>
{summary}
{"".join(level_tables)}
{"".join(lists)}
<h2>{"说明" if zh else "About"}</h2>
{about}
</body></html>
"""


def write(report: Report, fmt: str, path: Path, lang: str) -> Path:
    if fmt == "xlsx":
        write_xlsx(report, path, lang)
    elif fmt == "html":
        path.write_text(render_html(report, lang), encoding="utf-8")
    elif fmt == "csv":  # with a BOM: Excel opens it as UTF-8
        path.write_text(render_csv(report, lang), encoding="utf-8-sig")
        about_path(path).write_text(render_csv_about(report, lang), encoding="utf-8-sig")
        if report.participation:
            participation_path(path).write_text(render_csv_participation(report, lang), encoding="utf-8-sig")
    else:
        path.write_text(render_json(report), encoding="utf-8")
    return path
