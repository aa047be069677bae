"""One line per audit-log event, as a person reads it: names and labels in their
language, never ids or raw JSON. Shared by the web pages (and the CLI)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .i18n import translate
from .labels import label
from .models.errors import N_


def _control(c: str) -> bool:
    return (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0


def printable(text: str) -> str:
    """Text from people as it may be printed on a terminal: control characters and
    escape sequences shown escaped (a name can't move the cursor, clear the screen or
    colour it), line breaks and tabs kept. Linear in the length."""
    if not any(map(_control, text)):
        return text
    return "".join(c.encode("unicode_escape").decode() if _control(c) else c for c in text)


def evidence_text(values: Mapping[str, Any], labels: Mapping[str, str], lang: str) -> str:
    parts = []
    for key, value in values.items():
        if isinstance(value, bool):
            value = translate("yes", lang) if value else translate("no", lang)
        parts.append(f"{labels.get(key, key)} = {value}")
    return "，".join(parts) if lang == "zh" else ", ".join(parts)


def party_changes(data: Mapping[str, Any], lang: str) -> list[tuple[str, str, str]]:
    """A ``project.edited`` event's changes of parties: (the party's role in words, who
    held it, who holds it now), each by the name the event recorded (by id when it
    recorded none), "—" for nobody."""
    names = data.get("names") or {}
    return [
        (
            label("role", role, lang),
            names.get(before, before) if before else "—",
            names.get(after, after) if after else "—",
        )
        for role, (before, after) in (data.get("parties") or {}).items()
    ]


def event_summary(kind: str, data: Mapping[str, Any], evidence_labels: Mapping[str, str], lang: str) -> str:
    """The details of one event (the kind, actor and time are shown beside it)."""

    def _(message: str, **values: Any) -> str:
        return translate(message, lang, **values)

    if kind == "project.started":
        return _(
            "{name}, {community}; starts {day}",
            name=data.get("name"),
            community=data.get("community"),
            day=data.get("start_date"),
        )
    if kind == "stage.submitted":
        parts = []
        if data.get("evidence"):
            parts.append(evidence_text(data["evidence"], evidence_labels, lang))
        if data.get("attachments"):
            parts.append(
                _(
                    "files: {names}",
                    names="、".join(data["attachments"]) if lang == "zh" else ", ".join(data["attachments"]),
                )
            )
        if data.get("note"):
            parts.append(_("note: {text}", text=data["note"]))
        return "；".join(parts) if lang == "zh" else "; ".join(parts)
    if kind == "stage.approved":
        level = label("level", data.get("level"), lang) if data.get("level") else ""
        comment = data.get("comment")
        if data.get("level") is None:
            return _("no approval required")
        return f"{level}{('：' if lang == 'zh' else ': ') + comment if comment else ''}"
    if kind == "stage.returned":
        return _(
            "{level}: {reason}", level=label("level", data.get("level"), lang), reason=data.get("reason")
        )
    if kind == "stage.decision_undone":
        what = _("return") if data.get("decision") == "returned" else _("approval")
        return _(
            "{level} {what} of {when} undone: {reason}",
            level=label("level", data.get("level"), lang),
            what=what,
            when=_local_minute(data.get("decided_at")),
            reason=data.get("reason"),
        )
    if kind == "stage.looped":
        tally = data.get("tally") or {}
        return _(
            "back to {target} for a new round ({stages} stages reset; {agreeing} of {participating} "
            "households agreed): {reason}",
            target=data.get("target"),
            stages=len(data.get("stages_reset") or ()),
            agreeing=tally.get("agreeing", 0),
            participating=tally.get("participating", 0),
            reason=data.get("reason"),
        )
    if kind == "stage.clock_paused":
        return _("reason: {text}", text=data.get("reason"))
    if kind == "stage.clock_resumed":
        return _("paused for {days} working days", days=data.get("paused_working_days"))
    if kind == "stage.extension_requested":
        return _("{days} working days: {reason}", days=data.get("working_days"), reason=data.get("reason"))
    if kind == "stage.extension_granted":
        text = _(
            "{granted} of {asked} working days",
            granted=data.get("granted_days"),
            asked=data.get("requested_days"),
        )
        return text + (
            f"：{data['comment']}"
            if lang == "zh" and data.get("comment")
            else f": {data['comment']}"
            if data.get("comment")
            else ""
        )
    if kind == "stage.extension_refused":
        return _("reason: {text}", text=data.get("comment"))
    if kind == "stage.extension_withdrawn":
        why = data.get("why", "new_round")
        if why == "stage_done":
            text = N_("{days} working days asked ({reason}): withdrawn, the stage was marked done")
        elif why == "stage_approved":
            text = N_("{days} working days asked ({reason}): withdrawn, the stage was approved")
        elif why == "project_cancelled":
            text = N_("{days} working days asked ({reason}): withdrawn, the project was cancelled")
        else:
            text = N_("{days} working days asked ({reason}): withdrawn by a new round")
        return _(text, days=data.get("working_days"), reason=data.get("reason"))
    if kind in ("stage.deadline_set", "stage.deadline_changed"):
        due = data.get("due")
        provisional = _(" (provisional)") if data.get("provisional") else ""
        return _("due {day}{provisional}", day=due, provisional=provisional)
    if kind == "stage.activated":
        return _("started on {day}", day=data.get("started_on"))
    if kind in ("project.suspended", "project.cancelled"):
        return _("reason: {text}", text=data.get("reason"))
    if kind == "project.resumed":
        return _("suspended for {days} working days", days=data.get("suspended_working_days"))
    if kind == "project.handed_over":
        return _(
            "{before} → {after}; handover note: {note}",
            before=data.get("from_name") or data.get("from"),
            after=data.get("to_name") or data.get("to"),
            note=data.get("note"),
        )
    if kind == "project.migrated":
        return migration_summary(data, lang)
    if kind == "project.edited":
        what = {"name": _("name"), "community": _("community")}
        colon = "：" if lang == "zh" else ": "  # a Chinese line takes the full-width colon
        parts = [
            f"{what.get(key, key)}{colon}{before} → {after}"
            for key, (before, after) in (data.get("changes") or {}).items()
        ]
        parts += [f"{what}{colon}{before} → {after}" for what, before, after in party_changes(data, lang)]
        return "；".join(parts) if lang == "zh" else "; ".join(parts)
    if kind == "households.loaded":
        return _(
            "{count} households ({contacts} with a contact); replaced {replaced}",
            count=data.get("households"),
            contacts=data.get("with_contact"),
            replaced=data.get("replaced"),
        )
    if kind == "households.purged":
        reason = _("on request") if data.get("reason") == "request" else _("retention period ended")
        if data.get("contacts_only"):
            count = data.get("contacts")
            return _("contacts of {count} households deleted ({reason})", count=count, reason=reason)
        return _(
            "register of {count} households deleted ({reason})", count=data.get("households"), reason=reason
        )
    if kind in ("consent.ballot_cast", "consent.ballot_replaced"):
        from .services.consent import choice_label

        channel = _("paper ballot") if data.get("channel") == "paper" else _("on the public page")
        choice = choice_label(str(data.get("choice")), lang)
        if data.get("replaced"):
            previous = choice_label(str(data["replaced"]), lang)
            return _(
                "household #{household}: {choice} ({channel}), replacing {previous}",
                household=data.get("household"),
                choice=choice,
                channel=channel,
                previous=previous,
            )
        return _(
            "household #{household}: {choice} ({channel})",
            household=data.get("household"),
            choice=choice,
            channel=channel,
        )
    if kind in ("satisfaction.answered", "satisfaction.replaced"):
        channel = _("paper answer") if data.get("channel") == "paper" else _("answered on the public page")
        scores = "{}/{}/{}".format(data.get("content"), data.get("process"), data.get("management"))
        text = _(
            "household #{household}: content/process/management {scores} ({channel})",
            household=data.get("household"),
            scores=scores,
            channel=channel,
        )
        if data.get("replaced"):
            text += ("，" if lang == "zh" else ", ") + _("replacing its earlier answer")
        return text
    if kind.startswith("comments."):
        return comment_summary(kind, data, lang)
    if kind in ("needs.answered", "needs.answer_replaced", "needs.menu_changed"):
        return _needs_summary(kind, data, _)
    if kind == "notification.sent":
        return _("message: {kind}", kind=data.get("kind"))
    if kind in ("attachment.published", "attachment.unpublished"):
        return _("file: {name}", name=data.get("file"))
    return ""


def migration_summary(data: Mapping[str, Any], lang: str) -> str:
    """An audit-log line of a template migration: from and to which version, then
    each stage that changed (renamed, added, removed); stages kept as they were are
    counted."""
    from .i18n import translator

    _ = translator(lang)
    before = str(data.get("template_from", ""))
    after = str(data.get("template_to", ""))
    name, _at, version = after.partition("@")
    head = f"{before} → @{version}" if before.partition("@")[0] == name else f"{before} → {after}"
    parts = []
    kept = 0
    for stage in data.get("stages") or ():
        change = stage.get("change")
        english = "_en" if lang == "en" else ""
        before_name = stage.get(f"from_name{english}") or stage.get("from_name") or stage.get("from")
        after_name = stage.get(f"to_name{english}") or stage.get("to_name") or stage.get("to")
        if change == "renamed":
            parts.append(_("{before} renamed {after}", before=before_name, after=after_name))
        elif change == "added":
            parts.append(_("{stage} added", stage=after_name))
        elif change == "removed":
            parts.append(_("{stage} removed", stage=before_name))
        else:
            kept += 1
    if kept:
        parts.append(_("{count} stage(s) kept", count=kept))
    dropped = data.get("params_dropped") or []
    if dropped:
        parts.append(_("parameters dropped: {names}", names=", ".join(dropped)))
    separator = "；" if lang == "zh" else "; "
    return head + ("：" if lang == "zh" else ": ") + separator.join(parts)


def _local_minute(text: Any) -> str:
    """An ISO moment from an event's data as people read it: Beijing time to the minute."""
    import datetime as dt

    from .models.deadlines import LOCAL_TZ

    try:
        return dt.datetime.fromisoformat(str(text)).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(text or "")


