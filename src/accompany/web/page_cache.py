"""Rendered pages kept in this process until what they show changes.

A page is kept under everything that decides what it shows:

- its path and query;
- the viewer — the whole signed-in person as read from the database with the
  session on this request (id, role, scope, name, active): the actions offered
  differ per viewer, so one viewer never gets another's page;
- the language, and the local date (working days left, overdue counts, whether a
  delegation holds, whether comments are open all change with the day);
- its *head*, read from the database before the page (e.g.
  :func:`accompany.services.freshness.project_head`): a change recorded by any
  process — another worker, the CLI, a flow — moves it, so no in-process
  invalidation is relied on.

What is only the viewer's session — the form token (CSRF) — is never kept: pages
are rendered with a random stand-in, and each answer gets its own token put in.
A page that changes with the clock alone is kept only until that moment (e.g. an
"undo" offered only within the undo window, on the real clock) or not at all; the
builder says which.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from ..models.deadlines import local_date
from .context import Page
from .rendering import html_response


@dataclass(frozen=True)
class Until:
    """Kept until ``moment`` (its last instant included) of the real clock, or of
    the application's clock (``business``: what the page reckons with, e.g. "the
    last 30 days"; the two differ when a simulation moves one)."""

    moment: dt.datetime
    business: bool = False

    def passed(self, now: dt.datetime, real_now: dt.datetime) -> bool:
        return (now if self.business else real_now) > self.moment


#: what a page's builder says of the page: kept (True), not kept (False), or kept
#: until a moment (a datetime: of the real clock)
Keep = bool | dt.datetime | Until

#: rendered pages kept per process (a project page is ~30–60 KB: ~50 MB at most)
MAX_PAGES = 1000


class PageCache:
    """A small LRU of rendered HTML, shared by the worker's threads."""

    def __init__(self, size: int = MAX_PAGES) -> None:
        self.size = size
        # never in any text a person can type: unguessable, new in each process
        self.stand_in = "csrf-stand-in-" + secrets.token_hex(16)
        self._pages: OrderedDict[Hashable, tuple[str, Until | None]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable, now: dt.datetime, real_now: dt.datetime) -> str | None:
        with self._lock:
            found = self._pages.get(key)
            if found is not None and found[1] is not None and found[1].passed(now, real_now):
                del self._pages[key]  # its time is up
                found = None
            if found is None:
                self.misses += 1
                return None
            self._pages.move_to_end(key)
            self.hits += 1
            return found[0]

    def put(self, key: Hashable, html: str, until: Until | None = None) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._pages[key] = (html, until)
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._pages)


def pages_of(page: Page) -> PageCache:
    """The cache of this web app (one per app, so two apps on two databases in one
    process never share pages)."""
    return page.request.app.state.pages  # type: ignore[no-any-return]


def page_key(page: Page, head: Hashable) -> tuple[Any, ...]:
    url = page.request.url
    return (url.path, url.query, page.person, page.lang, local_date(page.app.now()), head)


def cached_page(page: Page, head: Hashable | None, build: Callable[[str], tuple[str, bool]]) -> Response:
    """The page kept under ``head`` (see the module), or ``build(csrf)`` — which
    renders it with that form token and says whether it may be kept. No head (e.g.
    no such record): always built, never kept."""
    if head is None:
        html, _ = build(page.csrf)
        return html_response(page, html)
    pages = pages_of(page)
    key = page_key(page, head)
    html = pages.get(key, page.app.now(), page.app.real_now())
    if html is None:
        html, keep = build(pages.stand_in)
        if keep is True:
            pages.put(key, html)
        elif isinstance(keep, Until):
            pages.put(key, html, until=keep)
        elif isinstance(keep, dt.datetime):
            pages.put(key, html, until=Until(keep))
    return html_response(page, html.replace(pages.stand_in, page.csrf))
