"""Sign-in: invites, passwords, web sessions, API tokens and throttling.

Each function is one transaction. The acting person of every web or API command
comes from :func:`session_person` or :func:`token_person`, never from a form field.
Raw tokens are returned to the caller once (to print or to set as a cookie) and
only their SHA-256 is stored; passwords are hashed with Argon2 and never logged."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..models.accounts import SessionPolicy, ThrottlePolicy, check_new_password
from ..models.errors import (
    Conflict,
    InvalidInput,
    Localized,
    NotFound,
    Refusals,
    SessionExpired,
    Throttled,
    Unauthenticated,
)
from ..models.events import Event, EventKind
from ..models.people import Person
from ..models.project_input import check_text
from ..passwords import new_token, token_hash
from .recording import record

if TYPE_CHECKING:
    from ..bootstrap import App

API_TOKEN_PREFIX = "acc_"
# a session's last-seen time is written at most this often (not on every request)
TOUCH_EVERY = dt.timedelta(minutes=1)
SIGNIN_REFUSED = "wrong account or password"


def session_policy(app: App) -> SessionPolicy:
    s = app.settings
    return SessionPolicy(
        idle=dt.timedelta(minutes=s.session_idle_minutes), absolute=dt.timedelta(hours=s.session_max_hours)
    )


def throttle_policy(app: App) -> ThrottlePolicy:
    s = app.settings
    return ThrottlePolicy(
        per_account=s.signin_failures_per_account,
        per_address=s.signin_failures_per_address,
        window=dt.timedelta(minutes=s.signin_throttle_minutes),
    )


def _audit(app: App, uow, kind: EventKind, actor: str, **data: object) -> None:  # type: ignore[no-untyped-def]
    record(app, uow, None, [Event(kind, app.now(), actor, data=dict(data))])


# -- invites and passwords ------------------------------------------------------------


@dataclass(frozen=True)
class Invite:
    person: Person
    url: str
    expires_at: dt.datetime


def invite(app: App, person_id: str, *, by: str) -> Invite:
    """A one-time link where the person sets their password (expires after
    ``ACCOMPANY_INVITE_HOURS``)."""
    now = app.now()
    token = new_token()
    expires = now + dt.timedelta(hours=app.settings.invite_hours)
    with app.uow() as uow:
        person = uow.people.get(person_id)
        if not person.active:
            raise Conflict("{person} is not active in the directory; activate them first", person=person.name)
        uow.accounts.add_invite(token_hash(token), person.id, now, expires, by)
        _audit(app, uow, EventKind.ACCOUNT_INVITED, by, person=person.id, expires_at=expires.isoformat())
        uow.commit()
    return Invite(person, f"{app.settings.base_url}/invite/{token}", expires)


def invited_person(app: App, token: str) -> Person:
    """The person an invite link is for, if it is still valid."""
    now = app.now()
    with app.reader() as uow:
        row = uow.accounts.invite(token_hash(token))
        if row is None or row.used_at is not None or row.expires_at <= now:
            raise NotFound("this invite link is not valid: it was used, has expired or never existed")
        person = uow.people.get(row.person_id)
    if not person.active:
        raise NotFound("this invite link is not valid: it was used, has expired or never existed")
    return person


def accept_invite(app: App, token: str, password: str) -> Person:
    """Set the password of the invited person; the link (and every older one) is
    used up."""
    now = app.now()
    with app.uow() as uow:
        row = uow.accounts.invite(token_hash(token))
        if row is None or row.used_at is not None or row.expires_at <= now:
            raise NotFound("this invite link is not valid: it was used, has expired or never existed")
        person = uow.people.get(row.person_id)
        if not person.active:
            raise NotFound("this invite link is not valid: it was used, has expired or never existed")
        password = check_new_password(password, person)
        uow.accounts.set_password(person.id, app.passwords.hash(password), now, "invite")
        uow.accounts.use_invites(person.id, now)
        ended = uow.accounts.end_sessions_of(person.id, now)
        _audit(
            app, uow, EventKind.PASSWORD_SET, person.id, person=person.id, how="invite", sessions_ended=ended
        )
        uow.commit()
    return person


def set_password(app: App, person_id: str, password: str, *, by: str) -> Person:
    """The operator sets a person's password (on the server, through the CLI); their
    open sessions end."""
    now = app.now()
    with app.uow() as uow:
        person = uow.people.get(person_id)
        password = check_new_password(password, person)
        uow.accounts.set_password(person.id, app.passwords.hash(password), now, by)
        uow.accounts.use_invites(person.id, now)
        ended = uow.accounts.end_sessions_of(person.id, now)
        _audit(app, uow, EventKind.PASSWORD_SET, by, person=person.id, how="operator", sessions_ended=ended)
        uow.commit()
    return person


def change_password(app: App, person: Person, current: str, new: str, *, keep_session: str | None) -> None:
    """A signed-in person changes their own password; their other sessions end."""
    now = app.now()
    with app.uow() as uow:
        new = _checked_change(app, uow.accounts.password_hash(person.id), person, current, new)
        uow.accounts.set_password(person.id, app.passwords.hash(new), now, "self")
        ended = uow.accounts.end_sessions_of(
            person.id, now, keep=token_hash(keep_session) if keep_session else None
        )
        _audit(
            app, uow, EventKind.PASSWORD_SET, person.id, person=person.id, how="self", sessions_ended=ended
        )
        uow.commit()


def check_password_change(app: App, person: Person, current: str, new: str) -> None:
    """What :func:`change_password` would refuse, without changing anything (a form
    whose confirmation differs tells these with it)."""
    with app.reader() as uow:
        _checked_change(app, uow.accounts.password_hash(person.id), person, current, new)


def _checked_change(app: App, stored: str | None, person: Person, current: str, new: str) -> str:
    """The new password as it will be set; every problem told at once (a wrong current
    password and a new one too short, not one per try)."""
    refusals = Refusals()
    if not app.passwords.verify(current, stored):
        refusals.errors.append(InvalidInput("the current password is not right", field="current"))
    checked = refusals.check(check_new_password, new, person)
    if checked is not None and app.passwords.verify(checked, stored):  # "changed" to itself
        refusals.errors.append(
            InvalidInput("the new password is the same as the current one", field="password")
        )
    refusals.raise_any()
    assert checked is not None
    return checked


# -- web sessions -------------------------------------------------------------------------


def sign_in(app: App, account: str, password: str, *, address: str | None, user_agent: str | None) -> str:
    """Check the password and open a new session; returns the session token (for the
    cookie). The same refusal for an unknown account, a person without a password, an
    inactive person and a wrong password; too many failures refuse even a right one."""
    now = app.now()
    policy = throttle_policy(app)
    account_key = account.strip().casefold()[:128]
    address_key = (address or "unknown")[:128]
    keys = [("account", account_key), ("address", address_key)]
    with app.reader() as uow:
        since = now - policy.window
        wait = max(
            policy.retry_after(uow.accounts.failures("account", account_key, since), policy.per_account, now),
            policy.retry_after(uow.accounts.failures("address", address_key, since), policy.per_address, now),
        )
        person = None
        stored = None
        if not wait:
            try:
                person = uow.people.get(account.strip()) if account.strip() else None
            except NotFound:
                person = None
            stored = uow.accounts.password_hash(person.id) if person is not None else None
    if wait:
        minutes = -(-wait // 60)
        raise Throttled(
            f"too many failed sign-ins; try again in {minutes} minute{'s' if minutes != 1 else ''}",
            retry_after_seconds=wait,
        )
    matches = app.passwords.verify(password, stored)
    if not matches or person is None or not person.active:
        with app.uow() as uow:
            uow.accounts.add_failures(keys, now, forget_before=now - policy.window)
            uow.commit()
        raise Unauthenticated(SIGNIN_REFUSED)
    token = new_token()
    with app.uow() as uow:
        uow.accounts.add_session(token_hash(token), person.id, now, address, user_agent)
        uow.accounts.clear_failures("account", account_key)
        _audit(app, uow, EventKind.SIGNED_IN, person.id, address=address_key)
        uow.commit()
    return token


def session_person(app: App, token: str) -> Person:
    """The signed-in person of a session token; an ended, expired or unknown session,
    or a person no longer active, is :class:`Unauthenticated`."""
    now = app.now()
    hashed = token_hash(token)
    with app.single_read() as uow:  # one statement: the session joined with its person
        found = uow.accounts.session_and_person(hashed)
    if found is None:
        raise Unauthenticated("please sign in")
    row, person = found
    policy = session_policy(app)
    if policy.expired(row.created_at, row.last_seen_at, now):
        with app.uow() as uow:
            uow.accounts.end_session(hashed, now)
            uow.commit()
        raise SessionExpired("your session has expired; please sign in again")
    if now - row.last_seen_at >= TOUCH_EVERY:
        with app.uow() as uow:
            uow.accounts.touch_session(hashed, now)
            uow.commit()
    return person


def sign_out(app: App, token: str) -> None:
    """End the session; the token is worthless from now on (a replayed cookie signs
    nobody in)."""
    now = app.now()
    with app.uow() as uow:
        found = uow.accounts.session_and_person(token_hash(token))
        if uow.accounts.end_session(token_hash(token), now) and found is not None:
            _audit(app, uow, EventKind.SIGNED_OUT, found[1].id)
        uow.commit()


# -- API tokens ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    id: int
    token: str
    person: Person


TOKEN_LABEL = Localized("令牌用途", "token label")


def create_api_token(app: App, person_id: str, label: str, *, by: str) -> IssuedToken:
    check_text(label, TOKEN_LABEL, field="label", limit=100)
    label = " ".join(label.split())
    if not label:
        raise InvalidInput("an API token needs a label (what it is for)", field="label")
    now = app.now()
    token = new_token(API_TOKEN_PREFIX)
    with app.uow() as uow:
        person = uow.people.get(person_id)
        if not person.active:
            raise Conflict("{person} is no longer active in the directory", person=person.name)
        # one live token per label: the list tells tokens apart by it (and a page
        # reloaded after making one would otherwise make a second, silently)
        if any(t.label == label and t.revoked_at is None for t in uow.accounts.tokens_of(person.id)):
            raise Conflict(
                "there is already a token for “{label}”: "
                "give this one another label, or revoke that one first",
                field="label",
                label=label,
            )
        token_id = uow.accounts.add_token(token_hash(token), person.id, label, now)
        _audit(app, uow, EventKind.TOKEN_CREATED, by, person=person.id, token_id=token_id, label=label)
        uow.commit()
    return IssuedToken(token_id, token, person)


def revoke_api_token(app: App, person_id: str, token_id: int, *, by: str) -> None:
    now = app.now()
    with app.uow() as uow:
        row = uow.accounts.token(token_id)
        if row is None or row.person_id != person_id:
            raise NotFound("{person} has no API token {token}", person=person_id, token=token_id)
        if row.revoked_at is not None:
            raise Conflict("API token {token} is already revoked", token=token_id)
        row.revoked_at = now
        _audit(app, uow, EventKind.TOKEN_REVOKED, by, person=person_id, token_id=token_id)
        uow.commit()


def token_person(app: App, token: str) -> Person:
    now = app.now()
    with app.reader() as uow:
        found = uow.accounts.token_and_person(token_hash(token))
    if found is None:
        raise Unauthenticated("the API token is not valid (unknown, revoked, or its person is inactive)")
    row, person = found
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        with app.uow() as uow:
            uow.accounts.touch_token(row.id, now)
            uow.commit()
    return person


def list_api_tokens(app: App, person_id: str) -> list[dict[str, object]]:
    with app.reader() as uow:
        uow.people.get(person_id)
        return [
            {
                "id": r.id,
                "label": r.label,
                "created_at": r.created_at,
                "last_used_at": r.last_used_at,
                "revoked_at": r.revoked_at,
            }
            for r in uow.accounts.tokens_of(person_id)
        ]


def end_access(uow, person_id: str, now: dt.datetime) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """End every session and revoke every API token of a person (deactivated or
    removed from the directory); in the caller's transaction."""
    return uow.accounts.end_sessions_of(person_id, now), uow.accounts.revoke_tokens_of(person_id, now)
