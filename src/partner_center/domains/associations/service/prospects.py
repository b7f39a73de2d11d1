"""Pre-registration of prospects (rules.md §2.1.1–2.1.4).

A partner pre-registers a prospect by e-mail address; the reservation lasts
``pre_registration_days`` (default 90). Refused when the partner has no e-mail or mobile on its
account (§2.1.2), when the prospect is already associated with a partner, or when another
partner holds a reservation in force (§2.1.3, ``PRE_REGISTERED_BY_ANOTHER_PARTNER``). An
existing account registered more than 7 days earlier is recorded for manual review and reserves
nothing (§2.1.4). While a reservation is in force, an invitation from any other partner fails
with ``PRE_REGISTERED_BY_ANOTHER_PARTNER`` (``InvitationService``). Pre-registering again
within the partner's own reservation returns it unchanged.

The operator reviews a pre-registration that went to review (``review``): an approval reserves
the prospect for the partner from the review on, for the full validity period, unless meanwhile
the prospect was associated with a partner or another partner's reservation came into force
(the approval is then refused with that reason and the row stays pending); a rejection, with
the operator's reason, reserves nothing. Either way the partner is told by e-mail.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select

from partner_center.domains.associations import errors
from partner_center.domains.associations.errors import FailureReason
from partner_center.domains.associations.models import Prospect
from partner_center.domains.associations.service.common import ServiceBase
from partner_center.domains.customers.public import PartnerActor, check_email
from partner_center.domains.identity.public import AccountView
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.ids import new_id
from partner_center.kernel.pagination import Page, paginate

#: An account older than this goes to manual review instead (rules.md §2.1.4).
REVIEW_AFTER = timedelta(days=7)


class ProspectState(enum.StrEnum):
    RESERVED = "RESERVED"
    EXPIRED = "EXPIRED"
    PENDING_REVIEW = "PENDING_REVIEW"
    REJECTED = "REJECTED"


class ReviewResult(enum.StrEnum):
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


@dataclass(frozen=True, slots=True)
class ProspectView:
    prospect_id: str
    email: str
    name: str
    customer_id: str | None
    state: ProspectState
    reserved_at: datetime
    expires_at: datetime
    partner_id: str = ""
    review_opinion: str | None = None
    reviewed_at: datetime | None = None


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
        account = await self._refuse_associated(email, actor.partner_id)
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

    async def _refuse_associated(self, email: str, partner_id: str) -> AccountView | None:
        """The account with ``email``, if any; refused when it is associated with a partner."""
        account = await self.identity.get_account_by_email(email)
        if account is not None:
            current = await self.associations.current(account.id)
            if current is not None and current.associated:
                raise (
                    FailureReason.ALREADY_ASSOCIATED_WITH_THIS_PARTNER
                    if current.partner_id == partner_id
                    else FailureReason.ASSOCIATED_WITH_ANOTHER_PARTNER
                ).error()
        return account

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

    async def list_for_review(
        self, window: Page, *, pending_only: bool = True
    ) -> tuple[list[ProspectView], int]:
        """Every partner's pre-registrations that went to review (operator), oldest first: those
        still waiting, or with ``pending_only=False`` the reviewed ones too."""
        stmt: Select[Prospect] = select(Prospect).where(
            Prospect.needs_review.is_(True) | Prospect.review_result.is_not(None)
        )
        if pending_only:
            stmt = stmt.where(Prospect.review_result.is_(None))
        rows, total = await paginate(self.session, stmt, window, Prospect.reserved_at, Prospect.id)
        now = self.clock.now()
        return [_view(r, now) for r in rows], total

    async def list(self, actor: PartnerActor, window: Page) -> tuple[list[ProspectView], int]:
        """The partner's pre-registrations, newest first, with their state now."""
        stmt: Select[Prospect] = select(Prospect).where(Prospect.tenant_id == actor.partner_id)
        rows, total = await paginate(
            self.session, stmt, window, Prospect.reserved_at.desc(), Prospect.id
        )
        now = self.clock.now()
        return [_view(r, now) for r in rows], total

    async def review(
        self, prospect_id: str, *, approve: bool, opinion: str | None = None
    ) -> ProspectView:
        """The operator approves or rejects a pre-registration waiting for review.

        Raises:
            DomainError: ``CBC.0100`` unknown prospect, or a rejection without a reason;
                ``CBC.99110030`` the row is not waiting for review; the association failure
                codes when an approval would reserve a prospect that is associated with a
                partner or reserved by another partner meanwhile.
        """
        opinion = (opinion or "").strip() or None
        if opinion is not None and len(opinion) > 512:
            raise invalid_parameter("opinion", "Give a reason of at most 512 characters.")
        if not approve and opinion is None:
            raise invalid_parameter("opinion", "Give the reason for the rejection.")
        row = await self.session.get(Prospect, prospect_id, with_for_update=True)
        if row is None:
            raise errors.no_such("pre-registration", "prospect_id")
        now = self.clock.now()
        if not row.needs_review or row.review_result is not None:
            raise errors.not_pending("pre-registration", _view(row, now).state.value)
        if approve:
            await self._refuse_associated(row.email, row.tenant_id)
            holder = await self.reservation(row.email, now)
            if holder is not None and holder.tenant_id != row.tenant_id:
                raise FailureReason.PRE_REGISTERED_BY_ANOTHER_PARTNER.error()
            row.needs_review = False
            row.reserved_at = now
            row.expires_at = now + timedelta(days=self.policy.pre_registration_days)
            row.review_result = ReviewResult.APPROVED.value
        else:
            row.review_result = ReviewResult.REJECTED.value
        row.review_opinion = opinion
        row.reviewed_at = now
        await self.session.flush()
        view = _view(row, now)
        await self._tell_partner(view)
        return view

    async def _tell_partner(self, view: ProspectView) -> None:
        if view.state is ProspectState.RESERVED:
            subject = f"Pre-registration of {view.email} approved"
            body = (
                f"Your pre-registration of {view.name} ({view.email}) was approved: the prospect "
                f"is reserved for you until {format_utc(view.expires_at)}."
            )
        else:
            subject = f"Pre-registration of {view.email} rejected"
            body = (
                f"Your pre-registration of {view.name} ({view.email}) was rejected: "
                f"{view.review_opinion}"
            )
        await self.notify_partner(view.partner_id, subject=subject, body=body)


def _view(row: Prospect, now: datetime) -> ProspectView:
    if row.review_result == ReviewResult.REJECTED.value:
        state = ProspectState.REJECTED
    elif row.needs_review:
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
        partner_id=row.tenant_id,
        review_opinion=row.review_opinion,
        reviewed_at=row.reviewed_at,
    )
