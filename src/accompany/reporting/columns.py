"""What the report's tables hold and how they are headed, shared by every format: the
figures with their Chinese and English labels, the identity and list columns, the
satisfaction and participation columns (the latter's headers saying whether a figure
is the quarter's or runs to the cut-off), the sheets' names and which figures are rates."""

from __future__ import annotations

FIGURES: list[tuple[str, str, str]] = [
    ("projects_active", "在建项目", "projects active"),
    ("projects_started", "本季启动", "started"),
    ("projects_completed", "本季完成", "completed"),
    ("stages_due", "本季到期阶段", "stages due"),
    ("stages_closed_on_time", "按时完成", "closed on time"),
    ("on_time_rate", "按时率", "on-time rate"),
    ("overdue_now", "当前逾期", "overdue now"),
    ("overdue_working_days_max", "最长逾期(工作日)", "max working days overdue"),
    ("phase_before_done", "问需完成", "问需 done"),
    ("phase_during_done", "问计完成", "问计 done"),
    ("phase_after_done", "问效完成", "问效 done"),
    ("completed_with_all_phases", "三阶段齐全的完成项目", "completed with all three phases"),
    ("households_interviewed", "入户访谈户数", "households interviewed"),
    ("observation_days", "驻场观察天数", "observation days"),
    ("sessions_held", "宣讲场次", "presentation sessions"),
    ("attendees", "参与人数", "attendees"),
    ("households_surveyed", "征询户数", "households surveyed"),
    ("households_consenting", "同意户数", "households consenting"),
    ("consent_ratio", "同意率", "consent ratio"),
    ("respondents", "评估样本", "evaluation respondents"),
    ("satisfaction_pct", "满意度(%)", "satisfaction %"),
    ("decisions", "审批决定", "decisions"),
    ("approval_latency_median", "审批用时中位数(工作日)", "approval latency median (WD)"),
    ("approval_latency_p90", "审批用时P90(工作日)", "approval latency p90 (WD)"),
    ("returns", "退回次数", "returns"),
    ("reminders_sent", "提醒", "reminders sent"),
    ("escalations_sent", "督办/升级", "escalations sent"),
    ("pauses", "计时暂停", "clock pauses"),
    ("extensions_requested", "延期申请", "extensions requested"),
    ("extensions_granted", "延期批准", "extensions granted"),
]
LEVEL_NAMES = {
    "zh": {"district": "区", "street": "街道", "team": "规划师团队", "project": "项目"},
    "en": {"district": "districts", "street": "streets", "team": "planner teams", "project": "projects"},
}
IDENTITY = {
    "zh": {"district": "区", "street": "街道", "team": "团队", "key": "编号", "name": "名称"},
    "en": {"district": "district", "street": "street", "team": "team", "key": "key", "name": "name"},
}
LIST_COLUMNS = {
    "worst_overdue": [
        ("project_id", "项目编号", "project"),
        ("project", "项目", "name"),
        ("district", "区", "district"),
        ("street", "街道", "street"),
        ("team", "团队", "team"),
        ("planner", "责任规划师", "planner"),
        ("stage", "阶段", "stage"),
        ("due", "截止", "due"),
        ("working_days_overdue", "逾期(工作日)", "WD overdue"),
    ],
    "returns": [
        ("at", "时间", "when"),
        ("project_id", "项目编号", "project"),
        ("project", "项目", "name"),
        ("street", "街道", "street"),
        ("stage", "阶段", "stage"),
        ("level", "审批层级", "level"),
        ("by", "退回人", "by"),
        ("reason", "退回原因", "reason"),
    ],
    "pauses": [
        ("at", "暂停时间", "paused at"),
        ("project_id", "项目编号", "project"),
        ("project", "项目", "name"),
        ("stage", "阶段", "stage"),
        ("by", "操作人", "by"),
        ("reason", "原因", "reason"),
        ("resumed_at", "恢复时间", "resumed at"),
        ("paused_working_days", "暂停工作日", "WD paused"),
    ],
    "extensions": [
        ("at", "申请时间", "asked at"),
        ("project_id", "项目编号", "project"),
        ("project", "项目", "name"),
        ("stage", "阶段", "stage"),
        ("by", "申请人", "by"),
        ("working_days", "申请工作日", "WD asked"),
        ("reason", "理由", "reason"),
        ("status", "结果", "status"),
        ("granted_days", "批准工作日", "WD granted"),
        ("decision", "意见", "comment"),
    ],
    "stopped": [
        ("project_id", "项目编号", "project"),
        ("project", "项目", "name"),
        ("street", "街道", "street"),
        ("planner", "责任规划师", "planner"),
        ("status", "状态", "state"),
        ("since", "起始时间", "since"),
        ("reason", "原因", "reason"),
    ],
}
#: residents' satisfaction per evaluated project (问效; a sheet only when there are answers)
SATISFACTION_COLUMNS = [
    ("project_id", "项目编号", "project"),
    ("project", "项目", "name"),
    ("district", "区", "district"),
    ("street", "街道", "street"),
    ("households", "住户数", "households"),
    ("respondents", "答卷户数", "respondents"),
    ("content", "改造内容平均分", "content (average)"),
    ("process", "改造过程平均分", "process (average)"),
    ("management", "长效管理平均分", "long-term management (average)"),
    ("satisfied", "满意户数", "satisfied households"),
    ("satisfaction_pct", "满意度(%)", "satisfaction %"),
]
SATISFACTION_SHEET = {"zh": "居民满意度", "en": "residents' satisfaction"}


