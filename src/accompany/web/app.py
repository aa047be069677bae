"""The web app: one more adapter beside the CLI. Routes parse input, call the same
service functions with the signed-in person as the actor, and render; no rule lives
in a route or a template.

``create_web_app(application)`` builds the ASGI app over a wired :class:`App`
(``accompany web`` serves it with uvicorn; tests drive it in-process)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from ..bootstrap import App
from ..i18n import error_text
from ..models.errors import AccompanyError, NotFound
from .context import CsrfFailed, SignInRequired, form_page, page_for, page_to_open, signin_url
from .errors import status_for
from .forms import FormsInUtf8, NotUtf8
from .notices import DoneNotices
from .page_cache import PageCache
from .rendering import render
from .security import SESSION_COOKIE, SecurityHeaders, limit_bodies, origin_of

STATIC = Path(__file__).resolve().parent / "static"


@asynccontextmanager
async def _serving(web: FastAPI) -> AsyncIterator[None]:
    """When the server starts: what is loaded by then (the libraries, the wired app)
    lives as long as the process, so the garbage collector's full collections stop
    walking it (gc.freeze) — each one otherwise pauses every request in flight."""
    gc.collect()
    gc.freeze()
    yield


def create_web_app(application: App) -> FastAPI:
    from . import api
    from .routes import (
        account,
        comments,
        files,
        households,
        life,
        migration,
        needs,
        projects,
        public,
        public_files,
        reports,
        satisfaction,
        signin,
        stages,
        work,
    )

    web = FastAPI(
        title="accompany",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=_serving,
    )
    web.state.accompany = application
    web.state.pages = PageCache()  # rendered pages, kept until they change (page_cache)
    web.add_middleware(FormsInUtf8)
    web.add_middleware(DoneNotices)
    limit_bodies(web, application.settings.upload_max_mb)
    web.add_middleware(SecurityHeaders, img_origin=origin_of(application.settings.map_tiles))
    web.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (
        signin,
        account,
        work,
        projects,
        life,
        migration,
        stages,
        files,
        reports,
        households,
        public,
        public_files,
        satisfaction,
        comments,
        needs,
    ):
        web.include_router(module.router)
    web.mount("/api", api.create_api(application))

    @web.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        # what a browser asks for on its own, before it reads a page's <link rel="icon">
        return RedirectResponse(
            "/static/favicon.svg", status_code=301, headers={"cache-control": "max-age=86400"}
        )

    @web.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        # a form sent after the session ran out comes back to the form's page, not its address
        target = page_to_open(web.router.routes, exc.next_path)
        response = RedirectResponse(signin_url(target, exc.expired), status_code=303)
        if request.cookies.get(SESSION_COOKIE):
            response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
        return response

    @web.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        page = page_for(request)
        return render(
            page,
            "error.html",
            status=403,
            title=page._("The form has expired"),
            message=page._(
                "This form was opened in another session or has expired. "
                "Open the form again: what you typed is filled back in (in this browser tab)."
            ),
            back=page_to_open(web.router.routes, form_page(request)),
            keep_draft=True,  # app.js: the form's page, opened again, fills back what was typed
        )

    @web.exception_handler(AccompanyError)
    async def _refused(request: Request, exc: AccompanyError) -> Response:
        if isinstance(exc, NotFound):
            from .routes.public import not_found_page

            # a resident's address (/public/projects/abc): the residents' page, no staff links
            public = not_found_page(request, application.settings.language)
            if public is not None:
                return public
        if isinstance(exc, NotUtf8):
            from .routes.public import form_address_page

            # refused as the form was read: a resident's is told on the residents' page
            public = form_address_page(request, application.settings.language, refused=exc)
            if public is not None:
                return public
        page = page_for(request)
        status = status_for(exc)
        message = error_text(exc, page.lang, "web")
        if isinstance(exc, NotUtf8):
            # the form's page again, what was typed filled back in (app.js, this tab)
            back = page_to_open(web.router.routes, form_page(request))
            return render(
                page,
                "error.html",
                status=status,
                title=page._("Not possible"),
                message=message,
                back=back,
                keep_draft=True,
            )
        return render(page, "error.html", status=status, title=page._("Not possible"), message=message)

    @web.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            from .routes.public import not_found_page

            public = not_found_page(request, application.settings.language)
            if public is not None:
                return public
        if exc.status_code == 405:
            from .routes.public import form_address_page

            # a resident's form address: no sign-in nor worklist, back to the public page
            public = form_address_page(request, application.settings.language)
            if public is not None:
                return public
        page = page_for(request)
        if exc.status_code == 405:
            # a form's address opened as a page (a bookmark, a sign-in that came back
            # to it): say so in the reader's language and offer the page of the form
            back = page_to_open(web.router.routes, request.url.path)
            response = render(
                page,
                "error.html",
                status=405,
                title=page._("This address takes a form"),
                message=page._(
                    "This address only receives a form sent from its page; it cannot be opened on its own."
                ),
                back=back if back != "/" else None,
            )
            if exc.headers:
                response.headers.update(exc.headers)
            return response
        title = page._("Page not found") if exc.status_code == 404 else page._("Not possible")
        message = page._("There is no such page.") if exc.status_code == 404 else str(exc.detail)
        status = exc.status_code
        if status == 400:  # the form parser's own refusals (Starlette's English): said in the reader's words
            detail = str(exc.detail)
            if detail.startswith(("Field exceeded", "Part exceeded")):
                status, message = 413, page._("One field of the form is too large (at most 1 MB a field).")
            elif detail.startswith("Too many"):
                message = page._("The form has too many fields or files.")
            else:
                message = page._("The form could not be read: open its page again and send it once more.")
        return render(page, "error.html", status=status, title=title, message=message)

    @web.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        page = page_for(request)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ())[1:])
        message = page._("Invalid input: {where}", where=where or "?")
        return render(page, "error.html", status=400, title=page._("Not possible"), message=message)

    return web
