"""The report as CSV: the figures' table (a row per district, street, team and project),
residents' participation and the about section, each a plain table — as files of their
own next to each other, or one text for a download or stdout; every cell neutralised."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from ..models.report import Report
from .about import _about
from .cells import _cell, _row_names, neutralised, participation_rows
from .columns import FIGURES, IDENTITY, RATES, ROW_LEVELS, _label, participation_headers

#: the CSV's first column, naming what a row counts (a Chinese reader's words in zh)
LEVEL_HEADER = {"zh": "层级", "en": "level"}


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
