"""Message texts: what a person reads in WeCom, DingTalk, e-mail …

Chinese by default, English available. Each item says the project, the stage, the
deadline (Beijing time), days left or overdue, and a link to the page where the next
step is taken (``ACCOMPANY_BASE_URL``; people act on a phone, not in a shell). Every
message ends with its notification references, so a person (or a receiving system)
can recognise a repeat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .people import PARTY_ROLES, ROLE_LABELS_EN, ROLE_LABELS_ZH
from .report import quarter_name

#: who decides at a level — or, in a joint step (会签/或签), the party who signs
LEVEL_ZH = {"street-office": "街道办事处", "district": "区规划分局"} | {
    r.value: ROLE_LABELS_ZH[r] for r in PARTY_ROLES
}
LEVEL_EN = {"street-office": "street office", "district": "district"} | {
    r.value: ROLE_LABELS_EN[r] for r in PARTY_ROLES
}


@dataclass(frozen=True)
class Item:
    """One queued notification as the renderer sees it."""

    id: int
    kind: str
    payload: dict[str, Any]


DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def _link(base: str, p: dict[str, Any], action: str = "") -> str:
    """The page for the next step: the project, or one of its stage's forms."""
    page = f"{base}/projects/{p.get('project_id')}"
    if action and p.get("stage"):
        return f"{page}/stages/{p.get('stage')}/{action}"
    return page + (f"#stage-{p.get('stage')}" if p.get("stage") else "")


def _head(p: dict[str, Any]) -> str:
    return f"#{p.get('project_id')}「{p.get('project')}」· {p.get('stage_name') or ''}".rstrip(" ·")


def _stage_en(p: dict[str, Any], prefix: str = "") -> str:
    return p.get(f"{prefix}stage_name_en") or p.get(f"{prefix}stage_name") or p.get(f"{prefix}stage") or ""


def _head_en(p: dict[str, Any]) -> str:
    return f"#{p.get('project_id')} “{p.get('project')}” · {_stage_en(p)}".rstrip(" ·")


def _name(p: dict[str, Any], what: str) -> Any:
    """The name people read (``planner_name``), the id only when no name is known."""
    return p.get(f"{what}_name") or p.get(what)


def _next_step(base: str, p: dict[str, Any], zh: bool, prefix: str = "") -> str:
    """The next step for a stage: its form — an upload where its evidence is files
    only."""
    stage = p.get(f"{prefix}stage") if prefix else p.get("stage")
    link = _link(base, {**p, "stage": stage}, "done")
    if p.get(f"{prefix}attachment_only"):
        return f"上传附件并提交：{link}" if zh else f"Upload the files and submit: {link}"
    return f"完成后提交：{link}" if zh else f"When done: {link}"


def _provisional(p: dict[str, Any], zh: bool) -> str:
    if not p.get("provisional"):
        return ""
    return (
        "（暂定：该年度节假日安排尚未发布）"
        if zh
        else " (provisional: that year's holidays are not published yet)"
    )


def _line_zh(item: Item, base: str = DEFAULT_BASE_URL) -> str:
    p, kind = item.payload, item.kind
    planner = _name(p, "planner")
    due = f"{p.get('due')}{_provisional(p, True)}"
    step = _next_step(base, p, True)
    if kind == "due-soon":
        return f"{_head(p)}：截止 {due}，剩 {p.get('working_days_left')} 个工作日。{step}"
    if kind == "due-today":
        return f"{_head(p)}：今天截止（{due}）。{step}"
    if kind == "overdue":
        return (
            f"{_head(p)}：已逾期 {p.get('working_days_overdue')} 个工作日（截止 {due}）。"
            f"{step}；或申请延期：{_link(base, p, 'extension')}"
        )
    if kind == "escalation-street-office":
        return (
            f"【督办】{_head(p)}：已逾期 {p.get('working_days_overdue')} 个工作日（截止 {due}），"
            f"责任规划师 {planner}。查看：{_link(base, p)}"
        )
    if kind == "escalation-district":
        return (
            f"【升级至区】{_head(p)}：已逾期 {p.get('working_days_overdue')} 个工作日（截止 {due}），"
            f"{_name(p, 'street')}，责任规划师 {planner}。查看：{_link(base, p)}"
        )
    if kind == "approval-waiting":
        level = LEVEL_ZH.get(p.get("level", ""), p.get("level"))
        return (
            f"{_head(p)}：已提交 {p.get('working_days_waiting')} 个工作日，待{level}审批。"
            f"审批（通过或退回）：{_link(base, p, 'decide')}"
        )
    return _event_body_zh(item, base)


