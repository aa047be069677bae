"""The residents' public page as a whole (SQLite and PostgreSQL): it is read in one
transaction with a handful of statements, cached by browsers and proxies (ETag and
304) unless it carries a household code, braked per address — page views in each
process's memory, answers in the database for every server process — and it shows
the planner's work phone masked, never whole."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from sqlalchemy import event, func, select

from accompany.bootstrap import App, build_app
from accompany.clock import FixedClock
from accompany.config.settings import EXAMPLE_PEOPLE, Settings
from accompany.db.orm import AddressHitRow, EventRow, PersonRow
from accompany.directory import read_directory
from accompany.services import commands, households
from accompany.services.public import set_published
from accompany.web.app import create_web_app

from ..web_support import client, visible_text
from .test_consent import HEADER, ROWS, codes
from .test_web_needs import _ids as needs_ids
from .test_web_needs import _token as needs_token


@pytest.fixture
def published(people: App, project_id: int) -> int:
    households.load_register(people, project_id, HEADER, ROWS, by="zhangl")
    set_published(people, project_id, by="zhangl")
    return project_id


@contextmanager
def counted(app: App) -> Iterator[list[str]]:
    """The SQL statements the application's engine runs inside the block."""
    statements: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(app.engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(app.engine, "before_cursor_execute", note)


def test_the_page_is_read_with_a_handful_of_statements(people: App, published: int) -> None:
    """Each block read the project again (ten loads, ~60 statements, in seven
    transactions); now one read of the project serves the whole page."""
    resident = client(create_web_app(people))
    resident.get(f"/public/projects/{published}")  # warm the caches (template, calendar)
    with counted(people) as statements:
        page = resident.get(f"/public/projects/{published}")
    assert page.status_code == 200 and "needs" in page.text
    loads = [s for s in statements if re.search(r"FROM project\b", s)]
    assert len(loads) == 1, loads
    begins = [s for s in statements if s.strip().upper().startswith("BEGIN")]
    assert len(begins) <= 1, begins
    assert len(statements) <= 20, "\n".join(statements)


def test_the_page_is_cacheable_and_a_repeat_gets_304(people: App, published: int) -> None:
    resident = client(create_web_app(people))
    url = f"/public/projects/{published}"
    first = resident.get(url)
    assert first.headers["cache-control"] == "public, max-age=300"
    etag = first.headers["etag"]
    again = resident.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert again.headers["cache-control"] == "public, max-age=300"
    weak = resident.get(url, headers={"If-None-Match": f'"x", W/{etag}'})
    assert weak.status_code == 304
    other = resident.get(url, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.text == first.text

    # a household code in the form: never stored, no validator to revalidate with
    code = codes(people, published)[0]
    with_code = resident.get(f"{url}?code={code}")
    assert with_code.headers["cache-control"] == "no-store" and "etag" not in with_code.headers
    assert code in with_code.text


def _settings(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update=changes)


def _needs_answer(resident, project_id: int, code: str, need: int):  # type: ignore[no-untyped-def]
    token = needs_token(resident.get(f"/public/projects/{project_id}").text)
    return resident.post(
        f"/public/projects/{project_id}/needs",
        data={"code": code, "token": token, "need": str(need), "lang": "zh"},
    )


def test_the_timelines_dates_never_break_inside(people: App, published: int) -> None:
    """On a phone the timeline read "2026-07-" at a line's end and "08 开始" on the next:
    each date stays on one line with its word."""
    html = client(create_web_app(people)).get(f"/public/projects/{published}").text
    assert re.search(r'<span class="nowrap">\d{4}-\d\d-\d\d 开始</span>', html), html


def test_two_server_processes_share_the_answers_limit(
    people: App, published: int, db_url: str, settings: Settings, clock: FixedClock
) -> None:
    """Two app instances on one database (two workers): three answers a minute from
    an address in all, not three in each; a minute later the address may answer
    again and its old hits are gone."""
    tight = _settings(settings, ballots_per_minute=3)
    one = build_app(tight, database_url=db_url, clock=clock, wall_clock=clock)
    two = build_app(tight, database_url=db_url, clock=clock, wall_clock=clock)
    first, second = client(create_web_app(one)), client(create_web_app(two))
    code = codes(people, published)[0]
    need = next(iter(needs_ids(people, published).values()))
    answers = [_needs_answer(c, published, code, need).status_code for c in (first, second, first)]
    assert answers == [303, 303, 303]
    refused = _needs_answer(second, published, code, need)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
    assert "此地址提交过于频繁：请稍等一分钟再试。" in visible_text(refused.text)
    assert refused.headers["cache-control"] == "no-store"

    clock.advance(seconds=61)
    assert _needs_answer(first, published, code, need).status_code == 303
    with people.reader() as uow:
        hits = uow.session.execute(select(AddressHitRow.at)).scalars().all()
    assert len(hits) == 1  # the three of the last minute were pruned


def test_page_views_are_braked_per_address_in_memory(
    people: App, published: int, db_url: str, settings: Settings, clock: FixedClock
) -> None:
    app = build_app(
        _settings(settings, public_pages_per_minute=5), database_url=db_url, clock=clock, wall_clock=clock
    )
    resident = client(create_web_app(app))
    url = f"/public/projects/{published}"
    assert [resident.get(url).status_code for _ in range(5)] == [200] * 5
    refused = resident.get(url)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
    assert refused.headers["cache-control"] == "no-store"
    assert "此地址访问过于频繁：请稍等一分钟再试。" in visible_text(refused.text)
    with people.reader() as uow:  # page views leave nothing in the database
        assert uow.session.scalar(select(func.count()).select_from(AddressHitRow)) == 0


def _directory_with_phone(tmp_path: Path, phone: str | None) -> Path:
    raw = yaml.safe_load(EXAMPLE_PEOPLE.read_text("utf-8"))
    for person in raw["people"]:
        if person["id"] == "wangrb":
            if phone is None:
                person.pop("phone", None)
            else:
                person["phone"] = phone
    path = tmp_path / "people.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    return path


def test_the_planners_phone_is_shown_masked_and_can_be_removed(
    people: App, published: int, tmp_path: Path
) -> None:
    resident = client(create_web_app(people))
    url = f"/public/projects/{published}"
    assert "电话" not in visible_text(resident.get(url).text)

    commands.load_directory(people, read_directory(_directory_with_phone(tmp_path, "138 1234 5678")))
    page = resident.get(url).text
    assert "138****5678" in visible_text(page)
    assert "12345678" not in page.replace(" ", "") and "1234" not in page
    with people.reader() as uow:
        assert uow.session.scalar(select(PersonRow.phone).where(PersonRow.id == "wangrb")) == "138 1234 5678"
        logged = uow.session.scalars(
            select(EventRow.data).where(EventRow.kind == "people.loaded").order_by(EventRow.id.desc())
        ).first()
    # the audit log, kept for good, holds the change masked
    assert logged["changed"] == {"wangrb": {"phone": [None, "138****5678"]}}

    commands.load_directory(people, read_directory(_directory_with_phone(tmp_path, None)))
    assert "138****5678" not in resident.get(url).text
    with people.reader() as uow:
        assert uow.session.scalar(select(PersonRow.phone).where(PersonRow.id == "wangrb")) is None


def test_a_phone_that_is_no_number_is_refused_naming_the_person(tmp_path: Path) -> None:
    from accompany.models.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        read_directory(_directory_with_phone(tmp_path, "call me maybe"))
    assert "phone" in str(refused.value) and "telephone number" in str(refused.value)
    assert "call me" not in str(refused.value)


def test_every_page_has_a_favicon_served_here(people: App, published: int) -> None:
    """/favicon.ico answered 404 on every page: now an icon of our own (no CDN)."""
    visitor = client(create_web_app(people))
    asked = visitor.get("/favicon.ico", follow_redirects=False)
    assert asked.status_code == 301 and asked.headers["location"] == "/static/favicon.svg"
    icon = visitor.get("/favicon.ico", follow_redirects=True)
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.startswith("<svg") and "http" not in icon.text.replace("http://www.w3.org/2000/svg", "")
    link = '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
    assert link in visitor.get(f"/public/projects/{published}").text  # the residents' page
    assert link in visitor.get("/signin").text  # base.html


def test_a_bad_project_address_is_the_residents_not_found_page(people: App, published: int) -> None:
    """/public/projects/abc (a mistyped QR link) is the residents' "not found" — no
    worklist, no sign-in — like an unpublished project, and 404."""
    resident = client(create_web_app(people))
    for url in (
        "/public/projects/abc",
        "/public/projects/abc?lang=en",
        "/public/projects/99999999999",
        f"/public/projects/{published}/nothing-here",
    ):
        page = resident.get(url)
        text = visible_text(page.text)
        assert page.status_code == 404, url
        assert "我的待办" not in text and "My to-do" not in text and "/signin" not in page.text, url
        assert "There is no public page at this address" in text or "此地址没有公开页面" in text, url
    assert "There is no public page at this address" in visible_text(
        resident.get("/public/projects/abc?lang=en").text
    )
    sent = resident.post("/public/projects/abc/satisfaction", data={"code": "X"})
    assert sent.status_code == 404 and "/signin" not in sent.text
    assert "此地址没有公开页面" in visible_text(sent.text)
