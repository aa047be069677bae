"""Projects: the portfolio with its filters, starting a project, the bulk import,
and one project's page."""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from ...i18n import error_text
from ...models.deadlines import local_date
from ...models.errors import AccompanyError, Conflict, InvalidInput, Refusals, together
from ...models.people import STREET_PARTIES, Role
from ...models.project_input import MAX_NAME
from ...models.rules import Action, coordinator_only
from ...presenting import event_summary
from ...services import freshness, parties, worklists
from ...services.commands import StartProject, start_project, start_refusal
from ...services.importing import ImportRejected, import_projects, sample_table
from ...templates import template_ref as parse_template_ref
from ..context import Page, page_for, record_id
from ..errors import status_for
from ..forms import FormErrors, choice_not_offered, text, uploads_of
from ..forms import day as form_day
from ..page_cache import Keep, cached_page
from ..rendering import render, render_html

router = APIRouter()
PAGE_SIZE = 50


def _filters(request: Request) -> worklists.ProjectFilter:
    query = request.query_params
    state = query.get("state") or None
    return worklists.ProjectFilter(
        q=(query.get("q") or "").strip()[:100] or None,
        street=query.get("street") or None,
        phase=query.get("phase") or None,
        planner=query.get("planner") or None,
        state=state
        if state in ("active", "completed", "overdue", "waiting", "paused", "suspended", "cancelled")
        else None,
    )


def portfolio(request: Request, page: Page, heading: str | None = None) -> Response:
    """The projects of the person's scope, a page at a time; kept (see
    ``web.page_cache``) until anything but an account changes in the city."""
    person = page.require()
    filters = _filters(request)
    try:
        offset = max(0, int(request.query_params.get("offset", "0")))
    except ValueError:
        offset = 0
    head = ("city", freshness.city_head(page.app), heading)

    def build(csrf: str) -> tuple[str, bool]:
        rows, total, choices = worklists.portfolio(page.app, person, filters, limit=PAGE_SIZE, offset=offset)
        base = {k: v for k, v in filters.model_dump().items() if v}
        more = urlencode({**base, "offset": offset + PAGE_SIZE}) if offset + PAGE_SIZE < total else None
        fewer = urlencode({**base, "offset": max(0, offset - PAGE_SIZE)}) if offset > 0 else None
        html = render_html(
            page,
            "projects.html",
            csrf,
            heading=heading or page._("Projects"),
            rows=rows,
            total=total,
            offset=offset,
            filters=filters,
            choices=choices,
            next_query=more,
            previous_query=fewer,
            can_start=person.role is Role.COORDINATOR,
        )
        return html, True

    return cached_page(page, head, build)


@router.get("/projects")
def projects(request: Request) -> Response:
    page = page_for(request)
    return portfolio(request, page)


# -- start a project ---------------------------------------------------------------------------


def _start_form(
    page: Page,
    template_ref: str | None,
    values: dict[str, str],
    errors: FormErrors,
    status: int = 200,
    duplicate: bool = False,
) -> Response:
    person = page.require()
    catalog = page.app.catalog
    files = catalog.files()
    newest: dict[str, object] = {}
    for item in files:
        newest[item.template.id] = item  # files() lists versions in order; the last is the newest
    titles = [
        (
            item.template.ref,
            item.template.name if page.lang == "zh" else item.template.name_en or item.template.name,
        )
        for item in files
    ]
    chosen = None
    if template_ref:
        name, _, version = template_ref.partition("@")
        chosen = next((i for i in files if i.template.ref == template_ref), None) or (
            newest.get(name) if not version else None
        )
    if chosen is None:
        chosen = newest.get("accompany-service") or files[-1]
    template = chosen.template  # type: ignore[attr-defined]
    choices = worklists.filter_choices(page.app, person)
    today = local_date(page.app.now())
    return render(
        page,
        "project_new.html",
        status=status,
        template=template,
        templates=titles,
        streets=choices.streets,
        planners=choices.planners,
        set_at_start=[s for s in template.stages if s.deadline.set_at_start],
        party_choices=parties.party_choices(page.app, person) if template.party_roles() else {},
        street_party_roles={r.value for r in STREET_PARTIES},
        values={"start": today.isoformat(), **values},
        errors=errors,
        duplicate=duplicate,
    )