def _line_en(item: Item, base: str = DEFAULT_BASE_URL) -> str:
    p, kind = item.payload, item.kind
    planner = _name(p, "planner")
    due = f"{p.get('due')}{_provisional(p, False)}"
    step = _next_step(base, p, False)
    if kind == "due-soon":
        return f"{_head_en(p)}: due {due}, {p.get('working_days_left')} working days left. {step}"
    if kind == "due-today":
        return f"{_head_en(p)}: due today ({due}). {step}"
    if kind == "overdue":
        return (
            f"{_head_en(p)}: {p.get('working_days_overdue')} working days overdue (due {due}). "
            f"{step}; or ask for time: {_link(base, p, 'extension')}"
        )
    if kind == "escalation-street-office":
        return (
            f"[escalated] {_head_en(p)}: {p.get('working_days_overdue')} working days overdue "
            f"(due {due}), planner {planner}. See: {_link(base, p)}"
        )
    if kind == "escalation-district":
        return (
            f"[escalated to district] {_head_en(p)}: {p.get('working_days_overdue')} working days "
            f"overdue (due {due}), {_name(p, 'street')}, planner {planner}. "
            f"See: {_link(base, p)}"
        )
    if kind == "approval-waiting":
        return (
            f"{_head_en(p)}: done {p.get('working_days_waiting')} working days ago, waiting for "
            f"{LEVEL_EN.get(p.get('level', ''), p.get('level'))} approval. "
            f"Approve or return: {_link(base, p, 'decide')}"
        )
    return _event_body_en(item, base)


def _report_body(p: dict[str, Any], zh: bool) -> str:
    f = p.get("figures", {})
    rate = f.get("on_time_rate")
    rate_text = f"{rate:.0%}" if isinstance(rate, int | float) else "—"
    files = "\n".join(p.get("attachments", []))
    if zh:
        return (
            f"{p.get('scope_name')} {quarter_name(str(p.get('quarter')), 'zh')} 陪伴式服务合规报告（数据截止 {p.get('cutoff')}，北京时间）：\n"
            f"在建项目 {f.get('projects_active')}，本季到期阶段 {f.get('stages_due')}，按时率 {rate_text}，"
            f"当前逾期 {f.get('overdue_now')}，退回 {f.get('returns')} 次，审批用时中位数 "
            f"{f.get('approval_latency_median')} 个工作日。\n报告见附件；如本渠道不支持附件，文件位于：\n{files}\n"
            f"校验和 {p.get('checksum', '')[:16]}"
        )
    return (
        f"{p.get('scope_name')} {quarter_name(str(p.get('quarter')), 'en')} accompany-service compliance report (data cut-off "
        f"{p.get('cutoff')}, Beijing time): {f.get('projects_active')} projects active, {f.get('stages_due')} "
        f"stages due, on time {rate_text}, {f.get('overdue_now')} overdue now, {f.get('returns')} returns, "
        f"median approval {f.get('approval_latency_median')} working days.\nReport attached; where this channel "
        f"takes no files, they are at:\n{files}\nchecksum {p.get('checksum', '')[:16]}"
    )


