"""Moving a project to the newest version of its template, on the web (迁移模板版本):
the coordinator (or the district) sees the plan — each stage kept, added or
removed, its evidence and its deadline — or why the move is refused, and confirms.

The page offers the newest version of the project's own template with the stages
mapped by id; renamed or removed stages need a mapping file (``accompany template
migrate --mapping``), as do dates for new set-at-start deadlines (``--due``). The
rules are ``models.migration``'s; this adapter only shows the dry run and sends the
confirmation to the same service the CLI and the API call."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from ...i18n import error_text
from ...labels import label
from ...migration_words import change_words, deadline_words, evidence_words
from ...models.errors import Conflict, PermissionDenied
from ...models.migration import MigrationRefused
from ...services import worklists
from ...services.migration import MigrateProjects, MovedProject, migrate_projects
from ..context import Page, page_for, record_id
from ..errors import status_for
from ..rendering import render

router = APIRouter(prefix="/projects/{project_id}")


def _view(page: Page, project_id: str) -> worklists.ProjectView:
    person = page.require()
    view = worklists.project_view(page.app, person, record_id(project_id, "project"), with_events=False)
    if "migrate" not in view.project_actions:  # the view's newer_template is then not looked up
        raise PermissionDenied(
            "{person} may not move this project to another template version", person=person.name
        )
    return view


def _rows(moved: MovedProject, lang: str) -> list[dict[str, Any]]:
    def name(names: dict[str, Any], key: str | None) -> str:
        return names[key].text(lang) if key and key in names else "—"

    return [
        {
            "change": row["change"],
            "change_words": change_words(row, lang),
            "before": name(moved.names_before, row["from"]),
            "after": name(moved.names_after, row["to"]),
            "state": label("state", row["state"], lang),
            "evidence": evidence_words(row, lang),
            "deadline": deadline_words(row, lang),
        }
        for row in moved.rows
    ]


def _move(page: Page, view: worklists.ProjectView, target: str, *, dry_run: bool) -> MovedProject:
    command = MigrateProjects(
        project_ids=[view.detail.id], template=target, dry_run=dry_run, by=page.require().id
    )
    return migrate_projects(page.app, command).projects[0]


def _show(
    page: Page, view: worklists.ProjectView, target: str | None, status: int = 200, message: str = ""
) -> Response:
    refusals: list[str] = [message] if message else []
    parties_missing = False
    moved = None
    if target is not None:
        try:
            moved = _move(page, view, target, dry_run=True)
        except MigrationRefused as refused:
            refusals = [error_text(error, page.lang) for _, error in refused.refusals]
            parties_missing = any((error.field or "").startswith("party.") for _, error in refused.refusals)
            status = max(status, status_for(refused))
    return render(
        page,
        "project_migrate.html",
        status=status,
        detail=view.detail,
        target=target,
        rows=_rows(moved, page.lang) if moved else [],
        params_dropped=list(moved.plan.params_dropped) if moved else [],
        params_added=dict(moved.plan.params_added) if moved else {},
        refusals=refusals,
        parties_missing=parties_missing,
    )


@router.get("/migrate")
def migrate_form(request: Request, project_id: str) -> Response:
    page = page_for(request)
    view = _view(page, project_id)
    return _show(page, view, view.newer_template)


@router.post("/migrate")
async def migrate(request: Request, project_id: str) -> Response:
    page = page_for(request)
    form = await request.form()
    page.check_csrf(form)
    view = await run_in_threadpool(_view, page, project_id)
    target = view.newer_template
    if target is None or str(form.get("to") or "") != target:
        # the plan confirmed is not the plan the page would show now
        error = Conflict("the template versions changed since the page was shown: check the plan again")
        return await run_in_threadpool(
            _show, page, view, target, status_for(error), error_text(error, page.lang)
        )
    try:
        await run_in_threadpool(lambda: _move(page, view, target, dry_run=False))
    except MigrationRefused:
        return await run_in_threadpool(_show, page, view, target, 422)
    return RedirectResponse(f"/projects/{view.detail.id}", status_code=303)
