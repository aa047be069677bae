"""The needs survey's domain (问需): the GCJ-02 conversion against known points, the
position checks, the tally's arithmetic, an answer replacing the earlier one, the
menu and answer validation, the needs-list evidence, the template's ``needs:`` key
and the problem map's geometry."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import pytest

from accompany.models.errors import Conflict, InvalidInput
from accompany.models.needs import (
    DEFAULT_MENU,
    Category,
    Datum,
    MenuItem,
    PointCategory,
    answer,
    check_comment,
    check_new_item,
    check_photo_name,
    check_position,
    choose,
    make_point,
    needs_evidence,
    parse_category,
    parse_coordinate,
    parse_menu_entry,
    survey_open,
    tally,
    wgs84_to_gcj02,
)
from accompany.models.states import ProjectStatus, StageState
from accompany.models.template import build_template
from accompany.needsmap import layout

from .test_template import body, refused, stage

MENU = [
    MenuItem(1, Category.BASIC, "屋面防水"),
    MenuItem(2, Category.IMPROVEMENT, "加装电梯"),
    MenuItem(3, Category.UPGRADE, "绿化提升"),
    MenuItem(4, Category.UPGRADE, "旧项目", retired=True),
]


# -- GCJ-02 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wgs", "gcj"),
    [
        ((39.9075, 116.39723), (39.90890, 116.40347)),  # 天安门
        ((31.2304, 121.4737), (31.22844, 121.47823)),  # 上海人民广场
    ],
)
def test_wgs84_to_gcj02_matches_known_points(wgs: tuple[float, float], gcj: tuple[float, float]) -> None:
    lat, lng = wgs84_to_gcj02(*wgs)
    assert abs(lat - gcj[0]) < 2e-5 and abs(lng - gcj[1]) < 2e-5
    # the offset in Beijing is a few hundred metres, never zero
    assert 100 < math.hypot((lat - wgs[0]) * 111_000, (lng - wgs[1]) * 85_000) < 1000


def test_outside_china_is_unchanged() -> None:
    assert wgs84_to_gcj02(48.8584, 2.2945) == (48.8584, 2.2945)  # Paris
    assert wgs84_to_gcj02(-33.86, 151.21) == (-33.86, 151.21)


def test_positions_are_in_beijing() -> None:
    assert check_position(39.9089, 116.4035) == (39.9089, 116.4035)
    with pytest.raises(InvalidInput, match="not in China"):
        check_position(116.4035, 39.9089)  # swapped
    with pytest.raises(InvalidInput, match="not in China"):
        check_position(48.85, 2.29)
    with pytest.raises(InvalidInput, match="far from Beijing"):
        check_position(31.23, 121.47)  # Shanghai
    for text in ("nan", "inf", "", "39,9", "1e999"):
        with pytest.raises(InvalidInput, match="decimal degrees"):
            parse_coordinate(text, "latitude")


def test_a_point_from_gps_is_kept_in_gcj02() -> None:
    point = make_point("安全隐患", " 井盖松动 ", 39.9075, 116.39723, Datum.WGS84)
    assert point.datum is Datum.GCJ02 and point.category is PointCategory.SAFETY
    assert (round(point.lat, 4), round(point.lng, 4), point.note) == (39.9089, 116.4035, "井盖松动")
    typed = make_point("traffic", "", 39.9089, 116.4035, Datum.GCJ02)
    assert (typed.lat, typed.lng) == (39.9089, 116.4035)
    with pytest.raises(InvalidInput, match="control characters"):
        make_point("other", "a\x00b", 39.9, 116.4, Datum.GCJ02)
    with pytest.raises(InvalidInput, match="longer than 200"):
        make_point("other", "长" * 201, 39.9, 116.4, Datum.GCJ02)
    with pytest.raises(InvalidInput, match="not a problem category"):
        make_point("闹鬼", "", 39.9, 116.4, Datum.GCJ02)


# -- the tally -------------------------------------------------------------------------------------


def test_tally_counts_households_and_shares() -> None:
    answers = {"A": [2, 1], "B": [2], "C": [2, 3, 3], "D": [4]}
    result = tally(MENU, answers)
    assert result.responses == 4
    assert [(r.item.name, r.households, r.share) for r in result.rows] == [
        ("加装电梯", 3, Fraction(3, 4)),
        ("屋面防水", 1, Fraction(1, 4)),
        ("绿化提升", 1, Fraction(1, 4)),
        ("旧项目", 1, Fraction(1, 4)),  # retired, but chosen before: still counted
    ]
    assert result.items_chosen == 4


def test_tally_without_answers_and_retired_items_nobody_chose() -> None:
    result = tally(MENU, {})
    assert result.responses == 0 and result.items_chosen == 0
    assert [r.item.id for r in result.rows] == [1, 2, 3] and all(r.share == 0 for r in result.rows)


def test_a_later_answer_replaces_the_earlier() -> None:
    box: dict[str, tuple[int, ...]] = {}
    first = answer(box, "A", (1, 2))
    assert not first.is_replacement
    second = answer(box, "A", (3,))
    assert second.is_replacement and second.replaced == (1, 2)
    assert tally(MENU, box).responses == 1 and tally(MENU, box).items_chosen == 1


def test_choose_validates_the_ticks() -> None:
    menu = {item.id: item for item in MENU}
    assert choose(menu, [3, 1, 3]) == (1, 3)
    with pytest.raises(InvalidInput, match="at least one need"):
        choose(menu, [])
    with pytest.raises(InvalidInput, match="not on this project's menu"):
        choose(menu, [99])
    with pytest.raises(InvalidInput, match="taken off the menu"):
        choose(menu, [1, 4])


def test_needs_evidence_follows_the_answers() -> None:
    result = tally(MENU, {"A": [1, 2]})
    assert needs_evidence({}, result, key="needs_items") == {"needs_items": 2}
    assert needs_evidence({"needs_items": 2}, result, key="needs_items") == {"needs_items": 2}
    with pytest.raises(InvalidInput, match="computed from the residents' answers"):
        needs_evidence({"needs_items": 12}, result, key="needs_items")


def test_the_survey_is_open_while_the_stage_runs() -> None:
    assert survey_open(StageState.IN_PROGRESS, ProjectStatus.ACTIVE)
    assert not survey_open(StageState.SUBMITTED, ProjectStatus.ACTIVE)
    assert not survey_open(StageState.IN_PROGRESS, ProjectStatus.SUSPENDED)


# -- the menu and the text -----------------------------------------------------------------------------


def test_menu_entries() -> None:
    assert parse_menu_entry("完善类:增设快递柜") == (Category.IMPROVEMENT, "增设快递柜")
    assert parse_menu_entry("基础：路灯") == (Category.BASIC, "路灯")
    assert parse_menu_entry("upgrade: 口袋公园 ") == (Category.UPGRADE, "口袋公园")
    assert parse_category("提升类") is Category.UPGRADE
    with pytest.raises(InvalidInput, match="category:name"):
        parse_menu_entry("路灯")
    with pytest.raises(InvalidInput, match="not a needs category"):
        parse_menu_entry("豪华类:路灯")
    with pytest.raises(InvalidInput, match="empty"):
        parse_menu_entry("基础类:  ")
    with pytest.raises(InvalidInput, match="control characters"):
        parse_menu_entry("基础类:a\x1bb")
    with pytest.raises(InvalidInput, match="longer than 40"):
        parse_menu_entry("基础类:" + "长" * 41)
    with pytest.raises(Conflict, match="already has"):
        check_new_item(MENU, Category.BASIC, "屋面防水")
    check_new_item(MENU, Category.BASIC, "旧项目")  # a retired name may come back


def test_the_default_menu_has_every_category() -> None:
    assert {category for category, _, _ in DEFAULT_MENU} == set(Category)
    names = [name for _, name, _ in DEFAULT_MENU]
    assert len(names) == len(set(names)) and {"加装电梯", "屋面防水", "适老化改造"} <= set(names)


def test_comments_and_photos() -> None:
    assert check_comment("  ") is None
    assert check_comment("第一行\n第二行") == "第一行\n第二行"
    with pytest.raises(InvalidInput, match="control characters"):
        check_comment("a\x07b")
    with pytest.raises(InvalidInput, match="longer than 500"):
        check_comment("x" * 501)
    assert check_photo_name("IMG_1.JPG") == "IMG_1.JPG"
    with pytest.raises(InvalidInput, match="not a JPEG or PNG"):
        check_photo_name("plan.pdf")


# -- the template ----------------------------------------------------------------------------------------


def test_the_template_declares_the_survey() -> None:
    """Version 2 of the default template takes the needs survey (version 1, which
    running projects keep, does not)."""
    import yaml

    from accompany.config.settings import BUILTIN_TEMPLATES

    from .world import TEMPLATE_BODY

    assert build_template(TEMPLATE_BODY).stage("needs-survey").needs is None
    v2 = yaml.safe_load((BUILTIN_TEMPLATES / "accompany-service-v2.yaml").read_text("utf-8"))
    spec = build_template(v2).stage("needs-survey").needs
    assert spec is not None and (spec.items_stage, spec.items_key) == ("needs-list", "needs_items")


def test_the_survey_must_name_an_integer_evidence() -> None:
    document: Any = body()
    stage(document, "needs-survey")["needs"] = {"items_stage": "nowhere"}
    refused(document, "needs refers to unknown stage 'nowhere'")
    document = body()
    stage(document, "needs-survey")["needs"] = {"items_stage": "needs-list", "items_key": "list_style"}
    refused(document, "needs refers to 'list_style'")


# -- the map ------------------------------------------------------------------------------------------------


def test_the_map_places_points_north_up_with_a_round_scale() -> None:
    # two points 100 m apart north-south, one 100 m east of the first
    south = (39.9000, 116.4000)
    north = (39.9000 + 100 / 110_574, 116.4000)
    east = (39.9000, 116.4000 + 100 / (111_320 * math.cos(math.radians(39.9003))))
    drawn = layout([south, north, east], width=640, height=400, pad=36)
    s, n, e = drawn.placed
    assert n.y < s.y and abs(n.x - s.x) < 0.5  # north is up
    assert e.x > s.x and abs(e.y - s.y) < 0.5
    px_per_m = (s.y - n.y) / 100
    assert abs((e.x - s.x) / 100 - px_per_m) < 0.02  # the same scale both ways
    # a quarter of the width is ~49 m: the bar is the round length below it
    assert drawn.bar_label == "20 m" and abs(drawn.bar_px - 20 * px_per_m) < 0.5
    for p in drawn.placed:
        assert 36 - 0.5 <= p.x <= 604.5 and 36 - 0.5 <= p.y <= 364.5
    one = layout([south])
    assert one.placed[0].x == 320 and one.placed[0].y == 200 and one.bar_label.endswith(" m")
    assert layout([]).placed == ()
