"""The household register's rules (pure): columns in Chinese or English, every bad
row named with the file's own header, duplicates, bounds, masking, codes, who may
manage it, retention."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from types import SimpleNamespace

import pytest

from accompany.models.errors import InvalidInput, NotFound, PermissionDenied
from accompany.models.households import (
    CODE_ALPHABET,
    CODE_LENGTH,
    check_register,
    mask_contact,
    may_manage_households,
    may_publish,
    new_code,
    normalise_code,
    parse_area,
    register_columns,
    retention_ends,
)
from accompany.models.people import Person, Role

ZH = ["楼号", "单元", "房号", "建筑面积", "业主人数", "联系方式"]
EN = ["building", "unit", "room", "area", "owners", "contact"]


def test_chinese_and_english_headers_mean_the_same_columns() -> None:
    assert register_columns(ZH)[0] == register_columns(EN)[0] == EN
    assert register_columns(["楼号", "单元", "房号", "建筑面积（㎡）", "业主人数"])[0][3] == "area"
    with pytest.raises(InvalidInput, match="missing column"):
        register_columns(["楼号", "房号", "建筑面积"])
    with pytest.raises(InvalidInput, match="unknown column '身份证号'"):
        register_columns([*ZH, "身份证号"])  # no ID numbers: the column is refused
    with pytest.raises(InvalidInput, match="appears twice"):
        register_columns([*ZH, "联系电话"])


def test_a_good_register_is_read_whole() -> None:
    check = check_register(
        ZH, [["3", "2", "501", "56.8", "2", "138 1234 5678"], [4, "", 101, 72.456, 1.0, None]]
    )
    assert check.bad == []
    first, second = check.households
    assert (first.label, first.area_centi, first.owners, first.contact) == (
        "3-2-501",
        5680,
        2,
        "138 1234 5678",
    )
    assert (second.label, second.area_centi, second.owners, second.contact) == ("4-101", 7246, 1, None)


def test_every_bad_row_is_named_with_the_files_own_header() -> None:
    rows = [
        ["3", "2", "501", "56.8", "2", ""],
        ["3", "2", "501", "60", "1", ""],  # the same home again
        ["3", "2", "502", "0", "0", "not a phone"],
        ["3", "2", "503", "10000.01", "two", ""],
        ["", "2", "504", "=A1*2", "1", "138\x0012345678"],
    ]
    check = check_register(ZH, rows)
    found = {(b.row, b.column) for b in check.bad}
    assert found == {
        (3, "房号"),
        (4, "建筑面积"),
        (4, "业主人数"),
        (4, "联系方式"),
        (5, "建筑面积"),
        (5, "业主人数"),
        (6, "楼号"),
        (6, "建筑面积"),
        (6, "联系方式"),
    }
    assert "listed twice (rows 2 and 3)" in next(b.reason for b in check.bad if b.row == 3)
    assert "formula" in next(b.reason for b in check.bad if (b.row, b.column) == (6, "建筑面积"))
    assert "control characters" in next(b.reason for b in check.bad if (b.row, b.column) == (6, "联系方式"))


def test_bad_rows_are_told_by_their_row_in_the_file(tmp_path: Path) -> None:
    from openpyxl import Workbook

    from accompany.tables import read_table

    book = Workbook()
    sheet = book.active
    sheet.append(ZH)
    sheet.append(["3", "2", "501", "56.8", "2", ""])
    sheet.append([])  # rows 3 and 4 left blank
    sheet.append([])
    sheet.append(["3", "2", "502", "-5", "1", ""])  # Excel's row 5
    sheet.append(["3", "2", "501", "60", "1", ""])  # row 6: the home of row 2 again
    path = tmp_path / "住户.xlsx"
    book.save(path)
    check = check_register(*read_table(path, refuse_formulas=True))
    assert {(b.row, b.column) for b in check.bad} == {(5, "建筑面积"), (6, "房号")}
    assert "listed twice (rows 2 and 6)" in next(b.reason for b in check.bad if b.row == 6)

    csv = tmp_path / "住户.csv"
    csv.write_text(",".join(ZH) + '\n\n3,"2\n",501,56.8,2,\n3,2,502,0,1,\n', encoding="utf-8")
    check = check_register(*read_table(csv, refuse_formulas=True))
    # the record of line 3 goes on to line 4 (a line break in a cell): the next is line 5
    assert {(b.row, b.column) for b in check.bad} == {(5, "建筑面积")}


@pytest.mark.parametrize(
    ("text", "centi"), [("56.8", 5680), ("1,200", 120000), ("88㎡", 8800), ("10000", 1000000), ("0.01", 1)]
)
def test_area_bounds(text: str, centi: int) -> None:
    assert parse_area(text) == centi


@pytest.mark.parametrize("text", ["0", "-3", "10000.01", "nan", "inf", "1e9", "abc", ""])
def test_area_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_area(text)


def test_contacts_are_masked() -> None:
    assert mask_contact("13812345678") == "138****5678"
    assert mask_contact("+86 138-1234-5678") == "861****5678"
    assert mask_contact("010-6512 3456") == "010****3456"
    assert mask_contact("6512345") == "65****45"
    assert mask_contact("12345") == "****"
    assert mask_contact(None) == mask_contact("") == ""


def test_a_contact_is_never_echoed_in_a_refusal() -> None:
    check = check_register(ZH, [["3", "2", "501", "56", "1", "1381234567890123456789x"]])
    assert "1381234567890123456789" not in check.bad[0].reason


def test_codes_are_unambiguous_and_avoid_taken_ones() -> None:
    rng = random.Random(7)
    code = new_code(rng.randrange)
    assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
    assert not set("01OIL") & set(CODE_ALPHABET)
    taken = {new_code(random.Random(1).randrange)}
    assert new_code(random.Random(1).randrange, taken) not in taken
    assert normalise_code(" abcd-efgh ".replace("e", "2")) == "ABCD2FGH"
    assert normalise_code("ABCD0FGH") is None
    # typed on a Chinese keyboard in full-width mode
    assert normalise_code("ａｂｃｄ－２ＦＧＨ") == "ABCD2FGH"


def test_who_manages_the_register() -> None:
    project = SimpleNamespace(
        id=7, name="口袋公园", district="chaoyang", street="taiyanggong", planner_id="wangrb"
    )
    coordinator = Person(
        id="zhangl", name="张磊", role=Role.COORDINATOR, district="chaoyang", streets=("taiyanggong",)
    )
    planner = Person(
        id="wangrb", name="王若冰", role=Role.PLANNER, district="chaoyang", streets=("taiyanggong",)
    )
    may_manage_households(coordinator, project)
    may_manage_households(planner, project)
    for person in (
        Person(
            id="zhaoy", name="赵阳", role=Role.STREET_OFFICE, district="chaoyang", streets=("taiyanggong",)
        ),
        Person(id="chenm", name="陈敏", role=Role.PLANNER, district="chaoyang", streets=("taiyanggong",)),
        coordinator.model_copy(update={"active": False}),
    ):
        with pytest.raises(PermissionDenied):
            may_manage_households(person, project)
    # outside one's scope the project does not exist: not found, and never its name
    for person in (
        Person(id="x", name="某", role=Role.COORDINATOR, district="chaoyang", streets=("jiuxianqiao",)),
        Person(id="maf", name="马芳", role=Role.COORDINATOR, district="dongcheng", streets=("dongsi",)),
    ):
        for rule in (may_manage_households, may_publish):
            with pytest.raises(NotFound) as refused:
                rule(person, project)
            assert "口袋公园" not in str(refused.value.values)


def test_retention_counts_from_completion() -> None:
    done = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    assert retention_ends(None, 365) is None
    assert retention_ends(done, 365) == dt.datetime(2027, 5, 1, tzinfo=dt.UTC)


def test_a_csv_cell_past_the_csv_modules_limit_is_refused_by_its_line(tmp_path: Path) -> None:
    """A cell over 128 KB made the csv module raise its own error (a 500 on the web):
    refused like any bad file, naming the line the record starts on."""
    from accompany.tables import read_table

    csv = tmp_path / "住户.csv"
    csv.write_text(",".join(ZH) + "\n3,2,501,56.8,2,\n3,2," + "9" * 200_000 + ",60,1,\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        read_table(csv, refuse_formulas=True, name="住户.csv")
    assert refused.value.field == "file" and refused.value.values["line"] == 3


def test_a_bad_contact_says_what_is_wrong_without_echoing_it() -> None:
    from accompany.i18n import error_text
    from accompany.models.households import parse_contact

    with pytest.raises(InvalidInput) as letters:
        parse_contact("138-abc-5678")
    assert "含有电话号码中不会有的字符" in error_text(letters.value, "zh")
    with pytest.raises(InvalidInput) as short:
        parse_contact("138")
    assert error_text(short.value, "zh").startswith("联系方式有 3 位数字")
    for refused in (letters.value, short.value):
        assert "138" not in error_text(refused, "zh").split("如 ")[0] and "****" not in str(refused)


def test_a_home_typed_full_width_is_the_same_home() -> None:
    """５,１,１０１ and 5,1,101 in one file: one home listed twice (it loaded as two homes,
    two codes, two votes)."""
    check = check_register(ZH, [["5", "1", "101", "56.8", "2", ""], ["５", "１", "１０１", "56.8", "2", ""]])
    assert [b.column for b in check.bad] == ["房号"]
    assert "listed twice" in check.bad[0].reason
