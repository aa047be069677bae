"""A project's household register for its coordinators and its planner: the list
(contacts masked), the upload form (all rows or none, bad rows in a table) and the
printable slips with their QR codes."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ...models.errors import AccompanyError, InvalidInput
from ...services import households
from ..context import Page, page_for, record_id
from ..errors import status_for
from ..forms import FormErrors, uploads_of
from ..rendering import render

router = APIRouter()


def _register_page(
    page: Page, project_id: int, *, errors: FormErrors | None = None, bad=None, done=None, status: int = 200
) -> Response:  # type: ignore[no-untyped-def]
    person = page.require()
    from ...services.public import is_published

    view = households.register_view(page.app, project_id, by=person.id)
    return render(
        page,
        "households.html",
        status=status,
        view=view,
        published=is_published(page.app, project_id),
        public_url=f"/public/projects/{project_id}",
        errors=errors or FormErrors(),
        bad=bad,
        done=done,
    )


@router.get("/projects/{project_id}/households")
def register(request: Request, project_id: str) -> Response:
    page = page_for(request)
    page.require()
    return _register_page(page, record_id(project_id, "project"))


@router.post("/projects/{project_id}/households")
async def upload(request: Request, project_id: str) -> Response:
    from ...tables import read_table

    page = page_for(request)
    person = page.require()
    number = record_id(project_id, "project")
    form = await request.form()
    page.check_csrf(form)
    # the role first: someone who may not load a register learns nothing else
    await run_in_threadpool(households.check_access, page.app, number, person.id)
    files = uploads_of(form, "file")
    try:
        if not files:
            raise InvalidInput(page._("Choose a CSV or XLSX file to load."), field="file")
        upload_file = files[0]
        name = Path(upload_file.filename or "").name[:100]
        suffix = Path(name).suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            raise InvalidInput(page._("Only .csv and .xlsx files can be loaded."), field="file")
        data = await upload_file.read(households.MAX_REGISTER_BYTES + 1)
        with tempfile.TemporaryDirectory(prefix="accompany-households-") as folder:
            path = Path(folder) / f"upload{suffix}"
            path.write_bytes(data)
            header, rows = await run_in_threadpool(
                lambda: read_table(
                    path, max_bytes=households.MAX_REGISTER_BYTES, refuse_formulas=True, name=name
                )
            )
        report = await run_in_threadpool(
            lambda: households.load_register(page.app, number, header, rows, by=person.id)
        )
    except households.RegisterRejected as rejected:
        from ...i18n import error_text

        bad = [(b.row, b.column, error_text(b.problem, page.lang)) for b in rejected.check.bad]
        return _register_page(page, number, errors=FormErrors.of(rejected, page.lang), bad=bad, status=400)
    except AccompanyError as exc:
        return _register_page(page, number, errors=FormErrors.of(exc, page.lang), status=status_for(exc))
    return _register_page(page, number, done=report)


@router.get("/projects/{project_id}/households/slips")
def slips(request: Request, project_id: str) -> Response:
    from ...slips import qr_data_uri, slip_caption

    page = page_for(request)
    person = page.require()
    from ...services.public import is_published

    sheet = households.slip_sheet(page.app, record_id(project_id, "project"), by=person.id)
    response = render(
        page,
        "household_slips.html",
        sheet=sheet,
        published=is_published(page.app, sheet.project_id),
        images={slip.code: qr_data_uri(slip.url) for slip in sheet.slips},
        caption=slip_caption(page.lang),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/projects/{project_id}/public/poster.{kind}")
def poster(request: Request, project_id: str, kind: str) -> Response:
    """The notice-board poster (A4 PDF) or the QR code alone (PNG)."""
    from ...models.errors import NotFound
    from ...services.public import poster as poster_of
    from ...slips import poster_pdf, poster_png

    page = page_for(request)
    person = page.require()
    if kind not in ("pdf", "png"):
        raise NotFound("unknown poster format '{format}'", format=kind[:10])
    sheet = poster_of(page.app, record_id(project_id, "project"), by=person.id)
    data, media = (
        (poster_pdf(sheet, page.lang), "application/pdf")
        if kind == "pdf"
        else (poster_png(sheet), "image/png")
    )
    return Response(
        data,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="poster-{sheet.project_id}.{kind}"'},
    )


@router.post("/projects/{project_id}/public")
async def publish(request: Request, project_id: str) -> Response:
    from starlette.responses import RedirectResponse

    from ...services.public import set_published

    page = page_for(request)
    person = page.require()
    number = record_id(project_id, "project")
    form = await request.form()
    page.check_csrf(form)
    on = form.get("publish") == "1"
    try:
        await run_in_threadpool(lambda: set_published(page.app, number, by=person.id, published=on))
    except AccompanyError as exc:
        return _register_page(page, number, errors=FormErrors.of(exc, page.lang), status=status_for(exc))
    return RedirectResponse(f"/projects/{number}/households", status_code=303)
