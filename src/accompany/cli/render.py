"""Rich output for people: tables and one-line confirmations, in the chosen language,
with names (never ids, but in an id column where a script may need one).

Text from people is always a ``Text`` (never markup: ``[/bold]`` in a name prints as
it is) and shown through :func:`printable` (control characters escaped). Columns
holding names fold; dates and deadlines never wrap, so an 80-column terminal wraps a
long project name instead of cutting a deadline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..i18n import translate
from ..labels import label
from ..models.calendar import UNKNOWN_YEAR
from ..models.delegation import on_behalf_label
from ..models.errors import N_
from ..models.events import Event, EventKind
from ..presenting import event_summary, evidence_text, party_changes, printable

if TYPE_CHECKING:  # annotations only: `stage done` needs no worklists at start-up
    from ..services.portfolio import PortfolioRow
    from ..services.queries import EventView, ProjectDetail, StageDetail, Timing

STATE_STYLE = {
    "pending": "dim",
    "in_progress": "yellow",
    "submitted": "cyan",
    "approved": "green",
}


def text(value: Any, style: str = "") -> Text:
    """A value from people or the database as plain text (no markup, no control
    characters)."""
    return Text(printable("" if value is None else str(value)), style=style)


def when(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "—"


def due_text(t: Timing, lang: str = "zh") -> Text:
    if t.due is None:
        return Text("—", style="dim")
    shown = Text(t.due.isoformat())
    if t.provisional:
        shown.append(" " + translate("provisional", lang), style="bold magenta")
    return shown


def timing_text(t: Timing, state: str, lang: str = "zh") -> Text:
    if t.paused:
        return Text(translate("Clock paused", lang), style="magenta")
    if state != "in_progress" or t.due is None:
        return Text("")
    if t.overdue:
        if t.working_days_overdue == 0:  # due on a day off, late by calendar days only
            return Text(translate("{days} days overdue", lang, days=t.days_overdue), style="bold red")
        return Text(
            translate("{days} working days overdue", lang, days=t.working_days_overdue), style="bold red"
        )
    left = t.working_days_left or 0
    return Text(translate("{days} working days left", lang, days=left), style="red" if left <= 3 else "")


def _table(title: str, columns: Iterable[tuple[str, dict[str, Any]]]) -> Table:
    table = Table(title=title)
    for header, options in columns:
        table.add_column(header, **options)
    return table


FOLD = {"overflow": "fold"}
KEEP = {"no_wrap": True}


def _stage_cell(name: str, state: str, waiting_for: str | None, lang: str) -> Text:
    cell = text(name, STATE_STYLE.get(state, ""))
    cell.append(" " + label("state", state, lang))
    if waiting_for:
        cell.append(f" ({label('level', waiting_for, lang)})", style="cyan")
    return cell


def projects_table(projects: list[PortfolioRow], lang: str) -> Table:
    _ = _t(lang)
    table = _table(
        _("Projects"),
        [
            ("ID", KEEP),
            (_("Project"), FOLD),
            (_("Street / community"), FOLD),
            (_("Planner"), FOLD),
            (_("Approved"), KEEP),
            (_("Current stage"), FOLD),
            (_("Due"), KEEP),
            (_("Status"), KEEP),
        ],
    )
    for p in projects:
        stages = p.current
        if p.status in ("suspended", "cancelled"):
            stopped = Text(label("status", p.status, lang), style="bold yellow")
            stopped.append(text(f": {p.status_reason}" if p.status_reason else ""))
            table.add_row(
                str(p.id),
                text(p.name),
                text(f"{p.street} / {p.community}"),
                text(p.planner),
                f"{p.stages_approved}/{p.stages_total}",
                stopped,
                Text(""),
                Text(label("status", p.status, lang), style="yellow"),
            )
            continue
        table.add_row(
            str(p.id),
            text(p.name),
            text(f"{p.street} / {p.community}"),
            text(p.planner),
            f"{p.stages_approved}/{p.stages_total}",
            Text("\n").join(_stage_cell(s.name, s.state, s.waiting_for, lang) for s in stages)
            if stages
            else _not_begun(p.status, p.start_date, lang),
            Text("\n").join(due_text(s.timing, lang) for s in stages) if stages else Text(""),
            Text("\n").join(timing_text(s.timing, s.state, lang) for s in stages) if stages else Text(""),
        )
    return table


def _list(items: Iterable[str]) -> str:
    return "、".join(items)


def signing_text(s: StageDetail, lang: str) -> Text | None:
    """The signing table of the joint step a stage waits for, on one line:
    会签 — signed: 设计单位 李工 …; awaiting: 施工单位 …"""
    if s.signing is None:
        return None
    _ = _t(lang)
    signed = [
        f"{label('level', x.party, lang)} {x.person_name} {when(x.at)}"
        for x in s.signing.signatures
        if x.signed
    ]
    awaited = [
        f"{label('level', x.party, lang)} {x.person_name or '—'}"
        for x in s.signing.signatures
        if x.party in s.signing.awaited
    ]
    return text(
        _(
            "{stage} — {step}: signed {signed}; awaiting {awaited}",
            stage=s.name,
            step=label("level", s.signing.mode, lang),
            signed=_list(signed) or "—",
            awaited=_list(awaited) or "—",
        )
    )


def _is_closed(events: list[Event], stage: str | None) -> bool:
    return any(e.stage == stage and e.kind is EventKind.STAGE_SUBMITTED for e in events)


def _t(lang: str):  # type: ignore[no-untyped-def]
    def gettext(message: str, **values: Any) -> str:
        return translate(message, lang, **values)

    return gettext


def _not_begun(status: str, start_date: dt.date, lang: str) -> Text:
    """The current-stage cell of an active project none of whose stages has begun:
    its start day is still to come (the daily sweep starts its first stages then)."""
    if status == "active":
        return Text(_t(lang)("Begins on {day}", day=start_date.isoformat()), style="cyan")
    return Text(label("status", status, lang), style="green")


def project_header(p: ProjectDetail, lang: str) -> Group:
    _ = _t(lang)
    title = Text(f"#{p.id} ", style="bold")
    title.append(text(p.name, "bold"))
    title.append(f"  {label('status', p.status, lang)}")
    lines = [title]
    if p.status == "active" and all(s.state == "pending" for s in p.stages):
        lines.append(text(_("Begins on {day}", day=p.start_date.isoformat()), "cyan"))
    if p.status_reason:
        lines.append(
            text(
                _(
                    "{status} since {when} by {name}: {reason}",
                    status=label("status", p.status, lang),
                    when=when(p.status_since),
                    name=p.status_by_name,
                    reason=p.status_reason,
                ),
                "bold yellow",
            )
        )
    lines += [
        text(f"{p.district_name} / {p.street_name} / {p.community}"),
        text(f"{_('Planner')} {p.planner_name}    {_('Coordinator')} {p.coordinator_name}"),
        *(
            [
                text(
                    _("Parties")
                    + " "
                    + "    ".join(f"{label('role', x.role, lang)} {x.person_name}" for x in p.parties)
                )
            ]
            if p.parties
            else []
        ),
        text(
            f"{_('Process')} {p.template_name} ({p.template})    {_('Started')} {p.start_date.isoformat()}"
            + (
                f"    {_('Parameters')} " + ", ".join(f"{k}={v}" for k, v in p.params.items())
                if p.params
                else ""
            )
        ),
    ]
    return Group(*lines)


def _latest(s: StageDetail, lang: str) -> Text:
    """The last thing that happened to a stage, for the overview table."""
    if s.approvals and (s.submitted_at is None or s.approvals[-1].at >= s.submitted_at):
        a = s.approvals[-1]
        return text(
            f"{label('level', a.level, lang)} {label('decision', a.decision, lang)} "
            f"{on_behalf_label(a.by_name, a.on_behalf_of_name, lang)} {when(a.at)}"
        )
    if s.submitted_at:
        return text(f"{translate('Marked done', lang)} {when(s.submitted_at)}")
    if s.activated_at:
        return text(f"{translate('Stage started', lang)} {when(s.activated_at)}")
    return Text("")


def stages_table(p: ProjectDetail, lang: str) -> Table:
    _ = _t(lang)
    table = _table(
        _("Stages"),
        [
            ("#", KEEP),
            (_("Stage"), FOLD),
            (_("State"), FOLD),
            (_("Due (Beijing time)"), KEEP),
            ("", KEEP),
            (_("Deadline rule"), FOLD),
            (_("Latest"), FOLD),
        ],
    )
    phase = None
    for index, s in enumerate(p.stages, start=1):
        if s.phase != phase:
            phase = s.phase
            table.add_row("", text(s.phase_name or s.phase, "bold"), "", "", "", "", "")
        state = Text(label("state", s.state, lang), style=STATE_STYLE.get(s.state, ""))
        if s.waiting_for:
            state.append(" → " + label("level", s.waiting_for, lang), style="cyan")
        open_extension = next((e for e in s.extensions if e.status == "requested"), None)
        if open_extension:
            state.append(
                " " + _("(extension of {days} working days asked)", days=open_extension.working_days)
            )
        table.add_row(
            str(index),
            text(s.name),
            state,
            due_text(s.timing, lang),
            timing_text(s.timing, s.state, lang),
            text(s.rule),
            _latest(s, lang),
        )
    return table


def evidence_lines(p: ProjectDetail, lang: str) -> list[Text]:
    """Per stage: its evidence by label, files, notes, returns, paused clocks,
    extensions (asked and decided), and the basis of a provisional deadline."""
    _ = _t(lang)
    lines: list[Text] = []

    def line(stage: StageDetail, what: str, body: str, style: str = "") -> None:
        row = Text(f"{stage.name} ", style="bold")
        row.append(f"{what}: ", style=style)
        row.append(printable(body))
        lines.append(row)

    for s in p.stages:
        values = {e.key: e.value for e in s.evidence_items if e.type != "attachment" and e.value is not None}
        labels = {e.key: e.label for e in s.evidence_items}
        if values:
            line(s, _("evidence"), evidence_text(values, labels, lang))
        if s.attachments:
            line(
                s,
                _("files"),
                ", ".join(
                    f"{labels.get(a.key or '', _('photo'))}: {a.filename} (#{a.id})" for a in s.attachments
                ),
            )
        for note in s.notes:
            line(s, _("note"), f"{note.by_name} {when(note.at)}: {note.text}")
        for r in (a for a in s.approvals if a.decision == "returned"):
            by = on_behalf_label(r.by_name, r.on_behalf_of_name, lang)
            line(s, _("returned"), f"{by} {when(r.at)}: {r.comment or ''}", "red")
        for pause in s.pauses:
            end = when(pause.resumed_at) if pause.resumed_at else _("now")
            line(
                s,
                _("clock paused"),
                f"{when(pause.paused_at)} → {end} ({pause.paused_by_name}): {pause.reason}",
                "magenta",
            )
        for x in s.extensions:
            decided_by = on_behalf_label(x.decided_by_name or "", x.decided_on_behalf_of_name, lang)
            decided = ""
            if x.status == "granted":
                decided = _("{days} working days granted by {name}", days=x.granted_days, name=decided_by)
            elif x.status == "refused":
                decided = _("refused by {name}", name=decided_by)
            else:
                decided = label("extension", x.status, lang)
            comment = f" — {x.comment}" if x.comment else ""
            line(
                s,
                _("extension"),
                _("{days} working days: {reason}", days=x.working_days, reason=x.reason)
                + f"; {decided}{comment}",
            )
        if s.timing.provisional and s.deadline_basis:
            # the years the deadline touches whose holidays are unknown, not every year
            calendar = s.deadline_basis.get("calendar") or {}
            years = ", ".join(str(y) for y, source in calendar.items() if source == UNKNOWN_YEAR)
            line(
                s,
                _("provisional deadline"),
                _("{years}: holidays not published yet; counted on weekdays", years=years),
                "magenta",
            )
    return lines


def events_table(p: ProjectDetail, lang: str) -> Table:
    _ = _t(lang)
    table = _table(
        _("Audit log"),
        [
            ("#", KEEP),
            (_("When"), KEEP),
            (_("Who"), FOLD),
            (_("What"), FOLD),
            (_("Stage"), FOLD),
            (_("Details"), FOLD),
            (_("Via"), FOLD),
        ],
    )
    labels = {s.key: {e.key: e.label for e in s.evidence_items} for s in p.stages}
    for e in p.events or []:
        who = _("system") if e.actor == "system" else e.actor_name
        via = label("channel", e.channel, lang) + (f" ({e.os_user})" if e.os_user else "")
        table.add_row(
            str(e.id),
            event_when(e, lang),
            text(who),
            label("event", e.kind, lang),
            text(e.stage_name or ""),
            text(event_summary(e.kind, e.data, labels.get(e.stage or "", {}), lang)),
            text(via),
        )
    return table


def event_when(e: EventView, lang: str) -> str:
    """When an event happened; a back-dated one also says when it was recorded
    ("2026-04-10 09:00 (recorded 2026-11-26 10:03)")."""
    if not e.backdated or e.recorded_at is None:
        return when(e.at)
    _ = _t(lang)
    return _("{when} (recorded {recorded})", when=when(e.at), recorded=when(e.recorded_at))


def outcome_line(
    events: list[Event],
    project_id: int | None,
    lang: str,
    stage_names: dict[str, str],
    today: dt.date | None = None,
) -> Text:
    """One sentence saying what a command did and what happens next (and, when a
    new deadline is already past, that it is)."""
    _ = _t(lang)
    parts: list[str] = []
    for e in events:
        stage = stage_names.get(e.stage or "", e.stage or "")
        if e.kind is EventKind.PROJECT_STARTED:
            parts.append(_("started project #{id} “{name}”", id=project_id, name=e.data["name"]))
        elif e.kind is EventKind.STAGE_SUBMITTED:
            parts.append(_("{stage} marked done", stage=stage))
        elif e.kind is EventKind.STAGE_APPROVED and e.data.get("party") and e.data.get("awaited"):
            parts.append(
                _(
                    "{stage} signed by the {party}; awaiting {awaited}",
                    stage=stage,
                    party=label("level", e.data["party"], lang),
                    awaited=_list(label("level", p, lang) for p in e.data["awaited"]),
                )
            )
        elif e.kind is EventKind.STAGE_APPROVED:
            level = label("level", e.data.get("level"), lang)
            if e.data.get("final"):
                parts.append(
                    _("{stage} approved ({level})", stage=stage, level=level or _("no approval required"))
                )
            else:
                parts.append(
                    _(
                        "{stage} approved by the {level}; waits for the {next}",
                        stage=stage,
                        level=level,
                        next=label("level", e.data.get("next_level"), lang),
                    )
                )
        elif e.kind is EventKind.STAGE_RETURNED:
            parts.append(_("{stage} returned: {reason}", stage=stage, reason=e.data["reason"]))
        elif e.kind is EventKind.STAGE_DECISION_UNDONE:
            level = label("level", e.data.get("level"), lang)
            if e.data.get("party") and e.data.get("decision") == "returned":
                parts.append(
                    _(
                        "{stage}: the {party}'s return undone; the round's signatures count again",
                        stage=stage,
                        party=level,
                    )
                )
            elif e.data.get("party"):
                parts.append(
                    _(
                        "{stage}: the {party}'s signature undone; the joint signing waits for it again",
                        stage=stage,
                        party=level,
                    )
                )
            elif e.data.get("decision") == "returned":
                parts.append(
                    _("{stage}: return undone; waits for the {level} again", stage=stage, level=level)
                )
            else:
                parts.append(
                    _("{stage}: approval undone; waits for the {level} again", stage=stage, level=level)
                )
            for other in e.data.get("stages_not_started") or ():
                parts.append(_("{stage} not started", stage=stage_names.get(other, other)))
        elif e.kind is EventKind.STAGE_LOOPED:
            target = e.data.get("target", "")
            parts.append(
                _(
                    "{stage} failed: back to {target} for round {round} ({reason})",
                    stage=stage,
                    target=stage_names.get(target, target),
                    round=(e.data.get("rounds") or {}).get(target, "?"),
                    reason=e.data.get("reason", ""),
                )
            )
        elif e.kind is EventKind.STAGE_ACTIVATED and events[0].kind is not EventKind.PROJECT_STARTED:
            parts.append(_("{stage} started", stage=stage))
        elif e.kind in (EventKind.DEADLINE_SET, EventKind.DEADLINE_CHANGED) and e.stage:
            flag = _(" (provisional)") if e.data.get("provisional") else ""
            if e.kind is EventKind.DEADLINE_CHANGED:
                parts.append(
                    _(
                        "{stage} due {before} → {after}{flag}",
                        stage=stage,
                        before=e.before,
                        after=e.after,
                        flag=flag,
                    )
                )
            else:
                parts.append(_("{stage} due {after}{flag}", stage=stage, after=e.after, flag=flag))
            past = today is not None and e.after is not None and e.after < today.isoformat()
            if past and not _is_closed(events, e.stage):
                parts.append(_("the new deadline {day} is already past: the stage is overdue", day=e.after))
        elif e.kind is EventKind.CLOCK_PAUSED:
            parts.append(_("{stage} clock paused", stage=stage))
        elif e.kind is EventKind.CLOCK_RESUMED:
            parts.append(
                _(
                    "{stage} clock resumed after {days} working days",
                    stage=stage,
                    days=e.data.get("paused_working_days"),
                )
            )
        elif e.kind is EventKind.EXTENSION_REQUESTED:
            parts.append(
                _("{stage}: extension of {days} working days asked", stage=stage, days=e.data["working_days"])
            )
        elif e.kind is EventKind.EXTENSION_GRANTED:
            parts.append(
                _(
                    "{stage}: extension of {days} working days granted",
                    stage=stage,
                    days=e.data["granted_days"],
                )
            )
        elif e.kind is EventKind.EXTENSION_WITHDRAWN:
            parts.append(
                _(
                    N_("{stage}: the extension request of {days} working days is withdrawn (a new round)")
                    if e.data.get("why", "new_round") == "new_round"
                    else N_(
                        "{stage}: the extension request of {days} working days is withdrawn (nothing left to "
                        "extend)"
                    ),
                    stage=stage,
                    days=e.data["working_days"],
                )
            )
        elif e.kind is EventKind.EXTENSION_REFUSED:
            parts.append(_("{stage}: extension refused: {reason}", stage=stage, reason=e.data["comment"]))
        elif e.kind is EventKind.PROJECT_COMPLETED:
            parts.append(_("project completed"))
        elif e.kind is EventKind.PROJECT_SUSPENDED:
            parts.append(_("project #{id} suspended: {reason}", id=project_id, reason=e.data.get("reason")))
        elif e.kind is EventKind.PROJECT_RESUMED:
            parts.append(
                _(
                    "project #{id} resumed after {days} working days",
                    id=project_id,
                    days=e.data.get("suspended_working_days"),
                )
            )
        elif e.kind is EventKind.PROJECT_CANCELLED:
            parts.append(_("project #{id} cancelled: {reason}", id=project_id, reason=e.data.get("reason")))
        elif e.kind is EventKind.PROJECT_HANDED_OVER:
            parts.append(
                _(
                    "project #{id} handed over: {before} → {after}",
                    id=project_id,
                    before=e.data.get("from_name") or e.before,
                    after=e.data.get("to_name") or e.after,
                )
            )
        elif e.kind is EventKind.PROJECT_EDITED:
            for what, before, after in party_changes(e.data, lang):
                parts.append(_("{what}: {before} → {after}", what=what, before=before, after=after))
            for key, (before, after) in (e.data.get("changes") or {}).items():
                what = _("name") if key == "name" else _("community")
                parts.append(_("{what}: {before} → {after}", what=what, before=before, after=after))
    return text("；".join(parts) if lang == "zh" else "; ".join(parts))


def show_bad_rows(bad: Iterable[Any], file: Any, lang: str, *, json_out: bool) -> None:
    """The rows a file import refused (projects, a household register): row, column
    (the file's own header) and problem — as JSON or as a table."""
    from ..i18n import error_text
    from .common import console, print_json

    bad = list(bad)
    if json_out:
        print_json([{"row": b.row, "column": b.column, "reason": error_text(b.problem, lang)} for b in bad])
        return
    table = Table(title=translate("bad rows in {file}", lang, file=file))
    table.add_column(translate("Row", lang), no_wrap=True)
    table.add_column(translate("Column", lang), overflow="fold")
    table.add_column(translate("Problem", lang), overflow="fold")
    for b in bad:
        table.add_row(str(b.row), text(b.column), text(error_text(b.problem, lang)))
    console.print(table)
