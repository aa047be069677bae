"""prefect.yaml (production: Prefect server + workers) and `accompany serve` register
the same flows on the same Asia/Shanghai schedules."""

from __future__ import annotations

from pathlib import Path

import yaml

from accompany.config.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_prefect_yaml_entrypoints_and_schedules_match_serve() -> None:
    from prefect import Flow
    from prefect.utilities.importtools import import_object

    from accompany.flows.serve import build_deployments

    document = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    declared = {}
    for deployment in document["deployments"]:
        flow = import_object(deployment["entrypoint"])
        assert isinstance(flow, Flow), deployment["entrypoint"]
        assert deployment["work_pool"]["name"] == "accompany"
        [schedule] = deployment["schedules"]
        assert schedule["timezone"] == "Asia/Shanghai"
        declared[(flow.name, deployment["name"])] = schedule["cron"]
    served = {(d.flow_name, d.name): d.schedules[0].schedule.cron for d in build_deployments(Settings())}
    assert declared == served
    assert all(d.schedules[0].schedule.timezone == "Asia/Shanghai" for d in build_deployments(Settings()))
