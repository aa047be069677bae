"""Process templates: stages, phases, dependencies, deadline rules, evidence rules,
approval levels and reminder policy — all data, validated on load.

A template file may declare ``parameters`` (the numbers a coordinator may change per
project, e.g. the minimum number of households interviewed) and refer to them
anywhere as the whole scalar ``${name}``. :func:`build_template` substitutes them
(defaults, overridden per project) *before* validation, so an override of the wrong
type is refused exactly like a bad template value.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from enum import StrEnum
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    Tag,
    ValidationError,
    model_validator,
)

from .errors import N_, Coded, InvalidInput, Localized, NotFound, Phrase
from .text import as_typed_number

SLUG = r"^[a-z0-9][a-z0-9-]*$"
KEY = r"^[a-z][a-z0-9_]*$"
PARAM_REF = re.compile(r"^\$\{([a-z][a-z0-9_]*)\}$")


def _to_fraction(value: object) -> Fraction:
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a number or a fraction like 2/3")
    if isinstance(value, int | float):
        return Fraction(value).limit_denominator(10_000)
    if isinstance(value, str):
        try:
            return Fraction(value.strip())
        except (ValueError, ZeroDivisionError) as exc:
            raise ValueError(f"expected a number or a fraction like 2/3, got {value!r}") from exc
    raise ValueError("expected a number or a fraction like 2/3")


FractionValue = Annotated[
    Fraction,
    BeforeValidator(_to_fraction),
    PlainSerializer(lambda f: str(f), return_type=str),
]


class ApprovalLevel(StrEnum):
    STREET_OFFICE = "street-office"
    DISTRICT = "district"


class PartyRole(StrEnum):
    """The parties a template may name in a joint step (see ``people.PARTY_ROLES``)."""

    COMMUNITY_COMMITTEE = "community-committee"
    OWNERS_COMMITTEE = "owners-committee"
    PROPERTY_MANAGER = "property-manager"
    DEVELOPER = "developer"
    DESIGN = "design"
    CONSTRUCTION = "construction"
    SUPERVISION = "supervision"
    EXPERT = "expert"


class JointStep(BaseModel):
    """An approval step signed by parties: ``{all: [design, construction]}`` (会签:
    every named party signs; one return sends the round back to the planner) or
    ``{any: [community-committee, owners-committee]}`` (或签: one signature of the
    set is enough)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    all_of: tuple[PartyRole, ...] | None = Field(default=None, alias="all", min_length=1)
    any_of: tuple[PartyRole, ...] | None = Field(default=None, alias="any", min_length=1)

    @model_validator(mode="after")
    def _one_list(self) -> JointStep:
        if (self.all_of is None) == (self.any_of is None):
            raise ValueError("a joint step is either {all: [parties]} or {any: [parties]}")
        if len(set(self.parties)) != len(self.parties):
            raise ValueError("a party is listed twice in one joint step")
        return self

    @property
    def mode(self) -> str:
        """``all`` (会签) or ``any`` (或签)."""
        return "all" if self.all_of is not None else "any"

    @property
    def parties(self) -> tuple[PartyRole, ...]:
        return self.all_of if self.all_of is not None else (self.any_of or ())

    @property
    def value(self) -> str:
        """What a stage waiting for this step stores as ``waiting_for``."""
        return self.mode


def _step_kind(value: Any) -> str:
    return "joint" if isinstance(value, Mapping | JointStep) else "level"


#: one step of a stage's approval: a level (street office, district) or a joint step
ApprovalStep = Annotated[
    Annotated[ApprovalLevel, Tag("level")] | Annotated[JointStep, Tag("joint")],
    Discriminator(_step_kind),
]


def step_parties(steps: tuple[ApprovalLevel | JointStep, ...]) -> list[PartyRole]:
    """The parties the steps name, in order."""
    return [party for step in steps if isinstance(step, JointStep) for party in step.parties]


class EvidenceType(StrEnum):
    INTEGER = "integer"
    NUMBER = "number"
    TEXT = "text"
    BOOLEAN = "boolean"
    DATE = "date"
    CHOICE = "choice"
    ATTACHMENT = "attachment"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Phase(_Strict):
    id: str = Field(pattern=SLUG)
    name: str
    name_en: str | None = None


