"""The states a stage and a project go through."""

from enum import StrEnum


class StageState(StrEnum):
    PENDING = "pending"  # waiting for the stages it depends on
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"  # marked done by the planner, waiting for approval
    APPROVED = "approved"


STAGE_STATE_LABELS = {
    "zh": {
        StageState.PENDING: "未开始",
        StageState.IN_PROGRESS: "进行中",
        StageState.SUBMITTED: "待审批",
        StageState.APPROVED: "已通过",
    },
    "en": {
        StageState.PENDING: "pending",
        StageState.IN_PROGRESS: "in progress",
        StageState.SUBMITTED: "awaiting approval",
        StageState.APPROVED: "approved",
    },
}


class ProjectStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    SUSPENDED = "suspended"  # work stopped by the coordinator: clocks paused, no reminders
    CANCELLED = "cancelled"  # final: nothing acts on it any more


#: the states in which nothing acts on a project any more
FINAL_PROJECT_STATES = frozenset({ProjectStatus.COMPLETED, ProjectStatus.CANCELLED})
