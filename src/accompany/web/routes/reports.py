"""Quarterly reports in the page, and their XLSX / CSV / HTML downloads."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from ...models.deadlines import local_date
from ...models.errors import InvalidInput, Localized, NotFound
from ...models.people import Role
from ...models.report import Quarter, quarter_name
from ...services import worklists
from ..context import Page, page_for
from ..rendering import render

router = APIRouter(prefix="/reports")
FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


def _choices(page: Page) -> tuple[list[str], list[tuple[str, str]]]:
    """The quarters one may look at (this one and the four before) and the streets
    of the person's scope (a district person: all, or the district as a whole)."""
    today = local_date(page.app.now())
    quarter = Quarter.containing(today)
    quarters = [quarter.label]
    for _ in range(4):
        quarter = quarter.previous()
        quarters.append(quarter.label)
    person = page.require()
    streets = worklists.filter_choices(page.app, person).streets
    return quarters, streets


def _scope(page: Page, quarter: str | None, street: str | None) -> tuple[str, str | None]:
    person = page.require()
    worklists.ensure_may_see_reports(person)
    quarters, streets = _choices(page)
    if not quarter:
        quarter = quarters[0]
    elif quarter not in quarters:
        # the quarters as the page's choices name them (2027年第一季度), not 2027Q1
        raise InvalidInput(
            "{quarter} is not one of the quarters offered ({quarters})",
            field="quarter",
            quarter=Localized(quarter_name(quarter[:10], "zh"), quarter_name(quarter[:10], "en")),
            quarters=Localized(
                "、".join(quarter_name(q, "zh") for q in quarters),
                ", ".join(quarter_name(q, "en") for q in quarters),
            ),
        )
    if street and street not in {s for s, _ in streets}:
        # another street of the district: refused by its name (see report_street)
        worklists.report_street(page.app, person, street[:64])
        raise NotFound("unknown street '{street}'", street=street[:40])
    if not street and person.role is not Role.DISTRICT and person.streets:
        street = person.streets[0]
    return quarter, street or None


@router.get("")
def reports(request: Request, quarter: str | None = None, street: str | None = None) -> Response:
    page = page_for(request)
    person = page.require()
    chosen, street = _scope(page, quarter, street)
    quarters, streets = _choices(page)
    overview = worklists.quarter_overview(page.app, person, street=street, quarter=chosen)
    return render(
        page,
        "reports.html",
        overview=overview,
        quarters=quarters,
        streets=streets,
        chosen=chosen,
        street=street or "",
        whole_district=person.role is Role.DISTRICT or not person.streets,
    )


@router.get("/download")
def download(
    request: Request, quarter: str | None = None, format: str = "xlsx", street: str | None = None
) -> Response:
    from ...reporting import render_csv_with_about, render_html, write_xlsx
    from ...services.reports import quarterly_report, report_filename

    page = page_for(request)
    person = page.require()
    if format not in FORMATS:
        raise InvalidInput("format '{format}' is not one of xlsx, csv, html", format=format[:10])
    if not quarter:
        # a download names its quarter (the page's links do); the page itself shows this one
        raise InvalidInput("choose the quarter of the report", field="quarter")
    chosen, street = _scope(page, quarter, street)
    report = quarterly_report(page.app, Quarter.parse(chosen), district=person.district, street=street)
    name = report_filename(report, format)
    headers = {"content-disposition": f'attachment; filename="{name}"'}
    if format == "csv":
        return Response(
            render_csv_with_about(report, page.lang).encode(), media_type=FORMATS["csv"], headers=headers
        )
    if format == "html":
        response = HTMLResponse(render_html(report, page.lang), headers=headers)
        # the report is a standalone page with its own stylesheet and no script
        response.headers["content-security-policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        )
        return response
    with tempfile.TemporaryDirectory(prefix="accompany-report-") as folder:
        path = Path(folder) / name
        write_xlsx(report, path, page.lang)
        return Response(path.read_bytes(), media_type=FORMATS["xlsx"], headers=headers)
