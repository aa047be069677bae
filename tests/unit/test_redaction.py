"""Redaction replaces whole secret values, raw or URL-encoded, and nothing else."""

from __future__ import annotations

from accompany.redaction import Redactor


def test_whole_values_only_a_short_password_does_not_mangle_words() -> None:
    redact = Redactor(["e"])
    assert redact("json://user:e@host/ did not accept the message") == (
        "json://user:***@host/ did not accept the message"
    )


def test_raw_and_url_encoded_forms() -> None:
    redact = Redactor(["Bearer s3cr/t+x", "s3cr/t+x"])
    text = "a Bearer s3cr/t+x b %2BAuthorization=Bearer%20s3cr%2Ft%2Bx c s3cr/t+x"
    out = redact(text)
    assert "s3cr" not in out and out.count("***") == 3


def test_the_longest_secret_wins_and_parts_of_words_stay() -> None:
    redact = Redactor(["abc", "abcdef"])
    assert redact("/abcdef/ xabcdefx abc") == "/***/ xabcdefx ***"


def test_nothing_to_hide_changes_nothing() -> None:
    assert Redactor([])("any text") == "any text"
    assert Redactor(["", "  "])("any text") == "any text"
