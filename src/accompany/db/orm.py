"""The application database: typed SQLAlchemy 2 models.

This is the source of truth for projects, stages, approvals, evidence and the
append-only event log; nothing depends on Prefect's own database. Relationships are
``lazy="raise"`` so every query says what it loads. Alembic (migrations/) creates
and upgrades the schema; these classes are what it compares against.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from .sqltypes import BigId, JsonColumn, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JsonColumn,
        list[str]: JsonColumn,
    }


class DistrictRow(Base):
    __tablename__ = "district"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class StreetRow(Base):
    __tablename__ = "street"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    district_id: Mapped[str] = mapped_column(ForeignKey("district.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))


class TeamRow(Base):
    """A planners' team the directory names (a person's ``team`` holds its id; a
    team the directory never named has no row and is shown by its id)."""

    __tablename__ = "team"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class PersonRow(Base):
    __tablename__ = "person"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    district_id: Mapped[str] = mapped_column(ForeignKey("district.id"))
    streets: Mapped[list[str]] = mapped_column(default=list)
    team: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # a work phone residents may call (shown masked); not resident data
    phone: Mapped[str | None] = mapped_column(String(40))


class TemplateRow(Base):
    """A snapshot of a template version as first used; projects point at it, so a
    later edit of the file never changes a running project."""

    __tablename__ = "process_template"
    __table_args__ = (UniqueConstraint("template_id", "version"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime]


class ProjectRow(Base):
    __tablename__ = "project"
    __table_args__ = (Index("ix_project_street_status", "street_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    district_id: Mapped[str] = mapped_column(ForeignKey("district.id"))
    street_id: Mapped[str] = mapped_column(ForeignKey("street.id"))
    community: Mapped[str] = mapped_column(String(200))
    planner_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    coordinator_id: Mapped[str] = mapped_column(ForeignKey("person.id"))
    template_pk: Mapped[int] = mapped_column(ForeignKey("process_template.pk"))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    start_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[dt.datetime]
    completed_at: Mapped[dt.datetime | None]
    # why, since when and by whom the project is suspended or cancelled
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_since: Mapped[dt.datetime | None]
    status_by: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)

    stages: Mapped[list[StageRow]] = relationship(
        back_populates="project", lazy="raise", order_by="StageRow.position"
    )
    template: Mapped[TemplateRow] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}


class ProjectPartyRow(Base):
    """A party of a project: the person who is its design institute, construction
    company, community committee … (one per role)."""

    __tablename__ = "project_party"

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)


class StageRow(Base):
    __tablename__ = "stage"
    __table_args__ = (
        UniqueConstraint("project_id", "key"),
        # the reminder sweep and `project list --overdue` look stages up by state and due date
        Index("ix_stage_state_due", "state", "due_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    phase: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    round: Mapped[int] = mapped_column(Integer, default=1)
    activated_at: Mapped[dt.datetime | None]
    submitted_at: Mapped[dt.datetime | None]
    approved_at: Mapped[dt.datetime | None]
    fixed_due: Mapped[dt.date | None] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    deadline: Mapped[dict[str, Any] | None] = mapped_column(JsonColumn)
    paused_since: Mapped[dt.datetime | None]
    # the approval level a done stage waits for (derived from the aggregate, stored
    # so the sweep and the portfolio list need not read the approvals)
    waiting_for: Mapped[str | None] = mapped_column(String(32))
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)

    project: Mapped[ProjectRow] = relationship(back_populates="stages", lazy="raise")
    attachments: Mapped[list[AttachmentRow]] = relationship(lazy="raise", order_by="AttachmentRow.id")
    approvals: Mapped[list[ApprovalRow]] = relationship(lazy="raise", order_by="ApprovalRow.id")
    pauses: Mapped[list[ClockPauseRow]] = relationship(lazy="raise", order_by="ClockPauseRow.id")
    extensions: Mapped[list[ExtensionRow]] = relationship(lazy="raise", order_by="ExtensionRow.id")

    # optimistic concurrency: an UPDATE that finds another version loses the race
    __mapper_args__ = {"version_id_col": version}


class AttachmentRow(Base):
    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id", ondelete="CASCADE"), index=True)
    key: Mapped[str | None] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigId)
    stored_as: Mapped[str] = mapped_column(String(500))
    added_by: Mapped[str] = mapped_column(ForeignKey("person.id"))
    added_at: Mapped[dt.datetime]


class ApprovalRow(Base):
    __tablename__ = "approval"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[dt.datetime]
    comment: Mapped[str | None] = mapped_column(Text)


class ClockPauseRow(Base):
    __tablename__ = "clock_pause"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id", ondelete="CASCADE"), index=True)
    paused_at: Mapped[dt.datetime]
    paused_by: Mapped[str] = mapped_column(ForeignKey("person.id"))
    reason: Mapped[str] = mapped_column(Text)
    resumed_at: Mapped[dt.datetime | None]
    resumed_by: Mapped[str | None] = mapped_column(ForeignKey("person.id"))
    # opened by the project's suspension (its resumption closes it)
    suspension: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ExtensionRow(Base):
    __tablename__ = "extension_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id", ondelete="CASCADE"), index=True)
    requested_at: Mapped[dt.datetime]
    requested_by: Mapped[str] = mapped_column(ForeignKey("person.id"))
    working_days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[dt.datetime | None]
    granted_days: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)


class EventRow(Base):
    """The append-only audit log (database triggers refuse UPDATE and DELETE).

    ``occurred_at`` is the business time of the command (``--now`` when an operator
    back-fills, or in a simulation); ``recorded_at`` is the real time the row was
    written: the application's wall clock (never ``--now``), else the database
    server's clock. A row recorded well after it occurred is back-dated
    (``models.rules.is_backdated``). ``hash`` chains the rows: the SHA-256 of the
    row's content and of ``prev_hash``, the previous row's hash
    (``accompany.models.chain``; `accompany audit verify`)."""

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_project_id_id", "project_id", "id"),
        Index("ix_event_occurred_at", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"))
    stage_key: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(48), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[dt.datetime]
    recorded_at: Mapped[dt.datetime] = mapped_column(server_default=func.now())
    before_state: Mapped[str | None] = mapped_column(String(32))
    after_state: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # how the command came in: web, api, cli or flow (None for rows written before
    # channels were recorded), and for the CLI the operating-system user who ran it
    channel: Mapped[str | None] = mapped_column(String(8))
    os_user: Mapped[str | None] = mapped_column(String(64))
    # the hash chain (revision 0005 back-filled the rows written before it)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class SystemStateRow(Base):
    """Small named facts the engine keeps about itself (e.g. the fingerprint of the
    calendar data the deadlines were last computed with)."""

    __tablename__ = "system_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]]
    updated_at: Mapped[dt.datetime]


class RelayCursorRow(Base):
    """How far a relay has carried the event log elsewhere: ``last_event_id`` is the
    newest event it has handed over (the ``prefect`` relay: to Prefect's event
    feed). The relay locks its row while it sends a batch, and advances it in the
    transaction that ends the batch."""

    __tablename__ = "relay_cursor"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigId)
    updated_at: Mapped[dt.datetime | None]


class NotificationRow(Base):
    """The outbox: one row per notification to deliver, written in the same
    transaction as the change (or by the sweep) that causes it.

    ``dedupe_key`` (audience | project | stage | kind | occurrence) is unique, so a
    notification is queued at most once however many sweeps run. ``status`` goes
    pending → sending (claimed by one dispatcher until ``claimed_until``) → sent, or
    back to retry with a backoff, or dead after the last attempt. ``channels_done``
    lists the channels (hashes of their URLs) that already accepted it, so a retry
    never repeats a channel that succeeded."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        Index("ix_notification_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(400))
    kind: Mapped[str] = mapped_column(String(48))
    digest: Mapped[bool] = mapped_column(Boolean)
    audience: Mapped[str] = mapped_column(String(128), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"), index=True)
    stage_key: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_until: Mapped[dt.datetime | None]
    channels_done: Mapped[list[str]] = mapped_column(default=list)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None]


