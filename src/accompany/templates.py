"""The template catalog: process templates as YAML files (config/templates and
``ACCOMPANY_TEMPLATES_DIR``), validated on load."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .models.errors import InvalidInput, NotFound
from .models.template import ProcessTemplate, build_template
from .yamlfile import read_yaml


@dataclass(frozen=True)
class TemplateFile:
    path: Path
    body: dict[str, Any]
    template: ProcessTemplate


def read_template_file(path: Path) -> TemplateFile:
    body = read_yaml(path, "template file")
    try:
        template = build_template(body, source=f"template file {path}")
    except InvalidInput as exc:
        line = _line_of(path, str(exc.values.get("detail", "")))
        if line is None:
            raise
        where = f"template file {path}, line {line}"
        raise InvalidInput("invalid {source}: {detail}", source=where, detail=exc.values["detail"]) from None
    return TemplateFile(path, body, template)


def _line_of(path: Path, detail: str) -> int | None:
    """The line of the file that the first failing field of ``detail`` names
    (``stages[6].approval[0].joint.all[1]: …``), or None when it cannot be found."""
    import yaml

    match = re.match(r"^([A-Za-z0-9_\-\.\[\]]+):", detail)
    if not match:
        return None
    try:
        node = yaml.compose(path.read_text("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return None
    for part in re.findall(r"[^.\[\]]+", match.group(1)):
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if found is not None:
                node = found
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
    return node.start_mark.line + 1 if node is not None else None


class TemplateCatalog:
    def __init__(self, dirs: list[Path]):
        self.dirs = dirs
        self._files: list[TemplateFile] | None = None

    def files(self) -> list[TemplateFile]:
        if self._files is None:
            found: dict[tuple[str, int], TemplateFile] = {}
            for directory in self.dirs:
                if not directory.is_dir():
                    continue
                for path in sorted(directory.glob("*.yaml")):
                    item = read_template_file(path)
                    key = (item.template.id, item.template.version)
                    if key in found:
                        raise InvalidInput(
                            "template {template} is defined twice: {first} and {second}",
                            template=f"{key[0]}@{key[1]}",
                            first=str(found[key].path),
                            second=str(path),
                        )
                    found[key] = item
            self._files = sorted(found.values(), key=lambda f: (f.template.id, f.template.version))
        return self._files

    def get(self, template_id: str, version: int | None = None) -> TemplateFile:
        """The given version, or the newest one."""
        matches = [f for f in self.files() if f.template.id == template_id]
        if version is not None:
            matches = [f for f in matches if f.template.version == version]
        if not matches:
            known = sorted({f.template.ref for f in self.files()})
            wanted = template_id if version is None else f"{template_id}@{version}"
            raise NotFound(
                "unknown template '{template}' (known: {known})",
                field="template",
                template=wanted[:80],
                known=", ".join(known) or "—",
            )
        return matches[-1]


def template_ref(text: str) -> tuple[str, int | None]:
    """``id`` or ``id@version`` as typed; a version that is not a number is refused
    (``@abc`` used to mean "the newest")."""
    name, at, version = text.strip().partition("@")
    if not at:
        return name, None
    if not version.isascii() or not version.isdigit() or not 1 <= int(version) <= 100_000:
        raise InvalidInput(
            "template '{text}': the version after @ must be a number, e.g. accompany-service@1",
            field="template",
            text=text[:80],
        )
    return name, int(version)
