"""Settings read from ``ACCOMPANY_*`` variables (pydantic-settings): names in any
case, arguments before the environment, defaults validated."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from accompany.config.settings import Settings
from accompany.models.template import describe_validation_error


@pytest.fixture(autouse=True)
def _no_accompany_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.lower().startswith("accompany_"):
            monkeypatch.delenv(name)


def test_a_variable_sets_its_field_as_the_field_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCOMPANY_UNDO_WINDOW_MINUTES", "45")
    monkeypatch.setenv("ACCOMPANY_ALLOW_BACKDATING", "false")
    monkeypatch.setenv("ACCOMPANY_QUIET_START", "21:30")
    monkeypatch.setenv("ACCOMPANY_DATABASE_URL", "postgresql+psycopg://u:pw@h/db")
    monkeypatch.setenv("ACCOMPANY_BASE_URL", " https://a.example/ ")
    monkeypatch.setenv("ACCOMPANY_NOT_A_SETTING", "ignored")
    settings = Settings()
    assert settings.undo_window_minutes == 45
    assert settings.allow_backdating is False
    assert settings.quiet_start == dt.time(21, 30)
    assert settings.resolved_database_url() == "postgresql+psycopg://u:pw@h/db"
    assert settings.base_url == "https://a.example"  # the validator ran


def test_the_name_may_be_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("accompany_language", "en")
    assert Settings().language == "en"


def test_arguments_come_before_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ACCOMPANY_HOME", str(tmp_path / "from-env"))
    monkeypatch.setenv("ACCOMPANY_LANGUAGE", "en")
    settings = Settings(home=tmp_path / "given")
    assert settings.home == tmp_path / "given"
    assert settings.language == "en"  # the rest still from the environment


def test_defaults_go_through_the_validators(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", "~/data")
    assert Settings().home == Path("~/data/accompany").expanduser()


def test_a_bad_value_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCOMPANY_INVITE_HOURS", "0")
    monkeypatch.setenv("ACCOMPANY_LANGUAGE", "fr")
    with pytest.raises(ValidationError) as raised:
        Settings()
    assert describe_validation_error(raised.value) == (
        "language: Input should be 'zh' or 'en'; invite_hours: Input should be greater than or equal to 1"
    )