class DeadlineRule(_Strict):
    """When a stage is due. Exactly one of ``calendar_days``, ``working_days`` or
    ``set_at_start`` (the coordinator gives the date when starting the project).

    ``from`` is the anchor: ``project-start``, ``stage-start`` (the day the stage's
    dependencies were all approved; the default), ``approved:<stage-id>`` or
    ``notice-end`` (``notice_calendar_days`` after the stage starts: a public-notice
    period that must run in full before the counted days begin).
    """

    calendar_days: int | None = Field(default=None, gt=0, le=3650)
    working_days: int | None = Field(default=None, gt=0, le=2500)
    set_at_start: bool = False
    anchor: str = Field(default="stage-start", alias="from")
    notice_calendar_days: int | None = Field(default=None, gt=0, le=365)
    roll_forward: bool = Field(
        default=True,
        description="a calendar-day deadline that ends on a day off moves to the next working day",
    )

    @model_validator(mode="after")
    def _exactly_one_measure(self) -> DeadlineRule:
        given = [
            name
            for name, value in (
                ("calendar_days", self.calendar_days),
                ("working_days", self.working_days),
                ("set_at_start", self.set_at_start or None),
            )
            if value is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of calendar_days, working_days or set_at_start"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if not (
            self.anchor in ("project-start", "stage-start", "notice-end")
            or re.match(r"^approved:[a-z0-9][a-z0-9-]*$", self.anchor)
        ):
            raise ValueError(
                f"from: {self.anchor!r} is not one of project-start, stage-start, "
                "approved:<stage-id>, notice-end"
            )
        if (self.anchor == "notice-end") != (self.notice_calendar_days is not None):
            raise ValueError("notice_calendar_days goes with from: notice-end, and only with it")
        return self

    @property
    def approved_stage(self) -> str | None:
        return self.anchor.split(":", 1)[1] if self.anchor.startswith("approved:") else None

    def describe(self, lang: str = "zh", stage_names: Mapping[str, str] | None = None) -> str:
        """The rule in words; ``stage_names`` names the stage an ``approved:`` rule
        counts from (its id otherwise)."""
        anchors_zh = {
            "project-start": "项目启动",
            "stage-start": "阶段开始",
            "notice-end": f"公示期（{self.notice_calendar_days}个自然日）结束",
        }
        anchors_en = {
            "project-start": "project start",
            "stage-start": "stage start",
            "notice-end": f"the end of a {self.notice_calendar_days}-calendar-day notice",
        }
        if self.set_at_start:
            return "启动时指定" if lang == "zh" else "set when the project starts"
        stage = self.approved_stage
        if stage is not None and stage_names:
            stage = stage_names.get(stage, stage)
        if lang == "zh":
            anchor = f"「{stage}」审批通过" if stage else anchors_zh[self.anchor]
            if self.working_days:
                return f"{anchor}后{self.working_days}个工作日"
            return f"{anchor}后{self.calendar_days}个自然日"
        anchor = f"approval of {stage}" if stage else anchors_en[self.anchor]
        if self.working_days:
            return f"{self.working_days} working days from {anchor}"
        return f"{self.calendar_days} calendar days from {anchor}"


class EvidenceField(_Strict):
    key: str = Field(pattern=KEY)
    label: str
    label_en: str | None = None
    type: EvidenceType
    required: bool = True
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _bounds_fit_type(self) -> EvidenceField:
        numeric = self.type in (EvidenceType.INTEGER, EvidenceType.NUMBER)
        if (self.min is not None or self.max is not None) and not numeric:
            raise ValueError(f"{self.key}: min/max only apply to integer or number evidence")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"{self.key}: min is greater than max")
        if (self.type is EvidenceType.CHOICE) != bool(self.choices):
            raise ValueError(f"{self.key}: choices go with type choice, and only with it")
        return self


class RatioCheck(_Strict):
    """numerator / denominator must reach ``min`` (e.g. consent ≥ 2/3 of households)."""

    kind: Literal["ratio"]
    numerator: str = Field(pattern=KEY)
    denominator: str = Field(pattern=KEY)
    min: FractionValue
    label: str


class RateCheck(_Strict):
    """At least one ``key`` per ``every`` working days the stage was open (at least
    one in all), e.g. a site visit every 10 working days of construction."""

    kind: Literal["per-working-days"]
    key: str = Field(pattern=KEY)
    every: int = Field(gt=0)
    label: str


EvidenceCheck = Annotated[RatioCheck | RateCheck, Field(discriminator="kind")]


