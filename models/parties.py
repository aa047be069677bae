"""The parties of a project and joint signing (会签 / 或签).

A party — community committee, owners' committee, property manager (tied to a
street) or developer, design institute, construction company, supervision, expert
(named on projects) — sees the projects it is on and signs the joint approval steps
the template names it in, nothing else. A project's parties list maps each party
role to one person of the directory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .errors import Conflict, InvalidInput, Localized, PermissionDenied, RuleViolation
from .people import PARTY_ROLES, ROLE_LABELS_EN, ROLE_LABELS_ZH, STREET_PARTIES, Person, Role
from .template import JointStep, PartyRole, ProcessTemplate, StageSpec

if TYPE_CHECKING:
    from .stage import Stage


def party_words(role: str) -> Localized:
    """A party role as people read it (设计单位 / design institute)."""
    try:
        known = Role(role)
    except ValueError:
        return Localized(role)
    return Localized(ROLE_LABELS_ZH[known], ROLE_LABELS_EN[known])


def parties_words(roles: Sequence[str]) -> Localized:
    return Localized(
        "、".join(party_words(r).zh for r in roles), ", ".join(str(party_words(r)) for r in roles)
    )


def step_words(step: JointStep) -> Localized:
    """会签（设计单位、施工单位） / joint signing (design institute, construction company)."""
    names = parties_words(step.parties)
    if step.mode == "all":
        return Localized(f"会签（{names.zh}）", f"joint signing by all of ({names})")
    return Localized(f"或签（{names.zh}）", f"signing by one of ({names})")


def parse_party_assignment(text: str) -> tuple[str, str]:
    """``design=ID`` as typed after ``--party`` or ``--set``: the role and the person."""
    role, eq, person = text.partition("=")
    role, person = role.strip(), person.strip()
    if not eq or not role or not person:
        raise InvalidInput(
            "party '{text}': give ROLE=PERSON, e.g. design=li-design", field="party", text=text[:80]
        )
    check_party_role(role)
    return role, person


def check_party_role(role: str) -> None:
    """Only the party roles name a project's parties."""
    if role not in {r.value for r in PARTY_ROLES}:
        raise InvalidInput(
            "unknown party role '{role}' (party roles: {roles})",
            field="party",
            role=role[:40],
            roles=", ".join(sorted(r.value for r in PARTY_ROLES)),
        )


def party_fits_project(role: str, person: Person, district: str, street: str, street_name: Localized) -> None:
    """A party named on a project has the party's role, is active, belongs to the
    project's district and — for a street party (community committee, owners'
    committee, property manager) — serves the project's street."""
    check_party_role(role)
    words = party_words(role)
    if person.role.value != role:
        raise InvalidInput(
            "party {party}: {person} is a {role}, not a {party}",
            field=f"party.{role}",
            party=words,
            person=person.name,
            role=Localized(ROLE_LABELS_ZH[person.role], ROLE_LABELS_EN[person.role]),
        )
    if not person.active:
        raise InvalidInput(
            "party {party}: {person} is no longer active in the directory",
            field=f"party.{role}",
            party=words,
            person=person.name,
        )
    if person.district != district or (
        person.role in STREET_PARTIES and not person.covers_street(district, street)
    ):
        raise InvalidInput(
            "party {party}: {person} does not serve {street}",
            field=f"party.{role}",
            party=words,
            person=person.name,
            street=street_name,
        )


def resolve_parties(
    template: ProcessTemplate,
    named: Mapping[str, Person | None],
    street_people: Sequence[Person],
    *,
    district: str,
    street: str,
    street_name: Localized,
) -> dict[str, str]:
    """The parties list of a project about to start: the parties named (each must
    fit, see :func:`party_fits_project`; ``None``: an id missing from the directory)
    and, for each street party the template names but nobody gave, the one active
    person of that role serving the street. A party nobody named stays off the list
    for now: the construction company or the supervision is usually chosen long after
    the residents were first asked, so the coordinator names them later and
    :func:`signers_named` stops the stage that needs them until then."""
    parties: dict[str, str] = {}
    for role, person in named.items():
        check_party_role(role)
        if person is None:
            raise InvalidInput(
                "party {party}: not in the directory", field=f"party.{role}", party=party_words(role)
            )
        party_fits_project(role, person, district, street, street_name)
        parties[role] = person.id
    for role in template.party_roles():
        if role.value in parties or Role(role.value) not in STREET_PARTIES:
            continue
        found = [
            p
            for p in street_people
            if p.role.value == role.value and p.active and p.covers_street(district, street)
        ]
        if len(found) == 1:
            parties[role.value] = found[0].id
    return parties


