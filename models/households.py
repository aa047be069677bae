"""A project's household register: the homes whose owners the process asks (their
needs, their consent, their satisfaction), and the short codes residents identify
with on surveys.

Personal data is kept to the minimum the process needs (个人信息保护法): where the
home is, its floor area and how many owners it has (Civil Code Art. 278 counts both
area and heads), and an optional contact. No names, no ID numbers. A contact is
shown masked everywhere (138****5678); the register is deleted on request and after
the retention period.

Pure: the checking of a whole file (every bad row named with the file's own
headers), masking, codes (from a random source the caller injects) and who may
manage a register.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .errors import N_, AccompanyError, InvalidInput, Localized, NotFound, PermissionDenied
from .people import ROLE_LABELS_EN, ROLE_LABELS_ZH, Person, Role
from .text import as_typed_number, half_width, row_number

MAX_AREA_M2 = Decimal(10000)
MAX_OWNERS = 1000
MAX_HOUSEHOLDS = 20000  # the largest compound has a few thousand homes
MAX_LABEL = 50  # building, unit and room as written on the door
MAX_CONTACT = 40

COLUMNS = ("building", "unit", "room", "area", "owners", "contact")
REQUIRED = ("building", "unit", "room", "area", "owners")
ALIASES = {
    "楼号": "building",
    "楼栋": "building",
    "楼": "building",
    "单元": "unit",
    "单元号": "unit",
    "房号": "room",
    "门牌号": "room",
    "室": "room",
    "建筑面积": "area",
    "建筑面积(m²)": "area",
    "建筑面积（m²）": "area",
    "建筑面积(㎡)": "area",
    "建筑面积（㎡）": "area",
    "面积": "area",
    "area_m2": "area",
    "floor area": "area",
    "floor_area": "area",
    "业主人数": "owners",
    "业主数": "owners",
    "owners": "owners",
    "联系方式": "contact",
    "联系电话": "contact",
    "电话": "contact",
    "phone": "contact",
}

#: no 0/O, 1/I/L: read aloud or typed from a slip without doubt
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8  # 31⁸ ≈ 8.5 × 10¹¹: not guessable, short enough to type
#: the digits and letters a code never has (a person told what a code looks like)
CODE_NEVER = tuple(c for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in CODE_ALPHABET)
_CODE = re.compile(f"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
_CONTACT = re.compile(r"^\+?[0-9][0-9 ()\-]*$")


@dataclass(frozen=True)
class Household:
    """One home of the register. ``area_centi`` is the floor area in hundredths of a
    square metre (exact on every database)."""

    building: str
    unit: str
    room: str
    area_centi: int
    owners: int
    contact: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.building, self.unit, self.room)

    @property
    def area(self) -> Decimal:
        return Decimal(self.area_centi) / 100

    @property
    def label(self) -> str:
        return address_label(self.building, self.unit, self.room)


def address_label(building: str, unit: str, room: str) -> str:
    """The home as people write it: 3-2-501 (building-unit-room)."""
    return "-".join(part for part in (building, unit, room) if part)


@dataclass(frozen=True)
class RowProblem:
    """One problem: the row as numbered in the file (the header is row 1), the
    column as the file names it, and the refusal."""

    row: int
    column: str
    problem: AccompanyError

    @property
    def reason(self) -> str:
        return str(self.problem)


@dataclass
class RegisterCheck:
    rows: int
    households: list[Household] = field(default_factory=list)
    bad: list[RowProblem] = field(default_factory=list)


class RegisterRejected(InvalidInput):
    """Some rows are invalid: nothing was loaded. ``check`` lists them."""

    def __init__(self, check: RegisterCheck):
        self.check = check
        super().__init__(
            N_(
                "{rows} of {total} row(s) of the household register are invalid ({problems_count} "
                "problem(s)); nothing was loaded"
            ),
            field="file",
            rows=len({b.row for b in check.bad}),
            total=check.rows,
            problems_count=len(check.bad),
        )


# -- the columns --------------------------------------------------------------------------------


def register_columns(header: Sequence[Any]) -> tuple[list[str | None], dict[str, str]]:
    """Each header's canonical column (None: a blank header over an empty column is
    ignored), and each column's header as the file writes it; unknown, repeated or
    missing columns are refused."""
    columns: list[str | None] = []
    headers: dict[str, str] = {}
    for raw in header:
        name = str(raw).strip()
        if not name:
            columns.append(None)
            continue
        canonical = ALIASES.get(name, ALIASES.get(name.lower(), name.lower()))
        if canonical not in COLUMNS:
            raise InvalidInput(
                "unknown column '{column}' (columns: 楼号/building, 单元/unit, 房号/room, 建筑面积/area, "
                "业主人数/owners, 联系方式/contact)",
                field="file",
                column=name[:60],
            )
        if canonical in headers:
            raise InvalidInput("column '{column}' appears twice", field="file", column=name[:60])
        columns.append(canonical)
        headers[canonical] = name
    missing = [c for c in REQUIRED if c not in headers]
    if missing:
        raise InvalidInput("missing column(s): {columns}", field="file", columns=", ".join(missing))
    return columns, headers


# -- the cells ----------------------------------------------------------------------------------


def _cell_text(value: Any, what: Localized, limit: int) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 3 as 3.0
    text = str(value).strip()
    if text.startswith("="):
        raise InvalidInput("{what}: a formula is not accepted, type the value", what=what)
    if len(text) > limit:
        raise InvalidInput(
            "{what} is too long: {length} characters, at most {limit}",
            what=what,
            length=len(text),
            limit=limit,
        )
    if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in text):
        raise InvalidInput("{what} contains control characters", what=what)
    return text


WHAT = {
    "building": Localized("楼号", "building"),
    "unit": Localized("单元", "unit"),
    "room": Localized("房号", "room"),
    "area": Localized("建筑面积", "floor area"),
    "owners": Localized("业主人数", "number of owners"),
    "contact": Localized("联系方式", "contact"),
}


def parse_label(value: Any, column: str, *, required: bool = True) -> str:
    # full-width digits are the same home (５-１-１０１ is 5-1-101: one code, one vote)
    text = half_width(_cell_text(value, WHAT[column], MAX_LABEL))
    if required and not text and column != "unit":
        raise InvalidInput("{what} is empty", what=WHAT[column])
    return text


def parse_area(value: Any) -> int:
    """Floor area in m² (> 0, ≤ 10000, at most two decimals) as hundredths."""
    text = as_typed_number(_cell_text(value, WHAT["area"], 30)).replace(",", "")
    for suffix in ("㎡", "m²", "m2", "平方米", "平米"):
        text = text.removesuffix(suffix).strip()
    if not text:
        raise InvalidInput("{what} is empty", what=WHAT["area"])
    try:
        area = Decimal(text)
    except InvalidOperation:
        raise InvalidInput("floor area '{value}' is not a number of m² like 56.8", value=text[:30]) from None
    if not area.is_finite() or area <= 0 or area > MAX_AREA_M2:
        raise InvalidInput(
            "floor area {value} m² is outside 0 (exclusive) to {limit} m²", value=text[:30], limit=MAX_AREA_M2
        )
    return int((area * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_owners(value: Any) -> int:
    text = as_typed_number(_cell_text(value, WHAT["owners"], 10))
    if re.fullmatch(r"-[0-9]{1,6}", text):  # a whole number below zero: the range says it
        raise InvalidInput("number of owners {value} is outside 1 to {limit}", value=text, limit=MAX_OWNERS)
    if not text.isascii() or not text.isdigit():
        raise InvalidInput("number of owners '{value}' is not a whole number like 2", value=text[:20])
    owners = int(text)
    if not 1 <= owners <= MAX_OWNERS:
        raise InvalidInput("number of owners {value} is outside 1 to {limit}", value=owners, limit=MAX_OWNERS)
    return owners


def parse_contact(value: Any) -> str | None:
    """A telephone number (digits, spaces, dashes, brackets, a leading +), or none."""
    text = _cell_text(value, WHAT["contact"], MAX_CONTACT)
    if not text:
        return None
    # what is wrong, said without the value: a contact is never echoed, even a wrong one
    # (it may be a real number typed in the wrong column)
    digits = re.sub(r"\D", "", text)
    if not _CONTACT.match(text):
        raise InvalidInput(
            "the contact holds characters a telephone number does not have "
            "(only digits, spaces, dashes, brackets and a leading +, like 13812345678)"
        )
    if not 5 <= len(digits) <= 20:
        raise InvalidInput(
            "the contact has {count} digits; a telephone number has 5 to 20, like 13812345678",
            count=len(digits),
        )
    return text


def check_register(header: Sequence[Any], data: Sequence[Sequence[Any]]) -> RegisterCheck:
    """Check every row of a register file; ``bad`` lists every problem, each with the
    row number and the column as the file names it. No duplicate building/unit/room."""
    columns, headers = register_columns(header)
    check = RegisterCheck(rows=len(data))
    if len(data) > MAX_HOUSEHOLDS:
        raise InvalidInput(
            "the register has {rows} rows, at most {limit}",
            field="file",
            rows=len(data),
            limit=MAX_HOUSEHOLDS,
        )
    parsers: dict[str, Callable[[Any], Any]] = {
        "building": lambda v: parse_label(v, "building"),
        "unit": lambda v: parse_label(v, "unit"),
        "room": lambda v: parse_label(v, "room"),
        "area": parse_area,
        "owners": parse_owners,
        "contact": parse_contact,
    }
    seen: dict[tuple[str, str, str], int] = {}
    for index, cells in enumerate(data):
        number = row_number(cells, index)
        values: dict[str, Any] = {}
        problems: list[RowProblem] = []
        for position, column in enumerate(columns):
            cell = cells[position] if position < len(cells) else None
            if column is None:
                if cell not in (None, "") and str(cell).strip():
                    problems.append(
                        RowProblem(
                            number,
                            f"#{position + 1}",
                            InvalidInput("a value in a column without a header"),
                        )
                    )
                continue
            try:
                values[column] = parsers[column](cell)
            except AccompanyError as exc:
                problems.append(RowProblem(number, headers[column], exc))
        for position in range(len(columns), len(cells)):
            if cells[position] not in (None, "") and str(cells[position]).strip():
                problem = InvalidInput("a value in a column without a header")
                problems.append(RowProblem(number, f"#{position + 1}", problem))
        key = (values.get("building"), values.get("unit", ""), values.get("room"))
        if key[0] is not None and key[2] is not None:
            home = address_label(*key)  # type: ignore[arg-type]
            if key in seen:
                duplicate = InvalidInput(
                    "{home} is listed twice (rows {first} and {row})", home=home, first=seen[key], row=number
                )
                problems.append(RowProblem(number, headers["room"], duplicate))
            else:
                seen[key] = number  # type: ignore[index]
        if not problems:
            check.households.append(
                Household(
                    building=values["building"],
                    unit=values.get("unit", ""),
                    room=values["room"],
                    area_centi=values["area"],
                    owners=values["owners"],
                    contact=values.get("contact"),
                )
            )
        check.bad += problems
    if not check.bad and not check.households:
        # a register of nobody would replace the households, and their answers with them
        raise InvalidInput("the file lists no households: nothing was changed", field="file")
    return check


def check_kept(
    existing: Mapping[tuple[str, str, str], str], homes: Iterable[tuple[str, str, str]], took_part: Set[str]
) -> None:
    """A new register replaces the old one. A home whose residents have taken part
    (answered a survey, voted, commented: named by its code in ``took_part``) must stay
    in it: their answers count by the code, which a home keeps only while it is listed,
    so dropping it would silently take them out of every tally."""
    listed = set(homes)
    dropped = sorted(
        address_label(*key) for key, code in existing.items() if key not in listed and code in took_part
    )
    if dropped:
        shown = "、".join(dropped[:10]) + ("…" if len(dropped) > 10 else "")
        raise InvalidInput(
            "{count} households that have taken part are missing from the new file: {homes}; "
            "keep them in it (their answers and ballots count by their household code)",
            field="file",
            count=len(dropped),
            homes=shown,
        )


# -- masking, codes, retention, permission ---------------------------------------------------


def mask_contact(contact: str | None) -> str:
    """A contact as it may be shown: 138****5678 (the first three and last four
    digits of a mobile number), 01****56 for a short one; never the whole number."""
    if not contact:
        return ""
    digits = re.sub(r"\D", "", contact)
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) >= 7:
        return f"{digits[:2]}****{digits[-2:]}"
    return "****"


def new_code(randbelow: Callable[[int], int], taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A household code: ``CODE_LENGTH`` characters of ``CODE_ALPHABET`` drawn with
    ``randbelow`` (the caller passes ``secrets.randbelow``), none of ``taken``."""
    for _ in range(100):
        code = "".join(CODE_ALPHABET[randbelow(len(CODE_ALPHABET))] for _ in range(CODE_LENGTH))
        if code not in taken:
            return code
    raise RuntimeError("the random source keeps repeating itself")  # pragma: no cover


