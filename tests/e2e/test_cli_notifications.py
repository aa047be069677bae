"""Reminders and notifications as typed, including the process-level guarantees:
two sweeps at once, a dispatcher killed mid-run, and secrets kept out of output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from accompany.bootstrap import build_app
from accompany.clock import FixedClock, parse_moment
from accompany.config.settings import EXAMPLE_PEOPLE, Settings
from accompany.db.orm import EventRow, NotificationRow
from accompany.directory import read_directory
from accompany.services import commands

from ..conftest import start_command
from ..receivers import HttpReceiver, apprise_yaml
from .test_cli import ok, refused, start_args

SECRET = "wEcOmB0tK3y"


@pytest.fixture
def apprise_env(
    cli_env: dict[str, str], tmp_path: Path, http: HttpReceiver, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    config = tmp_path / "apprise.yaml"
    config.write_text(
        apprise_yaml(
            {
                f"json://hook:{SECRET}@127.0.0.1:{http.port}/planner": "person-wangrb, person-chenm",
                http.url("street"): "street-office-taiyanggong, street-office-jiuxianqiao",
                http.url("district"): "district-chaoyang",
                http.url("coordinator"): "person-zhangl, person-liuq",
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("ACCOMPANY_APPRISE_CONFIG", str(config))
    return {**cli_env, "ACCOMPANY_APPRISE_CONFIG": str(config)}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "accompany", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def seed(env: dict[str, str], projects: int) -> None:
    settings = Settings(home=Path(env["ACCOMPANY_HOME"]), calendar_dir=Path(env["ACCOMPANY_CALENDAR_DIR"]))
    app = build_app(
        settings,
        database_url=env["ACCOMPANY_DATABASE_URL"],
        clock=FixedClock(parse_moment("2026-03-02T09:00")),
    )
    commands.load_directory(app, read_directory(EXAMPLE_PEOPLE))
    for index in range(projects):
        commands.start_project(app, start_command(name=f"项目{index:03d}"))


def rows(env: dict[str, str]) -> list[NotificationRow]:
    app = build_app(database_url=env["ACCOMPANY_DATABASE_URL"])
    with app.reader() as uow:
        return list(uow.session.scalars(select(NotificationRow).order_by(NotificationRow.id)))


def test_reminders_run_dispatch_list_and_channels(apprise_env: dict[str, str], http: HttpReceiver) -> None:
    ok("people", "load", str(EXAMPLE_PEOPLE))
    ok(*start_args())
    dry = json.loads(ok("reminders", "run", "--dry-run", "--json", "--now", "2026-04-09T09:00"))
    assert dry["queued"] == 1 and dry["by_kind"] == {"due-soon": 1}
    out = ok("reminders", "run", "--now", "2026-04-09T09:00")
    assert "queued 1 new notification(s)" in out and "Due soon" in out
    rows_shown = out.strip().split("\n", 1)[1]  # the table, below the summary line
    assert "│ new" in rows_shown and "already queued" not in rows_shown
    assert "王若冰" in out and "wangrb" not in out
    again = ok("reminders", "run", "--now", "2026-04-09T09:30")
    assert "queued 0 new notification(s), 1 already queued" in again
    assert "│ already queued" in again.strip().split("\n", 1)[1]  # the row, not only the summary
    assert (
        json.loads(ok("reminders", "run", "--json", "--now", "2026-04-09T09:40"))["notifications"][0]["new"]
        is False
    )
    out = ok("notifications", "dispatch", "--now", "2026-04-09T09:31")
    assert "4 sent" in out  # 3 start notifications + the digest
    listing = json.loads(ok("notifications", "list", "--json"))
    assert {n["status"] for n in listing} == {"sent"}
    # ids stay in --json, next to the names
    street = next(n for n in listing if n["audience"] == "street-office:taiyanggong")
    assert street["audience_name"] == "太阳宫街道 street office"
    table = ok("notifications", "list")
    for shown in ("Due soon", "王若冰", "太阳宫街道 street office", "需求调研"):
        assert shown in table
    assert "person:" not in table and "street-office:" not in table and "wangrb" not in table
    channels = ok("notifications", "channels")
    assert SECRET not in channels and "hook" in channels
    assert "no channel for" in channels and "东城区 planning branch (district-dongcheng)" in channels
    assert "quiet hours" in ok("notifications", "dispatch", "--now", "2026-04-09T23:00")


def test_failed_list_and_retry(
    apprise_env: dict[str, str], http: HttpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok("people", "load", str(EXAMPLE_PEOPLE))
    ok(*start_args())
    monkeypatch.setenv("ACCOMPANY_DISPATCH_MAX_ATTEMPTS", "1")
    http.fail_next = 100
    out = ok("notifications", "dispatch", "--now", "2026-03-02T10:00")
    assert "3 dead" in out and SECRET not in out
    failed = json.loads(ok("notifications", "list", "--failed", "--json"))
    assert len(failed) == 3 and all("did not accept" in n["last_error"] for n in failed)
    assert all(SECRET not in n["last_error"] for n in failed)
    assert "unknown notification 999" in refused(3, "notifications", "retry", "999")
    http.fail_next = 0
    assert "3 notification(s) queued again" in ok("notifications", "retry", "--now", "2026-03-02T10:05")
    assert "3 sent" in ok("notifications", "dispatch", "--now", "2026-03-02T10:06")


def test_dispatch_without_apprise_config_is_a_clear_error(cli_env: dict[str, str]) -> None:
    assert "ACCOMPANY_APPRISE_CONFIG" in refused(2, "notifications", "dispatch")


def test_serve_check_lists_asia_shanghai_schedules(cli_env: dict[str, str]) -> None:
    out = ok("serve", "--check")
    assert "send-reminders/daily-sweep: 0 9 * * * (Asia/Shanghai)" in out
    assert "dispatch-notifications/outbox: */5 * * * * (Asia/Shanghai)" in out
    assert "relay-events/event-feed: * * * * * (Asia/Shanghai)" in out


def test_two_sweep_processes_at_once_queue_nothing_twice(apprise_env: dict[str, str]) -> None:
    seed(apprise_env, 60)
    before = len(rows(apprise_env))
    sweeps = [
        subprocess.Popen(
            [sys.executable, "-m", "accompany", "reminders", "run", "--json", "--now", "2026-04-17T09:00"],
            env={**os.environ, **apprise_env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300) for p in sweeps]
    assert all(p.returncode == 0 for p in sweeps), outputs
    reports = [json.loads(out) for out, _ in outputs]
    # 60 projects, 3 working days overdue: an overdue reminder and an escalation each
    assert sum(r["queued"] for r in reports) == 120
    assert all(r["queued"] + r["already_queued"] == 120 for r in reports)
    queued = rows(apprise_env)[before:]
    assert len(queued) == 120 == len({r.dedupe_key for r in queued})


def test_sweep_killed_mid_run_then_rerun_queues_each_reminder_once(apprise_env: dict[str, str]) -> None:
    seed(apprise_env, 60)
    before = len(rows(apprise_env))
    for delay in (0.2, 0.5, 0.8):  # killed at start-up, while deciding, while queueing
        process = subprocess.Popen(
            [sys.executable, "-m", "accompany", "reminders", "run", "--now", "2026-04-17T09:00"],
            env={**os.environ, **apprise_env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
    assert run(apprise_env, "reminders", "run", "--now", "2026-04-17T09:00").returncode == 0
    queued = rows(apprise_env)[before:]
    assert len(queued) == 120 == len({r.dedupe_key for r in queued})


def test_dispatcher_killed_mid_run_loses_nothing(apprise_env: dict[str, str], http: HttpReceiver) -> None:
    seed(apprise_env, 60)  # 180 project-started notifications
    http.delay = 0.02
    env = {**apprise_env, "ACCOMPANY_DISPATCH_CONCURRENCY": "4", "ACCOMPANY_DISPATCH_BATCH": "50"}
    process = subprocess.Popen(
        [sys.executable, "-m", "accompany", "notifications", "dispatch", "--now", "2026-03-02T10:00"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while len(http.delivered) < 40 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(30)
    after_kill = Counter(r.status for r in rows(apprise_env))
    assert after_kill["sent"] < 180, "the dispatcher finished before it was killed"
    # the next run, once the dead dispatcher's lease (5 min) has run out, finishes the job
    result = run(env, "notifications", "dispatch", "--now", "2026-03-02T10:06")
    assert result.returncode == 0, result.stderr
    final = rows(apprise_env)
    assert {r.status for r in final} == {"sent"}
    delivered = Counter(ref for r in http.delivered for ref in r.refs)
    assert set(delivered) == {r.id for r in final}  # nothing lost
    repeats = {ref: n for ref, n in delivered.items() if n > 1}
    # at most the messages that were in flight when it was killed are repeated
    assert len(repeats) <= 4, repeats
    assert all(n == 2 for n in repeats.values())


def test_secrets_never_reach_output_logs_or_the_audit_log(
    apprise_env: dict[str, str], http: HttpReceiver
) -> None:
    ok("people", "load", str(EXAMPLE_PEOPLE))
    ok(*start_args())
    http.fail_next = 1
    outputs = [
        run(apprise_env, "notifications", "dispatch", "--now", "2026-03-02T10:00"),
        run(apprise_env, "notifications", "dispatch", "--now", "2026-03-02T11:00"),
        run(apprise_env, "notifications", "list", "--json"),
        run(apprise_env, "notifications", "channels"),
        run(apprise_env, "project", "show", "1", "--events", "--json"),
    ]
    for result in outputs:
        assert result.returncode == 0, result.stderr
        assert SECRET not in result.stdout + result.stderr
    app = build_app(database_url=apprise_env["ACCOMPANY_DATABASE_URL"])
    with app.reader() as uow:
        events = [json.dumps(e.data, ensure_ascii=False) for e in uow.session.scalars(select(EventRow))]
        errors = [r.last_error or "" for r in uow.session.scalars(select(NotificationRow))]
    assert not any(SECRET in text for text in events + errors)


def test_a_token_in_path_query_header_and_password_is_found_nowhere_the_cli_shows_or_stores(
    cli_env: dict[str, str], tmp_path: Path, http: HttpReceiver
) -> None:
    """One token in each place an Apprise URL keeps a secret; every listing, the
    stored errors and audit events, and the whole database are searched for each."""
    tokens = {"password": "pW0rdTok", "path": "pAthTok42", "query": "qUeryTok42", "header": "hEaderTok42"}
    config = tmp_path / "apprise-leaky.yaml"
    config.write_text(
        apprise_yaml(
            {
                f"json://hook:{tokens['password']}@127.0.0.1:{http.port}/hooks/{tokens['path']}"
                f"?-token={tokens['query']}&+Authorization=Bearer%20{tokens['header']}": "person-wangrb",
                http.url("street"): "street-office-taiyanggong",
                http.url("coordinator"): "person-zhangl",
            }
        ),
        encoding="utf-8",
    )
    env = {**cli_env, "ACCOMPANY_APPRISE_CONFIG": str(config), "ACCOMPANY_DISPATCH_MAX_ATTEMPTS": "1"}
    assert run(env, "people", "load", str(EXAMPLE_PEOPLE)).returncode == 0
    assert run(env, *start_args()).returncode == 0
    http.fail_next = 100
    outputs = [
        run(env, "notifications", "dispatch", "--now", "2026-03-02T10:00"),
        run(env, "notifications", "list"),
        run(env, "notifications", "list", "--failed"),
        run(env, "notifications", "list", "--failed", "--json"),
        run(env, "notifications", "channels"),
        run(env, "project", "show", "1", "--events"),
        run(env, "project", "show", "1", "--events", "--json"),
    ]
    assert "3 dead" in outputs[0].stdout
    assert any(tokens["path"] in r.path for r in http.requests)  # the tokens were really in use
    app = build_app(database_url=env["ACCOMPANY_DATABASE_URL"])
    with app.reader() as uow:
        events = [json.dumps(e.data, ensure_ascii=False) for e in uow.session.scalars(select(EventRow))]
        rows_ = [
            repr((r.last_error, r.payload, r.channels_done))
            for r in uow.session.scalars(select(NotificationRow))
        ]
    text = "\n".join([*(r.stdout + r.stderr for r in outputs), *events, *rows_])
    for where, token in tokens.items():
        assert token not in text, where
    assert "json://hook:***@127.0.0.1" in outputs[4].stdout


@pytest.mark.zh
@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        (
            "apprise.yaml",
            f'version: 1\nurls:\n  - "nosuch://{SECRET}@x":\n      tag: person-wangrb\n',
            "第 3 行：Apprise 不认识 nosuch:// 这种渠道",
        ),
        (
            "apprise.yaml",
            f'version: 1\nurls:\n  - "wecom://{SECRET}@x":\n      tag: person-wangrb\n',
            "第 3 行：wecom:// 地址不完整或无效",
        ),
        (
            "apprise.yaml",
            'version: 1\nurls:\n  - "json://x/y":\n      tag: [a\n',
            "第 4 行第 12 列：不是有效的 YAML",
        ),
        (
            "apprise.txt",
            f"person-wangrb=nosuchscheme://{SECRET}@host\n",
            "第 1 行：Apprise 不认识 nosuchscheme://",
        ),
    ],
)
def test_a_broken_apprise_config_says_what_is_wrong_by_line(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str, said: str
) -> None:
    config = tmp_path / name
    config.write_text(text, encoding="utf-8")
    monkeypatch.setenv("ACCOMPANY_APPRISE_CONFIG", str(config))
    line = refused(2, "notifications", "dispatch")
    assert said in line and "（—）" not in line and SECRET not in line, line


@pytest.mark.zh
def test_a_message_no_channel_reaches_names_whom_in_chinese(
    cli_env: dict[str, str], tmp_path: Path, http: HttpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "apprise.yaml"
    config.write_text(
        apprise_yaml(
            {http.url("street"): "street-office-taiyanggong", http.url("district"): "district-chaoyang"}
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("ACCOMPANY_APPRISE_CONFIG", str(config))
    ok("people", "load", str(EXAMPLE_PEOPLE))
    ok(*start_args())
    out = ok("notifications", "dispatch", "--now", "2026-03-02T10:00")
    assert "Apprise 配置中没有能送达 王若冰 的渠道（标签 person-wangrb）" in out
    assert "no channel is tagged" not in out
    listed = ok("notifications", "list")
    assert "王若冰" in listed and "no channel is tagged" not in listed
