"""The problem map over configured tiles (``needsmap.tiled_layout``): the points in
web Mercator at the largest zoom that holds them, and the tiles under the box."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from accompany.config.settings import Settings
from accompany.needsmap import _mercator, tile_href, tiled_layout

TILES = "https://tiles.example/{z}/{x}/{y}.png"


def test_a_point_is_placed_where_its_tile_is_drawn() -> None:
    drawn = tiled_layout([(39.9075, 116.39723)], TILES, width=480, height=400, pad=40)
    (point,) = drawn.placed
    assert (point.x, point.y) == (240.0, 200.0)  # one point: the centre of the box
    zoom = int(drawn.tiles[0].href.split("/")[3])
    assert zoom == 18  # a single point: the closest zoom
    wx, wy = _mercator(39.9075, 116.39723, zoom)
    tx, ty = int(wx // 256), int(wy // 256)
    under = [t for t in drawn.tiles if t.href == tile_href(TILES, zoom, tx, ty)]
    assert len(under) == 1
    # the point lies inside the tile drawn under it, at its offset within the tile
    assert under[0].x <= point.x < under[0].x + 256 and under[0].y <= point.y < under[0].y + 256
    assert round(point.x - under[0].x, 1) == round(wx - tx * 256, 1)
    # the tiles cover the whole box
    assert min(t.x for t in drawn.tiles) <= 0 and max(t.x for t in drawn.tiles) + 256 >= 480
    assert min(t.y for t in drawn.tiles) <= 0 and max(t.y for t in drawn.tiles) + 256 >= 400


def test_the_zoom_is_the_largest_that_holds_the_points_and_the_bar_is_round() -> None:
    points = [(39.9075, 116.39723), (39.9089, 116.4035)]  # ~550 m apart east-west
    drawn = tiled_layout(points, TILES, width=480, height=400, pad=40)
    zoom = int(drawn.tiles[0].href.split("/")[3])
    spans = []
    for z in (zoom, zoom + 1):
        xs = [_mercator(lat, lng, z)[0] for lat, lng in points]
        spans.append(max(xs) - min(xs))
    assert spans[0] <= 400 < spans[1]
    assert all(40 - 0.1 <= p.x <= 440 + 0.1 for p in drawn.placed)
    assert drawn.bar_label in ("50 m", "100 m", "200 m", "500 m") and 0 < drawn.bar_px <= 480 / 2


def test_no_points_no_tiles() -> None:
    assert tiled_layout([], TILES).tiles == ()


@pytest.mark.parametrize(
    "value",
    [
        "ftp://tiles.example/{z}/{x}/{y}",
        "https://tiles.example/{z}/{x}.png",
        'https://t.example/{z}/{x}/{y}"><x',
    ],
)
def test_a_tile_url_must_be_http_with_its_three_numbers(value: str) -> None:
    with pytest.raises(ValidationError):
        Settings(map_tiles=value)


def test_the_tile_url_is_read_as_given() -> None:
    assert Settings(map_tiles=" " + TILES + " ").map_tiles == TILES
    assert Settings(map_tiles="").map_tiles is None
