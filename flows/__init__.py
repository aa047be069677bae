"""Prefect flows: thin orchestration over the service layer.

Importing this package quiets Prefect's console (warnings only) and turns its
telemetry off unless the operator set those variables — on the embedded default the
telemetry otherwise logs "database is locked" errors from the ephemeral server.
"""

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
