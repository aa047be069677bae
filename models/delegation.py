"""Delegation (代理审批): a street-office or district person names a substitute who
decides in their place for a range of Beijing dates.

During the range the substitute approves, returns and decides extensions with the
delegator's scope; each decision records both names (``on_behalf_of``), and the
reminders and escalations that would reach the delegator reach the substitute too.
The rules below are plain functions, each with the rule it enforces; the service
layer reads the clock and the directory and passes them in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from .deadlines import local_date
from .errors import Conflict, InvalidInput, Localized, PermissionDenied, RuleViolation
from .people import ROLE_LABELS_EN, ROLE_LABELS_ZH, Person, Role
from .reminders import Intent
from .rules import Action
from .text import has_control_characters

#: the longest delegation, in calendar days (both ends counted)
MAX_DELEGATION_DAYS = 180
#: the roles whose decisions may be delegated
DELEGATING_ROLES = frozenset({Role.STREET_OFFICE, Role.DISTRICT})
#: what a substitute may do in the delegator's place
DELEGATED_ACTIONS = frozenset({Action.APPROVE, Action.RETURN, Action.DECIDE_EXTENSION})
MAX_DELEGATION_REASON = 300


def may_stand_in(person: Person) -> bool:
    """Whether ``person`` can be anyone's substitute at all: a substitute has the
    delegator's role (:func:`substitute_fits`), so only street-office and district
    people can — nobody else's delegations need looking up."""
    return person.role in DELEGATING_ROLES


@dataclass(frozen=True)
class Delegation:
    """``substitute`` decides for ``delegator`` from ``starts_on`` to ``ends_on``
    (Beijing dates, both included) unless ended earlier (``ended_at``)."""

    delegator: str
    substitute: str
    starts_on: dt.date
    ends_on: dt.date
    created_by: str
    created_at: dt.datetime
    reason: str | None = None
    ended_at: dt.datetime | None = None
    ended_by: str | None = None
    id: int | None = None

    def in_effect(self, moment: dt.datetime) -> bool:
        """A delegation holds on every Beijing date of its range, until it is ended."""
        if self.ended_at is not None and moment >= self.ended_at:
            return False
        return self.starts_on <= local_date(moment) <= self.ends_on

    def is_over(self, moment: dt.datetime) -> bool:
        """Ended, or its last day has passed."""
        return self.ended_at is not None or local_date(moment) > self.ends_on


def _role(person: Person) -> Localized:
    return Localized(ROLE_LABELS_ZH[person.role], ROLE_LABELS_EN[person.role])


# -- naming a substitute ------------------------------------------------------------------


def may_arrange_delegation(delegator: Person, by: Person) -> None:
    """A delegation is named by the delegator themself, or by an active district
    person of the delegator's district (someone falls ill without arranging it)."""
    if by.id == delegator.id:
        return
    if by.active and by.role is Role.DISTRICT and by.district == delegator.district:
        return
    raise PermissionDenied(
        "{person} cannot name a substitute for {delegator}: only {delegator} or the district can",
        person=by.name,
        delegator=delegator.name,
    )


def delegator_may_delegate(delegator: Person) -> None:
    """Only an active street-office or district person delegates their decisions."""
    if not delegator.active:
        raise PermissionDenied("{person} is no longer active in the directory", person=delegator.name)
    if delegator.role not in DELEGATING_ROLES:
        raise PermissionDenied(
            "{person} is a {role}: only a street office or district person names a substitute",
            field="person",
            person=delegator.name,
            role=_role(delegator),
        )


def substitute_fits(delegator: Person, substitute: Person) -> None:
    """The substitute is someone else, active, of the same role and the same
    district (their streets may differ: they decide with the delegator's scope)."""
    if substitute.id == delegator.id:
        raise InvalidInput("{person} cannot be their own substitute", field="to", person=delegator.name)
    if not substitute.active:
        raise InvalidInput(
            "{person} is no longer active in the directory", field="to", person=substitute.name
        )
    if substitute.role is not delegator.role:
        raise InvalidInput(
            "{substitute} is a {role}: a substitute for {delegator} must be a {needed} too",
            field="to",
            substitute=substitute.name,
            role=_role(substitute),
            delegator=delegator.name,
            needed=_role(delegator),
        )
    if substitute.district != delegator.district:
        raise InvalidInput(
            "{substitute} belongs to another district than {delegator}",
            field="to",
            substitute=substitute.name,
            delegator=delegator.name,
        )


def range_fits(starts_on: dt.date, ends_on: dt.date, today: dt.date) -> None:
    """A range runs forward (from ≤ until), starts today or later (a delegation does
    not rewrite who decided in the past) and lasts at most
    :data:`MAX_DELEGATION_DAYS` days."""
    if ends_on < starts_on:
        raise InvalidInput(
            "the delegation ends ({until}) before it starts ({start})",
            field="until",
            until=ends_on.isoformat(),
            start=starts_on.isoformat(),
        )
    if starts_on < today:
        raise InvalidInput(
            "the delegation cannot start in the past ({start}; today is {today})",
            field="from",
            start=starts_on.isoformat(),
            today=today.isoformat(),
        )
    days = (ends_on - starts_on).days + 1
    if days > MAX_DELEGATION_DAYS:
        raise InvalidInput(
            "a delegation lasts at most {most} days, this one {days}",
            field="until",
            most=MAX_DELEGATION_DAYS,
            days=days,
        )


