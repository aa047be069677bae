"""The template catalog: process templates as YAML files (config/templates and
``ACCOMPANY_TEMPLATES_DIR``), validated on load."""

from __future__ import annotations

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
    template = build_template(body, source=f"template file {path}")
    return TemplateFile(path, body, template)


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
