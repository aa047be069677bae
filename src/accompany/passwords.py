"""Password hashing (Argon2id through pwdlib) and the random tokens of sessions,
invites and API tokens. The only module that touches either; the service layer gets
a :class:`PasswordHasher` from the wiring."""

from __future__ import annotations

import hashlib
import secrets
from functools import cached_property

from .models.accounts import as_typed_password


class PasswordHasher:
    """Argon2id with pwdlib's recommended parameters (64 MiB, 3 passes: ~0.15 s a
    hash on the development machine). Tests pass cheaper parameters; a stored hash
    names its own, so verification works whatever made it."""

    def __init__(self, *, time_cost: int | None = None, memory_cost: int | None = None):
        self._cost = {k: v for k, v in (("time_cost", time_cost), ("memory_cost", memory_cost)) if v}

    @cached_property
    def _hash(self):  # type: ignore[no-untyped-def]
        from pwdlib import PasswordHash
        from pwdlib.hashers.argon2 import Argon2Hasher

        return PasswordHash((Argon2Hasher(**self._cost),)) if self._cost else PasswordHash.recommended()

    @cached_property
    def _dummy(self) -> str:
        return self.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        return self._hash.hash(password)

    def verify(self, password: str, stored: str | None) -> bool:
        """True when ``password`` matches ``stored``. With no stored hash (an unknown
        account, or one without a password) a dummy hash is verified anyway, so the
        answer takes as long as for a real account and tells nothing by its timing."""
        password = as_typed_password(password)  # as it was set (check_new_password)
        if stored is None:
            self._hash.verify(password, self._dummy)
            return False
        try:
            return self._hash.verify(password, stored)
        except Exception:  # a malformed stored hash signs nobody in
            return False


def new_token(prefix: str = "") -> str:
    """A random token (256 bits), URL-safe."""
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored instead of a token: its SHA-256 (tokens are random and long, so
    a slow hash adds nothing)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
