"""Documents on the residents' public page (``models.public_documents``): marking a
project's evidence file public or private again (one transaction with its
``attachment.published`` / ``attachment.unpublished`` event), the list the public
page shows, and the file a resident downloads without signing in — only while the
page is published and the file is public; otherwise "not found", like a project
that does not exist."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pydantic import BaseModel
from sqlalchemy import delete, select

from ..db.orm import AttachmentRow, ProjectRow, PublicAttachmentRow, StageRow
from ..models.deadlines import local_date
from ..models.errors import AccompanyError, NotFound
from ..models.events import Event, EventKind
from ..models.people import Person
from ..models.public_documents import (
    ensure_attachment_of_project,
    may_mark_documents_public,
    may_serve_publicly,
)
from .households import _project
from .project_view import StoredAttachment
from .public import is_published_in

if TYPE_CHECKING:
    from ..bootstrap import App
    from .unit_of_work import UnitOfWork


class DocumentReceipt(BaseModel):
    """What marking a file recorded; ``changed`` False when it already was so."""

    project_id: int
    attachment_id: int
    filename: str
    public: bool
    changed: bool


class PublicDocument(BaseModel):
    """One public file as residents see it: no uploader, no stored path."""

    id: int
    filename: str
    size: int
    added_on: dt.date  # Beijing date
    stage_name: str
    field_label: str | None


class DocumentsPublishing(BaseModel):
    """For the signed-in project page: which of its files are public, and whether
    the viewer may mark them."""

    may_mark: bool
    public_ids: frozenset[int]


def _attachment(uow: UnitOfWork, attachment_id: int):  # type: ignore[no-untyped-def]
    return uow.session.execute(
        select(AttachmentRow.id, AttachmentRow.filename, StageRow.project_id, StageRow.key)
        .join(StageRow, StageRow.id == AttachmentRow.stage_id)
        .where(AttachmentRow.id == attachment_id)
    ).first()


def set_document_public(
    app: App, attachment_id: int, *, by: str, public: bool = True, project_id: int | None = None
) -> DocumentReceipt:
    """Mark an evidence file public (listed and downloadable on the project's public
    page) or private again. ``project_id``: the project of the address the request
    came through (web, API); a file of another project is then "not found"."""
    now = app.acting_time().at
    with app.uow() as uow:
        actor = uow.people.resolve(by, field="by")
        row = _attachment(uow, attachment_id)
        owner = row.project_id if row is not None else None
        ensure_attachment_of_project(attachment_id, owner, owner if project_id is None else project_id)
        assert row is not None
        try:
            project = _project(uow, row.project_id, lock=True)
        except NotFound:
            raise NotFound("unknown attachment {attachment}", attachment=attachment_id) from None
        may_mark_documents_public(actor, project, attachment_id=attachment_id)
        current = uow.session.get(PublicAttachmentRow, attachment_id)
        receipt = DocumentReceipt(
            project_id=project.id,
            attachment_id=attachment_id,
            filename=row.filename,
            public=public,
            changed=(current is not None) != public,
        )
        if not receipt.changed:
            return receipt
        if public:
            uow.session.add(
                PublicAttachmentRow(attachment_id=attachment_id, published_at=now, published_by=actor.id)
            )
        else:
            uow.session.execute(
                delete(PublicAttachmentRow).where(PublicAttachmentRow.attachment_id == attachment_id)
            )
        kind = EventKind.ATTACHMENT_PUBLISHED if public else EventKind.ATTACHMENT_UNPUBLISHED
        event = Event(
            kind,
            at=now,
            actor=actor.id,
            stage=row.key,
            data={"attachment": attachment_id, "file": row.filename},
        )
        uow.events.append(project.id, [event])
        uow.commit()
    return receipt


def documents_publishing(
    app: App, person: Person, project_id: int, attachment_ids: list[int]
) -> DocumentsPublishing:
    """Which of the project's files (``attachment_ids``, as its page shows them) are
    public, and whether ``person`` may mark them; no query when it has no files."""
    if not attachment_ids:
        return DocumentsPublishing(may_mark=False, public_ids=frozenset())
    with app.reader() as uow:
        public_ids = frozenset(
            uow.session.scalars(
                select(PublicAttachmentRow.attachment_id).where(
                    PublicAttachmentRow.attachment_id.in_(attachment_ids)
                )
            )
        )
        try:
            may_mark_documents_public(person, _project(uow, project_id))
            may_mark = True
        except AccompanyError:
            may_mark = False
    return DocumentsPublishing(may_mark=may_mark, public_ids=public_ids)


def public_documents(app: App, project_id: int, lang: str = "zh") -> list[PublicDocument]:
    """The public files of a published project, in the order of its stages."""
    with app.reader() as uow:
        return public_documents_in(uow, project_id, lang)


def public_documents_in(uow: UnitOfWork, project_id: int, lang: str = "zh") -> list[PublicDocument]:
    """Like :func:`public_documents`, in the caller's transaction; none while the
    project's page is not published."""
    if not is_published_in(uow, project_id):
        return []
    rows = uow.session.execute(
        select(
            AttachmentRow.id,
            AttachmentRow.key,
            AttachmentRow.filename,
            AttachmentRow.size,
            AttachmentRow.added_at,
            StageRow.key.label("stage_key"),
        )
        .join(StageRow, StageRow.id == AttachmentRow.stage_id)
        .join(PublicAttachmentRow, PublicAttachmentRow.attachment_id == AttachmentRow.id)
        .where(StageRow.project_id == project_id)
        .order_by(StageRow.position, AttachmentRow.id)
    ).all()
    if not rows:
        return []
    project = uow.session.execute(
        select(ProjectRow.template_pk, ProjectRow.params).where(ProjectRow.id == project_id)
    ).one()
    template = uow.templates.parsed_by_pk(project.template_pk, project.params or {})
    documents = []
    for row in rows:
        spec = template.stage(row.stage_key)
        field = spec.field(row.key) if row.key else None
        label = None
        if field is not None:
            label = field.label if lang == "zh" or not field.label_en else field.label_en
        documents.append(
            PublicDocument(
                id=row.id,
                filename=row.filename,
                size=row.size,
                added_on=local_date(row.added_at),
                stage_name=spec.label(lang),
                field_label=label,
            )
        )
    return documents


def public_file(app: App, project_id: int, attachment_id: int) -> StoredAttachment:
    """A public file of a published project, for anyone; anything else — an unknown
    file, a private one, another project's, a page not on line — is the same "not
    found" as an unknown project."""
    with app.reader() as uow:
        row = uow.session.execute(
            select(
                AttachmentRow.filename,
                AttachmentRow.stored_as,
                AttachmentRow.size,
                StageRow.project_id,
                PublicAttachmentRow.attachment_id.label("public"),
            )
            .join(StageRow, StageRow.id == AttachmentRow.stage_id)
            .outerjoin(PublicAttachmentRow, PublicAttachmentRow.attachment_id == AttachmentRow.id)
            .where(AttachmentRow.id == attachment_id)
        ).first()
        servable = row is not None and may_serve_publicly(
            page_published=is_published_in(uow, project_id),
            attachment_public=row.public is not None,
            of_project=row.project_id == project_id,
        )
    if not servable:
        raise NotFound("unknown project {project}", project=project_id)
    assert row is not None
    path = app.attachments.open(row.stored_as)
    return StoredAttachment(path=str(path), filename=row.filename, size=row.size)
