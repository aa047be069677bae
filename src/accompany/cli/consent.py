"""`accompany consent` — residents' consent ballots (Civil Code Art. 278): record a
paper ballot (代录) and show the tally."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import (
    By,
    DbOption,
    JsonOption,
    NowOption,
    cli_language,
    console,
    handle_errors,
    make_app,
    print_json,
    project_number,
    say,
)
from .help import T

consent_app = typer.Typer(
    help=T("Residents' consent ballots (Civil Code Art. 278): paper ballots and the tally."),
    no_args_is_help=True,
)
ProjectArg = Annotated[str, typer.Argument(help=T("project id"))]
StageOption = Annotated[
    str | None,
    typer.Option("--stage", help=T("the consent stage (id or name); default: the one in progress")),
]


@consent_app.command(
    "record",
    help=T(
        "Record a household's paper ballot (agree, disagree or abstain) while the consent stage is in "
        "progress; a later ballot of the same household replaces the earlier one."
    ),
)
@handle_errors
def consent_record(
    project_id: ProjectArg,
    code: Annotated[str, typer.Argument(help=T("the household's code (from its slip)"))],
    choice: Annotated[str, typer.Argument(help=T("agree, disagree or abstain"))],
    by: By,
    paper: Annotated[
        bool, typer.Option("--paper", help=T("the ballot is on paper, recorded on the household's behalf"))
    ] = False,
    stage: StageOption = None,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from ..models.errors import InvalidInput
    from ..services.consent import cast_ballot, choice_label

    if not paper:
        raise InvalidInput(
            "the command line records paper ballots only: add --paper (residents vote on the public page)",
            field="paper",
        )
    application = make_app(db, now)
    receipt = cast_ballot(application, project_number(project_id), code, choice, by=by, stage=stage)
    if json_out:
        print_json(receipt.model_dump(mode="json"))
        return
    lang = cli_language()
    values = {
        "choice": choice_label(receipt.choice, lang),
        "project": receipt.project_id,
        "stage": receipt.stage_name if lang == "zh" else receipt.stage_name_en or receipt.stage_name,
    }
    if receipt.replaced:
        say(
            "recorded the paper ballot ({choice}) for {stage} of project #{project}; it replaces the "
            "household's earlier ballot ({previous})",
            previous=choice_label(receipt.replaced, lang),
            **values,
        )
    else:
        say("recorded the paper ballot ({choice}) for {stage} of project #{project}", **values)


@consent_app.command(
    "tally",
    help=T("The ballot's tally: households, owners and floor area taking part and agreeing; the verdict."),
)
@handle_errors
def consent_tally_command(
    project_id: ProjectArg,
    stage: StageOption = None,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from rich.table import Table

    from ..i18n import translator
    from ..services.consent import consent_tally

    application = make_app(db, now)
    view = consent_tally(application, project_number(project_id), stage=stage)
    if json_out:
        print_json(view.model_dump(mode="json"))
        return
    lang = cli_language()
    _ = translator(lang)
    zh = lang == "zh"
    stage_name = view.stage_name if zh else view.stage_name_en or view.stage_name
    table = Table(title=_("Consent ballot: {stage}", stage=stage_name))
    for column in ("", _("Households"), _("Owners"), _("Floor area (m²)")):
        table.add_column(column)
    for name, part in (
        (_("Register"), view.total),
        (_("Taking part"), view.participating),
        (_("Agree"), view.agreeing),
        (_("Disagree"), view.disagreeing),
        (_("Abstain"), view.abstaining),
    ):
        table.add_row(name, str(part.households), str(part.owners), f"{part.area_m2:.2f}")
    console.print(table)
    say(
        "rule: {rule}; verdict: {verdict} ({verdict_other})",
        rule=view.rule_label_zh if zh else view.rule_label_en,
        verdict=view.verdict_zh if zh else view.verdict_en,
        verdict_other=view.verdict_en if zh else view.verdict_zh,
    )
    say(
        "ballot open: {open}; paper ballots: {paper}",
        open=_("yes") if view.open else _("no"),
        paper=view.paper_ballots,
    )
