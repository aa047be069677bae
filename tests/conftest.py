"""Shared fixtures.

Databases: every integration/end-to-end test that takes ``db_url`` runs on a fresh
SQLite file and, when ``ACCOMPANY_TEST_POSTGRES_URL`` is set, on a fresh PostgreSQL
schema too. CI sets that URL together with ``ACCOMPANY_REQUIRE_POSTGRES=1``, so an
unreachable server fails the run instead of silently skipping.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")

from accompany.bootstrap import App, build_app, dispose_engines
from accompany.clock import FixedClock, parse_moment
from accompany.config.settings import EXAMPLE_PEOPLE, Settings
from accompany.directory import read_directory
from accompany.services import commands

from .calendar_years import NEXT_YEAR_ENV, add_simulated_year, package_through
from .receivers import HttpReceiver, SmtpReceiver

# The whole session as after chinese-calendar's next data release (a simulated year):
# the suite must pass with and without it.
SIMULATED_YEAR = add_simulated_year() if os.environ.get(NEXT_YEAR_ENV) == "1" else None


def pytest_report_header() -> str | None:
    if SIMULATED_YEAR is None:
        return None
    return f"calendar: chinese-calendar data extended with a simulated {SIMULATED_YEAR}"


@pytest.fixture
def calendar_as_of_2026() -> Iterator[int]:
    """The statutory calendar as known in late 2026: the package's years up to 2026,
    whatever the installed chinese-calendar knows. Yields the first unknown year
    (2027), which the hand-worked dates of the test are about."""
    with package_through(2026) as unknown:
        yield unknown


PG_URL = os.environ.get("ACCOMPANY_TEST_POSTGRES_URL")
REQUIRE_PG = os.environ.get("ACCOMPANY_REQUIRE_POSTGRES") == "1"


def _postgres_reachable(url: str) -> str | None:
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # pragma: no cover - depends on the machine
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


@pytest.fixture(scope="session")
def postgres_base_url() -> str:
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("ACCOMPANY_REQUIRE_POSTGRES=1 but ACCOMPANY_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL not configured: set ACCOMPANY_TEST_POSTGRES_URL to run these")
    problem = _postgres_reachable(PG_URL)
    if problem:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL required but unreachable: {problem}")
        pytest.skip(f"PostgreSQL unreachable ({problem})")
    return PG_URL


def _fresh_pg_schema(base_url: str) -> tuple[str, str]:
    """A new, empty schema, and a URL whose connections use it."""
    from sqlalchemy import create_engine, make_url, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(base_url)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), schema


def _drop_pg_schema(base_url: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(base_url)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


DB_PARAMS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=DB_PARAMS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'accompany.db'}"
        dispose_engines()
        return
    base = request.getfixturevalue("postgres_base_url")
    url, schema = _fresh_pg_schema(base)
    try:
        yield url
    finally:
        dispose_engines()
        _drop_pg_schema(base, schema)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'accompany.db'}"
    dispose_engines()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    calendars = tmp_path / "calendars"
    calendars.mkdir()
    return Settings(home=tmp_path / "home", calendar_dir=calendars, attachments_dir=tmp_path / "files")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(parse_moment("2026-03-02T09:00"))


@pytest.fixture
def app(db_url: str, settings: Settings, clock: FixedClock) -> App:
    """The application in a simulation: the fixed clock is its real time too (a test
    of back-dating gives another ``wall_clock``)."""
    return build_app(settings, database_url=db_url, clock=clock, wall_clock=clock)


@pytest.fixture
def people(app: App) -> App:
    commands.load_directory(app, read_directory(EXAMPLE_PEOPLE))
    return app


@pytest.fixture
def cli_env(db_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for CLI tests: the test database and folders, nothing from ~."""
    env = {
        "ACCOMPANY_DATABASE_URL": db_url,
        "ACCOMPANY_HOME": str(settings.home),
        "ACCOMPANY_CALENDAR_DIR": str(settings.calendar_dir),
        "ACCOMPANY_ATTACHMENTS_DIR": str(settings.attachments_dir),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def start_command(**overrides: object) -> commands.StartProject:
    values: dict[str, object] = {
        "name": "太阳宫北街口袋公园更新",
        "district": "chaoyang",
        "street": "taiyanggong",
        "community": "太阳宫北社区",
        "planner": "wangrb",
        "start": dt.date(2026, 3, 2),
        "by": "zhangl",
        "stage_deadlines": {"construction-accompany": dt.date(2026, 10, 30)},
    }
    values.update(overrides)
    return commands.StartProject(**values)  # type: ignore[arg-type]


@pytest.fixture
def project_id(people: App) -> int:
    outcome = commands.start_project(people, start_command())
    assert outcome.project_id is not None
    return outcome.project_id


@pytest.fixture
def evidence_file(tmp_path: Path) -> Path:
    path = tmp_path / "问题地图.pdf"
    path.write_bytes(b"%PDF-1.4 problem map")
    return path


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    """A local HTTP server receiving Apprise json:// notifications."""
    receiver = HttpReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    """A local SMTP server receiving Apprise mailto:// notifications."""
    receiver = SmtpReceiver()
    yield receiver
    receiver.stop()


POCKET_V1 = Path(__file__).parent / "fixtures" / "migration" / "templates" / "pocket-park-v1.yaml"


def write_pocket_park_with_upkeep(folder: Path) -> Path:
    """A templates folder with pocket-park@1 and a version 2 that keeps every stage
    and adds one whose deadline is set at the start (upkeep): a project on version 1
    has no date to carry for it, so moving it asks for one (the CLI's --due)."""
    v1 = yaml.safe_load(POCKET_V1.read_text("utf-8"))
    v2 = {**v1, "version": 2}
    v2["stages"] = [
        *v1["stages"],
        {
            "id": "upkeep",
            "name": "养护移交",
            "name_en": "Upkeep handover",
            "phase": "before",
            "deadline": {"set_at_start": True},
            "evidence": [{"key": "visits", "label": "回访次数", "type": "integer"}],
            "approval": ["street-office"],
        },
    ]
    folder.mkdir(parents=True)
    (folder / "pocket-park-v1.yaml").write_text(POCKET_V1.read_text("utf-8"), "utf-8")
    (folder / "pocket-park-v2.yaml").write_text(yaml.safe_dump(v2, allow_unicode=True), "utf-8")
    return folder
