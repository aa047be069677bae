"""问计 on the web: residents leave a comment or an objection on the public page during
the 公示 (household code, kind, text); the signed-in project page lists them with the
household's building and unit, records paper ones (代录) and takes the planner's
answers.

The public form is the consent ballot's kind: no cookie, an HMAC token of the server
secret, the project and the hour (purpose ``comments:<project>``), another site's
Origin refused, and the same per-address throttle as the ballot (then 429). Text from
people is escaped by the templates' autoescape everywhere."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from ...bootstrap import Origin
from ...i18n import error_text, normalise_language, translate
from ...models.errors import AccompanyError, NotFound
from ...models.households import normalise_code
from ...services import worklists
from ...services.comments import answer_comment, leave_comment
from ...services.public import PublicPage
from ..context import accompany_app, page_for, record_id
from ..errors import status_for
from ..rendering import render
from ..security import form_secret, public_form_matches, public_form_token

router = APIRouter()
#: text fields are cut here only to bound the work: the rules refuse far shorter ones
MAX_FORM_TEXT = 100_000


def _purpose(project_id: int) -> str:
    return f"comments:{project_id}"


def public_comments_context(app, page: PublicPage, code: str = "") -> dict:  # type: ignore[no-untyped-def]
    """The public page's 问计 block: the anonymous comments and, while the notice
    runs, the form's token and the household ``code`` of the address (the slip's QR
    code, or the page an answer came back to) in its form."""
    view = page.comments
    if view is None:
        return {"comments": None}
    token = public_form_token(form_secret(app.settings), _purpose(page.project.id), time.time())
    return {"comments": view, "comments_token": token, "comment_code": normalise_code(code) or code.strip()}


@router.post("/public/projects/{project_id}/comments")
async def public_comment(request: Request, project_id: str) -> Response:
    from .public import _page, _same_origin, admitted, back_to_page, ballot_context, read_page

    application = accompany_app(request)
    form = await request.form()
    lang = normalise_language(
        str(form.get("lang") or request.query_params.get("lang") or ""), application.settings.language
    )
    app = application.via(Origin("web"), language=lang)
    number = record_id(project_id, "project")
    code = str(form.get("code") or "")[:40]
    kind = str(form.get("kind") or "")[:20]
    text = str(form.get("text") or "")[:MAX_FORM_TEXT]

    def answer(status: int, *, message: str = "", done: str = "") -> Response:
        page = read_page(app, number)
        if page is None:
            response = _page(request, lang, 404, project=None)
        else:
            project = page.project
            context = {
                "documents": page.documents,
                **ballot_context(app, page, ""),
                **public_comments_context(app, page),
            }
            # after a refusal the form comes back as typed, the code with it
            kept = {"comment_kind": kind, "comment_text": text} if message else {}
            if message:
                context["comment_code"] = code
            response = _page(
                request,
                lang,
                status,
                project=project,
                comment_message=message,
                comment_done=done,
                **kept,
                **context,
            )
        response.headers["Cache-Control"] = "no-store"
        return response

    if not await admitted(request, app):
        message = translate("Too many submissions from this address: wait a minute and try again.", lang)
        response = await run_in_threadpool(answer, 429, message=message)
        response.headers["Retry-After"] = "60"
        return response
    token = form.get("token")
    if not _same_origin(request) or not public_form_matches(
        form_secret(app.settings), _purpose(number), time.time(), token if isinstance(token, str) else None
    ):
        message = translate(
            "The form had expired: your comment is filled in again below; send it once more.", lang
        )
        return await run_in_threadpool(answer, 403, message=message)
    try:
        receipt = await run_in_threadpool(lambda: leave_comment(app, number, code, kind, text))
    except NotFound as exc:
        if exc.field != "code":
            return await run_in_threadpool(answer, 404)
        return await run_in_threadpool(answer, 400, message=error_text(exc, lang))
    except AccompanyError as exc:
        return await run_in_threadpool(answer, status_for(exc), message=error_text(exc, lang))
    return back_to_page(number, lang, code, f"comment-{receipt.kind}", "comments")


# -- the signed-in project page ------------------------------------------------------------------


def _project_page(
    page, person, number: int, status: int, error: str, comment_id: int | None, typed: str = ""
):  # type: ignore[no-untyped-def]
    from ...presenting import event_summary
    from .projects import EVENTS_PAGE, residents_context

    view = worklists.project_view(page.app, person, number, newest_events=EVENTS_PAGE, with_tally=True)
    labels = {s.key: {e.key: e.label for e in s.evidence_items} for s in view.detail.stages}

    def summarise(event) -> str:  # type: ignore[no-untyped-def]
        return event_summary(event.kind, event.data, labels.get(event.stage or "", {}), page.lang)

    return render(
        page,
        "project.html",
        status=status,
        view=view,
        detail=view.detail,
        summarise=summarise,
        **residents_context(view, page),
        comment_error=error,
        comment_error_id=comment_id,
        comment_typed=typed,  # an answer refused comes back as typed, its box open
    )


@router.post("/projects/{project_id}/comments")
async def paper_comment(request: Request, project_id: str) -> Response:
    """A paper comment or objection recorded by the planner or a coordinator (代录)."""
    page = page_for(request)
    person = page.require()
    number = record_id(project_id, "project")
    form = await request.form()
    page.check_csrf(form)
    household = str(form.get("household") or "")[:60]
    try:
        await run_in_threadpool(
            lambda: leave_comment(
                page.app,
                number,
                household,
                str(form.get("kind") or "")[:20],
                str(form.get("text") or "")[:MAX_FORM_TEXT],
                by=person.id,
            )
        )
    except NotFound as exc:
        if exc.field not in ("code", "comment"):
            raise
        return await run_in_threadpool(
            _project_page, page, person, number, 400, error_text(exc, page.lang), None
        )
    except AccompanyError as exc:
        return await run_in_threadpool(
            _project_page, page, person, number, status_for(exc), error_text(exc, page.lang), None
        )
    return RedirectResponse(f"/projects/{number}#comments", status_code=303)


@router.post("/projects/{project_id}/comments/{comment_id}/answer")
async def answer(request: Request, project_id: str, comment_id: str) -> Response:
    """The planner's (or a coordinator's) answer; ``amend=1``: its author changes it."""
    page = page_for(request)
    person = page.require()
    number = record_id(project_id, "project")
    comment = record_id(comment_id, "comment")
    form = await request.form()
    page.check_csrf(form)
    amend = str(form.get("amend") or "") == "1"
    try:
        await run_in_threadpool(
            lambda: answer_comment(
                page.app,
                number,
                comment,
                str(form.get("text") or "")[:MAX_FORM_TEXT],
                by=person.id,
                amend=amend,
            )
        )
    except NotFound as exc:
        if exc.field != "comment":
            raise  # another street's project: "not found", like one that does not exist
        return await run_in_threadpool(
            _project_page, page, person, number, 404, error_text(exc, page.lang), comment
        )
    except AccompanyError as exc:
        typed = str(form.get("text") or "")[:MAX_FORM_TEXT]
        return await run_in_threadpool(
            _project_page, page, person, number, status_for(exc), error_text(exc, page.lang), comment, typed
        )
    return RedirectResponse(f"/projects/{number}#comment-{comment}", status_code=303)