@router.get("/projects/new")
def new_project(request: Request, template: str | None = None) -> Response:
    page = page_for(request)
    coordinator_only(page.require(), Action.START)  # a 403 page, not a form to be refused
    return _start_form(page, template, {}, FormErrors())


@router.post("/projects/new")
async def start(request: Request) -> Response:
    page = page_for(request)
    person = page.require()
    form = await request.form()
    page.check_csrf(form)
    coordinator_only(person, Action.START)
    lang = page.lang
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    template_ref = str(form.get("template") or "accompany-service")
    # the form's lists: a value none of them offered is told as such, next to its list
    lists = {
        "template": page._("Choose the process template from the list."),
        "street": page._("Choose the street from the list."),
        "planner": page._("Choose the planner from the list."),
    }
    try:
        name, version = parse_template_ref(template_ref)
        # every field the form itself finds wrong is told at once; the rules' own
        # checks (``Project.start``) then tell theirs together
        checks = Refusals()
        deadlines = {}
        params = {}
        parties: dict[str, str] = {}
        for key, value in values.items():
            if key.startswith("deadline.") and value.strip():
                day = checks.check(form_day, value, key, lang)
                if day is not None:
                    deadlines[key.split(".", 1)[1]] = day
            elif key.startswith("param.") and value.strip():
                params[key.split(".", 1)[1]] = checks.check(text, form, key, lang=lang) or ""
            elif key.startswith("party.") and value.strip():
                parties[key.split(".", 1)[1]] = (checks.check(text, form, key, lang=lang) or "").strip()
        street = checks.check(text, form, "street", lang=lang) or ""
        project_name = checks.check(text, form, "name", lang=lang, label=page._("Project name")) or ""
        community = (
            checks.check(text, form, "community", limit=MAX_NAME, lang=lang, label=page._("Community")) or ""
        )
        planner = (checks.check(text, form, "planner", lang=lang) or "").strip()
        if not planner:  # not "the directory has no ''": nobody was chosen
            checks.errors.append(InvalidInput(page._("Choose the planner."), field="planner"))
        start_day = checks.check(form_day, values.get("start", ""), "start", lang)
        command = StartProject(
            template=name,
            template_version=version,
            name=project_name.strip(),
            district=person.district,
            street=street,
            community=community.strip(),
            planner=planner,
            # a start that is not a date: the rules are asked with today's, and what
            # they say of the deadlines (later than the start?) is not told
            start=start_day or local_date(page.app.now()),
            by=person.id,  # the acting person is the one signed in, never a form field
            stage_deadlines=deadlines,
            params=params,
            allow_duplicate=form.get("allow_duplicate") == "1",
            parties=parties,
        )
        if checks.errors:
            # no planner chosen: the rules are asked with one of the planners the form
            # offers, so that they still check the rest (an empty community); what they
            # say of that planner is not told
            # without a start the rules were asked with today's: what they say of a typed
            # deadline (later than the start?) is unsure, a deadline left out is not
            unsure = tuple(f"deadline.{key}" for key in deadlines) if start_day is None else ()
            asked = command
            if not planner:
                offered = worklists.filter_choices(page.app, person).planners
                if offered:
                    asked = command.model_copy(update={"planner": offered[0][0]})
                    unsure += ("planner",)
            rule = await run_in_threadpool(start_refusal, page.app, asked)
            raise together(checks.errors, choice_not_offered(rule, lists), unsure=unsure)
        outcome = await run_in_threadpool(start_project, page.app, command)
    except AccompanyError as exc:
        exc = choice_not_offered(exc, lists)
        duplicate = isinstance(exc, Conflict) and exc.field == "name"
        if duplicate:  # the form's own way to go on (a box to tick), not the CLI's option
            exc = Conflict(
                "project #{id} “{name}” in {street} already starts on {start}; if this is another "
                "project, tick the box below and start it again",
                field="name",
                **exc.values,
            )
        return _start_form(
            page, template_ref, values, FormErrors.of(exc, lang), status=status_for(exc), duplicate=duplicate
        )
    return RedirectResponse(f"/projects/{outcome.project_id}", status_code=303)


