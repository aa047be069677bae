"""我的待办 / my work: the landing page after sign-in, by role."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ...models.people import PARTY_ROLES, Role
from ...services import freshness, worklists
from ..context import page_for
from ..page_cache import Keep, Until, cached_page
from ..rendering import render_html

router = APIRouter()


@router.get("/")
def my_work(request: Request) -> Response:
    """Kept (see ``web.page_cache``) until anything but an account changes in the
    city: read first, so the page kept is never older than the head it is kept under."""
    page = page_for(request)
    person = page.require()
    if person.role is Role.COORDINATOR:
        # a coordinator's work is the portfolio of their street(s), with its filters
        from .projects import portfolio

        return portfolio(request, page, heading=page._("My work"))
    head = ("city", freshness.city_head(page.app))

    def build(csrf: str) -> tuple[str, Keep]:
        work = worklists.my_work(page.app, person)
        overview = None
        if person.role is Role.DISTRICT:
            overview = worklists.quarter_overview(page.app, person)
        html = render_html(
            page, "work.html", csrf, work=work, overview=overview, party_roles=[r.value for r in PARTY_ROLES]
        )
        # a planner sees the extension decisions of the last 30 days: the first
        # leaves the list the moment it turns 30 days old, with nothing recorded
        decided = [x.decided_at for x in work.extension_decisions if x.decided_at is not None]
        if decided:
            return html, Until(min(decided) + worklists.RECENT_DECISIONS, business=True)
        return html, True

    return cached_page(page, head, build)
