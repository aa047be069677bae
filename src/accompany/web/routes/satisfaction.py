"""The residents' satisfaction survey (问效) on the web: the resident's form on the
public page (household code — pre-filled from the slip's QR ``?code=`` — and a score
of 1–5 on each of 改造内容, 改造过程 and 长效管理, with an optional comment), and the
planner's paper answer (代录) on the project page.

The public form works like the consent ballot's: no cookie, a CSRF token that is an
HMAC of the server secret, the project and the hour, a POST from another site
refused, answers throttled per address (the ballots' limit)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from ...bootstrap import Origin
from ...i18n import error_text, normalise_language, translate
from ...models.errors import AccompanyError, NotFound
from ...models.households import normalise_code
from ...services import worklists
from ...services.public import PublicPage
from ...services.satisfaction import give_answer
from ..context import accompany_app, page_for, record_id
from ..errors import form_status, status_for
from ..forms import MAX_TEXT, FormErrors
from ..rendering import render
from ..security import form_secret, public_form_matches, public_form_token

router = APIRouter()

#: the scores a form offers, 1 (非常不满意) … 5 (非常满意)
SCORES = (1, 2, 3, 4, 5)


def _purpose(project_id: int) -> str:
    return f"survey:{project_id}"


def survey_context(app, page: PublicPage, code: str) -> dict:  # type: ignore[no-untyped-def]
    """The public page's survey block: the tally (aggregates only) and, while it is
    open, the form."""
    survey = page.survey
    if survey is None:
        return {"survey": None}
    token = public_form_token(form_secret(app.settings), _purpose(page.project.id), time.time())
    return {
        "survey": survey,
        "survey_token": token,
        "survey_code": (normalise_code(code) or code.strip()) if survey.open else "",
        "scores": SCORES,
    }


@router.post("/public/projects/{project_id}/satisfaction")
async def public_answer(request: Request, project_id: str) -> Response:
    from .public import _page, _same_origin, admitted, back_to_page, ballot_context, read_page

    application = accompany_app(request)
    form = await request.form()
    lang = normalise_language(
        str(form.get("lang") or request.query_params.get("lang") or ""), application.settings.language
    )
    app = application.via(Origin("web"), language=lang)
    number = record_id(project_id, "project")
    code = str(form.get("code") or "")[:40]

    def answer(
        status: int,
        *,
        message: str = "",
        done: str = "",
        refused: FormErrors | None = None,
        keep: bool = False,
    ) -> Response:
        page = read_page(app, number)
        if page is None:
            response = _page(request, lang, 404, project=None)
        else:
            context = {
                "documents": page.documents,
                **ballot_context(app, page, ""),
                **survey_context(app, page, code),
            }
            response = _page(
                request,
                lang,
                status,
                project=page.project,
                survey_message=message or (refused.message if refused else ""),
                survey_done=done,
                # a refused answer comes back as typed, each problem next to its question
                survey_errors=refused,
                # …and so does one sent with an expired form: the resident sends it again
                survey_values=_typed(form) if refused or keep else None,
                **context,
            )
        response.headers["Cache-Control"] = "no-store"
        return response

    if not await admitted(request, app):
        message = translate("Too many answers from this address: wait a minute and try again.", lang)
        response = await run_in_threadpool(answer, 429, message=message)
        response.headers["Retry-After"] = "60"
        return response
    token = form.get("token")
    if not _same_origin(request) or not public_form_matches(
        form_secret(app.settings), _purpose(number), time.time(), token if isinstance(token, str) else None
    ):
        message = translate(
            "The form had expired: your answers are filled in again below; send them once more.", lang
        )
        return await run_in_threadpool(answer, 403, message=message, keep=True)
    try:
        receipt = await run_in_threadpool(
            lambda: give_answer(
                app,
                number,
                code,
                form.get("content"),
                form.get("process"),
                form.get("management"),
                str(form.get("comment") or ""),
            )
        )
    except NotFound as exc:
        if exc.field != "code":
            return await run_in_threadpool(answer, 404)
        return await run_in_threadpool(answer, 400, refused=FormErrors.of(exc, lang))
    except AccompanyError as exc:
        return await run_in_threadpool(answer, status_for(exc), refused=FormErrors.of(exc, lang))
    sent = "survey-replaced" if receipt.replaced else "survey"
    return back_to_page(number, lang, code, sent, "survey")


@router.post("/projects/{project_id}/satisfaction")
async def paper_answer(request: Request, project_id: str) -> Response:
    """A paper answer recorded by the planner or a coordinator (代录)."""
    from .projects import EVENTS_PAGE, residents_context

    page = page_for(request)
    person = page.require()
    number = record_id(project_id, "project")
    form = await request.form()
    page.check_csrf(form)
    try:
        await run_in_threadpool(
            lambda: give_answer(
                page.app,
                number,
                str(form.get("household") or ""),
                form.get("content"),
                form.get("process"),
                form.get("management"),
                str(form.get("comment") or ""),
                by=person.id,
            )
        )
    except AccompanyError as exc:
        view = worklists.project_view(page.app, person, number, newest_events=EVENTS_PAGE, with_tally=True)
        return render(
            page,
            "project.html",
            status=form_status(exc),
            view=view,
            detail=view.detail,
            summarise=lambda event: "",
            **{
                **residents_context(view, page),
                "survey_error": error_text(exc, page.lang),
                "survey_errors": FormErrors.of(exc, page.lang),
                "survey_values": {"household": str(form.get("household") or "")[:40], **_typed(form)},
            },
        )
    return RedirectResponse(f"/projects/{number}#satisfaction", status_code=303)


def _typed(form: FormData) -> dict[str, str]:
    """The answer as typed, for the form shown again with its refusal."""
    fields = ("content", "process", "management", "comment")
    return {key: str(form.get(key) or "")[:MAX_TEXT] for key in fields}
