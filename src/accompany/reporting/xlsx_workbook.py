"""The report as an XLSX workbook (openpyxl, write-only): a summary sheet, a sheet per
level and per list, satisfaction and participation when there are any, and the about
sheet — street offices live in Excel: names, percentages, Excel dates, widths that
fit Chinese text, frozen headers with filters, no cell ever a formula."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..models.report import Report, quarter_name
from .about import _about
from .cells import _cell, _list_cell, _row_names, formula_like, participation_rows, satisfaction_rows
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