# -- sign-in -------------------------------------------------------------------------


class AccountRow(Base):
    """A person's local sign-in: the Argon2 hash of their password (never the
    password). A person of the directory without a row has not set one yet."""

    __tablename__ = "account"

    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    password_set_at: Mapped[dt.datetime]
    password_set_by: Mapped[str] = mapped_column(String(64))  # "invite", "self" or an operator


class InviteRow(Base):
    """A one-time link where a person sets their password. Only the SHA-256 of the
    link's token is stored; the link itself is printed once."""

    __tablename__ = "invite"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[dt.datetime | None]


class WebSessionRow(Base):
    """A signed-in browser. The cookie carries a random token; only its SHA-256 is
    stored, so a copy of the database signs nobody in."""

    __tablename__ = "web_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    created_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class ApiTokenRow(Base):
    """A personal API token (``Authorization: Bearer …``) with the person's own
    permissions; shown once when made, stored as its SHA-256, revocable."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime]
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]


class SigninFailureRow(Base):
    """A failed sign-in, kept for the throttling window: by account name (``account``,
    whether or not such a person exists) and by network address (``address``)."""

    __tablename__ = "signin_failure"
    __table_args__ = (Index("ix_signin_failure_kind_key_at", "kind", "key", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(128))
    at: Mapped[dt.datetime]


class AddressHitRow(Base):
    """A resident's answer (ballot, survey, comment, needs) accepted from a network
    address, kept for the throttling window only: every server process counts the
    same rows, so the per-address limit does not multiply with the workers."""

    __tablename__ = "address_hit"
    __table_args__ = (Index("ix_address_hit_address_at", "address", "at"), Index("ix_address_hit_at", "at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime]


# -- residents ---------------------------------------------------------------------------


class HouseholdRow(Base):
    """One home of a project's household register (``models.households``): where it
    is, its floor area in hundredths of m², its number of owners, an optional contact
    (shown masked, deleted on request or after the retention period) and the code its
    residents identify with (printed on their slip, never listed)."""

    __tablename__ = "household"
    __table_args__ = (UniqueConstraint("project_id", "building", "unit", "room"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    building: Mapped[str] = mapped_column(String(50))
    unit: Mapped[str] = mapped_column(String(50))
    room: Mapped[str] = mapped_column(String(50))
    area_centi: Mapped[int] = mapped_column(Integer)
    owners: Mapped[int] = mapped_column(Integer)
    contact: Mapped[str | None] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(16), unique=True)
    position: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[dt.datetime]


class BallotRow(Base):
    """A household's consent ballot on a stage with ``consent:`` (``models.consent``):
    one per household and stage — a later ballot replaces it. The household is named
    by its code (kept across re-loads of the register); the choice, how it came
    (public page or a paper ballot recorded by ``recorded_by``) and when."""

    __tablename__ = "consent_ballot"
    __table_args__ = (UniqueConstraint("project_id", "stage_key", "archived_round", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    stage_key: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(16))
    choice: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    recorded_by: Mapped[str | None] = mapped_column(String(64))
    cast_at: Mapped[dt.datetime]
    # 0: the running round; n: archived by the n-th loop back (models.loop), kept
    # but no longer counted
    archived_round: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SatisfactionRow(Base):
    """A household's answer to the satisfaction survey of a stage with
    ``satisfaction:`` (``models.satisfaction``): one per household and stage — a
    later answer replaces it. The household is named by its code; the three scores
    (1–5), the optional comment, how it came (public page or a paper answer recorded
    by ``recorded_by``), when it was first given and when last changed."""

    __tablename__ = "satisfaction_answer"
    __table_args__ = (UniqueConstraint("project_id", "stage_key", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    stage_key: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(16))
    content: Mapped[int] = mapped_column(Integer)
    process: Mapped[int] = mapped_column(Integer)
    management: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    recorded_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    answered_at: Mapped[dt.datetime]


class CommentRow(Base):
    """A resident's comment or objection on a stage with ``comments:`` (问计,
    ``models.comments``): the household that left it (by its code, like a ballot), the
    kind, the text, how it came (public page or a paper comment recorded by
    ``recorded_by``) and when; the planner's answer, its author and when."""

    __tablename__ = "stage_comment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    stage_key: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    recorded_by: Mapped[str | None] = mapped_column(String(64))
    left_at: Mapped[dt.datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[dt.datetime | None]


class NeedsItemRow(Base):
    """An item of a project's needs menu (``models.needs``): its category (basic,
    improvement, upgrade) and name; ``retired`` items stay for the answers that chose
    them."""

    __tablename__ = "needs_menu_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime]


class NeedsAnswerRow(Base):
    """A household's answer to the needs survey of a stage with ``needs:``: one per
    household and stage — a later answer replaces it. The household is named by its
    code; how the answer came (public page or paper recorded by ``recorded_by``)."""

    __tablename__ = "needs_answer"
    __table_args__ = (UniqueConstraint("project_id", "stage_key", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    stage_key: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    recorded_by: Mapped[str | None] = mapped_column(String(64))
    first_answered_at: Mapped[dt.datetime]
    answered_at: Mapped[dt.datetime]


class NeedsChoiceRow(Base):
    """A menu item an answer chose."""

    __tablename__ = "needs_choice"

    answer_id: Mapped[int] = mapped_column(
        ForeignKey("needs_answer.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("needs_menu_item.id"), primary_key=True, index=True)


class NeedsPointRow(Base):
    """A problem point of an answer: category, short note, position (``lat``/``lng``
    in ``datum``, GCJ-02) and optionally a photo in the attachment store."""

    __tablename__ = "needs_point"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("needs_answer.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    datum: Mapped[str] = mapped_column(String(8))
    photo_name: Mapped[str | None] = mapped_column(String(300))
    photo_sha256: Mapped[str | None] = mapped_column(String(64))
    photo_size: Mapped[int | None] = mapped_column(BigId)
    photo_stored_as: Mapped[str | None] = mapped_column(String(500))


class PublicAttachmentRow(Base):
    """An evidence file its project's people marked public: listed on the project's
    public page and downloadable there while the page is published. No row: the file
    is private (the default)."""

    __tablename__ = "public_attachment"

    attachment_id: Mapped[int] = mapped_column(
        ForeignKey("attachment.id", ondelete="CASCADE"), primary_key=True
    )
    published_at: Mapped[dt.datetime]
    published_by: Mapped[str] = mapped_column(String(64))


class PublicPageRow(Base):
    """A project whose public page (no sign-in) a coordinator has published; no row:
    the page does not exist (the default)."""

    __tablename__ = "public_page"

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), primary_key=True)
    published_at: Mapped[dt.datetime]
    published_by: Mapped[str] = mapped_column(String(64))


# -- delegation ----------------------------------------------------------------------------


class DelegationRow(Base):
    """A substitute who decides for a street-office or district person over a range
    of Beijing dates (``models.delegation``); ``ended_at`` when ended early."""

    __tablename__ = "delegation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delegator_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    substitute_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(64))
