"""The SQL a project's load and save run, built once per process.

Constructing these statements per command cost more than running them; built at
import, they also keep their ids (the driver cursor's cache, :mod:`accompany.db.driver_cursor`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Date,
    String,
    Text,
    bindparam,
    cast,
    exists,
    func,
    insert,
    literal_column,
    select,
    update,
)

from ..models.events import SYSTEM_ACTOR
from .orm import (
    ApprovalRow,
    AttachmentRow,
    ClockPauseRow,
    DelegationRow,
    DistrictRow,
    EventRow,
    ExtensionRow,
    PersonRow,
    ProjectPartyRow,
    ProjectRow,
    StageRow,
    StreetRow,
)

P, S = ProjectRow.__table__, StageRow.__table__
PP = ProjectPartyRow.__table__
PARTIES = select(PP.c.role, PP.c.person_id).where(PP.c.project_id == bindparam("project_id"))
A, AT, CP, X = ApprovalRow.__table__, AttachmentRow.__table__, ClockPauseRow.__table__, ExtensionRow.__table__
CHILD_TABLES = {"attachments": AT, "approvals": A, "pauses": CP, "extensions": X}
INSERT_CHILD = {
    table.name: insert(table).returning(table.c.id, sort_by_parameter_order=True)
    for table in CHILD_TABLES.values()
}
# statements a command runs every time, built once (see _stages_statement)
_ST, _DI = StreetRow.__table__, DistrictRow.__table__
# the street's and district's names come along for the messages people read
_NAMES = (_ST.c.name.label("street_name"), _DI.c.name.label("district_name"))
PROJECT = (
    select(P, *_NAMES)
    .join(_ST, _ST.c.id == P.c.street_id)
    .join(_DI, _DI.c.id == P.c.district_id)
    .where(P.c.id == bindparam("project_id"))
)
PROJECT_FOR_UPDATE = PROJECT.with_for_update(of=P)
INSERT_PROJECT = insert(P).returning(P.c.id, sort_by_parameter_order=True)
INSERT_STAGES = insert(S)
INSERT_STAGES_RETURNING = insert(S).returning(S.c.id, S.c.key, sort_by_parameter_order=True)
_ACTOR = PersonRow.__table__
_PLANNER, _COORDINATOR, _SYSTEM = (_ACTOR.alias(name) for name in ("planner", "coordinator", "system_actor"))
PROJECT_AND_ACTOR = (
    select(
        P,
        *_NAMES,
        _PLANNER.c.name.label("planner_name"),
        _COORDINATOR.c.name.label("coordinator_name"),
        _SYSTEM.c.name.label("system_name"),
        # the actor as a command needs them (not their phone)
        *(column.label(f"a_{column.name}") for column in _ACTOR.c if column.name != "phone"),
    )
    .join(_ST, _ST.c.id == P.c.street_id)
    .join(_DI, _DI.c.id == P.c.district_id)
    .outerjoin(_ACTOR, _ACTOR.c.id == bindparam("person_id"))
    .outerjoin(_PLANNER, _PLANNER.c.id == P.c.planner_id)
    .outerjoin(_COORDINATOR, _COORDINATOR.c.id == P.c.coordinator_id)
    .outerjoin(_SYSTEM, _SYSTEM.c.id == literal_column(f"'{SYSTEM_ACTOR}'", String))
    .where(P.c.id == bindparam("project_id"))
)
PROJECT_AND_ACTOR_FOR_UPDATE = PROJECT_AND_ACTOR.with_for_update(of=P)
_STAGE_FIELDS = (
    "state",
    "round",
    "activated_at",
    "submitted_at",
    "approved_at",
    "fixed_due",
    "due_date",
    "due_provisional",
    "deadline",
    "paused_since",
    "waiting_for",
    "evidence",
    "version",
)
UPDATE_STAGE = (
    update(S)
    .where(S.c.id == bindparam("b_id"), S.c.version == bindparam("b_version"))
    .values({name: bindparam(name) for name in _STAGE_FIELDS})
)


def _key(name: str) -> Any:
    """A JSON object's key as a string literal in the SQL text (names of columns)."""
    assert name.replace("_", "").isalnum()
    return literal_column(f"'{name}'", String)


# the stage columns a project is built from (the others are derived from these)
_STAGE_COLUMNS = (
    "id",
    "key",
    "position",
    "state",
    "round",
    "activated_at",
    "submitted_at",
    "approved_at",
    "fixed_due",
    "deadline",
    "evidence",
    "version",
)


def _stages_statement(dialect: str, *, last_events: bool = False, delegation_day: bool = False) -> Any:
    """A project's stages, each with its approvals, pauses, extensions and
    attachments as JSON arrays (one correlated subquery per kind), and the project's
    parties (a JSON object, the same on every row), in one query. Built once per
    dialect: constructing it per command cost more than running it."""
    columns = [S.c[name].label(f"s_{name}") for name in _STAGE_COLUMNS]
    person = PersonRow.__table__
    for name, table in CHILD_TABLES.items():
        # the keys as SQL text, not bound parameters (37 of them to send and adapt on
        # every load otherwise)
        fields = [part for column in table.c for part in (_key(column.name), column)]
        if name == "pauses":  # who paused, by name, for the messages people read
            pauser = select(person.c.name).where(person.c.id == table.c.paused_by).scalar_subquery()
            fields += [_key("paused_by_name"), pauser]
        if dialect == "postgresql":
            # NULL, not '[]', when there are none (most stages have no pauses,
            # extensions or attachments): nothing for the driver to parse
            aggregate = func.json_agg(func.json_build_object(*fields))
        else:
            aggregate = func.json_group_array(func.json_object(*fields))
        children = select(aggregate).where(table.c.stage_id == S.c.id).scalar_subquery()
        columns.append(children.label(f"c_{name}"))
    # uncorrelated: computed once per statement; as text, parsed once per project
    if dialect == "postgresql":
        parties = cast(func.json_object_agg(PP.c.role, PP.c.person_id), Text)
    else:
        parties = func.json_group_object(PP.c.role, PP.c.person_id)
    columns.append(
        select(parties).where(PP.c.project_id == bindparam("project_id")).scalar_subquery().label("parties")
    )
    if delegation_day:
        # whether any delegation covers the command's date: when none does (the
        # usual case), its notifications and decisions need no lookup of substitutes
        d, day = DelegationRow.__table__, bindparam("day", type_=Date)
        columns.append(exists().where(d.c.starts_on <= day, d.c.ends_on >= day).label("delegations_on_day"))
    query = select(*columns).where(S.c.project_id == bindparam("project_id")).order_by(S.c.position)
    if last_events:
        # each stage's last event, for the time rules of a command (one pass over
        # the project's events in the same statement, instead of a query more)
        e = EventRow.__table__
        last = (
            select(e.c.stage_key, func.max(e.c.occurred_at).label("last_event_at"))
            .where(e.c.project_id == bindparam("project_id"))
            .group_by(e.c.stage_key)
            .subquery("last_event")
        )
        query = query.add_columns(last.c.last_event_at).outerjoin_from(S, last, last.c.stage_key == S.c.key)
    return query


STAGES = {dialect: _stages_statement(dialect) for dialect in ("postgresql", "sqlite")}
STAGES_FOR_WRITE = {
    (dialect, day): _stages_statement(dialect, last_events=True, delegation_day=day)
    for dialect in ("postgresql", "sqlite")
    for day in (False, True)
}
