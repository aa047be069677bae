"""The report's about section, as people read it — the quarter, period, scope, cut-off,
the inputs checksum, the templates by name and version, each year's holiday data —
which the workbook's summary and about sheet, the HTML page and the about CSV all show."""

from __future__ import annotations

from typing import Any

from ..models.calendar import UNKNOWN_YEAR
from ..models.report import Report, quarter_name
from .cells import _cell, _name, _value

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
