"""What a customer sees under My Account > My Partner, and the per-partner association settings
the operator (ecosystem manager) controls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from partner_center.domains.associations import errors
from partner_center.domains.associations.service.common import ServiceBase
from partner_center.domains.customers.public import AssociationType, PartnerActor
from partner_center.domains.identity.public import AccountKind, Caller
from partner_center.kernel.errors import access_denied


@dataclass(frozen=True, slots=True)
class MyPartnerView:
    """The customer's current association, if any."""

    associated: bool
    partner_id: str | None
    partner_name: str | None
    association_type: AssociationType | None
    associated_on: datetime | None
    disassociated_on: datetime | None
    restricted: bool


@dataclass(frozen=True, slots=True)
class PartnerSettingsView:
    partner_id: str
    referral_enabled: bool
    commitment_accepted_at: datetime | None


class OverviewService(ServiceBase):
    async def my_partner(self, caller: Caller) -> MyPartnerView:
        """The customer's partner (also through a partner's agency: it reads, never decides)."""
        if caller.kind != AccountKind.CUSTOMER:
            raise access_denied("Access denied: this is a customer's view.")
        view = await self.associations.current(caller.account_id)
        if view is None:
            return MyPartnerView(False, None, None, None, None, None, False)
        return MyPartnerView(
            associated=view.associated,
            partner_id=view.partner_id if view.associated else None,
            partner_name=await self.partner_name(view.partner_id) if view.associated else None,
            association_type=view.association_type if view.associated else None,
            associated_on=view.associated_on if view.associated else None,
            disassociated_on=view.disassociated_on,
            restricted=view.restricted,
        )

    async def settings(self, actor: PartnerActor) -> PartnerSettingsView:
        row = await self.partner_settings(actor.partner_id)
        return PartnerSettingsView(
            partner_id=actor.partner_id,
            referral_enabled=bool(row and row.referral_enabled),
            commitment_accepted_at=row.commitment_accepted_at if row else None,
        )

    async def set_referral_enabled(
        self, caller: Caller, partner_id: str, *, enabled: bool
    ) -> PartnerSettingsView:
        """The operator unlocks (or locks) the referral model for a partner (rules.md §1.2)."""
        if caller.kind != AccountKind.OPERATOR:
            raise access_denied("Access denied: only the operator may change this.")
        if await self.partners.get(partner_id) is None:
            raise errors.no_such("partner", "partner_id")
        row = await self.partner_settings(partner_id, create=True)
        assert row is not None
        row.referral_enabled = enabled
        await self.session.flush()
        return PartnerSettingsView(
            partner_id=partner_id,
            referral_enabled=row.referral_enabled,
            commitment_accepted_at=row.commitment_accepted_at,
        )
