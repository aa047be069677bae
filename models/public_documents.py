"""Documents on the residents' public page (公开文件): an evidence file of a project
— its proposal, its notice — that the project's people mark public, so that
residents may read it on the project's public page without signing in.

Who marks a file public or private again: the same people who look after the
project's residents — a coordinator of its street (or of its whole district) and
the project's planner. The project's public page need not be on line yet: files can
be made ready before it is published. A file is served to residents only while the
page is published and the file is public (see ``may_serve_publicly``); anything else
reads like an address that does not exist, so a private file is never revealed."""

from __future__ import annotations

from typing import Any

from .errors import Localized, NotFound, PermissionDenied
from .households import ensure_in_scope
from .people import ROLE_LABELS_EN, ROLE_LABELS_ZH, Person, Role


def may_mark_documents_public(actor: Person, project: Any, *, attachment_id: int | None = None) -> None:
    """A coordinator of the project's street (or of its whole district) or the
    project's planner marks the project's evidence files public or private again.
    A project outside the actor's scope is "not found" — the file (``attachment_id``)
    when one is named, so that its project is never revealed."""
    if not actor.active:
        raise PermissionDenied("{person} is no longer active in the directory", person=actor.name)
    if attachment_id is not None and not actor.scope().covers(
        project.district, project.street, project.planner_id
    ):
        raise NotFound("unknown attachment {attachment}", attachment=attachment_id)
    ensure_in_scope(actor, project)
    if actor.id == project.planner_id:
        return
    if actor.role is Role.COORDINATOR and actor.covers_street(project.district, project.street):
        return
    raise PermissionDenied(
        "{person} ({role}) cannot make the files of {project} public: only a coordinator of its "
        "street or its planner can",
        person=actor.name,
        role=Localized(ROLE_LABELS_ZH[actor.role], ROLE_LABELS_EN[actor.role]),
        project=project.name,
    )


def ensure_attachment_of_project(
    attachment_id: int, attachment_project_id: int | None, project_id: int
) -> None:
    """Only a file of the project itself: an unknown id and another project's file
    read alike (not found), never saying which project holds it."""
    if attachment_project_id is None or attachment_project_id != project_id:
        raise NotFound("unknown attachment {attachment}", attachment=attachment_id)


def may_serve_publicly(*, page_published: bool, attachment_public: bool, of_project: bool) -> bool:
    """Residents download a file only when the project's page is on line, the file
    is marked public and it belongs to the project of the address."""
    return page_published and attachment_public and of_project