class ConsentSpec(_Strict):
    """A stage whose consent is taken by ballot of the household register (Civil Code
    Art. 278, ``models.consent``): ``rule`` major (改建/重建, shared parts: ≥ 3/4) or
    ordinary (> 1/2). When ballots exist, the ``participating`` and ``approving``
    evidence are computed from them and the ballot's verdict replaces the stage's
    ratio checks on those keys."""

    rule: Literal["major", "ordinary"]
    participating: str = Field(default="households_surveyed", pattern=KEY)
    approving: str = Field(default="households_consenting", pattern=KEY)


class SatisfactionSpec(_Strict):
    """A stage whose residents' satisfaction survey (问效, ``models.satisfaction``) is
    answered per household of the register. When answers exist, the ``respondents``
    (integer) and ``satisfied`` (percent, number) evidence are computed from them."""

    respondents: str = Field(default="respondents", pattern=KEY)
    satisfied: str = Field(default="satisfaction_pct", pattern=KEY)


class CommentsSpec(_Strict):
    """A stage that takes residents' comments and objections (问计, ``models.comments``)
    during its public notice (its deadline runs ``from: notice-end``). When comments
    exist, the ``evidence`` text key is their generated summary, and the stage is not
    marked done while an objection has no answer."""

    evidence: str = Field(default="objections", pattern=KEY)
    per_household: int = Field(default=5, ge=1, le=50)


class NeedsSpec(_Strict):
    """A stage that takes residents' needs survey (问需, ``models.needs``): households
    answer the project's needs menu while it is in progress. When answers exist, the
    integer evidence ``items_key`` of stage ``items_stage`` (the list of needs) is the
    number of menu items chosen by at least one household."""

    items_stage: str = Field(pattern=SLUG)
    items_key: str = Field(default="needs_items", pattern=KEY)


class OnFailure(_Strict):
    """What a failed gate leads to (``models.loop``): ``loop_to`` names an earlier
    stage the failing stage depends on (directly or through others); looping puts it
    back in progress for a new round, and the stages from it up to the failing one
    back to not started. A stage without ``on_failure`` has no loop."""

    loop_to: str = Field(pattern=SLUG)


class ReminderPolicy(_Strict):
    """When people are reminded and when a missed deadline escalates. All counts are
    working days under the statutory calendar."""

    before_due: tuple[int, ...] = Field(default=(3,), description="remind N working days before")
    on_due_day: bool = True
    overdue_every: int = Field(default=2, ge=0, description="0: no repeated overdue reminders")
    escalate_street_office_after: int | None = Field(default=3, ge=1)
    escalate_district_after: int | None = Field(default=10, ge=1)
    approval_wait: int | None = Field(
        default=3, ge=1, description="remind approvers when an approval waits this long"
    )

    @model_validator(mode="after")
    def _ladder_goes_up(self) -> ReminderPolicy:
        if any(n <= 0 for n in self.before_due):
            raise ValueError("before_due counts must be positive")
        street, district = self.escalate_street_office_after, self.escalate_district_after
        if street is not None and district is not None and district <= street:
            raise ValueError("escalate_district_after must be later than escalate_street_office_after")
        return self


