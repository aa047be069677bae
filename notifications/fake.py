"""An in-memory notifier for tests: records what would have been sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..services.ports import Channel, DeliveryFailed


@dataclass
class FakeNotifier:
    """Channels by tag; ``fail_times[key]`` makes a channel refuse that many sends."""

    tags: dict[str, list[str]] = field(default_factory=dict)
    fail_times: dict[str, int] = field(default_factory=dict)
    sent: list[tuple[str, str, str]] = field(default_factory=list)

    def channels(self, tag: str) -> list[Channel]:
        return [Channel(key, f"fake://{key}") for key in self.tags.get(tag, [])]

    async def send(self, channel: Channel, title: str, body: str, attachments: Sequence[str] = ()) -> None:
        if self.fail_times.get(channel.key, 0) > 0:
            self.fail_times[channel.key] -= 1
            raise DeliveryFailed(f"{channel.label} refused (simulated)")
        self.sent.append((channel.key, title, body))
