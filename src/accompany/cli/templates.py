"""`accompany` CLI — process templates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import (
    DbOption,
    JsonOption,
    console,
    handle_errors,
    lang_of,
    make_app,
    print_json,
)

template_app = typer.Typer(help="Process templates.", no_args_is_help=True)


@template_app.command("list")
@handle_errors
def template_list(db: DbOption = None) -> None:
    """List the templates the catalog knows."""
    application = make_app(db)
    for item in application.catalog.files():
        t = item.template
        console.print(f"{t.ref}  {t.name}  ({len(t.stages)} stages)  {item.path}")


@template_app.command("show")
@handle_errors
def template_show(
    template_id: Annotated[str, typer.Argument(help="template id, optionally id@version")],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Show a template's stages, deadlines, evidence and approvals."""
    from rich.table import Table

    application = make_app(db)
    name, _, version = template_id.partition("@")
    t = application.catalog.get(name, int(version) if version.isdigit() else None).template
    if json_out:
        print_json(t.model_dump(mode="json", by_alias=True))
        return
    lang = lang_of(application)
    table = Table(title=f"{t.ref} {t.name}")
    for column in ("stage", "phase", "depends on", "deadline", "evidence", "approval"):
        table.add_column(column)
    for spec in t.stages:
        evidence = []
        for f in spec.evidence:
            bound = f" ≥ {f.min:g}" if f.min is not None else ""
            evidence.append(f"{f.key}{bound}{'' if f.required else ' (optional)'}")
        evidence += [c.label for c in spec.checks]
        table.add_row(
            f"{spec.id}\n{spec.label(lang)}",
            spec.phase,
            ", ".join(t.dependencies(spec.id)) or "—",
            spec.deadline.describe(lang, {s.id: s.label(lang) for s in t.stages}),
            "\n".join(evidence),
            " → ".join(level.value for level in spec.approval) or "—",
        )
    console.print(table)
    if t.parameters:
        console.print("parameters: " + ", ".join(f"{k}={v}" for k, v in t.parameters.items()))


@template_app.command("validate")
@handle_errors
def template_validate(file: Annotated[Path, typer.Argument(help="template YAML file")]) -> None:
    """Check a template file; prints the field and reason of the first problem."""
    from ..templates import read_template_file

    item = read_template_file(file)
    console.print(f"{file}: valid template {item.template.ref} with {len(item.template.stages)} stages")
