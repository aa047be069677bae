"""Moving a project to the newest version of its template, on the web (迁移模板版本):
the coordinator (or the district) sees the plan — each stage kept, added or
removed, its evidence and its deadline — or why the move is refused, and confirms.

The page offers the newest version of the project's own template with the stages
mapped by id; renamed or removed stages need a mapping file (``accompany template
migrate --mapping``). A stage of the new version whose deadline is set at the start
and has no date to carry gets its date on the page (the CLI's ``--due``): the plan is
checked again with the dates typed before it can be confirmed. The rules are
``models.migration``'s; this adapter only shows the dry run and sends the
confirmation to the same service the CLI and the API call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from ...i18n import error_text, translate
from ...labels import label
from ...migration_words import change_words, deadline_words, evidence_words
from ...models.deadlines import local_date
from ...models.errors import AccompanyError, Conflict, Localized, PermissionDenied, Refusals
from ...models.migration import MigrationRefused
from ...services import worklists
from ...services.migration import MigrateProjects, MovedProject, migrate_projects
from ..context import Page, page_for, record_id
from ..errors import status_for
from ..forms import FormErrors, day
from ..rendering import render

router = APIRouter(prefix="/projects/{project_id}")

DUE = "due."  # a date field's name: due.<stage id of the new version>


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


def _move(
    page: Page, view: worklists.ProjectView, target: str, dues: dict[str, Any], *, dry_run: bool
) -> MovedProject:
    command = MigrateProjects(
        project_ids=[view.detail.id], template=target, dues=dues, dry_run=dry_run, by=page.require().id
    )
    return migrate_projects(page.app, command).projects[0]


def _dry_run(
    page: Page, view: worklists.ProjectView, target: str, dues: dict[str, Any]
) -> tuple[MovedProject | None, list[AccompanyError]]:
    try:
        return _move(page, view, target, dues, dry_run=True), []
    except MigrationRefused as refused:
        return None, [error for _, error in refused.refusals]


def _due_stage(error: AccompanyError) -> str | None:
    """The stage a refusal about a set-at-start date names (its field: due.<stage>)."""
    return error.field[len(DUE) :] if error.field and error.field.startswith(DUE) else None


@dataclass
class _Plan:
    """The plan the page shows: the dry run's rows, or its refusals; the stages whose
    dates are typed on the page (id, name), the dates read and each date's problem."""

    moved: MovedProject | None = None
    refusals: list[AccompanyError] = field(default_factory=list)
    dated: list[tuple[str, str]] = field(default_factory=list)
    dues: dict[str, Any] = field(default_factory=dict)
    date_errors: dict[str, list[str]] = field(default_factory=dict)


def _plan(page: Page, view: worklists.ProjectView, target: str, typed: dict[str, str] | None) -> _Plan:
    """The dry run, first without dates: the stages it asks a date of get a field on
    the page. With the dates typed (``typed``: None before any were sent) it runs
    again with them, and what it says of a date is told next to that date's field."""
    moved, refusals = _dry_run(page, view, target, {})
    plan = _Plan(moved, refusals)
    for error in refusals:
        stage = _due_stage(error)
        if stage is not None:
            name = error.values.get("stage_name", stage)
            plan.dated.append((stage, name.text(page.lang) if isinstance(name, Localized) else str(name)))
    if not plan.dated:
        return plan
    plan.refusals = [error for error in refusals if _due_stage(error) is None]
    if typed is None:
        return plan
    checks = Refusals()
    for stage, _ in plan.dated:
        when = checks.check(day, typed.get(stage, ""), DUE + stage, page.lang)
        if when is not None:
            plan.dues[stage] = when
    for error in checks.errors:
        plan.date_errors.setdefault(error.field or "", []).append(error_text(error, page.lang))
    if len(plan.dues) < len(plan.dated):
        return plan
    plan.moved, refusals = _dry_run(page, view, target, plan.dues)
    plan.refusals = [error for error in refusals if _due_stage(error) is None]
    today = local_date(page.app.now()).isoformat()
    for error in refusals:
        stage = _due_stage(error)
        if stage is not None:  # a stage asked a date of, given one: it is not after today
            plan.date_errors.setdefault(DUE + stage, []).append(
                translate("The deadline must be after today ({today}).", page.lang, today=today)
            )
    return plan


def _show(
    page: Page,
    view: worklists.ProjectView,
    target: str | None,
    plan: _Plan | None = None,
    *,
    typed: dict[str, str] | None = None,
    status: int = 200,
    message: str = "",
) -> Response:
    if target is not None and plan is None:
        plan = _plan(page, view, target, typed)
    plan = plan or _Plan()
    refusals = ([message] if message else []) + [error_text(error, page.lang) for error in plan.refusals]
    if plan.refusals or plan.date_errors:
        status = max(status, *(status_for(error) for error in plan.refusals), 400 if plan.date_errors else 0)
    return render(
        page,
        "project_migrate.html",
        status=status,
        detail=view.detail,
        target=target,
        rows=_rows(plan.moved, page.lang) if plan.moved else [],
        params_dropped=list(plan.moved.plan.params_dropped) if plan.moved else [],
        params_added=dict(plan.moved.plan.params_added) if plan.moved else {},
        refusals=refusals,
        parties_missing=any((error.field or "").startswith("party.") for error in plan.refusals),
        dated=plan.dated,
        typed=typed or {},
        date_errors=FormErrors(by_field=plan.date_errors),
        # the move is offered once the plan was checked with every date it needs
        may_move=plan.moved is not None and not refusals and not plan.date_errors,
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
    typed = {
        key[len(DUE) :]: value[:40]
        for key, value in form.items()
        if key.startswith(DUE) and isinstance(value, str)
    }
    if target is None or str(form.get("to") or "") != target:
        # the plan confirmed is not the plan the page would show now
        error = Conflict("the template versions changed since the page was shown: check the plan again")
        return await run_in_threadpool(
            lambda: _show(page, view, target, status=status_for(error), message=error_text(error, page.lang))
        )
    plan = await run_in_threadpool(_plan, page, view, target, typed)
    dates_changed = any(
        typed.get(stage, "") != str(form.get("checked." + stage) or "") for stage, _ in plan.dated
    )
    if plan.moved is None or plan.refusals or plan.date_errors or "check" in form or dates_changed:
        # dates typed (or changed) since the plan was shown: the plan with them is
        # shown to be confirmed, not moved at once
        return await run_in_threadpool(lambda: _show(page, view, target, plan, typed=typed))
    try:
        await run_in_threadpool(lambda: _move(page, view, target, plan.dues, dry_run=False))
    except MigrationRefused:
        return await run_in_threadpool(lambda: _show(page, view, target, typed=typed, status=422))
    return RedirectResponse(f"/projects/{view.detail.id}", status_code=303)