def normalise_code(text: str) -> str | None:
    """A code as a resident types it (any case, spaces or dashes, full-width from a
    Chinese keyboard: ＱＪＦＱ ＮＢＸ４), or None when it cannot be one."""
    code = re.sub(r"[\s\-]", "", half_width(text)).upper()
    return code if _CODE.match(code) else None


def normalise_home(text: str) -> str:
    """A home as a planner types it from a paper form (3-2-501): full-width digits
    and dashes from a Chinese keyboard (５－１－１０１) read as the register writes
    them (the register reads its cells the same way: :func:`parse_label`), blanks
    dropped."""
    return "".join(half_width(text or "").split())


def require_household(text: str, *, or_home: bool = False) -> None:
    """Refuses a household left blank (a resident's code, or — ``or_home``: a paper
    answer — its code or its home), next to the form's code field: asked for, not
    looked up and reported as unknown."""
    if normalise_home(text):
        return
    if or_home:
        raise InvalidInput("type the household code or its home (3-2-501)", field="code")
    raise InvalidInput("type your household code", field="code")


def retention_ends(completed_at: dt.datetime | None, days: int) -> dt.datetime | None:
    """When a register must be deleted: ``days`` after the project completed (never
    while it runs)."""
    return None if completed_at is None else completed_at + dt.timedelta(days=days)


