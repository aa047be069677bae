"""Two database roles on PostgreSQL (README, "Two database roles on PostgreSQL"): the
schema owner upgrades; the application's role, given exactly the documented grants,
runs the commands but cannot change or remove a record of the event log, nor lift
its triggers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

from accompany.bootstrap import build_app, dispose_engines
from accompany.clock import FixedClock
from accompany.config.settings import EXAMPLE_PEOPLE, Settings
from accompany.db.engine import make_engine
from accompany.db.schema import append_only_problems, grant_statements, upgrade
from accompany.directory import read_directory
from accompany.services import commands
from accompany.services.audit import verify_log

from ..conftest import start_command

pytestmark = pytest.mark.postgres


def _url(base: str, user: str, schema: str) -> str:
    url = make_url(base).set(username=user, password=None)
    url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture
def roles(postgres_base_url: str) -> Iterator[tuple[str, str, str, str]]:
    """(owner URL, app URL, app role, schema): two fresh login roles and a schema the
    owner owns; all dropped afterwards."""
    tag = uuid.uuid4().hex[:10]
    owner, app_role, schema = f"chain_owner_{tag}", f"chain_app_{tag}", f"chain_s_{tag}"
    admin = create_engine(postgres_base_url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE ROLE "{owner}" LOGIN')
        connection.exec_driver_sql(f'CREATE ROLE "{app_role}" LOGIN')
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}" AUTHORIZATION "{owner}"')
    try:
        yield (
            _url(postgres_base_url, owner, schema),
            _url(postgres_base_url, app_role, schema),
            app_role,
            schema,
        )
    finally:
        dispose_engines()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            for role in (app_role, owner):
                connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
                connection.exec_driver_sql(f'DROP ROLE "{role}"')
        admin.dispose()


def test_the_application_role_can_append_but_not_rewrite(
    roles: tuple[str, str, str, str], settings: Settings, clock: FixedClock
) -> None:
    owner_url, app_url, app_role, schema = roles
    owner = make_engine(owner_url)
    assert upgrade(owner)[0] is None  # the owner creates the schema
    with owner.begin() as connection:
        for statement in grant_statements(app_role, schema):
            connection.exec_driver_sql(statement)
    owner.dispose()

    # a real command as the application's role: load the directory, start a project
    app = build_app(settings, database_url=app_url, clock=clock)
    commands.load_directory(app, read_directory(EXAMPLE_PEOPLE))
    outcome = commands.start_project(app, start_command())
    assert outcome.project_id is not None
    report = verify_log(app)
    assert report.intact and report.verdict.checked > 3

    refused = {
        "UPDATE": "UPDATE event SET actor = 'intruder'",
        "DELETE": "DELETE FROM event",
        "TRUNCATE": "TRUNCATE event",
        "DISABLE TRIGGER": "ALTER TABLE event DISABLE TRIGGER USER",
        "DROP TRIGGER": "DROP TRIGGER event_append_only ON event",
    }
    for what, statement in refused.items():
        with pytest.raises(DBAPIError) as caught, app.engine.begin() as connection:
            connection.execute(text(statement))
        # 42501: insufficient privilege ("permission denied", "must be owner of table event")
        assert caught.value.orig is not None
        assert caught.value.orig.sqlstate == "42501", (what, caught.value.orig)
    with app.engine.connect() as connection:
        assert append_only_problems(connection) == []
        owner_of_event = connection.execute(
            text("SELECT tableowner FROM pg_tables WHERE schemaname = :s AND tablename = 'event'"),
            {"s": schema},
        ).scalar()
    assert owner_of_event == make_url(owner_url).username
    assert verify_log(app).intact  # nothing changed
