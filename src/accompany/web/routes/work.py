"""我的待办 / my work: the landing page after sign-in, by role."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ...models.people import PARTY_ROLES, Role
from ...services import worklists
from ..context import page_for
from ..rendering import render

router = APIRouter()


@router.get("/")
def my_work(request: Request) -> Response:
    page = page_for(request)
    person = page.require()
    if person.role is Role.COORDINATOR:
        # a coordinator's work is the portfolio of their street(s), with its filters
        from .projects import portfolio

        return portfolio(request, page, heading=page._("My work"))
    work = worklists.my_work(page.app, person)
    overview = None
    if person.role is Role.DISTRICT:
        overview = worklists.quarter_overview(page.app, person)
    return render(page, "work.html", work=work, overview=overview, party_roles=[r.value for r in PARTY_ROLES])
