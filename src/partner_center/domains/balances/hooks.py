"""What this domain does when an association ends: the customer's remaining balance goes back
to its partner (rules.md §2.6.11). The composition root registers it on the associations
domain's hooks (``runtime.wire_association_hooks``) under ``HOOK_NAME``."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.associations.public import AssociationEvent
from partner_center.domains.balances.models import CustomerFunds
from partner_center.domains.balances.service import BalanceService
from partner_center.kernel.clock import FixedClock

HOOK_NAME = "balances.return_remaining"
#: The return reads no calendar days, so the billing zone it is given does not matter.
_UNUSED_ZONE = ZoneInfo("UTC")


async def return_balance_on_disassociation(session: AsyncSession, event: AssociationEvent) -> None:
    """BEUNBIND in the transaction that ends the association, at the business time it ended."""
    funds = await session.get(CustomerFunds, event.customer_id)
    if funds is None or funds.funded_association_at is None:
        return
    balances = BalanceService(
        session, clock=FixedClock(event.at), zone=_UNUSED_ZONE, currency=funds.currency
    )
    await balances.return_remaining_on_disassociation(event.customer_id, actor_id=event.partner_id)
