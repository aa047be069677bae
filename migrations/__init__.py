"""Alembic migrations of the application database (SQLite and PostgreSQL).

``HEAD`` is the newest revision; the CLI compares it with the database's
``alembic_version`` on start-up (one cheap query) and only imports Alembic to
upgrade when they differ. ``tests/integration/test_migrations.py`` checks that it
matches the scripts' real head.
"""

HEAD = "0020"