def comment_summary(kind: str, data: Mapping[str, Any], lang: str) -> str:
    """An audit-log line of 问计: the comment's number, kind, channel and text (the
    caller escapes it when shown)."""
    from .i18n import translator
    from .services.comments import kind_label

    _ = translator(lang)
    if kind == "comments.left":
        channel = _("paper") if data.get("channel") == "paper" else _("on the public page")
        return _(
            "household #{household}: {kind} #{comment} ({channel}): {text}",
            household=data.get("household"),
            kind=kind_label(str(data.get("kind")), lang)
            if data.get("kind") in ("comment", "objection")
            else "",
            comment=data.get("comment"),
            channel=channel,
            text=data.get("text", ""),
        )
    return _("comment #{comment}: {text}", comment=data.get("comment"), text=data.get("text", ""))


def _needs_summary(kind: str, data: Mapping[str, Any], _: Any) -> str:
    """A needs-survey event: an answer (items, points, channel) or a menu change."""
    if kind == "needs.menu_changed":
        action = data.get("action")
        if action == "default":
            return _("default needs menu copied in ({count} items)", count=data.get("items"))
        what = {
            "added": _("added"),
            "renamed": _("renamed"),
            "retired": _("retired"),
            "deleted": _("deleted"),
        }.get(str(action), str(action))
        return f"{what}: #{data.get('item')} {data.get('name')}"
    channel = _("paper answer") if data.get("channel") == "paper" else _("on the public page")
    message = (
        N_(
            "household #{household}: {count} needs, {points} problem points ({channel}), "
            "replacing the earlier answer"
        )
        if data.get("replaced") is not None
        else N_("household #{household}: {count} needs, {points} problem points ({channel})")
    )
    return str(
        _(
            message,
            household=data.get("household"),
            count=len(data.get("items") or []),
            points=data.get("points"),
            channel=channel,
        )
    )
