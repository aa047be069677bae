"""A consent stage whose ballot nobody cast (no household register: the
consultation held on paper, its figures typed as the stage's evidence) is not
shown as a failed vote — neither on the project page nor on the public page —
and no all-zero table stands for it (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from accompany.bootstrap import App
from accompany.db.orm import StageRow
from accompany.services import households
from accompany.services.consent import consent_tally
from accompany.services.public import set_published
from accompany.web.app import create_web_app

from ..web_support import client, sign_in, visible_text, with_passwords
from .test_consent import HEADER, ROWS, open_consent


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, "wangrb", "zhangl")


@pytest.fixture
def web(app: App):  # type: ignore[no-untyped-def]
    return create_web_app(app)


def _consent_done(app: App, project_id: int) -> None:
    open_consent(app, project_id)
    with app.uow() as uow:
        uow.session.execute(
            update(StageRow)
            .where(StageRow.project_id == project_id, StageRow.key == "resident-consent")
            .values(state="approved", approved_at=app.now(), waiting_for=None)
        )
        uow.commit()


@pytest.mark.parametrize("register", [False, True], ids=["no-register", "register-no-ballot"])
def test_a_consent_done_without_online_ballots_is_not_a_failed_vote(
    web, app: App, project_id: int, register: bool
) -> None:  # type: ignore[no-untyped-def]
    if register:  # a register loaded, the consultation held on paper all the same
        households.load_register(app, project_id, HEADER, ROWS, by="zhangl")
    set_published(app, project_id, by="zhangl")
    _consent_done(app, project_id)
    view = consent_tally(app, project_id)
    assert (view.held, view.outcome, view.failed) == (False, "not_held", [])
    assert view.verdict_zh == "未使用线上表决"

    staff = visible_text(sign_in(web, "wangrb").get(f"/projects/{project_id}").text)
    public = visible_text(client(web).get(f"/public/projects/{project_id}").text)
    for text in (staff, public):
        # the consent's section, up to the audit log (whose "住户名册已导入" is no table row)
        section = text[text.index("意见征询表决 ·") :].split("审计日志（")[0]
        assert "未通过" not in section and "表决已结束" not in section, section[:300]
        assert "未使用线上表决（征询结果见阶段材料）" in section
        assert "住户名册" not in section  # no all-zero table
        assert "重大事项" not in section.split("。")[0]  # no rule of a ballot that did not run
    english = visible_text(client(web).get(f"/public/projects/{project_id}?lang=en").text)
    assert "not passed" not in english and "No online ballot was used" in english


def test_a_pending_ballot_without_register_shows_no_empty_table(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    set_published(app, project_id, by="zhangl")
    page = client(web).get(f"/public/projects/{project_id}")
    text = visible_text(page.text)
    section = text[text.index("意见征询表决 ·") :]
    assert "表决尚未开始" in section and "未通过" not in section
    assert "住户名册" not in section and 'class="tally"' not in page.text
