"""Server-rendered pages: one Jinja2 environment (autoescaped: text from people is
always text), the catalogue's ``_`` and the shared labels, date and deadline
formatting in Beijing time."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.responses import HTMLResponse

from ..i18n import translate
from ..labels import label, shown_stage_state
from ..models.deadlines import LOCAL_TZ
from ..models.delegation import on_behalf_label
from ..models.report import quarter_name
from .context import Page
from .notices import NOTICE_COOKIE, NOTICE_MARK, notice_html

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # the templates ship with the package: no stat() of each one on every render
        auto_reload=False,
    )
    env.filters["day"] = format_day
    env.filters["moment"] = format_moment
    env.filters["size"] = format_size
    env.filters["shown_state"] = shown_stage_state  # {{ s.state|shown_state(project_status) }}
    return env


def format_day(value: dt.date | str | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    return value.isoformat()


def format_moment(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def format_size(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def render_html(page: Page, template_name: str, csrf: str, **context: Any) -> str:
    """The page's HTML with ``csrf`` as the form token (the page cache renders with a
    stand-in and puts each viewer's own token in)."""
    lang = page.lang

    def gettext(message: str, **values: Any) -> str:
        return translate(message, lang, **values)

    def lbl(table: str, code: str | None) -> str:
        return label(table, code, lang)

    def version_of(ref: str | None) -> str:
        """A template version as people name it: 第 3 版 (not accompany-service@3)."""
        version = (ref or "").rpartition("@")[2]
        return translate("version {version}", lang, version=version) if version.isdigit() else ref or ""

    return (
        environment()
        .get_template(template_name)
        .render(
            _=gettext,
            label=lbl,
            version_of=version_of,
            quarter_name=lambda quarter: quarter_name(quarter, lang),
            # who decided, and for whom a substitute did: 李静（代 赵阳）
            on_behalf=lambda name, delegator_name: on_behalf_label(name, delegator_name, lang),
            page=page,
            person=page.person,
            lang=lang,
            csrf_field=Markup('<input type="hidden" name="csrf" value="{}">').format(csrf),
            settings=page.app.settings,
            **context,
        )
    )


def html_response(page: Page, html: str, status: int = 200) -> HTMLResponse:
    done = page.request.cookies.get(NOTICE_COOKIE)
    if NOTICE_MARK in html:  # the line confirming the form just done (see .notices)
        html = html.replace(NOTICE_MARK, notice_html(done, page.lang) if done else "", 1)
    response = HTMLResponse(html, status_code=status)
    if done:
        response.delete_cookie(NOTICE_COOKIE, path="/", httponly=True, samesite="lax")
    return page.apply_cookies(response)  # type: ignore[return-value]


def render(page: Page, template_name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return html_response(page, render_html(page, template_name, page.csrf, **context), status)
