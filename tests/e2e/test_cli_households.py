"""`accompany households` as typed: load (all rows or none), list masked, slips as
PDF and HTML with QR codes, purge; hostile files refused in one line (exit 2), the
wrong person refused (exit 4), the database unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from .test_cli import START, cli, db_dump, ok, refused

GOOD = (
    "楼号,单元,房号,建筑面积,业主人数,联系方式\n3,2,501,56.8,2,13812345678\n3,2,502,60,1,\n4,1,101,72.5,3,\n"
)


@pytest.fixture
def project(cli_env: dict[str, str]) -> str:
    from accompany.config.settings import EXAMPLE_PEOPLE

    ok("people", "load", str(EXAMPLE_PEOPLE))
    ok(*START)
    return "1"


def _file(tmp_path: Path, text: str, name: str = "住户.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_load_list_slips_purge(project: str, tmp_path: Path) -> None:
    out = ok("households", "load", project, _file(tmp_path, GOOD), "--by", "zhangl")
    assert "loaded 3 household(s) into project #1 (1 with a contact)" in out
    listed = ok("households", "list", project)
    assert "138****5678" in listed and "13812345678" not in listed and "3 household(s), 189.30 m²" in listed
    data = json.loads(ok("households", "list", project, "--json"))
    assert [h["contact"] for h in data["households"]] == ["138****5678", "", ""]
    assert "code" not in json.dumps(data)

    pdf, page = tmp_path / "slips.pdf", tmp_path / "slips.html"
    assert "wrote 3 slip(s)" in ok("households", "slips", project, "--out", str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF-1.4") and pdf.read_bytes().rstrip().endswith(b"%%EOF")
    ok("households", "slips", project, "--out", str(page))
    assert page.read_text("utf-8").count('<img src="data:image/svg+xml') == 3

    assert "deleted the contacts of 1 household(s)" in ok(
        "households", "purge", project, "--contacts-only", "--by", "wangrb"
    )
    assert "****" not in ok("households", "list", project)
    assert "(3 household(s))" in ok("households", "purge", project, "--by", "zhangl")
    assert "has no household register" in ok("households", "list", project)
    refused(2, "households", "slips", project, "--out", str(pdf))


def test_bad_rows_are_listed_and_nothing_is_loaded(
    project: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    before = db_dump(cli_env)
    bad = GOOD + "4,1,101,0,0,\n"
    code, out, err = cli("households", "load", project, _file(tmp_path, bad), "--by", "zhangl")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "1 of 4 row(s) of the household register are invalid (3 problem(s))" in err
    assert "建筑面积" in out and "业主人数" in out and "listed twice" in out
    assert db_dump(cli_env) == before


def _xlsx_with_formula(tmp_path: Path) -> str:
    book = Workbook()
    sheet = book.active
    sheet.append(["楼号", "单元", "房号", "建筑面积", "业主人数"])
    sheet.append(["3", "2", "501", "=20*3", 1])
    path = tmp_path / "公式.xlsx"
    book.save(path)
    return str(path)


def test_hostile_files_and_people_are_refused_in_one_line(
    project: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    before = db_dump(cli_env)
    good = _file(tmp_path, GOOD)
    assert "formula" in refused(
        2, "households", "load", project, _xlsx_with_formula(tmp_path), "--by", "zhangl"
    )
    formula_csv = _file(tmp_path, GOOD + '5,1,101,"=HYPERLINK(""http://x"")",1,\n', "f.csv")
    assert "formula" in refused(2, "households", "load", project, formula_csv, "--by", "zhangl")
    nul = tmp_path / "nul.csv"
    nul.write_bytes(GOOD.encode() + b"5,1,1\x00,60,1,\n")
    assert "NUL" in refused(2, "households", "load", project, str(nul), "--by", "zhangl")
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as handle:
        handle.write(GOOD.encode())
        handle.write(b"9,9,9,60,1,\n" * 500_000)
    assert "larger than 5 MB" in refused(2, "households", "load", project, str(huge), "--by", "zhangl")
    binary = tmp_path / "x.xlsx"
    binary.write_bytes(b"\x7fELF" + b"\x00" * 100)
    assert "not a readable XLSX" in refused(2, "households", "load", project, str(binary), "--by", "zhangl")
    wide = _file(
        tmp_path, "楼号,单元,房号,建筑面积,业主人数,身份证号\n3,2,501,56,1,110101199001011234\n", "id.csv"
    )
    assert "unknown column '身份证号'" in refused(2, "households", "load", project, wide, "--by", "zhangl")
    assert "cannot manage the household register" in refused(
        4, "households", "load", project, good, "--by", "zhaoy"
    )
    refused(4, "households", "purge", project, "--by", "chenm")
    refused(3, "households", "load", "99", good, "--by", "zhangl")
    refused(2, "households", "load", "x", good, "--by", "zhangl")
    refused(2, "households", "slips", project, "--out", str(tmp_path / "slips.png"))
    assert db_dump(cli_env) == before


@pytest.mark.zh
def test_chinese_by_default(project: str, tmp_path: Path) -> None:
    out = ok("households", "load", project, _file(tmp_path, GOOD), "--by", "zhangl")
    assert "已向项目 #1 导入 3 户" in out
    assert "业主人数" in ok("households", "list", project)
    assert "不能管理" in refused(4, "households", "purge", project, "--by", "zhaoy")


def test_public_page_publish_and_unpublish(project: str) -> None:
    out = ok("public", "publish", project, "--by", "zhangl")
    assert "is on line: http://127.0.0.1:8000/public/projects/1" in out
    assert json.loads(ok("public", "publish", project, "--by", "zhangl", "--json"))["changed"] is False
    assert "only a coordinator of its street" in refused(4, "public", "unpublish", project, "--by", "wangrb")
    assert "off line" in ok("public", "unpublish", project, "--by", "zhangl")


def test_an_xlsx_register_with_numbers_as_excel_stores_them(project: str, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["楼号", "单元", "房号", "建筑面积（㎡）", "业主人数", "联系电话"])
    sheet.append([3, 2, 501, 56.8, 2, 13812345678])
    sheet.append([3, 2, 502, 60, 1.0, None])
    path = tmp_path / "住户.xlsx"
    book.save(path)
    ok("households", "load", project, str(path), "--by", "wangrb")
    data = json.loads(ok("households", "list", project, "--json"))
    assert [(h["label"], h["area_m2"], h["owners"], h["contact"]) for h in data["households"]] == [
        ("3-2-501", 56.8, 2, "138****5678"),
        ("3-2-502", 60.0, 1, ""),
    ]


def test_public_poster_as_typed(project: str, tmp_path: Path, cli_env: dict[str, str]) -> None:
    pdf, png = tmp_path / "poster.pdf", tmp_path / "qr.png"
    out = ok("public", "poster", project, "--out", str(pdf))
    assert "wrote the poster of" in out and "/public/projects/1" in out
    assert "not on line yet" in out  # not published: said, not refused
    assert pdf.read_bytes().startswith(b"%PDF")
    ok("public", "publish", project, "--by", "zhangl")
    out = ok("public", "poster", project, "--out", str(png), "--json")
    assert json.loads(out)["published"] is True and png.read_bytes().startswith(b"\x89PNG")
    before = db_dump(cli_env)
    assert "use a .pdf or .png file" in refused(
        2, "public", "poster", project, "--out", str(tmp_path / "p.txt")
    )
    assert "does not exist" in refused(
        2, "public", "poster", project, "--out", str(tmp_path / "no" / "p.pdf")
    )
    refused(3, "public", "poster", "99", "--out", str(pdf))
    assert db_dump(cli_env) == before
