"""Extension points other domains plug into, so this domain never imports them.

* **On association** handlers run when a customer becomes a partner's customer (rules.md
  §2.3.4: pay-per-use grace periods shorter than 1 day are raised to 1 day).
* **On disassociation** handlers run when an association ends (§2.6.9: grace periods raised to
  15 days; §2.6.12: coupons the partner issued are reclaimed; budgets record a DELETE, §2.6.13).
* **Disassociation checks** refuse a disassociation while something blocks it (§2.6.5: unexpired
  reserved instances, support plans, enterprise accounts with members); each returns the reason
  in words, or None.

Handlers run inside the transaction that changes the association, with its session, so their
work commits or rolls back with it. The composition root's services container gives each unit
of work its hooks: its own handlers for the coupons and balances domains, then the process-wide
``association_hooks`` (extensions register there once at start-up; registration by name is
idempotent so a re-import does not register twice).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.customers.public import AssociationType


@dataclass(frozen=True, slots=True)
class AssociationEvent:
    """A customer's association started or ended."""

    customer_id: str
    partner_id: str
    """The owning partner (the reseller for a reseller's customer)."""
    distributor_id: str | None
    association_type: AssociationType
    at: datetime
    """Business time of the change (UTC)."""
    cause_id: str | None = None
    """The invitation or disassociation request that caused it."""


AssociationHandler = Callable[[AsyncSession, AssociationEvent], Awaitable[None]]
DisassociationCheck = Callable[[AsyncSession, str, str], Awaitable[str | None]]
"""``(session, customer_id, partner_id)`` → the blocker in words, or None."""


class AssociationHooks:
    """Named handlers and checks, run in registration order."""

    def __init__(self) -> None:
        self._on_associated: dict[str, AssociationHandler] = {}
        self._on_disassociated: dict[str, AssociationHandler] = {}
        self._checks: dict[str, DisassociationCheck] = {}

    def on_associated(self, name: str, handler: AssociationHandler) -> None:
        self._on_associated[name] = handler

    def on_disassociated(self, name: str, handler: AssociationHandler) -> None:
        self._on_disassociated[name] = handler

    def disassociation_check(self, name: str, check: DisassociationCheck) -> None:
        self._checks[name] = check

    def include(self, other: AssociationHooks) -> None:
        """Add ``other``'s handlers and checks after this registry's own."""
        self._on_associated.update(other._on_associated)
        self._on_disassociated.update(other._on_disassociated)
        self._checks.update(other._checks)

    def remove(self, name: str) -> None:
        """Forget every handler and check registered under ``name``."""
        self._on_associated.pop(name, None)
        self._on_disassociated.pop(name, None)
        self._checks.pop(name, None)

    async def associated(self, session: AsyncSession, event: AssociationEvent) -> None:
        for handler in list(self._on_associated.values()):
            await handler(session, event)

    async def disassociated(self, session: AsyncSession, event: AssociationEvent) -> None:
        for handler in list(self._on_disassociated.values()):
            await handler(session, event)

    async def blockers(self, session: AsyncSession, customer_id: str, partner_id: str) -> list[str]:
        found = []
        for check in list(self._checks.values()):
            reason = await check(session, customer_id, partner_id)
            if reason:
                found.append(reason)
        return found


#: Process-wide handlers every unit of work runs after its own.
association_hooks = AssociationHooks()
