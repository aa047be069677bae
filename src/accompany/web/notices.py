"""The line that confirms a form was done ("已批准。"), shown at the top of the page the
form leads to. A person who approves, returns or marks a stage done lands on the
project page; without it they had to find the changed badge to know it worked.

A sent form answered with 303 to a page gets a short-lived cookie naming what was done
(a key of ``NOTICES``, never text from the request); the next HTML page puts the line
at its mark and clears the cookie. The mark is filled per response, after the page
cache (see ``page_cache``), like the form token: a cached page never holds a notice.
"""

from __future__ import annotations

import re

from markupsafe import Markup
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..i18n import translate
from ..models.errors import N_

NOTICE_COOKIE = "accompany_notice"
NOTICE_MARK = "<!--accompany-notice-->"

#: what a form's address did, by the end of its path (first match wins)
_DONE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), key)
    for pattern, key in (
        (r"^/projects/new$", "started"),
        (r"/stages/[^/]+/done$", "stage_done"),
        (r"/stages/[^/]+/approve$", "approved"),
        (r"/stages/[^/]+/return$", "returned"),
        (r"/stages/[^/]+/pause$", "paused"),
        (r"/stages/[^/]+/resume$", "clock_resumed"),
        (r"/stages/[^/]+/extension$", "extension_requested"),
        (r"/stages/[^/]+/extension/grant$", "extension_granted"),
        (r"/stages/[^/]+/extension/refuse$", "extension_refused"),
        (r"/stages/[^/]+/undo$", "undone"),
        (r"/stages/[^/]+/loop$", "looped"),
        (r"^/projects/\d+/suspend$", "suspended"),
        (r"^/projects/\d+/resume$", "project_resumed"),
        (r"^/projects/\d+/cancel$", "cancelled"),
        (r"^/projects/\d+/handover$", "handed_over"),
        (r"^/projects/\d+/", "saved"),  # edit, parties, migrate, comments, households, files …
        (r"^/account/delegations$", "delegated"),
        (r"^/account/delegations/\d+/end$", "delegation_ended"),
        (r"^/account/", "saved"),
    )
)

NOTICES = {
    "started": N_("The project is started."),
    "stage_done": N_("The stage is marked done."),
    "approved": N_("Approved."),
    "returned": N_("Returned with your reason; the planner sees it on their work list."),
    "paused": N_("The stage's clock is paused."),
    "clock_resumed": N_("The stage's clock runs again."),
    "extension_requested": N_("The extension is requested; the street office decides."),
    "extension_granted": N_("The extension is granted."),
    "extension_refused": N_("The extension is refused."),
    "undone": N_("The decision is undone."),
    "looped": N_("A new round has started."),
    "suspended": N_("The project is suspended."),
    "project_resumed": N_("The project is resumed."),
    "cancelled": N_("The project is cancelled."),
    "handed_over": N_("The project is handed over."),
    "delegated": N_("Your substitute is named."),
    "delegation_ended": N_("The delegation is ended."),
    "saved": N_("Saved."),
}


def done_key(path: str) -> str | None:
    """What a form sent to ``path`` did, as a key of ``NOTICES`` (None: say nothing)."""
    for pattern, key in _DONE:
        if pattern.search(path):
            return key
    return None


def notice_html(key: str | None, lang: str) -> Markup:
    """The confirmation line for ``key`` (nothing for an unknown one: the cookie is the
    browser's, its value is never shown)."""
    message = NOTICES.get(key or "")
    if message is None:
        return Markup("")
    return Markup('<p class="notice done-notice" role="status">{}</p>').format(translate(message, lang))


class DoneNotices:
    """Sets the notice cookie on a form's 303 answer that leads to a page."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        key = done_key(scope["path"])

        async def send_with_notice(message: Message) -> None:
            if key and message["type"] == "http.response.start" and message["status"] == 303:
                headers = MutableHeaders(scope=message)
                if not headers.get("location", "").startswith("/signin"):
                    headers.append(
                        "set-cookie", f"{NOTICE_COOKIE}={key}; Max-Age=60; Path=/; HttpOnly; SameSite=Lax"
                    )
            await send(message)

        await self.app(scope, receive, send_with_notice)
