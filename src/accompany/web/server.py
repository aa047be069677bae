"""The ASGI app as a server process builds it: wired from the process's own
settings (each uvicorn/gunicorn worker calls :func:`asgi_app`)."""

from __future__ import annotations

from fastapi import FastAPI

from ..bootstrap import Origin, build_app
from ..config.settings import Settings
from .app import create_web_app


def asgi_app() -> FastAPI:
    return create_web_app(build_app(Settings(), origin=Origin("web")))