class StageSpec(_Strict):
    id: str = Field(pattern=SLUG)
    name: str
    name_en: str | None = None
    phase: str
    depends_on: tuple[str, ...] | None = Field(
        default=None, description="omitted: the previous stage; []: none"
    )
    deadline: DeadlineRule
    evidence: tuple[EvidenceField, ...] = ()
    checks: tuple[EvidenceCheck, ...] = ()
    approval: tuple[ApprovalStep, ...] = (ApprovalLevel.STREET_OFFICE,)
    reminders: dict[str, Any] | None = Field(
        default=None, description="overrides of the template's reminder policy"
    )
    consent: ConsentSpec | None = Field(default=None, description="consent by ballot (Art. 278)")
    satisfaction: SatisfactionSpec | None = Field(
        default=None, description="the residents' satisfaction survey (问效)"
    )
    comments: CommentsSpec | None = Field(
        default=None, description="residents' comments and objections during the public notice (问计)"
    )
    needs: NeedsSpec | None = Field(default=None, description="residents' needs survey (问需)")
    on_failure: OnFailure | None = Field(
        default=None, description="a failed consent loops back to an earlier stage (models.loop)"
    )

    @model_validator(mode="after")
    def _evidence_consistent(self) -> StageSpec:
        keys = [f.key for f in self.evidence]
        if len(set(keys)) != len(keys):
            raise ValueError(f"stage {self.id}: evidence keys must be unique")
        if len(set(self.approval)) != len(self.approval):
            raise ValueError(f"stage {self.id}: an approval level is listed twice")
        parties = step_parties(self.approval)
        if len(set(parties)) != len(parties):
            raise ValueError(f"stage {self.id}: a party signs in two approval steps")
        numeric = {f.key for f in self.evidence if f.type in (EvidenceType.INTEGER, EvidenceType.NUMBER)}
        for check in self.checks:
            refs = (check.numerator, check.denominator) if isinstance(check, RatioCheck) else (check.key,)
            for ref in refs:
                if ref not in numeric:
                    raise ValueError(
                        f"stage {self.id}: check {check.label!r} refers to {ref!r}, "
                        "which is not an integer or number evidence key of this stage"
                    )
        if self.consent is not None:
            integers = {f.key for f in self.evidence if f.type is EvidenceType.INTEGER}
            for ref in (self.consent.participating, self.consent.approving):
                if ref not in integers:
                    raise ValueError(
                        f"stage {self.id}: consent refers to {ref!r}, which is not an integer "
                        "evidence key of this stage"
                    )
        if self.satisfaction is not None:
            types = {f.key: f.type for f in self.evidence}
            wanted = (
                (self.satisfaction.respondents, (EvidenceType.INTEGER,), "an integer"),
                (self.satisfaction.satisfied, (EvidenceType.NUMBER, EvidenceType.INTEGER), "a number"),
            )
            for ref, allowed, what in wanted:
                if types.get(ref) not in allowed:
                    raise ValueError(
                        f"stage {self.id}: satisfaction refers to {ref!r}, which is not {what} "
                        "evidence key of this stage"
                    )
        if self.comments is not None:
            texts = {f.key for f in self.evidence if f.type is EvidenceType.TEXT}
            if self.comments.evidence not in texts:
                raise ValueError(
                    f"stage {self.id}: comments refers to {self.comments.evidence!r}, which is not a text "
                    "evidence key of this stage"
                )
            if self.deadline.notice_calendar_days is None:
                raise ValueError(f"stage {self.id}: comments need a deadline from: notice-end")
        return self

    def evidence_labels(self) -> dict[str, Localized]:
        """Each evidence key's label in both languages (what messages name)."""
        return {f.key: Localized(f.label, f.label_en) for f in self.evidence}

    def field(self, key: str) -> EvidenceField | None:
        return next((f for f in self.evidence if f.key == key), None)

    def find_field(self, text: str) -> EvidenceField | None:
        """An evidence field by its key or its label (入户访谈户数 as well as
        households_interviewed)."""
        wanted = text.strip().casefold()
        return next(
            (
                f
                for f in self.evidence
                if wanted in (f.key.casefold(), f.label.casefold(), (f.label_en or "").casefold())
            ),
            None,
        )

    def label(self, lang: str = "zh") -> str:
        return self.name if lang == "zh" or not self.name_en else self.name_en


