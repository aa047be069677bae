"""Column types shared by the ORM models."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class JsonOrJsonb(TypeDecorator[Any]):
    """JSON everywhere, JSONB on PostgreSQL (indexable, compact).

    What ``JSON().with_variant(JSONB(), "postgresql")`` says, with JSONB imported
    only when a PostgreSQL database is used: importing SQLAlchemy's PostgreSQL dialect
    took ~25 ms of every command's start-up on the embedded SQLite default."""

    impl = JSON
    cache_ok = True
    hashable = JSON.hashable  # a dict or list value is not hashable

    @property
    def should_evaluate_none(self) -> bool:  # type: ignore[override]
        # None is stored as JSON null, as JSON() stores it (its none_as_null=False)
        return self.impl_instance.should_evaluate_none

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


JsonColumn = JsonOrJsonb()

#: 64-bit ids on PostgreSQL; SQLite only autoincrements an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """An instant stored in UTC.

    Refuses naive datetimes on the way in (an instant without a zone is a bug, not
    a default), and re-attaches UTC on the way out because SQLite keeps no zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: give it a time zone")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # server-side defaults read back raw on SQLite
            value = dt.datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)
