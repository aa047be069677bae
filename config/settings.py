"""Settings, read from ``ACCOMPANY_*`` environment variables (pydantic-settings).

Everything has a default that works on a fresh machine: the SQLite database and
attachments live under ``ACCOMPANY_HOME`` (``~/.local/share/accompany`` unless
``XDG_DATA_HOME`` says otherwise).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

CONFIG_DIR = Path(__file__).resolve().parent
BUILTIN_TEMPLATES = CONFIG_DIR / "templates"
BUILTIN_CALENDARS = CONFIG_DIR / "calendars"
EXAMPLE_PEOPLE = CONFIG_DIR / "people.example.yaml"


def default_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "accompany"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ACCOMPANY_", extra="ignore")

    home: Path = Field(default_factory=default_home, description="data directory")
    database_url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL; default sqlite:///$ACCOMPANY_HOME/accompany.db. "
        "Kept secret: it may hold a password.",
    )
    templates_dir: Path | None = Field(
        default=None, description="extra process templates (*.yaml) besides config/templates"
    )
    calendar_dir: Path | None = Field(
        default=None,
        description="operator calendar files (*.yaml): years added or corrected; "
        "default $ACCOMPANY_HOME/calendars (`calendar add` writes here, never into the package)",
    )
    attachments_dir: Path | None = Field(default=None, description="default $ACCOMPANY_HOME/attachments")
    language: Literal["zh", "en"] = "zh"
    allow_backdating: bool = Field(
        default=True,
        description="`--now` may date a write earlier than the real time (an operator back-filling "
        "what happened on paper; recorded with both times). Set false in production: any "
        "earlier `--now` on a write is refused",
    )

    undo_window_minutes: int = Field(
        default=30,
        ge=1,
        le=24 * 60,
        description="an approval or a return may be undone (`stage undo`) by the person who gave it for "
        "this many minutes after it was recorded (the real clock, not --now)",
    )

    # -- notifications (Apprise) -------------------------------------------------
    apprise_config: Path | None = Field(
        default=None,
        description="Apprise configuration file (YAML or TEXT) with channels tagged "
        "person-<id>, street-office-<street>, district-<district>",
    )
    quiet_start: dt.time = Field(default=dt.time(20, 0), description="no messages from (local time)")
    quiet_end: dt.time = Field(default=dt.time(8, 0), description="… until (local time)")
    quiet_on_non_working_days: bool = Field(
        default=True, description="hold messages on weekends and statutory holidays"
    )
    dispatch_max_attempts: int = Field(default=6, ge=1, le=50, description="then dead-lettered")
    dispatch_retry_base_seconds: int = Field(default=60, ge=1, description="backoff: base × 2^(attempt-1)")
    dispatch_retry_max_seconds: int = Field(default=6 * 3600, ge=1)
    dispatch_concurrency: int = Field(default=16, ge=1, le=256, description="messages in flight")
    dispatch_lease_seconds: int = Field(
        default=300, ge=10, description="a claim not confirmed within this is taken over"
    )
    dispatch_batch: int = Field(default=500, ge=1, description="notifications claimed at a time")

    # -- schedules (Prefect deployments, Asia/Shanghai) -----------------------------
    sweep_cron: str = Field(default="0 9 * * *", description="reminder sweep; skips non-working days")
    dispatch_cron: str = Field(default="*/5 * * * *", description="outbox dispatch")
    relay_cron: str = Field(default="* * * * *", description="relay of the event log to Prefect's event feed")
    report_cron: str = Field(
        default="0 8 1-15 1,4,7,10 *",
        description="quarterly report; the flow runs on the first working day of a quarter",
    )
    reports_dir: Path | None = Field(default=None, description="default $ACCOMPANY_HOME/reports")

    # -- the web app and sign-in ---------------------------------------------------
    base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="where people reach the web app: invite links and message links start with it",
    )
    invite_hours: int = Field(default=72, ge=1, le=24 * 30, description="an invite link expires after")
    session_idle_minutes: int = Field(
        default=8 * 60, ge=5, le=7 * 24 * 60, description="a session ends after this long without a request"
    )
    session_max_hours: int = Field(
        default=7 * 24, ge=1, le=90 * 24, description="… and this long after sign-in in any case"
    )
    signin_failures_per_account: int = Field(default=5, ge=1, le=100)
    signin_failures_per_address: int = Field(default=20, ge=1, le=10_000)
    signin_throttle_minutes: int = Field(default=15, ge=1, le=24 * 60)
    upload_max_mb: int = Field(default=20, ge=1, le=200, description="largest file accepted by the web app")
    cookie_secure: Literal["auto", "always", "never"] = Field(
        default="auto", description="Secure cookies: auto = when the request came over HTTPS"
    )

    # -- residents (personal data: 个人信息保护法) ------------------------------------------
    household_retention_days: int = Field(
        default=365,
        ge=0,
        le=3650,
        description="a project's household register (contacts included) is deleted this many days "
        "after the project completes (`accompany households purge-expired`, daily)",
    )
    public_base_url: str | None = Field(
        default=None,
        description="where residents reach the public pages (the QR codes on the household slips "
        "point there); default: ACCOMPANY_BASE_URL",
    )

    form_secret: SecretStr | None = Field(
        default=None,
        description="the server secret that signs the public ballot form's token (no cookie on the "
        "public page); default: a random secret kept in $ACCOMPANY_HOME/form-secret (created on first "
        "use; set this when several servers answer the public page)",
    )
    ballots_per_minute: int = Field(
        default=30,
        ge=1,
        le=10_000,
        description="residents' answers on the public page (ballots, survey answers, comments, needs) "
        "accepted per address and minute, counted in the database for all server processes (then 429)",
    )
    public_pages_per_minute: int = Field(
        default=200,
        ge=1,
        le=100_000,
        description="public page views per address and minute in each server process (then 429); "
        "with up to four workers an address gets fewer than 1,000 a minute",
    )

    map_tiles: str | None = Field(
        default=None,
        description="a map tile URL with {z}, {x} and {y} (web Mercator, 256 px) drawn under the problem "
        "map; GCJ-02 tiles (e.g. AutoNavi's) so the points fall in place; unset: the offline drawing only",
    )
    map_tiles_attribution: str | None = Field(
        default=None, max_length=200, description="the credit line the tile provider asks for, under the map"
    )

    @field_validator("map_tiles", mode="after")
    @classmethod
    def _tiles(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = cls._http_url(value)
        if any(c in "'\"<>" for c in value):  # it goes into an attribute and the CSP
            raise ValueError("must be an http:// or https:// URL")
        if not all(part in value for part in ("{z}", "{x}", "{y}")):
            raise ValueError("must hold {z}, {x} and {y}, e.g. https://tiles.example/{z}/{x}/{y}.png")
        return value

    @field_validator("public_base_url", mode="after")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else cls._http_url(value)

    def resolved_public_base_url(self) -> str:
        return self.public_base_url or self.base_url

    @field_validator("base_url", mode="after")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")) or any(c.isspace() for c in value):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator(
        "home", "templates_dir", "calendar_dir", "attachments_dir", "apprise_config", mode="after"
    )
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    def resolved_database_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        # the default database lives in the application's own folder, made on first use
        # (a folder named in a URL is not: a typo would look like a new, empty database)
        self.home.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.home / 'accompany.db'}"

    def resolved_reports_dir(self) -> Path:
        return self.reports_dir or self.home / "reports"

    def resolved_attachments_dir(self) -> Path:
        return self.attachments_dir or self.home / "attachments"

    def template_dirs(self) -> list[Path]:
        dirs = [BUILTIN_TEMPLATES]
        if self.templates_dir is not None:
            dirs.append(self.templates_dir)
        return dirs

    def resolved_calendar_dir(self) -> Path:
        return self.calendar_dir or self.home / "calendars"

    def calendar_dirs(self) -> list[Path]:
        """The files shipped with the package (if any), then the operator's folder."""
        dirs = [BUILTIN_CALENDARS]
        if self.resolved_calendar_dir().resolve() != BUILTIN_CALENDARS.resolve():
            dirs.append(self.resolved_calendar_dir())
        return dirs
