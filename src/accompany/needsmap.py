"""The problem map drawn offline: the points of a project placed in an SVG box by an
equirectangular projection around their mean latitude (a compound is a few hundred
metres across: the error is far below a pixel), with a scale bar of a round length
and a north arrow. No tiles, no external requests. Pure geometry; the template
draws it (and escapes every text).

With a tile server configured (``ACCOMPANY_MAP_TILES``), :func:`tiled_layout` places
the points in web Mercator at the largest zoom that holds them and lists the 256 px
tiles under the box; the browser fetches them, the server never does."""

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
class Tile:
    href: str
    x: float
    y: float


TILE_PX = 256
MAX_ZOOM = 18


@dataclass(frozen=True)
class MapLayout:
    width: int
    height: int
    placed: tuple[Placed, ...]
    bar_px: float
    bar_label: str
    tiles: tuple[Tile, ...] = ()


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
    return _with_bar(MapLayout(width, height, placed, 0.0, ""), scale)


def _with_bar(drawn: MapLayout, px_per_metre: float, tiles: tuple[Tile, ...] = ()) -> MapLayout:
    metres = _round_length(drawn.width / 4 / px_per_metre)
    label = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    return MapLayout(drawn.width, drawn.height, drawn.placed, round(metres * px_per_metre, 1), label, tiles)


def _mercator(lat: float, lng: float, zoom: int) -> tuple[float, float]:
    """World pixel of a point at ``zoom`` (web Mercator, 256 px tiles)."""
    world = TILE_PX * 2**zoom
    lat = max(min(lat, 85.0511), -85.0511)
    siny = math.sin(math.radians(lat))
    return (lng + 180) / 360 * world, (0.5 - math.log((1 + siny) / (1 - siny)) / (4 * math.pi)) * world


def tile_href(template: str, zoom: int, x: int, y: int) -> str:
    """The tile's URL: ``{z}``, ``{x}`` and ``{y}`` replaced (nothing else is read)."""
    return template.replace("{z}", str(zoom)).replace("{x}", str(x)).replace("{y}", str(y))


def tiled_layout(
    points: Sequence[tuple[float, float]],
    tiles: str,
    *,
    width: int = 640,
    height: int = 400,
    pad: int = 36,
) -> MapLayout:
    """Place ``points`` (lat, lng) in web Mercator at the largest zoom (≤ 18) whose
    box holds them with ``pad`` around, and list the tiles the box shows."""
    if not points:
        return MapLayout(width, height, (), 0.0, "")
    for zoom in range(MAX_ZOOM, 0, -1):
        pixels = [_mercator(lat, lng, zoom) for lat, lng in points]
        xs, ys = [p[0] for p in pixels], [p[1] for p in pixels]
        if max(xs) - min(xs) <= width - 2 * pad and max(ys) - min(ys) <= height - 2 * pad:
            break
    left = (max(xs) + min(xs)) / 2 - width / 2
    top = (max(ys) + min(ys)) / 2 - height / 2
    placed = tuple(Placed(round(x - left, 1), round(y - top, 1)) for x, y in pixels)
    last = 2**zoom - 1
    found = tuple(
        Tile(tile_href(tiles, zoom, tx, ty), round(tx * TILE_PX - left, 1), round(ty * TILE_PX - top, 1))
        for ty in range(
            max(0, math.floor(top / TILE_PX)), min(last, math.floor((top + height) / TILE_PX)) + 1
        )
        for tx in range(
            max(0, math.floor(left / TILE_PX)), min(last, math.floor((left + width) / TILE_PX)) + 1
        )
    )
    lat0 = sum(lat for lat, _ in points) / len(points)
    metres_per_px = 2 * math.pi * 6_378_137 * math.cos(math.radians(lat0)) / (TILE_PX * 2**zoom)
    return _with_bar(MapLayout(width, height, placed, 0.0, ""), 1 / metres_per_px, found)
