"""The public (resident) side: no session, nothing private, cacheable. A project's
page exists only once a coordinator has published it; otherwise it is "not found",
like a project that does not exist.

The satisfaction survey (问效) is answered the same way (``routes.satisfaction``).

The consent ballot: while the consent stage is in progress the page carries a form
(household code — pre-filled from the slip's QR ``?code=`` — and agree / disagree /
abstain). No cookie is set: the form's CSRF token is an HMAC of the server secret,
the project and the hour (``security.public_form_token``), the same for everyone, so
the page stays cacheable; a POST whose Origin is another site is refused too.

Two brakes per address, then 429 with a message: residents' answers (ballots,
survey answers, comments, needs — ACCOMPANY_BALLOTS_PER_MINUTE together), counted in
the database so that every server process shares the count
(``services.address_limit``); and page views (ACCOMPANY_PUBLIC_PAGES_PER_MINUTE), a
cheap count in each process's memory.

The page is read in one transaction (``services.public.public_page``) and sent with
``Cache-Control: public, max-age=300`` and an ETag (a repeated request with
``If-None-Match`` gets 304). A page opened with ``?code=`` shows the code in the form
and is therefore never stored by caches (``no-store``), nor is any answer's page."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ...bootstrap import Origin
from ...i18n import error_text, normalise_language, translate
from ...labels import label
from ...models.comments import KIND_LABELS, Kind
from ...models.consent import CHOICE_LABELS, Choice
from ...models.errors import N_, AccompanyError, Localized, NotFound
from ...models.households import CODE_LENGTH, CODE_NEVER, normalise_code
from ...services.address_limit import admit
from ...services.consent import cast_ballot
from ...services.public import PublicPage, public_page
from ..context import accompany_app, record_id
from ..errors import status_for
from ..rendering import environment
from ..security import AddressThrottle, form_secret, public_form_matches, public_form_token

router = APIRouter()
MAX_AGE = 300  # residents see a change within five minutes


def _page(request: Request, lang: str, status: int, **context) -> HTMLResponse:  # type: ignore[no-untyped-def]
    def gettext(message: str, **values) -> str:  # type: ignore[no-untyped-def]
        return translate(message, lang, **values)

    html = (
        environment()
        .get_template("public_project.html")
        .render(
            _=gettext,
            label=lambda table, code: label(table, code, lang),
            lang=lang,
            other_language=_other_language(
                request,
                lang,
                household_code(context),
                shown=context.get("project") is not None,
            ),
            **context,
        )
    )
    return HTMLResponse(html, status_code=status)


def _other_language(request: Request, lang: str, code: str | None, *, shown: bool) -> str:
    """The page in the other language: the same address with every parameter it was
    opened with (a household's ``code`` above all), only ``lang`` changed — relative,
    so a page that is not there reads the same at any address. After a form was sent
    (a ballot …) it is the project's page, not the form's address."""
    path = ""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    if request.method != "GET" and shown:
        path = f"/public/projects/{request.path_params.get('project_id', '')}"
        if code and not any(k == "code" for k, _ in kept):  # the household's code, from the form
            kept.append(("code", code))
    return path + "?" + urlencode([*kept, ("lang", "en" if lang == "zh" else "zh")])


def _purpose(project_id: int) -> str:
    return f"ballot:{project_id}"


# -- after an answer: back to the page (Post/Redirect/Get) ------------------------------------------


def _notice(context_key: str, msgid: str, **values: Localized) -> tuple[str, Callable[[str], str]]:
    return context_key, lambda lang: translate(msgid, lang, **{k: v.text(lang) for k, v in values.items()})


_COUNTED = N_("Your answer is counted. Thank you.")
_REPLACED = N_("Your answer replaces your household's earlier one. Thank you.")
_BALLOT_COUNTED = N_("Your ballot ({choice}) is counted. Thank you.")
_BALLOT_REPLACED = N_("Your ballot ({choice}) replaces your household's earlier one.")
_COMMENT_RECORDED = N_("Your {kind} is recorded; the planner's answer will appear here. Thank you.")

#: what the public page says after a form was taken (``?sent=…``): a fixed list of
#: (the page's context key, the message), so the address carries no text of its own
SENT: dict[str, tuple[str, Callable[[str], str]]] = {
    "survey": _notice("survey_done", _COUNTED),
    "survey-replaced": _notice("survey_done", _REPLACED),
    "needs": _notice("needs_done", _COUNTED),
    "needs-replaced": _notice("needs_done", _REPLACED),
    **{f"ballot-{c}": _notice("done", _BALLOT_COUNTED, choice=CHOICE_LABELS[c]) for c in Choice},
    **{f"ballot-{c}-replaced": _notice("done", _BALLOT_REPLACED, choice=CHOICE_LABELS[c]) for c in Choice},
    **{f"comment-{k.value}": _notice("comment_done", _COMMENT_RECORDED, kind=KIND_LABELS[k]) for k in Kind},
}


def sent_context(sent: str, lang: str) -> dict[str, str]:
    """The confirmation a page opened after an answer (``?sent=``) shows; nothing for
    anything not in ``SENT``."""
    found = SENT.get(sent)
    return {found[0]: found[1](lang)} if found else {}


#: the context keys of the page's forms that hold the household's code (ballot, survey,
#: needs, comments): a page with one in a form is the household's, never stored
CODE_KEYS = ("code", "survey_code", "needs_code", "comment_code")


def household_code(context: dict) -> str | None:  # type: ignore[type-arg]
    """The household's code a page's forms hold, if any."""
    return next((context[key] for key in CODE_KEYS if context.get(key)), None)


def _code_query(code: str) -> list[tuple[str, str]]:
    """``code=…`` for an address, when ``code`` is a household's code."""
    normal = normalise_code(code)
    return [("code", normal)] if normal else []


def back_to_page(project_id: int, lang: str, code: str, sent: str, anchor: str) -> Response:
    """303 to the public page after an answer was taken: reloading or sharing the
    address then opens the page, not the form's address; the household's code and
    the language stay, the page opens at the form's section and says what was done."""
    query = [*_code_query(code), ("lang", lang), ("sent", sent)]
    response = RedirectResponse(f"/public/projects/{project_id}?{urlencode(query)}#{anchor}", status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


_FORM_ADDRESS = re.compile(r"^/public/projects/(\d{1,9})(?:/|$)")


def form_address_page(
    request: Request, default_language: str, refused: AccompanyError | None = None
) -> Response | None:
    """The 405 page of a public form's address opened as a page (a reload after an
    error, a shared link): for a resident — no sign-in, no worklist — with a link to
    the project's public page, keeping the household's code when the address or the
    page it came from (Referer) had one. None for an address that is not public.
    With ``refused``: the answer to a form refused before it could be read (its
    text not UTF-8), that refusal's line with the same link."""
    found = _FORM_ADDRESS.match(request.url.path)
    if found is None:
        return None
    referer = urlsplit(request.headers.get("referer") or "")
    came_from = parse_qs(referer.query) if referer.netloc == request.headers.get("host", "") else {}
    lang = request.query_params.get("lang")
    if refused is not None:  # the form's language is in the form, unread: the page's
        lang = lang or (came_from.get("lang") or [None])[0]
    lang = normalise_language(lang, default_language)
    code = request.query_params.get("code") or (came_from.get("code") or [""])[0]
    back = f"/public/projects/{found.group(1)}?{urlencode([*_code_query(code[:40]), ('lang', lang)])}"
    if refused is not None:
        response = _page(
            request,
            lang,
            status_for(refused),
            project=None,
            form_address=back,
            refused=error_text(refused, lang),
        )
    else:
        response = _page(request, lang, 405, project=None, form_address=back)
        response.headers["Allow"] = "POST"
    response.headers["Cache-Control"] = "no-store"
    return response


def not_found_page(request: Request, default_language: str) -> Response | None:
    """The residents' "not found" page for any address under /public/ that names no
    page (a mistyped project number, /public/projects/abc): the same page as an
    unpublished project, without sign-in or worklist. None for any other address."""
    if not request.url.path.startswith("/public/"):
        return None
    lang = normalise_language(request.query_params.get("lang"), default_language)
    response = _page(request, lang, 404, project=None)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE // 5}"
    return response


def ballot_context(app, page: PublicPage, code: str) -> dict:  # type: ignore[no-untyped-def]
    """The ballot block: the tally (aggregates only) and, while it is open, the form."""
    tally = page.consent
    if tally is None:
        return {"tally": None}
    token = public_form_token(form_secret(app.settings), _purpose(page.project.id), time.time())
    # the code goes into the form only while there is one to fill in
    return {
        "tally": tally,
        "token": token,
        "code": (normalise_code(code) or code.strip()) if tally.open else "",
    }


def page_context(app, page: PublicPage, lang: str, code: str = "") -> dict:  # type: ignore[no-untyped-def]
    """The whole page: the project and each residents' block, a household ``code``
    (from the slip's QR code) in each open form."""
    from .comments import public_comments_context
    from .needs import public_needs_context
    from .satisfaction import survey_context

    return {
        "project": page.project,
        "documents": page.documents,
        **ballot_context(app, page, code),
        **survey_context(app, page, code),
        **public_comments_context(app, page, code),
        **public_needs_context(app, page, code, lang),
    }


def link_code_context(context: dict, code: str, lang: str) -> dict:  # type: ignore[type-arg]
    """A link whose ``code`` cannot be a household's (``?code=WRONG123``: a slip's
    address typed by hand, or cut short): the code in each form as the link has it,
    and next to it what a code looks like — told from its shape alone, never from the
    register, so that a link tells nothing of which households there are. Nothing for
    a code of the right shape (the register is asked when an answer is sent)."""
    typed = code.strip()
    if not typed or normalise_code(typed) is not None:
        return {}
    problem = translate(
        "The household code in the link is not a valid one: a code has {length} letters and digits "
        "(never {never}), as printed on your slip.",
        lang,
        length=CODE_LENGTH,
        never=("、" if lang == "zh" else ", ").join(CODE_NEVER),
    )
    return {**{key: typed for key in CODE_KEYS if key in context}, "link_code_error": problem}


def read_page(app, project_id: int) -> PublicPage | None:  # type: ignore[no-untyped-def]
    """The published page's content (one transaction); None when there is none."""
    try:
        return public_page(app, project_id)
    except NotFound:
        return None


async def admitted(request: Request, app) -> bool:  # type: ignore[no-untyped-def]
    """Whether this address may give one more answer now (then it is counted): the
    limit all server processes share."""
    address = request.client.host if request.client else "?"
    return await run_in_threadpool(admit, app, address, app.settings.ballots_per_minute)


def _page_throttle(request: Request) -> AddressThrottle:
    state = request.app.state
    if getattr(state, "page_throttle", None) is None:
        state.page_throttle = AddressThrottle(accompany_app(request).settings.public_pages_per_minute)
    return state.page_throttle


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@router.get("/public/projects/{project_id}")
async def public_page_view(request: Request, project_id: str) -> Response:
    application = accompany_app(request)
    lang = normalise_language(request.query_params.get("lang"), application.settings.language)
    app = application.via(Origin("web"), language=lang)
    code = (request.query_params.get("code") or "")[:40]
    address = request.client.host if request.client else "?"
    if not _page_throttle(request).allow(address, time.monotonic()):
        message = translate("Too many requests from this address: wait a minute and try again.", lang)
        response = _page(request, lang, 429, project=None, throttled=message)
        response.headers["Retry-After"] = "60"
        response.headers["Cache-Control"] = "no-store"
        return response
    page = await run_in_threadpool(read_page, app, record_id(project_id, "project"))
    if page is None:
        response = _page(request, lang, 404, project=None)
        response.headers["Cache-Control"] = f"public, max-age={MAX_AGE // 5}"
        return response
    context = page_context(app, page, lang, code)
    context.update(link_code_context(context, code, lang))
    sent = sent_context(request.query_params.get("sent") or "", lang)
    response = _page(request, lang, 200, **context, **sent)
    # the same page for everyone, no cookies; with a code in a form or an answer's
    # confirmation: never stored
    if sent or household_code(context):
        response.headers["Cache-Control"] = "no-store"
        return response
    cache = {"Cache-Control": f"public, max-age={MAX_AGE}", "ETag": _etag(response.body)}
    response.headers.update(cache)
    # a proxy may have weakened the tag (W/"…"): the page is the same all the same
    asked = {tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")}
    if cache["ETag"] in asked or "*" in asked:
        return Response(status_code=304, headers=cache)
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
        page = read_page(app, number)
        if page is None:
            response = _page(request, lang, 404, project=None)
        else:
            from .satisfaction import survey_context

            # the code stays in the ballot's and the survey's forms, not the needs'
            context = {
                **page_context(app, page, lang),
                **ballot_context(app, page, code),
                **survey_context(app, page, code),
            }
            response = _page(request, lang, status, message=message, done=done, **context)
        if response.status_code == 200:
            response.status_code = status
        response.headers["Cache-Control"] = "no-store"
        return response

    if not await admitted(request, app):
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
    sent = f"ballot-{receipt.choice}" + ("-replaced" if receipt.replaced else "")
    return back_to_page(number, lang, code, sent, "ballot")
