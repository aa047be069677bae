"""Acting on a stage: mark done with evidence and files (from a phone's camera too),
approve or return, pause or resume the clock, ask for and decide extensions.

Each form posts to the service function the CLI calls, with the signed-in person as
the actor; a refusal re-shows the form with the message next to its field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from ...models.errors import AccompanyError, InvalidInput, Refusals, together
from ...models.files import ALLOWED_EXTENSIONS, IMAGE_EXTENSIONS, check_photo_name
from ...models.people import Person
from ...models.rules import Action
from ...models.template import EvidenceType
from ...models.text import typed_whole_number
from ...services import commands, worklists
from ..context import Page, page_for, record_id
from ..errors import status_for
from ..forms import MAX_TEXT, FormErrors, saved_uploads, text, uploads_of
from ..rendering import render

router = APIRouter(prefix="/projects/{project_id}/stages/{stage}")
MAX_PHOTOS = 5
ACCEPT_FILES = ",".join((*ALLOWED_EXTENSIONS, "image/*"))
ACCEPT_PHOTOS = ",".join(("image/*", *IMAGE_EXTENSIONS))

# form name → (template, title) of each simple action
FORMS = {
    "decide": "stage_decide.html",
    "pause": "stage_pause.html",
    "extension": "stage_extension.html",
    "extension-decision": "stage_extension_decide.html",
    "undo": "stage_undo.html",
    "loop": "stage_loop.html",
}


def _context(page: Page, project_id: str, stage: str) -> worklists.StageForm:
    person = page.require()
    return worklists.stage_form(page.app, person, record_id(project_id, "project"), stage[:64])


def _show(
    page: Page,
    form: str,
    context: worklists.StageForm,
    errors: FormErrors | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
    computed: dict[str, str] | None = None,
    refused: bool = False,
) -> Response:
    return render(
        page,
        FORMS.get(form, form),
        status=status,
        refused=refused,
        view=context.view,
        detail=context.view.detail,
        stage=context.stage,
        spec=context.spec,
        actions=context.view.actions.get(context.stage.key, []),
        deciding_for=context.deciding_for,
        deciding_extension_for=context.deciding_extension_for,
        errors=errors or FormErrors(),
        values=values or {},
        computed=computed or {},
        accept_files=ACCEPT_FILES,
        accept_photos=ACCEPT_PHOTOS,
        max_photos=MAX_PHOTOS,
        upload_mb=page.app.settings.upload_max_mb,
    )


#: the rule each stage form's command is checked against (the decide page says on
#: its own that nothing waits for the person's decision)
FORM_ACTIONS = {
    "stage_done.html": Action.COMPLETE,
    "pause": Action.PAUSE,
    "extension": Action.REQUEST_EXTENSION,
    "extension-decision": Action.DECIDE_EXTENSION,
}


def _refusal(page: Page, form: str, context: worklists.StageForm) -> AccompanyError | None:
    """Why the signed-in person may not use the form now (the rule's own refusal)."""
    person = page.require()
    action = "undo" if form == "undo" else FORM_ACTIONS[form].name.lower()
    if action in context.view.actions.get(context.spec.id, []):
        return None  # the view asked the rules already: allowed, nothing to read again
    if form == "undo":
        from ...services.undo import undo_refusal

        return undo_refusal(page.app, context.view.detail.id, context.spec.id, person)
    return worklists.stage_action_refusal(
        page.app, person, context.view.detail.id, context.spec.id, FORM_ACTIONS[form]
    )


def _form_or_refusal(page: Page, form: str, context: worklists.StageForm, **shown: Any) -> Response:
    """The form, or — opened by its address when the rule says no (another role, a
    stage already done, nothing to undo) — the rule's own words and the way back,
    with its status, instead of a form that would be refused."""
    refusal = _refusal(page, form, context)
    if refusal is not None:
        return _show(
            page, form, context, FormErrors.of(refusal, page.lang), status_for(refusal), refused=True
        )
    return _show(page, form, context, **shown)


def _refused(form: str, exc: AccompanyError) -> bool:
    """A submitted form the rule refuses outright (not allowed, or no longer possible):
    shown without the form, like the form opened by its address."""
    return form in (*FORM_ACTIONS, "undo", "loop") and status_for(exc) in (403, 409)


def _back(project_id: int, stage: str) -> Response:
    return RedirectResponse(f"/projects/{project_id}#stage-{stage}", status_code=303)


# -- mark done ------------------------------------------------------------------------------------


@router.get("/done")
def done_form(request: Request, project_id: str, stage: str) -> Response:
    page = page_for(request)
    context = _context(page, project_id, stage)
    computed = _computed(page, context)
    return _form_or_refusal(page, "stage_done.html", context, values=computed, computed=computed)


def _computed(page: Page, context: worklists.StageForm) -> dict[str, str]:
    """The evidence the residents' satisfaction answers decide (none: no answers yet),
    filled into the form as the stage will record it."""
    spec = context.spec
    if spec.satisfaction is None:
        return {}
    from ...services.satisfaction import survey_tally

    view = survey_tally(page.app, context.view.detail.id, stage=spec.id)
    if not view.respondents:
        return {}
    return {
        f"evidence.{spec.satisfaction.respondents}": str(view.respondents),
        f"evidence.{spec.satisfaction.satisfied}": str(view.satisfaction_pct),
    }


@router.post("/done")
async def done(request: Request, project_id: str, stage: str) -> Response:
    page = page_for(request)
    person = page.require()
    form = await request.form(max_files=MAX_PHOTOS + 10, max_fields=200)
    page.check_csrf(form)
    context = await run_in_threadpool(_context, page, project_id, stage)
    spec = context.spec
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    lang = page.lang
    try:
        # the form's own checks, each kept (not the first only), then the rule's
        checks = Refusals()
        evidence: dict[str, str] = {}
        uploads = []
        for item in spec.evidence:
            if item.type is EvidenceType.ATTACHMENT:
                files = uploads_of(form, f"attach.{item.key}")
                if len(files) > 1:
                    checks.errors.append(
                        InvalidInput(
                            page._("Give one file for {label}.", label=item.label), field=f"attach.{item.key}"
                        )
                    )
                uploads += [(item.key, f) for f in files[:1]]
                continue
            raw = checks.check(
                text, form, f"evidence.{item.key}", limit=MAX_TEXT, lang=lang, label=item.label
            )
            if raw and raw.strip():
                evidence[item.key] = raw.strip()
        photos = uploads_of(form, "photos")
        if len(photos) > MAX_PHOTOS:
            checks.errors.append(
                InvalidInput(page._("At most {count} photos at a time.", count=MAX_PHOTOS), field="attach")
            )
        for photo in photos[:MAX_PHOTOS]:  # the browser's accept filter can be bypassed
            checks.check(check_photo_name, photo.filename or "", field="attach")
        uploads += [(None, f) for f in photos]
        note = checks.check(
            text, form, "note", limit=MAX_TEXT, lang=lang, label=page._("Note for the approver")
        )
        command = commands.CompleteStage(
            project_id=context.view.detail.id,
            stage=spec.id,
            by=person.id,
            evidence=evidence,
            attachments=[
                commands.AttachmentInput(path=f.filename or "", key=key, filename=f.filename)
                for key, f in uploads
            ],
            note=(note or "").strip() or None,
        )
        if checks.errors:
            rule = await run_in_threadpool(commands.completion_refusal, page.app, command)
            raise together(checks.errors, rule)
        with saved_uploads(uploads, max_bytes=page.app.settings.upload_max_mb << 20, lang=lang) as saved:
            files = [commands.AttachmentInput(path=s.path, key=s.key, filename=s.filename) for s in saved]
            command = command.model_copy(update={"attachments": files})
            await run_in_threadpool(commands.complete_stage, page.app, command)
    except AccompanyError as exc:
        return _show(
            page,
            "stage_done.html",
            context,
            FormErrors.of(exc, lang),
            status_for(exc),
            values,
            refused=_refused("stage_done.html", exc),
        )
    return _back(context.view.detail.id, spec.id)


# -- the simple actions ---------------------------------------------------------------------------


async def _act(
    request: Request,
    project_id: str,
    stage: str,
    form_name: str,
    build: Callable[[Page, Person, int, str, FormData], Any],
    service: Callable[[Any, Any], Any],
) -> Response:
    page = page_for(request)
    person = page.require()
    form = await request.form()
    page.check_csrf(form)
    context = await run_in_threadpool(_context, page, project_id, stage)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    try:
        command = build(page, person, context.view.detail.id, context.spec.id, form)
        await run_in_threadpool(service, page.app, command)
    except AccompanyError as exc:
        return _show(
            page,
            form_name,
            context,
            FormErrors.of(exc, page.lang),
            status_for(exc),
            values,
            refused=_refused(form_name, exc),
        )
    return _back(context.view.detail.id, context.spec.id)


def _reason(page: Page, form: FormData, name: str = "reason", label: str | None = None) -> str:
    return text(form, name, limit=MAX_TEXT, lang=page.lang, label=label or page._("Reason"))


def _days(page: Page, form: FormData, *, required: bool) -> int | None:
    raw = text(form, "days", lang=page.lang, label=page._("Working days"))
    if not raw.strip() and not required:
        return None
    days = typed_whole_number(raw, digits=4)
    if days is None:
        raise InvalidInput(page._("Give the number of working days as a whole number, e.g. 5."), field="days")
    return days  # below 1 or too many: the rule says its range


@router.get("/decide")
def decide_form(request: Request, project_id: str, stage: str) -> Response:
    page = page_for(request)
    return _show(page, "decide", _context(page, project_id, stage))


@router.post("/approve")
async def approve(request: Request, project_id: str, stage: str) -> Response:
    return await _act(
        request,
        project_id,
        stage,
        "decide",
        lambda page, person, pid, key, form: commands.DecideApproval(
            project_id=pid,
            stage=key,
            by=person.id,
            decision="approve",
            comment=text(form, "comment", limit=MAX_TEXT, lang=page.lang, label=page._("Comment")).strip()
            or None,
        ),
        commands.decide_approval,
    )


@router.post("/return")
async def return_stage(request: Request, project_id: str, stage: str) -> Response:
    return await _act(
        request,
        project_id,
        stage,
        "decide",
        lambda page, person, pid, key, form: commands.DecideApproval(
            project_id=pid,
            stage=key,
            by=person.id,
            decision="return",
            comment=_reason(page, form, label=page._("Reason for returning (what the planner must fix)")),
        ),
        commands.decide_approval,
    )


@router.get("/pause")
def pause_form(request: Request, project_id: str, stage: str) -> Response:
    page = page_for(request)
    return _form_or_refusal(page, "pause", _context(page, project_id, stage))


@router.post("/pause")
async def pause(request: Request, project_id: str, stage: str) -> Response:
    return await _act(
        request,
        project_id,
        stage,
        "pause",
        lambda page, person, pid, key, form: commands.PauseClock(
            project_id=pid, stage=key, by=person.id, reason=_reason(page, form)
        ),
        commands.pause_clock,
    )


@router.post("/resume")
async def resume(request: Request, project_id: str, stage: str) -> Response:
    return await _act(
        request,
        project_id,
        stage,
        "pause",
        lambda page, person, pid, key, form: commands.ResumeClock(project_id=pid, stage=key, by=person.id),
        commands.resume_clock,
    )


@router.get("/extension")
def extension_form(request: Request, project_id: str, stage: str) -> Response:
    page = page_for(request)
    return _form_or_refusal(page, "extension", _context(page, project_id, stage))


@router.post("/extension")
async def request_extension(request: Request, project_id: str, stage: str) -> Response:
    return await _act(
        request,
        project_id,
        stage,
        "extension",
        _extension_request,
        commands.request_extension,
    )


def _extension_request(
    page: Page, person: Person, project_id: int, stage: str, form: FormData
) -> commands.RequestExtension:
    """The request as typed: the days and the reason the form itself finds wrong are
    told together (the rules' own checks then tell theirs together)."""
    checks = Refusals()
    days = checks.check(_days, page, form, required=True)
    reason = checks.check(_reason, page, form)
    checks.raise_any()
    return commands.RequestExtension(
        project_id=project_id, stage=stage, by=person.id, working_days=days or 0, reason=reason or ""
    )


@router.get("/extension/decide")
def extension_decision_form(request: Request, project_id: str, stage: str) -> Response:
    page = page_for(request)
    return _form_or_refusal(page, "extension-decision", _context(page, project_id, stage))


@router.post("/extension/grant")
async def grant_extension(request: Request, project_id: str, stage: str) -> Response:
    return await _act(
        request,
        project_id,
        stage,
        "extension-decision",
        lambda page, person, pid, key, form: commands.DecideExtension(
            project_id=pid,
            stage=key,
            by=person.id,
            grant=True,
            # the form offers the days asked; an emptied field is a question, not "all of them"
            working_days=_days(page, form, required=True),
            comment=text(form, "comment", limit=MAX_TEXT, lang=page.lang, label=page._("Comment")).strip()
            or None,
        ),
        commands.decide_extension,
    )


@router.post("/extension/refuse")
async def refuse_extension(request: Request, project_id: str, stage: str) -> Response:
    return await _act(
        request,
        project_id,
        stage,
        "extension-decision",
        lambda page, person, pid, key, form: commands.DecideExtension(
            project_id=pid,
            stage=key,
            by=person.id,
            grant=False,
            comment=_reason(page, form, label=page._("Reason for refusing")),
        ),
        commands.decide_extension,
    )


# -- undo (撤回) the last approval or return ---------------------------------------------------------


@router.get("/undo")
def undo_form(request: Request, project_id: str, stage: str) -> Response:
    page = page_for(request)
    return _form_or_refusal(page, "undo", _context(page, project_id, stage))


@router.post("/undo")
async def undo(request: Request, project_id: str, stage: str) -> Response:
    from ...services.undo import UndoDecision, undo_stage_decision

    return await _act(
        request,
        project_id,
        stage,
        "undo",
        lambda page, person, pid, key, form: UndoDecision(
            project_id=pid, stage=key, by=person.id, reason=_reason(page, form)
        ),
        undo_stage_decision,
    )


# -- a failed consent: loop back for a new round (models.loop) --------------------------------------


@router.get("/loop")
def loop_form(request: Request, project_id: str, stage: str) -> Response:
    from ...services.loop import loop_refusal

    page = page_for(request)
    context = _context(page, project_id, stage)
    # opened by its address when the rules say no (a ballot that passed, a stage with
    # no new round, another role): their words and the way back, not a form
    refusal = loop_refusal(page.app, context.view.detail.id, context.spec.id, page.require())
    if refusal is not None:
        return _show(
            page, "loop", context, FormErrors.of(refusal, page.lang), status_for(refusal), refused=True
        )
    return _show(page, "loop", context)


@router.post("/loop")
async def loop(request: Request, project_id: str, stage: str) -> Response:
    from ...services.loop import LoopStage, loop_stage

    return await _act(
        request,
        project_id,
        stage,
        "loop",
        lambda page, person, pid, key, form: LoopStage(
            project_id=pid, stage=key, by=person.id, reason=_reason(page, form)
        ),
        loop_stage,
    )
