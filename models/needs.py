"""问需: residents' needs survey with a needs menu (清单式/菜单式) and a problem map.

A project's **needs menu** lists items in three categories — 基础类 (basic),
完善类 (improvement), 提升类 (upgrade). A default menu for old residential compounds
is copied into a project at first use; a coordinator of the project's street adds,
renames and retires items (an item that households chose is retired, never deleted).

One **answer** per household while the needs-survey stage is in progress: at least
one item ticked, an optional comment, and up to ``MAX_POINTS`` **problem points**
(category, short note, a position with its datum, optionally a photo). A later answer
replaces the earlier one.

Positions are kept in **GCJ-02**, the datum of Chinese web maps; a browser's
geolocation gives WGS-84, converted with the public formula (``wgs84_to_gcj02``).

When answers exist, the list-of-needs stage's item count is the number of menu items
that at least one household chose (``needs_evidence``). Pure: no database, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any

from .errors import N_, Conflict, InvalidInput, Localized, PermissionDenied
from .people import ROLE_LABELS_EN, ROLE_LABELS_ZH, Person, Role
from .states import ProjectStatus, StageState
from .text import LINE_BREAKS_AND_TABS, has_control_characters, is_blank

MAX_POINTS = 5
MAX_COMMENT = 500
MAX_NOTE = 200
MAX_ITEM_NAME = 40
MAX_MENU_ITEMS = 60


class Category(StrEnum):
    BASIC = "basic"  # 基础类: safety and basic functions
    IMPROVEMENT = "improvement"  # 完善类: convenience and living conditions
    UPGRADE = "upgrade"  # 提升类: services and quality


CATEGORY_LABELS = {
    Category.BASIC: Localized("基础类", "basic"),
    Category.IMPROVEMENT: Localized("完善类", "improvement"),
    Category.UPGRADE: Localized("提升类", "upgrade"),
}


class PointCategory(StrEnum):
    SAFETY = "safety"
    DAMAGE = "damage"
    SANITATION = "sanitation"
    TRAFFIC = "traffic"
    OTHER = "other"


POINT_LABELS = {
    PointCategory.SAFETY: Localized("安全隐患", "safety hazard"),
    PointCategory.DAMAGE: Localized("设施损坏", "damaged facility"),
    PointCategory.SANITATION: Localized("环境卫生", "sanitation"),
    PointCategory.TRAFFIC: Localized("交通停车", "traffic and parking"),
    PointCategory.OTHER: Localized("其他", "other"),
}
#: a colour per point category on the problem map (colour-blind-safe palette)
POINT_COLOURS = {
    PointCategory.SAFETY: "#d55e00",
    PointCategory.DAMAGE: "#0072b2",
    PointCategory.SANITATION: "#009e73",
    PointCategory.TRAFFIC: "#cc79a7",
    PointCategory.OTHER: "#555555",
}


class Channel(StrEnum):
    PUBLIC = "public"  # answered by the resident on the public page
    PAPER = "paper"  # a paper answer recorded by the planner or a coordinator (代录)


class Datum(StrEnum):
    GCJ02 = "gcj02"  # 国测局坐标 (Chinese web maps)
    WGS84 = "wgs84"  # GPS, a browser's geolocation


#: the default menu for an old residential compound (老旧小区综合整治), copied into a
#: project at first use: (category, name, English name)
DEFAULT_MENU: tuple[tuple[Category, str, str], ...] = (
    (Category.BASIC, "屋面防水", "roof waterproofing"),
    (Category.BASIC, "外墙保温", "external wall insulation"),
    (Category.BASIC, "上下水管线改造", "water supply and drainage pipes"),
    (Category.BASIC, "供暖管线改造", "heating pipes"),
    (Category.BASIC, "楼道照明与消防设施", "stairway lighting and fire safety"),
    (Category.IMPROVEMENT, "加装电梯", "lift installation"),
    (Category.IMPROVEMENT, "无障碍设施", "barrier-free access"),
    (Category.IMPROVEMENT, "停车管理", "parking management"),
    (Category.IMPROVEMENT, "增设充电桩", "charging points"),
    (Category.IMPROVEMENT, "非机动车棚", "bicycle shelters"),
    (Category.UPGRADE, "绿化提升", "greenery"),
    (Category.UPGRADE, "适老化改造", "age-friendly renovation"),
    (Category.UPGRADE, "便民服务设施", "community service facilities"),
    (Category.UPGRADE, "公共活动空间", "public activity space"),
)


@dataclass(frozen=True)
class MenuItem:
    """One item of a project's needs menu; ``retired`` items stay (answers refer to
    them) but cannot be chosen any more."""

    id: int
    category: Category
    name: str
    retired: bool = False


# -- the menu ---------------------------------------------------------------------------------------


def parse_category(text: str) -> Category:
    """基础类/完善类/提升类 as typed (also 基础, basic, …)."""
    wanted = text.strip().casefold()
    for category, name in CATEGORY_LABELS.items():
        if wanted in (category.value, name.zh, name.zh.removesuffix("类"), (name.en or "").casefold()):
            return category
    raise InvalidInput(
        "'{value}' is not a needs category (基础类, 完善类 or 提升类)", field="category", value=text[:20]
    )


def check_item_name(name: str) -> str:
    """A menu item's name: one line, not empty, at most ``MAX_ITEM_NAME`` characters."""
    cleaned = name.strip()
    if is_blank(cleaned):
        raise InvalidInput("the item's name is empty", field="name")
    if has_control_characters(cleaned):
        raise InvalidInput("the item's name holds control characters", field="name")
    if len(cleaned) > MAX_ITEM_NAME:
        raise InvalidInput(
            "the item's name is longer than {limit} characters", field="name", limit=MAX_ITEM_NAME
        )
    return cleaned


