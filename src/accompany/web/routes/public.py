"""The public (resident) side: no session, nothing private, cacheable. A project's
page exists only once a coordinator has published it; otherwise it is "not found",
like a project that does not exist.

The satisfaction survey (问效) is answered the same way (``routes.satisfaction``).

The consent ballot: while the consent stage is in progress the page carries a form
(household code — pre-filled from the slip's QR ``?code=`` — and agree / disagree /
abstain). No cookie is set: the form's CSRF token is an HMAC of the server secret,
the project and the hour (``security.public_form_token``), the same for everyone, so
the page stays cacheable; a POST whose Origin is another site is refused too. Ballots
are throttled per address (ACCOMPANY_BALLOTS_PER_MINUTE, then 429). A page opened
with ``?code=`` shows the code in the form and is therefore never stored by caches."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from ...bootstrap import Origin
from ...i18n import error_text, normalise_language, translate
from ...labels import label
from ...models.errors import AccompanyError, NotFound
from ...models.households import normalise_code
from ...services.consent import TallyView, cast_ballot, choice_label, consent_tally, has_consent_stage
from ...services.public import public_project
from ...services.public_documents import public_documents
from ..context import accompany_app, record_id
from ..errors import status_for
from ..rendering import environment
from ..security import AddressThrottle, form_secret, public_form_matches, public_form_token

router = APIRouter()
MAX_AGE = 300  # residents see a change within five minutes


def public_comments_context(app, project_id: int) -> dict:  # type: ignore[no-untyped-def]
    from .comments import public_comments_context as context

    return context(app, project_id)


def _page(request: Request, lang: str, status: int, **context) -> HTMLResponse:  # type: ignore[no-untyped-def]
    def gettext(message: str, **values) -> str:  # type: ignore[no-untyped-def]
        return translate(message, lang, **values)

    html = (
        environment()
        .get_template("public_project.html")
        .render(_=gettext, label=lambda table, code: label(table, code, lang), lang=lang, **context)
    )
    return HTMLResponse(html, status_code=status)


def _purpose(project_id: int) -> str:
    return f"ballot:{project_id}"


def _ballot_context(app, project_id: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    """The ballot block: the tally (aggregates only) and, while it is open, the form."""
    if not has_consent_stage(app, project_id):
        return {"tally": None}
    tally: TallyView = consent_tally(app, project_id, public=True)
    token = public_form_token(form_secret(app.settings), _purpose(project_id), time.time())
    # the code goes into the form only while there is one to fill in
    return {"tally": tally, "token": token, "code": (normalise_code(code) or "") if tally.open else ""}


def _context(app, project_id: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    """The page's forms: the consent ballot and the satisfaction survey."""
    from .satisfaction import survey_context

    return {**_ballot_context(app, project_id, code), **survey_context(app, project_id, code)}


def public_needs_context(app, project_id: int, code: str, lang: str) -> dict:  # type: ignore[no-untyped-def]
    from .needs import public_needs_context as context

    return context(app, project_id, code, lang)


def _throttle(request: Request) -> AddressThrottle:
    state = request.app.state
    if getattr(state, "ballot_throttle", None) is None:
        state.ballot_throttle = AddressThrottle(accompany_app(request).settings.ballots_per_minute)
    return state.ballot_throttle


@router.get("/public/projects/{project_id}")
async def public_page(request: Request, project_id: str) -> Response:
    application = accompany_app(request)
    lang = normalise_language(request.query_params.get("lang"), application.settings.language)
    app = application.via(Origin("web"), language=lang)
    code = (request.query_params.get("code") or "")[:40]
    try:
        number = record_id(project_id, "project")
        project = await run_in_threadpool(public_project, app, number)
        ballot = await run_in_threadpool(_context, app, number, code)
        ballot.update(await run_in_threadpool(public_comments_context, app, number))
        needs = await run_in_threadpool(public_needs_context, app, number, code, lang)
        documents = await run_in_threadpool(public_documents, app, number, lang)
    except NotFound:
        response = _page(request, lang, 404, project=None)
        response.headers["Cache-Control"] = f"public, max-age={MAX_AGE // 5}"
        return response
    response = _page(request, lang, 200, project=project, documents=documents, **ballot, **needs)
    # the same page for everyone, no cookies; with a code in the form: not stored
    with_code = ballot.get("code") or ballot.get("survey_code") or needs.get("needs_code")
    response.headers["Cache-Control"] = "no-store" if with_code else f"public, max-age={MAX_AGE}"
    return response


def _same_origin(request: Request) -> bool:
    """A browser names the page a form came from (Origin); another site's is refused.
    Without the header (an old browser, a script) the token alone decides."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


@router.post("/public/projects/{project_id}/ballot")
async def public_ballot(request: Request, project_id: str) -> Response:
    application = accompany_app(request)
    form = await request.form()
    lang = normalise_language(
        str(form.get("lang") or request.query_params.get("lang") or ""), application.settings.language
    )
    app = application.via(Origin("web"), language=lang)
    number = record_id(project_id, "project")
    code = str(form.get("code") or "")[:40]

    def answer(status: int, *, message: str = "", done: str = "") -> Response:
        try:
            project = public_project(app, number)
        except NotFound:
            response = _page(request, lang, 404, project=None)
        else:
            context = {**_context(app, number, code), **public_comments_context(app, number)}
            needs = public_needs_context(app, number, "", lang)
            response = _page(
                request, lang, status, project=project, message=message, done=done, **context, **needs
            )
        if response.status_code == 200:
            response.status_code = status
        response.headers["Cache-Control"] = "no-store"
        return response

    address = request.client.host if request.client else "?"
    if not _throttle(request).allow(address, time.monotonic()):
        message = translate("Too many ballots from this address: wait a minute and try again.", lang)
        response = await run_in_threadpool(answer, 429, message=message)
        response.headers["Retry-After"] = "60"
        return response
    token = form.get("token")
    if not _same_origin(request) or not public_form_matches(
        form_secret(app.settings), _purpose(number), time.time(), token if isinstance(token, str) else None
    ):
        message = translate("The form has expired: reload the page and cast your ballot again.", lang)
        return await run_in_threadpool(answer, 403, message=message)
    try:
        receipt = await run_in_threadpool(
            lambda: cast_ballot(app, number, code, str(form.get("choice") or ""))
        )
    except NotFound as exc:
        if exc.field != "code":
            return await run_in_threadpool(answer, 404)
        return await run_in_threadpool(answer, 400, message=error_text(exc, lang))
    except AccompanyError as exc:
        return await run_in_threadpool(answer, status_for(exc), message=error_text(exc, lang))
    choice = choice_label(receipt.choice, lang)
    if receipt.replaced:
        done = translate("Your ballot ({choice}) replaces your household's earlier one.", lang, choice=choice)
    else:
        done = translate("Your ballot ({choice}) is counted. Thank you.", lang, choice=choice)
    return await run_in_threadpool(answer, 200, done=done)
