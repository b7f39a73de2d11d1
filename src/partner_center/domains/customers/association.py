"""Starting, changing and ending a customer's association with a partner, and the customer's
account manager: the customers domain owns the ``customers`` row, the associations domain decides
when these happen (invitations, requests, assignments)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.customers.errors import CustomerErrorCode
from partner_center.domains.customers.models import (
    AssociationStatus,
    AssociationType,
    Customer,
    FreezeType,
)
from partner_center.domains.customers.records import lock_customer_row
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import DomainError


@dataclass(frozen=True, slots=True)
class AssociationView:
    """A customer's association as it stands (also after it ended)."""

    customer_id: str
    account_name: str
    partner_id: str
    """The owning partner: the reseller for a reseller's customer."""
    distributor_id: str | None
    association_type: AssociationType
    association_status: AssociationStatus
    associated_on: datetime
    disassociated_on: datetime | None
    account_manager_id: str | None
    restricted: bool
    freeze_type: FreezeType | None
    frozen_by: str | None

    @property
    def associated(self) -> bool:
        return self.association_status == AssociationStatus.ASSOCIATED


def _view(row: Customer) -> AssociationView:
    return AssociationView(
        customer_id=row.account_id,
        account_name=row.account_name,
        partner_id=row.tenant_id,
        distributor_id=row.distributor_id,
        association_type=row.association_type,
        association_status=row.association_status,
        associated_on=row.associated_on,
        disassociated_on=row.disassociated_on,
        account_manager_id=row.account_manager_id,
        restricted=row.restricted,
        freeze_type=row.freeze_type,
        frozen_by=row.frozen_by,
    )


class CustomerAssociations:
    """Writes to a customer's association; callers check the business rules first."""

    def __init__(self, session: AsyncSession, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def current(self, customer_id: str, *, lock: bool = False) -> AssociationView | None:
        """The customer's association row (associated or ended), or None if it never had one.
        ``lock`` holds the row until commit so concurrent changes queue."""
        row = await (
            lock_customer_row(self.session, customer_id)
            if lock
            else self.session.get(Customer, customer_id)
        )
        return _view(row) if row is not None else None

    async def _owned(self, customer_id: str, partner_id: str) -> Customer:
        row = await lock_customer_row(self.session, customer_id)
        if (
            row is None
            or row.association_status != AssociationStatus.ASSOCIATED
            or row.tenant_id != partner_id
        ):
            raise DomainError(
                CustomerErrorCode.NOT_YOUR_CUSTOMER,
                "The customer is not a sub-customer of this partner.",
            )
        return row

    async def associate(
        self,
        *,
        customer_id: str,
        account_name: str,
        email: str | None,
        mobile: str | None,
        partner_id: str,
        distributor_id: str | None,
        xaccount_type: str,
        association_type: AssociationType,
        account_manager_id: str | None,
    ) -> AssociationView:
        """Associate an existing customer account with a partner (an accepted invitation).

        A reseller-model customer starts purchase-restricted (rules.md §2.3.1). A customer that
        was associated before gets its row back with the new partner's terms.
        """
        now = self.clock.now()
        row = await lock_customer_row(self.session, customer_id)
        if row is not None and row.association_status == AssociationStatus.ASSOCIATED:
            raise DomainError(
                CustomerErrorCode.ALREADY_ASSOCIATED,
                "The customer is already associated with another partner.",
            )
        if row is None:
            row = Customer(account_id=customer_id)
            self.session.add(row)
        row.tenant_id = partner_id
        row.distributor_id = distributor_id
        row.created_by = partner_id
        row.association_type = association_type
        row.associated_on = now
        row.association_status = AssociationStatus.ASSOCIATED
        row.disassociated_on = None
        # Invited customers have no account on the partner's sales platform; the customer id is
        # their stable, unique platform id.
        row.xaccount_id = customer_id
        row.xaccount_type = xaccount_type
        row.account_name = account_name
        row.email = email
        row.mobile = mobile
        row.label = None
        row.restricted = association_type == AssociationType.RESELLER
        row.freeze_type = None
        row.freeze_reason = None
        row.frozen_at = None
        row.frozen_by = None
        row.account_manager_id = account_manager_id
        try:
            async with self.session.begin_nested():
                await self.session.flush()
        except IntegrityError as exc:
            # A first association of the same account committed meanwhile (there was no row
            # to lock), or the platform id is taken.
            raise DomainError(
                CustomerErrorCode.ALREADY_ASSOCIATED,
                "The customer is already associated with another partner.",
            ) from exc
        return _view(row)

    async def end(self, customer_id: str, *, partner_id: str) -> AssociationView:
        """End the association (rules.md §2.6): the row stays for history, leaves every list,
        and no restriction or freeze of the former partner applies any more."""
        row = await self._owned(customer_id, partner_id)
        row.association_status = AssociationStatus.DISASSOCIATED
        row.disassociated_on = self.clock.now()
        row.restricted = False
        row.freeze_type = None
        row.freeze_reason = None
        row.frozen_at = None
        row.frozen_by = None
        row.account_manager_id = None
        await self.session.flush()
        return _view(row)

    async def change_type(
        self, customer_id: str, *, partner_id: str, to_type: AssociationType
    ) -> AssociationView:
        """Switch the association type (rules.md §2.5). Entering the reseller model restricts
        purchases until the partner sets a budget; referral customers pay for themselves, so no
        partner restriction applies to them."""
        row = await self._owned(customer_id, partner_id)
        row.association_type = to_type
        row.freeze_type = None
        row.freeze_reason = None
        row.frozen_at = None
        row.frozen_by = None
        row.restricted = to_type == AssociationType.RESELLER
        await self.session.flush()
        return _view(row)

    async def set_account_manager(
        self, customer_id: str, *, partner_id: str, member_id: str | None
    ) -> AssociationView:
        """Assign (or with None withdraw) the customer's account manager; lists filtered to an
        account manager's own customers see the change at once."""
        row = await self._owned(customer_id, partner_id)
        row.account_manager_id = member_id
        await self.session.flush()
        return _view(row)
