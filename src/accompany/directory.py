"""Reading the people directory file."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from .models.errors import InvalidInput
from .models.people import Directory, team_problems
from .models.validation import located_problems
from .yamlfile import read_yaml


def read_directory(path: Path) -> Directory:
    raw = read_yaml(path, "people file")
    if isinstance(raw, dict):
        # the teams section is refused in the reader's words (the rest in pydantic's)
        problems = team_problems(raw.get("teams"))
        if problems:
            raise InvalidInput("people file {path}: {problems}", path=str(path), problems=problems)
    try:
        return Directory.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput(
            "people file {path}: {problems}", path=str(path), problems=located_problems(exc.errors())
        ) from None
