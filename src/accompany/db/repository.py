"""The repositories' former single module, kept as an import path.

Each repository now lives in a module of its own: the directory in
:mod:`accompany.db.people`, template snapshots in :mod:`accompany.db.templates`,
project aggregates in :mod:`accompany.db.projects` (with their SQL in
:mod:`accompany.db.project_statements` and a stage's rows in
:mod:`accompany.db.stage_rows`), and the event log in :mod:`accompany.db.event_log`.
"""

from .event_log import CHAIN_LOCK, EventLog
from .people import PeopleRepository, person_from_row
from .projects import STALE_MESSAGE, ProjectRepository
from .stage_rows import (
    approval_level,
    approval_values,
    attachment_values,
    extension_values,
    pause_values,
    stage_values,
)
from .templates import TemplateRepository, template_checksum

__all__ = [
    "CHAIN_LOCK",
    "STALE_MESSAGE",
    "EventLog",
    "PeopleRepository",
    "ProjectRepository",
    "TemplateRepository",
    "approval_level",
    "approval_values",
    "attachment_values",
    "extension_values",
    "pause_values",
    "person_from_row",
    "stage_values",
    "template_checksum",
]
