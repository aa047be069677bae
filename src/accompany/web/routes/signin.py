"""Sign-in, sign-out, invite links and the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from ...i18n import LANGUAGES, error_text
from ...models.errors import AccompanyError, Throttled
from ...services import accounts
from ..context import page_for, page_to_open, safe_next
from ..errors import status_for
from ..rendering import render
from ..security import LANG_COOKIE, SESSION_COOKIE

router = APIRouter()
MAX_ACCOUNT_LENGTH = 64


@router.get("/signin")
def signin_form(request: Request, next: str = "/", expired: str | None = None) -> Response:
    page = page_for(request)
    target = page_to_open(request.app.router.routes, safe_next(next))
    if page.person is not None:
        return RedirectResponse(target, status_code=303)
    notice = page._("Your session has expired; please sign in again.") if expired else None
    return render(page, "signin.html", keep_draft=True, next=target, account="", error=None, notice=notice)


@router.post("/signin")
async def signin_submit(request: Request) -> Response:
    page = page_for(request)
    form = await request.form()
    page.check_csrf(form)
    account = str(form.get("account") or "")[:MAX_ACCOUNT_LENGTH]
    password = str(form.get("password") or "")
    target = page_to_open(request.app.router.routes, safe_next(str(form.get("next") or "/")))
    address = request.client.host if request.client else None
    try:
        token = await run_in_threadpool(
            accounts.sign_in,
            page.app,
            account,
            password,
            address=address,
            user_agent=request.headers.get("user-agent"),
        )
    except AccompanyError as exc:
        message = (
            page._(
                "Too many failed sign-ins. Try again in {minutes} minutes.",
                minutes=-(-exc.retry_after_seconds // 60),
            )
            if isinstance(exc, Throttled)
            else page._("Wrong account or password.")
        )
        response = render(
            page,
            "signin.html",
            keep_draft=True,
            status=status_for(exc),
            next=target,
            account=account,
            error=message,
            notice=None,
        )
        if isinstance(exc, Throttled):
            response.headers["Retry-After"] = str(exc.retry_after_seconds)
        return response
    response = RedirectResponse(target, status_code=303)
    # a new session token at every sign-in; the old cookie (if any) is replaced
    page.set_cookie(SESSION_COOKIE, token)
    return page.apply_cookies(response)


@router.post("/signout")
async def signout(request: Request) -> Response:
    page = page_for(request)
    form = await request.form()
    page.check_csrf(form)
    if page.session_token:
        await run_in_threadpool(accounts.sign_out, page.app, page.session_token)
    page.set_cookie(SESSION_COOKIE, "")
    return page.apply_cookies(RedirectResponse("/signin", status_code=303))


@router.get("/invite/{token}")
def invite_form(request: Request, token: str) -> Response:
    page = page_for(request)
    try:
        invited = accounts.invited_person(page.app, token[:100])
    except AccompanyError:
        return render(
            page,
            "error.html",
            status=404,
            title=page._("Invite link not valid"),
            message=page._(
                "This invite link was used, has expired or never existed. Ask the operator for a new one."
            ),
        )
    return render(page, "invite.html", invited=invited, error=None)


@router.post("/invite/{token}")
async def invite_submit(request: Request, token: str) -> Response:
    page = page_for(request)
    form = await request.form()
    page.check_csrf(form)
    password = str(form.get("password") or "")
    again = str(form.get("again") or "")
    try:
        invited = await run_in_threadpool(accounts.invited_person, page.app, token[:100])
    except AccompanyError:
        return render(
            page,
            "error.html",
            status=404,
            title=page._("Invite link not valid"),
            message=page._(
                "This invite link was used, has expired or never existed. Ask the operator for a new one."
            ),
        )
    if password != again:
        return render(
            page, "invite.html", status=400, invited=invited, error=page._("The two passwords differ.")
        )
    try:
        await run_in_threadpool(accounts.accept_invite, page.app, token[:100], password)
    except AccompanyError as exc:
        message = error_text(exc, page.lang)
        return render(page, "invite.html", status=status_for(exc), invited=invited, error=message)
    return render(
        page,
        "signin.html",
        next="/",
        account=invited.id,
        error=None,
        notice=page._("Your password is set. Sign in with it now."),
    )


@router.post("/lang")
async def switch_language(request: Request) -> Response:
    page = page_for(request)
    form = await request.form()
    page.check_csrf(form)
    lang = str(form.get("lang") or "")
    # a page shown after a form was sent (a refusal) has the form's address: back to
    # the page that can be opened, not to an address that takes only the form
    target = page_to_open(request.app.router.routes, safe_next(str(form.get("next") or "/")))
    if lang in LANGUAGES:
        page.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600)
    return page.apply_cookies(RedirectResponse(target, status_code=303))
