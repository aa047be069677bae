"""Files on the residents' public page (``services.public_documents``): the 公开 /
不再公开 buttons of the signed-in project page, and the download residents reach
without signing in.

The download answers only for a public file of a published project, under that
project's address; anything else is the public page's own "not found" (the same
page as an unknown project), so a private file's existence is never revealed. The
file goes out with the signed-in download's safe headers (``files.file_response``)
and may be cached for as long as the public page (a file made private again leaves
caches within that time)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from ...bootstrap import Origin
from ...i18n import normalise_language
from ...models.errors import NotFound
from ...services.public_documents import public_file, set_document_public
from ..context import accompany_app, page_for, record_id
from .files import file_response
from .public import MAX_AGE, _page

router = APIRouter()


@router.get("/public/projects/{project_id}/files/{attachment_id}")
async def public_download(request: Request, project_id: str, attachment_id: str) -> Response:
    application = accompany_app(request)
    lang = normalise_language(request.query_params.get("lang"), application.settings.language)
    app = application.via(Origin("web"), language=lang)
    try:
        number = record_id(project_id, "project")
        stored = await run_in_threadpool(public_file, app, number, record_id(attachment_id, "attachment"))
    except NotFound:
        response = _page(request, lang, 404, project=None)
        response.headers["Cache-Control"] = f"public, max-age={MAX_AGE // 5}"
        return response
    response = file_response(stored)
    # the same file for everyone, no cookies
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


@router.post("/projects/{project_id}/attachments/{attachment_id}/public")
async def mark_public(request: Request, project_id: str, attachment_id: str) -> Response:
    """公开 (``public=1``) or 不再公开 (``public=0``) from the project page."""
    page = page_for(request)
    person = page.require()
    number = record_id(project_id, "project")
    file_id = record_id(attachment_id, "attachment")
    form = await request.form()
    page.check_csrf(form)
    public = form.get("public") == "1"
    receipt = await run_in_threadpool(
        lambda: set_document_public(page.app, file_id, by=person.id, public=public, project_id=number)
    )
    return RedirectResponse(f"/projects/{receipt.project_id}#attachment-{file_id}", status_code=303)