AUDIT_PROBLEM_ZH = {
    "content-changed": "内容在写入后被改动（与其哈希不符）",
    "link-broken": "链接断裂：与前一条事件 #{previous} 不衔接",
    "row-missing": "记录缺失：事件 #{previous} 之后、此条之前的记录被删除",
    "unhashed": "没有哈希：未经本系统写入",
}
AUDIT_PROBLEM_EN = {
    "content-changed": "content changed after it was written (it no longer matches its hash)",
    "link-broken": "link broken: it does not follow event #{previous}",
    "row-missing": "row missing: events after #{previous} and before it were removed",
    "unhashed": "no hash: written around the application",
}


def _audit_body(p: dict[str, Any], zh: bool) -> str:
    problems = AUDIT_PROBLEM_ZH if zh else AUDIT_PROBLEM_EN
    previous = p.get("previous_id") if p.get("previous_id") is not None else "—"
    problem = problems.get(p.get("problem", ""), str(p.get("problem"))).format(previous=previous)
    if zh:
        project = f"项目「{p.get('project')}」" if p.get("project") else "无项目"
        return (
            f"事件日志的哈希链在事件 #{p.get('event_id')} 处断开（{project}，{p.get('kind')}，"
            f"{p.get('occurred')} 北京时间）：{problem}。记录可能被改动或删除，请立即核查"
            "（accompany audit verify），并联系数据库管理员。"
        )
    project = f"project “{p.get('project')}”" if p.get("project") else "no project"
    return (
        f"The event log's hash chain is broken at event #{p.get('event_id')} ({project}, {p.get('kind')}, "
        f"{p.get('occurred')} Beijing time): {problem}. Records may have been changed or removed: check now "
        "(accompany audit verify) and contact the database administrator."
    )


def _event_title_zh(item: Item) -> str:
    p = item.payload
    titles = {
        "quarterly-report": f"【季度合规报告】{quarter_name(str(p.get('quarter')), 'zh')} {p.get('scope_name')}",
        "audit-broken": f"【审计告警】事件日志校验失败（事件 #{p.get('event_id')}）",
        "project-started": f"【陪伴式服务】项目启动：{p.get('project')}",
        "approval-requested": f"【待审批】{p.get('project')} · {p.get('stage_name')}",
        "stage-returned": f"【退回】{p.get('project')} · {p.get('stage_name')}",
        "stage-approved": f"【已通过】{p.get('project')} · {p.get('stage_name')}",
        "decision-undone": f"【审批已撤回】{p.get('project')} · {p.get('stage_name')}",
        "stage-looped": f"【征询未通过·重新征询】{p.get('project')} · {p.get('stage_name')}",
        "extension-requested": f"【延期申请】{p.get('project')} · {p.get('stage_name')}",
        "extension-decided": f"【延期结果】{p.get('project')} · {p.get('stage_name')}",
        "project-suspended": f"【项目暂停】{p.get('project')}",
        "project-resumed": f"【项目恢复】{p.get('project')}",
        "project-cancelled": f"【项目取消】{p.get('project')}",
        "project-handed-over": f"【更换责任规划师】{p.get('project')}",
    }
    return titles.get(item.kind, f"【陪伴式服务】{p.get('project')}")


def _event_title_en(item: Item) -> str:
    p = item.payload
    titles = {
        "quarterly-report": f"[Quarterly compliance report] {quarter_name(str(p.get('quarter')), 'en')} {p.get('scope_name')}",
        "audit-broken": f"[Audit alert] the event log fails verification (event #{p.get('event_id')})",
        "project-started": f"[Accompany] project started: {p.get('project')}",
        "approval-requested": f"[Approval needed] {p.get('project')} · {_stage_en(p)}",
        "stage-returned": f"[Returned] {p.get('project')} · {_stage_en(p)}",
        "stage-approved": f"[Approved] {p.get('project')} · {_stage_en(p)}",
        "decision-undone": f"[Decision withdrawn] {p.get('project')} · {_stage_en(p)}",
        "stage-looped": f"[Consent failed, new round] {p.get('project')} · {_stage_en(p)}",
        "extension-requested": f"[Extension requested] {p.get('project')} · {_stage_en(p)}",
        "extension-decided": f"[Extension decided] {p.get('project')} · {_stage_en(p)}",
        "project-suspended": f"[Project suspended] {p.get('project')}",
        "project-resumed": f"[Project resumed] {p.get('project')}",
        "project-cancelled": f"[Project cancelled] {p.get('project')}",
        "project-handed-over": f"[New planner] {p.get('project')}",
    }
    return titles.get(item.kind, f"[Accompany] {p.get('project')}")


