"""My account: change my password, my personal API tokens; and, for a street-office
or district person, my substitute while I am away (delegation, 代理审批)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from ...models.delegation import DELEGATING_ROLES
from ...models.errors import AccompanyError, InvalidInput, Refusals, together
from ...services import accounts, delegation
from ..context import page_for, record_id
from ..errors import status_for
from ..forms import FormErrors, choice_not_offered, day, text
from ..rendering import render

router = APIRouter(prefix="/account")


def _show(
    page,
    errors: FormErrors | None = None,
    status: int = 200,
    notice: str | None = None,
    new_token: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:  # type: ignore[no-untyped-def]
    person = page.require()
    tokens = accounts.list_api_tokens(page.app, person.id)
    mine = delegation.list_delegations(page.app, person.id)
    may_delegate = person.role in DELEGATING_ROLES
    return render(
        page,
        "account.html",
        status=status,
        errors=errors or FormErrors(),
        notice=notice,
        tokens=tokens,
        new_token=new_token,
        delegations=mine,
        may_delegate=may_delegate,
        substitutes=delegation.substitute_choices(page.app, person) if may_delegate else [],
        values=values or {},  # what was typed into a refused form (never a password)
    )


@router.get("")
def account(request: Request) -> Response:
    return _show(page_for(request))


@router.post("/password")
async def change_password(request: Request) -> Response:
    page = page_for(request)
    person = page.require()
    form = await request.form()
    page.check_csrf(form)
    current = str(form.get("current") or "")
    new = str(form.get("password") or "")
    try:
        if new != str(form.get("again") or ""):
            # told with what else is wrong (the current password, the new one's length)
            differ = InvalidInput(page._("The two passwords differ."), field="again")
            try:
                await run_in_threadpool(accounts.check_password_change, page.app, person, current, new)
            except AccompanyError as exc:
                raise together([differ], exc) from None
            raise differ
        await run_in_threadpool(
            accounts.change_password, page.app, person, current, new, keep_session=page.session_token
        )
    except AccompanyError as exc:
        return _show(page, FormErrors.of(exc, page.lang), status_for(exc))
    return _show(page, notice=page._("Your password is changed; your other sessions have ended."))


@router.post("/tokens")
async def make_token(request: Request) -> Response:
    page = page_for(request)
    person = page.require()
    form = await request.form()
    page.check_csrf(form)
    try:
        label = text(form, "label", limit=100, lang=page.lang, label=page._("What the token is for"))
        issued = await run_in_threadpool(
            lambda: accounts.create_api_token(page.app, person.id, label, by=person.id)
        )
    except AccompanyError as exc:
        return _show(page, FormErrors.of(exc, page.lang), status_for(exc))
    return _show(page, new_token=issued.token)


@router.post("/tokens/{token_id}/revoke")
async def revoke_token(request: Request, token_id: str) -> Response:
    page = page_for(request)
    person = page.require()
    form = await request.form()
    page.check_csrf(form)
    try:
        await run_in_threadpool(
            lambda: accounts.revoke_api_token(
                page.app, person.id, record_id(token_id, "API token"), by=person.id
            )
        )
    except AccompanyError as exc:
        return _show(page, FormErrors.of(exc, page.lang), status_for(exc))
    return _show(page, notice=page._("The token is revoked."))


@router.post("/delegations")
async def name_substitute(request: Request) -> Response:
    """Name a substitute who decides in my place from one date to another."""
    page = page_for(request)
    person = page.require()
    form = await request.form()
    page.check_csrf(form)
    try:
        # every field the form finds wrong at once (it told the substitute, then the dates)
        checks = Refusals()
        substitute = (
            checks.check(text, form, "to", limit=64, lang=page.lang, label=page._("Substitute")) or ""
        ).strip()
        if not substitute and not checks.errors:  # not "the directory has no ''" (404): nobody was chosen
            checks.errors.append(InvalidInput(page._("Choose the substitute."), field="to"))
        starts_on = checks.check(day, str(form.get("from") or "")[:20], "from", page.lang)
        ends_on = checks.check(day, str(form.get("until") or "")[:20], "until", page.lang)
        checks.raise_any()
        assert starts_on is not None and ends_on is not None
        reason = str(form.get("reason") or "")[:1000] or None
        await run_in_threadpool(
            lambda: delegation.delegate(
                page.app,
                person.id,
                to=substitute,
                starts_on=starts_on,
                ends_on=ends_on,
                by=person.id,
                reason=reason,
            )
        )
    except AccompanyError as exc:
        exc = choice_not_offered(exc, {"to": page._("Choose the substitute from the list.")})
        typed = {k: str(form.get(k) or "")[:1000] for k in ("to", "from", "until", "reason")}
        return _show(page, FormErrors.of(exc, page.lang), status_for(exc), values=typed)
    # answered by a redirect, so that reloading the page does not send the form again
    # (a reload named the substitute twice and was refused: 请先结束该代理)
    return RedirectResponse("/account#delegations", status_code=303)


@router.post("/delegations/{delegation_id}/end")
async def end_substitute(request: Request, delegation_id: str) -> Response:
    """End a delegation I gave or received."""
    page = page_for(request)
    person = page.require()
    form = await request.form()
    page.check_csrf(form)
    try:
        number = record_id(delegation_id, "delegation")
        await run_in_threadpool(lambda: delegation.end_delegation(page.app, number, by=person.id))
    except AccompanyError as exc:
        return _show(page, FormErrors.of(exc, page.lang), status_for(exc))
    return RedirectResponse("/account#delegations", status_code=303)
