"""The web app (FastAPI + Jinja2, server-rendered, Chinese first, every asset
vendored) and the JSON API under /api/v1 — adapters over the service layer."""
