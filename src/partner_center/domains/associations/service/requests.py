"""Association-type change requests (rules.md §2.5) and disassociation requests either way
(§2.6), with their eligibility checks, frequency limits and effects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.associations import errors
from partner_center.domains.associations.hooks import AssociationEvent
from partner_center.domains.associations.models import (
    AuthorizationRequest,
    AuthorizationStatus,
    DisassociationRequest,
    Initiator,
    RequestStatus,
    TypeChangeRequest,
)
from partner_center.domains.associations.service.common import (
    AssociationCollaborators,
    ServiceBase,
)
from partner_center.domains.associations.service.managers import AccountManagerService
from partner_center.domains.budgets.public import BudgetService
from partner_center.domains.customers.public import (
    AssociationType,
    AssociationView,
    PartnerActor,
)
from partner_center.domains.identity.public import Caller
from partner_center.kernel.clock import add_months
from partner_center.kernel.errors import DomainError, invalid_parameter
from partner_center.kernel.ids import new_id
from partner_center.kernel.pagination import Page, paginate

#: Type-change requests a partner may file per customer and window (rules.md §2.5.3).
TYPE_CHANGE_LIMIT = 1
TYPE_CHANGE_WINDOW_MONTHS = 3
REASON_MAX = 256


@dataclass(frozen=True, slots=True)
class TypeChangeView:
    request_id: str
    partner_id: str
    customer_id: str
    from_type: AssociationType
    to_type: AssociationType
    status: RequestStatus
    created_at: datetime
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class DisassociationView:
    request_id: str
    partner_id: str
    customer_id: str
    initiator: Initiator
    association_type: AssociationType
    reason: str
    status: RequestStatus
    rejection_reason: str | None
    created_at: datetime
    decided_at: datetime | None


def _type_change(row: TypeChangeRequest) -> TypeChangeView:
    return TypeChangeView(
        request_id=row.id,
        partner_id=row.tenant_id,
        customer_id=row.customer_id,
        from_type=row.from_type,
        to_type=row.to_type,
        status=row.status,
        created_at=row.created_at,
        decided_at=row.decided_at,
    )


def _disassociation(row: DisassociationRequest) -> DisassociationView:
    return DisassociationView(
        request_id=row.id,
        partner_id=row.tenant_id,
        customer_id=row.customer_id,
        initiator=row.initiator,
        association_type=row.association_type,
        reason=row.reason,
        status=row.status,
        rejection_reason=row.rejection_reason,
        created_at=row.created_at,
        decided_at=row.decided_at,
    )


def _check_reason(reason: str | None, field: str = "reason") -> str:
    value = (reason or "").strip()
    if not value or len(value) > REASON_MAX:
        raise invalid_parameter(field, f"Required, at most {REASON_MAX} characters.")
    return value


class _RequestsBase(ServiceBase):
    async def _open_requests(self, customer_id: str, partner_id: str) -> list[str]:
        """Which kinds of request are still open on this customer with this partner."""
        open_kinds = []
        disassociation = await self.session.scalar(
            select(func.count())
            .select_from(DisassociationRequest)
            .where(
                DisassociationRequest.customer_id == customer_id,
                DisassociationRequest.tenant_id == partner_id,
                DisassociationRequest.status == RequestStatus.PENDING,
            )
        )
        if disassociation:
            open_kinds.append("disassociation")
        type_change = await self.session.scalar(
            select(func.count())
            .select_from(TypeChangeRequest)
            .where(
                TypeChangeRequest.customer_id == customer_id,
                TypeChangeRequest.tenant_id == partner_id,
                TypeChangeRequest.status == RequestStatus.PENDING,
            )
        )
        if type_change:
            open_kinds.append("association type change")
        return open_kinds

    async def _refuse_if_open(self, customer_id: str, partner_id: str) -> None:
        open_kinds = await self._open_requests(customer_id, partner_id)
        if open_kinds:
            raise DomainError(
                errors.AssociationErrorCode.REQUEST_OPEN,
                f"A {open_kinds[0]} request for this customer is still pending; wait for it to be "
                "handled or cancel it.",
            )

    @staticmethod
    def _refuse_if_manually_controlled(view: AssociationView) -> None:
        """A customer the partner restricted or froze by hand must be released first
        (rules.md §2.6.5, §4.14)."""
        if view.frozen_by is not None:
            raise DomainError(
                errors.AssociationErrorCode.PRECHECK_FAILED,
                "The customer was restricted or frozen by the partner; unfreeze it first.",
                {"blocker": "MANUALLY_FROZEN"},
            )

    @staticmethod
    def _associated(customer: AssociationView | None) -> AssociationView:
        if customer is None or not customer.associated:
            raise DomainError(
                errors.AssociationErrorCode.NOT_YOUR_CUSTOMER,
                "The account is not associated with a partner.",
            )
        return customer


class TypeChangeService(_RequestsBase):
    """The partner asks, the customer decides (rules.md §2.5)."""

    async def request(
        self, actor: PartnerActor, customer_id: str, to_type: AssociationType
    ) -> TypeChangeView:
        """File a switch of the customer's association type: one per customer per 3 months."""
        self.require_admin(actor, "change a customer's association type")
        customer = await self.owned_customer(actor, customer_id, lock=True)
        if customer.association_type == to_type:
            raise invalid_parameter("association_type", "The customer already has this type.")
        if to_type == AssociationType.REFERRAL and not await self.referral_enabled(
            actor.partner_id
        ):
            raise errors.FailureReason.MODEL_NOT_ALLOWED.error()
        self._refuse_if_manually_controlled(customer)
        await self._refuse_if_open(customer_id, actor.partner_id)
        now = self.clock.now()
        since = add_months(self.policy.zone, now, -TYPE_CHANGE_WINDOW_MONTHS)
        filed = await self.session.scalar(
            select(func.count())
            .select_from(TypeChangeRequest)
            .where(
                TypeChangeRequest.customer_id == customer_id,
                TypeChangeRequest.tenant_id == actor.partner_id,
                TypeChangeRequest.created_at > since,
            )
        )
        if (filed or 0) >= TYPE_CHANGE_LIMIT:
            raise DomainError(
                errors.AssociationErrorCode.TOO_FREQUENT,
                f"Only {TYPE_CHANGE_LIMIT} association type change request per customer is "
                f"allowed in {TYPE_CHANGE_WINDOW_MONTHS} months; open a service ticket for more.",
            )
        row = TypeChangeRequest(
            id=new_id(),
            tenant_id=actor.partner_id,
            customer_id=customer_id,
            from_type=customer.association_type,
            to_type=to_type,
            status=RequestStatus.PENDING,
            requested_by=actor.caller.member_id,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        await self.notify_customer(
            customer_id,
            subject="Your partner asks to change your association type",
            body=(
                f"{actor.partner.company_name} asks to change your association from "
                f"{customer.association_type.value.lower()} to {to_type.value.lower()}. "
                "Approve or reject it under My Account > My Partner."
            ),
        )
        return _type_change(row)

    async def list_for_partner(
        self, actor: PartnerActor, page: Page, *, status: RequestStatus | None = None
    ) -> tuple[list[TypeChangeView], int]:
        self.require_admin(actor, "view association type change requests")
        stmt: Select[TypeChangeRequest] = select(TypeChangeRequest).where(
            TypeChangeRequest.tenant_id == actor.partner_id
        )
        return await self._page(stmt, page, status)

    async def list_for_customer(
        self, caller: Caller, page: Page, *, status: RequestStatus | None = None
    ) -> tuple[list[TypeChangeView], int]:
        self.require_customer(caller)
        stmt: Select[TypeChangeRequest] = select(TypeChangeRequest).where(
            TypeChangeRequest.customer_id == caller.account_id
        )
        return await self._page(stmt, page, status)

    async def _page(
        self,
        stmt: Select[TypeChangeRequest],
        page: Page,
        status: RequestStatus | None,
    ) -> tuple[list[TypeChangeView], int]:
        if status is not None:
            stmt = stmt.where(TypeChangeRequest.status == status)
        rows, total = await paginate(
            self.session,
            stmt,
            page,
            TypeChangeRequest.created_at.desc(),
            TypeChangeRequest.id.desc(),
        )
        return [_type_change(r) for r in rows], int(total or 0)

    async def decide(self, caller: Caller, request_id: str, *, approve: bool) -> TypeChangeView:
        """The customer approves (the type changes at once) or rejects the request."""
        self.require_customer(caller)
        row = await self.session.get(TypeChangeRequest, request_id, with_for_update=True)
        if row is None or row.customer_id != caller.account_id:
            raise errors.no_such("association type change request", "request_id")
        if row.status != RequestStatus.PENDING:
            raise errors.not_pending("request", row.status.value)
        now = self.clock.now()
        if approve:
            current = await self.associations.current(row.customer_id, lock=True)
            if current is None or not current.associated or current.partner_id != row.tenant_id:
                raise errors.not_pending("request", "obsolete (the association ended)")
            await self.associations.change_type(
                row.customer_id, partner_id=row.tenant_id, to_type=row.to_type
            )
        row.status = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
        row.decided_at = now
        await self.session.flush()
        name = await self.account_name(row.customer_id)
        outcome = "approved" if approve else "rejected"
        await self.notify_partner(
            row.tenant_id,
            subject=f"{name} {outcome} the association type change",
            body=(
                f"The customer {name} ({row.customer_id}) {outcome} your request to change its "
                f"association from {row.from_type.value.lower()} to {row.to_type.value.lower()}."
            ),
        )
        return _type_change(row)

    async def cancel(self, actor: PartnerActor, request_id: str) -> TypeChangeView:
        self.require_admin(actor, "cancel an association type change request")
        row = await self.session.get(TypeChangeRequest, request_id, with_for_update=True)
        if row is None or row.tenant_id != actor.partner_id:
            raise errors.no_such("association type change request", "request_id")
        if row.status != RequestStatus.PENDING:
            raise errors.not_pending("request", row.status.value)
        row.status = RequestStatus.CANCELLED
        row.decided_at = self.clock.now()
        await self.session.flush()
        return _type_change(row)


class DisassociationService(_RequestsBase):
    """Ending associations: requested by one side, decided by the other (rules.md §2.6)."""

    def __init__(
        self,
        session: AsyncSession,
        shared: AssociationCollaborators,
        *,
        account_managers: AccountManagerService,
        budgets: BudgetService,
    ) -> None:
        super().__init__(session, shared)
        self.account_managers = account_managers
        self.budgets = budgets

    async def _check_eligible(self, customer: AssociationView) -> None:
        self._refuse_if_manually_controlled(customer)
        blockers = await self.hooks.blockers(
            self.session, customer.customer_id, customer.partner_id
        )
        if blockers:
            raise DomainError(
                errors.AssociationErrorCode.PRECHECK_FAILED,
                "The customer cannot be disassociated yet: " + "; ".join(blockers) + ".",
                {"blockers": blockers},
            )
        await self._refuse_if_open(customer.customer_id, customer.partner_id)

    async def _check_frequency(self, customer: AssociationView, initiator: Initiator) -> None:
        """At most ``disassociation_limit`` requests per party and customer in the window
        (rules.md §2.6.4); a partner counts its requests for this customer, a customer its own."""
        policy = self.policy
        since = add_months(policy.zone, self.clock.now(), -policy.disassociation_window_months)
        stmt = (
            select(func.count())
            .select_from(DisassociationRequest)
            .where(
                DisassociationRequest.customer_id == customer.customer_id,
                DisassociationRequest.initiator == initiator,
                DisassociationRequest.created_at > since,
            )
        )
        if initiator == Initiator.PARTNER:
            stmt = stmt.where(DisassociationRequest.tenant_id == customer.partner_id)
        filed = await self.session.scalar(stmt)
        if (filed or 0) >= policy.disassociation_limit:
            party = "A partner" if initiator == Initiator.PARTNER else "A customer"
            raise DomainError(
                errors.AssociationErrorCode.TOO_FREQUENT,
                f"{party} may start at most {policy.disassociation_limit} disassociation "
                f"request(s) in {policy.disassociation_window_months} months; contact customer "
                "service for more.",
            )

    async def _file(
        self,
        customer: AssociationView,
        *,
        initiator: Initiator,
        reason: str,
        requested_by: str | None,
    ) -> DisassociationRequest:
        row = DisassociationRequest(
            id=new_id(),
            tenant_id=customer.partner_id,
            customer_id=customer.customer_id,
            distributor_id=customer.distributor_id,
            initiator=initiator,
            association_type=customer.association_type,
            reason=reason,
            status=RequestStatus.PENDING,
            requested_by=requested_by,
            created_at=self.clock.now(),
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def request_by_partner(
        self,
        actor: PartnerActor,
        customer_id: str,
        *,
        reason: str,
        statement_accepted: bool,
    ) -> DisassociationView:
        """The administrator asks to end the association (rules.md §2.6.1–2.6.2). A reseller-
        model customer decides; a referral association ends at once (§2.6.7)."""
        self.require_admin(actor, "disassociate customers")
        text = _check_reason(reason)
        if not statement_accepted:
            raise invalid_parameter(
                "statement_accepted", "Acknowledge the disassociation statement (true)."
            )
        customer = await self.owned_customer(actor, customer_id, lock=True)
        await self._check_eligible(customer)
        await self._check_frequency(customer, Initiator.PARTNER)
        row = await self._file(
            customer, initiator=Initiator.PARTNER, reason=text, requested_by=actor.caller.member_id
        )
        if customer.association_type == AssociationType.REFERRAL:
            await self._complete(row, decided_by=actor.caller.member_id)
        else:
            await self.notify_customer(
                customer_id,
                subject="Your partner asks to end your association",
                body=(
                    f"{actor.partner.company_name} asks to end your association. Reason: {text}\n"
                    "Approve or reject it under My Account > My Partner."
                ),
            )
        return _disassociation(row)

    async def request_by_customer(self, caller: Caller, *, reason: str) -> DisassociationView:
        """The customer asks its partner to end the association (rules.md §2.6.3); a referral
        association ends at once (§2.6.7)."""
        self.require_customer(caller)
        text = _check_reason(reason)
        customer = self._associated(await self.associations.current(caller.account_id, lock=True))
        await self._check_eligible(customer)
        await self._check_frequency(customer, Initiator.CUSTOMER)
        row = await self._file(
            customer, initiator=Initiator.CUSTOMER, reason=text, requested_by=caller.account_id
        )
        if customer.association_type == AssociationType.REFERRAL:
            await self._complete(row, decided_by=caller.account_id)
        else:
            await self.notify_partner(
                customer.partner_id,
                subject=f"{customer.account_name} asks to end the association",
                body=(
                    f"The customer {customer.account_name} ({customer.customer_id}) asks to end "
                    f"its association with you. Reason: {text}\nApprove or reject it under "
                    "Customer Management > Manage Association Records."
                ),
            )
        return _disassociation(row)

    async def decide_as_partner(
        self,
        actor: PartnerActor,
        request_id: str,
        *,
        approve: bool,
        rejection_reason: str | None = None,
    ) -> DisassociationView:
        """The administrator handles a customer's request (rules.md §2.6.1, §2.6.3)."""
        self.require_admin(actor, "handle disassociation requests")
        row = await self.session.get(DisassociationRequest, request_id, with_for_update=True)
        if row is None or row.tenant_id != actor.partner_id or row.initiator != Initiator.CUSTOMER:
            raise errors.no_such("disassociation request awaiting you", "request_id")
        return await self._decide(row, approve, rejection_reason, actor.caller.member_id)

    async def decide_as_customer(
        self,
        caller: Caller,
        request_id: str,
        *,
        approve: bool,
        rejection_reason: str | None = None,
    ) -> DisassociationView:
        """The customer handles its partner's request (rules.md §2.6.2)."""
        self.require_customer(caller)
        row = await self.session.get(DisassociationRequest, request_id, with_for_update=True)
        if (
            row is None
            or row.customer_id != caller.account_id
            or row.initiator != Initiator.PARTNER
        ):
            raise errors.no_such("disassociation request awaiting you", "request_id")
        return await self._decide(row, approve, rejection_reason, caller.account_id)

    async def _decide(
        self,
        row: DisassociationRequest,
        approve: bool,
        rejection_reason: str | None,
        decided_by: str | None,
    ) -> DisassociationView:
        if row.status != RequestStatus.PENDING:
            raise errors.not_pending("request", row.status.value)
        if approve:
            current = await self.associations.current(row.customer_id, lock=True)
            if current is None or not current.associated or current.partner_id != row.tenant_id:
                raise errors.not_pending("request", "obsolete (the association ended)")
            # A blocker that appeared since the request was filed still holds it back.
            self._refuse_if_manually_controlled(current)
            blockers = await self.hooks.blockers(self.session, row.customer_id, row.tenant_id)
            if blockers:
                raise DomainError(
                    errors.AssociationErrorCode.PRECHECK_FAILED,
                    "The customer cannot be disassociated yet: " + "; ".join(blockers) + ".",
                    {"blockers": blockers},
                )
            await self._complete(row, decided_by=decided_by)
        else:
            row.status = RequestStatus.REJECTED
            row.rejection_reason = (
                _check_reason(rejection_reason, "rejection_reason") if rejection_reason else None
            )
            row.decided_by = decided_by
            row.decided_at = self.clock.now()
            await self.session.flush()
            await self._announce(row)
        return _disassociation(row)

    async def cancel_as_partner(self, actor: PartnerActor, request_id: str) -> DisassociationView:
        self.require_admin(actor, "cancel disassociation requests")
        row = await self.session.get(DisassociationRequest, request_id, with_for_update=True)
        if row is None or row.tenant_id != actor.partner_id or row.initiator != Initiator.PARTNER:
            raise errors.no_such("disassociation request of yours", "request_id")
        return await self._cancel(row)

    async def cancel_as_customer(self, caller: Caller, request_id: str) -> DisassociationView:
        self.require_customer(caller)
        row = await self.session.get(DisassociationRequest, request_id, with_for_update=True)
        if (
            row is None
            or row.customer_id != caller.account_id
            or row.initiator != Initiator.CUSTOMER
        ):
            raise errors.no_such("disassociation request of yours", "request_id")
        return await self._cancel(row)

    async def _cancel(self, row: DisassociationRequest) -> DisassociationView:
        """Withdraw a pending request; it still counts towards the frequency limit."""
        if row.status != RequestStatus.PENDING:
            raise errors.not_pending("request", row.status.value)
        row.status = RequestStatus.CANCELLED
        row.decided_at = self.clock.now()
        await self.session.flush()
        return _disassociation(row)

    async def list_for_partner(
        self,
        actor: PartnerActor,
        page: Page,
        *,
        status: RequestStatus | None = None,
        initiator: Initiator | None = None,
    ) -> tuple[list[DisassociationView], int]:
        """The partner's association records (Manage Association Records)."""
        self.require_admin(actor, "view disassociation requests")
        stmt: Select[DisassociationRequest] = select(DisassociationRequest).where(
            DisassociationRequest.tenant_id == actor.partner_id
        )
        return await self._page(stmt, page, status, initiator)

    async def list_for_customer(
        self,
        caller: Caller,
        page: Page,
        *,
        status: RequestStatus | None = None,
        initiator: Initiator | None = None,
    ) -> tuple[list[DisassociationView], int]:
        self.require_customer(caller)
        stmt: Select[DisassociationRequest] = select(DisassociationRequest).where(
            DisassociationRequest.customer_id == caller.account_id
        )
        return await self._page(stmt, page, status, initiator)

    async def _page(
        self,
        stmt: Select[DisassociationRequest],
        page: Page,
        status: RequestStatus | None,
        initiator: Initiator | None,
    ) -> tuple[list[DisassociationView], int]:
        if status is not None:
            stmt = stmt.where(DisassociationRequest.status == status)
        if initiator is not None:
            stmt = stmt.where(DisassociationRequest.initiator == initiator)
        rows, total = await paginate(
            self.session,
            stmt,
            page,
            DisassociationRequest.created_at.desc(),
            DisassociationRequest.id.desc(),
        )
        return [_disassociation(r) for r in rows], int(total or 0)

    # -- completion ----------------------------------------------------------------------------

    async def _complete(self, row: DisassociationRequest, *, decided_by: str | None) -> None:
        """End the association and everything that hangs on it (rules.md §2.6.9–2.6.13)."""
        now = self.clock.now()
        ended = await self.associations.end(row.customer_id, partner_id=row.tenant_id)
        await self.identity.revoke_agency(customer_id=row.customer_id, partner_id=row.tenant_id)
        authorizations = await self.session.scalars(
            select(AuthorizationRequest)
            .where(
                AuthorizationRequest.customer_id == row.customer_id,
                AuthorizationRequest.tenant_id == row.tenant_id,
                AuthorizationRequest.status.in_(
                    [AuthorizationStatus.PENDING, AuthorizationStatus.AUTHORIZED]
                ),
            )
            .with_for_update()
        )
        for authorization in authorizations.all():
            if authorization.status == AuthorizationStatus.AUTHORIZED:
                authorization.status = AuthorizationStatus.REVOKED
                authorization.revoked_at = now
            else:
                authorization.status = AuthorizationStatus.CANCELLED
                authorization.decided_at = now
        type_changes = await self.session.scalars(
            select(TypeChangeRequest).where(
                TypeChangeRequest.customer_id == row.customer_id,
                TypeChangeRequest.tenant_id == row.tenant_id,
                TypeChangeRequest.status == RequestStatus.PENDING,
            )
        )
        for change in type_changes.all():
            change.status = RequestStatus.CANCELLED
            change.decided_at = now
        await self.account_managers.close_current(row.customer_id)
        row.status = RequestStatus.APPROVED
        row.decided_by = decided_by
        row.decided_at = now
        await self.session.flush()
        # The budget of an ended association is removed with a DELETE adjustment record, and a
        # reseller's quota freed (rules.md §2.6.13; owned by the budgets domain).
        await self.budgets.record_association_removed(row.customer_id)
        await self.hooks.disassociated(
            self.session,
            AssociationEvent(
                customer_id=row.customer_id,
                partner_id=row.tenant_id,
                distributor_id=ended.distributor_id,
                association_type=row.association_type,
                at=now,
                cause_id=row.id,
            ),
        )
        await self._announce(row)

    async def _announce(self, row: DisassociationRequest) -> None:
        """Tell the partner the outcome (rules.md §12.5), and the customer too."""
        name = await self.account_name(row.customer_id)
        partner_name = await self.partner_name(row.tenant_id)
        if row.status == RequestStatus.APPROVED:
            subject = f"{name} is no longer your customer"
            body = (
                f"The association with the customer {name} ({row.customer_id}) ended on "
                f"{row.decided_at:%Y-%m-%d %H:%M} UTC. Reason given: {row.reason}"
            )
            customer_subject = f"Your association with {partner_name} has ended"
        else:
            who = "The customer" if row.initiator == Initiator.PARTNER else "You"
            subject = f"Disassociation of {name} was rejected"
            body = (
                f"{who} rejected the request to end the association with {name} "
                f"({row.customer_id})."
                + (f" Reason: {row.rejection_reason}" if row.rejection_reason else "")
            )
            customer_subject = (
                f"The request to end your association with {partner_name} was rejected"
            )
        await self.notify_partner(row.tenant_id, subject=subject, body=body)
        await self.notify_customer(row.customer_id, subject=customer_subject, body=body)
