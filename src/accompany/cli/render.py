"""Rich output for people: tables and one-line confirmations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.table import Table
from rich.text import Text

from ..models.events import Event, EventKind
from ..models.states import STAGE_STATE_LABELS, StageState
from ..services.queries import ProjectDetail, ProjectSummary, StageSummary, Timing

STATE_STYLE = {
    "pending": "dim",
    "in_progress": "yellow",
    "submitted": "cyan",
    "approved": "green",
}


def state_label(state: str, lang: str) -> str:
    return STAGE_STATE_LABELS[lang][StageState(state)]


def when(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "—"


def due_text(t: Timing, lang: str = "zh") -> Text:
    if t.due is None:
        return Text("—", style="dim")
    text = Text(t.due.isoformat())
    if t.provisional:
        text.append(" 暂定" if lang == "zh" else " provisional", style="bold magenta")
    return text


def timing_text(t: Timing, state: str, lang: str = "zh") -> Text:
    zh = lang == "zh"
    if t.paused:
        return Text("计时暂停" if zh else "clock paused", style="magenta")
    if state != "in_progress" or t.due is None:
        return Text("")
    if t.overdue:
        label = f"逾期 {t.working_days_overdue} 个工作日" if zh else f"{t.working_days_overdue} WD overdue"
        if t.working_days_overdue == 0:
            label = f"逾期 {t.days_overdue} 天" if zh else f"{t.days_overdue} d overdue"
        return Text(label, style="bold red")
    left = t.working_days_left or 0
    return Text(
        f"剩 {left} 个工作日" if zh else f"{left} WD left",
        style="red" if left <= 3 else "",
    )


def _stage_cell(stage: StageSummary, lang: str) -> Text:
    text = Text(stage.key, style=STATE_STYLE.get(stage.state, ""))
    text.append(f" {state_label(stage.state, lang)}")
    if stage.waiting_for:
        text.append(f" ({stage.waiting_for})", style="cyan")
    return text


def projects_table(projects: list[ProjectSummary], lang: str) -> Table:
    zh = lang == "zh"
    table = Table(title="项目" if zh else "Projects", show_lines=False)
    for header in (
        ("ID", "ID"),
        ("项目", "project"),
        ("街道/社区", "street/community"),
        ("责任规划师", "planner"),
        ("进度", "progress"),
        ("当前阶段", "current stage"),
        ("截止", "due"),
        ("状态", "status"),
    ):
        table.add_column(header[0] if zh else header[1])
    for p in projects:
        stages = p.current or []
        first = stages[0] if stages else None
        table.add_row(
            str(p.id),
            p.name,
            f"{p.street}/{p.community}",
            p.planner,
            f"{p.stages_approved}/{p.stages_total}",
            Text("\n").join(_stage_cell(s, lang) for s in stages)
            if stages
            else Text(p.status, style="green"),
            Text("\n").join(due_text(s.timing, lang) for s in stages) if stages else Text(""),
            Text("\n").join(timing_text(s.timing, s.state, lang) for s in stages) if first else Text(""),
        )
    return table


def project_header(p: ProjectDetail, lang: str) -> str:
    zh = lang == "zh"
    lines = [
        f"[bold]#{p.id} {p.name}[/]  ({p.status})",
        f"{'区/街道/社区' if zh else 'district/street/community'}: {p.district} / {p.street} / {p.community}",
        f"{'责任规划师' if zh else 'planner'}: {p.planner}    "
        f"{'协调人' if zh else 'coordinator'}: {p.coordinator}",
        f"{'流程模板' if zh else 'template'}: {p.template}"
        + (f"  params {p.params}" if p.params else "")
        + f"    {'启动日期' if zh else 'start'}: {p.start_date}",
    ]
    return "\n".join(lines)


def _latest(s: Any, zh: bool) -> str:
    """The last thing that happened to a stage, for the overview table."""
    if s.approvals and (s.submitted_at is None or s.approvals[-1].at >= s.submitted_at):
        a = s.approvals[-1]
        verb = ("通过" if zh else "approved") if a.decision == "approved" else ("退回" if zh else "returned")
        return f"{a.level} {verb} {a.by} {when(a.at)}"
    if s.submitted_at:
        return f"{'提交' if zh else 'done'} {when(s.submitted_at)}"
    if s.activated_at:
        return f"{'开始' if zh else 'started'} {when(s.activated_at)}"
    return ""


def stages_table(p: ProjectDetail, lang: str) -> Table:
    zh = lang == "zh"
    table = Table(title="阶段" if zh else "Stages")
    for header in (
        ("#", "#"),
        ("阶段", "stage"),
        ("状态", "state"),
        ("截止 (北京时间)", "due (Asia/Shanghai)"),
        ("", ""),
        ("截止规则", "deadline rule"),
        ("最近办理", "latest"),
    ):
        table.add_column(header[0] if zh else header[1])
    phase = None
    for index, s in enumerate(p.stages, start=1):
        if s.phase != phase:
            phase = s.phase
            table.add_row("", Text(phase, style="bold"), "", "", "", "", "")
        state = Text(state_label(s.state, lang), style=STATE_STYLE.get(s.state, ""))
        if s.waiting_for:
            state.append(f" → {s.waiting_for}", style="cyan")
        open_extension = next((e for e in s.extensions if e.status == "requested"), None)
        if open_extension:
            state.append(f" ({'申请延期' if zh else 'extension asked'} {open_extension.working_days}WD)")
        table.add_row(
            str(index),
            f"{s.key} {s.name}",
            state,
            due_text(s.timing, lang),
            timing_text(s.timing, s.state, lang),
            s.rule,
            _latest(s, zh),
        )
    return table


def evidence_lines(p: ProjectDetail, lang: str) -> list[str]:
    zh = lang == "zh"
    lines: list[str] = []
    for s in p.stages:
        parts = [f"{k}={v}" for k, v in s.evidence.items()]
        parts += [f"{a.key or 'file'}:{a.filename}" for a in s.attachments]
        returns = [a for a in s.approvals if a.decision == "returned"]
        if parts:
            lines.append(f"[bold]{s.key}[/] {'证据' if zh else 'evidence'}: " + ", ".join(parts))
        for r in returns:
            lines.append(f"[bold]{s.key}[/] {'退回' if zh else 'returned'} {when(r.at)} {r.by}: {r.comment}")
        for pause in s.pauses:
            end = when(pause.resumed_at) if pause.resumed_at else ("至今" if zh else "now")
            lines.append(
                f"[bold]{s.key}[/] {'计时暂停' if zh else 'clock paused'} "
                f"{when(pause.paused_at)} → {end}: {pause.reason}"
            )
        if s.timing.provisional and s.deadline_basis:
            lines.append(
                f"[bold]{s.key}[/] [magenta]{'暂定截止' if zh else 'provisional deadline'}[/]: "
                + "; ".join(f"{y}: {src}" for y, src in s.deadline_basis.get("calendar", {}).items())
            )
    return lines


def events_table(p: ProjectDetail, lang: str) -> Table:
    zh = lang == "zh"
    table = Table(title="审计日志" if zh else "Audit log")
    for header in (
        "#",
        "时间" if zh else "when",
        "谁" if zh else "who",
        "事件" if zh else "event",
        "阶段" if zh else "stage",
        "前 → 后" if zh else "before → after",
        "内容" if zh else "details",
    ):
        table.add_column(header)
    for e in p.events or []:
        change = f"{e.before or ''} → {e.after or ''}" if (e.before or e.after) else ""
        table.add_row(str(e.id), when(e.at), e.actor, e.kind, e.stage or "", change, _brief(e.data))
    return table


def _brief(data: dict[str, Any]) -> str:
    keep = (
        "reason",
        "comment",
        "level",
        "due",
        "provisional",
        "working_days",
        "granted_days",
        "paused_working_days",
        "on_time",
        "evidence",
        "name",
    )
    parts = []
    for key in keep:
        if key in data and data[key] not in (None, "", {}, []):
            value = data[key]
            if isinstance(value, dict):
                value = ", ".join(f"{k}={v}" for k, v in value.items())
            parts.append(f"{key}: {value}")
    return "; ".join(parts)


def outcome_line(events: list[Event], project_id: int | None, lang: str) -> str:
    """One sentence saying what a command did and what happens next."""
    zh = lang == "zh"
    parts: list[str] = []
    for e in events:
        stage = e.stage or ""
        if e.kind is EventKind.PROJECT_STARTED:
            parts.append(
                f"已启动项目 #{project_id}「{e.data['name']}」"
                if zh
                else f"started project #{project_id} “{e.data['name']}”"
            )
        elif e.kind is EventKind.STAGE_SUBMITTED:
            parts.append(f"{stage} 已提交" if zh else f"{stage} marked done")
        elif e.kind is EventKind.STAGE_APPROVED:
            level = e.data.get("level") or ""
            if e.data.get("final"):
                parts.append(f"{stage} 已通过 ({level})" if zh else f"{stage} approved ({level})")
            else:
                nxt = e.data.get("next_level")
                parts.append(
                    f"{stage} {level} 已通过，待 {nxt} 审批"
                    if zh
                    else f"{stage} approved by {level}; waits for {nxt}"
                )
        elif e.kind is EventKind.STAGE_RETURNED:
            parts.append(
                f"{stage} 已退回: {e.data['reason']}" if zh else f"{stage} returned: {e.data['reason']}"
            )
        elif e.kind is EventKind.STAGE_ACTIVATED and events[0].kind is not EventKind.PROJECT_STARTED:
            parts.append(f"{stage} 开始" if zh else f"{stage} started")
        elif e.kind in (EventKind.DEADLINE_SET, EventKind.DEADLINE_CHANGED) and stage:
            flag = (" (暂定)" if zh else " (provisional)") if e.data.get("provisional") else ""
            verb = "截止" if zh else "due"
            if e.kind is EventKind.DEADLINE_CHANGED:
                verb = f"截止 {e.before} →" if zh else f"due moved {e.before} →"
            parts.append(f"{stage} {verb} {e.after}{flag}")
        elif e.kind is EventKind.CLOCK_PAUSED:
            parts.append(f"{stage} 计时暂停" if zh else f"{stage} clock paused")
        elif e.kind is EventKind.CLOCK_RESUMED:
            n = e.data.get("paused_working_days")
            parts.append(
                f"{stage} 恢复计时（暂停 {n} 个工作日）"
                if zh
                else f"{stage} clock resumed after {n} working days"
            )
        elif e.kind is EventKind.EXTENSION_REQUESTED:
            parts.append(
                f"{stage} 申请延期 {e.data['working_days']} 个工作日"
                if zh
                else f"{stage} extension of {e.data['working_days']} working days requested"
            )
        elif e.kind is EventKind.EXTENSION_GRANTED:
            parts.append(
                f"{stage} 延期获批 {e.data['granted_days']} 个工作日"
                if zh
                else f"{stage} extension of {e.data['granted_days']} working days granted"
            )
        elif e.kind is EventKind.EXTENSION_REFUSED:
            parts.append(
                f"{stage} 延期未获批: {e.data['comment']}"
                if zh
                else f"{stage} extension refused: {e.data['comment']}"
            )
        elif e.kind is EventKind.PROJECT_COMPLETED:
            parts.append("项目全部完成" if zh else "project completed")
    return "；".join(parts) if zh else "; ".join(parts)
