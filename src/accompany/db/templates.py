"""Process templates' stored snapshots (``models.template``).

A project keeps the exact template version it started with: each version is stored
once, by checksum, and parsed once per process.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models.errors import Conflict, NotFound
from ..models.template import ProcessTemplate, build_template
from .orm import TemplateRow

# Templates are immutable once stored, so a parsed snapshot can be shared by every
# command of the process (pydantic validation of a whole template is not free). Keyed
# by the database too: a snapshot's pk names another template in another database (a
# process that opens several, like the demo and the test suite — each test its own
# SQLite file or PostgreSQL schema, so its own URL).
_TEMPLATE_CACHE: dict[tuple[str, int, str], ProcessTemplate] = {}


def template_checksum(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class TemplateRepository:
    def __init__(self, session: Session):
        self.session = session

    def snapshot(self, body: dict[str, Any], now: dt.datetime) -> TemplateRow:
        """The stored snapshot of this template version, stored now if it is new.
        A version already stored with different content is refused: running
        projects must keep the exact template they started with."""
        checksum = template_checksum(body)
        row = self.session.scalar(
            select(TemplateRow).where(
                TemplateRow.template_id == body["id"], TemplateRow.version == body["version"]
            )
        )
        if row is None:
            row = TemplateRow(
                template_id=body["id"],
                version=body["version"],
                checksum=checksum,
                body=body,
                created_at=now,
            )
            self.session.add(row)
            self.session.flush()
        elif row.checksum != checksum:
            raise Conflict(
                "template {template} was changed after projects started with it; give the changed file "
                "a new version number",
                template=f"{body['id']}@{body['version']}",
            )
        return row

    def _database(self) -> str:
        """The database the snapshots are read from (the cache's first key)."""
        bind = self.session.get_bind()
        return bind.url.render_as_string(hide_password=True) if hasattr(bind, "url") else str(id(bind))

    def parsed(self, row: TemplateRow, params: dict[str, Any]) -> ProcessTemplate:
        key = (self._database(), row.pk, json.dumps(params, sort_keys=True, default=str))
        template = _TEMPLATE_CACHE.get(key)
        if template is None:
            template = build_template(row.body, params, source=f"template {row.template_id}@{row.version}")
            _TEMPLATE_CACHE[key] = template
        return template

    def parsed_by_pk(self, pk: int, params: dict[str, Any]) -> ProcessTemplate:
        """Like :meth:`parsed`, reading the snapshot row only when not cached yet."""
        template = _TEMPLATE_CACHE.get(
            (self._database(), pk, json.dumps(params, sort_keys=True, default=str))
        )
        if template is not None:
            return template
        row = self.session.get(TemplateRow, pk)
        if row is None:
            raise NotFound("unknown template snapshot {pk}", pk=pk)
        return self.parsed(row, params)
