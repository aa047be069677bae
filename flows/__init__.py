"""Prefect flows: thin orchestration over the service layer.

Importing this package quiets Prefect's console (warnings only) and turns its
telemetry off unless the operator set those variables — on the embedded default the
telemetry otherwise logs "database is locked" errors from the ephemeral server.
The ephemeral server is given two minutes to start, not Prefect's 20 seconds: on a
busy machine (a 2-core laptop installing packages beside it) the demo's first flow
failed with "Timed out while attempting to connect to ephemeral Prefect API server".
"""

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
