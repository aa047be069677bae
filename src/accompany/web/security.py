"""What every response and every state-changing request goes through: strict
security headers, a cap on request bodies, and CSRF tokens bound to the session.

CSRF: a form carries ``csrf`` (an htmx request the ``X-CSRF-Token`` header) equal to
an HMAC of the session token — or, before sign-in, of a random pre-session cookie —
so a token from another session, an ended session or another site never matches.
Together with SameSite=Lax cookies this covers every POST."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "accompany_session"
PRE_SESSION_COOKIE = "accompany_pre"
LANG_COOKIE = "accompany_lang"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "permissions-policy": "geolocation=(self), camera=(self), microphone=()",
    "cross-origin-opener-policy": "same-origin",
}


def csrf_token(secret: str) -> str:
    return hmac.new(secret.encode(), b"accompany-csrf", hashlib.sha256).hexdigest()[:40]


def csrf_matches(secret: str | None, submitted: str | None) -> bool:
    if not secret or not submitted:
        return False
    return hmac.compare_digest(csrf_token(secret), submitted)


def new_pre_session() -> str:
    return secrets.token_urlsafe(24)


class SecurityHeaders:
    """Adds the security headers to every response; pages of signed-in people (and
    API answers) are never stored by caches."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if not scope["path"].startswith("/static/"):
                    headers.setdefault("cache-control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """Refuses a request body over ``max_bytes`` with 413 — by its Content-Length at
    once, and by counting for a body sent without one — before any of it is parsed."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _too_large(scope, send, self.max_bytes)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _too_large(scope, send, self.max_bytes)


async def _too_large(scope: Scope, send: Send, max_bytes: int) -> None:
    from ..i18n import normalise_language, translate

    lang = "zh"
    for name, value in scope.get("headers") or []:
        if name == b"cookie" and LANG_COOKIE.encode() in value:
            lang = normalise_language(value.decode("latin-1").split(LANG_COOKIE + "=", 1)[1][:2])
    text = translate(
        "The upload is too large (at most {mb} MB in one request).", lang, mb=max_bytes // (1 << 20)
    )
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
