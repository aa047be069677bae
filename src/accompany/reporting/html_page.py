"""The report as one HTML page with charts that need no network (inline SVG: on-time
rate by street or district, overdue stages by week) and its tables; text escaped."""

from __future__ import annotations

import html
import math
from typing import Any

from ..models.report import Report, quarter_name
from .about import _about
from .cells import _cell, _list_cell, _name, _row_names, participation_rows, satisfaction_rows
from .columns import (
    FIGURES,
    IDENTITY,
    LEVEL_NAMES,
    LIST_COLUMNS,
    PARTICIPATION_NOTE,
    PARTICIPATION_SHEET,
    RATES,
    SATISFACTION_COLUMNS,
    SATISFACTION_SHEET,
    SHEETS,
    _label,
    participation_headers,
)


def _percent(value: Any) -> Any:
    return f"{value:.1%}" if isinstance(value, float) else value


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
    several_districts = sum(r["level"] == "district" for r in report.rows) > 1
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
        # street (as the workbook's and the CSV's are); over several districts, a
        # street or team row names its district too (two districts may each have a
        # street of one name)
        identity = [ident["street"], ident["team"]] if level == "team" else [ident["name"]]
        with_district = level != "district" and several_districts
        if with_district:
            identity.insert(0, ident["district"])
        level_tables.append(
            f"<h2>{LEVEL_NAMES[lang][level]}</h2>"
            + _html_table(
                [*identity, *(_label(c, lang) for c in columns)],
                [
                    [
                        *([r["district"]] if with_district else []),
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