def no_overlap(
    new: Delegation, existing: Iterable[Delegation], now: dt.datetime, names: Mapping[str, str] | None = None
) -> None:
    """A person has one substitute at a time: ranges of their delegations that are
    still running do not overlap. ``names``: people's names by id, to name the other
    substitute as people know them."""
    for other in existing:
        if other.delegator != new.delegator or other.is_over(now):
            continue
        if other.starts_on <= new.ends_on and new.starts_on <= other.ends_on:
            raise Conflict(
                "delegation #{id} already names {substitute} for {start} to {until}; end it first",
                id=other.id if other.id is not None else "?",
                substitute=(names or {}).get(other.substitute, other.substitute),
                start=other.starts_on.isoformat(),
                until=other.ends_on.isoformat(),
            )


def new_delegation(
    delegator: Person,
    substitute: Person,
    *,
    starts_on: dt.date,
    ends_on: dt.date,
    by: Person,
    reason: str | None,
    now: dt.datetime,
    existing: Iterable[Delegation] = (),
    names: Mapping[str, str] | None = None,
) -> Delegation:
    """A delegation, once every rule on naming a substitute holds."""
    may_arrange_delegation(delegator, by)
    delegator_may_delegate(delegator)
    substitute_fits(delegator, substitute)
    range_fits(starts_on, ends_on, local_date(now))
    reason = (reason or "").strip() or None
    if reason is not None:
        if len(reason) > MAX_DELEGATION_REASON:
            raise InvalidInput(
                "the reason is longer than {most} characters", field="reason", most=MAX_DELEGATION_REASON
            )
        if has_control_characters(reason, allowed="\n\t"):
            raise InvalidInput("the reason contains control characters", field="reason")
    delegation = Delegation(
        delegator=delegator.id,
        substitute=substitute.id,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=by.id,
        created_at=now,
        reason=reason,
    )
    no_overlap(delegation, existing, now, names)
    return delegation


def may_end_delegation(delegation: Delegation, by: Person, delegator: Person, now: dt.datetime) -> None:
    """A delegation is ended early by the delegator, the substitute or a district
    person of the delegator's district; an ended or past one is not ended again."""
    if by.id not in (delegation.delegator, delegation.substitute) and not (
        by.active and by.role is Role.DISTRICT and by.district == delegator.district
    ):
        raise PermissionDenied(
            "{person} cannot end delegation #{id}: only {delegator}, the substitute or the district can",
            person=by.name,
            id=delegation.id if delegation.id is not None else "?",
            delegator=delegator.name,
        )
    if delegation.is_over(now):
        raise RuleViolation(
            "delegation #{id} is already over", id=delegation.id if delegation.id is not None else "?"
        )


# -- acting in the delegator's place ------------------------------------------------------


def acting_for(substitute: Person, delegator: Person) -> Person:
    """The substitute as they act for the delegator: their own id and name (the
    decision is theirs), the delegator's role, district and streets (the scope they
    decide for)."""
    return delegator.model_copy(
        update={"id": substitute.id, "name": substitute.name, "active": substitute.active}
    )


def on_behalf_label(name: str, delegator_name: str | None, lang: str) -> str:
    """Who decided, as people read it: "赵阳（代 孙浩）" / "Zhao Yang (for Sun Hao)"."""
    if not delegator_name:
        return name
    return f"{name}（代 {delegator_name}）" if lang == "zh" else f"{name} (for {delegator_name})"


# -- reminders ------------------------------------------------------------------------------


def substitutes_for(
    audience: str,
    delegations: Iterable[tuple[Delegation, Person]],
    street_districts: Mapping[str, str],
) -> list[str]:
    """The substitutes (person ids) a notification to ``audience`` also reaches: a
    message to the delegator in person, or to the street office or district they
    decide for, reaches whoever decides in their place (the delegator still gets
    it)."""
    kind, _, ident = audience.partition(":")
    found: list[str] = []
    for delegation, delegator in delegations:
        if kind == "person":
            hit = delegator.id == ident
        elif kind == "street-office":
            hit = delegator.role is Role.STREET_OFFICE and delegator.covers_street(
                street_districts.get(ident, ""), ident
            )
        elif kind == "district":
            hit = delegator.role is Role.DISTRICT and delegator.district == ident
        else:
            hit = False
        if hit and delegation.substitute not in found:
            found.append(delegation.substitute)
    return found


def with_substitutes(
    intents: Iterable[Intent],
    delegations: Iterable[tuple[Delegation, Person]],
    street_districts: Mapping[str, str],
) -> list[Intent]:
    """The intents, plus a copy to each substitute in person (see
    :func:`substitutes_for`); a copy the list already holds is not added twice."""
    pairs = list(delegations)
    out = list(intents)
    if not pairs:
        return out
    seen = {i.dedupe_key for i in out}
    for intent in list(out):
        for substitute in substitutes_for(intent.audience, pairs, street_districts):
            copy = replace(intent, audience=f"person:{substitute}")
            if copy.dedupe_key not in seen:
                seen.add(copy.dedupe_key)
                out.append(copy)
    return out
