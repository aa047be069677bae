"""Public documents and the 公示 countdown on the residents' public page, through the
ASGI app (SQLite and PostgreSQL): the planner or a coordinator of the street marks an
evidence file public (button, API), the public page lists it and serves it without
signing in with the safe headers; made private again, under another project's
address, or with the page off line it is the public page's own 404 — nothing says a
private file exists. Someone else is refused and nothing changes; each mark is in
the audit log."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from accompany.bootstrap import App
from accompany.clock import FixedClock, parse_moment
from accompany.db.orm import EventRow
from accompany.models.errors import NotFound, PermissionDenied
from accompany.services import commands
from accompany.services.commands import AttachmentInput, CompleteStage
from accompany.services.public import set_published
from accompany.services.public_documents import public_documents, set_document_public
from accompany.services.queries import show_project
from accompany.web.app import create_web_app

from ..conftest import start_command
from ..web_support import client, post_form, sign_in, snapshot, visible_text, with_passwords
from .test_comments import open_notice


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, "wangrb", "zhangl", "chenm", "zhaoy")


@pytest.fixture
def web(app: App):  # type: ignore[no-untyped-def]
    return create_web_app(app)


def _attach(app: App, project_id: int, path: Path) -> int:
    commands.complete_stage(
        app,
        CompleteStage(
            project_id=project_id,
            stage="needs-survey",
            by="wangrb",
            evidence={"households_interviewed": "40", "observation_days": "3"},
            attachments=[AttachmentInput(key="problem_map", path=str(path))],
        ),
    )
    stage = show_project(app, project_id).stages[0]
    assert stage.attachments and stage.attachments[0].id is not None
    return stage.attachments[0].id


@pytest.fixture
def file_id(app: App, project_id: int, evidence_file: Path) -> int:
    return _attach(app, project_id, evidence_file)


def _events(app: App, kind: str) -> list[EventRow]:
    with app.reader() as uow:
        return list(uow.session.scalars(select(EventRow).where(EventRow.kind == kind).order_by(EventRow.id)))


def test_a_public_file_is_listed_and_downloaded_without_signing_in_until_it_is_private_again(
    web: Any, app: App, project_id: int, file_id: int
) -> None:
    # marked before the page is on line: ready, but nothing is shown yet
    planner = sign_in(web, "wangrb")
    page = planner.get(f"/projects/{project_id}")
    assert f'action="/projects/{project_id}/attachments/{file_id}/public"' in page.text
    done = post_form(
        planner,
        f"/projects/{project_id}",
        f"/projects/{project_id}/attachments/{file_id}/public",
        {"public": "1"},
    )
    assert done.status_code == 303
    resident = client(web)
    url = f"/public/projects/{project_id}/files/{file_id}"
    assert resident.get(url).status_code == 404
    set_published(app, project_id, by="zhangl")

    listed = resident.get(f"/public/projects/{project_id}")
    assert listed.status_code == 200
    text = visible_text(listed.text)
    assert "公开文件" in text and "问题地图.pdf" in text
    assert "问题地图" in text and "需求调研" in text  # the field's label and the stage's name
    assert f'href="{url}"' in listed.text
    assert "王若冰" in text and "wangrb" not in listed.text  # the uploader is not named

    download = resident.get(url)
    assert download.status_code == 200 and download.content == b"%PDF-1.4 problem map"
    assert "set-cookie" not in download.headers
    assert download.headers["content-type"] == "application/pdf"
    assert "sandbox" in download.headers["content-security-policy"]
    assert download.headers["cache-control"].startswith("public, max-age=")
    assert "filename*=UTF-8''" in download.headers["content-disposition"]

    # the signed-in page shows the file as public, with the button to take it back
    page = planner.get(f"/projects/{project_id}")
    assert 'name="public" value="0"' in page.text
    post_form(
        planner,
        f"/projects/{project_id}",
        f"/projects/{project_id}/attachments/{file_id}/public",
        {"public": "0"},
    )
    gone = resident.get(url)
    assert gone.status_code == 404
    unknown = resident.get(f"/public/projects/{project_id}/files/999999")
    assert gone.text == unknown.text  # a private file reads exactly like none
    assert "问题地图.pdf" not in resident.get(f"/public/projects/{project_id}").text

    published = _events(app, "attachment.published")
    unpublished = _events(app, "attachment.unpublished")
    assert [(e.actor, e.stage_key, e.data["file"]) for e in published] == [
        ("wangrb", "needs-survey", "问题地图.pdf")
    ]
    assert [e.actor for e in unpublished] == ["wangrb"]
    # the audit log on the project page says it in Chinese
    log = visible_text(planner.get(f"/projects/{project_id}").text)
    assert "文件已公开" in log and "文件不再公开" in log


def test_a_file_is_served_only_under_its_own_published_project(
    web: Any, app: App, project_id: int, file_id: int, evidence_file: Path
) -> None:
    other = commands.start_project(app, start_command(name="酒仙桥小区更新", community="酒仙桥社区"))
    assert other.project_id is not None
    set_document_public(app, file_id, by="zhangl")
    set_published(app, other.project_id, by="zhangl")
    resident = client(web)
    # the file is public, but this is not its project's address
    wrong = resident.get(f"/public/projects/{other.project_id}/files/{file_id}")
    assert wrong.status_code == 404 and "问题地图" not in wrong.text
    # its own project's page is not on line
    assert resident.get(f"/public/projects/{project_id}/files/{file_id}").status_code == 404
    assert public_documents(app, project_id) == []
    set_published(app, project_id, by="zhangl")
    assert resident.get(f"/public/projects/{project_id}/files/{file_id}").status_code == 200
    set_published(app, project_id, by="zhangl", published=False)
    off = resident.get(f"/public/projects/{project_id}/files/{file_id}")
    assert off.status_code == 404
    assert off.text == resident.get("/public/projects/999999").text
    assert resident.get(f"/public/projects/{project_id}/files/x'1").status_code == 404
    # the API refuses a file under another project's address, and says not which
    token_client = sign_in(web, "zhangl")
    csrf = re.search(r'name="csrf" value="([^"]+)"', token_client.get(f"/projects/{project_id}").text)
    assert csrf is not None
    refused = token_client.post(
        f"/api/v1/projects/{other.project_id}/attachments/{file_id}/unpublish",
        headers={"X-CSRF-Token": csrf.group(1)},
    )
    unknown = token_client.post(
        f"/api/v1/projects/{other.project_id}/attachments/999999/unpublish",
        headers={"X-CSRF-Token": csrf.group(1)},
    )
    assert refused.status_code == unknown.status_code == 404
    assert refused.json()["error"]["message"] == unknown.json()["error"]["message"].replace(
        "999999", str(file_id)
    )


def test_only_the_planner_and_the_street_coordinator_mark_files(
    web: Any, app: App, project_id: int, file_id: int
) -> None:
    before = snapshot(app)
    # a planner of another project of the same street is refused; one of another
    # district does not even learn that the file exists
    with pytest.raises(PermissionDenied):
        set_document_public(app, file_id, by="chenm")
    with pytest.raises(NotFound) as unknown:
        set_document_public(app, file_id, by="hel")
    assert unknown.value.values == {"attachment": file_id}
    # the street office sees the project but does not mark its files
    with pytest.raises(PermissionDenied):
        set_document_public(app, file_id, by="zhaoy")
    assert snapshot(app) == before
    other_planner = sign_in(web, "chenm")
    response = post_form(
        other_planner, "/", f"/projects/{project_id}/attachments/{file_id}/public", {"public": "1"}
    )
    assert response.status_code == 403
    assert "只有本街道的协调人或该项目的责任规划师可以" in visible_text(response.text)
    office = sign_in(web, "zhaoy")
    page = office.get(f"/projects/{project_id}")
    assert page.status_code == 200 and "/attachments/" in page.text
    assert f"/attachments/{file_id}/public" not in page.text  # no button for those who may not
    assert snapshot(app) == before
    # the coordinator through the API; a second time changes nothing
    coordinator = sign_in(web, "zhangl")
    from ..web_support import csrf_of

    token = csrf_of(coordinator.get(f"/projects/{project_id}").text)
    url = f"/api/v1/projects/{project_id}/attachments/{file_id}/publish"
    first = coordinator.post(url, headers={"X-CSRF-Token": token})
    assert first.status_code == 200 and first.json()["changed"] is True
    again = coordinator.post(url, headers={"X-CSRF-Token": token})
    assert again.status_code == 200 and again.json()["changed"] is False
    assert len(_events(app, "attachment.published")) == 1
    planner_api = coordinator.post(
        f"/api/v1/projects/{project_id}/attachments/{file_id}/unpublish", headers={"X-CSRF-Token": token}
    )
    assert planner_api.json() == {
        "project_id": project_id,
        "attachment_id": file_id,
        "filename": "问题地图.pdf",
        "public": False,
        "changed": True,
    }


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        ("2026-03-01T10:00", "公示将于 2026-03-02 开始，至 2026-03-08 结束"),
        ("2026-03-02T09:00", "公示中，还剩 7 天（至 2026-03-08）"),
        ("2026-03-05T23:00", "公示中，还剩 4 天（至 2026-03-08）"),
        ("2026-03-08T09:00", "今天是公示最后一天（2026-03-08）"),
        ("2026-03-09T00:30", "公示已于 2026-03-08 结束"),
    ],
)
def test_the_public_page_counts_down_the_notice(
    web: Any, app: App, project_id: int, clock: FixedClock, today: str, expected: str
) -> None:
    from accompany.models.deadlines import local_date

    set_published(app, project_id, by="zhangl")
    open_notice(app, project_id)  # from 2026-03-02, a 7-calendar-day notice in the default template
    notice = show_project(app, project_id)
    assert local_date(app.now()) == dt.date(2026, 3, 2) and notice.id == project_id
    clock.moment = parse_moment(today)
    page = client(web).get(f"/public/projects/{project_id}")
    assert page.status_code == 200
    assert expected in visible_text(page.text)


def test_a_file_dropped_from_its_stage_takes_its_public_mark_along(
    app: App, project_id: int, file_id: int
) -> None:
    """A consent loop drops the looped stages' files: the mark goes with the file, so a
    later file can never inherit it (SQLite may reuse a deleted row's id)."""
    from sqlalchemy import delete, func

    from accompany.db.orm import AttachmentRow, PublicAttachmentRow

    set_document_public(app, file_id, by="wangrb")
    with app.uow() as uow:
        uow.session.execute(delete(AttachmentRow).where(AttachmentRow.id == file_id))
        uow.commit()
    with app.reader() as uow:
        assert uow.session.scalar(select(func.count()).select_from(PublicAttachmentRow)) == 0


def test_the_page_shown_after_an_answer_still_lists_the_public_files(
    web: Any, app: App, project_id: int, file_id: int
) -> None:
    """The page re-shown after a resident's answer (here a comment refused for an
    unknown household code) is the same page: its public files are on it too."""
    from .test_web_comments import _send

    set_document_public(app, file_id, by="wangrb")
    set_published(app, project_id, by="zhangl")
    open_notice(app, project_id)
    refused = _send(client(web), app, project_id, "ZZZZZZZZ", "希望加装座椅")
    assert refused.status_code in (400, 404, 422), refused.status_code
    assert "问题地图.pdf" in visible_text(refused.text)  # the answer was sent in English (lang=en)
    assert f'href="/public/projects/{project_id}/files/{file_id}"' in refused.text


def test_the_open_form_comes_first_on_the_public_page(web: Any, app: App, project_id: int) -> None:
    """During the 公示 the comments form is open and the ballot is not: a resident who
    scanned the slip finds the open form first (it came after the ballot's block)."""
    set_published(app, project_id, by="zhangl")
    open_notice(app, project_id)
    page = client(web).get(f"/public/projects/{project_id}").text
    comments = page.index(f'action="/public/projects/{project_id}/comments"')
    assert comments < page.index("表决尚未开始")
