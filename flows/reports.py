"""The quarterly compliance report as a Prefect flow: on the first working day after
a quarter ends it writes each district's report (XLSX, HTML, CSV, JSON) and queues it
for that district's supervisors; the outbox dispatcher delivers it through Apprise
with the files attached."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger

from ..bootstrap import App
from ..models.deadlines import local_date
from ..models.report import Quarter, quarter_to_report
from ..reporting import write
from ..services.reports import (
    districts_with_projects,
    quarterly_report,
    queue_report_delivery,
    report_filename,
)
from .app import flow_app, this_run_day

FORMATS = ("xlsx", "html", "csv", "json")


def publish(app: App, quarter: Quarter, out_dir: Path) -> dict[str, Any]:
    """Write the city-wide report and one per district; queue each district's."""
    out_dir.mkdir(parents=True, exist_ok=True)
    lang = app.lang
    written: dict[str, list[str]] = {}
    city = quarterly_report(app, quarter)
    written["all"] = [str(write(city, fmt, out_dir / report_filename(city, fmt), lang)) for fmt in FORMATS]
    queued = []
    for district in districts_with_projects(app):
        report = quarterly_report(app, quarter, district=district)
        if not report.rows:
            continue  # nothing of this district's in that quarter: no empty report
        files = [str(write(report, fmt, out_dir / report_filename(report, fmt), lang)) for fmt in FORMATS]
        written[district] = files
        if queue_report_delivery(app, report, [f for f in files if f.endswith((".xlsx", ".html"))], district):
            queued.append(district)
    return {
        "quarter": quarter.label,
        "files": written,
        "queued_for": queued,
        "checksum": city.meta["inputs_sha256"],
    }


def report_run_name() -> str:
    """``quarterly-compliance-report 2026Q1``, or, for a scheduled run that finds the
    quarter itself, the day it checks (it read "… None")."""
    from prefect.runtime import flow_run

    quarter = flow_run.parameters.get("quarter")
    return f"quarterly-compliance-report {quarter or this_run_day()}"


@flow(name="quarterly-compliance-report", flow_run_name=report_run_name)
async def quarterly_report_flow(
    quarter: str | None = None,
    now: dt.datetime | None = None,
    out_dir: str | None = None,
) -> dict[str, Any]:
    """Without ``quarter``: runs only on the first working day of a quarter (the cron
    fires on the first fortnight of Jan/Apr/Jul/Oct) and reports the quarter that
    just ended."""
    app = flow_app(now)
    logger = get_run_logger()
    if quarter is None:
        today = local_date(app.now())
        due = quarter_to_report(today, app.calendar)
        if due is None:
            logger.info("%s is not the first working day of a quarter: no report", today)
            return {"skipped": "not the first working day of a quarter"}
        target = due
    else:
        target = Quarter.parse(quarter)
    folder = Path(out_dir) if out_dir else app.settings.resolved_reports_dir() / target.label
    result = await asyncio.to_thread(publish, app, target, folder)
    logger.info("report %s written to %s; queued for %s", target.label, folder, result["queued_for"])
    return result
