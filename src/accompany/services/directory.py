"""The organisation and its people: a directory file loaded, a person deactivated or
reactivated (their sign-ins end at once), each recorded in the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..models.errors import Conflict
from ..models.events import Event, EventKind
from ..models.people import Directory
from .recording import record

if TYPE_CHECKING:
    from ..bootstrap import App


def load_directory(
    app: App, directory: Directory, *, deactivate_missing: bool = False, by: str = "operator"
) -> dict[str, int]:
    """Insert or update the organisation and the people; returns counts.

    An active person the file leaves out is refused (a truncated file must not lock
    people out) unless ``deactivate_missing``: then they are deactivated, and so is
    anyone the file marks ``active: false`` — their sessions and API tokens end at
    once. The audit log records who loaded the file and what changed."""
    from ..models.households import mask_contact
    from .accounts import end_access

    now = app.acting_time().at
    counts = {"added": 0, "updated": 0, "unchanged": 0, "deactivated": 0}
    listed = {p.id for p in directory.people}
    with app.uow() as uow:
        missing = sorted(uow.people.active_ids() - listed)
        if missing and not deactivate_missing:
            names = ", ".join(uow.people.get(pid).label for pid in missing[:10])
            raise Conflict(
                "the file leaves out {count} active person(s): {names}; add them back, or load with "
                "--deactivate-missing to deactivate them (their sign-ins end)",
                count=len(missing),
                names=names + (" …" if len(missing) > 10 else ""),
            )
        for district in directory.districts:
            uow.people.upsert_district(district)
        for team in directory.teams:  # named or renamed; a team left out keeps its name
            uow.people.upsert_team(team)
        uow.session.flush()
        added: list[str] = []
        updated: dict[str, dict[str, list[Any]]] = {}
        ended: list[str] = []
        for person in directory.people:
            status, changes = uow.people.upsert_with_changes(person)
            counts[status] += 1
            if status == "added":
                added.append(person.id)
            elif status == "updated":
                if "phone" in changes:
                    # the audit log, which is kept for good, never holds a whole phone number
                    changes["phone"] = [mask_contact(v) or None for v in changes["phone"]]
                updated[person.id] = changes
                if changes.get("active") == [True, False]:
                    ended.append(person.id)
        for person_id in missing:
            uow.people.set_active(person_id, False)
            counts["deactivated"] += 1
            ended.append(person_id)
        uow.session.flush()
        for person_id in ended:
            end_access(uow, person_id, now)
        record(
            app,
            uow,
            None,
            [
                Event(
                    EventKind.PEOPLE_LOADED,
                    now,
                    by,
                    data={
                        **counts,
                        "people": len(directory.people),
                        "added_ids": added,
                        "changed": updated,
                        "deactivated_ids": missing,
                    },
                )
            ],
        )
        uow.commit()
    return counts


def set_person_active(app: App, person_id: str, active: bool, *, by: str) -> bool:
    """Deactivate (their sessions and API tokens end at once) or reactivate a person;
    False when they already were so."""
    from .accounts import end_access

    now = app.acting_time().at
    with app.uow() as uow:
        changed = uow.people.set_active(person_id, active)
        if changed:
            uow.session.flush()
            sessions, tokens = (0, 0) if active else end_access(uow, person_id, now)
            kind = EventKind.PERSON_ACTIVATED if active else EventKind.PERSON_DEACTIVATED
            data = (
                {"person": person_id}
                if active
                else {"person": person_id, "sessions_ended": sessions, "tokens_revoked": tokens}
            )
            record(app, uow, None, [Event(kind, now, by, data=data)])
        uow.commit()
    return changed
