"""Running one API operation: authenticate from the headers, read the body within its limit,
verify the signature over it, check the caller kind, throttle, validate the body, do the work in
one unit of work, and write the wire response."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from partner_center.domains.associations.public import AssociationPolicy, AssociationServices
from partner_center.domains.budgets.public import BudgetService
from partner_center.domains.customers.public import CustomerControl, CustomerService, PartnerActor
from partner_center.domains.identity.public import Caller, IdentityService
from partner_center.domains.notifications.public import NotificationService
from partner_center.domains.partners.public import PartnerService, PartnerView
from partner_center.http.auth import (
    CallerKind,
    HeaderCredentials,
    authenticate_and_read_body,
    identity_service,
    require_kind,
    verify_body,
)
from partner_center.http.state import AppState, app_state
from partner_center.http.wire import (
    JSON_PAYLOAD,
    Payload,
    WireResponse,
    parse_model,
    require_media_type,
)
from partner_center.kernel.db import UnitOfWork, refresh_sandbox_clock
from partner_center.kernel.logging import caller_var
from partner_center.kernel.text import check_text

B = TypeVar("B", bound=BaseModel)


def association_services(state: AppState, session: AsyncSession) -> AssociationServices:
    """The association services (invitations, authorizations …) on one unit of work, configured
    from the settings; the API and operator-side provisioning (CLI, demo) use the same ones."""
    settings = state.settings
    identity = identity_service(state, session)
    return AssociationServices.build(
        session,
        clock=state.clock,
        identity=identity,
        partners=PartnerService(session, clock=state.clock, identity=identity),
        notifications=NotificationService(session, clock=state.clock),
        policy=AssociationPolicy(
            public_url=settings.public_url,
            disassociation_limit=settings.disassociation_limit,
            disassociation_window_months=settings.disassociation_window_months,
            zone=settings.zone,
            currency=settings.currency,
            site=state.site,
        ),
    )


@dataclass
class OperationContext:
    """Everything a handler needs: the caller, its partner profile, and domain services bound
    to this request's unit of work."""

    state: AppState
    uow: UnitOfWork
    caller: Caller
    partner: PartnerView | None

    @cached_property
    def identity(self) -> IdentityService:
        return identity_service(self.state, self.uow.session)

    @cached_property
    def partners(self) -> PartnerService:
        return PartnerService(self.uow.session, clock=self.state.clock, identity=self.identity)

    @cached_property
    def notifications(self) -> NotificationService:
        return NotificationService(self.uow.session, clock=self.state.clock)

    @cached_property
    def customers(self) -> CustomerService:
        return CustomerService(
            self.uow.session,
            clock=self.state.clock,
            wall=self.state.wall,
            identity=self.identity,
            partners=self.partners,
            notifications=self.notifications,
            site=self.state.site,
        )

    @cached_property
    def budgets(self) -> BudgetService:
        settings = self.state.settings
        return BudgetService(
            self.uow.session,
            clock=self.state.clock,
            zone=settings.zone,
            currency=settings.currency,
            customers=self.customers,
            partners=self.partners,
            notifications=self.notifications,
        )

    @cached_property
    def control(self) -> CustomerControl:
        return CustomerControl(self.uow.session, clock=self.state.clock)

    @property
    def actor(self) -> PartnerActor:
        assert self.partner is not None, "operation is not a partner operation"
        return PartnerActor(caller=self.caller, partner=self.partner)


async def authorize(
    request: Request,
    credentials: HeaderCredentials,
    raw: bytes,
    state: AppState,
    uow: UnitOfWork,
    *,
    api: str,
    kind: CallerKind,
    payload: Payload = JSON_PAYLOAD,
) -> tuple[Caller, PartnerView | None]:
    """Load the shared sandbox time, verify the signature over the body received, check the
    caller kind and throttle."""
    if state.sandbox_clock is not None:
        await refresh_sandbox_clock(state.sandbox_clock, uow.session)
    caller = verify_body(request, credentials, raw, payload)
    caller_var.set(f"{caller.account_id}/{caller.member_name or '-'}")
    partner = await require_kind(caller, kind, uow.session, identity_service(state, uow.session))
    state.limiter.check(caller.account_id, api)
    return caller, partner


def check_url_text(request: Request) -> None:
    """Query-string and path parameters follow the text rule (``kernel/text.py``) like body
    strings do, whichever handler reads them: ``CBC.0100`` before anything is looked up."""
    for name, value in request.query_params.multi_items():
        check_text("query parameter name", name)
        check_text(name, value)
    for name, value in request.path_params.items():
        if isinstance(value, str):
            check_text(name, value)


async def run_operation(
    request: Request,
    *,
    api: str,
    kind: CallerKind,
    body_model: type[B] | None,
    handler: Callable[[OperationContext, Any], Awaitable[Any]],
    status: int = 200,
    payload: Payload = JSON_PAYLOAD,
) -> Response:
    """Authenticate first (401 beats 413 beats 400), then throttle, then validate, then run
    ``handler``."""
    state = app_state(request)
    credentials, raw = await authenticate_and_read_body(request, state, payload)
    async with state.db.unit_of_work() as uow:
        caller, partner = await authorize(
            request, credentials, raw, state, uow, api=api, kind=kind, payload=payload
        )
        require_media_type(request, raw, payload)
        check_url_text(request)
        body = parse_model(body_model, raw) if body_model is not None else None
        ctx = OperationContext(state=state, uow=uow, caller=caller, partner=partner)
        result = await handler(ctx, body)
    if isinstance(result, Response):
        return result
    return WireResponse(result if result is not None else {}, status_code=status)