def ensure_in_scope(actor: Person, project: Any) -> None:
    """A project outside the actor's scope reads exactly like one that does not
    exist: not found, never its name."""
    if not actor.scope().covers(project.district, project.street, project.planner_id):
        raise NotFound("unknown project {project}", project=project.id)


def may_manage_households(actor: Person, project: Any) -> None:
    """A coordinator of the project's street (or of its whole district) or the
    project's planner loads, prints and deletes its household register."""
    if not actor.active:
        raise PermissionDenied("{person} is no longer active in the directory", person=actor.name)
    ensure_in_scope(actor, project)
    if actor.id == project.planner_id:
        return
    if actor.role is Role.COORDINATOR and actor.covers_street(project.district, project.street):
        return
    raise PermissionDenied(
        "{person} ({role}) cannot manage the household register of {project}: only a coordinator "
        "of its street or its planner can",
        person=actor.name,
        role=Localized(ROLE_LABELS_ZH[actor.role], ROLE_LABELS_EN[actor.role]),
        project=project.name,
    )


def may_publish(actor: Person, project: Any) -> None:
    """Only a coordinator of the project's street (or of its whole district) puts the
    project's public page on line or takes it off."""
    if not actor.active:
        raise PermissionDenied("{person} is no longer active in the directory", person=actor.name)
    ensure_in_scope(actor, project)
    if actor.role is Role.COORDINATOR and actor.covers_street(project.district, project.street):
        return
    raise PermissionDenied(
        "{person} ({role}) cannot publish the public page of {project}: only a coordinator of its street can",
        person=actor.name,
        role=Localized(ROLE_LABELS_ZH[actor.role], ROLE_LABELS_EN[actor.role]),
        project=project.name,
    )
