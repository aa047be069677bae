"""`accompany satisfaction` — residents' satisfaction survey (问效): record a paper
answer (代录), show the tally and read the comments."""

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

satisfaction_app = typer.Typer(
    help=T("Residents' satisfaction survey (问效): paper answers, the tally and the comments."),
    no_args_is_help=True,
)
ProjectArg = Annotated[str, typer.Argument(help=T("project id"))]
StageOption = Annotated[
    str | None,
    typer.Option("--stage", help=T("the survey's stage (id or name); default: the one in progress")),
]


ContentOption = Annotated[
    str,
    typer.Option(
        "--content", help=T("score for the renovation's content (改造内容), 1–5"), show_default=False
    ),
]
ProcessOption = Annotated[
    str,
    typer.Option(
        "--process", help=T("score for the renovation's process (改造过程), 1–5"), show_default=False
    ),
]
ManagementOption = Annotated[
    str,
    typer.Option(
        "--management", help=T("score for long-term management (长效管理), 1–5"), show_default=False
    ),
]


@satisfaction_app.command(
    "record",
    help=T(
        "Record a household's paper answer (scores 1–5 for content, process and long-term management) "
        "while the survey's stage is in progress; a later answer of the same household replaces the "
        "earlier one."
    ),
)
@handle_errors
def satisfaction_record(
    project_id: ProjectArg,
    household: Annotated[
        str,
        typer.Option("--household", help=T("the household's code (from its slip) or its home, e.g. 3-2-501")),
    ],
    content: ContentOption,
    process: ProcessOption,
    management: ManagementOption,
    by: By,
    comment: Annotated[
        str | None, typer.Option("--comment", help=T("the household's comment, if any"))
    ] = None,
    stage: StageOption = None,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from ..services.satisfaction import give_answer

    application = make_app(db, now)
    receipt = give_answer(
        application,
        project_number(project_id),
        household,
        content,
        process,
        management,
        comment,
        by=by,
        stage=stage,
    )
    if json_out:
        print_json(receipt.model_dump(mode="json"))
        return
    lang = cli_language()
    values = {
        "scores": f"{receipt.content}/{receipt.process}/{receipt.management}",
        "project": receipt.project_id,
        "stage": receipt.stage_name if lang == "zh" else receipt.stage_name_en or receipt.stage_name,
    }
    if receipt.replaced:
        say(
            "recorded the paper answer ({scores}) for {stage} of project #{project}; it replaces the "
            "household's earlier answer",
            **values,
        )
    else:
        say("recorded the paper answer ({scores}) for {stage} of project #{project}", **values)


@satisfaction_app.command(
    "tally",
    help=T(
        "The survey's tally: the average of each dimension, the answers against the register and the "
        "share of satisfied households (average score at least 4)."
    ),
)
@handle_errors
def satisfaction_tally_command(
    project_id: ProjectArg,
    stage: StageOption = None,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from rich.table import Table

    from ..i18n import translator
    from ..services.satisfaction import survey_tally

    application = make_app(db, now)
    view = survey_tally(application, project_number(project_id), stage=stage)
    if json_out:
        print_json(view.model_dump(mode="json"))
        return
    lang = cli_language()
    _ = translator(lang)
    zh = lang == "zh"
    stage_name = view.stage_name if zh else view.stage_name_en or view.stage_name
    table = Table(title=_("Satisfaction survey: {stage}", stage=stage_name))
    table.add_column(_("Dimension"))
    table.add_column(_("Average score (1–5)"))
    for d in view.dimensions:
        table.add_row(d.label_zh if zh else d.label_en, "—" if d.average is None else f"{d.average:.2f}")
    console.print(table)
    say(
        "answers: {respondents} of {register} households ({rate}); paper answers: {paper}",
        respondents=view.respondents,
        register=view.households,
        rate="—" if view.response_rate_pct is None else f"{view.response_rate_pct:.1f}%",
        paper=view.paper_answers,
    )
    say(
        "satisfied households (average score at least 4): {satisfied} ({pct}); survey open: {open}",
        satisfied=view.satisfied,
        pct="—" if view.satisfaction_pct is None else f"{view.satisfaction_pct:.1f}%",
        open=_("yes") if view.open else _("no"),
    )


@satisfaction_app.command("comments", help=T("The households' comments (for the planner or a coordinator)."))
@handle_errors
def satisfaction_comments(
    project_id: ProjectArg,
    by: By,
    stage: StageOption = None,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from ..services.satisfaction import survey_comments

    application = make_app(db, now)
    comments = survey_comments(application, project_number(project_id), by=by, stage=stage)
    if json_out:
        print_json([c.model_dump(mode="json") for c in comments])
        return
    if not comments:
        say("no comments yet")
    for c in comments:
        say("household #{household}: {text}", household=c.household, text=c.text)
