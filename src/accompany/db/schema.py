"""Create and upgrade the schema with Alembic."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from ..migrations import HEAD


def _migrations_dir() -> Path:
    import accompany.migrations as package

    return Path(package.__file__).resolve().parent


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision, or None for an empty database."""
    with engine.connect() as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except (OperationalError, ProgrammingError):
            return None


def _alembic_config(engine: Engine):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_migrations_dir()))
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


@contextmanager
def _migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction for Alembic.

    On SQLite, foreign keys are switched off for the migration: Alembic's batch mode
    rebuilds a table by copying it and dropping the original, and with foreign keys
    on, that DROP would cascade-delete every child row (a stage's approvals and
    attachments). The keys are checked again before the connection is released."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.driver_connection
        if sqlite:  # on the driver connection: the pragma is ignored inside a transaction
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                yield connection
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(
                            f"migration left {len(broken)} broken foreign key(s): {broken[:3]}"
                        )
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")


def _run(engine: Engine, action: str, revision: str) -> tuple[str | None, str | None]:
    from alembic import command

    before = current_revision(engine)
    config = _alembic_config(engine)
    with _migration_connection(engine) as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)
    return before, current_revision(engine)


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Upgrade to ``revision``; returns (before, after)."""
    return _run(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str) -> tuple[str | None, str | None]:
    """Downgrade to ``revision``; returns (before, after)."""
    return _run(engine, "downgrade", revision)


def ensure_schema(engine: Engine) -> None:
    """Upgrade on first use (or after a code update); costs one query when current."""
    if current_revision(engine) != HEAD:
        upgrade(engine)


def script_head() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(_migrations_dir())).get_current_head()


def table_names(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())


# -- the event log's append-only triggers --------------------------------------------

APPEND_ONLY_MESSAGE = "event log is append-only"
#: the triggers revision 0001 creates, per database
APPEND_ONLY_TRIGGERS = {
    "sqlite": ("event_no_update", "event_no_delete"),
    "postgresql": ("event_append_only",),
}


def append_only_problems(connection: Connection) -> list[tuple[str, str]]:
    """(trigger, "missing" | "disabled") for each append-only trigger of the event
    table that is not in force."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        present = {
            name: "O"
            for (name,) in connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'event'"
            )
        }
    else:
        present = dict(
            connection.execute(
                text(
                    "SELECT tgname, tgenabled FROM pg_trigger "
                    "WHERE tgrelid = 'event'::regclass AND NOT tgisinternal"
                )
            ).all()
        )
    problems = []
    for name in APPEND_ONLY_TRIGGERS[dialect]:
        if name not in present:
            problems.append((name, "missing"))
        elif present[name] == "D":
            problems.append((name, "disabled"))
    return problems


def restore_append_only(connection: Connection) -> list[tuple[str, str]]:
    """Re-create (or, on PostgreSQL, re-enable) the append-only triggers that are not
    in force; returns what it found, as :func:`append_only_problems`. Idempotent.
    Needs the table's owner on PostgreSQL (the schema owner of `accompany db upgrade`)."""
    problems = append_only_problems(connection)
    for name, problem in problems:
        if connection.dialect.name == "sqlite":
            action = "UPDATE" if name == "event_no_update" else "DELETE"
            connection.exec_driver_sql(
                f"CREATE TRIGGER {name} BEFORE {action} ON event "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
            )
        elif problem == "disabled":
            connection.exec_driver_sql(f"ALTER TABLE event ENABLE TRIGGER {name}")
        else:
            connection.exec_driver_sql(
                "CREATE OR REPLACE FUNCTION event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON event "
                "FOR EACH STATEMENT EXECUTE FUNCTION event_append_only()"
            )
    return problems


def grant_statements(role: str, schema: str | None = None) -> list[str]:
    """The SQL that gives the application's role what it needs on PostgreSQL (run by
    the schema owner after each `accompany db upgrade`): read and write on every
    table but the event log, where it may only INSERT and SELECT — no UPDATE,
    DELETE or TRUNCATE; and USAGE on the sequences (ids)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", role) or (
        schema is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", schema)
    ):
        raise ValueError("role and schema names: letters, digits and _ only")
    where = f'"{schema}"' if schema else "public"
    return [
        f'GRANT USAGE ON SCHEMA {where} TO "{role}"',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {where} TO "{role}"',
        f'REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {where}.event FROM "{role}"',
        f'REVOKE INSERT, UPDATE, DELETE ON {where}.alembic_version FROM "{role}"',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO "{role}"',
    ]
