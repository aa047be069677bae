"""The project page is kept per process (web.page_cache) and never shown stale
(SQLite and PostgreSQL): after every kind of change — made through *another* app
on the same database, as another worker or the CLI would — the kept page is
exactly the page a fresh server renders; one viewer never gets another's actions
or form token; the language, the date and the undo window are honoured."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from accompany.bootstrap import App, build_app
from accompany.clock import FixedClock, parse_moment
from accompany.config.settings import Settings
from accompany.models.events import SYSTEM_ACTOR, Event, EventKind
from accompany.services import commands, households
from accompany.services.commands import DecideApproval, HandOverProject
from accompany.services.comments import answer_comment, leave_comment
from accompany.services.consent import cast_ballot
from accompany.services.delegation import delegate, end_delegation
from accompany.services.needs import edit_menu, menu_view, record_answer
from accompany.services.public import set_published
from accompany.web.app import create_web_app

from ..web_support import client, csrf_of, sign_in, visible_text, with_passwords
from .test_comments import HEADER, ROWS, codes, open_notice
from .test_consent import open_consent
from .test_services import survey_done

VIEWERS = ("wangrb", "chenm", "zhangl", "zhaoy", "sunh", "lij", "zhoux")


@pytest.fixture
def app(people: App) -> App:
    return with_passwords(people, *VIEWERS)


@pytest.fixture
def web(app: App):  # type: ignore[no-untyped-def]
    return create_web_app(app)


@pytest.fixture
def other(db_url: str, settings: Settings, clock: FixedClock) -> App:
    """Another process on the same database (a second worker, the CLI): the web
    app's cache hears nothing from it."""
    return build_app(settings, database_url=db_url, clock=clock, wall_clock=clock)


def fresh_page(app: App, viewer: Any, url: str) -> str:
    """The page as a server that kept nothing renders it, for the same session."""
    fresh = client(create_web_app(app))
    fresh.cookies.update(viewer.cookies)
    answer = fresh.get(url)
    assert answer.status_code == 200
    return answer.text


def shown(web: Any, app: App, viewer: Any, url: str) -> str:
    """The page served by ``web`` (kept or not), asserted equal to a fresh one."""
    answer = viewer.get(url)
    assert answer.status_code == 200, visible_text(answer.text)[:300]
    assert answer.text == fresh_page(app, viewer, url)
    return answer.text


def kept(web: Any) -> tuple[int, int]:
    return web.state.pages.hits, len(web.state.pages)


