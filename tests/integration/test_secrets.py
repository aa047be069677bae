"""Secrets in Apprise URLs — in the password, the path, the query, a header, a
robot key — are found nowhere: channel labels, dispatch results, stored errors,
audit events, the whole database, the logs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select

from accompany.bootstrap import App
from accompany.db.orm import NotificationRow
from accompany.services import commands
from accompany.services.dispatch import dispatch

from ..conftest import start_command
from ..receivers import HttpReceiver, apprise_yaml

PASSWORD, PATH, QUERY, HEADER, FIELD = "pAssW0rdX", "pAthT0ken9", "qUeryT0ken7", "hEaderT0ken5", "fIeldT0ken3"
WECOM, DING_TOKEN, DING_SECRET = "wEcomK3y1234", "dIngT0ken8", "dIngS3cret6"
SECRETS = (PASSWORD, PATH, QUERY, HEADER, FIELD, WECOM, DING_TOKEN, DING_SECRET)


@pytest.fixture
def leaky(people: App, tmp_path: Path, http: HttpReceiver) -> App:
    config = tmp_path / "apprise.yaml"
    config.write_text(
        apprise_yaml(
            {
                f"json://hook:{PASSWORD}@127.0.0.1:{http.port}/hooks/{PATH}"
                f"?-token={QUERY}&+Authorization=Bearer%20{HEADER}&:sign={FIELD}": "person-wangrb",
                f"form://127.0.0.1:{http.port}/{PATH}?+X-Token={HEADER}": "street-office-taiyanggong",
                f"xml://robot:{PASSWORD}@127.0.0.1:{http.port}/x/{PATH}": "person-zhangl",
                f"wecombot://{WECOM}": "district-chaoyang",
                f"dingtalk://{DING_SECRET}@{DING_TOKEN}/": "district-dongcheng",
            }
        ),
        encoding="utf-8",
    )
    people.settings.apprise_config = config
    people.settings.dispatch_max_attempts = 1  # straight to dead: the audit log gets the error
    return people


def dump(app: App) -> str:
    """Every row of every table, as text."""
    metadata = MetaData()
    metadata.reflect(app.engine)
    out = []
    with app.engine.connect() as connection:
        for table in metadata.sorted_tables:
            out += [repr(tuple(row)) for row in connection.execute(select(table))]
    return "\n".join(out)


def test_labels_mask_each_kind_of_secret(leaky: App) -> None:
    labels = [channel.label for channel, _ in leaky.notifier().all_channels()]
    text = "\n".join(labels)
    for secret in SECRETS:
        assert secret not in text, (secret, labels)
    assert any(label.startswith("json://hook:***@127.0.0.1:") for label in labels), labels
    assert any(label.startswith("wecombot://") for label in labels), labels


def test_a_token_in_path_query_header_and_password_is_found_nowhere(
    leaky: App, http: HttpReceiver, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    commands.start_project(leaky, start_command())
    http.fail_next = 100
    result = dispatch(leaky, leaky.notifier())
    assert result.dead == 3
    # the secrets did reach the receiver (so they were really in use) …
    assert any(PATH in r.path for r in http.requests)
    # … and nowhere else
    with leaky.reader() as uow:
        errors = [r.last_error or "" for r in uow.session.scalars(select(NotificationRow))]
    assert all(e.startswith("refused:") for e in errors), errors
    out, err = capfd.readouterr()
    places = {
        "result": json.dumps(result.summary()),
        "database": dump(leaky),
        "logs": caplog.text,
        "stdout/stderr": out + err,
    }
    for where, text in places.items():
        for secret in SECRETS:
            assert secret not in text, (secret, where)


def test_an_error_text_is_scrubbed_of_every_channel_secret(leaky: App) -> None:
    notifier = leaky.notifier()
    text = f"boom at https://example.org/{PATH}?k={QUERY} with {HEADER} by robot:{PASSWORD}@ {WECOM}"
    scrubbed = notifier.redact(text)
    assert not any(s in scrubbed for s in SECRETS), scrubbed
    assert scrubbed.startswith("boom at https://example.org/***?k=***")