# -- bulk import -------------------------------------------------------------------------------


@router.get("/projects/import")
def import_form(request: Request) -> Response:
    page = page_for(request)
    coordinator_only(page.require(), Action.START)
    return render(page, "project_import.html", errors=FormErrors(), bad=None, done=None, dry_run=False)


@router.get("/projects/import/sample.csv")
def import_sample(request: Request) -> Response:
    """A CSV to start an import from (UTF-8 with its mark, as Excel opens it)."""
    import csv
    import io

    page = page_for(request)
    person = page.require()
    from ...reporting import neutralised

    out = io.StringIO()
    # the directory's names go into a spreadsheet: none is ever run as a formula
    csv.writer(out).writerows([neutralised(v) for v in row] for row in sample_table(page.app, person))
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": "attachment; filename*=UTF-8''import-sample.csv"},
    )


@router.post("/projects/import")
async def import_upload(request: Request) -> Response:
    from ...tables import read_table

    page = page_for(request)
    person = page.require()
    form = await request.form()
    page.check_csrf(form)
    coordinator_only(person, Action.START)  # one refusal, not one per row
    dry_run = form.get("dry_run") == "1"
    files = uploads_of(form, "file")
    if not files:
        error = InvalidInput(page._("Choose a CSV or XLSX file to import."), field="file")
        return render(
            page,
            "project_import.html",
            status=400,
            errors=FormErrors.of(error, page.lang),
            bad=None,
            done=None,
            dry_run=dry_run,
        )
    upload = files[0]
    # refusals name the file as the person knows it, never the server's temporary copy
    name = Path(upload.filename or "").name[:100]
    suffix = Path(name).suffix.lower()
    try:
        if suffix not in (".csv", ".xlsx"):
            raise InvalidInput(page._("Only .csv and .xlsx files can be imported."), field="file")
        with tempfile.TemporaryDirectory(prefix="accompany-import-") as folder:
            path = Path(folder) / f"upload{suffix}"
            path.write_bytes(await upload.read())
            header, rows = await run_in_threadpool(lambda: read_table(path, name=name))
            report = await run_in_threadpool(
                lambda: import_projects(page.app, header, rows, dry_run=dry_run, acting_as=person.id)
            )
    except ImportRejected as rejected:
        return render(
            page,
            "project_import.html",
            status=400,
            errors=FormErrors.of(rejected, page.lang),
            bad=[(b.row, b.column, error_text(b.problem, page.lang)) for b in rejected.report.bad],
            done=None,
            dry_run=dry_run,
        )
    except AccompanyError as exc:
        return render(
            page,
            "project_import.html",
            status=status_for(exc),
            errors=FormErrors.of(exc, page.lang),
            bad=None,
            done=None,
            dry_run=dry_run,
        )
    return render(page, "project_import.html", errors=FormErrors(), bad=None, done=report, dry_run=dry_run)


# -- one project -------------------------------------------------------------------------------


#: events per page of the audit log (the project page shows the newest page)
EVENTS_PAGE = 50


