"""Engines and sessions for SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from ..models.errors import InvalidInput

READONLY = "accompany_readonly"


def parse_database_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InvalidInput("database URL is not valid: {url}", url=redact_url(url)) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise InvalidInput(
            "unsupported database '{name}': use sqlite:/// or postgresql+psycopg://",
            name=parsed.get_backend_name()[:40],
        )
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    allowed = QUERY_OPTIONS[parsed.get_backend_name()]
    unknown = sorted(set(parsed.query) - allowed)
    if unknown:
        raise InvalidInput(
            "database URL: unknown option {option} (options: {allowed})",
            option=unknown[0][:40],
            allowed=", ".join(sorted(allowed)) or "—",
        )
    return parsed


# what a database URL may carry after "?": anything else would reach the driver and
# fail there with an internal error
QUERY_OPTIONS = {
    "sqlite": frozenset(),
    "postgresql": frozenset(
        {
            "options",
            "sslmode",
            "sslrootcert",
            "sslcert",
            "sslkey",
            "connect_timeout",
            "application_name",
            "target_session_attrs",
            "host",
            "port",
        }
    ),
}


def redact_url(url: str | URL) -> str:
    """A database URL fit for output and logs: the password is replaced by ***."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        return "<unparseable URL>"
    return parsed.render_as_string(hide_password=True)


def make_engine(url: str) -> Engine:
    parsed = parse_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    # No pre-ping: it costs a round trip on every command. A connection the server
    # dropped fails one command ("database unavailable"), SQLAlchemy then discards
    # the pool's stale connections, and the next command (or the flow's retry)
    # reconnects; recycling avoids most of it on idle workers.
    return create_engine(
        parsed, pool_size=5, max_overflow=10, pool_recycle=1800, json_deserializer=_json_from_postgresql
    )


_decode_json = json.JSONDecoder().decode  # what json.loads uses


def _json_from_postgresql(data: bytes | str) -> Any:
    """``json.loads`` without its guessing of the encoding (UTF-16? UTF-32?) on
    every value: the driver hands over the server's UTF-8 text (a command loads
    some twenty JSON values)."""
    return _decode_json(data.decode() if isinstance(data, bytes | bytearray) else data)


def _sqlite_engine(url: URL) -> Engine:
    if url.database and url.database != ":memory:":
        folder = Path(url.database).expanduser().parent
        if not folder.is_dir():  # a typo in --db would otherwise start a new, empty database
            raise InvalidInput(
                "the folder of the SQLite database does not exist: {folder} (check the database address)",
                field="db",
                folder=str(folder),
            )
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Take transaction control from the sqlite3 module so that BEGIN is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        # A writing command takes the write lock at BEGIN: two commands on the same
        # stage then run one after the other and the second sees the first's result,
        # instead of failing late with SQLITE_BUSY on a stale snapshot.
        if connection.get_execution_options().get(READONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def session_factories(
    engine: Engine,
) -> tuple[sessionmaker[Session], sessionmaker[Session], sessionmaker[Session]]:
    """(writing, read-only, one-statement read) session factories over the same pool."""
    writer = sessionmaker(engine, expire_on_commit=False)
    read_options: dict[str, object] = {READONLY: True}
    single_options: dict[str, object] = {READONLY: True}
    if engine.dialect.name == "postgresql":
        # a view built from several SELECTs must not mix before and after a commit
        read_options["isolation_level"] = "REPEATABLE READ"
        # one SELECT reads one snapshot by itself: no BEGIN and ROLLBACK round trips
        single_options["isolation_level"] = "AUTOCOMMIT"
    reader = sessionmaker(engine.execution_options(**read_options), expire_on_commit=False)
    single = sessionmaker(engine.execution_options(**single_options), expire_on_commit=False)
    return writer, reader, single
