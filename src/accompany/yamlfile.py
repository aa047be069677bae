"""Reading the YAML files people edit (templates, people, calendars)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .models.errors import InvalidInput, Localized

FILE_KINDS = {
    "people file": Localized("人员名录文件", "people file"),
    "template file": Localized("模板文件", "template file"),
    "calendar file": Localized("日历文件", "calendar file"),
    "Apprise config": Localized("Apprise 配置", "Apprise config"),
}
MAX_YAML_BYTES = 2 * 1024 * 1024  # a template, a directory of people, a year of holidays
MAX_ALIASES = 100  # anchors and aliases a hand-written file needs; an "alias bomb" needs thousands


def read_yaml(path: Path, what: str) -> Any:
    """Parse ``path``; any problem is one line naming the file. Only a regular file
    of at most 2 MB is read (not /dev/zero, a fifo or a directory), and a document
    whose aliases would expand exponentially (a "billion laughs") is refused."""
    text = checked_text(path, what)
    what = FILE_KINDS.get(what, what)  # type: ignore[assignment]
    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as exc:
        # ValueError: PyYAML turns 2027-13-01 into a date and fails on the month
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidInput(
            "{what} {path}: not valid YAML ({detail})", what=what, path=str(path), detail=first_line
        ) from None


def checked_text(path: Path, what: str, *, max_bytes: int = MAX_YAML_BYTES) -> str:
    """The text of a YAML file people edit, after the checks of :func:`read_yaml`
    (also for files another library parses, such as Apprise's configuration)."""
    import stat

    what = FILE_KINDS.get(what, what)  # type: ignore[assignment]
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InvalidInput("{what} {path} does not exist", what=what, path=str(path)) from None
    except OSError as exc:
        raise InvalidInput(
            "{what} {path}: {detail}", what=what, path=str(path), detail=exc.strerror or ""
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise InvalidInput("{what} {path} is a directory, not a file", what=what, path=str(path))
    if not stat.S_ISREG(info.st_mode):
        raise InvalidInput("{what} {path} is not a regular file", what=what, path=str(path))
    if info.st_size > max_bytes:
        raise InvalidInput(
            "{what} {path} is larger than {limit} MB",
            what=what,
            path=str(path),
            limit=max(1, max_bytes >> 20),
        )
    try:
        with path.open("rb") as handle:
            text = handle.read(max_bytes + 1).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("{what} {path} is not UTF-8 text", what=what, path=str(path)) from None
    try:
        aliases = sum(isinstance(token, yaml.AliasToken) for token in yaml.scan(text))
    except yaml.YAMLError:
        aliases = 0  # not YAML at all (Apprise's TEXT format); the parser will say
    if aliases > MAX_ALIASES:
        raise InvalidInput(
            "{what} {path} uses {count} aliases (at most {limit})",
            what=what,
            path=str(path),
            count=aliases,
            limit=MAX_ALIASES,
        )
    return text
