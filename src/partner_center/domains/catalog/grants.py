"""Partner discounts as the partner manages them (rules.md §7.16–7.18, §12.5).

* The operator gives a partner the permission to grant discounts, with the deepest discount it
  may grant (``DiscountPermission``); without it a partner grants nothing (``CBC.5024``).
* A partner (607) or a distributor for its reseller's customer (606) grants a percentage off for
  a validity period, to a customer that is not reseller-model (``DiscountService._grant``). The
  new discount replaces the grantor's discounts still in force for that customer (one partner
  discount per customer at a time, as the console's general discount).
* The customer is e-mailed when a discount is granted; partner and customer are e-mailed when it
  expires (a job at its end; a discount revoked or replaced before then sends nothing).
* History: every discount a partner granted, in force, expired or revoked, stays listed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.catalog.discounts import (
    DiscountService,
    DiscountType,
    DiscountView,
    discount_view,
)
from partner_center.domains.catalog.errors import CatalogErrorCode, catalog_error, invalid
from partner_center.domains.catalog.models import CatalogDiscount, DiscountPermission
from partner_center.domains.identity.public import IdentityService
from partner_center.domains.notifications.public import Channel, NotificationService
from partner_center.kernel.clock import Clock, format_utc
from partner_center.kernel.jobs import schedule
from partner_center.kernel.money import decimal_places
from partner_center.kernel.pagination import Page, paginate

#: The one-off job that tells partner and customer a discount has expired.
DISCOUNT_EXPIRED_JOB = "catalog.discount_expired"


class DiscountState(enum.StrEnum):
    IN_FORCE = "IN_FORCE"
    NOT_STARTED = "NOT_STARTED"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


@dataclass(frozen=True, slots=True)
class PermissionView:
    partner_id: str
    max_percent_off: Decimal
    granted_by: str
    granted_at: datetime


@dataclass(frozen=True, slots=True)
class GrantedDiscount:
    discount: DiscountView
    state: DiscountState


class PartnerDiscounts:
    """Permissions, grants with their limits and e-mails, expiry notices and history."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        discounts: DiscountService,
        identity: IdentityService,
        notifications: NotificationService,
    ) -> None:
        self.session = session
        self.clock = clock
        self.discounts = discounts
        self.identity = identity
        self.notifications = notifications

    # -- the operator's permission ----------------------------------------------------------

    async def set_permission(
        self, partner_id: str, *, max_percent_off: Decimal | None, operator_id: str
    ) -> PermissionView | None:
        """Give (or change) a partner's permission to grant discounts up to
        ``max_percent_off``; None withdraws it. The permission before is ended, never erased."""
        if max_percent_off is not None and (
            not Decimal(0) < max_percent_off < Decimal(100) or decimal_places(max_percent_off) > 2
        ):
            raise invalid("max_percent_off", "Give a percentage above 0 and below 100, 2 decimals.")
        now = self.clock.now()
        current = await self._permission_row(partner_id, lock=True)
        if current is not None:
            current.ended_at = now
        if max_percent_off is None:
            await self.session.flush()
            return None
        row = DiscountPermission(
            tenant_id=partner_id,
            max_percent_off=max_percent_off,
            granted_by=operator_id,
            granted_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return _permission_view(row)

    async def permission(self, partner_id: str) -> PermissionView | None:
        row = await self._permission_row(partner_id)
        return _permission_view(row) if row is not None else None

    async def require_permission(self, partner_id: str, percent_off: Decimal) -> PermissionView:
        """The partner's permission, if it covers ``percent_off`` (``CBC.5024`` otherwise)."""
        granted = await self.permission(partner_id)
        if granted is None:
            raise catalog_error(
                CatalogErrorCode.DISCOUNT_NOT_ALLOWED,
                "The partner has no permission to grant discounts; ask the operations manager.",
            )
        if percent_off > granted.max_percent_off:
            raise catalog_error(
                CatalogErrorCode.DISCOUNT_NOT_ALLOWED,
                f"At most {granted.max_percent_off} % off: the partner's maximum discount.",
                max_percent_off=str(granted.max_percent_off),
            )
        return granted

    async def _permission_row(
        self, partner_id: str, *, lock: bool = False
    ) -> DiscountPermission | None:
        stmt = select(DiscountPermission).where(
            DiscountPermission.tenant_id == partner_id, DiscountPermission.ended_at.is_(None)
        )
        if lock:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalars().first()

    # -- granting -----------------------------------------------------------------------------

    async def grant(
        self,
        *,
        partner_id: str,
        customer_id: str,
        percent_off: Decimal,
        name: str,
        effective_to: datetime,
        effective_from: datetime | None = None,
        service_type: str | None = None,
    ) -> DiscountView:
        """Grant a discount within the partner's permission, for a validity period; the
        grantor's discounts in force for the customer end now; the customer is e-mailed and the
        expiry notice is scheduled."""
        await self.require_permission(partner_id, percent_off)
        now = self.clock.now()
        if effective_to <= max(now, effective_from or now):
            raise invalid("effective_to", "The validity period must end in the future.")
        replaced = [
            d for d in await self.discounts.in_force(customer_id, now) if d.granted_by == partner_id
        ]
        granted = await self.discounts.grant_partner_discount(
            partner_id=partner_id,
            customer_id=customer_id,
            percent_off=percent_off,
            name=name,
            service_type=service_type,
            effective_from=effective_from,
            effective_to=effective_to,
        )
        for old in replaced:
            await self.discounts.revoke(old.discount_id, by=partner_id)
        await schedule(
            self.session,
            name=DISCOUNT_EXPIRED_JOB,
            due_at=effective_to,
            payload={"discount_id": granted.discount_id},
            dedupe_key=f"discount-expired:{granted.discount_id}",
            tenant_id=customer_id,
        )
        scope = service_type or "every product"
        await self.email(
            customer_id,
            f"A discount of {percent_off} % was granted to you",
            f"{granted.name}: {percent_off} % off the list price of {scope}, from "
            f"{format_utc(granted.effective_from)} until {format_utc(effective_to)}.",
        )
        return granted

    def state_of(self, view: DiscountView) -> DiscountState:
        """A discount's state now, short of revocation (which only its row records)."""
        now = self.clock.now()
        if view.effective_from > now:
            return DiscountState.NOT_STARTED
        if view.effective_to is not None and view.effective_to <= now:
            return DiscountState.EXPIRED
        return DiscountState.IN_FORCE

    async def revoke(self, discount_id: str, *, partner_id: str) -> DiscountView:
        return await self.discounts.revoke(discount_id, by=partner_id)

    async def notify_expired(self, discount_id: str) -> bool:
        """Job ``DISCOUNT_EXPIRED_JOB``: e-mail partner and customer that the discount ended,
        unless it was revoked or replaced before its end. True when the notices were queued."""
        row = await self.session.get(CatalogDiscount, discount_id)
        if row is None or row.effective_to is None or row.effective_to > self.clock.now():
            return False
        if row.revoked_at is not None:
            return False
        subject = f"The discount {row.name!r} has expired"
        body = f"{row.percent_off} % off the list price ended at {format_utc(row.effective_to)}."
        await self.email(row.tenant_id, subject, body)
        await self.email(row.granted_by, subject, f"Customer {row.tenant_id}: {body}")
        return True

    async def email(self, account_id: str, subject: str, body: str) -> None:
        account = await self.identity.get_account(account_id)
        if account is None or not account.email:
            return
        await self.notifications.queue(
            tenant_id=account_id,
            channel=Channel.EMAIL,
            recipient=account.email,
            subject=subject,
            body=body,
        )

    # -- history --------------------------------------------------------------------------

    async def history(
        self, partner_id: str, *, customer_id: str | None, window: Page
    ) -> tuple[list[GrantedDiscount], int]:
        """Every discount the partner granted (newest first), with its state now."""
        stmt: Select[CatalogDiscount] = select(CatalogDiscount).where(
            CatalogDiscount.granted_by == partner_id,
            or_(
                CatalogDiscount.discount_type == DiscountType.PARTNER_SET,
                CatalogDiscount.discount_type == DiscountType.DISTRIBUTOR_GRANTED,
            ),
        )
        if customer_id:
            stmt = stmt.where(CatalogDiscount.tenant_id == customer_id)
        rows, total = await paginate(
            self.session, stmt, window, CatalogDiscount.created_at.desc(), CatalogDiscount.id
        )
        now = self.clock.now()
        return [GrantedDiscount(discount_view(r), _state(r, now)) for r in rows], total


def _state(row: CatalogDiscount, now: datetime) -> DiscountState:
    if row.revoked_at is not None:
        return DiscountState.REVOKED
    if row.effective_from > now:
        return DiscountState.NOT_STARTED
    if row.effective_to is not None and row.effective_to <= now:
        return DiscountState.EXPIRED
    return DiscountState.IN_FORCE


def _permission_view(row: DiscountPermission) -> PermissionView:
    return PermissionView(
        partner_id=row.tenant_id,
        max_percent_off=row.max_percent_off,
        granted_by=row.granted_by,
        granted_at=row.granted_at,
    )
