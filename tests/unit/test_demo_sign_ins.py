"""The demo's printed sign-in list speaks one language."""

from __future__ import annotations

from accompany.demo_web import sign_in_lines


def test_the_chinese_list_names_roles_in_chinese_only() -> None:
    lines = sign_in_lines("zh")
    assert lines[0].split() == ["zhangl", "张磊", "协调人（太阳宫街道）"]
    assert [line.split()[-1] for line in lines[1:]] == [
        "责任规划师",
        "街道办事处（太阳宫街道）",
        "区规划分局（朝阳区）",
    ]
    text = "\n".join(lines)
    for english in ("coordinator", "planner", "street office", "district"):
        assert english not in text.replace("zhangl", "")


def test_the_english_list_names_roles_in_english() -> None:
    lines = sign_in_lines("en")
    assert lines[0].split(maxsplit=2) == ["zhangl", "张磊", "Coordinator (太阳宫街道)"]
    assert "Responsible planner" in lines[1] and "District planning branch (朝阳区)" in lines[3]
    assert not any(word in "\n".join(lines) for word in ("协调人", "责任规划师", "街道办事处", "区规划分局"))