#: residents' participation per project, street and district (a sheet only with residents' data)
PARTICIPATION_COLUMNS = [
    ("level", "层级", "level"),
    ("district", "区", "district"),
    ("street", "街道", "street"),
    ("project_id", "项目编号", "project"),
    ("project", "项目", "name"),
    ("households", "登记户数", "households in the register"),
    ("needs_households", "问需答卷户数", "问需: households answered"),
    ("needs_rate_pct", "问需回应率(%)", "问需 response rate %"),
    ("during_households", "问计意见或表决户数", "问计: households commented or voted"),
    ("during_rate_pct", "问计参与率(%)", "问计 response rate %"),
    ("satisfaction_households", "问效答卷户数", "问效: households answered"),
    ("satisfaction_rate_pct", "问效回应率(%)", "问效 response rate %"),
    ("comments", "意见条数", "comments"),
    ("objections", "异议条数", "objections"),
    ("answered", "已答复条数", "answered"),
    ("consent_rule", "表决规则", "consent rule"),
    ("consent_ballots", "参与表决户数", "households voted"),
    ("participating_area_pct", "参与表决面积占总面积(%)", "participating area % of total"),
    ("participating_owners_pct", "参与表决人数占总人数(%)", "participating owners % of total"),
    ("agreeing_area_pct", "同意面积占参与面积(%)", "agreeing area % of participating"),
    ("agreeing_owners_pct", "同意人数占参与人数(%)", "agreeing owners % of participating"),
    ("consent_passed", "表决结果", "consent verdict"),
]
PARTICIPATION_SHEET = {"zh": "居民参与", "en": "Residents' participation"}
#: what each participation figure counts (models/participation.py): the quarter's own
#: activity (first answers, comments and ballots inside the quarter, up to the cut-off),
#: every ballot since the project began up to the cut-off (the consent tally), or the
#: register as it stands at the cut-off — the headers say which (a reader could not tell
#: a quarter's 问计 households from the running count of ballots beside them)
PARTICIPATION_PERIODS = {
    "households": "cut-off",
    **dict.fromkeys(
        (
            "needs_households",
            "needs_rate_pct",
            "during_households",
            "during_rate_pct",
            "satisfaction_households",
            "satisfaction_rate_pct",
            "comments",
            "objections",
            "answered",
        ),
        "quarter",
    ),
    **dict.fromkeys(
        (
            "consent_ballots",
            "participating_area_pct",
            "participating_owners_pct",
            "agreeing_area_pct",
            "agreeing_owners_pct",
            "consent_passed",
        ),
        "cumulative",
    ),
}
PERIOD_SUFFIXES = {
    "zh": {"quarter": "（本季度）", "cumulative": "（截至数据截止累计）", "cut-off": "（截至数据截止）"},
    "en": {
        "quarter": " (this quarter)",
        "cumulative": " (cumulative to the cut-off)",
        "cut-off": " (at the cut-off)",
    },
}
#: the line under the participation table (HTML, XLSX) saying what the two kinds mean
PARTICIPATION_NOTE = {
    "zh": "注：标“本季度”的列只计本季度内（季度开始至数据截止）的首次答卷、意见和投票"
    "（已答复：其中至数据截止已答复的）；标“截至数据截止累计”的列计项目开始以来至数据截止的"
    "全部表决（每户以截止前最后一票为准）；登记户数为数据截止时的登记册。",
    "en": "Note: “this quarter” columns count only what happened in the quarter (from its start "
    "to the cut-off): first answers, comments and ballots (answered: those of them answered by "
    "the cut-off); “cumulative to the cut-off” columns count every ballot since the project "
    "began, up to the cut-off (each household's latest); households in the register: the "
    "register at the cut-off.",
}


def participation_headers(lang: str) -> list[str]:
    """The participation table's headers, each figure's saying what it counts."""
    suffixes = PERIOD_SUFFIXES["zh" if lang == "zh" else "en"]
    return [
        (zh if lang == "zh" else en)
        + (suffixes[PARTICIPATION_PERIODS[key]] if key in PARTICIPATION_PERIODS else "")
        for key, zh, en in PARTICIPATION_COLUMNS
    ]


#: what a row counts (the CSVs' first column, the participation sheet's level)
ROW_LEVELS = {
    "zh": {"all": "全部", "district": "区", "street": "街道", "team": "团队", "project": "项目"},
    "en": {"all": "all", "district": "district", "street": "street", "team": "team", "project": "project"},
}


#: figures that are ratios (shown as percentages)
RATES = {"on_time_rate", "consent_ratio"}


SHEETS = {
    "zh": {
        "summary": "汇总",
        "stopped": "暂停与取消的项目",
        "worst_overdue": "逾期事项",
        "returns": "退回",
        "pauses": "计时暂停",
        "extensions": "延期",
        "about": "说明",
    },
    "en": {
        "summary": "summary",
        "stopped": "suspended, cancelled",
        "worst_overdue": "worst overdue",
        "returns": "returns",
        "pauses": "paused clocks",
        "extensions": "extensions",
        "about": "about",
    },
}


def _label(figure: str, lang: str) -> str:
    for key, zh, en in FIGURES:
        if key == figure:
            return zh if lang == "zh" else en
    return figure
