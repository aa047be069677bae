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

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "accompany_session"
PRE_SESSION_COOKIE = "accompany_pre"
LANG_COOKIE = "accompany_lang"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


def content_security_policy(img_origin: str | None = None) -> str:
    """The pages' CSP; ``img_origin``: a configured map tile server, the one other
    place the browser may load images from."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: blob: {img_origin}" if img_origin else "img-src 'self' data: blob:",
            "font-src 'self'",
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        )
    )


CONTENT_SECURITY_POLICY = content_security_policy()
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


#: a public form's token is valid for the hour it was issued and the next one
PUBLIC_FORM_WINDOW_SECONDS = 3600


def public_form_token(secret: str, purpose: str, moment: float, *, window: int = 0) -> str:
    """The token of a public form without a session or cookie: an HMAC of the server
    secret, what the form is for (``ballot:<project>``) and the hour. The same for
    everyone (the page stays cacheable); it binds a submission to a page this server
    rendered for that project in the last two hours."""
    hour = int(moment // PUBLIC_FORM_WINDOW_SECONDS) - window
    message = f"public-form:{purpose}:{hour}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:40]


def public_form_matches(secret: str, purpose: str, moment: float, submitted: str | None) -> bool:
    if not submitted:
        return False
    return any(
        hmac.compare_digest(public_form_token(secret, purpose, moment, window=w), submitted) for w in (0, 1)
    )


def form_secret(settings) -> str:  # type: ignore[no-untyped-def]
    """ACCOMPANY_FORM_SECRET, else a random secret kept (0600) in $ACCOMPANY_HOME/form-secret."""
    if settings.form_secret is not None:
        return settings.form_secret.get_secret_value()
    path = settings.home / "form-secret"
    try:
        return path.read_text("ascii").strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(32)
        try:
            with open(path, "x", encoding="ascii") as handle:  # another process may win: read theirs
                path.chmod(0o600)
                handle.write(secret)
        except FileExistsError:
            return path.read_text("ascii").strip()
        return secret


class AddressThrottle:
    """At most ``limit`` requests per address in any ``seconds`` (in memory, per server
    process): the public ballot's brake on scripted guessing of codes."""

    def __init__(self, limit: int, seconds: float = 60.0):
        self.limit = limit
        self.seconds = seconds
        self._seen: dict[str, list[float]] = {}

    def allow(self, address: str, now: float) -> bool:
        recent = [t for t in self._seen.get(address, ()) if now - t < self.seconds]
        if len(recent) >= self.limit:
            self._seen[address] = recent
            return False
        recent.append(now)
        self._seen[address] = recent
        if len(self._seen) > 10_000:  # forget quiet addresses
            self._seen = {a: ts for a, ts in self._seen.items() if ts and now - ts[-1] < self.seconds}
        return True


def new_pre_session() -> str:
    return secrets.token_urlsafe(24)


class SecurityHeaders:
    """Adds the security headers to every response; pages of signed-in people (and
    API answers) are never stored by caches."""

    def __init__(self, app: ASGIApp, img_origin: str | None = None):
        self.app = app
        self.headers = {**SECURITY_HEADERS, "content-security-policy": content_security_policy(img_origin)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
                if not scope["path"].startswith("/static/"):
                    headers.setdefault("cache-control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def origin_of(url: str | None) -> str | None:
    """``https://host[:port]`` of a URL (a CSP source), None for none."""
    if not url:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


class BodyTooLarge(Exception):
    pass


def limit_bodies(app: Starlette, upload_max_mb: int) -> None:
    """Adds the request-body limit to ``app``: room for five files of
    ``upload_max_mb`` (a stage done with several photos goes in one request) and 1 MB
    of fields. A mounted app (the API) takes it too, inside its own error layer,
    which would answer 500 for a body found too large as it streams in, before the
    outer app's limit could answer 413."""
    per_file = upload_max_mb * 1024 * 1024
    app.add_middleware(BodyLimit, max_bytes=5 * per_file + 1024 * 1024, per_file_mb=upload_max_mb)


class BodyLimit:
    """Refuses a request body over ``max_bytes`` with 413 — by its Content-Length at
    once, and by counting for a body sent without one — before any of it is parsed."""

    def __init__(self, app: ASGIApp, max_bytes: int, per_file_mb: int | None = None):
        self.app = app
        self.max_bytes = max_bytes
        self.per_file_mb = per_file_mb

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _too_large(scope, send, self.max_bytes, self.per_file_mb)
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
                await _too_large(scope, send, self.max_bytes, self.per_file_mb)


async def _too_large(scope: Scope, send: Send, max_bytes: int, per_file_mb: int | None) -> None:
    import json

    from ..i18n import normalise_language, translate

    headers = dict(scope.get("headers") or [])
    api = str(scope.get("path", "")).startswith("/api/")
    lang = "zh"
    cookie = headers.get(b"cookie", b"").decode("latin-1")
    if LANG_COOKIE + "=" in cookie:
        lang = normalise_language(cookie.split(LANG_COOKIE + "=", 1)[1][:2])
    if api:  # a program says its language as the API reads it elsewhere
        asked = headers.get(b"accept-language", b"").decode("latin-1")[:2].lower()
        lang = normalise_language(asked or None, lang)
    if per_file_mb is not None:
        text = translate(
            "The upload is too large: at most {mb} MB a file and {total} MB in one request.",
            lang,
            mb=per_file_mb,
            total=max_bytes // (1 << 20),
        )
    else:
        text = translate(
            "The upload is too large (at most {mb} MB in one request).", lang, mb=max_bytes // (1 << 20)
        )
    if api:  # the API's own error shape, as for its other refusals
        body = json.dumps(
            {"error": {"code": "too_large", "message": text, "fields": [], "problems": []}},
            ensure_ascii=False,
        ).encode()
        kind = b"application/json"
    else:
        body = text.encode()
        kind = b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
