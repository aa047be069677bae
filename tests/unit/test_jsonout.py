"""The indented JSON writer gives exactly what json.dumps(indent=2) gives."""

from __future__ import annotations

import datetime as dt
import enum
import json
import random
from pathlib import Path

import pytest

from accompany import jsonout
from accompany.jsonout import dumps_indented


class Colour(enum.StrEnum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


CASES = [
    {},
    [],
    (),
    "x",
    1,
    1.5,
    None,
    True,
    float("nan"),
    float("inf"),
    -float("inf"),
    {"a": [], "b": {}, "c": [1, 2, {"d": 'é\n"\\\u2028\x00'}], "e": dt.date(2026, 1, 2)},
    {"f": Colour.RED, "g": Level.HIGH, "h": [Colour.RED, Level.HIGH], "i": 1.0, "j": -0.0},
    {7: "a", 2.5: "b", True: "c", None: "d", "k": (1, 2), "l": "z"},
    [[[]], [{}], [1, [2, [3]]], {"x": {"y": {"z": [None]}}}],
    [dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC), 10**30, 1e300, "中文", Path("a/b")],
    {"date": dt.date(2026, 1, 1), "tail": {"inner": [1, "2", None]}, "after": False},
    {"current": [{"key": "a", "timing": {"due": None, "overdue": False}}], "id": 1},
]


def _random_value(rng: random.Random, depth: int = 0) -> object:
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return rng.choice(["", "a", "中", '"q"', "\\", "\t\n", "\u2028"])
    if kind == 1:
        return rng.randrange(-(10**6), 10**6)
    if kind == 2:
        return rng.choice([0.1, -2.5, 1e-7, 3.0])
    if kind == 3:
        return rng.choice([True, False, None])
    if kind == 4:
        return dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(400))
    if kind == 5:
        return Level.HIGH
    if kind == 6:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == 7:
        return tuple(_random_value(rng, depth + 1) for _ in range(rng.randrange(3)))
    return {f"k{i}": _random_value(rng, depth + 1) for i in range(rng.randrange(5))}


@pytest.mark.parametrize("c_encoder", [True, False])
def test_same_text_as_json_dumps(c_encoder: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not c_encoder:  # the pure-Python fallback, where the C encoder is missing
        monkeypatch.setattr(jsonout, "c_make_encoder", None)
        monkeypatch.setattr(jsonout, "_ENCODERS", {})
    rng = random.Random(14)
    for value in CASES + [_random_value(rng) for _ in range(500)]:
        assert dumps_indented(value) == json.dumps(value, ensure_ascii=False, indent=2, default=str)


def test_keys_json_cannot_write_are_refused_alike() -> None:
    with pytest.raises(TypeError):
        json.dumps({(1, 2): 1}, indent=2)
    with pytest.raises(TypeError):
        dumps_indented({(1, 2): 1})
