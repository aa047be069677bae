"""An in-memory notifier for tests: records what would have been sent."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..services.ports import Channel, DeliveryFailed


@dataclass
class FakeNotifier:
    """Channels by tag; ``fail_times[key]`` makes a channel refuse that many sends."""

    tags: dict[str, list[str]] = field(default_factory=dict)
    fail_times: dict[str, int] = field(default_factory=dict)
    sent: list[tuple[str, str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def channels(self, tag: str) -> list[Channel]:
        return [Channel(key, f"fake://{key}") for key in self.tags.get(tag, [])]

    def send(self, channel: Channel, title: str, body: str, attachments: Sequence[str] = ()) -> None:
        with self._lock:
            if self.fail_times.get(channel.key, 0) > 0:
                self.fail_times[channel.key] -= 1
                raise DeliveryFailed(f"refused: {channel.label} (simulated)")
            self.sent.append((channel.key, title, body))

    def redact(self, text: str) -> str:
        return text
