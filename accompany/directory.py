"""Reading the people directory file."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from .models.errors import InvalidInput
from .models.people import Directory
from .models.template import describe_validation_error


def read_directory(path: Path) -> Directory:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"people file {path} does not exist") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidInput(f"people file {path}: not valid YAML ({first_line})") from None
    try:
        return Directory.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput(f"people file {path}: {describe_validation_error(exc)}") from None
