"""Documents on the public page and the 公示 countdown: the pure rules (who marks a
file public, which file is served, how many days the notice has left)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from accompany.models.errors import NotFound, PermissionDenied
from accompany.models.people import Person, Role
from accompany.models.public_documents import (
    ensure_attachment_of_project,
    may_mark_documents_public,
    may_serve_publicly,
)
from accompany.models.public_notice import NoticePhase, notice_countdown

PROJECT = SimpleNamespace(
    id=7, name="口袋公园", district="chaoyang", street="taiyanggong", planner_id="wangrb"
)
COORDINATOR = Person(
    id="zhangl", name="张磊", role=Role.COORDINATOR, district="chaoyang", streets=("taiyanggong",)
)
DISTRICT_COORDINATOR = Person(id="liuq", name="刘倩", role=Role.COORDINATOR, district="chaoyang")
PLANNER = Person(id="wangrb", name="王若冰", role=Role.PLANNER, district="chaoyang", streets=("taiyanggong",))


def test_the_project_planner_and_a_coordinator_of_its_street_or_district_mark_files() -> None:
    for actor in (COORDINATOR, DISTRICT_COORDINATOR, PLANNER):
        may_mark_documents_public(actor, PROJECT, attachment_id=3)


def test_others_who_see_the_project_are_refused() -> None:
    for actor in (
        Person(
            id="zhaoy", name="赵阳", role=Role.STREET_OFFICE, district="chaoyang", streets=("taiyanggong",)
        ),
        Person(id="chenm", name="陈敏", role=Role.PLANNER, district="chaoyang", streets=("taiyanggong",)),
        PLANNER.model_copy(update={"active": False}),
    ):
        with pytest.raises(PermissionDenied):
            may_mark_documents_public(actor, PROJECT, attachment_id=3)


def test_someone_outside_the_projects_scope_learns_nothing_of_the_file() -> None:
    for actor in (
        Person(id="x", name="某", role=Role.COORDINATOR, district="chaoyang", streets=("jiuxianqiao",)),
        Person(id="maf", name="马芳", role=Role.COORDINATOR, district="dongcheng", streets=("dongsi",)),
    ):
        with pytest.raises(NotFound) as refused:
            may_mark_documents_public(actor, PROJECT, attachment_id=3)
        assert refused.value.values == {"attachment": 3}  # not the project


def test_only_a_file_of_the_project_itself() -> None:
    ensure_attachment_of_project(3, 7, 7)
    for owner in (8, None):
        with pytest.raises(NotFound) as refused:
            ensure_attachment_of_project(3, owner, 7)
        assert refused.value.values == {"attachment": 3}


def test_a_file_is_served_only_when_page_file_and_project_all_agree() -> None:
    assert may_serve_publicly(page_published=True, attachment_public=True, of_project=True)
    for flags in (
        (False, True, True),
        (True, False, True),
        (True, True, False),
    ):
        page, public, own = flags
        assert not may_serve_publicly(page_published=page, attachment_public=public, of_project=own)


FIRST, LAST = dt.date(2027, 1, 30), dt.date(2027, 2, 5)  # a 7-calendar-day notice


@pytest.mark.parametrize(
    ("today", "phase", "days_left", "days_to_start"),
    [
        (dt.date(2027, 1, 27), NoticePhase.UPCOMING, 7, 3),
        (dt.date(2027, 1, 29), NoticePhase.UPCOMING, 7, 1),
        (FIRST, NoticePhase.RUNNING, 7, 0),
        (dt.date(2027, 2, 3), NoticePhase.RUNNING, 3, 0),
        (dt.date(2027, 2, 4), NoticePhase.RUNNING, 2, 0),
        (LAST, NoticePhase.LAST_DAY, 1, 0),
        (dt.date(2027, 2, 6), NoticePhase.ENDED, 0, 0),
        (dt.date(2027, 3, 1), NoticePhase.ENDED, 0, 0),
    ],
)
def test_the_notice_counts_down_in_calendar_days_today_included(
    today: dt.date, phase: NoticePhase, days_left: int, days_to_start: int
) -> None:
    countdown = notice_countdown(FIRST, LAST, today)
    assert (countdown.phase, countdown.days_left, countdown.days_to_start) == (
        phase,
        days_left,
        days_to_start,
    )
    assert (countdown.first_day, countdown.last_day) == (FIRST, LAST)


def test_a_one_day_notice_is_on_its_last_day_at_once() -> None:
    countdown = notice_countdown(FIRST, FIRST, FIRST)
    assert countdown.phase is NoticePhase.LAST_DAY and countdown.days_left == 1


def test_a_notice_ending_before_it_starts_is_an_error() -> None:
    with pytest.raises(ValueError):
        notice_countdown(LAST, FIRST, FIRST)
