"""Reading the YAML files people edit (templates, people, calendars)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .models.errors import InvalidInput


def read_yaml(path: Path, what: str) -> Any:
    """Parse ``path``; any problem is one line naming the file."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput("{what} {path} does not exist", what=what, path=str(path)) from None
    except IsADirectoryError:
        raise InvalidInput("{what} {path} is a directory, not a file", what=what, path=str(path)) from None
    except (yaml.YAMLError, UnicodeDecodeError, ValueError) as exc:
        # ValueError: PyYAML turns 2027-13-01 into a date and fails on the month
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidInput(
            "{what} {path}: not valid YAML ({detail})", what=what, path=str(path), detail=first_line
        ) from None
