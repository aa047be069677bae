"""The hash chain's rule, without a database."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from accompany.models import chain

AT = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


def _log(n: int) -> list[chain.ChainRecord]:
    records, previous = [], chain.GENESIS
    for i in range(1, n + 1):
        record = chain.ChainRecord(
            id=i,
            kind="stage.activated",
            project_id=1,
            stage="needs-survey",
            actor="wangrb",
            occurred_at=AT + dt.timedelta(minutes=i),
            before=None,
            after="in_progress",
            data={"n": i, "b": [1, 2.0], "a": "问题地图"},
            channel="cli",
            os_user="ops",
            recorded_at=AT + dt.timedelta(minutes=i, seconds=1),
            prev_hash=previous,
        )
        record = dataclasses.replace(record, hash=chain.record_hash(record))
        records.append(record)
        previous = record.hash
    return records


def test_canonical_json_ignores_key_order_and_whole_float_spelling() -> None:
    assert chain.canonical_json({"b": 1.0, "a": [2, {"d": 1, "c": "文"}]}) == (
        '{"a":[2,{"c":"文","d":1}],"b":1}'
    )
    with pytest.raises(ValueError):
        chain.canonical_json({"x": float("nan")})


def test_every_field_and_the_link_change_the_hash() -> None:
    record = _log(1)[0]
    base = chain.record_hash(record)
    assert len(base) == 64
    # the same instant in another zone is the same content
    assert chain.record_hash(dataclasses.replace(record, occurred_at=record.occurred_at.astimezone())) == base
    changes = {
        "kind": "stage.approved",
        "project_id": 2,
        "stage": "needs-list",
        "actor": "zhaoy",
        "occurred_at": AT,
        "before": "in_progress",
        "after": None,
        "data": {"n": 2},
        "channel": "web",
        "os_user": None,
        "prev_hash": "1" * 64,
        "recorded_at": AT + dt.timedelta(days=30),  # a back-fill made to look recorded on time
    }
    for name, value in changes.items():
        assert chain.record_hash(dataclasses.replace(record, **{name: value})) != base, name
    with pytest.raises(ValueError):
        chain.record_hash(dataclasses.replace(record, occurred_at=AT.replace(tzinfo=None)))


def test_verify_names_the_first_broken_link() -> None:
    log = _log(6)
    assert chain.verify(log) == chain.Verdict(6, None, 6, log[-1].hash)
    changed = [*log[:2], dataclasses.replace(log[2], actor="x"), *log[3:]]
    finding = chain.verify(changed).finding
    assert finding is not None and (finding.record.id, finding.problem) == (3, chain.Break.CONTENT_CHANGED)
    missing = chain.verify([*log[:3], *log[4:]]).finding
    assert missing is not None
    assert (missing.record.id, missing.problem, missing.previous_id) == (5, chain.Break.ROW_MISSING, 3)
    head_gone = chain.verify(log[2:]).finding
    assert head_gone is not None and (head_gone.record.id, head_gone.problem) == (3, chain.Break.ROW_MISSING)
    swapped = chain.verify([log[0], log[2], log[1], *log[3:]]).finding
    assert swapped is not None and (swapped.record.id, swapped.problem) == (3, chain.Break.ROW_MISSING)
    unhashed = chain.verify([*log[:1], dataclasses.replace(log[1], hash=None)]).finding
    assert unhashed is not None and unhashed.problem is chain.Break.UNHASHED
    # the newest events only, after a trusted anchor
    assert chain.verify(log[3:], anchor_id=3, anchor_hash=log[2].hash or "").intact
    relinked = chain.verify(log[3:], anchor_id=3, anchor_hash="2" * 64).finding
    assert relinked is not None and relinked.problem is chain.Break.LINK_BROKEN
