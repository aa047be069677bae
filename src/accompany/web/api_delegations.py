"""``/api/v1/delegations``: name a substitute, list and end delegations (代理审批)
through the API, with the same rules as the account page (see
``services.delegation``)."""

# no ``from __future__ import annotations``: FastAPI reads the routes' annotations,
# and ``Who`` is only a local name here (the API module imports this one)
import datetime as dt

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from ..services import delegation
from ..services.delegation import DelegationView
from .context import record_id


class DelegateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(max_length=64, description="the substitute: a person id or name")
    starts_on: dt.date
    ends_on: dt.date
    reason: str | None = Field(default=None, max_length=1000)
    person: str | None = Field(
        default=None,
        max_length=64,
        description="whose substitute (a district person arranging it for someone of the district); "
        "default: the caller",
    )


def add_delegation_routes(api: FastAPI, prefix: str) -> None:
    from .api import Who  # the API module defines the caller; it registers these routes

    @api.get(f"{prefix}/delegations", response_model=list[DelegationView], tags=["people"])
    def delegations(who: Who) -> list[DelegationView]:
        """The caller's delegations, given and received, newest first."""
        return delegation.list_delegations(who.app, who.person.id)

    @api.post(f"{prefix}/delegations", response_model=DelegationView, status_code=201, tags=["people"])
    def delegate(who: Who, body: DelegateBody) -> DelegationView:
        delegation_id = delegation.delegate(
            who.app,
            body.person or who.person.id,
            to=body.to,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            by=who.person.id,
            reason=body.reason,
        )
        return _one(who, delegation_id)

    @api.post(f"{prefix}/delegations/{{delegation_id}}/end", response_model=DelegationView, tags=["people"])
    def end(who: Who, delegation_id: str) -> DelegationView:
        ended = delegation.end_delegation(who.app, record_id(delegation_id, "delegation"), by=who.person.id)
        assert ended.id is not None
        return _one(who, ended.id)


def _one(who, delegation_id: int) -> DelegationView:  # type: ignore[no-untyped-def]
    return next(d for d in delegation.list_delegations(who.app) if d.id == delegation_id)
