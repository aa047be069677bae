"""What the service layer needs from the outside world, as small interfaces.
Concrete adapters live in notifications/ and are wired in bootstrap.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Channel:
    """One delivery channel (an Apprise URL). ``key`` identifies it without
    revealing it (a hash); ``label`` is the URL with its secrets masked."""

    key: str
    label: str


class DeliveryFailed(Exception):
    """A channel did not accept a message (the reason carries no secrets).
    ``outcome``: ``refused`` (the channel answered no), ``timeout`` (no answer in
    time: it may have received the message), ``unreachable`` (no connection: it did
    not) or ``error`` (a fault on this side)."""

    def __init__(self, message: str, outcome: str = "refused"):
        super().__init__(message)
        self.outcome = outcome


class Notifier(Protocol):
    def channels(self, tag: str) -> list[Channel]:
        """The channels tagged ``tag`` (empty when none is)."""
        ...

    def send(self, channel: Channel, title: str, body: str, attachments: Sequence[str] = ()) -> None:
        """Deliver one message (with files, where the channel takes them) to one
        channel, blocking the calling thread; raise DeliveryFailed if refused."""
        ...

    def redact(self, text: str) -> str:
        """``text`` with every known secret of the channels masked."""
        ...


class FeedUnavailable(Exception):
    """The event feed did not take a batch (unreachable, refused, misconfigured);
    the message names why, without secrets."""


class EventFeed(Protocol):
    def send(self, events: Sequence[dict[str, Any]]) -> None:
        """Hand over a batch of events (dicts as :func:`accompany.services.relay.
        prefect_event` builds them), blocking; return only once the feed has accepted
        all of them, else raise FeedUnavailable."""
        ...
