"""Sign-in rules: what a password must be, when a session has expired, when failed
sign-ins throttle an account or an address. Pure: the service layer passes the
clock's time and the stored facts in; hashing and random tokens are adapters."""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import InvalidInput
from .people import Person

PASSWORD_MIN_LENGTH = 10
# Argon2 hashes any length, but an unbounded password is a cheap way to make the
# server hash megabytes on every attempt.
PASSWORD_MAX_LENGTH = 256


def as_typed_password(password: str) -> str:
    """A password as it is set and checked: NFC-normalised, so that the same password
    typed on a phone and on a desktop keyboard (é as one character or as e and an
    accent) matches, at sign-in as when it was set."""
    return unicodedata.normalize("NFC", password)


def check_new_password(password: str, person: Person) -> str:
    """A password a person may set: long enough, not their id or name, not one
    character repeated. Returns it as :func:`as_typed_password` keeps it."""
    password = as_typed_password(password)
    if any(unicodedata.category(c) == "Cc" for c in password):
        raise InvalidInput("the password contains control characters", field="password")
    if len(password) < PASSWORD_MIN_LENGTH:
        raise InvalidInput(
            "the password must have at least {count} characters", field="password", count=PASSWORD_MIN_LENGTH
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise InvalidInput(
            "the password must have at most {count} characters", field="password", count=PASSWORD_MAX_LENGTH
        )
    lowered = password.casefold()
    if lowered in (person.id.casefold(), person.name.casefold()) or len(set(password)) == 1:
        raise InvalidInput(
            "the password is too easy to guess (your id, your name or one character repeated)",
            field="password",
        )
    return password


@dataclass(frozen=True)
class SessionPolicy:
    """A signed-in session ends after ``idle`` without a request, and in any case
    ``absolute`` after sign-in (a phone left signed in does not stay so for ever)."""

    idle: dt.timedelta
    absolute: dt.timedelta

    def expires_at(self, created_at: dt.datetime, last_seen_at: dt.datetime) -> dt.datetime:
        return min(created_at + self.absolute, last_seen_at + self.idle)

    def expired(self, created_at: dt.datetime, last_seen_at: dt.datetime, now: dt.datetime) -> bool:
        return now >= self.expires_at(created_at, last_seen_at)


@dataclass(frozen=True)
class ThrottlePolicy:
    """After ``per_account`` failed sign-ins for one account name (known or not: the
    answer must not tell which) or ``per_address`` from one network address within
    ``window``, further attempts are refused until the oldest of those failures
    leaves the window — a correct password included."""

    per_account: int = 5
    per_address: int = 20
    window: dt.timedelta = dt.timedelta(minutes=15)

    def retry_after(self, failures: Sequence[dt.datetime], limit: int, now: dt.datetime) -> int:
        """Seconds until another attempt is allowed (0: allowed now)."""
        recent = sorted(f for f in failures if now - f < self.window)
        if len(recent) < limit:
            return 0
        # the attempt is allowed again when enough failures have aged out
        frees_at = recent[len(recent) - limit] + self.window
        return max(1, math.ceil((frees_at - now).total_seconds()))
