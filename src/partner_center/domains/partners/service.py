"""Partner onboarding and the distributor → reseller hierarchy."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.identity.public import AccountKind, IdentityService
from partner_center.domains.partners.models import (
    Partner,
    PartnerStatus,
    PartnerType,
    ResellerGrant,
)
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import DomainError

_NAME = re.compile(r"^[a-zA-Z_-][a-zA-Z0-9_-]{4,31}$")


@dataclass(frozen=True, slots=True)
class GrantView:
    """A reseller's permissions and budget quotas from its distributor."""

    reseller_id: str
    distributor_id: str
    can_set_budget: bool = False
    can_restrict: bool = False
    can_freeze_resources: bool = False
    monthly_quota: Decimal | None = None
    package_quota: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PartnerView:
    partner_id: str
    name: str
    partner_type: PartnerType
    distributor_id: str | None
    company_name: str
    status: PartnerStatus
    xaccount_type: str
    frozen: bool = False
    created_at: datetime | None = None
    account_manager_id: str | None = None


def _view(partner: Partner, name: str) -> PartnerView:
    return PartnerView(
        partner_id=partner.account_id,
        name=name,
        partner_type=partner.partner_type,
        distributor_id=partner.distributor_id,
        company_name=partner.company_name,
        status=partner.status,
        xaccount_type=partner.xaccount_type,
        frozen=partner.frozen,
        created_at=partner.created_at,
        account_manager_id=partner.account_manager_id,
    )


class PartnerService:
    def __init__(self, session: AsyncSession, *, clock: Clock, identity: IdentityService) -> None:
        self.session = session
        self.clock = clock
        self.identity = identity

    async def create_partner(
        self,
        *,
        name: str,
        partner_type: PartnerType,
        distributor_id: str | None = None,
        company_name: str | None = None,
        email: str | None = None,
        admin_password: str | None = None,
    ) -> PartnerView:
        """Onboard a partner (operator action). A reseller needs its distributor."""
        if not _NAME.match(name):
            raise DomainError(
                "CBC.0100",
                "Invalid parameter: name. 5-32 letters, digits, '_' or '-', starting with a "
                "letter, '_' or '-'.",
            )
        if partner_type == PartnerType.RESELLER:
            if not distributor_id:
                raise DomainError(
                    "CBC.0100", "Invalid parameter: distributor. A reseller needs one."
                )
            distributor = await self.session.get(Partner, distributor_id)
            if distributor is None or distributor.partner_type != PartnerType.DISTRIBUTOR:
                raise DomainError(
                    "CBC.0100", f"Invalid parameter: distributor. {distributor_id} is not one."
                )
        elif distributor_id:
            raise DomainError(
                "CBC.0100", "Invalid parameter: distributor. Only resellers have a distributor."
            )
        account = await self.identity.create_account(
            kind=AccountKind.PARTNER, name=name, email=email, admin_password=admin_password
        )
        partner = Partner(
            account_id=account.id,
            tenant_id=account.id,
            partner_type=partner_type,
            distributor_id=distributor_id,
            company_name=company_name or name,
            status=PartnerStatus.NORMAL,
            xaccount_type=f"{name}_platform",
            created_at=self.clock.now(),
        )
        self.session.add(partner)
        await self.session.flush()
        return _view(partner, account.name)

    async def get(self, partner_id: str) -> PartnerView | None:
        partner = await self.session.get(Partner, partner_id)
        if partner is None:
            return None
        account = await self.identity.get_account(partner_id)
        assert account is not None
        return _view(partner, account.name)

    async def reseller_of(self, *, distributor_id: str, reseller_id: str) -> PartnerView:
        """The reseller, if it belongs to the distributor; else ``CBC.99000037``."""
        partner = await self.session.get(Partner, reseller_id)
        if (
            partner is None
            or partner.partner_type != PartnerType.RESELLER
            or partner.distributor_id != distributor_id
        ):
            raise DomainError(
                "CBC.99000037",
                "You have no permission to operate this reseller (indirect partner).",
            )
        account = await self.identity.get_account(reseller_id)
        assert account is not None
        return _view(partner, account.name)

    async def resellers(self, distributor_id: str) -> list[str]:
        stmt = select(Partner.account_id).where(Partner.distributor_id == distributor_id)
        return list((await self.session.execute(stmt)).scalars().all())

    # -- reseller grants (distributor → reseller) ----------------------------------------

    async def grants_for(self, reseller_id: str) -> GrantView:
        """The reseller's grants; all False / no quotas when none were given."""
        partner = await self.session.get(Partner, reseller_id)
        if partner is None or partner.partner_type != PartnerType.RESELLER:
            raise DomainError("CBC.99000037", "No such reseller (indirect partner).")
        assert partner.distributor_id is not None
        grant = await self.session.get(ResellerGrant, reseller_id)
        if grant is None:
            return GrantView(reseller_id=reseller_id, distributor_id=partner.distributor_id)
        return GrantView(
            reseller_id=reseller_id,
            distributor_id=partner.distributor_id,
            can_set_budget=grant.can_set_budget,
            can_restrict=grant.can_restrict,
            can_freeze_resources=grant.can_freeze_resources,
            monthly_quota=grant.monthly_quota,
            package_quota=grant.package_quota,
        )

    async def set_grants(
        self,
        *,
        distributor_id: str,
        reseller_id: str,
        can_set_budget: bool,
        can_restrict: bool,
        can_freeze_resources: bool,
        monthly_quota: Decimal | None,
        package_quota: Decimal | None,
    ) -> GrantView:
        """The distributor grants or revokes permissions and quotas. Revoking leaves the
        budgets the reseller already set in force (rules.md §1.13)."""
        await self.reseller_of(distributor_id=distributor_id, reseller_id=reseller_id)
        for name, quota in (("monthly_quota", monthly_quota), ("package_quota", package_quota)):
            if quota is not None and (quota < 0 or quota != quota.quantize(Decimal("0.01"))):
                raise DomainError(
                    "CBC.0100", f"Invalid parameter: {name}. Use an amount >= 0 with 2 decimals."
                )
        grant = await self.session.get(ResellerGrant, reseller_id)
        if grant is None:
            grant = ResellerGrant(reseller_id=reseller_id, tenant_id=distributor_id)
            self.session.add(grant)
        grant.can_set_budget = can_set_budget
        grant.can_restrict = can_restrict
        grant.can_freeze_resources = can_freeze_resources
        grant.monthly_quota = monthly_quota
        grant.package_quota = package_quota
        grant.updated_at = self.clock.now()
        await self.session.flush()
        return await self.grants_for(reseller_id)
