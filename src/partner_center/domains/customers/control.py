"""The one place that decides what a restricted or frozen customer may do (rules.md §4.2–4.4).

Orders, renewals, pay-per-use rating and every other money-moving feature call
``CustomerControl.ensure_allowed`` before they act; freezing, restricting and lifting either go
through the methods below so the customer row, and only it, holds the state.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.customers.errors import CustomerErrorCode
from partner_center.domains.customers.models import (
    AssociationStatus,
    ControlAction,
    Customer,
    CustomerControlEvent,
    FreezeType,
)
from partner_center.domains.customers.records import lock_customer_row
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import DomainError
from partner_center.kernel.ids import new_id


class Action(enum.StrEnum):
    """What a customer (or a partner on its behalf) is about to do."""

    PURCHASE = "PURCHASE"  # new yearly/monthly or pay-per-use resources
    RENEW = "RENEW"
    CHANGE_SPEC = "CHANGE_SPEC"
    TO_ON_DEMAND = "TO_ON_DEMAND"
    TO_PERIOD = "TO_PERIOD"
    DELETE = "DELETE"
    UNSUBSCRIBE = "UNSUBSCRIBE"
    RENAME = "RENAME"
    VIEW = "VIEW"
    USE_ON_DEMAND = "USE_ON_DEMAND"  # pay-per-use resources keep running and metering


#: Allowed while restricted or account-frozen (rules.md §4.3).
_ALLOWED_WHEN_RESTRICTED = frozenset(
    {Action.UNSUBSCRIBE, Action.RENAME, Action.VIEW, Action.USE_ON_DEMAND}
)
#: Allowed while account and resources are frozen (rules.md §4.4).
_ALLOWED_WHEN_RESOURCES_FROZEN = frozenset({Action.UNSUBSCRIBE, Action.RENAME, Action.VIEW})


@dataclass(frozen=True, slots=True)
class ControlState:
    customer_id: str
    restricted: bool
    freeze_type: FreezeType | None
    freeze_reason: str | None
    frozen_by: str | None

    @property
    def normal(self) -> bool:
        return not self.restricted and self.freeze_type is None


@dataclass(frozen=True, slots=True)
class ControlEventView:
    """One recorded change of a customer's restriction or freeze state."""

    action: ControlAction
    freeze_type: FreezeType | None
    reason: str | None
    responsible_partner_id: str | None
    performed_by: str | None
    occurred_at: datetime


def _state(row: Customer) -> ControlState:
    return ControlState(
        customer_id=row.account_id,
        restricted=row.restricted,
        freeze_type=row.freeze_type,
        freeze_reason=row.freeze_reason,
        frozen_by=row.frozen_by,
    )


def check_allowed(state: ControlState, action: Action) -> None:
    """Raise the reference error if ``action`` is not allowed in ``state``."""
    if state.freeze_type == FreezeType.ACCOUNT_AND_RESOURCE:
        if action not in _ALLOWED_WHEN_RESOURCES_FROZEN:
            raise _refusal(action, "the account and its resources are frozen")
    elif (state.freeze_type is not None or state.restricted) and (
        action not in _ALLOWED_WHEN_RESTRICTED
    ):
        why = "the account is frozen" if state.freeze_type else "purchases are restricted"
        raise _refusal(action, why)


def _refusal(action: Action, why: str) -> DomainError:
    code = "CBC.99003626" if action == Action.TO_ON_DEMAND else "CBC.99003656"
    return DomainError(
        code,
        f"The customer cannot {action.value.lower().replace('_', ' ')}: {why}. "
        "The partner must lift it first.",
        {"action": action.value},
    )


