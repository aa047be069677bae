"""A request as the pages see it: who is signed in (from the session cookie only),
in which language, the CSRF token of their session, and the application acting
through the ``web`` channel in that language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import Response
from starlette.routing import BaseRoute, Match

from ..bootstrap import App, Origin
from ..i18n import normalise_language, translator
from ..models.errors import AccompanyError, Localized, SessionExpired
from ..models.people import Person
from ..services import accounts
from .security import (
    CSRF_FIELD,
    CSRF_HEADER,
    LANG_COOKIE,
    PRE_SESSION_COOKIE,
    SESSION_COOKIE,
    csrf_matches,
    csrf_token,
    new_pre_session,
)


class SignInRequired(Exception):
    """Raised by pages that need a signed-in person; answered with a redirect to the
    sign-in page that comes back here afterwards (saying so when the session expired)."""

    def __init__(self, next_path: str, expired: bool = False):
        self.next_path = next_path
        self.expired = expired


class CsrfFailed(Exception):
    """A state-changing request without the form token of this session."""


@dataclass
class Page:
    request: Request
    app: App
    lang: str
    person: Person | None
    session_token: str | None
    pre_session: str
    new_pre_session: bool
    drop_session_cookie: bool = False
    session_expired: bool = False
    cookies: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    @property
    def _(self):  # type: ignore[no-untyped-def]
        return translator(self.lang)

    @property
    def csrf(self) -> str:
        return csrf_token(self.session_token or self.pre_session)

    def require(self) -> Person:
        if self.person is None:
            # a sign-in that ran out or was ended elsewhere (a password changed) is said
            # so on the sign-in page, and a form sent meanwhile comes back to its page
            raise SignInRequired(form_page(self.request), self.session_expired or self.drop_session_cookie)
        return self.person

    def check_csrf(self, form: FormData | None) -> None:
        submitted = (form.get(CSRF_FIELD) if form is not None else None) or self.request.headers.get(
            CSRF_HEADER
        )
        if not isinstance(submitted, str) or not csrf_matches(
            self.session_token or self.pre_session, submitted
        ):
            raise CsrfFailed

    def secure_cookies(self) -> bool:
        mode = self.app.settings.cookie_secure
        return mode == "always" or (mode == "auto" and self.request.url.scheme == "https")

    def set_cookie(self, name: str, value: str, **options: Any) -> None:
        self.cookies.append((name, value, options))

    def apply_cookies(self, response: Response) -> Response:
        secure = self.secure_cookies()
        if self.new_pre_session:
            response.set_cookie(
                PRE_SESSION_COOKIE, self.pre_session, httponly=True, samesite="lax", secure=secure, path="/"
            )
        if self.drop_session_cookie:
            response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure)
        for name, value, options in self.cookies:
            if value == "":
                response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=secure)
            else:
                response.set_cookie(
                    name, value, httponly=True, samesite="lax", secure=secure, path="/", **options
                )
        return response


def accompany_app(request: Request) -> App:
    return request.app.state.accompany


def request_language(request: Request, application: App) -> str:
    return normalise_language(request.cookies.get(LANG_COOKIE), application.settings.language)


def page_for(request: Request) -> Page:
    """The page context of any request; the person is None when nobody (valid) is
    signed in — an ended, expired or replayed session cookie signs nobody in."""
    base = accompany_app(request)
    lang = request_language(request, base)
    application = base.via(Origin("web"), language=lang)
    token = request.cookies.get(SESSION_COOKIE)
    person = None
    drop = expired = False
    if token:
        try:
            person = accounts.session_person(application, token)
        except AccompanyError as exc:
            token, drop, expired = None, True, isinstance(exc, SessionExpired)
    pre = request.cookies.get(PRE_SESSION_COOKIE)
    fresh = not pre or len(pre) > 64
    if fresh:
        pre = new_pre_session()
    return Page(
        request=request,
        app=application,
        lang=lang,
        person=person,
        session_token=token,
        pre_session=pre or "",
        new_pre_session=fresh,
        drop_session_cookie=drop,
        session_expired=expired,
    )


def form_page(request: Request) -> str:
    """The page a request came from when it sent a form (the page to open again: the
    decide page, not its ``/return`` address), as its same-site Referer says; for
    anything else, or without one, the request's own path."""
    own = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "POST":
        return own
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc or not referer.path.startswith("/"):
        return own
    return referer.path + (f"?{referer.query}" if referer.query else "")


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path on this site (no scheme, no host,
    no ``//`` or backslash tricks), else the start page."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(c in target for c in "\\\r\n\t") or any(ord(c) < 32 for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def page_to_open(routes: Sequence[BaseRoute], target: str) -> str:
    """``target`` (a path on this site, see :func:`safe_next`) if it can be opened;
    for an address that only takes a form (``/projects/3/stages/needs-survey/approve``
    after a session ran out while the form was open, ``/signout``) the nearest page
    above it that can be — the project's page, else the start page. An address no
    route knows stays as it is (its page says so)."""
    path = target.partition("?")[0].partition("#")[0]

    def opens(candidate: str) -> Match:
        scope = {"type": "http", "path": candidate, "root_path": "", "method": "GET"}
        found = Match.NONE
        for route in routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return Match.FULL
            found = Match.PARTIAL if match is Match.PARTIAL else found
        return found

    if opens(path) is not Match.PARTIAL:
        return target
    parts = path.rstrip("/").split("/")
    while len(parts) > 2:
        parts.pop()
        candidate = "/".join(parts)
        if opens(candidate) is Match.FULL:
            return candidate
    return "/"


def signin_url(next_path: str, expired: bool = False) -> str:
    return "/signin?next=" + quote(safe_next(next_path), safe="/") + ("&expired=1" if expired else "")


def local_now(application: App) -> dt.datetime:
    from ..models.deadlines import LOCAL_TZ

    return application.now().astimezone(LOCAL_TZ)


MAX_ID = 2_147_483_647  # ids are 32-bit in the schema


RECORDS = {
    "project": Localized("项目", "project"),
    "attachment": Localized("附件", "attachment"),
    "API token": Localized("接口令牌", "API token"),
    "delegation": Localized("代理", "delegation"),
    "comment": Localized("意见", "comment"),
}


def record_id(value: str, what: str) -> int:
    """An id from a URL: anything but a positive 32-bit number is "not found" (never
    an internal error from the database)."""
    from ..models.errors import NotFound

    if not value.isascii() or not value.isdigit() or not 0 < int(value) <= MAX_ID:
        raise NotFound("unknown {what} '{value}'", what=RECORDS.get(what, Localized(what)), value=value[:20])
    return int(value)
