"""``json.dumps(data, ensure_ascii=False, indent=2, default=str)``, character for
character, faster.

With ``indent`` the standard library encodes in pure Python, through generators (its
C encoder only runs without indentation): 0.19 s for the 6.7 MB of ``project list
--json`` over a whole city, 0.14 s here. Consecutive plain items (str, int, float,
bool, None: the leaves of our JSON) are encoded by the C encoder in one call, its item
separator carrying the newline and the indentation; only the containers holding
other containers are walked in Python, in plain loops appending to one list. Checked
against json.dumps in tests/unit/test_jsonout.py.
"""

from __future__ import annotations

import json
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

_STEP = "  "
_PLAIN = json.JSONEncoder(ensure_ascii=False, default=str)
_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})
_LITERALS = {True: "true", False: "false", None: "null"}
# one encoder per depth: items separated by a comma, a newline and the indentation
_ENCODERS: dict[int, _Compact] = {}


def dumps_indented(data: Any) -> str:
    """The text ``json.dumps(data, ensure_ascii=False, indent=2, default=str)`` gives."""
    out: list[str] = []
    _write(data, 0, out)
    return "".join(out)


class _Compact:
    """The C encoder itself, with our separators (JSONEncoder.encode builds one per call)."""

    def __init__(self, separator: str):
        self.python = json.JSONEncoder(ensure_ascii=False, separators=(separator, ": "), default=str)
        self.c = (
            c_make_encoder(None, str, encode_basestring, None, ": ", separator, False, False, True)
            if c_make_encoder is not None
            else None
        )

    def encode(self, value: Any) -> str:
        if self.c is None:
            return self.python.encode(value)
        return "".join(self.c(value, 0))


def _encoder(depth: int) -> _Compact:
    encoder = _ENCODERS.get(depth)
    if encoder is None:
        encoder = _ENCODERS[depth] = _Compact(",\n" + _STEP * depth)
    return encoder


def _scalar(value: Any) -> str | None:
    """The JSON of a str, int, bool or None (exact types); None for anything else."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is int:
        return int.__repr__(value)
    if value is None or kind is bool:
        return _LITERALS[value]
    return None


def _key(key: Any) -> str:
    """A dict key as json.dumps writes it (strings, numbers, booleans and None)."""
    if isinstance(key, str):
        return encode_basestring(key)
    if isinstance(key, bool) or key is None or isinstance(key, int | float):
        return encode_basestring(_PLAIN.encode(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _write(value: Any, depth: int, out: list[str]) -> None:
    if isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = "\n" + _STEP * (depth + 1)
        if all(type(v) in _SCALAR_TYPES for v in value.values()) and all(type(k) is str for k in value):
            text = _encoder(depth + 1).encode(value)  # {"a": 1,\n    "b": 2}
            out.append("{" + inner + text[1:-1] + "\n" + _STEP * depth + "}")
            return
        append = out.append
        encoder = _encoder(depth + 1)
        separator = "{" + inner
        run: dict[str, Any] = {}  # consecutive plain items, encoded together
        for key, item in value.items():
            if type(item) in _SCALAR_TYPES and type(key) is str:
                run[key] = item
                continue
            if run:
                append(separator + encoder.encode(run)[1:-1])
                separator = "," + inner
                run = {}
            append(separator + _key(key) + ": ")
            _write(item, depth + 1, out)
            separator = "," + inner
        if run:
            append(separator + encoder.encode(run)[1:-1])
        append("\n" + _STEP * depth + "}")
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        inner = "\n" + _STEP * (depth + 1)
        if all(type(v) in _SCALAR_TYPES for v in value):
            text = _encoder(depth + 1).encode(list(value))
            out.append("[" + inner + text[1:-1] + "\n" + _STEP * depth + "]")
            return
        append = out.append
        separator = "[" + inner
        for item in value:
            text = _scalar(item)
            if text is None:
                append(separator)
                _write(item, depth + 1, out)
            else:
                append(separator + text)
            separator = "," + inner
        append("\n" + _STEP * depth + "]")
    else:
        # a float, a subclass of a scalar, or (default=str) anything else: as json does
        out.append(_PLAIN.encode(value))
