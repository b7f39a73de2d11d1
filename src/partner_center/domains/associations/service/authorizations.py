"""Customers authorizing their partner to order and operate on their behalf (rules.md §5.1–5.2,
§1.14; api-semantics.md §4.6): the approval is an IAM agency named after the partner's
``xaccount_type``, which ``assume_role`` checks; revoking it stops the partner's tokens at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select

from partner_center.domains.associations import errors
from partner_center.domains.associations.models import (
    AuthorizationRequest,
    AuthorizationStatus,
    OnBehalfGrant,
)
from partner_center.domains.associations.service.common import ServiceBase
from partner_center.domains.customers.public import AssociationType, PartnerActor
from partner_center.domains.identity.public import Caller
from partner_center.domains.partners.public import PartnerType, PartnerView
from partner_center.kernel.errors import DomainError, access_denied, invalid_parameter
from partner_center.kernel.ids import new_id
from partner_center.kernel.pagination import Page, paginate

#: Agency permissions a partner may ask for: full administration, or read-only O&M.
PERMISSIONS = ("te_admin", "readonly")


@dataclass(frozen=True, slots=True)
class AuthorizationView:
    authorization_id: str
    partner_id: str
    partner_name: str
    agency_name: str
    """The agency the partner assumes (its ``xaccount_type``)."""
    customer_id: str
    permission: str
    status: AuthorizationStatus
    created_at: datetime
    decided_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class OnBehalfGrantView:
    reseller_id: str
    distributor_id: str
    granted: bool
    updated_at: datetime | None
    revoked_authorizations: int = 0


class AuthorizationService(ServiceBase):
    async def _view(self, row: AuthorizationRequest) -> AuthorizationView:
        partner = await self.partners.get(row.tenant_id)
        assert partner is not None
        return AuthorizationView(
            authorization_id=row.id,
            partner_id=row.tenant_id,
            partner_name=partner.company_name,
            agency_name=partner.xaccount_type,
            customer_id=row.customer_id,
            permission=row.permission,
            status=row.status,
            created_at=row.created_at,
            decided_at=row.decided_at,
            revoked_at=row.revoked_at,
        )

    # -- distributor → reseller (rules.md §1.14) ----------------------------------------------

    async def reseller_may_act(self, reseller: PartnerView) -> bool:
        """Whether a reseller holds its distributor's permission to act for customers."""
        if reseller.partner_type != PartnerType.RESELLER:
            return True
        grant = await self.session.get(OnBehalfGrant, reseller.partner_id)
        return bool(grant and grant.granted and grant.tenant_id == reseller.distributor_id)

    async def set_on_behalf_permission(
        self, actor: PartnerActor, reseller_id: str, *, granted: bool
    ) -> OnBehalfGrantView:
        """The distributor lets (or stops) a reseller order and operate for its customers.
        Withdrawing it also withdraws the customers' authorizations of that reseller, so its
        tokens stop working: the distributor's permission comes first (rules.md §1.14)."""
        self.require_admin(actor, "grant resellers permissions")
        if actor.partner.partner_type != PartnerType.DISTRIBUTOR:
            raise access_denied("Access denied: only a distributor grants resellers permissions.")
        reseller = await self.partners.reseller_of(
            distributor_id=actor.partner_id, reseller_id=reseller_id
        )
        now = self.clock.now()
        row = await self.session.get(OnBehalfGrant, reseller.partner_id, with_for_update=True)
        if row is None:
            row = OnBehalfGrant(reseller_id=reseller.partner_id, tenant_id=actor.partner_id)
            self.session.add(row)
        row.granted = granted
        row.updated_at = now
        revoked = 0
        if not granted:
            revoked = await self._withdraw_all(reseller.partner_id)
        await self.session.flush()
        return OnBehalfGrantView(
            reseller_id=reseller.partner_id,
            distributor_id=actor.partner_id,
            granted=granted,
            updated_at=now,
            revoked_authorizations=revoked,
        )

    async def on_behalf_permission(
        self, actor: PartnerActor, reseller_id: str
    ) -> OnBehalfGrantView:
        """The grant as the distributor or the reseller itself sees it."""
        if actor.partner.partner_type == PartnerType.RESELLER:
            if reseller_id != actor.partner_id:
                raise errors.not_your_reseller()
            reseller = actor.partner
        else:
            reseller = await self.partners.reseller_of(
                distributor_id=actor.partner_id, reseller_id=reseller_id
            )
        row = await self.session.get(OnBehalfGrant, reseller.partner_id)
        assert reseller.distributor_id is not None
        return OnBehalfGrantView(
            reseller_id=reseller.partner_id,
            distributor_id=reseller.distributor_id,
            granted=bool(row and row.granted),
            updated_at=row.updated_at if row else None,
        )

    async def _withdraw_all(self, partner_id: str) -> int:
        now = self.clock.now()
        rows = await self.session.scalars(
            select(AuthorizationRequest)
            .where(
                AuthorizationRequest.tenant_id == partner_id,
                AuthorizationRequest.status.in_(
                    [AuthorizationStatus.PENDING, AuthorizationStatus.AUTHORIZED]
                ),
            )
            .with_for_update()
        )
        revoked = 0
        for row in rows.all():
            if row.status == AuthorizationStatus.AUTHORIZED:
                await self.identity.revoke_agency(
                    customer_id=row.customer_id, partner_id=partner_id
                )
                row.status = AuthorizationStatus.REVOKED
                row.revoked_at = now
                revoked += 1
            else:
                row.status = AuthorizationStatus.CANCELLED
                row.decided_at = now
        return revoked

    # -- the partner asks ----------------------------------------------------------------------

    async def request(
        self,
        actor: PartnerActor,
        customer_id: str,
        *,
        commitment_accepted: bool,
        permission: str = "te_admin",
    ) -> AuthorizationView:
        """Ask a reseller-model customer for authorization. The partner's first request needs
        the commitment letter accepted (rules.md §5.2); a reseller needs its distributor's
        permission first (§1.14)."""
        if permission not in PERMISSIONS:
            raise invalid_parameter("permission", f"Use one of: {', '.join(PERMISSIONS)}.")
        customer = await self.owned_customer(actor, customer_id, lock=True)
        if customer.association_type != AssociationType.RESELLER:
            raise DomainError(
                errors.AssociationErrorCode.WRONG_ASSOCIATION_TYPE,
                "Orders and O&M on a customer's behalf are for reseller-model customers only.",
            )
        if not await self.reseller_may_act(actor.partner):
            raise DomainError(
                errors.AssociationErrorCode.NEEDS_DISTRIBUTOR_PERMISSION,
                "Insufficient permission: your distributor has not allowed you to order or "
                "operate on customers' behalf; contact your distributor.",
            )
        settings = await self.partner_settings(actor.partner_id, create=True)
        assert settings is not None
        now = self.clock.now()
        if settings.commitment_accepted_at is None:
            if not commitment_accepted:
                raise invalid_parameter(
                    "commitment_letter_accepted",
                    "Accept the Partner Commitment Letter for Operation on Customers' Behalf "
                    "with your first authorization request.",
                )
            settings.commitment_accepted_at = now
            settings.commitment_accepted_by = actor.caller.member_id
        existing = await self.session.scalars(
            select(AuthorizationRequest).where(
                AuthorizationRequest.tenant_id == actor.partner_id,
                AuthorizationRequest.customer_id == customer_id,
                AuthorizationRequest.status.in_(
                    [AuthorizationStatus.PENDING, AuthorizationStatus.AUTHORIZED]
                ),
            )
        )
        for other in existing.all():
            if other.status == AuthorizationStatus.AUTHORIZED:
                raise DomainError(
                    errors.AssociationErrorCode.ALREADY_AUTHORIZED,
                    "The customer has already authorized you.",
                )
            raise DomainError(
                errors.AssociationErrorCode.REQUEST_OPEN,
                "An authorization request for this customer is pending.",
            )
        row = AuthorizationRequest(
            id=new_id(),
            tenant_id=actor.partner_id,
            customer_id=customer_id,
            permission=permission,
            status=AuthorizationStatus.PENDING,
            requested_by=actor.caller.member_id,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        await self.notify_customer(
            customer_id,
            subject=f"{actor.partner.company_name} asks for your authorization",
            body=(
                f"{actor.partner.company_name} asks to place orders and operate resources on your "
                f"behalf ({permission}). Approve or reject it under My Account > My Partner; you "
                "can revoke it at any time."
            ),
        )
        return await self._view(row)

    async def cancel(self, actor: PartnerActor, authorization_id: str) -> AuthorizationView:
        row = await self._partner_row(actor, authorization_id)
        if row.status != AuthorizationStatus.PENDING:
            raise errors.not_pending("authorization request", row.status.value)
        row.status = AuthorizationStatus.CANCELLED
        row.decided_at = self.clock.now()
        await self.session.flush()
        return await self._view(row)

    async def _partner_row(
        self, actor: PartnerActor, authorization_id: str
    ) -> AuthorizationRequest:
        row = await self.session.get(AuthorizationRequest, authorization_id, with_for_update=True)
        if row is None or row.tenant_id != actor.partner_id:
            raise errors.no_such("authorization", "authorization_id")
        await self.owned_customer(actor, row.customer_id)
        return row

    async def list_for_partner(
        self,
        actor: PartnerActor,
        page: Page,
        *,
        status: AuthorizationStatus | None = None,
        customer_id: str | None = None,
    ) -> tuple[list[AuthorizationView], int]:
        stmt: Select[AuthorizationRequest] = select(AuthorizationRequest).where(
            AuthorizationRequest.tenant_id == actor.partner_id
        )
        if customer_id:
            await self.owned_customer(actor, customer_id)
            stmt = stmt.where(AuthorizationRequest.customer_id == customer_id)
        elif not self.sees_all_customers(actor):
            raise invalid_parameter("customer_id", "Required for an account manager.")
        return await self._page(stmt, page, status)

    async def list_for_customer(
        self, caller: Caller, page: Page, *, status: AuthorizationStatus | None = None
    ) -> tuple[list[AuthorizationView], int]:
        self.require_customer(caller)
        stmt: Select[AuthorizationRequest] = select(AuthorizationRequest).where(
            AuthorizationRequest.customer_id == caller.account_id
        )
        return await self._page(stmt, page, status)

    async def _page(
        self,
        stmt: Select[AuthorizationRequest],
        page: Page,
        status: AuthorizationStatus | None,
    ) -> tuple[list[AuthorizationView], int]:
        if status is not None:
            stmt = stmt.where(AuthorizationRequest.status == status)
        rows, total = await paginate(
            self.session,
            stmt,
            page,
            AuthorizationRequest.created_at.desc(),
            AuthorizationRequest.id.desc(),
        )
        return [await self._view(r) for r in rows], int(total or 0)

    # -- the customer decides ------------------------------------------------------------------

    async def _customer_row(self, caller: Caller, authorization_id: str) -> AuthorizationRequest:
        self.require_customer(caller)
        row = await self.session.get(AuthorizationRequest, authorization_id, with_for_update=True)
        if row is None or row.customer_id != caller.account_id:
            raise errors.no_such("authorization", "authorization_id")
        return row

    async def approve(self, caller: Caller, authorization_id: str) -> AuthorizationView:
        """Grant the agency the partner's ``assume_role`` needs."""
        row = await self._customer_row(caller, authorization_id)
        if row.status != AuthorizationStatus.PENDING:
            raise errors.not_pending("authorization request", row.status.value)
        current = await self.associations.current(caller.account_id, lock=True)
        if current is None or not current.associated or current.partner_id != row.tenant_id:
            raise errors.not_pending("authorization request", "obsolete (the association ended)")
        partner = await self.partners.get(row.tenant_id)
        assert partner is not None
        if not await self.reseller_may_act(partner):
            raise DomainError(
                errors.AssociationErrorCode.NEEDS_DISTRIBUTOR_PERMISSION,
                "The partner no longer holds its distributor's permission to act for customers.",
            )
        agency = await self.identity.grant_agency(
            customer_id=caller.account_id,
            partner_id=row.tenant_id,
            name=partner.xaccount_type,
            permission=row.permission,
        )
        row.status = AuthorizationStatus.AUTHORIZED
        row.agency_id = agency.id
        row.decided_at = self.clock.now()
        await self.session.flush()
        await self._tell_partner(row, "granted")
        return await self._view(row)

    async def reject(self, caller: Caller, authorization_id: str) -> AuthorizationView:
        row = await self._customer_row(caller, authorization_id)
        if row.status != AuthorizationStatus.PENDING:
            raise errors.not_pending("authorization request", row.status.value)
        row.status = AuthorizationStatus.REJECTED
        row.decided_at = self.clock.now()
        await self.session.flush()
        await self._tell_partner(row, "rejected")
        return await self._view(row)

    async def revoke(self, caller: Caller, authorization_id: str) -> AuthorizationView:
        """Withdraw an authorization; the partner's customer tokens stop working at once."""
        row = await self._customer_row(caller, authorization_id)
        if row.status != AuthorizationStatus.AUTHORIZED:
            raise errors.not_pending("authorization", row.status.value)
        await self.identity.revoke_agency(customer_id=caller.account_id, partner_id=row.tenant_id)
        row.status = AuthorizationStatus.REVOKED
        row.revoked_at = self.clock.now()
        await self.session.flush()
        await self._tell_partner(row, "revoked")
        return await self._view(row)

    async def _tell_partner(self, row: AuthorizationRequest, outcome: str) -> None:
        name = await self.account_name(row.customer_id)
        await self.notify_partner(
            row.tenant_id,
            subject=f"Authorization {outcome} by {name}",
            body=(
                f"The customer {name} ({row.customer_id}) {outcome} your authorization to order "
                f"and operate on its behalf ({row.permission})."
            ),
        )