def _event_body_zh(item: Item, base: str = DEFAULT_BASE_URL) -> str:
    p, kind = item.payload, item.kind
    if kind == "quarterly-report":
        return _report_body(p, True)
    if kind == "audit-broken":
        return _audit_body(p, True)
    pid, planner = p.get("project_id"), _name(p, "planner")
    if kind == "project-started":
        first = ""
        if p.get("next_stage"):
            first = (
                f"第一阶段「{p.get('next_stage_name')}」截止 {p.get('next_due')}"
                f"{_provisional({'provisional': p.get('next_provisional')}, True)}。"
                f"{_next_step(base, p, True, 'next_')}"
            )
        return (
            f"项目 #{pid}「{p.get('project')}」（{_name(p, 'street')}）已于 "
            f"{p.get('start_date')} 启动，责任规划师 {planner}。{first or '查看：' + _link(base, p)}"
        )
    if kind == "approval-requested":
        level = LEVEL_ZH.get(p.get("level", ""), p.get("level"))
        note = f"说明：{p['note']}。" if p.get("note") else ""
        due = f"（阶段截止 {p.get('due')}）" if p.get("due") else ""
        return (
            f"{_head(p)}：责任规划师 {planner} 已提交{due}，请{level}审批。{note}"
            f"审批（通过或退回）：{_link(base, p, 'decide')}"
        )
    if kind == "stage-returned":
        return (
            f"{_head(p)}：被{LEVEL_ZH.get(p.get('level', ''), '')}（{_name(p, 'actor')}）退回，"
            f"原因：{p.get('reason')}。修改后重新提交：{_link(base, p, 'done')}"
        )
    if kind == "decision-undone":
        what = "退回" if p.get("decision") == "returned" else "审批通过"
        return (
            f"{_head(p)}：{_name(p, 'actor')}（{LEVEL_ZH.get(p.get('level', ''), '')}）撤回了此前的{what}，"
            f"原因：{p.get('reason')}。该阶段重新等待{LEVEL_ZH.get(p.get('level', ''), '')}审批，"
            f"此前关于这一决定的通知作废。查看：{_link(base, p)}"
        )
    if kind == "stage-approved":
        if p.get("next_stage"):
            return (
                f"{_head(p)}：已审批通过。下一阶段「{p.get('next_stage_name')}」截止 "
                f"{p.get('next_due')}{_provisional({'provisional': p.get('next_provisional')}, True)}。"
                f"{_next_step(base, p, True, 'next_')}"
            )
        return f"{_head(p)}：已审批通过，这是最后一个阶段。查看：{_link(base, p)}"
    if kind == "extension-requested":
        due = f"（现截止 {p.get('due')}）" if p.get("due") else ""
        return (
            f"{_head(p)}：责任规划师 {planner} 申请延期 {p.get('working_days')} 个工作日{due}，"
            f"理由：{p.get('reason')}。审批延期申请：{_link(base, p, 'extension/decide')}"
        )
    if kind == "extension-decided":
        if p.get("granted"):
            return (
                f"{_head(p)}：延期申请已批准 {p.get('granted_days')} 个工作日，新的截止日期 "
                f"{p.get('new_due')}。{_next_step(base, p, True)}"
            )
        return (
            f"{_head(p)}：延期申请未获批准，理由：{p.get('comment')}。截止日期仍为 {p.get('new_due')}。"
            f"{_next_step(base, p, True)}"
        )
    if kind == "project-suspended":
        return (
            f"{_head(p)}：{_name(p, 'actor')} 暂停了项目，原因：{p.get('reason')}。进行中阶段的计时已暂停，"
            f"恢复前不再提醒。查看：{_link(base, p)}"
        )
    if kind == "project-resumed":
        return (
            f"{_head(p)}：{_name(p, 'actor')} 恢复了项目（暂停 {p.get('suspended_working_days')} 个工作日），"
            f"截止日期已相应顺延。查看：{_link(base, p)}"
        )
    if kind == "stage-looped":
        return (
            f"{_head(p)}：征询未通过，{_name(p, 'actor')} 退回「{p.get('target_name')}」重新开始第 "
            f"{p.get('round')} 轮（修改方案后重新宣讲、重新征询），原因：{p.get('reason')}。"
            f"「{p.get('target_name')}」新的截止日期：{p.get('target_due') or '—'}。查看：{_link(base, p)}"
        )
    if kind == "project-cancelled":
        return f"{_head(p)}：{_name(p, 'actor')} 取消了项目，原因：{p.get('reason')}。项目就此终止。查看：{_link(base, p)}"
    if kind == "project-handed-over":
        return (
            f"{_head(p)}：{_name(p, 'actor')} 将项目从 {_name(p, 'from')} 移交给 {_name(p, 'to')}"
            f"（{p.get('open_stages')} 个未完成阶段随之移交）。交接说明：{p.get('note')}。查看：{_link(base, p)}"
        )
    return f"{_head(p)}：{kind}"


