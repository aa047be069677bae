"""The names people read for the engine's codes (roles, states, approval levels,
event kinds …), as message ids of the one catalogue (``accompany.i18n``). The CLI,
the web app and the API's display fields all take their labels from here."""

from __future__ import annotations

from collections.abc import Mapping

from .i18n import translate


def N_(message: str) -> str:
    """Marks a message id for extraction without translating it here."""
    return message


ROLES = {
    "coordinator": N_("Coordinator"),
    "planner": N_("Responsible planner"),
    "street-office": N_("Street office"),
    "district": N_("District planning branch"),
    **(
        PARTY_ROLES := {
            "community-committee": N_("Community committee"),
            "owners-committee": N_("Owners' committee"),
            "property-manager": N_("Property manager"),
            "developer": N_("Developer"),
            "design": N_("Design institute"),
            "construction": N_("Construction company"),
            "supervision": N_("Supervision"),
            "expert": N_("Expert"),
        }
    ),
}
STAGE_STATES = {
    "pending": N_("Not started"),
    "in_progress": N_("In progress"),
    "submitted": N_("Awaiting approval"),
    "approved": N_("Approved"),
    # shown, not stored: an open stage of a cancelled project (its state is kept as it was)
    "stopped": N_("Stopped with the project"),
}
PROJECT_STATUSES = {
    "active": N_("Active"),
    "completed": N_("Completed"),
    "suspended": N_("Suspended"),
    "cancelled": N_("Cancelled"),
}
APPROVAL_LEVELS = {
    "street-office": N_("Street office"),
    "district": N_("District"),
    # a joint step: every named party signs (会签), or one of them (或签)
    "all": N_("Joint signing (all)"),
    "any": N_("Signing (any one)"),
    # a party's signature in a joint step
    **PARTY_ROLES,
}
DECISIONS = {
    "approved": N_("approved"),
    "returned": N_("returned"),
}
EXTENSION_STATUSES = {
    "requested": N_("waiting for a decision"),
    "granted": N_("granted"),
    "refused": N_("refused"),
    "withdrawn": N_("withdrawn: a new round started"),
    "lapsed": N_("withdrawn: the stage was marked done or the project cancelled first"),
}
#: why a waiting extension request was withdrawn, when its ``stage.extension_withdrawn``
#: event says so (``models.stage.WITHDRAWN_*``): shown instead of the status
WITHDRAWAL_REASONS = {
    "new_round": N_("withdrawn: a new round started"),
    "stage_done": N_("withdrawn: the stage was marked done first"),
    "stage_approved": N_("withdrawn: the stage was approved first"),
    "project_cancelled": N_("withdrawn: the project was cancelled"),
}
CHANNELS = {
    "web": N_("web"),
    "api": N_("API"),
    "cli": N_("command line"),
    "flow": N_("automation"),
}
EVENT_KINDS = {
    "project.started": N_("Project started"),
    "project.completed": N_("Project completed"),
    "project.suspended": N_("Project suspended"),
    "project.resumed": N_("Project resumed"),
    "project.cancelled": N_("Project cancelled"),
    "project.handed_over": N_("Planner changed"),
    "project.edited": N_("Project edited"),
    "project.migrated": N_("Template migrated"),
    "stage.activated": N_("Stage started"),
    "stage.deadline_set": N_("Deadline set"),
    "stage.deadline_changed": N_("Deadline changed"),
    "stage.submitted": N_("Marked done"),
    "stage.approved": N_("Approved"),
    "stage.returned": N_("Returned"),
    "stage.decision_undone": N_("Decision undone"),
    "stage.looped": N_("Consent failed: new round"),
    "stage.clock_paused": N_("Clock paused"),
    "stage.clock_resumed": N_("Clock resumed"),
    "stage.extension_requested": N_("Extension requested"),
    "stage.extension_granted": N_("Extension granted"),
    "stage.extension_refused": N_("Extension refused"),
    "stage.extension_withdrawn": N_("Extension request withdrawn"),
    "notification.sent": N_("Notification sent"),
    "notification.dead": N_("Notification failed"),
    "people.loaded": N_("Directory loaded"),
    "person.deactivated": N_("Person deactivated"),
    "person.activated": N_("Person activated"),
    "person.delegated": N_("Substitute named"),
    "person.delegation_ended": N_("Delegation ended"),
    "account.invited": N_("Invite issued"),
    "account.password_set": N_("Password set"),
    "account.signed_in": N_("Signed in"),
    "account.signed_out": N_("Signed out"),
    "account.token_created": N_("API token made"),
    "account.token_revoked": N_("API token revoked"),
    "calendar.changed": N_("Calendar changed"),
    "households.loaded": N_("Household register loaded"),
    "households.purged": N_("Household data deleted"),
    "project.published": N_("Public page published"),
    "consent.ballot_cast": N_("Consent ballot cast"),
    "consent.ballot_replaced": N_("Consent ballot replaced"),
    "satisfaction.answered": N_("Satisfaction answer given"),
    "satisfaction.replaced": N_("Satisfaction answer replaced"),
    "comments.left": N_("Comment left"),
    "comments.answered": N_("Comment answered"),
    "comments.answer_amended": N_("Answer amended"),
    "project.unpublished": N_("Public page taken off line"),
    "needs.answered": N_("Needs survey answered"),
    "needs.answer_replaced": N_("Needs survey answer replaced"),
    "needs.menu_changed": N_("Needs menu changed"),
    "attachment.published": N_("File made public"),
    "attachment.unpublished": N_("File no longer public"),
    "audit.broken": N_("Event log found broken"),
}
PROJECT_STATES = {
    "active": N_("Active"),
    "completed": N_("Completed"),
    "overdue": N_("Overdue"),
    "waiting": N_("Awaiting approval"),
    "paused": N_("Clock paused"),
    "suspended": N_("Suspended"),
    "cancelled": N_("Cancelled"),
}

