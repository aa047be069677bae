"""A small in-memory world for domain tests: the default template, the example
people, and the statutory calendar — no database, no clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from accompany.calendars import load_calendar
from accompany.config.settings import BUILTIN_TEMPLATES, EXAMPLE_PEOPLE
from accompany.models.calendar import WorkingCalendar
from accompany.models.deadlines import LOCAL_TZ
from accompany.models.people import Directory, Person
from accompany.models.project import Attachment, Project
from accompany.models.template import ProcessTemplate, build_template

TEMPLATE_BODY = yaml.safe_load((BUILTIN_TEMPLATES / "accompany-service.yaml").read_text("utf-8"))
DIRECTORY = Directory.model_validate(yaml.safe_load(Path(EXAMPLE_PEOPLE).read_text("utf-8")))
PEOPLE: dict[str, Person] = {p.id: p for p in DIRECTORY.people}
CALENDAR: WorkingCalendar = load_calendar([])[0]


def template(**params: object) -> ProcessTemplate:
    return build_template(TEMPLATE_BODY, params)


def at(text: str) -> dt.datetime:
    """A Beijing wall-clock time as an aware UTC datetime."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def new_project(start: str = "2026-03-02", **params: object) -> Project:
    project, _ = Project.start(
        template=template(**params),
        params=params,
        name="口袋公园",
        district="chaoyang",
        street="taiyanggong",
        community="太阳宫北社区",
        planner=PEOPLE["wangrb"],
        coordinator=PEOPLE["zhangl"],
        start_date=dt.date.fromisoformat(start),
        fixed_dues={"construction-accompany": dt.date(2026, 10, 30)},
        now=at(f"{start}T09:00"),
        calendar=CALENDAR,
    )
    project.id = 1
    return project


def file(key: str | None, name: str = "doc.pdf") -> Attachment:
    return Attachment(key, name, "0" * 64, 10, "00/x.pdf", "wangrb", at("2026-03-01T00:00"))


SURVEY_OK = {"households_interviewed": 32, "observation_days": 4}


def finish_survey(project: Project, when: str = "2026-03-20T10:00") -> None:
    project.complete_stage(
        "needs-survey",
        PEOPLE["wangrb"],
        evidence=SURVEY_OK,
        attachments=[file("problem_map")],
        note=None,
        now=at(when),
        calendar=CALENDAR,
    )
