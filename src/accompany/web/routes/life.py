"""A project's life, for the coordinator (and, to cancel after an approval, the
street office): suspend, resume, cancel, hand over to another planner, edit the name
and community.

Each form posts to the service function the CLI calls, with the signed-in person as
the actor; a refusal re-shows the form with the message next to its field."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from ...models.errors import N_, AccompanyError, InvalidInput, Refusals, together
from ...models.people import Person
from ...models.project_input import MAX_NAME
from ...models.rules import Action
from ...services import commands, parties, worklists
from ..context import Page, page_for, record_id
from ..errors import status_for
from ..forms import MAX_LINE, MAX_TEXT, FormErrors, choice_not_offered, text
from ..rendering import render

router = APIRouter(prefix="/projects/{project_id}")

#: the forms of this page (each at /projects/{id}/<form>)
FORMS = ("suspend", "cancel", "handover", "edit", "parties")
#: the rule each form's command is checked against
FORM_ACTIONS = {
    "suspend": Action.SUSPEND,
    "cancel": Action.CANCEL,
    "handover": Action.HANDOVER,
    "edit": Action.EDIT,
    "parties": Action.EDIT,
}


def _view(page: Page, project_id: str) -> worklists.ProjectView:
    person = page.require()
    return worklists.project_view(page.app, person, record_id(project_id, "project"), with_events=False)


def _show(
    page: Page,
    form: str,
    view: worklists.ProjectView,
    errors: FormErrors | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
    refused: bool = False,
) -> Response:
    slots = parties.party_slots(page.app, view.detail.id) if form == "parties" else []
    return render(
        page,
        "project_life.html",
        status=status,
        form=form,
        view=view,
        detail=view.detail,
        errors=errors or FormErrors(),
        values=values or {},
        slots=slots,
        refused=refused,
    )


def _form_page(form: str) -> Callable[[Request, str], Response]:
    def show(request: Request, project_id: str) -> Response:
        page = page_for(request)
        view = _view(page, project_id)
        # opened by its address when the rule says no (a completed project, another
        # role): the rule's own words instead of a form that would be refused
        refusal = worklists.project_action_refusal(
            page.app, page.require(), view.detail.id, FORM_ACTIONS[form]
        )
        if refusal is not None:
            return _show(
                page, form, view, FormErrors.of(refusal, page.lang), status_for(refusal), refused=True
            )
        return _show(page, form, view)

    return show


for _form in FORMS:
    router.add_api_route(f"/{_form}", _form_page(_form), methods=["GET"], name=f"{_form}_form")


async def _act(
    request: Request,
    project_id: str,
    form_name: str,
    build: Callable[[Page, Person, int, FormData], Any],
    service: Callable[[Any, Any], Any],
    lists: Mapping[str, str] | None = None,
) -> Response:
    """``lists``: the form's lists (``<select>``), each with what to say (a message
    id) of a value it never offered."""
    page = page_for(request)
    person = page.require()
    form = await request.form()
    page.check_csrf(form)
    view = await run_in_threadpool(_view, page, project_id)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    try:
        command = build(page, person, view.detail.id, form)
        await run_in_threadpool(service, page.app, command)
    except AccompanyError as exc:
        exc = choice_not_offered(exc, {name: page._(line) for name, line in (lists or {}).items()})
        errors = FormErrors.of(exc, page.lang)
        # a button of the project page (恢复项目) has no form to show again: its refusal
        # and the way back, not another form (a stale 恢复项目 was offered 暂停项目's)
        refused = form_name not in FORMS
        return _show(page, form_name, view, errors, status_for(exc), values, refused=refused)
    return RedirectResponse(f"/projects/{view.detail.id}", status_code=303)


def _reason(page: Page, form: FormData, name: str = "reason") -> str:
    return text(form, name, limit=MAX_TEXT, lang=page.lang, label=page._("Reason"))


@router.post("/suspend")
async def suspend(request: Request, project_id: str) -> Response:
    return await _act(
        request,
        project_id,
        "suspend",
        lambda page, person, pid, form: commands.SuspendProject(
            project_id=pid, by=person.id, reason=_reason(page, form)
        ),
        commands.suspend_project,
    )


@router.post("/resume")
async def resume(request: Request, project_id: str) -> Response:
    return await _act(
        request,
        project_id,
        "resume",
        lambda page, person, pid, form: commands.ResumeProject(project_id=pid, by=person.id),
        commands.resume_project,
    )


@router.post("/cancel")
async def cancel(request: Request, project_id: str) -> Response:
    return await _act(
        request,
        project_id,
        "cancel",
        lambda page, person, pid, form: commands.CancelProject(
            project_id=pid, by=person.id, reason=_reason(page, form)
        ),
        commands.cancel_project,
    )


@router.post("/handover")
async def handover(request: Request, project_id: str) -> Response:
    return await _act(
        request,
        project_id,
        "handover",
        lambda page, person, pid, form: commands.HandOverProject(
            project_id=pid,
            by=person.id,
            planner=text(form, "planner", lang=page.lang, label=page._("Planner")).strip(),
            note=text(form, "note", limit=MAX_TEXT, lang=page.lang, label=page._("Handover note")),
            from_planner=text(form, "from_planner", lang=page.lang) or None,
        ),
        commands.hand_over_project,
        lists={"planner": N_("Choose the new planner from the list.")},
    )


@router.post("/edit")
async def edit(request: Request, project_id: str) -> Response:
    def build(page: Page, person: Person, pid: int, form: FormData) -> commands.EditProject:
        checks = Refusals()  # both fields' own problems at once
        name = checks.check(text, form, "name", limit=MAX_LINE, lang=page.lang, label=page._("Project name"))
        community = checks.check(
            text, form, "community", limit=MAX_NAME, lang=page.lang, label=page._("Community")
        )
        view = _view(page, project_id)
        # a field is changed against what the form showed (seen.*), not what the project
        # reads now: a second tab left the first tab's change alone instead of undoing it
        seen = {
            key: text(form, f"seen.{key}", limit=MAX_LINE, lang=page.lang)
            for key in ("name", "community")
            if f"seen.{key}" in form
        }
        shown = {"name": view.detail.name, "community": view.detail.community, **seen}
        changed_name = name if name is not None and name.strip() != shown["name"].strip() else None
        changed_community = (
            community if community is not None and community.strip() != shown["community"].strip() else None
        )
        edit = commands.EditProject(
            project_id=pid, by=person.id, name=changed_name, community=changed_community, seen=seen or None
        )
        if checks.errors:
            # told with what the rules say of the field the form let through (a blank name)
            rule = commands.edit_refusal(page.app, edit) if changed_name or changed_community else None
            raise together(checks.errors, rule)
        if changed_name is None and changed_community is None:  # the form's words, not the CLI's options
            raise InvalidInput(
                page._("Nothing to save: the name and the community are as they were."), field="name"
            )
        return edit

    return await _act(request, project_id, "edit", build, commands.edit_project)


@router.post("/parties")
async def name_parties(request: Request, project_id: str) -> Response:
    """The coordinator names, replaces or removes the project's parties: the 建设单位,
    the design institute, the construction company … each picked by name."""

    def build(page: Page, person: Person, pid: int, form: FormData) -> parties.SetParties:
        current = {p.role: p.person for p in parties.party_slots(page.app, pid)}
        chosen = {
            key.split(".", 1)[1]: text(form, key, lang=page.lang, label=page._("Party")).strip()
            for key in form
            if key.startswith("party.")
        }
        changes = {role: who for role, who in chosen.items() if who and who != current.get(role)}
        # "— not named —" chosen for a named party takes it off the list
        removed = [role for role, who in chosen.items() if not who and current.get(role)]
        return parties.SetParties(project_id=pid, by=person.id, parties=changes, removed=removed)

    return await _act(request, project_id, "parties", build, parties.set_parties)