class ProcessTemplate(_Strict):
    id: str = Field(pattern=SLUG)
    version: int = Field(ge=1)
    name: str
    name_en: str | None = None
    description: str = ""
    parameters: dict[str, int | float | bool | str] = Field(default_factory=dict)
    phases: tuple[Phase, ...] = Field(min_length=1)
    reminders: ReminderPolicy = ReminderPolicy()
    stages: tuple[StageSpec, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _graph_is_sound(self) -> ProcessTemplate:
        phase_ids = [p.id for p in self.phases]
        if len(set(phase_ids)) != len(phase_ids):
            raise ValueError("phase ids must be unique")
        seen: list[str] = []
        ancestors: dict[str, set[str]] = {}
        for index, stage in enumerate(self.stages):
            where = f"stages[{index}] ({stage.id})"
            if stage.id in seen:
                raise ValueError(f"{where}: duplicate stage id")
            if stage.phase not in phase_ids:
                raise ValueError(f"{where}: unknown phase {stage.phase!r}")
            for dep in self.dependencies_of_spec(stage, seen):
                if dep not in seen:
                    raise ValueError(f"{where}: depends_on {dep!r} must name an earlier stage")
            deps = self.dependencies_of_spec(stage, seen)
            ancestors[stage.id] = set(deps).union(*(ancestors[d] for d in deps))
            approved = stage.deadline.approved_stage
            if approved is not None and approved not in ancestors[stage.id]:
                raise ValueError(
                    f"{where}: deadline from approved:{approved} must name a stage it depends on"
                )
            if stage.on_failure is not None:
                target = stage.on_failure.loop_to
                if stage.consent is None:
                    raise ValueError(f"{where}: on_failure needs a consent ballot (consent:) on the stage")
                if target not in ancestors[stage.id]:
                    raise ValueError(
                        f"{where}: on_failure.loop_to {target!r} must name an earlier stage it depends on"
                    )
            if stage.reminders is not None:
                try:
                    ReminderPolicy.model_validate({**self.reminders.model_dump(), **stage.reminders})
                except ValidationError as exc:
                    raise ValueError(f"{where}: reminders: {describe_validation_error(exc)}") from None
            seen.append(stage.id)
        self._needs_refer_to_evidence()
        return self

    def _needs_refer_to_evidence(self) -> None:
        """A needs survey's item count is an integer evidence key of a stage of the
        template."""
        by_id = {s.id: s for s in self.stages}
        for stage in self.stages:
            if stage.needs is None:
                continue
            target = by_id.get(stage.needs.items_stage)
            if target is None:
                raise ValueError(
                    f"stage {stage.id}: needs refers to unknown stage {stage.needs.items_stage!r}"
                )
            field = target.field(stage.needs.items_key)
            if field is None or field.type is not EvidenceType.INTEGER:
                raise ValueError(
                    f"stage {stage.id}: needs refers to {stage.needs.items_key!r}, which is not an integer "
                    f"evidence key of stage {target.id}"
                )

    @staticmethod
    def dependencies_of_spec(stage: StageSpec, earlier: list[str]) -> tuple[str, ...]:
        if stage.depends_on is not None:
            return stage.depends_on
        return (earlier[-1],) if earlier else ()

    # -- lookups -----------------------------------------------------------------
    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    def party_roles(self) -> dict[PartyRole, StageSpec]:
        """Each party some stage's approval names, with the first stage naming it."""
        found: dict[PartyRole, StageSpec] = {}
        for spec in self.stages:
            for party in step_parties(spec.approval):
                found.setdefault(party, spec)
        return found

    @property
    def stage_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.stages)

    def stage(self, stage_id: str) -> StageSpec:
        for spec in self.stages:
            if spec.id == stage_id:
                return spec
        raise NotFound(
            "unknown stage '{stage}' in template {template} (stages: {stages})",
            stage=stage_id[:64],
            template=Localized(f"「{self.name}」", self.ref),  # people know it by name
            stages=Localized(
                "、".join(s.name for s in self.stages), ", ".join(s.label("en") for s in self.stages)
            ),
        )

    def find_stage(self, text: str) -> StageSpec | None:
        """A stage by its id or its name (需求调研 as well as needs-survey); a name's
        first part is enough when it names one stage (需求清单 for 需求清单（清单式/菜单式）,
        使用后评估 for 使用后评估 / 满意度调查)."""
        wanted = text.strip().casefold()
        exact = [
            s
            for s in self.stages
            if wanted in (s.id.casefold(), s.name.casefold(), (s.name_en or "").casefold())
        ]
        if exact:
            return exact[0]
        short = [s for s in self.stages if wanted in _short_names(s)]
        return short[0] if len(short) == 1 else None

    def resolve_stage(self, text: str) -> StageSpec:
        """:meth:`find_stage`, or NotFound naming the template's stages."""
        return self.find_stage(text) or self.stage(text)

    def dependencies(self, stage_id: str) -> tuple[str, ...]:
        ids = list(self.stage_ids)
        index = ids.index(stage_id)
        return self.dependencies_of_spec(self.stages[index], ids[:index])

    def phase(self, phase_id: str) -> Phase:
        return next(p for p in self.phases if p.id == phase_id)

    def reminder_policy(self, stage_id: str) -> ReminderPolicy:
        spec = self.stage(stage_id)
        if not spec.reminders:
            return self.reminders
        return ReminderPolicy.model_validate({**self.reminders.model_dump(), **spec.reminders})


def _short_names(spec: StageSpec) -> set[str]:
    names = set()
    for name in (spec.name, spec.name_en or ""):
        for cut in ("（", "(", " / ", "/"):
            head = name.split(cut, 1)[0].strip().casefold()
            if head:
                names.add(head)
    return names


def describe_validation_error(exc: ValidationError) -> str:
    """One line naming each failing field and why, e.g.
    ``stages[2].deadline.working_days: Input should be greater than 0``."""
    parts = []
    for error in exc.errors(include_url=False):
        loc = ""
        for item in error["loc"]:
            if isinstance(item, int):
                loc += f"[{item}]"
            elif item in ("function-after", "function-before") or str(item).startswith(
                ("function-", "tagged-union")
            ):
                continue
            else:
                loc += ("." if loc else "") + str(item)
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {message}" if loc else message)
    return "; ".join(parts)


