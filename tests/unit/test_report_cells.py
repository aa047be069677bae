"""The one rule that keeps report cells from running as formulas."""

from __future__ import annotations

import csv
import io

import pytest

from accompany.reporting import _SafeWriter, formula_like, neutralised


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","y")', "+1+1", "@SUM(A1)", "-2+3", "\t=1", "\r=1"])
def test_formula_like_text_gets_a_quote(text: str) -> None:
    assert formula_like(text)
    assert neutralised(text) == "'" + text


@pytest.mark.parametrize("value", [-3, -2.5, 0, 12, 0.4, None, True, "太阳宫", "a=b", " =1", ""])
def test_numbers_and_plain_text_stay_as_they_are(value: object) -> None:
    assert not formula_like(value)
    assert neutralised(value) == value


def test_the_csv_writer_neutralises_every_cell() -> None:
    out = io.StringIO()
    _SafeWriter(csv.writer(out)).writerow(["=1+2", -5, "@x", "ok"])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'=1+2", "-5", "'@x", "ok"]


@pytest.mark.parametrize(
    ("quarter", "lang", "name"),
    [
        ("2027Q1", "zh", "2027年第一季度"),
        ("2026Q4", "zh", "2026年第四季度"),
        ("2027Q1", "en", "2027 Q1"),
        ("not a quarter", "zh", "not a quarter"),
        ("2027Q5", "zh", "2027Q5"),
    ],
)
def test_quarters_are_named_as_readers_name_them(quarter: str, lang: str, name: str) -> None:
    from accompany.models.report import quarter_name

    assert quarter_name(quarter, lang) == name
