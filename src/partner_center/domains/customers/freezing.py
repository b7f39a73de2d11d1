"""Freezing and unfreezing customers on a partner's behalf (api-semantics.md §3.2, rules.md §4).

Who may act on which customers:

* a CSP or a distributor on its own customers (permission item ``FREEZE_CUSTOMERS``);
* a distributor on one reseller's customers, naming it in ``indirect_partner_id`` (permission
  item ``FREEZE_RESELLER_CUSTOMERS``). For each freeze type the call is made *as the partner
  responsible for it* (``PartnerService.responsible_partner``): the distributor while it has not
  granted the reseller that permission, the reseller once it has (rules.md §1.10). So a granted
  reseller whose own account is frozen cannot have its customers unfrozen (§4.9) until the
  distributor revokes the grant and becomes responsible again (§1.13);
* a reseller's own members (the console, not the API: resellers have no API access, §1.7) on
  the reseller's customers, only for the freeze types its distributor granted (§4.8).

Freeze type ACCOUNT is the "restrict purchases" grant, ACCOUNT_AND_RESOURCE the "restrict
purchases and freeze resources" grant. The whole request fails for a bad request or a caller
that may not act at all; a customer that cannot be changed is reported in the result and the
others are still changed (§1.8).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.customers.control import CustomerControl
from partner_center.domains.customers.errors import CustomerErrorCode
from partner_center.domains.customers.models import (
    AssociationStatus,
    AssociationType,
    Customer,
    FreezeType,
)
from partner_center.domains.customers.records import lock_customer_row
from partner_center.domains.customers.service import PartnerActor
from partner_center.domains.identity.public import Permission, sees_only_own_customers
from partner_center.domains.partners.public import (
    PartnerService,
    PartnerType,
    PartnerView,
    ResellerPermission,
)
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import DomainError, access_denied, invalid_parameter

MAX_CUSTOMERS_PER_CALL = 10
MAX_REASON_LENGTH = 256
MAX_ID_LENGTH = 64

_Change = Callable[[Customer], Awaitable[None]]

_GRANT_FOR = {
    FreezeType.ACCOUNT: ResellerPermission.RESTRICT,
    FreezeType.ACCOUNT_AND_RESOURCE: ResellerPermission.FREEZE_RESOURCES,
}


@dataclass(frozen=True, slots=True)
class ItemFailure:
    """A customer of the batch that was not changed, with the reference code."""

    customer_id: str
    error_code: str
    error_msg: str


@dataclass(frozen=True, slots=True)
class _Scope:
    owner_id: str
    """The partner whose customers the call addresses."""
    responsible: PartnerView
    """The partner the change is made as (see the module docstring)."""


def parse_freeze_type(value: str | None, field: str) -> FreezeType:
    """``freeze_type`` / ``unfreeze_type``: absent means ACCOUNT; ``""`` and unknown values are
    refused (rules.md §4.12)."""
    if value is None:
        return FreezeType.ACCOUNT
    try:
        return FreezeType(value)
    except ValueError as exc:
        raise invalid_parameter(field, "Use ACCOUNT or ACCOUNT_AND_RESOURCE.") from exc


class FreezingService:
    """Batch freeze and unfreeze of customers, with per-customer results."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        partners: PartnerService,
        control: CustomerControl,
    ) -> None:
        self.session = session
        self.clock = clock
        self.partners = partners
        self.control = control

    async def freeze_customers(
        self,
        actor: PartnerActor,
        customer_ids: Sequence[str],
        *,
        freeze_type: FreezeType,
        reason: str,
        indirect_partner_id: str | None = None,
    ) -> list[ItemFailure]:
        """Freeze up to 10 customers; returns the ones that could not be frozen."""
        ids = self._check_request(customer_ids, reason)
        scope = await self._scope(actor, indirect_partner_id, freeze_type)

        async def freeze(row: Customer) -> None:
            await self.control.freeze(
                row.account_id,
                freeze_type=freeze_type,
                by=scope.responsible.partner_id,
                reason=reason,
                performed_by=actor.caller.member_id or actor.caller.account_id,
            )

        return await self._each(actor, scope, ids, freeze)

    async def unfreeze_customers(
        self,
        actor: PartnerActor,
        customer_ids: Sequence[str],
        *,
        unfreeze_type: FreezeType,
        reason: str,
        indirect_partner_id: str | None = None,
    ) -> list[ItemFailure]:
        """Unfreeze up to 10 customers; the type must match each one's freeze (rules.md §4.13).

        A customer that is only purchase-restricted (the state new reseller-model customers
        start in) is lifted by an ACCOUNT unfreeze: the newest documentation renamed "freeze
        account" to "restrict purchases", and SDK users following the older pages unfreeze a new
        customer with this very call."""
        ids = self._check_request(customer_ids, reason)
        scope = await self._scope(actor, indirect_partner_id, unfreeze_type)
        if scope.responsible.frozen:
            whose = "Your" if scope.responsible.partner_id == actor.partner_id else "The reseller's"
            raise DomainError(
                CustomerErrorCode.PARTNER_FROZEN,
                f"{whose} own partner account is frozen; a frozen partner cannot unfreeze "
                "customers.",
            )
        performed_by = actor.caller.member_id or actor.caller.account_id

        async def unfreeze(row: Customer) -> None:
            if row.freeze_type is None and row.restricted:
                if unfreeze_type != FreezeType.ACCOUNT:
                    raise invalid_parameter(
                        "unfreeze_type",
                        "The customer is only purchase-restricted; lift it with ACCOUNT.",
                    )
                await self.control.lift_restriction(
                    row.account_id,
                    by=scope.responsible.partner_id,
                    reason=reason,
                    performed_by=performed_by,
                )
                return
            await self.control.unfreeze(
                row.account_id,
                unfreeze_type=unfreeze_type,
                by=scope.responsible.partner_id,
                reason=reason,
                performed_by=performed_by,
            )

        return await self._each(actor, scope, ids, unfreeze)

    # -- request and caller ----------------------------------------------------------------

    @staticmethod
    def _check_request(customer_ids: Sequence[str], reason: str) -> list[str]:
        if not customer_ids or len(customer_ids) > MAX_CUSTOMERS_PER_CALL:
            raise invalid_parameter(
                "customer_ids", f"Give 1 to {MAX_CUSTOMERS_PER_CALL} customer ids per call."
            )
        if not reason or not reason.strip():
            raise invalid_parameter("reason", "Required.")
        if len(reason) > MAX_REASON_LENGTH:
            raise invalid_parameter("reason", f"At most {MAX_REASON_LENGTH} characters.")
        # A repeated id is one customer: it is acted on once and reported at most once.
        return list(dict.fromkeys(customer_ids))

    async def _scope(
        self, actor: PartnerActor, indirect_partner_id: str | None, freeze_type: FreezeType
    ) -> _Scope:
        grant = _GRANT_FOR[freeze_type]
        if actor.partner.partner_type == PartnerType.RESELLER:
            if indirect_partner_id:
                raise DomainError(
                    CustomerErrorCode.NOT_YOUR_RESELLER,
                    "Only a distributor may act for a reseller (indirect partner).",
                )
            if not actor.caller.has(Permission.FREEZE_CUSTOMERS):
                raise access_denied("The member lacks the permission to freeze customers.")
            if not (await self.partners.grants_for(actor.partner_id)).allows(grant):
                raise access_denied(
                    f"Your distributor has not granted you the {grant.value} permission; it "
                    "freezes and unfreezes your customers."
                )
            reseller = await self.partners.get(actor.partner_id)
            assert reseller is not None
            return _Scope(owner_id=actor.partner_id, responsible=reseller)
        if indirect_partner_id:
            if actor.partner.partner_type != PartnerType.DISTRIBUTOR:
                raise DomainError(
                    CustomerErrorCode.NOT_YOUR_RESELLER,
                    "Only a distributor may act for a reseller (indirect partner).",
                )
            if not actor.caller.has(Permission.FREEZE_RESELLER_CUSTOMERS):
                raise access_denied(
                    "The member lacks the permission to freeze resellers' customers."
                )
            responsible = await self.partners.responsible_partner(
                distributor_id=actor.partner_id,
                reseller_id=indirect_partner_id,
                permission=grant,
            )
            return _Scope(owner_id=indirect_partner_id, responsible=responsible)
        if not actor.caller.has(Permission.FREEZE_CUSTOMERS):
            raise access_denied("The member lacks the permission to freeze customers.")
        current = await self.partners.get(actor.partner_id)
        assert current is not None
        return _Scope(owner_id=actor.partner_id, responsible=current)

    # -- per customer ------------------------------------------------------------------------

    async def _each(
        self,
        actor: PartnerActor,
        scope: _Scope,
        ids: list[str],
        change: _Change,
    ) -> list[ItemFailure]:
        failures: dict[str, ItemFailure] = {}
        # Row locks in primary-key order, so two batches over the same customers cannot deadlock.
        for customer_id in sorted(ids):
            try:
                async with self.session.begin_nested():
                    row = await self._owned_row(actor, scope, customer_id)
                    await change(row)
            except DomainError as exc:
                failures[customer_id] = ItemFailure(customer_id, exc.code, exc.message)
        return [failures[i] for i in ids if i in failures]

    async def _owned_row(self, actor: PartnerActor, scope: _Scope, customer_id: str) -> Customer:
        if not customer_id or len(customer_id) > MAX_ID_LENGTH:
            raise invalid_parameter("customer_ids", f"An id has 1 to {MAX_ID_LENGTH} characters.")
        row = await lock_customer_row(self.session, customer_id)
        if (
            row is None
            or row.association_status != AssociationStatus.ASSOCIATED
            or row.tenant_id != scope.owner_id
            or (
                actor.caller.member_id is not None
                and sees_only_own_customers(
                    list(actor.caller.roles), is_admin=actor.caller.is_admin
                )
                and row.account_manager_id != actor.caller.member_id
            )
        ):
            hint = (
                " For a reseller's customer pass its indirect_partner_id."
                if row is not None and row.distributor_id == actor.partner_id
                else ""
            )
            raise DomainError(
                CustomerErrorCode.NOT_YOUR_CUSTOMER,
                f"The customer is not a sub-customer of this partner.{hint}",
            )
        if row.association_type != AssociationType.RESELLER:
            raise DomainError(
                CustomerErrorCode.NOT_YOUR_CUSTOMER,
                "The customer is associated in the referral model; only reseller-model "
                "customers can be frozen or unfrozen by their partner.",
            )
        return row
