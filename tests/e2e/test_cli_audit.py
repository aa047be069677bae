"""`accompany audit verify` and `accompany db upgrade`'s trigger repair, as typed."""

from __future__ import annotations

import json

import pytest

from accompany.config.settings import EXAMPLE_PEOPLE
from accompany.db.engine import make_engine

from ..integration.test_audit import _behind_the_back
from .test_cli import START, cli, ok


@pytest.fixture
def started(cli_env: dict[str, str]) -> None:
    ok("people", "load", str(EXAMPLE_PEOPLE))
    assert "#1" in ok(*START)


def test_audit_verify_names_the_changed_record(started: None, cli_env: dict[str, str]) -> None:
    events = json.loads(ok("audit", "verify", "--json"))["checked"]
    assert events > 3
    assert ok("audit", "verify") == (
        f"event log intact: {events} event(s) checked, the hash chain holds through event #{events}\n"
    )
    engine = make_engine(cli_env["ACCOMPANY_DATABASE_URL"])
    sqlite = engine.dialect.name == "sqlite"
    _behind_the_back(engine, "UPDATE event SET actor = 'intruder' WHERE id = 3")
    engine.dispose()

    code, out, _err = cli("audit", "verify")
    assert code == 1, out
    lines = out.splitlines()
    assert lines[0] == (
        "chain broken at event #3 (#1 太阳宫北街口袋公园更新, Stage started, 2026-03-02 09:00): "
        "content changed after it was written (it no longer matches its hash)"
    )
    assert lines[1] == "3 event(s) checked, up to the broken link"
    if sqlite:  # the triggers were dropped to make the change
        assert lines[2:] == [
            "append-only trigger event_no_update is missing: the log can be changed "
            "(`accompany db upgrade` re-creates it)",
            "append-only trigger event_no_delete is missing: the log can be changed "
            "(`accompany db upgrade` re-creates it)",
        ]
        upgraded = ok("db", "upgrade")
        assert "append-only trigger event_no_update was missing: re-created" in upgraded
        assert "re-created" not in ok("db", "upgrade")  # idempotent
    else:
        assert lines[2:] == []
    code, out, _err = cli("audit", "verify")
    assert code == 1 and "missing" not in out
    # only the newest events: the change lies before them
    tail = ok("audit", "verify", "--tail", "2")
    assert tail.startswith("event log intact: 2 event(s) checked")
    broken = json.loads(cli("audit", "verify", "--json")[1])
    assert broken["intact"] is False
    assert broken["broken"]["event_id"] == 3 and broken["broken"]["problem"] == "content-changed"


@pytest.mark.zh
def test_audit_verify_in_chinese(started: None, cli_env: dict[str, str]) -> None:
    out = ok("audit", "verify")
    assert out.startswith("事件日志完好：已校验 ") and "哈希链" in out


def test_db_grants_prints_the_application_roles_sql(cli_env: dict[str, str]) -> None:
    from accompany.db.schema import grant_statements

    from .test_cli import refused

    out = ok("db", "grants", "accompany_app", "--schema", "app")
    assert out.splitlines() == [f"{s};" for s in grant_statements("accompany_app", "app")]
    assert 'REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON "app".event FROM "accompany_app";' in out
    assert "not a plain role or schema name" in refused(2, "db", "grants", "app; DROP TABLE event")
