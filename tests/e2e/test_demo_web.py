"""The README's second command, as a newcomer types it: `accompany demo --web` serves
the web app on the demo's data with a sign-in per role, and says so in Chinese."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from ..web_support import csrf_of
from .test_browser import PHONE, SHOTS, _fits, _shot, browser  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.zh]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str, Path]]:
    """`accompany demo --web --no-prefect` running: its port, what it printed, its HOME."""
    tmp_path = tmp_path_factory.mktemp("demo")
    port = _free_port()
    exe = shutil.which("accompany", path=str(Path(sys.executable).parent))
    assert exe is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCOMPANY_")}
    env |= {"HOME": str(tmp_path), "COLUMNS": "120"}
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [exe, "demo", "--web", "--no-prefect", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/signin", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                if server.poll() is not None:
                    break
                time.sleep(0.5)
        else:
            pytest.fail(log.read_text(encoding="utf-8"))
        if server.poll() is not None:
            pytest.fail(log.read_text(encoding="utf-8"))
        yield port, log.read_text(encoding="utf-8"), tmp_path
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@contextmanager
def _signed_in(port: int, account: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
        signed = c.post(
            "/signin",
            data={
                "account": account,
                "password": "accompany-demo",
                "csrf": csrf_of(c.get("/signin").text),
                "next": "/",
            },
        )
        assert signed.status_code == 303, account
        yield c


def test_the_demo_serves_the_web_app_with_a_sign_in_per_role(demo: tuple[int, str, Path]) -> None:
    port, printed, tmp_path = demo
    assert f"打开 http://127.0.0.1:{port}/ 并登录（所有账号的密码都是 accompany-demo）" in printed
    assert "又建了 8 个项目" in printed and "按 Ctrl-C 停止" in printed
    assert "sign in" not in printed and "built a portfolio" not in printed
    for account in ("zhangl", "wangrb", "zhaoy", "zhoux"):
        with _signed_in(port, account) as c:
            landing = c.get("/")
            assert landing.status_code == 200 and "太阳宫" in landing.text, account
    # the demo's data lives in a throwaway folder, never the user's home
    assert not (tmp_path / ".local" / "share" / "accompany").exists()


def _public_url(port: int, printed: str) -> tuple[str, int, str]:
    found = re.search(
        rf"居民公开页面（无需登录，住户编码 ([0-9A-Z]+)）：(http://127\.0\.0\.1:{port}/public/projects/(\d+)\?code=\1)\n",
        printed,
    )
    assert found is not None, printed
    return found[2], int(found[3]), found[1]


def test_the_demo_has_a_published_project_with_its_residents_answers(demo: tuple[int, str, Path]) -> None:
    port, printed, _home = demo
    url, project_id, code = _public_url(port, printed)
    assert "又建了 1 个居民参与的项目：芍药居北里12号院公共空间改造" in printed
    # a visitor, not signed in
    page = httpx.get(url, timeout=10)
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    assert "芍药居北里12号院公共空间改造" in text and "责任规划师 王若冰" in text
    # the planner's work phone, masked: never the whole number
    assert "139****6688" in text and "13911226688" not in page.text
    # the needs survey: 15 households, 4 problem points, the menu counted
    assert "已答卷 15 户；已标注问题点 4 个" in text
    assert "加装电梯 4 27%" in text and "院门门禁与快递柜 2 13%" in text
    # the comments and the objection, each with the planner's answer
    assert "意见 3 条，异议 1 条，已答复 4 条" in text
    assert "反对把6号楼北侧的绿地改成停车位。 责任规划师答复" in text
    assert text.count("责任规划师答复") == 4
    # the consent ballot passed Art. 278 (18 agree, 2 disagree, 1 abstain of 24)
    # (the closed ballot's line under the section's heading, not above it)
    assert "意见征询表决 · 居民意见征询 表决已结束。 通过" in text
    assert "参与表决 21 " in text and "同意 18 " in text and "不同意 2 " in text and "弃权 1 " in text
    # the satisfaction survey runs now; the printed code is one that has not answered
    assert "24户中已有12户作答" in text
    assert f'value="{code}"' in page.text
    with _signed_in(port, "wangrb") as c:
        project = c.get(f"/projects/{project_id}")
        assert project.status_code == 200
        assert '<svg class="problem-map"' in project.text
        # the stages' evidence follows the residents' answers
        shown = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", project.text))
        assert "需求条目数 15 " in shown
        assert "公示期间收到意见 3 条、异议 1 条，已答复 4 条" in shown
        assert "征询户数 21 同意户数 18 " in shown
        # project 1's consent was typed as evidence (征询户数 96, 同意户数 88), no ballot
        # cast online: its page tells no failed vote
        first = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c.get("/projects/1").text))
        consent = first[first.index("意见征询表决 ·") :]
        assert "未使用线上表决（征询结果见阶段材料）" in consent and "未通过" not in consent


def test_the_demo_public_page_and_the_residents_sections_on_a_phone(browser, demo) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    port, printed, _home = demo
    url, project_id, _code = _public_url(port, printed)
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(url)
        assert page.get_by_text("芍药居北里12号院公共空间改造").first.is_visible()
        _fits(page)
        _shot(page, "demo-public-page-phone")
        page.goto(f"http://127.0.0.1:{port}/signin")
        page.fill("input[name=account]", "wangrb")
        page.fill("input[name=password]", "accompany-demo")
        page.click("button[type=submit]")
        page.wait_for_url(f"http://127.0.0.1:{port}/")
        page.goto(f"http://127.0.0.1:{port}/projects/{project_id}")
        assert page.locator("svg.problem-map").is_visible()
        _fits(page)
        _shot(page, "demo-project-residents-phone")
        page.locator("svg.problem-map").scroll_into_view_if_needed()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "demo-project-problem-map-phone.png"))
    finally:
        context.close()


def test_the_demo_shows_a_handover(demo: tuple[int, str, Path]) -> None:
    """The issue's "the demo shows a handover": the coordinator handed 夏家园 over from
    王若冰 to 陈敏, and the project page's audit log says so with the note."""
    port, _printed, _home = demo
    with _signed_in(port, "zhangl") as c:
        listed = c.get("/", params={"q": "夏家园"})
        found = re.search(r'href="/projects/(\d+)"><strong>夏家园社区无障碍环境改造<', listed.text)
        assert found is not None, listed.text[:2000]
        page = c.get(f"/projects/{found[1]}")
        shown = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
        assert "更换责任规划师" in shown and "陈敏" in shown
        assert "王若冰借调区里专项工作" in shown


def test_the_coordinator_moves_a_demo_project_to_the_newest_template_on_a_phone(browser, demo) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """The portfolio began on version 1: from the project page the coordinator sees
    the plan to version 3 (every stage kept, the one in progress keeping its deadline)
    and confirms; the audit log says so."""
    port, _printed, _home = demo
    base = f"http://127.0.0.1:{port}"
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(f"{base}/signin")
        page.fill("input[name=account]", "zhangl")
        page.fill("input[name=password]", "accompany-demo")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        page.click("text=太阳宫中路社区口袋花园")
        page.click("text=迁移到第 3 版")
        assert page.get_by_text("从第 1 版迁移到第 3 版").is_visible()
        assert page.locator("table.migration-plan tbody tr").count() == 8
        _fits(page)
        _shot(page, "demo-migrate-plan-phone")
        page.click("text=将项目迁移到第 3 版")
        page.wait_for_load_state()
        assert page.url.startswith(f"{base}/projects/") and not page.url.endswith("/migrate")
        assert "模板迁移" in page.content()  # in the audit log
        assert page.locator("text=迁移到第 3 版").count() == 0
    finally:
        context.close()
