"""Delivery through Apprise: channels come from an Apprise configuration file (YAML
or TEXT) with tags per person, street office and district.

Channels are resolved per tag with ``Apprise.find`` and sent to one by one, so the
caller learns which channel accepted a message (a retry then skips those), and so a
tag that matches nothing is reported instead of passing silently (``notify()``
returns ``None`` in Apprise 1.x and a NOMATCH result in 2.x for that case).

Secrets: URLs carry tokens in the password, the host (a WeCom/DingTalk robot key),
the path (a webhook token), the query and headers (``?+Authorization=…``), and
``url(privacy=True)`` masks only some of them. So a channel is shown by a label
built here — scheme, user, host and port, the path and query masked — and every
secret value the channel's own fields hold (Apprise's private tokens, the password,
header and parameter values, path segments) is collected into a redactor that
scrubs any error text before it leaves this module. Apprise's own log lines, which
may quote whole URLs, are kept off the console: they are only read, per sending
thread, to tell a timeout from a refusal.

``send`` is synchronous and runs in the caller's thread (the dispatcher's own pool,
sized by ``ACCOMPANY_DISPATCH_CONCURRENCY``): ``async_notify`` would queue every
send on Apprise's shared pool of CPUs + 4 threads whatever the setting says.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..models.errors import N_, InvalidInput, Problem
from ..redaction import MASK, Redactor
from ..services.ports import Channel, DeliveryFailed

_SAFE_LOG = re.compile(r"entry #\d+|line \d+", re.I)
_HTTP_STATUS = re.compile(r"error=(\d{3})")
_TIMEOUT = re.compile(r"timed? ?out|timeout", re.I)
_UNREACHABLE = re.compile(r"connection (error|refused|reset|aborted)|name or service|no route", re.I)
# generic webhooks: any part of the path may be the token
_GENERIC = {"json", "jsons", "form", "forms", "xml", "xmls"}


class _Guard(logging.Filter):
    """On Apprise's logger: hands each record to the sending thread that asked for
    it (to tell a timeout from a refusal), lets no record below WARNING through to
    any handler (Apprise's debug lines quote whole URLs), and scrubs the secrets of
    every loaded channel out of the records it lets through."""

    def __init__(self, drop_below: int = logging.WARNING) -> None:
        super().__init__()
        self.drop_below = drop_below
        self.local = threading.local()
        self.secrets: set[str] = set()
        self.redactor = Redactor()

    def learn(self, secrets: set[str]) -> None:
        if not secrets <= self.secrets:
            self.secrets |= secrets
            self.redactor = Redactor(self.secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a malformed record: nobody needs it
            return False
        lines = getattr(self.local, "lines", None)
        if lines is not None:
            lines.append(text)
        if record.levelno < self.drop_below:
            return False
        record.msg, record.args = self.redactor(text), ()
        return True


_GUARD = _Guard()
# the HTTP library under Apprise logs request lines (paths, queries) at DEBUG
_HTTP_LOGGERS = ("urllib3.connectionpool", "urllib3.connection", "requests")
_HTTP_GUARD = _Guard(drop_below=logging.NOTSET)
_HTTP_GUARD.local = _GUARD.local


def _quiet_apprise_logger() -> None:
    logger = logging.getLogger("apprise")
    logger.propagate = False  # its records may quote secret URLs
    if _GUARD not in logger.filters:
        logger.addFilter(_GUARD)
    for name in _HTTP_LOGGERS:
        http = logging.getLogger(name)
        if _HTTP_GUARD not in http.filters:
            http.addFilter(_HTTP_GUARD)
    logger.setLevel(logging.DEBUG)  # the guard reads them; none below WARNING passes it


@contextmanager
def _captured() -> Iterator[list[str]]:
    lines: list[str] = []
    _GUARD.local.lines = lines
    try:
        yield lines
    finally:
        _GUARD.local.lines = None


def _strings(value: Any) -> list[str]:
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, str | int | float):
        return [str(value)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple | set | frozenset):
        return [s for v in value for s in _strings(v)]
    return []


def channel_secrets(service: Any) -> set[str]:
    """Every secret value one Apprise service holds, from its own fields: the tokens
    its plugin marks private (robot keys, webhook tokens, API keys), the password,
    header and parameter values, and — for generic webhooks — the path's segments."""
    found: list[str] = []
    for table in ("template_tokens", "template_args"):
        for name, spec in (getattr(service, table, None) or {}).items():
            if isinstance(spec, dict) and spec.get("private"):
                found += _strings(getattr(service, spec.get("map_to") or name, None))
    found += _strings(getattr(service, "password", None))
    for name in ("headers", "params", "payload_extras", "payload_overrides", "qsd"):
        for value in _strings(getattr(service, name, None)):
            found.append(value)
            found += value.split()[1:]  # "Bearer TOKEN": the token alone, too
    scheme = _scheme(service)
    if scheme in _GENERIC:
        path = getattr(service, "fullpath", None) or ""
        found += [segment for segment in path.split("/") if segment]
    return {s for s in found if s.strip()}


def _scheme(service: Any) -> str:
    try:
        return service.url(privacy=True).split("://", 1)[0].lower()
    except Exception:
        return "?"


def channel_label(service: Any, redactor: Redactor) -> str:
    """scheme://user:***@host:port/*** — what may be shown of a channel."""
    parts = urlsplit(service.url(privacy=True))
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        name, sep, _password = user.partition(":")
        netloc = f"{name}{sep}{MASK if sep else ''}@{host}"
    path = "/".join(MASK if segment else "" for segment in parts.path.split("/")).rstrip("/")
    return redactor(f"{parts.scheme}://{netloc}{path}")


_URL = re.compile(r"(?<![A-Za-z0-9+.\-])([A-Za-z][A-Za-z0-9+.\-]*)://[^\s\"'<>]*")
#: a problem in Apprise's own (English) words, when no line of the file is found wrong
APPRISE_SAYS = "{message}"
NO_URL = N_("it lists no channel URL")


def config_problems(text: str) -> list[Problem]:
    """What keeps an Apprise configuration's channels from loading, each naming its
    line: a YAML syntax error, a URL whose scheme Apprise has no channel type for.
    Only the scheme of a URL is named: the rest may hold a token."""
    import yaml
    from apprise.manager_plugins import NotificationManager

    found: list[Problem] = []
    if re.search(r"^\s*(version|urls|include)\s*:", text, re.M):  # Apprise reads it as YAML
        try:
            yaml.safe_load(text)
        except yaml.MarkedYAMLError as exc:
            # where the construct began (a bracket left open): the end of the file
            # is where the parser noticed
            mark = exc.context_mark or exc.problem_mark
            if mark is not None:
                found.append(
                    Problem(
                        None,
                        N_("line {line}, column {column}: not valid YAML"),
                        {"line": mark.line + 1, "column": mark.column + 1},
                    )
                )
        except yaml.YAMLError:
            found.append(Problem(None, N_("not valid YAML"), {}))
    known = {str(schema).lower() for schema in NotificationManager().schemas()}
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        for match in _URL.finditer(line):
            scheme, url = match.group(1), match.group(0).rstrip(":")
            if scheme.lower() not in known:
                message = N_("line {line}: {scheme}:// is not a channel type Apprise knows")
            elif not _loads(url):
                message = N_("line {line}: the {scheme}:// address is incomplete or not valid")
            else:
                continue
            found.append(Problem(None, message, {"line": number, "scheme": scheme}))
    return found


def _loads(url: str) -> bool:
    """Whether Apprise makes a channel of ``url`` (its complaints, which may quote
    the URL, are captured and dropped)."""
    import apprise

    with apprise.LogCapture(level=logging.CRITICAL):
        return apprise.Apprise.instantiate(url, suppress_exceptions=True) is not None


def _classify(lines: list[str]) -> tuple[str, str]:
    """(outcome, detail) of a send Apprise reported as not accepted."""
    text = "\n".join(lines)
    if _TIMEOUT.search(text):
        return "timeout", ""
    status = _HTTP_STATUS.search(text)
    if status:
        return "refused", f" (HTTP {status.group(1)})"
    if _UNREACHABLE.search(text):
        return "unreachable", ""
    return "refused", ""


class AppriseNotifier:
    def __init__(self, config_path: Path):
        import apprise

        _quiet_apprise_logger()
        from ..yamlfile import checked_text

        checked_text(config_path, "Apprise config")  # a regular file, size-capped, no alias bomb
        config = apprise.AppriseConfig()
        with apprise.LogCapture(level=logging.WARNING) as captured:
            loaded = config.add(str(config_path))
            self._apprise = apprise.Apprise()
            self._apprise.add(config)
            services = list(self._apprise.find(match_always=False))
        self._secrets: set[str] = set()
        for service in services:
            self._secrets |= channel_secrets(service)
        self.redactor = Redactor(self._secrets)
        _GUARD.learn(self._secrets)
        _HTTP_GUARD.learn(self._secrets)
        problems = [
            self.redactor(line.split(" - ", 2)[-1])
            for line in captured.getvalue().splitlines()
            if _SAFE_LOG.search(line) and "URL" not in line
        ]
        if not loaded or not services:
            # what is wrong, by line: Apprise's log says it only for some mistakes (a
            # YAML entry's unknown scheme), in English, and not at all for others
            found = config_problems(config_path.read_text(encoding="utf-8", errors="replace"))
            if not found:
                found = [Problem(None, APPRISE_SAYS, {"message": line}) for line in problems]
            if not found:
                found = [Problem(None, NO_URL, {})]
            raise InvalidInput(
                "Apprise config {path}: no channel could be loaded: {problems}",
                path=str(config_path),
                problems=found,
            )
        self.path = config_path
        self.problems = problems
        self._by_key: dict[str, Any] = {}
        self._channels: list[tuple[Channel, frozenset[str]]] = []
        for service in services:
            key = hashlib.sha256(service.url().encode()).hexdigest()[:16]
            channel = Channel(key, channel_label(service, self.redactor))
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

    def redact(self, text: str) -> str:
        """``text`` with every secret of every channel masked (whole values)."""
        return self.redactor(text)

    def send(self, channel: Channel, title: str, body: str, attachments: Sequence[str] = ()) -> None:
        """Deliver in the calling thread. Channels that cannot take files get the
        text alone (Apprise drops the attachment); the text names the files'
        location for them. A refusal says whether the channel timed out (it may
        have received the message), could not be reached, or refused it."""
        import apprise

        service = self._by_key[channel.key]
        attach = None
        if attachments:
            attach = apprise.AppriseAttachment()
            for path in attachments:
                attach.add(path)
        _quiet_apprise_logger()  # a logging set-up since (dictConfig) may have reset it
        with _captured() as lines:
            try:
                accepted = service.notify(body=body, title=title, attach=attach)
            except Exception as exc:  # a plugin bug must not take the dispatcher down
                raise DeliveryFailed(f"error: {channel.label}: {type(exc).__name__}", "error") from None
        if accepted:
            return
        outcome, detail = _classify(lines)
        if outcome == "timeout":
            message = f"timed out: {channel.label} (it may have received the message)"
        elif outcome == "unreachable":
            message = f"could not connect: {channel.label}"
        else:
            message = f"refused: {channel.label} did not accept the message{detail}"
        raise DeliveryFailed(self.redact(message), outcome)
