"""Running one API operation: authenticate, check the caller kind, throttle, validate the body,
do the work in one unit of work, and write the wire response."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from partner_center.domains.budgets.public import BudgetService
from partner_center.domains.customers.public import CustomerControl, CustomerService, PartnerActor
from partner_center.domains.identity.public import Caller, IdentityService
from partner_center.domains.notifications.public import NotificationService
from partner_center.domains.partners.public import PartnerService, PartnerView
from partner_center.http.auth import CallerKind, authenticate, require_kind
from partner_center.http.state import app_state
from partner_center.http.wire import WireResponse, parse_model
from partner_center.kernel.db import UnitOfWork
from partner_center.kernel.logging import caller_var
from partner_center.services import Services
from partner_center.state import AppState

B = TypeVar("B", bound=BaseModel)


@dataclass
class OperationContext:
    """Everything a handler needs: the caller, its partner profile, and ``services``, the
    domain services of this request's unit of work (built by the composition root)."""

    state: AppState
    uow: UnitOfWork
    caller: Caller
    partner: PartnerView | None
    services: Services

    # TEMPORARY shortcuts for the route files written before ``services`` existed; they go
    # once every handler says ``ctx.services.<name>`` (the lead removes them at merge).
    @property
    def identity(self) -> IdentityService:
        return self.services.identity

    @property
    def partners(self) -> PartnerService:
        return self.services.partners

    @property
    def notifications(self) -> NotificationService:
        return self.services.notifications

    @property
    def customers(self) -> CustomerService:
        return self.services.customers

    @property
    def budgets(self) -> BudgetService:
        return self.services.budgets

    @property
    def control(self) -> CustomerControl:
        return self.services.control

    @property
    def actor(self) -> PartnerActor:
        assert self.partner is not None, "operation is not a partner operation"
        return PartnerActor(caller=self.caller, partner=self.partner)


async def authorize(
    request: Request,
    raw: bytes,
    state: AppState,
    services: Services,
    *,
    api: str,
    kind: CallerKind,
) -> tuple[Caller, PartnerView | None]:
    """Load the shared sandbox time, authenticate, check the caller kind and throttle."""
    await state.refresh_clock(services.session)
    caller = await authenticate(request, raw, state, services.identity)
    caller_var.set(f"{caller.account_id}/{caller.member_name or '-'}")
    partner = await require_kind(caller, kind, services.partners)
    state.limiter.check(caller.account_id, api)
    return caller, partner


async def run_operation(
    request: Request,
    *,
    api: str,
    kind: CallerKind,
    body_model: type[B] | None,
    handler: Callable[[OperationContext, Any], Awaitable[Any]],
    status: int = 200,
) -> Response:
    """Authenticate first (401 beats 400), then throttle, then validate, then run ``handler``."""
    state = app_state(request)
    raw = await request.body()
    async with state.db.unit_of_work() as uow:
        services = state.services(uow.session)
        caller, partner = await authorize(request, raw, state, services, api=api, kind=kind)
        body = parse_model(body_model, raw) if body_model is not None else None
        ctx = OperationContext(
            state=state, uow=uow, caller=caller, partner=partner, services=services
        )
        result = await handler(ctx, body)
    if isinstance(result, Response):
        return result
    return WireResponse(result if result is not None else {}, status_code=status)
