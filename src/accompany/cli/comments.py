"""`accompany comments` — 问计: residents' comments and objections during the public
notice: list them, record a paper one (代录) and answer them."""

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

comments_app = typer.Typer(
    help=T("Residents' comments and objections during the public notice (问计): list, record, answer."),
    no_args_is_help=True,
)
ProjectArg = Annotated[str, typer.Argument(help=T("project id"))]
StageOption = Annotated[
    str | None,
    typer.Option("--stage", help=T("the stage taking comments (id or name); default: the one in progress")),
]
TextOption = Annotated[str, typer.Option("--text", help=T("the text (quote it)"))]


def _comment_number(text: str) -> int:
    from ..models.errors import InvalidInput

    value = text.strip()
    if not value.isascii() or not value.isdigit() or not 0 < int(value) < 2**31:
        raise InvalidInput(
            "'{value}' is not a comment id (a number like 3)", field="comment", value=text[:30]
        )
    return int(value)


@comments_app.command(
    "list",
    help=T(
        "The comments and objections, newest first, with the household's building and unit and the answer."
    ),
)
@handle_errors
def comments_list(
    project_id: ProjectArg,
    open_only: Annotated[bool, typer.Option("--open", help=T("only those without an answer"))] = False,
    stage: StageOption = None,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from rich.table import Table
    from rich.text import Text

    from ..i18n import translator
    from ..presenting import printable
    from ..services.comments import list_comments

    application = make_app(db, now)
    view = list_comments(application, project_number(project_id), open_only=open_only, stage=stage)
    if json_out:
        print_json(view.model_dump(mode="json"))
        return
    lang = cli_language()
    _ = translator(lang)
    stage_name = view.stage_name if lang == "zh" else view.stage_name_en or view.stage_name
    table = Table(title=_("Comments: {stage}", stage=stage_name))
    for column in ("#", _("Kind"), _("Date"), _("Household"), _("Text"), _("Answer")):
        table.add_column(column)
    for item in view.items:
        where = "-".join(p for p in (item.building, item.unit) if p) or "—"
        table.add_row(
            str(item.id),
            item.kind_zh if lang == "zh" else item.kind_en,
            item.left_on.isoformat() + (" " + _("(paper)") if item.channel == "paper" else ""),
            Text(printable(where)),
            Text(printable(item.text)),
            Text(printable(item.answer)) if item.answer else Text(_("(no answer yet)"), style="yellow"),
        )
    console.print(table)
    say(
        "comments: {comments}; objections: {objections}; answered: {answered}; objections without an "
        "answer: {open}",
        comments=view.comments,
        objections=view.objections,
        answered=view.answered,
        open=view.unanswered_objections,
    )


@comments_app.command(
    "record",
    help=T(
        "Record a household's paper comment or objection (代录) while the stage is in progress; the "
        "household by its code or its address (3-2-501)."
    ),
)
@handle_errors
def comments_record(
    project_id: ProjectArg,
    household: Annotated[str, typer.Option("--household", help=T("the household's code or address"))],
    text: TextOption,
    by: By,
    kind: Annotated[str, typer.Option("--kind", help=T("comment or objection"))] = "comment",
    stage: StageOption = None,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from ..services.comments import kind_label, leave_comment

    application = make_app(db, now)
    receipt = leave_comment(
        application, project_number(project_id), household, kind, text, by=by, stage=stage
    )
    if json_out:
        print_json(receipt.model_dump(mode="json"))
        return
    say(
        "recorded the paper {kind} #{comment} on project #{project}",
        kind=kind_label(receipt.kind, cli_language()),
        comment=receipt.comment_id,
        project=receipt.project_id,
    )


@comments_app.command(
    "answer",
    help=T("Answer a comment (once); --amend: the answer's author changes it."),
)
@handle_errors
def comments_answer(
    project_id: ProjectArg,
    comment_id: Annotated[str, typer.Argument(help=T("comment id (from 'comments list')"))],
    text: TextOption,
    by: By,
    amend: Annotated[bool, typer.Option("--amend", help=T("change your earlier answer"))] = False,
    db: DbOption = None,
    now: NowOption = None,
    json_out: JsonOption = False,
) -> None:
    from ..services.comments import answer_comment

    application = make_app(db, now)
    receipt = answer_comment(
        application, project_number(project_id), _comment_number(comment_id), text, by=by, amend=amend
    )
    if json_out:
        print_json(receipt.model_dump(mode="json"))
        return
    if receipt.amended:
        say("amended the answer to comment #{comment}", comment=receipt.comment_id)
    else:
        say("answered comment #{comment}", comment=receipt.comment_id)
