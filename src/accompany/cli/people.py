"""`accompany` CLI — the people directory and their sign-in (the operator's side:
invites, passwords, API tokens, deactivation)."""

from __future__ import annotations

import sys
from pathlib import Path
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
    say,
)
from .help import T

people_app = typer.Typer(help=T("The people directory and their sign-in."), no_args_is_help=True)
PersonId = Annotated[str, typer.Argument(help=T("person id (from the directory)"))]
# who acts at the server: "operator"; the audit log records the OS user beside it
OPERATOR = "operator"


@people_app.command("load", help=T("Load (insert or update) the organisation and people from a YAML file."))
@handle_errors
def people_load(
    file: Annotated[Path, typer.Argument(help=T("directory YAML (see config/people.example.yaml)"))],
    deactivate_missing: Annotated[
        bool,
        typer.Option(
            "--deactivate-missing",
            help=T(
                "deactivate active people the file leaves out (their sign-ins end); "
                "without it such a file is refused"
            ),
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    from ..directory import read_directory
    from ..services.directory import load_directory

    directory = read_directory(file)
    application = make_app(db)
    counts = load_directory(application, directory, deactivate_missing=deactivate_missing, by=OPERATOR)
    say(
        "loaded {people} people from {file}: {added} added, {updated} updated, {unchanged} unchanged, "
        "{deactivated} deactivated",
        people=len(directory.people),
        file=file,
        **counts,
    )


@people_app.command("list", help=T("List the people in the directory (and whether they can sign in)."))
@handle_errors
def people_list(db: DbOption = None, json_out: JsonOption = False) -> None:
    from rich.table import Table

    from ..i18n import translator
    from ..labels import label
    from ..models.households import mask_contact
    from .render import text

    application = make_app(db)
    with application.reader() as uow:
        people = uow.people.all()
        with_password = uow.accounts.has_password([p.id for p in people])
        districts = {d.id: d for d in uow.people.districts()}
        teams = uow.people.team_names()
    if json_out:
        print_json(
            [
                {
                    **p.model_dump(mode="json", exclude={"phone"}),
                    # a work phone is shown masked, like a household's contact
                    **({"phone": mask_contact(p.phone)} if p.phone else {}),
                    # the ids stay; a team the directory names has its name beside
                    **({"team_name": teams[p.team]} if p.team in teams else {}),
                    "can_sign_in": p.id in with_password,
                }
                for p in people
            ]
        )
        return
    lang = cli_language()
    _ = translator(lang)
    streets = {s.id: s.name for d in districts.values() for s in d.streets}
    table = Table(title=_("People"))
    for column in (
        "ID",
        _("Name"),
        _("Role"),
        _("District"),
        _("Streets"),
        _("Team"),
        _("Phone"),
        _("Active"),
        _("Password"),
    ):
        table.add_column(column, overflow="fold")
    for p in people:
        table.add_row(
            p.id,
            text(p.name),
            label("role", p.role.value, lang),
            text(districts[p.district].name if p.district in districts else p.district),
            text("、".join(streets.get(s, s) for s in p.streets) or _("the whole district")),
            text(teams.get(p.team, p.team) if p.team else ""),
            mask_contact(p.phone),
            _("active") if p.active else _("deactivated"),
            _("set") if p.id in with_password else "—",
        )
    console.print(table)


@people_app.command(
    "invite",
    help=T(
        "Print a one-time link where the person sets their password (it expires after "
        "ACCOMPANY_INVITE_HOURS, 72 by default). Send it to them yourself."
    ),
)
@handle_errors
def people_invite(person: PersonId, db: DbOption = None) -> None:
    from ..models.deadlines import LOCAL_TZ
    from ..services.accounts import invite

    application = make_app(db)
    result = invite(application, person, by=OPERATOR)
    say(
        "invite for {name} ({id}), valid until {until} (Beijing time):",
        name=result.person.name,
        id=result.person.id,
        until=f"{result.expires_at.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}",
    )
    # the link alone on its own line, unwrapped, for copying
    sys.stdout.write(result.url + "\n")


@people_app.command(
    "set-password",
    help=T(
        "Set a person's password (the operator, on the server). Asked twice without echo, or read from "
        "standard input; never given on the command line, where other users could see it."
    ),
)
@handle_errors
def people_set_password(
    person: PersonId,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help=T("read the password from standard input (for scripts)"))
    ] = False,
    db: DbOption = None,
) -> None:
    from ..i18n import translate
    from ..models.errors import InvalidInput
    from ..services.accounts import set_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        lang = cli_language()
        if not sys.stdin.isatty():
            # getpass would warn in English that the password may be echoed, then read
            # the pipe (or give up on an empty one): a script means --password-stdin
            raise InvalidInput(
                "a password cannot be typed without a terminal: pipe it with --password-stdin; "
                "nothing changed"
            )
        password = typer.prompt(translate("new password", lang), hide_input=True)
        again = typer.prompt(translate("again", lang), hide_input=True)
        if password != again:
            raise InvalidInput("the two passwords differ; nothing changed")
    application = make_app(db)
    who = set_password(application, person, password, by=OPERATOR)
    say("password set for {name} ({id}); their open sessions ended", name=who.name, id=who.id)


@people_app.command(
    "token",
    help=T(
        "Make a personal API token (shown once; only its hash is kept). It has the person's own "
        "permissions: send it as `Authorization: Bearer TOKEN`."
    ),
)
@handle_errors
def people_token(
    person: PersonId,
    label: Annotated[str, typer.Option("--label", help=T("what the token is for, e.g. 区级看板"))] = "api",
    db: DbOption = None,
) -> None:
    from ..services.accounts import create_api_token

    application = make_app(db)
    issued = create_api_token(application, person, label, by=OPERATOR)
    say(
        "API token {token} for {name} ({id}) — shown once, store it now:",
        token=issued.id,
        name=issued.person.name,
        id=issued.person.id,
    )
    sys.stdout.write(issued.token + "\n")


@people_app.command("tokens", help=T("A person's API tokens (never the tokens themselves)."))
@handle_errors
def people_tokens(person: PersonId, db: DbOption = None, json_out: JsonOption = False) -> None:
    from rich.table import Table

    from ..i18n import translator
    from ..services.accounts import list_api_tokens
    from ..services.queries import local
    from .render import text, when

    application = make_app(db)
    rows = list_api_tokens(application, person)
    if json_out:
        print_json(rows)
        return
    _ = translator(cli_language())
    table = Table(title=_("API tokens of {person}", person=person))
    for column in ("ID", _("Label"), _("Made"), _("Last used"), _("revoked")):
        table.add_column(column)
    for r in rows:
        table.add_row(
            str(r["id"]),
            text(r["label"]),
            when(local(r["created_at"])),  # type: ignore[arg-type]
            when(local(r["last_used_at"])),  # type: ignore[arg-type]
            when(local(r["revoked_at"])),  # type: ignore[arg-type]
        )
    console.print(table)


@people_app.command("revoke-token", help=T("Revoke an API token at once."))
@handle_errors
def people_revoke_token(
    person: PersonId,
    token_id: Annotated[int, typer.Argument(help=T("token id (see `people tokens`)"))],
    db: DbOption = None,
) -> None:
    from ..services.accounts import revoke_api_token

    application = make_app(db)
    revoke_api_token(application, person, token_id, by=OPERATOR)
    say("API token {token} of {person} revoked", token=token_id, person=person)


@people_app.command(
    "deactivate",
    help=T("Deactivate a person: they can no longer act, and their web sessions and API tokens end at once."),
)
@handle_errors
def people_deactivate(person: PersonId, db: DbOption = None) -> None:
    from ..services.directory import set_person_active

    application = make_app(db)
    changed = set_person_active(application, person, False, by=OPERATOR)
    if changed:
        say("{person} deactivated; sessions and API tokens ended", person=person)
    else:
        say("{person} was not active", person=person)


@people_app.command(
    "activate",
    help=T(
        "Reactivate a person (they sign in again with their password; old sessions and tokens stay ended)."
    ),
)
@handle_errors
def people_activate(person: PersonId, db: DbOption = None) -> None:
    from ..services.directory import set_person_active

    application = make_app(db)
    changed = set_person_active(application, person, True, by=OPERATOR)
    if changed:
        say("{person} is active again", person=person)
    else:
        say("{person} was already active", person=person)


# -- delegation (代理审批) ------------------------------------------------------------------


@people_app.command(
    "delegate",
    help=T(
        "Name a substitute who approves, returns and decides extensions in a street-office or district "
        "person's place from one Beijing date to another (both included, at most 180 days)."
    ),
)
@handle_errors
def people_delegate(
    person: PersonId,
    to: Annotated[str, typer.Option("--to", help=T("the substitute: same role and district, id or name"))],
    start: Annotated[str, typer.Option("--from", help=T("first day, YYYY-MM-DD (today or later)"))],
    until: Annotated[str, typer.Option("--until", help=T("last day, YYYY-MM-DD"))],
    by: By,
    reason: Annotated[str | None, typer.Option("--reason", help=T("why, e.g. 出差"))] = None,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    from ..clock import parse_day
    from ..services.delegation import delegate

    starts_on, ends_on = parse_day(start, "--from"), parse_day(until, "--until")
    application = make_app(db, now)
    delegation_id = delegate(
        application, person, to=to, starts_on=starts_on, ends_on=ends_on, by=by, reason=reason
    )
    say(
        "delegation #{id}: {substitute} decides for {person} from {start} to {until}",
        id=delegation_id,
        substitute=to,
        person=person,
        start=starts_on.isoformat(),
        until=ends_on.isoformat(),
    )


@people_app.command("delegations", help=T("List delegations (all, or one person's given and received)."))
@handle_errors
def people_delegations(
    person: Annotated[str | None, typer.Argument(help=T("person id (from the directory)"))] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    from rich.table import Table

    from ..i18n import translator
    from ..labels import label
    from ..services.delegation import list_delegations
    from .render import text

    application = make_app(db)
    rows = list_delegations(application, person)
    if json_out:
        print_json([r.model_dump(mode="json") for r in rows])
        return
    lang = cli_language()
    _ = translator(lang)
    table = Table(title=_("Delegations"))
    headers = (_("Person"), _("Substitute"), _("First day"), _("Last day"), _("Status"), _("Reason"))
    for column in ("ID", *headers):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            str(r.id),
            text(f"{r.delegator_name} ({r.delegator})"),
            text(f"{r.substitute_name} ({r.substitute})"),
            r.starts_on.isoformat(),
            r.ends_on.isoformat(),
            label("delegation", r.status, lang),
            text(r.reason or ""),
        )
    console.print(table)


@people_app.command("end-delegation", help=T("End a delegation now: the person decides alone again."))
@handle_errors
def people_end_delegation(
    delegation_id: Annotated[int, typer.Argument(help=T("delegation id (see `people delegations`)"))],
    by: By,
    db: DbOption = None,
    now: NowOption = None,
) -> None:
    from ..services.delegation import end_delegation

    application = make_app(db, now)
    ended = end_delegation(application, delegation_id, by=by)
    say(
        "delegation #{id} ended: {person} decides alone again",
        id=delegation_id,
        person=ended.delegator,
    )
