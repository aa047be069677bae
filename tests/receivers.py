"""Local receivers for real Apprise deliveries: an HTTP server for json:// and an
SMTP server (aiosmtpd) for mailto://, started by the tests themselves."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REF = re.compile(r"N-(\d+)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    path: str
    title: str
    body: str
    status: int

    @property
    def refs(self) -> list[int]:
        ref_line = next((line for line in self.body.splitlines() if "ref:" in line), "")
        return [int(n) for n in REF.findall(ref_line)]


@dataclass
class HttpReceiver:
    """Accepts Apprise json:// POSTs. ``fail_next`` answers that many requests with
    HTTP 500; ``delay`` slows each answer; ``on_request`` runs per request."""

    port: int = field(default_factory=free_port)
    fail_next: int = 0
    delay: float = 0.0
    on_request: Callable[[Received], None] | None = None
    requests: list[Received] = field(default_factory=list)

    in_flight: int = 0
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length) or b"{}"
                try:
                    payload: dict[str, Any] = json.loads(raw)
                except ValueError:  # form:// and xml:// post other formats
                    payload = {"message": raw.decode("utf-8", "replace")}
                with receiver._lock:
                    status = 500 if receiver.fail_next > 0 else 200
                    if receiver.fail_next > 0:
                        receiver.fail_next -= 1
                    item = Received(self.path, payload.get("title", ""), payload.get("message", ""), status)
                    receiver.requests.append(item)
                    receiver.in_flight += 1
                    receiver.max_in_flight = max(receiver.max_in_flight, receiver.in_flight)
                try:
                    if receiver.on_request:
                        receiver.on_request(item)
                    if receiver.delay:
                        time.sleep(receiver.delay)
                finally:
                    with receiver._lock:
                        receiver.in_flight -= 1
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    @property
    def delivered(self) -> list[Received]:
        """Requests answered with 2xx: what a receiving system actually accepted."""
        return [r for r in self.requests if r.status < 300]

    def delivered_to(self, path: str) -> list[Received]:
        return [r for r in self.delivered if r.path.rstrip("/") == "/" + path]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Mail:
    to: list[str]
    subject: str
    body: str
    attachments: dict[str, bytes] = field(default_factory=dict)


class SmtpReceiver:
    """An SMTP server on localhost collecting what Apprise's mailto:// sends."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.messages: list[Mail] = []
        receiver = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                parsed = message_from_bytes(envelope.content)
                subject = str(make_header(decode_header(parsed.get("Subject", ""))))
                parts = (
                    [parsed]
                    if not parsed.is_multipart()
                    else [p for p in parsed.walk() if not p.is_multipart()]
                )
                text = ""
                files: dict[str, bytes] = {}
                for part in parts:
                    name = part.get_filename()
                    if name:
                        files[str(make_header(decode_header(name)))] = part.get_payload(decode=True)
                    elif part.get_content_type() == "text/plain" and not text:
                        text = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
                receiver.messages.append(Mail(list(envelope.rcpt_tos), subject, text, files))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def url(self, to: str) -> str:
        return f"mailto://127.0.0.1:{self.port}?to={to}&from=accompany@example.com&smtp=127.0.0.1&secure=no"

    def stop(self) -> None:
        self.controller.stop()


def apprise_yaml(entries: dict[str, str]) -> str:
    """An Apprise YAML config: URL → tags."""
    lines = ["version: 1", "urls:"]
    for url, tags in entries.items():
        lines += [f'  - "{url}":', f"      tag: {tags}"]
    return "\n".join(lines) + "\n"
