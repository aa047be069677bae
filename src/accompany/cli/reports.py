"""`accompany` CLI — compliance reports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..i18n import translate
from ..labels import N_
from ..models.report import quarter_name
from .common import (
    DbOption,
    NowOption,
    cli_language,
    handle_errors,
    make_app,
    say,
)
from .help import T

WROTE_COMPLETE = N_(
    "wrote {file} — {quarter} (complete quarter), data cut-off {cutoff} Beijing time, "
    "{events} events, inputs sha256 {digest}…"
)
WROTE_RUNNING = N_(
    "wrote {file} — {quarter} (quarter still running), data cut-off {cutoff} Beijing time, "
    "{events} events, inputs sha256 {digest}…"
)

report_app = typer.Typer(help=T("Compliance reports."), no_args_is_help=True)


@report_app.command(
    "quarterly",
    help=T(
        "The quarterly compliance report, rebuilt from the event log as of the quarter's end "
        "(or now, for a quarter still running)."
    ),
)
@handle_errors
def report_quarterly(
    quarter: Annotated[str, typer.Option("--quarter", help=T("e.g. 2026Q4"))],
    district: Annotated[
        str | None, typer.Option("--district", help=T("only this district (id or name)"))
    ] = None,
    street: Annotated[str | None, typer.Option("--street", help=T("only this street (id or name)"))] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help=T("xlsx, csv, html or json (default: from --out, else xlsx)")),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help=T("file or folder (default: ./accompany-QUARTER-SCOPE.EXT; csv/json: stdout)")
        ),
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help=T("report language: zh or en (default: the CLI's)"))
    ] = None,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    from rich.progress import Progress

    from ..models.errors import InvalidInput
    from ..models.report import Quarter
    from ..reporting import render_csv_with_about, render_json, write
    from ..services.reports import quarterly_report, report_filename
    from .common import errors as error_console

    period = Quarter.parse(quarter)
    if fmt is None:  # from the file's suffix; a folder (even one with a dot in its name) has none
        suffix = out.suffix.lower().lstrip(".") if out is not None and out.suffix and not out.is_dir() else ""
        fmt = suffix or "xlsx"
    if fmt not in ("xlsx", "csv", "html", "json"):
        raise InvalidInput("--format: '{value}' is not one of xlsx, csv, html, json", value=fmt[:20])
    if lang not in (None, "zh", "en"):
        raise InvalidInput("--lang: '{value}' is not zh or en", value=lang[:20])
    application = make_app(db, now)
    language = lang or application.lang
    with Progress(console=error_console, transient=True) as bar:
        task = bar.add_task(
            translate(
                "{quarter}: replaying events",
                cli_language(),
                quarter=quarter_name(period.label, cli_language()),
            ),
            total=None,
        )
        report = quarterly_report(
            application,
            period,
            district=district,
            street=street,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if out is None and fmt in ("csv", "json"):
        if fmt == "json":
            sys.stdout.write(render_json(report))
        else:
            sys.stdout.write(render_csv_with_about(report, language))
        return
    target = out or Path(report_filename(report, fmt))
    if target.is_dir():
        target = target / report_filename(report, fmt)
    if not target.parent.exists():
        raise InvalidInput("--out: folder {path} does not exist", path=str(target.parent))
    if not target.parent.is_dir():
        raise InvalidInput("--out: {path} is not a folder", path=str(target.parent))
    try:
        write(report, fmt, target, language)
    except OSError as exc:  # permissions, a full disk, a read-only mount
        raise InvalidInput(
            "--out: cannot write {path}: {detail}", path=str(target), detail=exc.strerror or ""
        ) from None
    say(
        WROTE_COMPLETE if report.complete_quarter else WROTE_RUNNING,
        file=target,
        quarter=quarter_name(report.quarter, cli_language()),
        cutoff=f"{report.cutoff:%Y-%m-%d %H:%M}",
        events=report.meta["events_read"],
        digest=report.meta["inputs_sha256"][:16],
    )
