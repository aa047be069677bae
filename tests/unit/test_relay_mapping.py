"""The event log as Prefect events: the pure mapping (no Prefect, no database)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from accompany.services.relay import EVENT_NAMESPACE, Person, RelayRecord, event_uuid, prefect_event

BEIJING = dt.timezone(dt.timedelta(hours=8))


def _approved(**overrides: object) -> RelayRecord:
    values: dict[str, object] = {
        "id": 42,
        "hash": "ab" * 32,
        "kind": "stage.approved",
        "occurred_at": dt.datetime(2026, 6, 1, 10, 30, tzinfo=BEIJING),
        "actor": Person("zhaoy", "赵阳", "street-office"),
        "channel": "web",
        "project_id": 7,
        "project_name": "太阳宫北街口袋公园更新",
        "district": ("chaoyang", "朝阳区"),
        "street": ("taiyanggong", "太阳宫街道"),
        "stage": "needs-survey",
        "stage_name": "需求调研",
        "before": "done",
        "after": "approved",
        "data": {
            "level": "street-office",
            "final": True,
            "round": 1,
            "comment": "王阿姨家（13800000000）同意",
            "waited_working_days": 2,
            "evidence": {"households_interviewed": "40"},
        },
    }
    values.update(overrides)
    return RelayRecord(**values)  # type: ignore[arg-type]


def test_a_stage_decision_is_an_event_about_the_project_related_to_stage_places_and_person() -> None:
    event = prefect_event(_approved())
    assert event["event"] == "accompany.stage.approved"
    assert event["occurred"] == "2026-06-01T02:30:00+00:00"
    assert event["resource"] == {
        "prefect.resource.id": "accompany.project.7",
        "prefect.resource.name": "太阳宫北街口袋公园更新",
    }
    assert event["related"] == [
        {
            "prefect.resource.id": "accompany.project.7.stage.needs-survey",
            "prefect.resource.role": "stage",
            "prefect.resource.name": "需求调研",
        },
        {
            "prefect.resource.id": "accompany.street.taiyanggong",
            "prefect.resource.role": "street",
            "prefect.resource.name": "太阳宫街道",
        },
        {
            "prefect.resource.id": "accompany.district.chaoyang",
            "prefect.resource.role": "district",
            "prefect.resource.name": "朝阳区",
        },
        {
            "prefect.resource.id": "accompany.person.zhaoy",
            "prefect.resource.role": "actor",
            "prefect.resource.name": "赵阳",
            "accompany.person.role": "street-office",
        },
        {"prefect.resource.id": "prefect.tag.accompany", "prefect.resource.role": "tag"},
    ]
    payload = event["payload"]
    assert payload["kind"] == "stage.approved"
    assert (payload["project_id"], payload["stage"], payload["stage_name"]) == (7, "needs-survey", "需求调研")
    assert (payload["actor_name"], payload["actor_role"], payload["channel"]) == (
        "赵阳",
        "street-office",
        "web",
    )
    assert payload["details"] == {
        "level": "street-office",
        "final": True,
        "round": 1,
        "waited_working_days": 2,
    }


def test_no_free_text_contacts_or_evidence_leave_the_database() -> None:
    text = json.dumps(prefect_event(_approved()), ensure_ascii=False)
    assert "13800000000" not in text and "王阿姨" not in text
    assert "households_interviewed" not in text and "comment" not in text
    # a reason is free text: never relayed, whatever the kind
    suspended = _approved(kind="project.suspended", stage=None, data={"reason": "居民投诉 张三 电话 139…"})
    assert "张三" not in json.dumps(prefect_event(suspended), ensure_ascii=False)
    # nor a nested value under an allowed key
    odd = _approved(data={"level": {"note": "secret"}})
    assert "details" not in prefect_event(odd)["payload"]


def test_the_id_is_the_same_every_time_and_differs_between_events_and_databases() -> None:
    first = prefect_event(_approved())
    assert first["id"] == prefect_event(_approved())["id"] == str(event_uuid(42, "ab" * 32))
    assert uuid.UUID(first["id"]) == uuid.uuid5(EVENT_NAMESPACE, "42:" + "ab" * 32)
    assert prefect_event(_approved(id=43))["id"] != first["id"]
    # another database's event #42 has another hash: no collision in a shared Prefect
    assert prefect_event(_approved(hash="cd" * 32))["id"] != first["id"]


def test_an_event_of_no_project_is_about_accompany_and_a_substitute_names_the_delegator() -> None:
    loaded = prefect_event(
        _approved(
            kind="people.loaded",
            project_id=None,
            project_name=None,
            district=None,
            street=None,
            stage=None,
            stage_name=None,
            actor=Person("admin"),
            channel="cli",
            data={"added_ids": ["a"]},
        )
    )
    assert loaded["event"] == "accompany.people.loaded"
    assert loaded["resource"] == {"prefect.resource.id": "accompany", "prefect.resource.name": "accompany"}
    assert [r["prefect.resource.role"] for r in loaded["related"]] == ["actor", "tag"]
    assert loaded["related"][0]["prefect.resource.name"] == "admin"
    assert "details" not in loaded["payload"]
    on_behalf = prefect_event(
        _approved(
            on_behalf_of=Person("zhaoy", "赵阳", "street-office"),
            actor=Person("lij", "李静", "street-office"),
        )
    )
    roles = {r["prefect.resource.role"]: r for r in on_behalf["related"]}
    assert roles["actor"]["prefect.resource.name"] == "李静"
    assert roles["on-behalf-of"]["prefect.resource.id"] == "accompany.person.zhaoy"


def test_a_template_migration_carries_the_versions_but_not_the_stage_plan() -> None:
    event = prefect_event(
        _approved(
            kind="project.migrated",
            stage=None,
            stage_name=None,
            actor=Person("operator"),
            before="1",
            after="2",
            data={
                "template_from": "accompany-service@1",
                "template_to": "accompany-service@2",
                "stages": [{"change": "kept", "from": "needs-survey", "to": "needs-survey"}],
                "params_dropped": [],
            },
        )
    )
    assert event["event"] == "accompany.project.migrated"
    assert event["payload"]["details"] == {
        "template_from": "accompany-service@1",
        "template_to": "accompany-service@2",
    }
    assert (event["payload"]["before"], event["payload"]["after"]) == ("1", "2")
    assert not any(r["prefect.resource.role"] == "stage" for r in event["related"])
