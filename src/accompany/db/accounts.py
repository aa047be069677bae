"""Sign-in records: accounts, invites, web sessions, API tokens, failed sign-ins.

Every lookup of a session or a token joins the person and requires them to be in the
directory and active, so deactivating someone ends their sessions and tokens at the
next request, without any clean-up having to run first."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from ..models.people import Person
from .orm import AccountRow, ApiTokenRow, InviteRow, PersonRow, SigninFailureRow, WebSessionRow
from .people import person_from_row


class AccountRepository:
    def __init__(self, session: Session):
        self.session = session

    # -- passwords -------------------------------------------------------------------
    def password_hash(self, person_id: str) -> str | None:
        return self.session.scalar(select(AccountRow.password_hash).where(AccountRow.person_id == person_id))

    def has_password(self, person_ids: list[str]) -> set[str]:
        return set(
            self.session.scalars(select(AccountRow.person_id).where(AccountRow.person_id.in_(person_ids)))
        )

    def set_password(self, person_id: str, password_hash: str, now: dt.datetime, by: str) -> None:
        row = self.session.get(AccountRow, person_id)
        if row is None:
            self.session.add(
                AccountRow(
                    person_id=person_id, password_hash=password_hash, password_set_at=now, password_set_by=by
                )
            )
        else:
            row.password_hash, row.password_set_at, row.password_set_by = password_hash, now, by
        self.session.flush()

    # -- invites ---------------------------------------------------------------------
    def add_invite(
        self, token_hash: str, person_id: str, now: dt.datetime, expires: dt.datetime, by: str
    ) -> None:
        self.session.add(
            InviteRow(
                token_hash=token_hash, person_id=person_id, created_at=now, expires_at=expires, created_by=by
            )
        )
        self.session.flush()

    def invite(self, token_hash: str) -> InviteRow | None:
        return self.session.get(InviteRow, token_hash, with_for_update=True)

    def use_invites(self, person_id: str, now: dt.datetime) -> None:
        """Every open invite of the person is used up (a new password makes older
        links worthless)."""
        self.session.execute(
            update(InviteRow)
            .where(InviteRow.person_id == person_id, InviteRow.used_at.is_(None))
            .values(used_at=now)
        )

    # -- sessions --------------------------------------------------------------------
    def add_session(
        self, token_hash: str, person_id: str, now: dt.datetime, address: str | None, user_agent: str | None
    ) -> None:
        self.session.add(
            WebSessionRow(
                token_hash=token_hash,
                person_id=person_id,
                created_at=now,
                last_seen_at=now,
                address=(address or "")[:64] or None,
                user_agent=(user_agent or "")[:300] or None,
            )
        )
        self.session.flush()

    def session_and_person(self, token_hash: str) -> tuple[Any, Person] | None:
        """The open session with this token (its columns, read without the ORM: this
        runs on every page) and its person, if that person is still in the directory
        and active."""
        row = self.session.execute(_SESSION_AND_PERSON, {"token_hash": token_hash}).first()
        return None if row is None else (row, person_from_row(row))

    def touch_session(self, token_hash: str, now: dt.datetime) -> None:
        self.session.execute(
            update(WebSessionRow).where(WebSessionRow.token_hash == token_hash).values(last_seen_at=now)
        )

    def end_session(self, token_hash: str, now: dt.datetime) -> bool:
        result = self.session.execute(
            update(WebSessionRow)
            .where(WebSessionRow.token_hash == token_hash, WebSessionRow.ended_at.is_(None))
            .values(ended_at=now)
        )
        return bool(result.rowcount)

    def end_sessions_of(self, person_id: str, now: dt.datetime, *, keep: str | None = None) -> int:
        query = update(WebSessionRow).where(
            WebSessionRow.person_id == person_id, WebSessionRow.ended_at.is_(None)
        )
        if keep is not None:
            query = query.where(WebSessionRow.token_hash != keep)
        return self.session.execute(query.values(ended_at=now)).rowcount or 0

    # -- API tokens ------------------------------------------------------------------
    def add_token(self, token_hash: str, person_id: str, label: str, now: dt.datetime) -> int:
        row = ApiTokenRow(token_hash=token_hash, person_id=person_id, label=label, created_at=now)
        self.session.add(row)
        self.session.flush()
        return row.id

    def tokens_of(self, person_id: str) -> list[ApiTokenRow]:
        return list(
            self.session.scalars(
                select(ApiTokenRow).where(ApiTokenRow.person_id == person_id).order_by(ApiTokenRow.id)
            )
        )

    def token(self, token_id: int) -> ApiTokenRow | None:
        return self.session.get(ApiTokenRow, token_id)

    def token_and_person(self, token_hash: str) -> tuple[ApiTokenRow, Person] | None:
        row = self.session.execute(
            select(ApiTokenRow, PersonRow)
            .join(PersonRow, PersonRow.id == ApiTokenRow.person_id)
            .where(
                ApiTokenRow.token_hash == token_hash,
                ApiTokenRow.revoked_at.is_(None),
                PersonRow.active.is_(True),
            )
        ).first()
        return None if row is None else (row[0], person_from_row(row[1]))

    def touch_token(self, token_id: int, now: dt.datetime) -> None:
        self.session.execute(update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used_at=now))

    def revoke_tokens_of(self, person_id: str, now: dt.datetime) -> int:
        return (
            self.session.execute(
                update(ApiTokenRow)
                .where(ApiTokenRow.person_id == person_id, ApiTokenRow.revoked_at.is_(None))
                .values(revoked_at=now)
            ).rowcount
            or 0
        )

    # -- throttling ------------------------------------------------------------------
    def failures(self, kind: str, key: str, since: dt.datetime) -> list[dt.datetime]:
        return list(
            self.session.scalars(
                select(SigninFailureRow.at).where(
                    SigninFailureRow.kind == kind, SigninFailureRow.key == key, SigninFailureRow.at > since
                )
            )
        )

    def add_failures(self, keys: list[tuple[str, str]], now: dt.datetime, forget_before: dt.datetime) -> None:
        self.session.execute(delete(SigninFailureRow).where(SigninFailureRow.at <= forget_before))
        self.session.add_all(SigninFailureRow(kind=kind, key=key, at=now) for kind, key in keys)
        self.session.flush()

    def clear_failures(self, kind: str, key: str) -> None:
        self.session.execute(
            delete(SigninFailureRow).where(SigninFailureRow.kind == kind, SigninFailureRow.key == key)
        )

    def counts(self) -> dict[str, Any]:
        return {
            "accounts": self.session.scalar(select(func.count()).select_from(AccountRow)),
            "open_sessions": self.session.scalar(
                select(func.count()).select_from(WebSessionRow).where(WebSessionRow.ended_at.is_(None))
            ),
        }


_S, _P = WebSessionRow.__table__, PersonRow.__table__
# the session's columns and the person's have no name in common: one row carries both
_SESSION_AND_PERSON = (
    select(_S, _P)
    .join(_P, _P.c.id == _S.c.person_id)
    .where(_S.c.token_hash == bindparam("token_hash"), _S.c.ended_at.is_(None), _P.c.active.is_(True))
)
