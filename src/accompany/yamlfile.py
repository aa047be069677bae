"""Reading the YAML files people edit (templates, people, calendars)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

from .models.errors import InvalidInput, Localized

FILE_KINDS = {
    "people file": Localized("人员名录文件", "people file"),
    "template file": Localized("模板文件", "template file"),
    "calendar file": Localized("日历文件", "calendar file"),
    "stage mapping file": Localized("阶段映射文件", "stage mapping file"),
    "Apprise config": Localized("Apprise 配置", "Apprise config"),
}
MAX_YAML_BYTES = 2 * 1024 * 1024  # a template, a directory of people, a year of holidays
# libyaml (C) where the wheel has it: PyYAML's pure-Python scanner takes minutes on a
# file of 50,000 nested brackets, libyaml refuses it at once (its depth limit)
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_EXPANDED_VALUES = 100_000  # scalars, lists and mappings once every alias is followed
MAX_DEPTH = 50  # our files nest five levels; the checks that walk them are recursive
MAX_ALIASES = 100  # anchors and aliases a hand-written file needs; an "alias bomb" needs thousands


def read_yaml(path: Path, what: str) -> Any:
    """Parse ``path``; any problem is one line naming the file. Only a regular file
    of at most 2 MB is read (not /dev/zero, a fifo or a directory), and a document
    whose aliases would expand exponentially (a "billion laughs") is refused."""
    text, document = _checked(path, what, MAX_YAML_BYTES)
    what = FILE_KINDS.get(what, what)  # type: ignore[assignment]
    try:
        if document is None:  # empty, or not YAML: the parser says which
            return yaml.load(text, Loader=SAFE_LOADER)
        # the document the checks measured, built without parsing the text again
        loader = SAFE_LOADER(text)
        try:
            return loader.construct_document(document)
        finally:
            loader.dispose()
    except (yaml.YAMLError, ValueError) as exc:
        # ValueError: PyYAML turns 2027-13-01 into a date and fails on the month: the
        # YAML is well formed, the date is not on the calendar
        impossible = None if isinstance(exc, yaml.YAMLError) else impossible_date(text)
        if impossible is not None:
            line, value = impossible
            raise InvalidInput(
                "{what} {path}: line {line}: {value} is not a date on the calendar",
                what=what,
                path=str(path),
                line=line,
                value=value,
            ) from None
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidInput(
            "{what} {path}: not valid YAML ({detail})", what=what, path=str(path), detail=first_line
        ) from None


#: a date as YAML reads one (the date part of its timestamp), outside quotes or not
_DATE = re.compile(r"(?<![0-9A-Za-z_.-])([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?![0-9A-Za-z_.-])")


def impossible_date(text: str) -> tuple[int, str] | None:
    """The first date in ``text`` that is no day of the calendar (2028-02-30,
    2027-13-01), with its line number."""
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _DATE.finditer(line.split("#", 1)[0]):
            year, month, day = (int(part) for part in match.groups())
            try:
                dt.date(year, month, day)
            except ValueError:
                return number, match.group(0)
    return None


def checked_text(path: Path, what: str, *, max_bytes: int = MAX_YAML_BYTES) -> str:
    """The text of a YAML file people edit, after the checks of :func:`read_yaml`
    (also for files another library parses, such as Apprise's configuration)."""
    return _checked(path, what, max_bytes)[0]


def _checked(path: Path, what: str, max_bytes: int) -> tuple[str, yaml.Node | None]:
    """The file's text and its composed document (None when it is empty or not
    YAML), after the checks."""
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
        document = yaml.compose(text, Loader=SAFE_LOADER)
    except yaml.YAMLError:
        document = None  # not YAML at all (Apprise's TEXT format); the parser will say
    aliases, values, depth = _shape(document)
    if aliases > MAX_ALIASES:
        raise InvalidInput(
            "{what} {path} uses {count} aliases (at most {limit})",
            what=what,
            path=str(path),
            count=aliases,
            limit=MAX_ALIASES,
        )
    if values > MAX_EXPANDED_VALUES:
        # a few aliases nested in each other ("billion laughs") are cheap to parse but
        # explode in whatever walks the result (a template check took minutes)
        raise InvalidInput(
            "{what} {path}: its aliases expand to more than {limit} values",
            what=what,
            path=str(path),
            limit=MAX_EXPANDED_VALUES,
        )
    if depth > MAX_DEPTH:
        raise InvalidInput(
            "{what} {path} is nested more than {limit} levels deep",
            what=what,
            path=str(path),
            limit=MAX_DEPTH,
        )
    return text, document


def _shape(root: yaml.Node | None) -> tuple[int, int, int]:
    """How many aliases the document uses, how many values it holds once every alias
    is replaced by what it names, and how deep it nests. An alias is a second
    reference to a node it shares, so the aliases are the references beyond one per
    node. Each node is measured once, so this is linear in the file even when the
    expansion is not."""
    if root is None:
        return 0, 0, 0
    references = 0
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    # iterative, post-order: a document nested a thousand deep must not exhaust the stack
    pending: list[tuple[yaml.Node, bool]] = [(root, False)]
    while pending:
        node, children_done = pending.pop()
        if id(node) in sizes and not children_done:
            continue
        children = _children(node)
        if not children_done:
            references += len(children)
            sizes[id(node)], depths[id(node)] = 1, 1  # a recursive alias counts once: no loop
            pending.append((node, True))
            pending.extend((child, False) for child in children if id(child) not in sizes)
        else:
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in children)
            depths[id(node)] = 1 + max((depths[id(child)] for child in children), default=0)
    aliases = references - (len(sizes) - 1)  # every node but the root is referenced once
    return aliases, sizes[id(root)], depths[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