NOTIFICATION_KINDS = {
    "due-soon": N_("Due soon"),
    "due-today": N_("Due today"),
    "overdue": N_("Overdue"),
    "escalation-street-office": N_("Escalated to the street office"),
    "escalation-district": N_("Escalated to the district"),
    "approval-waiting": N_("Still awaiting approval"),
    "project-started": N_("Project started"),
    "approval-requested": N_("Approval requested"),
    "stage-returned": N_("Returned"),
    "stage-approved": N_("Approved"),
    "decision-undone": N_("Decision withdrawn"),
    "stage-looped": N_("Consent failed: new round"),
    "extension-requested": N_("Extension requested"),
    "extension-decided": N_("Extension decided"),
    "project-suspended": N_("Project suspended"),
    "project-resumed": N_("Project resumed"),
    "project-cancelled": N_("Project cancelled"),
    "project-handed-over": N_("Planner changed"),
    "quarterly-report": N_("Quarterly report"),
    "audit-broken": N_("Event log broken"),
}
NOTIFICATION_STATUSES = {
    "pending": N_("queued"),
    "sending": N_("sending"),
    "sent": N_("sent"),
    "retry": N_("to retry"),
    "dead": N_("failed"),
    "dropped": N_("dropped"),
}
DELEGATION_STATUSES = {
    "upcoming": N_("upcoming"),
    "in effect": N_("in effect"),
    "over": N_("over"),
    "ended": N_("ended"),
}
#: the built-in templates' parameters (config/templates/*.yaml) as people name them;
#: a template's own parameter not listed here is shown by its key
PARAMETERS = {
    "households_interviewed_min": N_("minimum households interviewed"),
    "observation_days_min": N_("minimum days of on-site observation"),
    "notice_calendar_days": N_("public notice period (calendar days)"),
    "consent_ratio_min": N_("minimum consent ratio"),
    "site_visit_every_working_days": N_("longest gap between construction site visits (working days)"),
    "respondents_min": N_("minimum satisfaction survey respondents"),
}

_TABLES = {
    "role": ROLES,
    "state": STAGE_STATES,
    "status": PROJECT_STATUSES,
    "level": APPROVAL_LEVELS,
    "decision": DECISIONS,
    "extension": EXTENSION_STATUSES,
    "withdrawal": WITHDRAWAL_REASONS,
    "channel": CHANNELS,
    "event": EVENT_KINDS,
    "project_state": PROJECT_STATES,
    "notification": NOTIFICATION_KINDS,
    "notification_status": NOTIFICATION_STATUSES,
    "delegation": DELEGATION_STATUSES,
    "parameter": PARAMETERS,
}


def shown_stage_state(state: str, project_status: str) -> str:
    """A stage's state as a page shows it: an open stage of a cancelled project is
    "stopped" with it (its stored state stays as it was; it read 进行中)."""
    if project_status == "cancelled" and state in ("in_progress", "submitted"):
        return "stopped"
    return state


def label(table: str, code: str | None, lang: str) -> str:
    """The label of ``code`` in ``table`` (one of role, state, status, level,
    decision, extension, withdrawal, channel, event, project_state, notification,
    notification_status, delegation, parameter); an unknown code is shown as it is."""
    if code is None:
        return ""
    message = _TABLES[table].get(code)
    return translate(message, lang) if message else code


def audience_label(
    audience: str,
    lang: str,
    people: Mapping[str, str],
    streets: Mapping[str, str],
    districts: Mapping[str, str],
) -> str:
    """Who a notification goes to, as people say it — one spelling everywhere
    (messages, `notifications list`, `reminders run`, `notifications channels`):
    ``person:wangrb`` → 王若冰, ``street-office:taiyanggong`` (the Apprise tag
    ``street-office-taiyanggong``) → 太阳宫街道办事处, ``district:chaoyang`` →
    朝阳区规划分局. An id with no name loaded is shown as it is."""
    kind, _, ident = audience.partition(":")
    if kind == "person":
        return people.get(ident, ident)
    if kind == "street-office":
        return translate("{street} street office", lang, street=streets.get(ident, ident))
    if kind == "district":
        return translate("{district} planning branch", lang, district=districts.get(ident, ident))
    return audience


def audience_of_tag(tag: str) -> str | None:
    """The audience an Apprise tag reaches (``street-office-x`` → ``street-office:x``)."""
    for kind in ("street-office", "district", "person"):
        if tag.startswith(kind + "-"):
            return f"{kind}:{tag[len(kind) + 1 :]}"
    return None


def delivery_error_text(
    error: str,
    lang: str,
    people: Mapping[str, str],
    streets: Mapping[str, str],
    districts: Mapping[str, str],
) -> str:
    """A stored delivery error as the reader reads it: "no channel is tagged
    person-chenm …" names whom the message could not reach (陈敏), in the reader's
    language; an error of the channel itself (Apprise's words) is kept as it is."""
    from .models.reminders import NO_CHANNEL_PREFIX, NO_CHANNEL_SUFFIX

    parts = []
    for part in error.split("; "):
        tag = part.removeprefix(NO_CHANNEL_PREFIX).removesuffix(NO_CHANNEL_SUFFIX)
        audience = audience_of_tag(tag) if part != tag else None
        if audience is None:
            parts.append(part)
            continue
        name = audience_label(audience, lang, people, streets, districts)
        parts.append(
            translate("no channel of the Apprise config reaches {name} (tag {tag})", lang, name=name, tag=tag)
        )
    return ("；" if lang == "zh" else "; ").join(parts)
