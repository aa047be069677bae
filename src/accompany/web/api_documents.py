"""``/api/v1/projects/{id}/attachments/{id}/publish`` and ``…/unpublish``: mark an
evidence file public on the residents' public page or private again, with the same
rules as the project page's buttons (see ``services.public_documents``)."""

# no ``from __future__ import annotations``: FastAPI reads the routes' annotations,
# and ``Who`` is only a local name here (the API module imports this one)
from fastapi import FastAPI

from ..services.public_documents import DocumentReceipt, set_document_public
from .context import record_id


def add_document_routes(api: FastAPI, prefix: str) -> None:
    from .api import Who  # the API module defines the caller; it registers these routes

    def mark(who: Who, project_id: str, attachment_id: str, public: bool) -> DocumentReceipt:
        return set_document_public(
            who.app,
            record_id(attachment_id, "attachment"),
            by=who.person.id,
            public=public,
            project_id=record_id(project_id, "project"),
        )

    @api.post(
        f"{prefix}/projects/{{project_id}}/attachments/{{attachment_id}}/publish",
        response_model=DocumentReceipt,
        tags=["projects"],
    )
    def publish(who: Who, project_id: str, attachment_id: str) -> DocumentReceipt:
        """Make an evidence file of the project public: listed and downloadable on its
        public page while the page is on line (its planner or a coordinator of its street)."""
        return mark(who, project_id, attachment_id, True)

    @api.post(
        f"{prefix}/projects/{{project_id}}/attachments/{{attachment_id}}/unpublish",
        response_model=DocumentReceipt,
        tags=["projects"],
    )
    def unpublish(who: Who, project_id: str, attachment_id: str) -> DocumentReceipt:
        """Make a public evidence file of the project private again."""
        return mark(who, project_id, attachment_id, False)
