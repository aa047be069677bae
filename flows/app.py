"""The application as a flow run sees it: wired from the settings of the worker it
runs on (``ACCOMPANY_*`` in that worker's environment), with every event it writes
recorded under the ``flow`` channel.

Flows take no database URL, Apprise config or other secret as a parameter:
Prefect stores a run's parameters in its own database and shows them in its UI.
"""

from __future__ import annotations

import datetime as dt

from ..bootstrap import App, Origin, build_app
from ..clock import FixedClock, SystemClock
from ..config.settings import Settings


def flow_app(now: dt.datetime | None = None) -> App:
    """``now``: a simulated moment (tests, the demo), else the system clock.

    A simulation runs its real time on the same clock (nothing it writes is
    back-dated or in the future of itself); where back-dating is turned off
    (ACCOMPANY_ALLOW_BACKDATING=false) the real time is the system clock, so a
    ``now`` is held to the same rules as the CLI's ``--now``."""
    settings = Settings()
    clock = FixedClock(now) if now else SystemClock()
    return build_app(
        settings,
        clock=clock,
        wall_clock=clock if now and settings.allow_backdating else SystemClock(),
        origin=Origin("flow"),
    )


def run_day(now: dt.datetime | str | None, scheduled: dt.datetime | None) -> str:
    """The Asia/Shanghai day a run acts for, as its name shows it: its simulated
    ``now`` when given, else the time it was scheduled for (a scheduled run has no
    ``now``: its name read "send-reminders None")."""
    from ..clock import parse_moment
    from ..models.deadlines import local_date

    moment = parse_moment(now) if isinstance(now, str) else now
    if moment is None:
        moment = scheduled or dt.datetime.now(dt.UTC)
    return local_date(moment).isoformat()


def this_run_day() -> str:
    """:func:`run_day` of the flow run in progress (Prefect calls a callable
    ``flow_run_name`` inside the run)."""
    from prefect.runtime import flow_run

    return run_day(flow_run.parameters.get("now"), flow_run.scheduled_start_time)
