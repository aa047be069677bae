"""Residents' participation in the quarterly report: how many households of each
project's register the surveys reached in the quarter, and the consent result.

Which activity counts in a quarter (the report's period, up to its cut-off — the
quarter's end, or now for a quarter still running):

- *households in the register*: the project's register as loaded before the cut-off;
  answers, comments and ballots of a code not in it count nothing (like the tally);
- *问需 reached*: households whose needs answer was first given inside the quarter
  (a later change of the answer does not move it);
- *问计 reached*: households that left a comment or objection, or cast a consent
  ballot, inside the quarter (each household once);
- *问效 reached*: households whose satisfaction answer was first given inside the quarter;
- *response rate*: households reached ÷ households in the register (%, one decimal);
- *comments / objections*: those left inside the quarter; *answered*: those of them
  answered by the cut-off;
- *consent*: the Art. 278 tally (``models.consent.tally``, never re-implemented
  here) of the ballots cast before the cut-off — the ballot box keeps each
  household's latest ballot, so a ballot replaced after the cut-off counts as not
  yet cast — with the rule of the project's consent stage: participating area and
  owners as % of the register, agreeing area and owners as % of the participating
  ones, and the verdict;
- a project has a row when it has a register and at least one of the above happened
  inside the quarter; streets, districts and the overall row add up their projects
  (rates from the sums; consent percentages from the summed areas and owners of the
  projects that voted, with how many voted and how many passed).

Pure: no database, no clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .consent import Choice, Home, Rule, tally

OBJECTION = "objection"  # models.comments.Kind.OBJECTION
AGGREGATE_LEVELS = ("district", "street")


@dataclass(frozen=True)
class Comment:
    code: str
    kind: str  # comment | objection
    left_at: dt.datetime
    answered_at: dt.datetime | None


@dataclass(frozen=True)
class Ballot:
    code: str
    choice: str  # agree | disagree | abstain
    cast_at: dt.datetime


@dataclass(frozen=True)
class Residents:
    """What one project's residents did, as read from the database: the register
    (code → home), when each household first answered the needs survey and the
    satisfaction survey, the comments, and the consent stage's rule and ballots."""

    project_id: int
    name: str
    district: str
    street: str
    register: Mapping[str, Home]
    needs: Sequence[tuple[str, dt.datetime]] = ()
    comments: Sequence[Comment] = ()
    consent_rule: Rule | None = None
    ballots: Sequence[Ballot] = ()
    satisfaction: Sequence[tuple[str, dt.datetime]] = ()


def _pct(part: int | Fraction, whole: int | Fraction) -> float | None:
    """``part`` as a percentage of ``whole`` (one decimal); None for an empty whole."""
    if not whole:
        return None
    return round(float(Fraction(part) * 100 / Fraction(whole)), 1)


@dataclass
class _Sums:
    households: int = 0
    needs: int = 0
    during: int = 0
    after: int = 0
    comments: int = 0
    objections: int = 0
    answered: int = 0
    consent_projects: int = 0
    consent_ballots: int = 0
    consent_passed: int = 0
    total_area: int = 0
    total_owners: int = 0
    part_area: int = 0
    part_owners: int = 0
    agree_area: int = 0
    agree_owners: int = 0
    projects: int = 0

    def add(self, other: _Sums) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def figures(self) -> dict[str, Any]:
        return {
            "households": self.households,
            "needs_households": self.needs,
            "needs_rate_pct": _pct(self.needs, self.households),
            "during_households": self.during,
            "during_rate_pct": _pct(self.during, self.households),
            "satisfaction_households": self.after,
            "satisfaction_rate_pct": _pct(self.after, self.households),
            "comments": self.comments,
            "objections": self.objections,
            "answered": self.answered,
            "consent_projects": self.consent_projects,
            "consent_ballots": self.consent_ballots,
            "consent_passed": self.consent_passed,
            "participating_area_pct": _pct(self.part_area, self.total_area)
            if self.consent_projects
            else None,
            "participating_owners_pct": _pct(self.part_owners, self.total_owners)
            if self.consent_projects
            else None,
            "agreeing_area_pct": _pct(self.agree_area, self.part_area) if self.consent_projects else None,
            "agreeing_owners_pct": _pct(self.agree_owners, self.part_owners)
            if self.consent_projects
            else None,
        }


