"""`accompany template migrate` — move running projects to a newer template version
(the rules: ``models.migration``; the transaction: ``services.migration``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .common import (
    DbOption,
    JsonOption,
    NowOption,
    cli_language,
    console,
    handle_errors,
    make_app,
    pairs,
    print_json,
    project_number,
    say,
)
from .help import T
from .templates import template_app

#: what happens to a stage, in the plan's words


@template_app.command(
    "migrate",
    help=T(
        "Move running projects to a newer version of their template, with a stage mapping for renamed and "
        "removed stages; refused (nothing changed) if any project would lose approved work."
    ),
)
@handle_errors
def template_migrate(
    projects: Annotated[list[str] | None, typer.Argument(help=T("project ids"))] = None,
    to: Annotated[str, typer.Option("--to", help=T("the target version, e.g. accompany-service@2"))] = "",
    from_: Annotated[
        str | None,
        typer.Option("--from", help=T("also every active project on this version, e.g. accompany-service@1")),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            help=T("YAML file whose stages: map each old stage id to its new id (null: removed)"),
        ),
    ] = None,
    due: Annotated[
        list[str] | None,
        typer.Option(
            "--due", help=T("STAGE=YYYY-MM-DD for a stage of the new version whose deadline is set at start")
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help=T("show the plan, change nothing"))] = False,
    by: Annotated[
        str | None, typer.Option("--by", help=T("the person acting (default: the operator at the server)"))
    ] = None,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from ..clock import parse_day
    from ..models.errors import InvalidInput
    from ..models.migration import MigrationRefused
    from ..services.migration import MigrateProjects, migrate_projects
    from ..yamlfile import read_yaml

    if not to.strip():
        raise InvalidInput("--to is needed: the version to move to, e.g. accompany-service@2", field="to")
    raw = read_yaml(mapping, "stage mapping file") if mapping else None
    if raw is not None and not isinstance(raw, dict):
        raise InvalidInput(
            "the stage mapping must read {shape}", field="mapping", shape="stages: {old-id: new-id | null}"
        )
    command = MigrateProjects(
        project_ids=[project_number(p) for p in projects or []],
        template=to,
        from_template=from_,
        mapping=raw,
        dues={key: parse_day(value, f"--due {key}") for key, value in pairs(due, "--due").items()},
        dry_run=dry_run,
        by=by,
    )
    application = make_app(db, now)
    lang = cli_language()
    try:
        result = migrate_projects(application, command)
    except MigrationRefused as refused:
        _show_refusals(refused, lang, json_out=json_out)
        if not json_out:
            _party_hints(refused)
        raise
    if json_out:
        print_json(
            {
                "template": result.template,
                "dry_run": result.dry_run,
                "projects": [
                    {
                        "project_id": moved.project_id,
                        "name": moved.name,
                        "from": moved.plan.template_from,
                        "to": moved.plan.template_to,
                        "stages": moved.rows,
                        "params_dropped": list(moved.plan.params_dropped),
                        "params_added": dict(moved.plan.params_added),
                    }
                    for moved in result.projects
                ],
            }
        )
        return
    for moved in result.projects:
        _show_plan(moved, lang)
    if result.dry_run:
        say("dry run: nothing was changed (--dry-run)")
    else:
        say(
            "✓ {count} project(s) moved to {template}",
            count=len(result.projects),
            template=result.template,
            style="green",
        )


def _show_plan(moved: Any, lang: str) -> None:
    """One project's plan: a line naming the move, a table of its stages."""
    from rich.table import Table

    from ..i18n import translate, translator
    from ..labels import label
    from ..migration_words import change_words, deadline_words, evidence_words
    from .render import text

    _ = translator(lang)
    plan = moved.plan
    table = Table(
        title=translate(
            "project #{id} “{name}”: {before} → {after}",
            lang,
            id=moved.project_id,
            name=moved.name,
            before=plan.template_from,
            after=plan.template_to,
        )
    )
    for column in (
        _("Change"),
        _("Stage before"),
        _("Stage after"),
        _("State"),
        _("Evidence"),
        _("Deadline"),
    ):
        table.add_column(column, overflow="fold")
    for row in moved.rows:
        before = moved.names_before.get(row["from"]) if row["from"] else None
        after = moved.names_after.get(row["to"]) if row["to"] else None
        table.add_row(
            change_words(row, lang),
            text(f"{before.text(lang)} ({row['from']})" if before else "—"),
            text(f"{after.text(lang)} ({row['to']})" if after else "—"),
            label("state", row["state"], lang),
            evidence_words(row, lang),
            deadline_words(row, lang),
        )
    console.print(table)
    if plan.params_dropped:
        say(
            "parameters dropped (unknown to {template}): {names}",
            template=plan.template_to,
            names=", ".join(plan.params_dropped),
        )
    if plan.params_added:
        say(
            "new parameters at their defaults: {values}",
            values=", ".join(f"{k}={v}" for k, v in plan.params_added.items()),
        )


def _party_hints(refused: Any) -> None:
    """How to name each missing party from here (the refusal itself says what, not how)."""
    for project_id, error in refused.refusals:
        if (error.field or "").startswith("party."):
            role = error.field.split(".", 1)[1]
            say("name it: accompany project parties {id} --set {role}=ID --by ID", id=project_id, role=role)


def _show_refusals(refused: Any, lang: str, *, json_out: bool) -> None:
    """Every refusal, per project: a table (or JSON) before the one-line summary."""
    from rich.table import Table

    from ..i18n import error_text, translate
    from .render import text

    if json_out:
        print_json(
            [
                {"project_id": project_id, "field": error.field, "reason": error_text(error, lang)}
                for project_id, error in refused.refusals
            ]
        )
        return
    if len(refused.refusals) < 2:
        return  # the one line says it all
    table = Table(title=translate("why the move is refused", lang))
    table.add_column(translate("Project", lang), no_wrap=True)
    table.add_column(translate("Problem", lang), overflow="fold")
    for project_id, error in refused.refusals:
        table.add_row(f"#{project_id}", text(error_text(error, lang)))
    console.print(table)
