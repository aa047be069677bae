"""The application as a flow run sees it: wired from the worker's own settings, with
every event it writes recorded under the ``flow`` channel."""

from __future__ import annotations

import datetime as dt

from ..bootstrap import App, Origin, build_app
from ..clock import FixedClock, SystemClock


def flow_app(database_url: str | None, now: dt.datetime | None) -> App:
    return build_app(
        database_url=database_url,
        clock=FixedClock(now) if now else SystemClock(),
        origin=Origin("flow"),
    )
