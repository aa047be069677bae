"""Helpers for driving the web app in tests: an in-process client per person, the
CSRF token of the page, database snapshots to show a refusal changed nothing."""

from __future__ import annotations

import html
import re
import warnings
from typing import Any

from sqlalchemy import inspect, text

from accompany.bootstrap import App
from accompany.passwords import PasswordHasher
from accompany.services import accounts

PASSWORD = "correct-horse-battery"
# cheap Argon2 parameters: tests sign in many times
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def with_passwords(app: App, *people: str) -> App:
    app.__dict__["passwords"] = FAST_HASHER
    for person in people:
        accounts.set_password(app, person, PASSWORD, by="test")
    return app


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def visible_text(page: str) -> str:
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def client(web: Any) -> TestClient:
    return TestClient(web, base_url="http://testserver", follow_redirects=False)


def sign_in(web: Any, account: str, password: str = PASSWORD) -> TestClient:
    """A client signed in as ``account`` (asserts the sign-in worked)."""
    c = client(web)
    form = c.get("/signin")
    response = c.post(
        "/signin", data={"account": account, "password": password, "csrf": csrf_of(form.text), "next": "/"}
    )
    assert response.status_code == 303, visible_text(response.text)[:500]
    return c


def post_form(c: TestClient, page_url: str, action: str, data: dict[str, Any], files: Any = None) -> Any:
    """Open ``page_url``, take its CSRF token and post ``data`` to ``action``."""
    token = csrf_of(c.get(page_url).text)
    return c.post(action, data={**data, "csrf": token}, files=files)


TABLES = (
    "project",
    "stage",
    "approval",
    "attachment",
    "clock_pause",
    "extension_request",
    "event",
    "notification",
    "person",
    "account",
    "household",
    "consent_ballot",
    "satisfaction_answer",
    "stage_comment",
    "needs_menu_item",
    "needs_answer",
    "needs_choice",
    "needs_point",
    "project_party",
)


def snapshot(app: App) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a command could change (sessions, API tokens' last
    use, throttling records and sign-in/out events aside), for comparing before and
    after a refusal."""
    out = {}
    with app.engine.connect() as connection:
        names = set(inspect(connection).get_table_names())
        for table in TABLES:
            if table in names:
                where = " WHERE kind NOT LIKE 'account.signed_%'" if table == "event" else ""
                out[table] = [
                    tuple(r) for r in connection.execute(text(f"SELECT * FROM {table}{where} ORDER BY 1"))
                ]
    return out
