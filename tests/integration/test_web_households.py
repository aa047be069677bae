"""The household register in the web app (ASGI, both databases): upload a register
(bad rows in a table, nothing loaded), see it with contacts masked, print the slips
with their QR codes; only the street's coordinator and the project's planner."""

from __future__ import annotations

import re

import pytest

from accompany.bootstrap import App
from accompany.services import households
from accompany.web.app import create_web_app

from ..web_support import post_form, sign_in, visible_text, with_passwords

GOOD = "楼号,单元,房号,建筑面积,业主人数,联系方式\n3,2,501,56.8,2,13812345678\n3,2,502,60,1,\n"
BAD = "楼号,单元,房号,建筑面积,业主人数,联系方式\n3,2,501,56.8,2,13812345678\n3,2,501,-5,0,=HYPERLINK(1)\n"


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, "wangrb", "zhangl", "zhaoy", "maf")


@pytest.fixture
def web(app: App):  # type: ignore[no-untyped-def]
    return create_web_app(app)


def _upload(c, project_id: int, body: str, name: str = "住户.csv"):  # type: ignore[no-untyped-def]
    url = f"/projects/{project_id}/households"
    return post_form(c, url, url, {}, files=[("file", (name, body.encode(), "text/csv"))])


def test_coordinator_uploads_sees_masked_contacts_and_prints_slips(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    coordinator = sign_in(web, "zhangl")
    project_page = coordinator.get(f"/projects/{project_id}")
    assert f"/projects/{project_id}/households" in project_page.text

    refused = _upload(coordinator, project_id, BAD.replace("=HYPERLINK(1)", ""))
    assert refused.status_code == 400
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", refused.text)
    # every problem, named by the file's own headers
    assert {(r[0], r[1]) for r in rows} >= {("3", "建筑面积"), ("3", "业主人数")}
    assert households.register_view(app, project_id).households == []

    formula = _upload(coordinator, project_id, BAD)
    assert formula.status_code == 400 and "公式" in visible_text(formula.text)
    assert 'id="error-file"' in formula.text

    done = _upload(coordinator, project_id, GOOD)
    assert done.status_code == 200, visible_text(done.text)
    page = visible_text(done.text)
    assert "138****5678" in page and "13812345678" not in done.text
    assert "56.80" in page and "3-2-501" not in page  # the list shows the columns, not codes
    # the register's one name, as the residents' page says it too (not 住户台账)
    assert "住户名册" in page and "台账" not in page

    slips = coordinator.get(f"/projects/{project_id}/households/slips")
    assert slips.status_code == 200 and slips.headers["cache-control"] == "no-store"
    images = re.findall(r'<img src="(data:image/svg\+xml[^"]+)"', slips.text)
    assert len(images) == 2
    sheet = households.slip_sheet(app, project_id)
    assert all(slip.code in slips.text for slip in sheet.slips)
    assert "13812345678" not in slips.text


def test_only_the_coordinator_and_the_planner_manage_the_register(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    planner = sign_in(web, "wangrb")
    assert _upload(planner, project_id, GOOD).status_code == 200
    # the planner prints the slips too: she is told their QR codes lead nowhere yet
    off = "在协调人发布之前，编码条上的二维码打不开"
    assert off in visible_text(planner.get(f"/projects/{project_id}/households").text)
    assert off in visible_text(planner.get(f"/projects/{project_id}/households/slips").text)
    from accompany.services.public import set_published

    set_published(app, project_id, by="zhangl")
    assert off not in visible_text(planner.get(f"/projects/{project_id}/households/slips").text)
    office = sign_in(web, "zhaoy")  # the street office: may approve, not manage residents' data
    assert office.get(f"/projects/{project_id}/households").status_code == 403
    assert office.get(f"/projects/{project_id}/households/slips").status_code == 403
    other = sign_in(web, "maf")  # another district: the project does not exist for her
    for path in ("households", "households/slips", "public/poster.pdf"):
        got = other.get(f"/projects/{project_id}/{path}")
        assert got.status_code == 404 and "太阳宫北街口袋公园更新" not in got.text, path
    assert len(households.register_view(app, project_id).households) == 2


def test_the_public_page_is_off_until_the_coordinator_publishes_it(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    from ..web_support import client

    coordinator = sign_in(web, "zhangl")
    assert _upload(coordinator, project_id, GOOD).status_code == 200
    code = households.slip_sheet(app, project_id).slips[0].code
    resident = client(web)  # nobody signed in
    url = f"/public/projects/{project_id}?code={code}"
    off = resident.get(url)
    assert off.status_code == 404 and "太阳宫北街口袋公园更新" not in off.text
    assert resident.get("/public/projects/999").status_code == 404
    assert resident.get("/public/projects/x").status_code == 404

    # the planner may load the register but not publish
    planner = sign_in(web, "wangrb")
    page = f"/projects/{project_id}/households"
    assert post_form(planner, page, f"/projects/{project_id}/public", {"publish": "1"}).status_code == 403
    published = post_form(coordinator, page, f"/projects/{project_id}/public", {"publish": "1"})
    assert published.status_code == 303

    # the needs survey (the first stage) is open: the slip's code fills in its form, so
    # that page is never stored; without the code the page is the same for everyone
    with_code = resident.get(url)
    assert with_code.status_code == 200 and with_code.headers["cache-control"] == "no-store"
    assert f'name="code" value="{code}"' in with_code.text
    on = resident.get(f"/public/projects/{project_id}")
    assert on.status_code == 200
    assert on.headers["cache-control"] == "public, max-age=300" and "set-cookie" not in on.headers
    text = visible_text(on.text)
    assert "太阳宫北街口袋公园更新" in text and "太阳宫北社区" in text and "王若冰" in text
    assert "改造前问需于民" in text and "需求调研" in text and "2026-03-02" in text
    # the consent stage has not begun: its ballot is "not opened yet", not "closed"
    assert "表决尚未开始" in text and "表决已结束" not in text
    # nothing private: no code, no contact, no ids of people, no forms
    for private in (code, "138****5678", "13812345678", "wangrb", "zhangl", "csrf"):
        assert private not in on.text, private
    # the one form is the needs survey's (no session, no CSRF cookie)
    assert on.text.count("<form") == 1 and f'action="/public/projects/{project_id}/needs"' in on.text
    assert "Content-Security-Policy" in on.headers or "content-security-policy" in on.headers
    english = resident.get(f"/public/projects/{project_id}?lang=en")
    assert "Needs survey" in visible_text(english.text)

    off_again = post_form(coordinator, page, f"/projects/{project_id}/public", {"publish": "0"})
    assert off_again.status_code == 303 and resident.get(url).status_code == 404


def test_the_notice_board_poster(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    """The coordinator downloads an A4 PDF poster and the QR code alone as a PNG; the
    QR code is the public page's address; a resident or another street's person gets
    nothing."""
    import segno

    from accompany.services.public import poster
    from accompany.slips import poster_pdf

    from ..web_support import client

    coordinator = sign_in(web, "zhangl")
    pdf = coordinator.get(f"/projects/{project_id}/public/poster.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-1.4") and pdf.content.rstrip().endswith(b"%%EOF")
    # the project's name and the planner's, in the reader's CJK font (UTF-16 hex strings)
    for text in ("太阳宫北街口袋公园更新", "责任规划师：王若冰"):
        assert text.encode("utf-16-be").hex().upper().encode() in pdf.content, text
    sheet = poster(app, project_id)
    assert sheet.url.endswith(f"/public/projects/{project_id}") and not sheet.published
    assert sheet.url.encode() in pdf.content  # spelled out under the QR code
    png = coordinator.get(f"/projects/{project_id}/public/poster.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG\r\n\x1a\n")
    # the PNG is exactly the QR code of the address, 10 pixels a module with a quiet zone of 4
    width = int.from_bytes(png.content[16:20], "big")
    assert width == (segno.make(sheet.url, error="m", micro=False).symbol_size(scale=10, border=4)[0])
    assert coordinator.get(f"/projects/{project_id}/public/poster.exe").status_code == 404
    assert client(web).get(f"/projects/{project_id}/public/poster.pdf").status_code in (303, 401)
    assert sign_in(web, "maf").get(f"/projects/{project_id}/public/poster.pdf").status_code == 404
    assert poster_pdf(sheet, "en").count(b"/Type /Page ") == 1
