"""Secrets out of text: a :class:`Redactor` knows the secret values of the channels
(tokens, passwords, robot keys, header values, webhook paths) and replaces each
*whole* value wherever it appears — raw or URL-encoded — with ``***``.

Whole values only: a value is replaced where it is not part of a longer run of
URL-word characters, so a password ``e`` masks ``:e@`` in a URL but leaves the
words "the message" alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"
# characters that continue a URL word: a secret next to one of these is part of
# something longer and is not that secret
_WORD = r"A-Za-z0-9_\-.~%+"


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()):
        forms: set[str] = set()
        for secret in secrets:
            if not secret or not secret.strip():
                continue
            forms |= {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)}
        # the longest first, so a secret that contains another is replaced whole
        ordered = sorted(forms, key=lambda s: (-len(s), s))
        self._pattern = (
            re.compile(rf"(?<![{_WORD}])(?:{'|'.join(re.escape(s) for s in ordered)})(?![{_WORD}])")
            if ordered
            else None
        )

    def __bool__(self) -> bool:
        return self._pattern is not None

    def redact(self, text: str | None) -> str | None:
        if text is None or self._pattern is None:
            return text
        return self._pattern.sub(MASK, text)

    def __call__(self, text: str) -> str:
        return self.redact(text) or ""
