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
    """``now``: a simulated moment (tests, the demo), else the system clock."""
    return build_app(
        Settings(),
        clock=FixedClock(now) if now else SystemClock(),
        origin=Origin("flow"),
    )