class CustomerControl:
    """Reads and changes a customer's restriction and freeze state."""

    def __init__(self, session: AsyncSession, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def _row(self, customer_id: str, *, lock: bool = False) -> Customer:
        row = await (
            lock_customer_row(self.session, customer_id)
            if lock
            else self.session.get(Customer, customer_id)
        )
        if row is None or row.association_status != AssociationStatus.ASSOCIATED:
            raise DomainError(
                CustomerErrorCode.NOT_YOUR_CUSTOMER,
                "The customer is not a sub-customer of this partner.",
            )
        return row

    async def state(self, customer_id: str) -> ControlState:
        return _state(await self._row(customer_id))

    async def ensure_allowed(self, customer_id: str, action: Action) -> ControlState:
        """Lock the customer row (so a concurrent freeze waits) and check ``action``."""
        state = _state(await self._row(customer_id, lock=True))
        check_allowed(state, action)
        return state

    async def restrict(
        self, customer_id: str, *, by: str | None, reason: str, performed_by: str | None = None
    ) -> ControlState:
        """Restrict purchases (``by`` None = the system, e.g. budget exhaustion)."""
        row = await self._row(customer_id, lock=True)
        row.restricted = True
        if row.freeze_type is None:
            # A freeze in force keeps its own reason and author; the event log keeps this one.
            row.freeze_reason = reason
            row.frozen_by = by
        self._record(row, ControlAction.RESTRICT, None, reason, by, performed_by)
        await self.session.flush()
        return _state(row)

    async def lift_restriction(
        self,
        customer_id: str,
        *,
        by: str | None = None,
        reason: str | None = None,
        performed_by: str | None = None,
    ) -> ControlState:
        row = await self._row(customer_id, lock=True)
        row.restricted = False
        if row.freeze_type is None:
            row.freeze_reason = None
            row.frozen_by = None
        self._record(row, ControlAction.LIFT_RESTRICTION, None, reason, by, performed_by)
        await self.session.flush()
        return _state(row)

    async def freeze(
        self,
        customer_id: str,
        *,
        freeze_type: FreezeType,
        by: str | None,
        reason: str,
        performed_by: str | None = None,
    ) -> ControlState:
        """Freeze the account (and resources). Freezing again with the same type is refused
        (``CBC.30000052``); ACCOUNT → ACCOUNT_AND_RESOURCE escalates. The way back down is an
        unfreeze: a "freeze ACCOUNT" over ACCOUNT_AND_RESOURCE would restart pay-per-use without
        passing the unfreeze rules (type match, frozen partner, grants), so it is refused too."""
        row = await self._row(customer_id, lock=True)
        if row.freeze_type == freeze_type:
            raise DomainError(CustomerErrorCode.ALREADY_FROZEN, "The customer is already frozen.")
        if row.freeze_type == FreezeType.ACCOUNT_AND_RESOURCE:
            raise DomainError(
                CustomerErrorCode.ALREADY_FROZEN,
                "The customer's account and resources are already frozen; unfreeze them first.",
            )
        row.freeze_type = freeze_type
        row.freeze_reason = reason
        row.frozen_by = by
        row.frozen_at = self.clock.now()
        self._record(row, ControlAction.FREEZE, freeze_type, reason, by, performed_by)
        await self.session.flush()
        return _state(row)

    async def unfreeze(
        self,
        customer_id: str,
        *,
        unfreeze_type: FreezeType,
        by: str | None = None,
        reason: str | None = None,
        performed_by: str | None = None,
    ) -> ControlState:
        """Unfreeze; the type must equal the current freeze type (rules.md §4.13). Unfreezing
        also lifts the purchase restriction."""
        row = await self._row(customer_id, lock=True)
        if row.freeze_type is None:
            raise DomainError(
                CustomerErrorCode.INVALID_PARAMETER,
                "Invalid parameter: the customer is not frozen.",
            )
        if row.freeze_type != unfreeze_type:
            raise DomainError(
                CustomerErrorCode.INVALID_PARAMETER,
                f"Invalid parameter: unfreeze_type must be {row.freeze_type.value}, the type the "
                "customer was frozen with.",
            )
        row.freeze_type = None
        row.freeze_reason = None
        row.frozen_by = None
        row.frozen_at = None
        row.restricted = False
        self._record(row, ControlAction.UNFREEZE, unfreeze_type, reason, by, performed_by)
        await self.session.flush()
        return _state(row)

    async def history(self, customer_id: str) -> list[ControlEventView]:
        """Every recorded change of the customer's state, oldest first."""
        stmt = (
            select(CustomerControlEvent)
            .where(CustomerControlEvent.customer_id == customer_id)
            .order_by(CustomerControlEvent.occurred_at, CustomerControlEvent.id)
        )
        return [
            ControlEventView(
                action=e.action,
                freeze_type=e.freeze_type,
                reason=e.reason,
                responsible_partner_id=e.responsible_partner_id,
                performed_by=e.performed_by,
                occurred_at=e.occurred_at,
            )
            for e in (await self.session.execute(stmt)).scalars()
        ]

    def _record(
        self,
        row: Customer,
        action: ControlAction,
        freeze_type: FreezeType | None,
        reason: str | None,
        by: str | None,
        performed_by: str | None,
    ) -> None:
        self.session.add(
            CustomerControlEvent(
                id=new_id(),
                tenant_id=row.tenant_id,
                customer_id=row.account_id,
                action=action,
                freeze_type=freeze_type,
                reason=reason,
                responsible_partner_id=by,
                performed_by=performed_by,
                occurred_at=self.clock.now(),
            )
        )