def _substitute(node: Any, params: Mapping[str, Any], path: str) -> Any:
    if isinstance(node, dict):
        return {k: _substitute(v, params, f"{path}.{k}" if path else str(k)) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, params, f"{path}[{i}]") for i, v in enumerate(node)]
    if isinstance(node, str):
        match = PARAM_REF.match(node.strip())
        if match:
            name = match.group(1)
            if name not in params:
                raise InvalidInput("{path}: unknown parameter '{name}'", path=path, name=name)
            return params[name]
    return node


MAX_PARAMETER = 100_000


def coerce_parameter(name: str, default: Any, raw: str) -> Any:
    """Turn a ``--param name=value`` string into the type of the parameter's default,
    within a sane range: counts and days are whole numbers from 0 to 100000, ratios
    are fractions above 0 and at most 1."""
    text = as_typed_number(raw)
    kind = Phrase(
        {bool: N_("yes or no"), int: N_("a whole number"), float: N_("a number")}.get(
            type(default), N_("a fraction like 2/3")
        )
    )
    wrong = InvalidInput(
        "parameter {name}: expected {kind}, got '{value}'",
        field=f"param.{name}",
        name=Coded("parameter", name),
        kind=kind,
        value=raw[:40],
    )
    if isinstance(default, bool):
        if text.lower() not in ("true", "false", "yes", "no", "1", "0"):
            raise wrong
        return text.lower() in ("true", "yes", "1")
    if isinstance(default, int):
        if re.fullmatch(r"-[0-9]{1,6}", text):  # a whole number, but below zero
            raise InvalidInput(
                "parameter {name}: must be 0 or more, got {value}",
                field=f"param.{name}",
                name=Coded("parameter", name),
                value=text,
            )
        if not re.fullmatch(r"[0-9]{1,6}", text):
            raise wrong
        value: Any = int(text)
    elif isinstance(default, float):
        if not re.fullmatch(r"[0-9]{1,6}(\.[0-9]+)?", text):
            raise wrong
        value = float(text)
    elif isinstance(default, str) and "/" in default:
        try:
            fraction = _to_fraction(text)
        except ValueError:
            raise wrong from None
        if not 0 < fraction <= 1:
            raise InvalidInput(
                "parameter {name}: {value} is not a ratio above 0 and at most 1",
                field=f"param.{name}",
                name=Coded("parameter", name),
                value=raw[:40],
            )
        return str(fraction)
    else:
        return raw
    if value > MAX_PARAMETER:
        raise InvalidInput(
            "parameter {name}: {value} is more than {limit}",
            field=f"param.{name}",
            name=Coded("parameter", name),
            value=raw[:40],
            limit=MAX_PARAMETER,
        )
    return value


def build_template(
    raw: Mapping[str, Any], overrides: Mapping[str, Any] | None = None, source: str = "template"
) -> ProcessTemplate:
    """Validate a template document, with its parameters resolved (defaults, then
    ``overrides``). Raises :class:`InvalidInput` naming the field and the reason."""
    if not isinstance(raw, Mapping):
        raise InvalidInput("{source}: a template must be a mapping at the top level", source=source)
    document = copy.deepcopy(dict(raw))
    params = document.get("parameters") or {}
    if not isinstance(params, dict):
        raise InvalidInput("{source}: parameters: must be a mapping of name → value", source=source)
    unknown = set(overrides or {}) - set(params)
    if unknown:
        raise InvalidInput(
            "unknown template parameter '{name}' (parameters: {names})",
            field=f"param.{sorted(unknown)[0]}",
            name=sorted(unknown)[0],
            names=", ".join(sorted(params)) or "—",
        )
    resolved = {**params, **(overrides or {})}
    body = {k: v for k, v in document.items() if k != "parameters"}
    try:
        body = _substitute(body, resolved, "")
        return ProcessTemplate.model_validate({**body, "parameters": resolved})
    except ValidationError as exc:
        raise InvalidInput(
            "invalid {source}: {detail}", source=source, detail=describe_validation_error(exc)
        ) from None
    except InvalidInput as exc:
        raise InvalidInput(
            "invalid {source}: {detail}", source=source, detail=str(exc), field=exc.field
        ) from None
