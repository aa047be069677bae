"""The import page offers a file to start from, which imports as it is (SQLite and
PostgreSQL); the new-project form asks for a missing start date in words."""

from __future__ import annotations

from accompany.bootstrap import App
from accompany.web.app import create_web_app

from ..web_support import csrf_of, post_form, sign_in, visible_text, with_passwords


def test_the_sample_file_downloads_and_checks_clean(people: App) -> None:
    web = create_web_app(with_passwords(people, "zhangl"))
    coordinator = sign_in(web, "zhangl")
    page = coordinator.get("/projects/import")
    assert 'href="/projects/import/sample.csv"' in page.text and "下载示例文件" in visible_text(page.text)
    sample = coordinator.get("/projects/import/sample.csv")
    assert sample.status_code == 200 and sample.headers["content-type"].startswith("text/csv")
    assert sample.content.startswith("\ufeff".encode())  # Excel opens the Chinese as it is
    lines = sample.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "项目名称,区,街道,社区,责任规划师,启动日期,截止:施工陪伴"
    assert "朝阳区,太阳宫街道" in lines[1]
    checked = coordinator.post(
        "/projects/import",
        data={"csrf": csrf_of(page.text), "dry_run": "1"},
        files={"file": ("import-sample.csv", sample.content, "text/csv")},
    )
    assert checked.status_code == 200, visible_text(checked.text)[:300]
    assert "全部 1 行均有效" in visible_text(checked.text)


def test_a_missing_start_date_is_asked_for(people: App) -> None:
    web = create_web_app(with_passwords(people, "zhangl"))
    coordinator = sign_in(web, "zhangl")
    answer = post_form(
        coordinator,
        "/projects/new",
        "/projects/new",
        {
            "name": "新项目",
            "street": "taiyanggong",
            "community": "太阳宫北社区",
            "planner": "wangrb",
            "start": "",
        },
    )
    shown = visible_text(answer.text)
    assert answer.status_code == 400 and "请选择日期" in shown and "''" not in shown


def test_the_sample_file_never_holds_a_formula(people: App, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A name of the directory that a spreadsheet would run (=HYPERLINK(…)) reaches the
    sample file as text, as in the reports."""
    from accompany.web.routes import projects

    rows = [["项目名称", "区"], ['=HYPERLINK("http://x")', "+1+1"]]
    monkeypatch.setattr(projects, "sample_table", lambda app, person: rows)
    web = create_web_app(with_passwords(people, "zhangl"))
    sample = sign_in(web, "zhangl").get("/projects/import/sample.csv")
    line = sample.content.decode("utf-8-sig").splitlines()[1]
    assert line == """"'=HYPERLINK(""http://x"")",'+1+1"""
