"""Read models for people at work (the web app and the API): what waits for me, the
projects I may see, one project's page — always within the person's own scope, with
names rather than ids.

This module is the pages' one entry point: the web routes and the API call
``worklists.my_work(...)``, ``worklists.project_view(...)`` and so on, and it only
gathers the public names of the parts, each in a module of its own:

- :mod:`.scope`: which projects a person may see (and the delegations that widen it);
- :mod:`.names`: the names a page shows instead of ids;
- :mod:`.my_work`: what waits for a person, by role;
- :mod:`.portfolio`: the projects of a scope that match a coordinator's filters;
- :mod:`.project_view`: one project's page, its log, a stage's forms, its files;
- :mod:`.quarter_overview`: a district's quarter at a glance.

Services import from the part itself. ``_OVERVIEWS`` is the quarter overview's cache
itself (the same dict, which the part only ever changes in place), so that clearing
``worklists._OVERVIEWS`` clears the figures.
"""

from __future__ import annotations

from .my_work import (
    RECENT_DECISIONS,
    ExtensionItem,
    MyWork,
    ReturnInfo,
    StandIn,
    WorkItem,
    my_work,
)
from .names import Names, load_names
from .portfolio import (
    MAX_PAGE,
    CurrentStage,
    FilterChoices,
    PortfolioRow,
    ProjectFilter,
    ProjectState,
    browse_projects,
    filter_choices,
    portfolio,
    portfolio_records,
)
from .project_view import (
    DecidingFor,
    EventsPage,
    ProjectView,
    StageForm,
    StoredAttachment,
    attachment_file,
    newer_template,
    project_action_refusal,
    project_events,
    project_view,
    stage_action_refusal,
    stage_form,
)
from .quarter_overview import (
    _OVERVIEWS,
    OverdueItem,
    QuarterOverview,
    StreetFigures,
    ensure_may_see_reports,
    quarter_overview,
    report_street,
)
from .scope import ensure_visible, scope_condition, visible_project_ids

__all__ = [
    "MAX_PAGE",
    "RECENT_DECISIONS",
    "_OVERVIEWS",
    "CurrentStage",
    "DecidingFor",
    "EventsPage",
    "ExtensionItem",
    "FilterChoices",
    "MyWork",
    "Names",
    "OverdueItem",
    "PortfolioRow",
    "ProjectFilter",
    "ProjectState",
    "ProjectView",
    "QuarterOverview",
    "ReturnInfo",
    "StageForm",
    "StandIn",
    "StoredAttachment",
    "StreetFigures",
    "WorkItem",
    "attachment_file",
    "browse_projects",
    "ensure_may_see_reports",
    "ensure_visible",
    "filter_choices",
    "load_names",
    "my_work",
    "newer_template",
    "portfolio",
    "portfolio_records",
    "project_action_refusal",
    "project_events",
    "project_view",
    "quarter_overview",
    "report_street",
    "scope_condition",
    "stage_action_refusal",
    "stage_form",
    "visible_project_ids",
]