def parse_menu_entry(text: str) -> tuple[Category, str]:
    """ "类别:名称" (a full-width colon too), e.g. "完善类:增设快递柜"."""
    head, sep, tail = text.replace("：", ":").partition(":")
    if not sep:
        raise InvalidInput(
            "write a menu item as category:name, e.g. 完善类:增设快递柜 (got '{value}')",
            field="add",
            value=text[:40],
        )
    return parse_category(head), check_item_name(tail)


def check_new_item(menu: Sequence[MenuItem], category: Category, name: str) -> None:
    """A new (or renamed) item's name is not already on the menu among the items in
    use, and the menu does not grow without bound."""
    if any(item.name == name and not item.retired for item in menu):
        raise Conflict("the menu already has an item named {name}", field="name", name=name)
    if len(menu) >= MAX_MENU_ITEMS:
        raise Conflict("the menu has {limit} items, the most it may have", limit=MAX_MENU_ITEMS)


def may_edit_menu(actor: Person, project: Any) -> None:
    """A coordinator of the project's street (or of its whole district) edits its
    needs menu."""
    if not actor.active:
        raise PermissionDenied("{person} is no longer active in the directory", person=actor.name)
    if actor.role is Role.COORDINATOR and actor.covers_street(project.district, project.street):
        return
    raise PermissionDenied(
        "{person} ({role}) cannot edit the needs menu of {project}: only a coordinator of its street can",
        person=actor.name,
        role=Localized(ROLE_LABELS_ZH[actor.role], ROLE_LABELS_EN[actor.role]),
        project=project.name,
    )


# -- an answer --------------------------------------------------------------------------------------


def survey_open(stage_state: StageState, project_status: ProjectStatus) -> bool:
    """Answers are taken while the needs-survey stage is in progress on a running
    project; once it is marked done (or the project stops) the survey is closed."""
    return stage_state is StageState.IN_PROGRESS and project_status is ProjectStatus.ACTIVE


class SurveyClosed(Conflict):
    """An answer after the needs-survey stage left "in progress"."""

    def __init__(self, stage_name: Localized):
        super().__init__(N_("the needs survey of {stage_name} is closed"), stage_name=stage_name)


