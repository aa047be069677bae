"""Statements run on the driver's own cursor (PostgreSQL).

A project's load runs its pre-built SELECTs there (:func:`all_rows`): SQLAlchemy's SQL
text and result processing without its per-execution and per-row work. The event log
reads the chain's head there too. Either way a driver's error is raised as SQLAlchemy
raises it (:func:`raise_as_sqlalchemy`). Shared by :mod:`accompany.db.projects` and
:mod:`accompany.db.event_log`.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, NamedTuple, NoReturn


class _Driven(NamedTuple):
    """A pre-built statement as the driver runs it: its SQL text, a row type with
    its columns' names, and the result processors SQLAlchemy would apply."""

    sql: str
    row: Any
    processors: tuple[tuple[int, Any], ...]


_DRIVEN: dict[int, _Driven] = {}


def _driven(connection: Any, statement: Any) -> _Driven:
    driven = _DRIVEN.get(id(statement))
    if driven is None:
        compiled = statement.compile(dialect=connection.dialect)
        columns = list(statement.selected_columns)
        processors = tuple(
            (index, processor)
            for index, column in enumerate(columns)
            if (processor := column.type._cached_result_processor(connection.dialect, None)) is not None
        )
        row = namedtuple("Row", [column.key for column in columns])  # type: ignore[misc]
        driven = _DRIVEN[id(statement)] = _Driven(str(compiled), row, processors)
    return driven


def all_rows(connection: Any, statement: Any, values: dict[str, Any]) -> list[Any]:
    """The rows of one of the pre-built module-level SELECTs (built once, kept for the
    process, so their ids stay theirs). On PostgreSQL a command's two loads run on
    the driver's cursor: the same SQL text, parameters and result processing, without
    SQLAlchemy's per-execution and per-row work (a third of their client time)."""
    if connection.dialect.name != "postgresql":
        return connection.execute(statement, values).all()
    driven = _driven(connection, statement)
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(driven.sql, values)
        raw = cursor.fetchall()
    except connection.dialect.loaded_dbapi.Error as error:
        raise_as_sqlalchemy(connection, error, driven.sql, values, cursor)
    finally:
        cursor.close()
    make = driven.row._make
    if not driven.processors:
        return [make(r) for r in raw]
    rows = []
    for r in raw:
        values_ = list(r)
        for index, processor in driven.processors:
            if values_[index] is not None:  # NULL stays None, as SQLAlchemy returns it
                values_[index] = processor(values_[index])
        rows.append(make(values_))
    return rows


def raise_as_sqlalchemy(
    connection: Any, error: Exception, sql: str, values: dict[str, Any] | None, cursor: Any
) -> NoReturn:
    """A driver's error on a statement run on its own cursor, raised as SQLAlchemy
    raises it for its own statements: wrapped (a dropped connection is an
    ``OperationalError``, "database unavailable"; a duplicate an ``IntegrityError``),
    and a dropped connection invalidated, so that the pool does not hand it out
    again. SQLAlchemy's own handler (not public API, stable since 1.x)."""
    connection._handle_dbapi_exception(error, sql, values, cursor, None)


def first_row(connection: Any, statement: Any, values: dict[str, Any]) -> Any:
    rows = all_rows(connection, statement, values)
    return rows[0] if rows else None