def _event_body_en(item: Item, base: str = DEFAULT_BASE_URL) -> str:
    p, kind = item.payload, item.kind
    if kind == "quarterly-report":
        return _report_body(p, False)
    if kind == "audit-broken":
        return _audit_body(p, False)
    pid, planner = p.get("project_id"), _name(p, "planner")
    level = LEVEL_EN.get(p.get("level", ""), p.get("level"))
    if kind == "project-started":
        first = f"See: {_link(base, p)}"
        if p.get("next_stage"):
            first = (
                f"First stage “{_stage_en(p, 'next_')}” due {p.get('next_due')}"
                f"{_provisional({'provisional': p.get('next_provisional')}, False)}. "
                f"{_next_step(base, p, False, 'next_')}"
            )
        return (
            f"Project #{pid} “{p.get('project')}” ({_name(p, 'street')}) started on "
            f"{p.get('start_date')}, planner {planner}. {first}"
        )
    if kind == "approval-requested":
        note = f" Note: {p['note']}." if p.get("note") else ""
        due = f" (due {p.get('due')})" if p.get("due") else ""
        return (
            f"{_head_en(p)}: marked done by {planner}{due}, waiting for {level} approval.{note} "
            f"Approve or return: {_link(base, p, 'decide')}"
        )
    if kind == "stage-returned":
        return (
            f"{_head_en(p)}: returned by {_name(p, 'actor')} ({level}): {p.get('reason')}. "
            f"Fix and submit again: {_link(base, p, 'done')}"
        )
    if kind == "decision-undone":
        what = "return" if p.get("decision") == "returned" else "approval"
        return (
            f"{_head_en(p)}: {_name(p, 'actor')} ({level}) withdrew the {what} given earlier: "
            f"{p.get('reason')}. The stage waits for the {level} again; the earlier message about it no "
            f"longer holds. See: {_link(base, p)}"
        )
    if kind == "stage-approved":
        if p.get("next_stage"):
            return (
                f"{_head_en(p)}: approved. Next stage “{_stage_en(p, 'next_')}” due {p.get('next_due')}"
                f"{_provisional({'provisional': p.get('next_provisional')}, False)}. "
                f"{_next_step(base, p, False, 'next_')}"
            )
        return f"{_head_en(p)}: approved; that was the last stage. See: {_link(base, p)}"
    if kind == "extension-requested":
        due = f" (due {p.get('due')})" if p.get("due") else ""
        return (
            f"{_head_en(p)}: {planner} asks for {p.get('working_days')} more working days{due}: "
            f"{p.get('reason')}. Decide: {_link(base, p, 'extension/decide')}"
        )
    if kind == "extension-decided":
        if p.get("granted"):
            return (
                f"{_head_en(p)}: extension of {p.get('granted_days')} working days granted, "
                f"new deadline {p.get('new_due')}. {_next_step(base, p, False)}"
            )
        return (
            f"{_head_en(p)}: extension refused: {p.get('comment')}. The deadline stays {p.get('new_due')}. "
            f"{_next_step(base, p, False)}"
        )
    if kind == "project-suspended":
        return (
            f"{_head_en(p)}: suspended by {_name(p, 'actor')}: {p.get('reason')}. The clocks of its stages "
            f"in progress are paused and no reminders go out until it is resumed. See: {_link(base, p)}"
        )
    if kind == "project-resumed":
        return (
            f"{_head_en(p)}: resumed by {_name(p, 'actor')} after {p.get('suspended_working_days')} working "
            f"days; the deadlines moved accordingly. See: {_link(base, p)}"
        )
    if kind == "stage-looped":
        return (
            f"{_head_en(p)}: the consent failed; {_name(p, 'actor')} sent the project back to "
            f"{p.get('target_name_en') or p.get('target_name')} for round {p.get('round')} (revise the proposal, "
            f"present it and consult the residents again). Reason: {p.get('reason')}. New deadline of "
            f"{p.get('target_name_en') or p.get('target_name')}: {p.get('target_due') or '—'}. See: {_link(base, p)}"
        )
    if kind == "project-cancelled":
        return f"{_head_en(p)}: cancelled by {_name(p, 'actor')}: {p.get('reason')}. See: {_link(base, p)}"
    if kind == "project-handed-over":
        return (
            f"{_head_en(p)}: handed over by {_name(p, 'actor')} from {_name(p, 'from')} to {_name(p, 'to')} "
            f"({p.get('open_stages')} open stage(s) go with it). Handover note: {p.get('note')}. "
            f"See: {_link(base, p)}"
        )
    return f"{_head_en(p)}: {kind}"


