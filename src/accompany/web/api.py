"""The JSON API, ``/api/v1``: every read and command of the web pages, for
integrations (a WeCom/DingTalk mini-program, a district dashboard). OpenAPI docs at
``/api/docs``.

Authentication: a personal API token (``Authorization: Bearer acc_…``, made with
``accompany people token ID``) with exactly the person's own permissions — or the
browser's session cookie, in which case a command also needs the ``X-CSRF-Token``
header. Refusals are JSON with the CLI's classes as statuses: 400 malformed input,
401 not signed in, 403 not allowed, 404 not found (another street's project too),
409 conflict, 422 refused by a rule, 429 throttled."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ..bootstrap import App, Origin
from ..i18n import error_text, normalise_language, problem_text, translate
from ..models.errors import N_, AccompanyError, InvalidInput, Unauthenticated
from ..models.events import Event
from ..models.people import Person
from ..services import accounts, commands, worklists
from ..services.importing import ImportRejected, import_projects
from ..services.queries import ProjectDetail
from ..templates import template_ref
from .api_delegations import add_delegation_routes
from .api_documents import add_document_routes
from .api_migration import add_migration_routes
from .context import record_id
from .errors import CODES, status_for
from .forms import MAX_TEXT, saved_uploads, uploads_of
from .security import CSRF_HEADER, SESSION_COOKIE, csrf_matches, limit_bodies
from .validation import problem_line, validation_problems, validation_text

VERSION = "v1"


class Caller(BaseModel):
    """Who calls, through which channel, in which language."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    person: Person
    app: Any
    lang: str


def _language(request: Request, base: App) -> str:
    asked = request.query_params.get("lang") or request.headers.get("accept-language", "")[:2].lower()
    return normalise_language(asked or None, base.settings.language)


def caller(request: Request) -> Caller:
    base: App = request.app.state.accompany
    lang = _language(request, base)
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("use Authorization: Bearer <API token>")
        application = base.via(Origin("api"), language=lang)
        return Caller(person=accounts.token_person(application, token.strip()), app=application, lang=lang)
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        application = base.via(Origin("web"), language=lang)
        person = accounts.session_person(application, session)
        if request.method not in ("GET", "HEAD", "OPTIONS") and not csrf_matches(
            session, request.headers.get(CSRF_HEADER)
        ):
            raise Unauthenticated("a command with the session cookie needs the X-CSRF-Token header")
        return Caller(person=person, app=application, lang=lang)
    raise Unauthenticated("sign in: send Authorization: Bearer <API token>")


Who = Annotated[Caller, Depends(caller)]


class Problem(BaseModel):
    field: str | None
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: list[str] = []
    problems: list[Problem] = []


class ErrorResponse(BaseModel):
    error: ErrorBody


class Done(BaseModel):
    """What a command recorded."""

    project_id: int | None
    events: list[dict[str, Any]]


def _done(outcome: commands.Outcome) -> Done:
    return Done(project_id=outcome.project_id, events=[_event(e) for e in outcome.events])


def _event(event: Event) -> dict[str, Any]:
    return {"kind": event.kind.value, "stage": event.stage, "before": event.before, "after": event.after}


#: the commands that also take a multipart form (their files)
FORM_ENDPOINTS = ("/done", "/projects/import")

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": code.replace("_", " ")} for status, code in CODES.items()
}


