"""Create and upgrade the schema with Alembic."""

from __future__ import annotations

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
