"""Pre-registration of prospects (rules.md §2.1.1–2.1.4).

A partner pre-registers a prospect by e-mail address; the reservation lasts
``pre_registration_days`` (default 90). Refused when the partner has no e-mail or mobile on its
account (§2.1.2), when the prospect is already associated with a partner, or when another
partner holds a reservation in force (§2.1.3, ``PRE_REGISTERED_BY_ANOTHER_PARTNER``). An
existing account registered more than 7 days earlier is recorded for manual review and reserves
nothing (§2.1.4). While a reservation is in force, an invitation from any other partner fails
with ``PRE_REGISTERED_BY_ANOTHER_PARTNER`` (``InvitationService``). Pre-registering again
within the partner's own reservation returns it unchanged.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select

from partner_center.domains.associations.errors import FailureReason
from partner_center.domains.associations.models import Prospect
from partner_center.domains.associations.service.common import ServiceBase
from partner_center.domains.customers.public import PartnerActor, check_email
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.ids import new_id
from partner_center.kernel.pagination import Page, paginate

#: An account older than this goes to manual review instead (rules.md §2.1.4).
REVIEW_AFTER = timedelta(days=7)


class ProspectState(enum.StrEnum):
    RESERVED = "RESERVED"
    EXPIRED = "EXPIRED"
    PENDING_REVIEW = "PENDING_REVIEW"


@dataclass(frozen=True, slots=True)
class ProspectView:
    prospect_id: str
    email: str
    name: str
    customer_id: str | None
    state: ProspectState
    reserved_at: datetime
    expires_at: datetime


class ProspectService(ServiceBase):
    """Partners' pre-registrations, bound to one unit of work."""

    async def pre_register(self, actor: PartnerActor, *, email: str, name: str) -> ProspectView:
        email = email.strip().lower()
        check_email(email)
        name = name.strip()
        if not name or len(name) > 128:
            raise invalid_parameter("name", "Give a name of 1 to 128 characters.")
        partner = await self.identity.get_account(actor.partner_id)
        if partner is None or not (partner.email or partner.mobile):
            raise invalid_parameter(
                "partner", "Save an e-mail address or mobile number in the partner's account first."
            )
        now = self.clock.now()
        account = await self.identity.get_account_by_email(email)
        if account is not None:
            current = await self.associations.current(account.id)
            if current is not None and current.associated:
                raise (
                    FailureReason.ALREADY_ASSOCIATED_WITH_THIS_PARTNER
                    if current.partner_id == actor.partner_id
                    else FailureReason.ASSOCIATED_WITH_ANOTHER_PARTNER
                ).error()
        holder = await self.reservation(email, now)
        if holder is not None:
            if holder.tenant_id == actor.partner_id:
                return _view(holder, now)
            raise FailureReason.PRE_REGISTERED_BY_ANOTHER_PARTNER.error()
        needs_review = account is not None and now - account.created_at > REVIEW_AFTER
        row = Prospect(
            id=new_id(),
            tenant_id=actor.partner_id,
            email=email,
            name=name,
            customer_id=account.id if account is not None else None,
            needs_review=needs_review,
            created_by=actor.caller.member_name or actor.caller.account_name,
            reserved_at=now,
            expires_at=now + timedelta(days=self.policy.pre_registration_days),
        )
        self.session.add(row)
        await self.session.flush()
        return _view(row, now)

    async def reservation(self, email: str, now: datetime) -> Prospect | None:
        """The reservation in force for ``email`` (reviews reserve nothing)."""
        stmt = (
            select(Prospect)
            .where(
                func.lower(Prospect.email) == email.lower(),
                Prospect.expires_at > now,
                Prospect.reserved_at <= now,
                Prospect.needs_review.is_(False),
            )
            .order_by(Prospect.reserved_at, Prospect.id)
            .limit(1)
            .with_for_update()
        )
        return (await self.session.execute(stmt)).scalars().first()

    async def list(self, actor: PartnerActor, window: Page) -> tuple[list[ProspectView], int]:
        """The partner's pre-registrations, newest first, with their state now."""
        stmt: Select[Prospect] = select(Prospect).where(Prospect.tenant_id == actor.partner_id)
        rows, total = await paginate(
            self.session, stmt, window, Prospect.reserved_at.desc(), Prospect.id
        )
        now = self.clock.now()
        return [_view(r, now) for r in rows], total


def _view(row: Prospect, now: datetime) -> ProspectView:
    if row.needs_review:
        state = ProspectState.PENDING_REVIEW
    elif row.expires_at <= now:
        state = ProspectState.EXPIRED
    else:
        state = ProspectState.RESERVED
    return ProspectView(
        prospect_id=row.id,
        email=row.email,
        name=row.name,
        customer_id=row.customer_id,
        state=state,
        reserved_at=row.reserved_at,
        expires_at=row.expires_at,
    )