@router.get("/projects/{project_id}")
def project(request: Request, project_id: str) -> Response:
    """One project's page, kept (see ``web.page_cache``) until its head moves: read
    first, so the page kept is never older than the head it is kept under."""
    from ...services.public_documents import documents_publishing

    page = page_for(request)
    person = page.require()
    number = record_id(project_id, "project")
    head = freshness.project_head(page.app, number)

    def build(csrf: str) -> tuple[str, Keep]:
        view = worklists.project_view(page.app, person, number, newest_events=EVENTS_PAGE, with_tally=True)
        labels = {s.key: {e.key: e.label for e in s.evidence_items} for s in view.detail.stages}

        def summarise(event) -> str:  # type: ignore[no-untyped-def]
            return event_summary(event.kind, event.data, labels.get(event.stage or "", {}), page.lang)

        html = render_html(
            page,
            "project.html",
            csrf,
            view=view,
            detail=view.detail,
            summarise=summarise,
            documents=documents_publishing(
                page.app,
                person,
                view.detail.id,
                [a.id for s in view.detail.stages for a in s.attachments if a.id],
            ),
            **residents_context(view, page),
        )
        # "undo my decision" is offered only within the undo window: the clock
        # alone takes it away, so such a page is kept only until the window closes
        if any("undo" in actions for actions in view.actions.values()):
            return html, view.undo_until or False
        return html, True

    return cached_page(page, head, build)


def residents_context(view, page) -> dict:  # type: ignore[no-untyped-def]
    """What the project page shows of the residents' voice: the consent tally, the
    satisfaction survey and the comments (问计) as the view read them, and the needs
    survey (问需) when the template takes one."""
    from .needs import project_needs_context
    from .satisfaction import SCORES

    return {
        "tally": view.consent,
        "ballot_error": None,
        "survey": view.survey,
        "survey_error": None,
        "scores": SCORES,
        "survey_comments": view.survey_comments,
        "comments": view.comments,
        "needs": project_needs_context(page, view.needs),
        # the menu's controls only for whom the rule lets edit it (others got a 403)
        "may_edit_menu": _may_edit_menu(page, view),
    }


def _may_edit_menu(page, view) -> bool:  # type: ignore[no-untyped-def]
    from ...models.errors import PermissionDenied
    from ...models.needs import may_edit_menu

    person = page.person
    if person is None:
        return False
    try:
        may_edit_menu(person, view.detail)
    except PermissionDenied:
        return False
    return True


@router.post("/projects/{project_id}/consent")
async def paper_ballot(request: Request, project_id: str) -> Response:
    """A paper ballot recorded by the planner or a coordinator (代录)."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import RedirectResponse

    from ...i18n import error_text
    from ...models.errors import AccompanyError
    from ...services.consent import cast_ballot
    from ..errors import form_status

    page = page_for(request)
    person = page.require()
    number = record_id(project_id, "project")
    form = await request.form()
    page.check_csrf(form)
    try:
        await run_in_threadpool(
            lambda: cast_ballot(
                page.app, number, str(form.get("code") or ""), str(form.get("choice") or ""), by=person.id
            )
        )
    except AccompanyError as exc:
        view = worklists.project_view(page.app, person, number, newest_events=EVENTS_PAGE, with_tally=True)
        return render(
            page,
            "project.html",
            status=form_status(exc),
            view=view,
            detail=view.detail,
            summarise=lambda event: "",
            **{**residents_context(view, page), "ballot_error": error_text(exc, page.lang)},
        )
    return RedirectResponse(f"/projects/{number}#consent", status_code=303)


@router.get("/projects/{project_id}/events")
def project_events(request: Request, project_id: str) -> Response:
    """The whole audit log, newest first, a page at a time (``?page=2`` …)."""
    page = page_for(request)
    person = page.require()
    try:
        number = min(max(1, int(request.query_params.get("page", "1"))), 1_000_000)
    except ValueError:
        number = 1
    log = worklists.project_events(
        page.app,
        person,
        record_id(project_id, "project"),
        offset=(number - 1) * EVENTS_PAGE,
        limit=EVENTS_PAGE,
    )

    def summarise(event) -> str:  # type: ignore[no-untyped-def]
        return event_summary(
            event.kind, event.data, log.evidence_labels.get(event.stage or "", {}), page.lang
        )

    pages = max(1, -(-log.total // EVENTS_PAGE))
    return render(
        page,
        "project_events.html",
        log=log,
        number=number,
        pages=pages,
        summarise=summarise,
    )