def choose(menu: Mapping[int, MenuItem], wanted: Iterable[int]) -> tuple[int, ...]:
    """The items a household ticks: at least one, each on this project's menu and not
    retired; duplicates count once. Returned in menu order."""
    picked = set(wanted)
    if not picked:
        raise InvalidInput("tick at least one need from the menu", field="need")
    for item_id in sorted(picked):
        item = menu.get(item_id)
        if item is None:
            raise InvalidInput("need #{item} is not on this project's menu", field="need", item=item_id)
        if item.retired:
            raise InvalidInput(
                "need {name} was taken off the menu; choose another", field="need", name=item.name
            )
    return tuple(sorted(picked))


def check_comment(text: str | None) -> str | None:
    """The optional comment: at most ``MAX_COMMENT`` characters, line breaks allowed,
    no other control characters."""
    cleaned = (text or "").strip()
    if not cleaned:
        return None
    if has_control_characters(cleaned, LINE_BREAKS_AND_TABS):
        raise InvalidInput("the comment holds control characters", field="comment")
    if len(cleaned) > MAX_COMMENT:
        raise InvalidInput(
            "the comment is longer than {limit} characters", field="comment", limit=MAX_COMMENT
        )
    return cleaned


# -- positions --------------------------------------------------------------------------------------

# China's bounding box (the mainland and its islands, roughly)
CHINA_LAT = (3.86, 53.56)
CHINA_LNG = (73.66, 135.06)
# Beijing municipality's bounding box, with a margin
BEIJING_LAT = (39.40, 41.10)
BEIJING_LNG = (115.40, 117.55)

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the GCJ-02 formula uses
_EE = 0.00669342162296594323  # its eccentricity squared


def outside_china(lat: float, lng: float) -> bool:
    """Outside China's bounding box: GCJ-02 does not shift such points."""
    return not (CHINA_LAT[0] <= lat <= CHINA_LAT[1] and CHINA_LNG[0] <= lng <= CHINA_LNG[1])


def _shift_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _shift_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """A WGS-84 position (GPS, a browser's geolocation) in GCJ-02, the datum of
    Chinese web maps, by the standard public formula; outside China unchanged."""
    if outside_china(lat, lng):
        return lat, lng
    dlat = _shift_lat(lng - 105.0, lat - 35.0)
    dlng = _shift_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lat + dlat, lng + dlng


COORDINATE_LABELS = {"latitude": Localized("纬度", "latitude"), "longitude": Localized("经度", "longitude")}