class JsonOnly:
    """A command's body is JSON (marking a stage done may send a form with files, an
    import sends its file as a form): another content type is refused as such (415),
    not read as if it were JSON and called "not a JSON object". An ASGI middleware,
    not Starlette's ``BaseHTTPMiddleware``: a refusal raised while the body is read
    (``forms.NotUtf8``) then reaches the API's handlers as itself, not wrapped in an
    exception group."""

    def __init__(self, app: ASGIApp, application: App):
        self.app = app
        self.application = application

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            request = Request(scope)
            if request.headers.get("content-length", "0") != "0":
                kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
                takes_form = request.url.path.endswith(FORM_ENDPOINTS)
                # none said: read as JSON (a script that sends JSON without saying so)
                if kind not in ("", "application/json") and not (
                    takes_form and kind == "multipart/form-data"
                ):
                    lang = _language(request, self.application)
                    wanted = (
                        N_(
                            "Send the request body as JSON (Content-Type: application/json), "
                            "or as a form with files (multipart/form-data)."
                        )
                        if takes_form
                        else N_("Send the request body as JSON (Content-Type: application/json).")
                    )
                    body = ErrorBody(code=CODES[415], message=translate(wanted, lang))
                    response = JSONResponse({"error": body.model_dump()}, status_code=415)
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def create_api(application: App) -> FastAPI:
    api = FastAPI(
        title="accompany API",
        version=VERSION,
        description=__doc__,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        responses=ERRORS,
    )
    api.state.accompany = application

    @api.exception_handler(AccompanyError)
    async def _refused(request: Request, exc: AccompanyError) -> Response:
        lang = _language(request, application)
        status = status_for(exc)
        body = ErrorBody(
            code=CODES.get(status, "invalid_input"),
            # a way to act is named by its endpoint, not a CLI command
            message=error_text(exc, lang, "api"),
            fields=list(exc.fields),
            problems=[Problem(field=p.field, message=problem_text(p, lang, "api")) for p in exc.problems],
        )
        payload: dict[str, Any] = {"error": body.model_dump()}
        if isinstance(exc, ImportRejected):
            payload["bad_rows"] = [
                {"row": b.row, "column": b.column, "reason": error_text(b.problem, lang)}
                for b in exc.report.bad
            ]
        headers = {"www-authenticate": "Bearer"} if status == 401 else {}
        if status == 429:
            headers["retry-after"] = str(getattr(exc, "retry_after_seconds", 60))
        return JSONResponse(payload, status_code=status, headers=headers)

    @api.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        lang = _language(request, application)
        problems = validation_problems(exc.errors())
        separator = "；" if lang == "zh" else "; "
        body = ErrorBody(
            code="invalid_input",
            message=separator.join(problem_line(p, lang) for p in problems),
            fields=[p.field or "" for p in problems],
            problems=[Problem(field=p.field, message=problem_line(p, lang)) for p in problems],
        )
        return JSONResponse({"error": body.model_dump()}, status_code=400)

    @api.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        # an address or a method the API does not have: the API's own error shape, in
        # the caller's language (FastAPI's is {"detail": "Not Found"}, in English)
        lang = _language(request, application)
        if exc.status_code == 404:
            message = translate("The API has no address {path}.", lang, path=request.url.path[:200])
        elif exc.status_code == 405:
            message = translate(
                "{path} does not take {method} requests.",
                lang,
                path=request.url.path[:200],
                method=request.method,
            )
        else:
            message = str(exc.detail)
        body = ErrorBody(code=CODES.get(exc.status_code, "invalid_input"), message=message)
        return JSONResponse({"error": body.model_dump()}, status_code=exc.status_code, headers=exc.headers)

    api.add_middleware(JsonOnly, application=application)
    limit_bodies(api, application.settings.upload_max_mb)

    @api.get("/docs", include_in_schema=False)
    def docs() -> Response:
        response = HTMLResponse(DOCS_PAGE)
        # Swagger UI sets inline styles; the page shows no user content
        response.headers["content-security-policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "frame-ancestors 'none'"
        )
        return response

    _routes(api)
    add_delegation_routes(api, f"/{VERSION}")
    add_document_routes(api, f"/{VERSION}")
    add_migration_routes(api, f"/{VERSION}")
    return api


DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>accompany API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script></body></html>
"""


# -- request bodies ---------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartProjectBody(_Body):
    name: str = Field(max_length=300)
    community: str = Field(max_length=200)
    street: str = Field(max_length=64, description="street id or name (in your scope)")
    planner: str = Field(max_length=64, description="person id of the responsible planner")
    start: dt.date
    template: str = Field(default="accompany-service", max_length=80, description="id or id@version")
    stage_deadlines: dict[str, dt.date] = {}
    params: dict[str, str] = {}
    allow_duplicate: bool = False
    parties: dict[str, str] = Field(
        default_factory=dict, description="party role → person id (design, construction, developer, …)"
    )


class PartiesBody(_Body):
    parties: dict[str, str] = Field(
        default_factory=dict, description="party role → person id: named or replaced"
    )
    removed: list[str] = Field(
        default_factory=list, max_length=20, description="party roles taken off the list"
    )


class DoneBody(_Body):
    evidence: dict[str, str] = Field(default_factory=dict, description="evidence key → value, as typed")
    note: str | None = Field(default=None, max_length=MAX_TEXT)


class CommentBody(_Body):
    comment: str | None = Field(default=None, max_length=MAX_TEXT)


class ReasonBody(_Body):
    reason: str = Field(max_length=MAX_TEXT)


class ExtensionBody(_Body):
    days: int = Field(ge=1, le=250, description="working days asked for")
    reason: str = Field(max_length=MAX_TEXT)


class GrantBody(_Body):
    days: int | None = Field(default=None, ge=1, le=250, description="fewer working days than asked")
    comment: str | None = Field(default=None, max_length=MAX_TEXT)


class HandOverBody(_Body):
    planner: str = Field(max_length=64, description="the new responsible planner: person id or name")
    note: str = Field(max_length=MAX_TEXT, description="why the project changes hands")


class EditBody(_Body):
    name: str | None = Field(default=None, max_length=MAX_TEXT, description="the project's new name")
    community: str | None = Field(default=None, max_length=MAX_TEXT, description="the new community")


class Me(BaseModel):
    id: str
    name: str
    role: str
    district: str
    streets: list[str]


class ProjectPage(BaseModel):
    total: int
    offset: int
    items: list[worklists.PortfolioRow]


class ImportResult(BaseModel):
    rows: int
    dry_run: bool
    project_ids: list[int]


def _routes(api: FastAPI) -> None:
    v = f"/{VERSION}"

    @api.get(f"{v}/me", response_model=Me, tags=["people"])
    def me(who: Who) -> Me:
        p = who.person
        return Me(id=p.id, name=p.name, role=p.role.value, district=p.district, streets=list(p.streets))

    @api.get(f"{v}/work", response_model=worklists.MyWork, tags=["work"])
    def work(who: Who) -> worklists.MyWork:
        """What waits for me: stages by deadline, returns with reasons, approvals and
        extension requests at my level."""
        return worklists.my_work(who.app, who.person)

    @api.get(f"{v}/projects", response_model=ProjectPage, tags=["projects"])
    def projects(
        who: Who,
        q: Annotated[str | None, Query(max_length=100)] = None,
        street: Annotated[str | None, Query(max_length=64)] = None,
        phase: Annotated[str | None, Query(max_length=32)] = None,
        planner: Annotated[str | None, Query(max_length=64)] = None,
        state: Literal["active", "completed", "overdue", "waiting", "paused"] | None = None,
        limit: Annotated[int, Query(ge=1, le=worklists.MAX_PAGE)] = 50,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ) -> ProjectPage:
        """The projects in my scope, newest first."""
        filters = worklists.ProjectFilter(q=q, street=street, phase=phase, planner=planner, state=state)
        items, total = worklists.browse_projects(
            who.app, who.person.scope(), filters, limit=limit, offset=offset
        )
        return ProjectPage(total=total, offset=offset, items=items)

    @api.post(f"{v}/projects", response_model=ProjectDetail, status_code=201, tags=["projects"])
    def start(who: Who, body: StartProjectBody) -> ProjectDetail:
        """Start a project (a coordinator, for a street of their own)."""
        name, version = template_ref(body.template)
        outcome = commands.start_project(
            who.app,
            commands.StartProject(
                template=name,
                template_version=version,
                name=body.name,
                district=who.person.district,
                street=body.street,
                community=body.community,
                planner=body.planner,
                start=body.start,
                by=who.person.id,
                stage_deadlines=body.stage_deadlines,
                params=body.params,
                allow_duplicate=body.allow_duplicate,
                parties=body.parties,
            ),
        )
        assert outcome.project_id is not None
        return worklists.project_view(who.app, who.person, outcome.project_id, with_events=False).detail

    @api.post(f"{v}/projects/import", response_model=ImportResult, tags=["projects"])
    async def bulk_import(request: Request, who: Who) -> ImportResult:
        """Import projects from a CSV or XLSX (multipart field ``file``; ``dry_run=1``
        only checks). Every row is checked first: any bad row refuses the whole file
        (400, with ``bad_rows``)."""
        from ..tables import read_table

        form = await request.form()
        files = uploads_of(form, "file")
        if not files:
            raise InvalidInput("send the file as the multipart field 'file'", field="file")
        name = Path(files[0].filename or "").name[:100]
        suffix = Path(name).suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            raise InvalidInput("only .csv and .xlsx files can be imported", field="file")
        dry_run = form.get("dry_run") in ("1", "true")
        with tempfile.TemporaryDirectory(prefix="accompany-import-") as folder:
            path = Path(folder) / f"upload{suffix}"
            path.write_bytes(await files[0].read())
            header, rows = await run_in_threadpool(lambda: read_table(path, name=name))
            report = await run_in_threadpool(
                lambda: import_projects(who.app, header, rows, dry_run=dry_run, acting_as=who.person.id)
            )
        return ImportResult(rows=report.rows, dry_run=dry_run, project_ids=report.project_ids)

    @api.get(f"{v}/projects/{{project_id}}", response_model=ProjectDetail, tags=["projects"])
    def project(who: Who, project_id: str, events: bool = False) -> ProjectDetail:
        """One project: stages, deadlines, evidence, approvals (and, with
        ``events=true``, its audit log)."""
        view = worklists.project_view(
            who.app, who.person, record_id(project_id, "project"), with_events=events
        )
        return view.detail

    @api.get(f"{v}/projects/{{project_id}}/actions", tags=["projects"])
    def actions(who: Who, project_id: str) -> dict[str, list[str]]:
        """What I may do on each stage now."""
        return worklists.project_view(
            who.app, who.person, record_id(project_id, "project"), with_events=False
        ).actions

    def _stage(who: Caller, project_id: str, stage: str) -> tuple[int, str]:
        form = worklists.stage_form(who.app, who.person, record_id(project_id, "project"), stage[:64])
        return form.view.detail.id, form.spec.id

    @api.post(f"{v}/projects/{{project_id}}/stages/{{stage}}/done", response_model=Done, tags=["stages"])
    async def done(request: Request, who: Who, project_id: str, stage: str) -> Done:
        """Mark a stage done (the project's planner). JSON ``{"evidence": {...}, "note":
        ...}``, or multipart with fields ``evidence.KEY``, files ``attach.KEY`` and
        ``photos``, and ``note``."""
        pid, key = await run_in_threadpool(_stage, who, project_id, stage)
        evidence: dict[str, str] = {}
        uploads = []
        note = None
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await request.form(max_files=20, max_fields=200)
            for name, value in form.multi_items():
                if isinstance(value, str) and name.startswith("evidence."):
                    if len(value) > MAX_TEXT:
                        raise InvalidInput(
                            "{field} is too long: at most {limit} characters", field=name, limit=MAX_TEXT
                        )
                    if value.strip():
                        evidence[name.split(".", 1)[1]] = value
            for name in {n for n in form if n.startswith("attach.")}:
                uploads += [(name.split(".", 1)[1], f) for f in uploads_of(form, name)]
            uploads += [(None, f) for f in uploads_of(form, "photos")]
            note = str(form.get("note") or "")[:MAX_TEXT] or None
        else:
            try:
                body = DoneBody.model_validate_json(await request.body() or b"{}")
            except ValidationError as exc:
                # which field and why (the JSON's own words), not pydantic's headline
                raise InvalidInput(
                    "the body is not a stage-done request: {problem}",
                    problem=validation_text(exc.errors(), who.lang),
                ) from None
            evidence, note = body.evidence, body.note
        with saved_uploads(uploads, max_bytes=who.app.settings.upload_max_mb << 20, lang=who.lang) as saved:
            outcome = await run_in_threadpool(
                commands.complete_stage,
                who.app,
                commands.CompleteStage(
                    project_id=pid,
                    stage=key,
                    by=who.person.id,
                    evidence=evidence,
                    attachments=[
                        commands.AttachmentInput(path=s.path, key=s.key, filename=s.filename) for s in saved
                    ],
                    note=note,
                ),
            )
        return _done(outcome)

    @api.post(f"{v}/projects/{{project_id}}/stages/{{stage}}/approve", response_model=Done, tags=["stages"])
    def approve(who: Who, project_id: str, stage: str, body: CommentBody | None = None) -> Done:
        pid, key = _stage(who, project_id, stage)
        command = commands.DecideApproval(
            project_id=pid,
            stage=key,
            by=who.person.id,
            decision="approve",
            comment=(body.comment if body else None),
        )
        return _done(commands.decide_approval(who.app, command))

    @api.post(f"{v}/projects/{{project_id}}/stages/{{stage}}/return", response_model=Done, tags=["stages"])
    def return_stage(who: Who, project_id: str, stage: str, body: ReasonBody) -> Done:
        pid, key = _stage(who, project_id, stage)
        command = commands.DecideApproval(
            project_id=pid, stage=key, by=who.person.id, decision="return", comment=body.reason
        )
        return _done(commands.decide_approval(who.app, command))

    @api.post(f"{v}/projects/{{project_id}}/stages/{{stage}}/undo", response_model=Done, tags=["stages"])
    def undo(who: Who, project_id: str, stage: str, body: ReasonBody) -> Done:
        """Undo (撤回) my last approval or return on the stage, within the undo window
        (ACCOMPANY_UNDO_WINDOW_MINUTES) and while nothing happened since."""
        from ..services.undo import UndoDecision, undo_stage_decision

        pid, key = _stage(who, project_id, stage)
        command = UndoDecision(project_id=pid, stage=key, by=who.person.id, reason=body.reason)
        return _done(undo_stage_decision(who.app, command))

    @api.post(f"{v}/projects/{{project_id}}/stages/{{stage}}/loop", response_model=Done, tags=["stages"])
    def loop(who: Who, project_id: str, stage: str, body: ReasonBody) -> Done:
        """The stage's consent failed: loop back to the stage its template names
        (on_failure) for a new round — the planner or a coordinator of the street."""
        from ..services.loop import LoopStage, loop_stage

        pid, key = _stage(who, project_id, stage)
        command = LoopStage(project_id=pid, stage=key, by=who.person.id, reason=body.reason)
        return _done(loop_stage(who.app, command))

    @api.post(f"{v}/projects/{{project_id}}/stages/{{stage}}/pause", response_model=Done, tags=["stages"])
    def pause(who: Who, project_id: str, stage: str, body: ReasonBody) -> Done:
        pid, key = _stage(who, project_id, stage)
        command = commands.PauseClock(project_id=pid, stage=key, by=who.person.id, reason=body.reason)
        return _done(commands.pause_clock(who.app, command))

    @api.post(f"{v}/projects/{{project_id}}/stages/{{stage}}/resume", response_model=Done, tags=["stages"])
    def resume(who: Who, project_id: str, stage: str) -> Done:
        pid, key = _stage(who, project_id, stage)
        return _done(
            commands.resume_clock(who.app, commands.ResumeClock(project_id=pid, stage=key, by=who.person.id))
        )

    @api.post(f"{v}/projects/{{project_id}}/stages/{{stage}}/extension", response_model=Done, tags=["stages"])
    def extension(who: Who, project_id: str, stage: str, body: ExtensionBody) -> Done:
        pid, key = _stage(who, project_id, stage)
        command = commands.RequestExtension(
            project_id=pid, stage=key, by=who.person.id, working_days=body.days, reason=body.reason
        )
        return _done(commands.request_extension(who.app, command))

    @api.post(
        f"{v}/projects/{{project_id}}/stages/{{stage}}/extension/grant", response_model=Done, tags=["stages"]
    )
    def grant(who: Who, project_id: str, stage: str, body: GrantBody | None = None) -> Done:
        pid, key = _stage(who, project_id, stage)
        command = commands.DecideExtension(
            project_id=pid,
            stage=key,
            by=who.person.id,
            grant=True,
            working_days=body.days if body else None,
            comment=body.comment if body else None,
        )
        return _done(commands.decide_extension(who.app, command))

    @api.post(
        f"{v}/projects/{{project_id}}/stages/{{stage}}/extension/refuse", response_model=Done, tags=["stages"]
    )
    def refuse(who: Who, project_id: str, stage: str, body: ReasonBody) -> Done:
        pid, key = _stage(who, project_id, stage)
        command = commands.DecideExtension(
            project_id=pid, stage=key, by=who.person.id, grant=False, comment=body.reason
        )
        return _done(commands.decide_extension(who.app, command))

    # -- the project's life: the same permissions as the person (coordinator; a
    # cancellation after an approval: the street office) ----------------------------------

    def _project(who: Caller, project_id: str) -> int:
        """A project in the caller's scope (another street's is "not found")."""
        view = worklists.project_view(
            who.app, who.person, record_id(project_id, "project"), with_events=False
        )
        return view.detail.id

    @api.post(f"{v}/projects/{{project_id}}/suspend", response_model=Done, tags=["project life"])
    def suspend(who: Who, project_id: str, body: ReasonBody) -> Done:
        """Suspend the project with a reason (its open stage clocks pause)."""
        pid = _project(who, project_id)
        command = commands.SuspendProject(project_id=pid, by=who.person.id, reason=body.reason)
        return _done(commands.suspend_project(who.app, command))

    @api.post(f"{v}/projects/{{project_id}}/resume", response_model=Done, tags=["project life"])
    def resume_project(who: Who, project_id: str) -> Done:
        """Resume a suspended project (deadlines move by the suspended working days)."""
        pid = _project(who, project_id)
        command = commands.ResumeProject(project_id=pid, by=who.person.id)
        return _done(commands.resume_project(who.app, command))

    @api.post(f"{v}/projects/{{project_id}}/cancel", response_model=Done, tags=["project life"])
    def cancel(who: Who, project_id: str, body: ReasonBody) -> Done:
        """Cancel the project with a reason; final. Once a stage is approved only the
        street office of the project's street cancels it."""
        pid = _project(who, project_id)
        command = commands.CancelProject(project_id=pid, by=who.person.id, reason=body.reason)
        return _done(commands.cancel_project(who.app, command))

    @api.post(f"{v}/projects/{{project_id}}/handover", response_model=Done, tags=["project life"])
    def handover(who: Who, project_id: str, body: HandOverBody) -> Done:
        """Hand the project over to another responsible planner, with a note."""
        pid = _project(who, project_id)
        command = commands.HandOverProject(
            project_id=pid, by=who.person.id, planner=body.planner, note=body.note
        )
        return _done(commands.hand_over_project(who.app, command))

    @api.post(f"{v}/projects/{{project_id}}/edit", response_model=Done, tags=["project life"])
    def edit(who: Who, project_id: str, body: EditBody) -> Done:
        """Change the project's name and/or community."""
        pid = _project(who, project_id)
        command = commands.EditProject(
            project_id=pid, by=who.person.id, name=body.name, community=body.community
        )
        return _done(commands.edit_project(who.app, command))

    @api.post(f"{v}/projects/{{project_id}}/parties", response_model=Done, tags=["project life"])
    def parties(who: Who, project_id: str, body: PartiesBody) -> Done:
        """Name, replace or remove parties of the project (a coordinator of its street)."""
        from ..services.parties import SetParties, set_parties

        pid = _project(who, project_id)
        command = SetParties(project_id=pid, by=who.person.id, parties=body.parties, removed=body.removed)
        return _done(set_parties(who.app, command))

    @api.get(f"{v}/attachments/{{attachment_id}}", tags=["projects"])
    def attachment(who: Who, attachment_id: str) -> Response:
        """An evidence file of a project I may see."""
        from .routes.files import file_response

        return file_response(
            worklists.attachment_file(who.app, who.person, record_id(attachment_id, "attachment"))
        )

    @api.get(f"{v}/reports/quarterly", tags=["reports"])
    def quarterly(
        who: Who,
        quarter: Annotated[str, Query(max_length=8, description="e.g. 2026Q4")],
        street: Annotated[str | None, Query(max_length=64)] = None,
        format: Literal["json", "csv", "xlsx"] = "json",
    ) -> Response:
        """The quarterly compliance report of my district (or one of my streets), as
        JSON, CSV or XLSX — the same report the district receives."""
        from ..models.report import Quarter
        from ..reporting import render_csv_with_about, render_json, write_xlsx
        from ..services.reports import quarterly_report, report_filename

        street = worklists.report_street(who.app, who.person, street)
        report = quarterly_report(
            who.app, Quarter.parse(quarter), district=who.person.district, street=street
        )
        name = report_filename(report, format)
        disposition = {"content-disposition": f'attachment; filename="{name}"'}
        if format == "json":
            return Response(render_json(report), media_type="application/json")
        if format == "csv":
            body = render_csv_with_about(report, who.lang).encode()
            return Response(body, media_type="text/csv; charset=utf-8", headers=disposition)
        with tempfile.TemporaryDirectory(prefix="accompany-report-") as folder:
            path = Path(folder) / name
            write_xlsx(report, path, who.lang)
            return Response(
                path.read_bytes(),
                media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                headers=disposition,
            )

    @api.get(f"{v}/reports/quarter", response_model=worklists.QuarterOverview, tags=["reports"])
    def quarter(
        who: Who,
        quarter: Annotated[
            str | None, Query(max_length=8, description="e.g. 2026Q4; default: this quarter")
        ] = None,
        street: Annotated[str | None, Query(max_length=64)] = None,
    ) -> worklists.QuarterOverview:
        """On-time rate and overdue count per street, and the worst overdue items, for
        my district (or one of my streets)."""
        return worklists.quarter_overview(who.app, who.person, street=street, quarter=quarter)
