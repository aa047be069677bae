"""The public (resident) side: no session, nothing private, cacheable. A project's
page exists only once a coordinator has published it; otherwise it is "not found",
like a project that does not exist."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from ...bootstrap import Origin
from ...i18n import normalise_language, translate
from ...labels import label
from ...models.errors import NotFound
from ...services.public import public_project
from ..context import accompany_app, record_id
from ..rendering import environment

router = APIRouter()
MAX_AGE = 300  # residents see a change within five minutes


def _page(request: Request, lang: str, status: int, **context) -> HTMLResponse:  # type: ignore[no-untyped-def]
    def gettext(message: str, **values) -> str:  # type: ignore[no-untyped-def]
        return translate(message, lang, **values)

    html = (
        environment()
        .get_template("public_project.html")
        .render(_=gettext, label=lambda table, code: label(table, code, lang), lang=lang, **context)
    )
    return HTMLResponse(html, status_code=status)


@router.get("/public/projects/{project_id}")
async def public_page(request: Request, project_id: str) -> Response:
    application = accompany_app(request)
    lang = normalise_language(request.query_params.get("lang"), application.settings.language)
    app = application.via(Origin("web"), language=lang)
    try:
        project = await run_in_threadpool(public_project, app, record_id(project_id, "project"))
    except NotFound:
        response = _page(request, lang, 404, project=None)
        response.headers["Cache-Control"] = f"public, max-age={MAX_AGE // 5}"
        return response
    response = _page(request, lang, 200, project=project)
    # the same page for everyone (the code in the query is not shown), no cookies
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response
