"""The problem map drawn offline: the points of a project placed in an SVG box by an
equirectangular projection around their mean latitude (a compound is a few hundred
metres across: the error is far below a pixel), with a scale bar of a round length
and a north arrow. No tiles, no external requests. Pure geometry; the template
draws it (and escapes every text)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

METRES_PER_DEGREE_LAT = 110_574.0
METRES_PER_DEGREE_LNG_EQUATOR = 111_320.0
MIN_EXTENT_M = 60.0  # a single point (or points close together) still shows a sensible scale


@dataclass(frozen=True)
class Placed:
    x: float
    y: float


@dataclass(frozen=True)
class MapLayout:
    width: int
    height: int
    placed: tuple[Placed, ...]
    bar_px: float
    bar_label: str


def _round_length(metres: float) -> float:
    """The largest 1, 2 or 5 × 10ⁿ metres not above ``metres``."""
    power = 10 ** math.floor(math.log10(metres))
    for step in (5, 2, 1):
        if step * power <= metres:
            return step * power
    return power


def layout(
    points: Sequence[tuple[float, float]], *, width: int = 640, height: int = 400, pad: int = 36
) -> MapLayout:
    """Place ``points`` (lat, lng) in a ``width`` × ``height`` box with ``pad`` around."""
    if not points:
        return MapLayout(width, height, (), 0.0, "")
    lat0 = sum(lat for lat, _ in points) / len(points)
    kx = METRES_PER_DEGREE_LNG_EQUATOR * math.cos(math.radians(lat0))
    xs = [lng * kx for _, lng in points]
    ys = [lat * METRES_PER_DEGREE_LAT for lat, _ in points]
    span_x = max(max(xs) - min(xs), MIN_EXTENT_M)
    span_y = max(max(ys) - min(ys), MIN_EXTENT_M)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)  # px per metre
    mid_x, mid_y = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    placed = tuple(
        Placed(round(width / 2 + (x - mid_x) * scale, 1), round(height / 2 - (y - mid_y) * scale, 1))
        for x, y in zip(xs, ys, strict=True)
    )
    metres = _round_length(width / 4 / scale)
    label = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    return MapLayout(width, height, placed, round(metres * scale, 1), label)
