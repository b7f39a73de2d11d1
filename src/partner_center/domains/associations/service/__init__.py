"""The association services, one module per use case, and a bundle that builds them all on one
unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.associations.hooks import AssociationHooks
from partner_center.domains.associations.service.authorizations import AuthorizationService
from partner_center.domains.associations.service.common import AssociationPolicy
from partner_center.domains.associations.service.invitations import InvitationService
from partner_center.domains.associations.service.managers import (
    AccountManagerService,
    MemberService,
)
from partner_center.domains.associations.service.overview import OverviewService
from partner_center.domains.associations.service.requests import (
    DisassociationService,
    TypeChangeService,
)
from partner_center.domains.identity.public import IdentityService
from partner_center.domains.notifications.public import NotificationService
from partner_center.domains.partners.public import PartnerService
from partner_center.kernel.clock import Clock


@dataclass(frozen=True, slots=True)
class AssociationServices:
    invitations: InvitationService
    type_changes: TypeChangeService
    disassociations: DisassociationService
    authorizations: AuthorizationService
    members: MemberService
    account_managers: AccountManagerService
    overview: OverviewService

    @classmethod
    def build(
        cls,
        session: AsyncSession,
        *,
        clock: Clock,
        identity: IdentityService,
        partners: PartnerService,
        notifications: NotificationService,
        policy: AssociationPolicy,
        hooks: AssociationHooks | None = None,
    ) -> AssociationServices:
        shared: dict[str, Any] = {
            "clock": clock,
            "identity": identity,
            "partners": partners,
            "notifications": notifications,
            "policy": policy,
            "hooks": hooks,
        }
        return cls(
            invitations=InvitationService(session, **shared),
            type_changes=TypeChangeService(session, **shared),
            disassociations=DisassociationService(session, **shared),
            authorizations=AuthorizationService(session, **shared),
            members=MemberService(session, **shared),
            account_managers=AccountManagerService(session, **shared),
            overview=OverviewService(session, **shared),
        )
