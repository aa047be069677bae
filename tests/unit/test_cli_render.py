"""What `project show` prints, from a project's detail (no database)."""

from __future__ import annotations

from types import SimpleNamespace

from accompany.cli.render import evidence_lines
from accompany.models.calendar import UNKNOWN_YEAR


def test_a_provisional_deadline_names_only_the_years_not_published() -> None:
    stage = SimpleNamespace(
        name="项目后评估",
        evidence_items=[],
        attachments=[],
        notes=[],
        approvals=[],
        pauses=[],
        extensions=[],
        timing=SimpleNamespace(provisional=True),
        deadline_basis={"calendar": {"2026": "chinese-calendar 1.11.0 #ffe7b2168251", "2027": UNKNOWN_YEAR}},
    )
    [line] = evidence_lines(SimpleNamespace(stages=[stage]), "en")  # type: ignore[arg-type]
    assert (
        line.plain == "项目后评估 provisional deadline: 2027: holidays not published yet; counted on weekdays"
    )