def project_participation(
    residents: Residents, start: dt.datetime, cutoff: dt.datetime
) -> tuple[dict[str, Any], _Sums] | None:
    """One project's row (and its sums for the totals), or None when it has no
    register or nothing happened inside ``[start, cutoff)``."""
    register = residents.register
    if not register:
        return None

    def inside(moment: dt.datetime) -> bool:
        return start <= moment < cutoff

    needs = {code for code, at in residents.needs if code in register and inside(at)}
    after = {code for code, at in residents.satisfaction if code in register and inside(at)}
    comments = [c for c in residents.comments if c.code in register and inside(c.left_at)]
    voted = {b.code for b in residents.ballots if b.code in register and inside(b.cast_at)}
    during = {c.code for c in comments} | voted
    if not (needs or after or during):
        return None
    sums = _Sums(
        households=len(register),
        needs=len(needs),
        during=len(during),
        after=len(after),
        comments=sum(1 for c in comments if c.kind != OBJECTION),
        objections=sum(1 for c in comments if c.kind == OBJECTION),
        answered=sum(1 for c in comments if c.answered_at is not None and c.answered_at < cutoff),
        projects=1,
    )
    consent: dict[str, Any] = {"consent_rule": None, "consent_ballots": 0, "consent_passed": None}
    cast = {
        b.code: Choice(b.choice)
        for b in sorted(residents.ballots, key=lambda b: b.cast_at)
        if b.cast_at < cutoff
    }
    if residents.consent_rule is not None and cast:
        result = tally(register, cast, residents.consent_rule)
        sums.consent_projects = 1
        sums.consent_passed = int(result.passed)
        sums.consent_ballots = result.ballots
        sums.total_area, sums.total_owners = result.total.area_centi, result.total.owners
        sums.part_area, sums.part_owners = result.participating.area_centi, result.participating.owners
        sums.agree_area, sums.agree_owners = result.agreeing.area_centi, result.agreeing.owners
        consent = {
            "consent_rule": result.rule.value,
            "consent_ballots": result.ballots,
            "consent_passed": result.passed,
        }
    row = {
        "level": "project",
        "project_id": residents.project_id,
        "project": residents.name,
        "district": residents.district,
        "street": residents.street,
        **sums.figures(),
        **consent,
    }
    del row["consent_projects"]
    return row, sums


def participation(
    projects: Iterable[Residents], start: dt.datetime, cutoff: dt.datetime
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The rows (each district, then each street, then each project, with a
    ``level``) and the overall figures; ([], {}) when no project had residents'
    activity inside the quarter."""
    project_rows: list[dict[str, Any]] = []
    totals: dict[tuple[str, str, str], _Sums] = {}
    overall = _Sums()
    for residents in projects:
        found = project_participation(residents, start, cutoff)
        if found is None:
            continue
        row, sums = found
        project_rows.append(row)
        overall.add(sums)
        for level in AGGREGATE_LEVELS:
            key = (level, residents.district, residents.street if level == "street" else "")
            totals.setdefault(key, _Sums()).add(sums)
    if not project_rows:
        return [], {}
    rows: list[dict[str, Any]] = []
    for level in AGGREGATE_LEVELS:
        for (at, district, street), sums in sorted(totals.items()):
            if at == level:
                rows.append(
                    {
                        "level": level,
                        "project_id": None,
                        "project": None,
                        "district": district,
                        "street": street or None,
                        "projects": sums.projects,
                        **sums.figures(),
                    }
                )
    rows += sorted(project_rows, key=lambda r: (r["district"], r["street"], r["project_id"]))
    return rows, {"projects": overall.projects, **overall.figures()}
