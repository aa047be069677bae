"""The needs survey (问需) on the web: the resident's form on the public page (code,
needs ticked from the menu, a comment, up to five problem points with a position —
"use my location" fills it in with JavaScript, typing it works without — and a
photo), the planner's paper answer and the coordinator's menu on the project page,
and a problem point's photo for those who may see the project.

The public form works like the consent ballot's: no cookie, an hourly HMAC token,
same-origin check, the per-address throttle; the page shows aggregates only."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from ...bootstrap import App, Origin
from ...i18n import error_text, normalise_language, translate
from ...models.errors import AccompanyError, InvalidInput, NotFound
from ...models.households import normalise_code
from ...models.needs import MAX_COMMENT, MAX_NOTE, MAX_POINTS, POINT_COLOURS, POINT_LABELS
from ...needsmap import layout, tiled_layout
from ...services import needs as service
from ...services import needs_tally as tallies
from ...services.public import PublicPage
from ..context import accompany_app, page_for, record_id
from ..errors import form_status, status_for
from ..forms import SavedUpload, saved_uploads, text, uploads_of
from ..security import form_secret, public_form_matches, public_form_token
from . import public as public_routes
from .files import file_response

router = APIRouter()


def _purpose(project_id: int) -> str:
    return f"needs:{project_id}"


def point_categories(lang: str) -> list[dict[str, str]]:
    return [
        {"value": c.value, "label": label.text(lang), "colour": POINT_COLOURS[c]}
        for c, label in POINT_LABELS.items()
    ]


def public_needs_context(app: App, page: PublicPage, code: str, lang: str) -> dict[str, Any]:
    """The needs block of the public page: the tally (aggregates only) and, while the
    survey is open, the form with the menu."""
    view = page.needs
    if view is None:
        return {"needs": None}
    context: dict[str, Any] = {"needs": view}
    if view.open:
        context.update(
            needs_menu=page.needs_menu,
            needs_token=public_form_token(form_secret(app.settings), _purpose(page.project.id), time.time()),
            needs_code=normalise_code(code) or code.strip(),
            point_slots=range(1, MAX_POINTS + 1),
            point_categories=point_categories(lang),
            max_comment=MAX_COMMENT,
            max_note=MAX_NOTE,
        )
    return context


def project_needs_context(page: Any, block: tallies.NeedsBlock | None) -> dict[str, Any] | None:
    """The needs block of the project page (someone who may see the project): the
    tally, the menu, the problem map and its list, as the project view read them."""
    if block is None:
        return None
    points = [(p.lat, p.lng) for p in block.points]
    tiles = page.app.settings.map_tiles
    drawn = (
        tiled_layout(points, tiles, width=480, height=400, pad=40)
        if tiles
        else layout(points, width=480, height=400, pad=40)
    )
    return {
        "tally": block.tally,
        "menu": block.menu,
        "points": block.points,
        "map": drawn,
        "placed": list(zip(block.points, drawn.placed, strict=True)),
        "categories": point_categories(page.lang),
        "attribution": page.app.settings.map_tiles_attribution if tiles else None,
    }


def _points(form: FormData, lang: str) -> list[tuple[int, dict[str, str]]]:
    """The filled-in point fieldsets (a fieldset left empty is no point)."""
    found = []
    for n in range(1, MAX_POINTS + 1):
        values = {
            key: text(form, f"point{n}.{key}", limit=MAX_NOTE + 50, lang=lang).strip()
            for key in ("category", "note", "lat", "lng", "datum")
        }
        photo = uploads_of(form, f"point{n}.photo")
        if not (values["lat"] or values["lng"] or values["note"] or photo):
            continue
        if not (values["lat"] and values["lng"]):
            raise InvalidInput(
                translate("problem point {n}: give its position (latitude and longitude)", lang, n=n),
                field="point",
            )
        found.append((n, values))
    return found


def _answer(app: App, number: int, form: FormData, lang: str, *, by: str | None) -> service.AnswerReceipt:
    # the form's own limit, with the field's label: the same limit and words as the
    # textarea's (it said 「comment」过长：最多 1000 个字符 against a textarea of 500)
    comment = text(
        form, "comment", limit=MAX_COMMENT, lang=lang, label=translate("Anything else (optional)", lang)
    )
    needs = [str(v) for v in form.getlist("need") if isinstance(v, str)]
    filled = _points(form, lang)
    uploads = []
    for n, _ in filled:
        photos = uploads_of(form, f"point{n}.photo")
        if photos:
            uploads.append((str(n), photos[0]))
    with saved_uploads(uploads, max_bytes=app.settings.upload_max_mb << 20, lang=lang) as saved:
        by_slot: dict[str, SavedUpload] = {s.key or "": s for s in saved}
        points = []
        for n, values in filled:
            photo = by_slot.get(str(n))
            points.append(
                service.PointInput(
                    category=values["category"] or "other",
                    note=values["note"],
                    lat=values["lat"],
                    lng=values["lng"],
                    datum=values["datum"] or "gcj02",
                    photo_path=photo.path if photo else None,
                    photo_filename=photo.filename if photo else None,
                )
            )
        return service.record_answer(
            app, number, str(form.get("code") or "")[:40], needs, comment=comment, points=points, by=by
        )


@router.post("/public/projects/{project_id}/needs")
async def public_needs(request: Request, project_id: str) -> Response:
    application = accompany_app(request)
    form = await request.form(max_files=MAX_POINTS + 2, max_fields=200)
    lang = normalise_language(
        str(form.get("lang") or request.query_params.get("lang") or ""), application.settings.language
    )
    app = application.via(Origin("web"), language=lang)
    number = record_id(project_id, "project")
    code = str(form.get("code") or "")[:40]

    def reply(status: int, *, message: str = "", done: str = "") -> Response:
        page = public_routes.read_page(app, number)
        if page is None:
            response = public_routes._page(request, lang, 404, project=None)
        else:
            ballot = public_routes.ballot_context(app, page, "")
            needs = public_needs_context(app, page, code if status != 200 else "", lang)
            response = public_routes._page(
                request,
                lang,
                status,
                project=page.project,
                documents=page.documents,
                needs_message=message,
                needs_done=done,
                **ballot,
                **needs,
            )
        response.headers["Cache-Control"] = "no-store"
        return response

    if not await public_routes.admitted(request, app):
        message = translate("Too many answers from this address: wait a minute and try again.", lang)
        response = await run_in_threadpool(reply, 429, message=message)
        response.headers["Retry-After"] = "60"
        return response
    token = form.get("token")
    if not public_routes._same_origin(request) or not public_form_matches(
        form_secret(app.settings), _purpose(number), time.time(), token if isinstance(token, str) else None
    ):
        message = translate("The form has expired: reload the page and answer again.", lang)
        return await run_in_threadpool(reply, 403, message=message)
    try:
        receipt = await run_in_threadpool(lambda: _answer(app, number, form, lang, by=None))
    except NotFound as exc:
        if exc.field != "code":
            return await run_in_threadpool(reply, 404)
        return await run_in_threadpool(reply, 400, message=error_text(exc, lang))
    except AccompanyError as exc:
        return await run_in_threadpool(reply, status_for(exc), message=error_text(exc, lang))
    sent = "needs-replaced" if receipt.replaced else "needs"
    return public_routes.back_to_page(number, lang, code, sent, "needs")


async def _project_page_error(page: Any, number: int, message: str, status: int) -> Response:
    from ...services import worklists
    from ..rendering import render
    from .projects import EVENTS_PAGE, residents_context

    def build() -> Response:
        view = worklists.project_view(
            page.app, page.require(), number, newest_events=EVENTS_PAGE, with_tally=True
        )
        return render(
            page,
            "project.html",
            status=status,
            view=view,
            detail=view.detail,
            summarise=lambda event: "",
            **residents_context(view, page),
            needs_error=message,
        )

    return await run_in_threadpool(build)


@router.post("/projects/{project_id}/needs")
async def paper_answer(request: Request, project_id: str) -> Response:
    """A paper answer recorded by the planner or a coordinator (代录)."""
    page = page_for(request)
    person = page.require()
    number = record_id(project_id, "project")
    form = await request.form(max_files=MAX_POINTS + 2, max_fields=200)
    page.check_csrf(form)
    try:
        await run_in_threadpool(lambda: _answer(page.app, number, form, page.lang, by=person.id))
    except AccompanyError as exc:
        return await _project_page_error(page, number, error_text(exc, page.lang), form_status(exc))
    return RedirectResponse(f"/projects/{number}#needs", status_code=303)


@router.post("/projects/{project_id}/needs/menu")
async def menu_change(request: Request, project_id: str) -> Response:
    """The coordinator adds an item (category and name) or retires one."""
    page = page_for(request)
    person = page.require()
    number = record_id(project_id, "project")
    form = await request.form()
    page.check_csrf(form)
    try:
        category = text(form, "category", lang=page.lang).strip()
        name = text(form, "name", lang=page.lang, label=page._("New item")).strip()
        retire = text(form, "retire", lang=page.lang).strip()
        rename = text(form, "rename", lang=page.lang).strip()
        add = [f"{category}:{name}"] if name and not rename else []
        renamed = [(_number(rename), name)] if rename else []
        retired = [_number(retire)] if retire else []
        if not (add or renamed or retired):
            raise InvalidInput(page._("Give the new item's name."), field="name")
        await run_in_threadpool(
            lambda: service.edit_menu(page.app, number, by=person.id, add=add, retire=retired, rename=renamed)
        )
    except AccompanyError as exc:
        return await _project_page_error(page, number, error_text(exc, page.lang), status_for(exc))
    return RedirectResponse(f"/projects/{number}#needs-menu", status_code=303)


def _number(value: str) -> int:
    digits = value.removeprefix("-")
    if not digits.isascii() or not digits.isdigit() or len(digits) > 9:
        raise InvalidInput("need '{value}' is not a menu item number", field="need", value=value[:20])
    return int(value, 10)


@router.get("/needs/points/{point_id}/photo")
def point_photo(request: Request, point_id: str) -> Response:
    page = page_for(request)
    person = page.require()
    stored = tallies.point_photo(page.app, person.id, record_id(point_id, "attachment"))
    return file_response(stored)