def parse_coordinate(text: str, what: str) -> float:
    """A latitude or longitude (``what``) as typed, in decimal degrees."""
    try:
        value = float(text.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or "_" in text:
        raise InvalidInput(
            "'{value}' is not a {what} in decimal degrees",
            field=what,
            value=text[:20],
            what=COORDINATE_LABELS.get(what, Localized(what)),
        )
    return value


def check_position(lat: float, lng: float) -> tuple[float, float]:
    """A problem point's position (GCJ-02): in China, and in or near Beijing."""
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or outside_china(lat, lng):
        raise InvalidInput(
            "the position ({lat}, {lng}) is not in China: give latitude then longitude, "
            "e.g. 39.9089, 116.4035",
            field="position",
            lat=f"{lat:.5f}",
            lng=f"{lng:.5f}",
        )
    if not (BEIJING_LAT[0] <= lat <= BEIJING_LAT[1] and BEIJING_LNG[0] <= lng <= BEIJING_LNG[1]):
        raise InvalidInput(
            "the position ({lat}, {lng}) is far from Beijing: mark the point in the project's compound",
            field="position",
            lat=f"{lat:.5f}",
            lng=f"{lng:.5f}",
        )
    return round(lat, 6), round(lng, 6)


@dataclass(frozen=True)
class Point:
    """A problem point as a household marks it: ``lat``/``lng`` in GCJ-02."""

    category: PointCategory
    note: str
    lat: float
    lng: float
    datum: Datum = Datum.GCJ02


def parse_point_category(text: str) -> PointCategory:
    wanted = text.strip().casefold()
    for category, name in POINT_LABELS.items():
        if wanted in (category.value, name.zh, (name.en or "").casefold()):
            return category
    raise InvalidInput(
        "'{value}' is not a problem category (安全隐患, 设施损坏, 环境卫生, 交通停车, 其他)",
        field="point",
        value=text[:20],
    )


def make_point(category: str, note: str, lat: float, lng: float, datum: Datum) -> Point:
    """A problem point, its position converted to GCJ-02 when given in WGS-84 and
    checked to be in Beijing; the note one line of at most ``MAX_NOTE`` characters."""
    cleaned = note.strip()
    if has_control_characters(cleaned):
        raise InvalidInput("the problem point's note holds control characters", field="point")
    if len(cleaned) > MAX_NOTE:
        raise InvalidInput(
            "the problem point's note is longer than {limit} characters", field="point", limit=MAX_NOTE
        )
    if datum is Datum.WGS84:
        check_position(lat, lng)  # refuse out-of-range input before shifting it
        lat, lng = wgs84_to_gcj02(lat, lng)
    lat, lng = check_position(lat, lng)
    return Point(parse_point_category(category), cleaned, lat, lng, Datum.GCJ02)


PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png")


def check_photo_name(filename: str) -> str:
    """A problem point's photo is a JPEG or a PNG (its content is sniffed too, by
    the attachment store's check)."""
    name = filename.strip() or "photo"
    if not name.lower().endswith(PHOTO_EXTENSIONS):
        raise InvalidInput("the photo {name} is not a JPEG or PNG image", field="photo", name=name[:60])
    return name


def check_points(points: Sequence[Point]) -> None:
    if len(points) > MAX_POINTS:
        raise InvalidInput("at most {limit} problem points per household", field="point", limit=MAX_POINTS)


# -- the tally --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TallyRow:
    item: MenuItem
    households: int
    share: Fraction  # of the responding households


@dataclass(frozen=True)
class Tally:
    responses: int
    rows: tuple[TallyRow, ...]

    @property
    def items_chosen(self) -> int:
        """Menu items that at least one household chose (the list of needs)."""
        return sum(1 for row in self.rows if row.households > 0)


def tally(menu: Sequence[MenuItem], answers: Mapping[Any, Iterable[int]]) -> Tally:
    """How many households chose each menu item, and their share of the households
    that answered; most chosen first, then in menu order. A retired item still counts
    the answers that chose it; retired items nobody chose are left out."""
    responses = len(answers)
    counts: dict[int, int] = {}
    for chosen in answers.values():
        for item_id in set(chosen):
            counts[item_id] = counts.get(item_id, 0) + 1
    order = {item.id: index for index, item in enumerate(menu)}
    rows = [
        TallyRow(item, counts.get(item.id, 0), Fraction(counts.get(item.id, 0), responses or 1))
        for item in menu
        if not item.retired or counts.get(item.id)
    ]
    rows.sort(key=lambda row: (-row.households, order[row.item.id]))
    return Tally(responses, tuple(rows))


def needs_evidence(
    typed: Mapping[str, object], result: Tally, *, key: str, labels: Mapping[str, Localized] | None = None
) -> dict[str, int]:
    """The list-of-needs stage's item count as the answers show it. A typed figure
    that differs is refused (the planner cannot enter a list the answers don't show);
    the same figure is accepted."""
    computed = result.items_chosen
    given = typed.get(key)
    if given is not None and given != computed:
        raise InvalidInput(
            "evidence {key} is computed from the residents' answers ({computed}); the typed {value} differs",
            field=f"evidence.{key}",
            key=(labels or {}).get(key, key),
            computed=computed,
            value=str(given)[:20],
        )
    return {key: computed}


@dataclass(frozen=True)
class Answered:
    """What an answer did: the items it replaced (None: the household's first)."""

    items: tuple[int, ...]
    replaced: tuple[int, ...] | None

    @property
    def is_replacement(self) -> bool:
        return self.replaced is not None


def answer(answers: dict[Any, tuple[int, ...]], household: Any, items: tuple[int, ...]) -> Answered:
    """Put a household's answer in ``answers`` (changed in place): a later answer of
    the same household replaces its earlier one, so each household counts once."""
    previous = answers.get(household)
    answers[household] = items
    return Answered(items, previous)