def test_a_page_is_kept_and_served_again_unchanged(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    url = f"/projects/{project_id}"
    planner = sign_in(web, "wangrb")
    first = shown(web, app, planner, url)
    hits, size = kept(web)
    assert size == 1
    again = shown(web, app, planner, url)
    assert again == first and kept(web) == (hits + 1, 1)


def test_a_stage_transition_shows_at_once(  # type: ignore[no-untyped-def]
    web, app: App, other: App, project_id: int, evidence_file: Path
) -> None:
    url = f"/projects/{project_id}"
    planner, office = sign_in(web, "wangrb"), sign_in(web, "zhaoy")
    before_planner, before_office = shown(web, app, planner, url), shown(web, app, office, url)
    assert "/stages/needs-survey/approve" not in before_office
    survey_done(other, project_id, evidence_file)
    after_office = shown(web, app, office, url)
    assert after_office != before_office and "入户访谈完成" in after_office
    assert shown(web, app, planner, url) != before_planner
    commands.decide_approval(
        other, DecideApproval(project_id=project_id, stage="needs-survey", by="zhaoy", decision="approve")
    )
    assert shown(web, app, office, url) != after_office


def test_residents_comments_answers_ballots_and_needs_show_at_once(  # type: ignore[no-untyped-def]
    web, app: App, other: App, project_id: int
) -> None:
    url = f"/projects/{project_id}"
    households.load_register(app, project_id, HEADER, ROWS, by="zhangl")
    set_published(app, project_id, by="zhangl")
    household = codes(app, project_id)
    planner = sign_in(web, "wangrb")
    # the needs survey (问需): a resident's answer
    edit_menu(app, project_id, by="zhangl")
    item = menu_view(app, project_id).items[0].id
    before = shown(web, app, planner, url)
    record_answer(other, project_id, household[0], [item], comment="楼道太暗")
    assert shown(web, app, planner, url) != before
    # the notice (公示): a resident's comment, then the planner's answer
    open_notice(app, project_id)
    web.state.pages.clear()  # that test shortcut edits the stages as no command does: without an event
    before = shown(web, app, planner, url)
    receipt = leave_comment(other, project_id, household[1], "comment", "座椅太少，希望加装")
    commented = shown(web, app, planner, url)
    assert commented != before and "座椅太少，希望加装" in commented
    answer_comment(other, project_id, receipt.comment_id, "会增加座椅", by="wangrb")
    answered = shown(web, app, planner, url)
    assert answered != commented and "会增加座椅" in answered
    # the consent ballot (表决): a resident's ballot moves the tally
    open_consent(app, project_id)
    web.state.pages.clear()  # the same shortcut
    balloted = shown(web, app, planner, url)
    cast_ballot(other, project_id, household[2], "agree")
    assert shown(web, app, planner, url) != balloted


def test_a_delegation_starting_and_ending_and_the_date(  # type: ignore[no-untyped-def]
    web, app: App, other: App, clock: FixedClock, project_id: int, evidence_file: Path
) -> None:
    url = f"/projects/{project_id}"
    survey_done(app, project_id, evidence_file)
    clock.moment = parse_moment("2026-03-04T23:00")
    substitute = sign_in(web, "lij")  # another street's office: not their project
    assert substitute.get(url).status_code == 404
    number = delegate(
        other, "zhaoy", to="lij", starts_on=dt.date(2026, 3, 5), ends_on=dt.date(2026, 3, 20), by="zhaoy"
    )
    assert substitute.get(url).status_code == 404  # not yet: it starts tomorrow
    clock.moment = parse_moment("2026-03-05T00:10")  # tomorrow, nothing recorded since
    page = shown(web, app, substitute, url)
    assert "/stages/needs-survey/decide" in page
    assert shown(web, app, substitute, url) == page
    end_delegation(other, number, by="zhaoy")
    assert substitute.get(url).status_code == 404


def test_the_date_changes_working_days_left(web, app: App, clock: FixedClock, project_id: int) -> None:  # type: ignore[no-untyped-def]
    url = f"/projects/{project_id}"
    clock.moment = parse_moment("2026-03-10T23:30")
    planner = sign_in(web, "wangrb")
    today = shown(web, app, planner, url)
    clock.moment = parse_moment("2026-03-11T00:10")  # the next day in Beijing, nothing recorded
    tomorrow = shown(web, app, planner, url)
    assert today != tomorrow
    assert "/stages/needs-survey/done" in tomorrow


def test_a_handover_and_a_person_deactivated(web, app: App, other: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    url = f"/projects/{project_id}"
    handover = f'href="/projects/{project_id}/handover"'
    coordinator, planner = sign_in(web, "zhangl"), sign_in(web, "wangrb")
    page = shown(web, app, coordinator, url)
    assert handover in page  # 陈敏, the street's other planner, may take it over
    before = shown(web, app, planner, url)
    commands.hand_over_project(
        other, HandOverProject(project_id=project_id, by="zhangl", planner="chenm", note="换人")
    )
    handed = shown(web, app, coordinator, url)
    assert handed != page and "陈敏" in handed
    assert shown(web, app, planner, url) != before  # no longer theirs to work on
    commands.hand_over_project(
        other, HandOverProject(project_id=project_id, by="zhangl", planner="wangrb", note="换回")
    )
    back = shown(web, app, coordinator, url)
    assert handover in back
    assert commands.set_person_active(other, "chenm", False, by="zhangl")
    gone = shown(web, app, coordinator, url)
    assert handover not in gone  # nobody left to hand it over to


def test_the_language_is_part_of_the_page(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    url = f"/projects/{project_id}"
    planner = sign_in(web, "wangrb")
    chinese = shown(web, app, planner, url)
    planner.cookies.set("accompany_lang", "en")
    english = shown(web, app, planner, url)
    assert english != chinese and 'lang="en"' in english and 'lang="zh-CN"' in chinese
    planner.cookies.set("accompany_lang", "zh")
    assert shown(web, app, planner, url) == chinese


def test_viewers_never_share_actions_or_form_tokens(web, app: App, project_id: int) -> None:  # type: ignore[no-untyped-def]
    url = f"/projects/{project_id}"
    planner, office, colleague = sign_in(web, "wangrb"), sign_in(web, "zhaoy"), sign_in(web, "sunh")
    for _ in range(2):  # the second time from the cache
        pages = {who: shown(web, app, c, url) for who, c in (("p", planner), ("o", office), ("c", colleague))}
        tokens = {who: set(re.findall(r'name="csrf" value="([^"]+)"', text)) for who, text in pages.items()}
        assert all(len(found) == 1 for found in tokens.values())  # one token, the viewer's own
        assert len({next(iter(found)) for found in tokens.values()}) == 3
        assert "stand-in" not in "".join(pages.values())
        assert f"/projects/{project_id}/stages/needs-survey/done" in pages["p"]
        assert f"/projects/{project_id}/stages/needs-survey/done" not in pages["o"]
        # two people of the same role and street: the same actions, each their own page
        assert csrf_of(pages["o"]) != csrf_of(pages["c"])
        assert "赵阳" in pages["o"] and "孙浩" in pages["c"] and "孙浩" not in pages["o"]
    assert kept(web)[1] == 3


def test_a_page_offering_undo_is_kept_only_until_the_window_closes(  # type: ignore[no-untyped-def]
    web, app: App, clock: FixedClock, project_id: int, evidence_file: Path
) -> None:
    url = f"/projects/{project_id}"
    survey_done(app, project_id, evidence_file)
    commands.decide_approval(
        app, DecideApproval(project_id=project_id, stage="needs-survey", by="zhaoy", decision="approve")
    )
    office = sign_in(web, "zhaoy")
    offering = shown(web, app, office, url)
    assert "/stages/needs-survey/undo" in offering
    hits = kept(web)[0]
    clock.advance(minutes=30)  # the window's last moment still counts: the kept page
    assert shown(web, app, office, url) == offering and kept(web)[0] == hits + 1
    clock.advance(seconds=1)  # the window closed: the clock alone took the button away
    assert "/stages/needs-survey/undo" not in shown(web, app, office, url)
    assert kept(web) == (hits + 1, 1)


# -- pages about many projects: "my work" and the portfolio -------------------------------------


def test_my_work_and_the_portfolio_show_a_change_at_once(  # type: ignore[no-untyped-def]
    web, app: App, other: App, project_id: int, evidence_file: Path
) -> None:
    planner, office = sign_in(web, "wangrb"), sign_in(web, "zhaoy")
    coordinator, district = sign_in(web, "zhangl"), sign_in(web, "zhoux")
    viewers = {"/": (planner, office, coordinator, district), "/projects": (coordinator, district)}
    before = {(url, i): shown(web, app, c, url) for url, cs in viewers.items() for i, c in enumerate(cs)}
    hits = kept(web)[0]
    # a sign-in anywhere changes none of them: still the kept pages
    sign_in(web, "sunh")
    assert all(
        shown(web, app, c, url) == before[(url, i)] for url, cs in viewers.items() for i, c in enumerate(cs)
    )
    assert kept(web)[0] == hits + 6
    # nor does a reminder sent (the sweep sends them by the hundred; neither page shows them)
    with other.uow() as uow:
        uow.events.append(
            project_id,
            [Event(EventKind.NOTIFICATION_SENT, other.now(), SYSTEM_ACTOR, stage="needs-survey", data={})],
        )
        uow.commit()
    assert all(
        shown(web, app, c, url) == before[(url, i)] for url, cs in viewers.items() for i, c in enumerate(cs)
    )
    assert kept(web)[0] == hits + 12
    # the planner marks the survey done (through another process): it waits for the office
    survey_done(other, project_id, evidence_file)
    waiting = shown(web, app, office, "/")
    assert waiting != before[("/", 1)] and f'href="/projects/{project_id}' in waiting
    assert shown(web, app, planner, "/") != before[("/", 0)]
    # a handover shows on the portfolio (the planner's name)
    portfolio = shown(web, app, coordinator, "/projects")
    commands.hand_over_project(
        other, HandOverProject(project_id=project_id, by="zhangl", planner="chenm", note="换人")
    )
    handed = shown(web, app, coordinator, "/projects")
    assert handed != portfolio and "陈敏" in handed
    for url, cs in viewers.items():
        for c in cs:
            shown(web, app, c, url)


def test_my_work_follows_the_date_and_the_language(web, app: App, clock: FixedClock, project_id: int) -> None:  # type: ignore[no-untyped-def]
    clock.moment = parse_moment("2026-03-10T23:30")
    planner = sign_in(web, "wangrb")
    today = shown(web, app, planner, "/")
    planner.cookies.set("accompany_lang", "en")
    english = shown(web, app, planner, "/")
    assert english != today and 'lang="en"' in english
    planner.cookies.set("accompany_lang", "zh")
    clock.moment = parse_moment("2026-03-11T00:10")  # the next day, nothing recorded
    assert shown(web, app, planner, "/") != today


def test_a_planners_page_with_a_recent_extension_decision_is_kept_until_it_leaves(  # type: ignore[no-untyped-def]
    web, app: App, clock: FixedClock, project_id: int
) -> None:
    commands.request_extension(
        app,
        commands.RequestExtension(
            project_id=project_id, stage="needs-survey", by="wangrb", working_days=5, reason="入户困难"
        ),
    )
    decided_at = clock.moment
    commands.decide_extension(
        app, commands.DecideExtension(project_id=project_id, stage="needs-survey", by="zhaoy", grant=True)
    )
    # the planner's page lists decisions of the last 30 days: on the 30th day, the
    # page is kept until the decision's very moment, then made without it
    clock.moment = decided_at + dt.timedelta(days=30, minutes=-10)
    planner = sign_in(web, "wangrb")
    listed = shown(web, app, planner, "/")
    assert "入户困难" in listed and kept(web)[1] == 1
    hits = kept(web)[0]
    clock.moment = decided_at + dt.timedelta(days=30)
    assert shown(web, app, planner, "/") == listed and kept(web)[0] == hits + 1
    clock.moment = decided_at + dt.timedelta(days=30, seconds=1)
    assert "入户困难" not in shown(web, app, planner, "/")
