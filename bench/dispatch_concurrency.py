"""Does ``ACCOMPANY_DISPATCH_CONCURRENCY`` control how many messages are in flight?

    python bench/dispatch_concurrency.py [--messages 96] [--delay 0.25]

A local json:// receiver answers each request after ``--delay`` seconds and counts
the requests in flight. First Apprise's ``async_notify`` alone (what the dispatcher
used before: every send queued on Apprise's shared pool of CPUs + 4 threads,
whatever the setting said), then the dispatcher at several settings on its own
thread pool: wall time and the most requests in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accompany.bootstrap import build_app, dispose_engines
from accompany.clock import FixedClock
from accompany.config.settings import Settings
from accompany.models.reminders import Intent, NotificationKind
from accompany.services.dispatch import dispatch
from tests.receivers import HttpReceiver, apprise_yaml

NOW = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # a Monday, 10:00 in Beijing


def apprise_async(receiver: HttpReceiver, messages: int) -> tuple[float, int]:
    import apprise

    services = []
    for _ in range(messages):
        a = apprise.Apprise()
        a.add(receiver.url("x"))
        services.append(a[0])

    async def run() -> None:
        await asyncio.gather(*(s.async_notify(body="b", title="t") for s in services))

    receiver.max_in_flight = 0
    started = time.monotonic()
    asyncio.run(run())
    return time.monotonic() - started, receiver.max_in_flight


def dispatcher(receiver: HttpReceiver, messages: int, concurrency: int) -> tuple[float, int]:
    home = Path(tempfile.mkdtemp())
    config = home / "apprise.yaml"
    config.write_text(apprise_yaml({receiver.url("x"): "person-p"}), encoding="utf-8")
    settings = Settings(home=home, apprise_config=config, dispatch_concurrency=concurrency)
    app = build_app(settings, database_url=f"sqlite:///{home / 'b.db'}", clock=FixedClock(NOW))
    intents = [
        Intent("person:p", NotificationKind.PROJECT_STARTED, None, None, f"n{i}", {"project": f"p{i}"})
        for i in range(messages)
    ]
    with app.uow() as uow:
        uow.outbox.queue(intents, now=NOW, not_before=NOW)
        uow.commit()
    receiver.max_in_flight = 0
    started = time.monotonic()
    result = dispatch(app, app.notifier())
    elapsed = time.monotonic() - started
    if result.sent != messages:
        print(f"  ({messages - result.sent} not accepted by the receiver: {result.errors[:1]})")
    dispose_engines()
    return elapsed, receiver.max_in_flight


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=96)
    parser.add_argument("--delay", type=float, default=0.25)
    args = parser.parse_args()
    receiver = HttpReceiver(delay=args.delay)
    try:
        print(f"{args.messages} messages, receiver answers after {args.delay}s, {os.cpu_count()} CPUs")
        elapsed, peak = apprise_async(receiver, args.messages)
        print(f"apprise async_notify (before): {elapsed:6.2f}s  max in flight {peak}")
        for concurrency in (4, 6, 16, 32):
            elapsed, peak = dispatcher(receiver, args.messages, concurrency)
            print(f"dispatch concurrency {concurrency:>3}:     {elapsed:6.2f}s  max in flight {peak}")
    finally:
        receiver.stop()


if __name__ == "__main__":
    main()
