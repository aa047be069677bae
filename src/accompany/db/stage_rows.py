"""A stage as stored and as the domain knows it (``models.project.Stage``).

The stages statement's rows (with their child records as JSON arrays) become
stages; a stage and its child records become the column values written back.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from ..models.deadlines import Deadline
from ..models.stage import ApprovalRecord, Attachment, ClockPause, ExtensionRequest, Stage
from ..models.states import StageState
from ..models.template import ApprovalLevel, PartyRole, ProcessTemplate
from .project_statements import CHILD_TABLES


def _deadline(record: dict[str, Any] | None) -> Deadline | None:
    if not record:
        return None
    basis = {
        k: v
        for k, v in record.items()
        if k not in ("due", "provisional", "base_due", "paused_working_days", "extension_working_days")
    }
    return Deadline(
        due=dt.date.fromisoformat(record["due"]),
        provisional=record["provisional"],
        base_due=dt.date.fromisoformat(record["base_due"]),
        paused_working_days=record.get("paused_working_days", 0),
        extension_working_days=record.get("extension_working_days", 0),
        basis=basis,
    )


_CHILD_COLUMNS = tuple((name, f"c_{name}") for name in CHILD_TABLES)


def _by_id(record: dict[str, Any]) -> Any:
    return record["id"]


def stage_children(row: Any) -> dict[str, list[dict[str, Any]]]:
    """A stages statement row's child records by kind, each kind in id order."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, column in _CHILD_COLUMNS:
        raw = getattr(row, column)
        if not raw:  # none of this kind (NULL on PostgreSQL)
            out[name] = []
            continue
        records = json.loads(raw) if isinstance(raw, str) else raw
        out[name] = sorted(records, key=_by_id)
    return out


def _instant(value: Any) -> dt.datetime | None:
    """A datetime read back from JSON: ISO text, naive meaning UTC (SQLite)."""
    if value is None:
        return None
    moment = dt.datetime.fromisoformat(value)
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def stage_from_row(row: Any, template: ProcessTemplate, children: dict[str, list[dict[str, Any]]]) -> Stage:
    """The stage of a stages statement row, its child records as :func:`stage_children` gives them."""
    return Stage(
        key=row.s_key,
        position=row.s_position,
        state=StageState(row.s_state),
        round=row.s_round,
        activated_at=row.s_activated_at,
        submitted_at=row.s_submitted_at,
        approved_at=row.s_approved_at,
        fixed_due=row.s_fixed_due,
        deadline=_deadline(row.s_deadline),
        evidence=dict(row.s_evidence or {}),
        attachments=[
            Attachment(
                a["key"],
                a["filename"],
                a["sha256"],
                a["size"],
                a["stored_as"],
                a["added_by"],
                _instant(a["added_at"]),
                a["id"],
            )
            for a in children["attachments"]
        ],
        approvals=[
            ApprovalRecord(
                a["round"],
                approval_level(a["level"]),
                a["decision"],
                a["decided_by"],
                _instant(a["decided_at"]),
                a["comment"],
                a["id"],
            )
            for a in children["approvals"]
        ],
        pauses=[
            ClockPause(
                _instant(p["paused_at"]),
                p["paused_by"],
                p["reason"],
                _instant(p["resumed_at"]),
                p["resumed_by"],
                p["id"],
                paused_by_name=p.get("paused_by_name") or "",
                suspension=bool(p.get("suspension")),
            )
            for p in children["pauses"]
        ],
        extensions=[
            ExtensionRequest(
                _instant(e["requested_at"]),
                e["requested_by"],
                e["working_days"],
                e["reason"],
                e["status"],
                e["decided_by"],
                _instant(e["decided_at"]),
                e["granted_days"],
                e["comment"],
                e["id"],
            )
            for e in children["extensions"]
        ],
        version=row.s_version,
        spec=template.stage(row.s_key),
    )


def approval_level(value: str) -> ApprovalLevel | PartyRole:
    """A decision's level as stored: a level, or the party that signed a joint step."""
    return ApprovalLevel(value) if value in ApprovalLevel._value2member_map_ else PartyRole(value)


def stage_values(stage: Stage) -> dict[str, Any]:
    pause = stage.open_pause()
    waiting = stage.next_approval_level()
    return {
        "state": stage.state.value,
        "round": stage.round,
        "activated_at": stage.activated_at,
        "submitted_at": stage.submitted_at,
        "approved_at": stage.approved_at,
        "fixed_due": stage.fixed_due,
        "due_date": stage.deadline.due if stage.deadline else None,
        "due_provisional": stage.deadline.provisional if stage.deadline else False,
        "deadline": stage.deadline.to_record() if stage.deadline else None,
        "paused_since": pause.paused_at if pause else None,
        "waiting_for": waiting.value if waiting else None,
        "evidence": dict(stage.evidence),
    }


def attachment_values(a: Attachment) -> dict[str, Any]:
    return {
        "key": a.key,
        "filename": a.filename,
        "sha256": a.sha256,
        "size": a.size,
        "stored_as": a.stored_as,
        "added_by": a.added_by,
        "added_at": a.added_at,
    }


def approval_values(a: ApprovalRecord) -> dict[str, Any]:
    return {
        "round": a.round,
        "level": a.level.value,
        "decision": a.decision,
        "decided_by": a.decided_by,
        "decided_at": a.decided_at,
        "comment": a.comment,
    }


def pause_values(p: ClockPause) -> dict[str, Any]:
    return {
        "paused_at": p.paused_at,
        "paused_by": p.paused_by,
        "reason": p.reason,
        "resumed_at": p.resumed_at,
        "resumed_by": p.resumed_by,
        "suspension": p.suspension,
    }


def extension_values(e: ExtensionRequest) -> dict[str, Any]:
    return {
        "requested_at": e.requested_at,
        "requested_by": e.requested_by,
        "working_days": e.working_days,
        "reason": e.reason,
        "status": e.status,
        "decided_by": e.decided_by,
        "decided_at": e.decided_at,
        "granted_days": e.granted_days,
        "comment": e.comment,
    }
