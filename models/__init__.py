"""The pure domain core of accompany.

Nothing in this package imports SQLAlchemy, Prefect or Apprise, and nothing reads
the wall clock: every function that needs "now" takes it as an argument.
``tests/unit/test_architecture.py`` enforces both rules.
"""
