"""Writing a quarterly report: XLSX (a sheet per level and a summary — street offices
live in Excel), HTML with charts that need no network, CSV and JSON for machines.
Chinese headers by default, English available.

A module per format (xlsx_workbook, html_page, csv_tables, json_export) over the pieces
they share: columns (what the tables hold and their headers), cells (each value as the
reader reads it) and about (the report's about section). Names with a leading underscore
are the package's own, shared between its modules; callers use the names below."""

from __future__ import annotations

from pathlib import Path

from ..models.report import Report
from .cells import formula_like, neutralised, participation_rows, satisfaction_rows
from .columns import participation_headers
from .csv_tables import (
    _SafeWriter,
    about_path,
    participation_path,
    render_csv,
    render_csv_about,
    render_csv_participation,
    render_csv_with_about,
)
from .html_page import render_html
from .json_export import render_json
from .xlsx_workbook import write_xlsx

__all__ = [
    "_SafeWriter",
    "about_path",
    "formula_like",
    "neutralised",
    "participation_headers",
    "participation_path",
    "participation_rows",
    "render_csv",
    "render_csv_about",
    "render_csv_participation",
    "render_csv_with_about",
    "render_html",
    "render_json",
    "satisfaction_rows",
    "write",
    "write_xlsx",
]


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
