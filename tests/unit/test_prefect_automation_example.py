"""config/prefect-automation.example.yaml is an Automation Prefect accepts (as
`prefect automation create --from-file` reads it) about the events the relay sends."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import yaml

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "prefect-automation.example.yaml"


def test_the_example_parses_as_a_prefect_automation() -> None:
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

    document = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    [entry] = document["automations"]
    automation = AutomationCore.model_validate(entry)
    trigger = automation.trigger
    assert isinstance(trigger, EventTrigger)
    assert trigger.expect == {"accompany.stage.returned"}
    assert trigger.posture == Posture.Reactive
    assert (trigger.threshold, trigger.within) == (2, timedelta(days=30))
    assert trigger.for_each == {"related:stage:prefect.resource.id"}
    [related] = trigger.match_related if isinstance(trigger.match_related, list) else [trigger.match_related]
    assert related.get("prefect.resource.role") == ["district"]
    assert related.get("prefect.resource.id") == ["accompany.district.chaoyang"]
    [action] = automation.actions
    assert isinstance(action, SendNotification)
    assert "event.payload.stage_name" in action.body