def render(
    items: Sequence[Item], digest: bool, lang: str = "zh", base_url: str = DEFAULT_BASE_URL
) -> tuple[str, str]:
    """(title, body) of one message: a digest of reminders for one recipient, or one
    event notification, with links to the pages under ``base_url``."""
    zh = lang == "zh"
    refs = ",".join(f"N-{item.id}" for item in items)
    if digest:
        overdue = sum(
            1 for i in items if i.kind in ("overdue", "escalation-street-office", "escalation-district")
        )
        if zh:
            title = f"【陪伴式服务】{len(items)} 项待办提醒" + (f"（{overdue} 项逾期）" if overdue else "")
            lines = [f"{n}. {_line_zh(item, base_url)}" for n, item in enumerate(items, start=1)]
            footer = f"时间均为北京时间。ref: {refs}"
        else:
            title = f"[Accompany] {len(items)} item(s) need attention" + (
                f" ({overdue} overdue)" if overdue else ""
            )
            lines = [f"{n}. {_line_en(item, base_url)}" for n, item in enumerate(items, start=1)]
            footer = f"Dates are Beijing time. ref: {refs}"
        return title, "\n".join([*lines, "", footer])
    item = items[0]
    if zh:
        return _event_title_zh(item), f"{_line_zh(item, base_url)}\n\nref: {refs}"
    return _event_title_en(item), f"{_line_en(item, base_url)}\n\nref: {refs}"
