"""Delivery through Apprise: channels come from an Apprise configuration file (YAML
or TEXT) with tags per person, street office and district.

Channels are resolved per tag with ``Apprise.find`` and sent to one by one, so the
caller learns which channel accepted a message (a retry then skips those), and so a
tag that matches nothing is reported instead of passing silently (``notify()``
returns ``None`` in Apprise 1.x and a NOMATCH result in 2.x for that case). URLs
carry tokens: only masked URLs (``url(privacy=True)``) and hashes leave this module,
and Apprise's own log lines, which may quote whole URLs, are kept off the console.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..models.errors import InvalidInput
from ..services.ports import Channel, DeliveryFailed

_SAFE_LOG = re.compile(r"entry #\d+|line \d+", re.I)


def _quiet_apprise_logger() -> None:
    logger = logging.getLogger("apprise")
    logger.propagate = False  # its records may quote secret URLs


class AppriseNotifier:
    def __init__(self, config_path: Path):
        import apprise

        _quiet_apprise_logger()
        if not config_path.is_file():
            raise InvalidInput(f"Apprise config {config_path} does not exist")
        config = apprise.AppriseConfig()
        with apprise.LogCapture(level=logging.WARNING) as captured:
            loaded = config.add(str(config_path))
            self._apprise = apprise.Apprise()
            self._apprise.add(config)
            services = list(self._apprise.find(match_always=False))
        problems = [
            line.split(" - ", 2)[-1]
            for line in captured.getvalue().splitlines()
            if _SAFE_LOG.search(line) and "URL" not in line
        ]
        if not loaded or not services:
            detail = f" ({'; '.join(problems)})" if problems else ""
            raise InvalidInput(f"Apprise config {config_path}: no channel could be loaded{detail}")
        self.path = config_path
        self.problems = problems
        self._by_key: dict[str, Any] = {}
        self._channels: list[tuple[Channel, frozenset[str]]] = []
        for service in services:
            key = hashlib.sha256(service.url().encode()).hexdigest()[:16]
            channel = Channel(key, service.url(privacy=True))
            self._by_key[key] = service
            self._channels.append((channel, frozenset(str(t) for t in service.tags)))

    def all_channels(self) -> list[tuple[Channel, frozenset[str]]]:
        return list(self._channels)

    def channels(self, tag: str) -> list[Channel]:
        wanted = {
            hashlib.sha256(s.url().encode()).hexdigest()[:16]
            for s in self._apprise.find(tag=tag, match_always=False)
        }
        return [channel for channel, _ in self._channels if channel.key in wanted]

    async def send(self, channel: Channel, title: str, body: str, attachments: Sequence[str] = ()) -> None:
        """Channels that cannot take files get the text alone (Apprise drops the
        attachment); the text names the files' location for them."""
        import apprise

        service = self._by_key[channel.key]
        attach = None
        if attachments:
            attach = apprise.AppriseAttachment()
            for path in attachments:
                attach.add(path)
        try:
            accepted = await service.async_notify(body=body, title=title, attach=attach)
        except Exception as exc:  # a plugin bug must not take the dispatcher down
            raise DeliveryFailed(f"{channel.label}: {type(exc).__name__}") from None
        if not accepted:
            raise DeliveryFailed(f"{channel.label} did not accept the message")
