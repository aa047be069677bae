"""`accompany` CLI — process templates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import DbOption, JsonOption, cli_language, console, handle_errors, make_app, print_json, say
from .help import T

template_app = typer.Typer(help=T("Process templates."), no_args_is_help=True)


@template_app.command("list", help=T("List the templates the catalog knows."))
@handle_errors
def template_list(db: DbOption = None) -> None:
    lang = cli_language()
    application = make_app(db)
    for item in application.catalog.files():
        t = item.template
        say(
            "{ref}  {name}  ({count} stages)  {path}",
            ref=t.ref,
            name=t.name if lang == "zh" or not t.name_en else t.name_en,
            count=len(t.stages),
            path=item.path,
        )


@template_app.command("show", help=T("Show a template's stages, deadlines, evidence and approvals."))
@handle_errors
def template_show(
    template_id: Annotated[str, typer.Argument(help=T("template id, optionally id@version"))],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    from rich.table import Table

    from ..i18n import translator
    from ..templates import template_ref
    from .render import text

    application = make_app(db)
    t = application.catalog.get(*template_ref(template_id)).template
    if json_out:
        print_json(t.model_dump(mode="json", by_alias=True))
        return
    lang = cli_language()
    _ = translator(lang)
    names = {s.id: s.label(lang) for s in t.stages}
    table = Table(title=f"{t.ref} {t.name if lang == 'zh' or not t.name_en else t.name_en}")
    for column in (_("Stage"), _("Phase"), _("Depends on"), _("Deadline rule"), _("Evidence"), _("Approval")):
        table.add_column(column, overflow="fold")
    for spec in t.stages:
        evidence = []
        for f in spec.evidence:
            name = f.label if lang == "zh" or not f.label_en else f.label_en
            bound = f" ≥ {f.min:g}" if f.min is not None else ""
            optional = f" ({_('optional')})" if not f.required else ""
            evidence.append(f"{name} [{f.key}]{bound}{optional}")
        evidence += [c.label for c in spec.checks]
        phase = t.phase(spec.phase)
        table.add_row(
            text(f"{spec.label(lang)}\n{spec.id}"),
            text(phase.name if lang == "zh" or not phase.name_en else phase.name_en),
            text("、".join(names[d] for d in t.dependencies(spec.id)) or "—"),
            text(spec.deadline.describe(lang, names)),
            text("\n".join(evidence)),
            text(" → ".join(_step_label(step, lang) for step in spec.approval) or "—"),
        )
    console.print(table)
    if t.parameters:
        say("parameters: {values}", values=", ".join(f"{k}={v}" for k, v in t.parameters.items()))


def _step_label(step: object, lang: str) -> str:
    """街道办事处, or 会签（建设单位、设计单位…） for a joint step."""
    from ..labels import label
    from ..models.template import JointStep

    if isinstance(step, JointStep):
        names = "、".join(label("level", p.value, lang) for p in step.parties)
        return f"{label('level', step.mode, lang)}（{names}）"
    return label("level", step.value, lang)  # type: ignore[attr-defined]


@template_app.command(
    "validate", help=T("Check a template file; prints the field and reason of the first problem.")
)
@handle_errors
def template_validate(file: Annotated[Path, typer.Argument(help=T("template YAML file"))]) -> None:
    from ..templates import read_template_file

    item = read_template_file(file)
    say(
        "{file}: valid template {ref} with {count} stages",
        file=file,
        ref=item.template.ref,
        count=len(item.template.stages),
    )
