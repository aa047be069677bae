"""Sign-in and identity through the web app (ASGI, both databases): sessions,
throttling, CSRF, security headers, invites, deactivation."""

from __future__ import annotations

import datetime as dt

import pytest

from accompany.bootstrap import App
from accompany.clock import FixedClock
from accompany.services import accounts, commands
from accompany.web.app import create_web_app
from accompany.web.security import SESSION_COOKIE

from ..web_support import (
    PASSWORD,
    client,
    csrf_of,
    post_form,
    sign_in,
    snapshot,
    visible_text,
    with_passwords,
)


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, "wangrb", "zhaoy", "zhangl", "zhoux")


@pytest.fixture
def web(app: App):  # type: ignore[no-untyped-def]
    return create_web_app(app)


def test_pages_need_a_sign_in_and_come_back_after_it(web) -> None:  # type: ignore[no-untyped-def]
    c = client(web)
    response = c.get("/projects?state=overdue")
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=/projects%3Fstate%3Doverdue"
    page = c.get(response.headers["location"])
    assert "登录" in page.text
    signed = c.post(
        "/signin",
        data={
            "account": "zhangl",
            "password": PASSWORD,
            "csrf": csrf_of(page.text),
            "next": "/projects?state=overdue",
        },
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/projects?state=overdue"
    cookie = signed.headers["set-cookie"]
    assert (
        f"{SESSION_COOKIE}=" in cookie
        and "HttpOnly" in cookie
        and "SameSite=lax" in cookie.replace("Lax", "lax")
    )
    assert "Secure" not in cookie  # plain http here; see the HTTPS test below
    assert "我的待办" in c.get("/").text


def test_session_cookie_is_secure_over_https(app: App) -> None:
    web = create_web_app(app)
    from ..web_support import TestClient

    c = TestClient(web, base_url="https://accompany.example", follow_redirects=False)
    page = c.get("/signin")
    signed = c.post("/signin", data={"account": "wangrb", "password": PASSWORD, "csrf": csrf_of(page.text)})
    assert "Secure" in signed.headers["set-cookie"]


def test_unknown_account_and_wrong_password_get_the_same_answer(web, app: App) -> None:  # type: ignore[no-untyped-def]
    answers = []
    for account, password in (("nobody", PASSWORD), ("wangrb", "wrong-password!"), ("sunh", PASSWORD)):
        c = client(web)
        response = c.post(
            "/signin", data={"account": account, "password": password, "csrf": csrf_of(c.get("/signin").text)}
        )
        answers.append((response.status_code, visible_text(response.text).count("账号或密码错误")))
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    # sunh exists but has no password: the same answer as an unknown account
    assert answers == [(401, 1), (401, 1), (401, 1)]


def test_twenty_wrong_passwords_throttle_the_account_even_for_the_right_one(web, app: App) -> None:  # type: ignore[no-untyped-def]
    c = client(web)
    statuses = []
    for attempt in range(20):
        response = c.post(
            "/signin",
            data={
                "account": "wangrb",
                "password": f"guess-{attempt:04d}",
                "csrf": csrf_of(c.get("/signin").text),
            },
        )
        statuses.append(response.status_code)
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    right = c.post(
        "/signin", data={"account": "wangrb", "password": PASSWORD, "csrf": csrf_of(c.get("/signin").text)}
    )
    assert right.status_code == 429 and "分钟后再试" in visible_text(right.text)
    assert int(right.headers["retry-after"]) > 0
    # another account from the same address is not locked out (per account: 5, per address: 20)
    other = client(web)
    assert other.post(
        "/signin", data={"account": "zhaoy", "password": PASSWORD, "csrf": csrf_of(other.get("/signin").text)}
    ).status_code in (303, 429)
    # the window passes: the right password works again
    app.clock.moment += dt.timedelta(minutes=16)  # type: ignore[attr-defined]
    assert sign_in(web, "wangrb")


def test_each_sign_in_gets_a_new_session_and_sign_out_ends_it(web) -> None:  # type: ignore[no-untyped-def]
    first = sign_in(web, "wangrb")
    second = sign_in(web, "wangrb")
    token1, token2 = first.cookies[SESSION_COOKIE], second.cookies[SESSION_COOKIE]
    assert token1 != token2
    out = post_form(first, "/", "/signout", {})
    assert out.status_code == 303 and out.headers["location"] == "/signin"
    replay = client(web)
    replay.cookies.set(SESSION_COOKIE, token1)
    assert replay.get("/").status_code == 303  # the ended session signs nobody in
    assert second.get("/").status_code == 200  # the other device stays signed in


def test_sessions_expire_when_idle_and_absolutely(web, app: App) -> None:  # type: ignore[no-untyped-def]
    clock: FixedClock = app.clock  # type: ignore[assignment]
    c = sign_in(web, "wangrb")
    clock.moment += dt.timedelta(hours=7)
    assert c.get("/").status_code == 200  # within the 8-hour idle limit; renews last seen
    clock.moment += dt.timedelta(hours=7)
    assert c.get("/").status_code == 200  # 14 hours after sign-in, 7 idle
    clock.moment += dt.timedelta(hours=8, minutes=1)
    expired = c.get("/")
    assert expired.status_code == 303
    # the sign-in page says why
    assert expired.headers["location"] == "/signin?next=/&expired=1"
    assert "登录已过期" in visible_text(c.get(expired.headers["location"]).text)
    # absolute: a request every 7 hours keeps it alive for 7 days, not longer
    d = sign_in(web, "zhaoy")
    signed_in_at = clock.moment
    while clock.moment + dt.timedelta(hours=7) < signed_in_at + dt.timedelta(days=7):
        clock.moment += dt.timedelta(hours=7)
        assert d.get("/").status_code == 200
    clock.moment = signed_in_at + dt.timedelta(days=7)
    assert d.get("/").status_code == 303


def test_a_state_changing_form_needs_the_token_of_this_session(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    planner = sign_in(web, "wangrb")
    office = sign_in(web, "zhaoy")
    before = snapshot(app)
    url = f"/projects/{project_id}/stages/needs-survey/pause"
    # none at all
    assert (
        planner.post(
            f"/projects/{project_id}/stages/needs-survey/extension", data={"days": "3", "reason": "x"}
        ).status_code
        == 403
    )
    # another session's token
    foreign = csrf_of(office.get("/").text)
    response = planner.post(
        f"/projects/{project_id}/stages/needs-survey/extension",
        data={"days": "3", "reason": "x", "csrf": foreign},
    )
    assert response.status_code == 403 and "表单已失效" in visible_text(response.text)
    # a token from before sign-out is stale
    stale = csrf_of(planner.get("/").text)
    post_form(planner, "/", "/signout", {})
    planner = sign_in(web, "wangrb")
    assert planner.post(url, data={"reason": "x", "csrf": stale}).status_code == 403
    assert snapshot(app) == before


def test_security_headers_on_every_page(web) -> None:  # type: ignore[no-untyped-def]
    c = client(web)
    for url in ("/signin", "/static/app.css", "/nowhere"):
        headers = c.get(url).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
    assert c.get("/signin").headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/ok\r\nX: y"],
)
def test_no_open_redirect_after_sign_in(web, target: str) -> None:  # type: ignore[no-untyped-def]
    c = client(web)
    page = c.get("/signin", params={"next": target})
    assert 'value="/"' in page.text  # the form carries the start page instead
    response = c.post(
        "/signin",
        data={"account": "wangrb", "password": PASSWORD, "csrf": csrf_of(page.text), "next": target},
    )
    assert response.headers["location"] == "/"


def test_invite_link_sets_the_password_once(web, app: App) -> None:  # type: ignore[no-untyped-def]
    issued = accounts.invite(app, "sunh", by="operator")
    path = issued.url.removeprefix(app.settings.base_url)
    c = client(web)
    page = c.get(path)
    assert page.status_code == 200 and "孙浩" in page.text
    weak = c.post(path, data={"password": "short", "again": "short", "csrf": csrf_of(page.text)})
    assert weak.status_code == 400 and "至少需要 10 个字符" in visible_text(weak.text)
    done = c.post(
        path, data={"password": "a-long-passphrase", "again": "a-long-passphrase", "csrf": csrf_of(page.text)}
    )
    assert done.status_code == 200 and "密码已设置" in visible_text(done.text)
    assert sign_in(web, "sunh", "a-long-passphrase")
    assert client(web).get(path).status_code == 404  # used
    late = accounts.invite(app, "lij", by="operator")
    app.clock.moment += dt.timedelta(hours=73)  # type: ignore[attr-defined]
    assert client(web).get(late.url.removeprefix(app.settings.base_url)).status_code == 404  # expired
    assert client(web).get("/invite/not-a-real-token").status_code == 404


def test_deactivating_a_person_ends_their_sessions_and_tokens_at_once(web, app: App) -> None:  # type: ignore[no-untyped-def]
    c = sign_in(web, "zhaoy")
    token = accounts.create_api_token(app, "zhaoy", "dashboard", by="operator").token
    api = client(web)
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    commands.set_person_active(app, "zhaoy", False, by="operator")
    assert c.get("/").status_code == 303
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    again = client(web)
    form = again.get("/signin")
    assert (
        again.post(
            "/signin", data={"account": "zhaoy", "password": PASSWORD, "csrf": csrf_of(form.text)}
        ).status_code
        == 401
    )


def test_a_directory_file_leaving_someone_out_is_refused_unless_asked(app: App) -> None:
    from accompany.config.settings import EXAMPLE_PEOPLE
    from accompany.directory import read_directory
    from accompany.models.errors import Conflict

    directory = read_directory(EXAMPLE_PEOPLE)
    fewer = directory.model_copy(update={"people": tuple(p for p in directory.people if p.id != "zhaoy")})
    before = snapshot(app)
    with pytest.raises(Conflict, match="leaves out 1 active person"):
        commands.load_directory(app, fewer)
    assert snapshot(app) == before
    token = accounts.create_api_token(app, "zhaoy", "x", by="operator").token
    counts = commands.load_directory(app, fewer, deactivate_missing=True)
    assert counts["deactivated"] == 1
    with pytest.raises(Exception, match="not valid"):
        accounts.token_person(app, token)


def test_a_password_with_accents_signs_in_however_the_keyboard_composes_them(web, app: App) -> None:  # type: ignore[no-untyped-def]
    """Set as "Café-résumé-2027" (é one character), typed at sign-in with é as e and an
    accent (some keyboards): the same password, it signs in."""
    import unicodedata

    person = sign_in(web, "zhaoy")
    composed = "Café-résumé-2027"
    changed = post_form(
        person,
        "/account",
        "/account/password",
        {"current": PASSWORD, "password": composed, "again": composed},
    )
    assert changed.status_code in (200, 303), visible_text(changed.text)
    sign_in(web, "zhaoy", unicodedata.normalize("NFD", composed))  # raises unless it signs in


def test_a_new_password_the_same_as_the_current_one_is_refused(web, app: App) -> None:  # type: ignore[no-untyped-def]
    """Changing the password to itself would only end the other sessions."""
    person = sign_in(web, "zhaoy")
    other = sign_in(web, "zhaoy")
    before = snapshot(app)
    same = post_form(
        person,
        "/account",
        "/account/password",
        {"current": PASSWORD, "password": PASSWORD, "again": PASSWORD},
    )
    assert same.status_code == 400
    assert "新密码与当前密码相同" in visible_text(same.text)
    assert snapshot(app) == before
    assert other.get("/").status_code == 200  # the other session goes on


def test_a_token_label_is_one_live_token_and_revoking_asks_first(web, app: App) -> None:  # type: ignore[no-untyped-def]
    """Reloading the page after making a token sent the form again and made a second
    one with the same label, which nothing told apart: a live token's label is refused
    a second time (by its name, not "label"); revoking asks first."""
    person = sign_in(web, "zhangl")
    made = post_form(person, "/account", "/account/tokens", {"label": "区看板"})
    assert made.status_code == 200 and "请立即保存" in visible_text(made.text)
    again = post_form(person, "/account", "/account/tokens", {"label": "区看板"})
    assert again.status_code == 409
    assert "已有用途为「区看板」的有效令牌" in visible_text(again.text)
    assert len([t for t in accounts.list_api_tokens(app, "zhangl") if t["label"] == "区看板"]) == 1
    page = person.get("/account").text
    assert 'data-confirm="吊销令牌「区看板」？' in page
    long = post_form(person, "/account", "/account/tokens", {"label": "长" * 150})
    assert "「用途」过长" in visible_text(long.text) and "label" not in visible_text(long.text)


def test_a_form_sent_after_the_sign_in_ended_elsewhere_comes_back_to_its_page(
    web, app: App, project_id: int
) -> None:  # type: ignore[no-untyped-def]
    """The street office types a return reason; meanwhile her sign-in is ended
    elsewhere (her password changed on another device). Sending it leads to the sign-in
    page saying the sign-in has ended, and after it back to the decide page (the page
    that keeps her typed text in the tab), not to the project page; a stale form's
    "form expired" page links back to the decide page too."""
    decide = f"/projects/{project_id}/stages/needs-survey/decide"
    office = sign_in(web, "zhaoy")
    token = csrf_of(office.get(decide).text)
    accounts.set_password(app, "zhaoy", "another-password-2027", by="operator")  # ends her sessions
    sent = office.post(
        f"/projects/{project_id}/stages/needs-survey/return",
        data={"reason": "请补充无障碍设施标注", "csrf": token},
        headers={"referer": f"http://testserver{decide}"},
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/signin?next={decide}&expired=1"
    assert "登录已过期，请重新登录" in visible_text(office.get(sent.headers["location"]).text)

    other = sign_in(web, "zhangl")
    stale = other.post(
        f"/projects/{project_id}/suspend",
        data={"reason": "资金未到位", "csrf": "stale-token"},
        headers={"referer": f"http://testserver/projects/{project_id}/suspend"},
    )
    assert stale.status_code == 403 and f'href="/projects/{project_id}/suspend"' in stale.text


def test_every_problem_with_a_password_change_is_told_at_once(web, app: App) -> None:  # type: ignore[no-untyped-def]
    """A wrong current password, a new one too short and a confirmation that differs:
    one answer names all three, each next to its field (it took three tries)."""
    person = sign_in(web, "zhaoy")
    before = snapshot(app)
    refused = post_form(
        person,
        "/account",
        "/account/password",
        {"current": "not-it-at-all", "password": "short", "again": "shorx"},
    )
    assert refused.status_code == 400
    shown = visible_text(refused.text)
    assert "有 3 处需要修改" in shown
    for field in ("current", "password", "again"):
        assert f'id="error-{field}"' in refused.text, field
    assert snapshot(app) == before


def test_a_form_field_over_the_parsers_limit_is_told_in_the_readers_words(web) -> None:  # type: ignore[no-untyped-def]
    """A field over 1 MB was refused with Starlette's English "Field exceeded maximum
    size of 1024KB."; it is told in Chinese, as too large (413)."""
    person = sign_in(web, "zhangl")
    token = csrf_of(person.get("/account").text)
    refused = person.post("/account/tokens", data={"label": "x" * 1_100_000, "csrf": token})
    assert refused.status_code == 413
    shown = visible_text(refused.text)
    assert "表单中有一项内容过大" in shown and "exceeded" not in shown


def test_page_titles_name_the_product_in_the_persons_language(web, project_id: int) -> None:  # type: ignore[no-untyped-def]
    """Every tab and every share card ended in "· accompany", the English package name:
    a page's title ends in the product's name as people read it, said once."""
    import re

    def title(c, url: str) -> str:  # type: ignore[no-untyped-def]
        return re.search(r"<title>(.*?)</title>", c.get(url).text, re.S).group(1)  # type: ignore[union-attr]

    titles = {"/signin": title(client(web), "/signin")}
    planner = sign_in(web, "wangrb")
    titles |= {url: title(planner, url) for url in ("/", f"/projects/{project_id}", "/no-such-page")}
    assert all(t.endswith("陪伴式服务") and "accompany" not in t for t in titles.values()), titles
    assert titles[f"/projects/{project_id}"].startswith("太阳宫北街口袋公园更新 · "), titles
    assert all(t.count("陪伴式服务") == 1 for t in titles.values()), titles