def parties_missing(template: ProcessTemplate, parties: Mapping[str, str]) -> dict[str, StageSpec]:
    """The parties the template's stages will need whom the project has not named yet,
    each with the first stage that needs it (shown on the project page and said at the
    start, so the coordinator knows whom to name before that stage)."""
    return {role.value: spec for role, spec in template.party_roles().items() if role.value not in parties}


def signers_named(spec: StageSpec, parties: Mapping[str, str]) -> None:
    """A stage whose approval has a joint step is marked done only when the project's
    parties list names its signers — every party of a 会签 (``all``), at least one of
    a 或签 (``any``) — so a submission never waits for a signature nobody can give."""
    for step in spec.approval:
        if not isinstance(step, JointStep):
            continue
        missing = [p.value for p in step.parties if p.value not in parties]
        if missing and (step.mode == "all" or len(missing) == len(step.parties)):
            raise RuleViolation(
                "stage {stage_name} is signed by the {step}, but the project has no {missing} yet: "
                "the coordinator names them first (project page, or accompany project parties "
                "PROJECT --set ROLE=PERSON)",
                stage_name=Localized(spec.name, spec.name_en),
                step=step_words(step),
                missing=parties_words(missing),
            )


def signed_parties(stage: Stage) -> list[str]:
    """The parties that signed the stage's current round (in order)."""
    return [a.level.value for a in stage.approvals_this_round() if isinstance(a.level, PartyRole)]


def step_complete(step: JointStep, signed: Sequence[str]) -> bool:
    """会签: every named party signed; 或签: one of them did."""
    done = [p for p in step.parties if p.value in signed]
    return len(done) == len(step.parties) if step.mode == "all" else bool(done)


def awaited_parties(stage: Stage) -> list[str]:
    """The parties the stage's current joint step still waits for (none when the
    stage waits for a level or for nothing)."""
    step = stage.next_approval_level()
    if not isinstance(step, JointStep):
        return []
    signed = signed_parties(stage)
    return [p.value for p in step.parties if p.value not in signed]


def party_may_sign(actor: Person, step: JointStep, parties: Mapping[str, str], stage_name: Localized) -> str:
    """Who signs a joint step: a person whose role the step names and who is that
    party on the project's parties list. Returns the role they sign for."""
    if actor.role.value not in {p.value for p in step.parties}:
        raise PermissionDenied(
            "{person} is a {role}: stage {stage_name} waits for the {step}",
            person=actor.name,
            role=party_words(actor.role.value),
            step=step_words(step),
            stage_name=stage_name,
        )
    if parties.get(actor.role.value) != actor.id:
        raise PermissionDenied(
            "{person} is not the {party} of this project",
            person=actor.name,
            party=party_words(actor.role.value),
        )
    return actor.role.value


def party_has_not_signed(actor: Person, stage: Stage, stage_name: Localized) -> None:
    """A party signs a round once: a second signature is a conflict."""
    if actor.role.value in signed_parties(stage):
        raise Conflict(
            "{person} already signed stage {stage_name} in this round",
            person=actor.name,
            stage_name=stage_name,
        )


def check_party_removable(role: str, parties: Mapping[str, str], stages: Sequence[Stage]) -> None:
    """A party taken off a project's list (named by mistake, or no longer part of the
    work): it must be on the list, and no submitted stage may be waiting for its
    signature — that stage would wait for a signature nobody can give (name another
    instead, which the signature follows)."""
    check_party_role(role)
    if role not in parties:
        raise InvalidInput(
            "party {party}: not named on this project", field=f"party.{role}", party=party_words(role)
        )
    for stage in stages:
        step = stage.next_approval_level()
        awaited = isinstance(step, JointStep) and role in {p.value for p in step.parties}
        if awaited and role not in signed_parties(stage):
            raise RuleViolation(
                "party {party}: stage {stage_name} is waiting for its signature; "
                "name another {party} instead of removing it",
                field=f"party.{role}",
                party=party_words(role),
                stage_name=Localized(stage.spec.name, stage.spec.name_en) if stage.spec else stage.key,
            )
