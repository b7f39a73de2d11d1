"""The associations domain's public surface (the only module other domains import).

Other domains plug into association changes through ``association_hooks``: e.g. coupons register
``association_hooks.on_disassociated("coupons.reclaim", handler)``, resources register the
grace-period handlers and reserved-instance disassociation checks. Spend attribution asks
``AccountManagerService.attributed_manager(customer_id, at)``.
"""

from partner_center.domains.associations.errors import FailureReason
from partner_center.domains.associations.hooks import (
    AssociationEvent,
    AssociationHandler,
    AssociationHooks,
    DisassociationCheck,
    association_hooks,
)
from partner_center.domains.associations.models import (
    AuthorizationStatus,
    Initiator,
    InvitationChannel,
    InvitationStatus,
    RequestStatus,
)
from partner_center.domains.associations.service.authorizations import (
    PERMISSIONS,
    AuthorizationService,
    AuthorizationView,
    OnBehalfGrantView,
)
from partner_center.domains.associations.service.common import (
    ASSOCIATION_TOPIC,
    AssociationCollaborators,
    AssociationPolicy,
    ServiceBase,
    next_local_midnight,
)
from partner_center.domains.associations.service.invitations import (
    EMAIL_LINK_VALIDITY,
    LINK_PATH,
    AcceptedInvitation,
    InvitationRecordView,
    InvitationService,
    InvitationView,
    IssuedInvitation,
    LinkDetails,
    qr_png,
)
from partner_center.domains.associations.service.managers import (
    AccountManagerService,
    AssignmentView,
    MemberService,
)
from partner_center.domains.associations.service.overview import (
    MyPartnerView,
    OverviewService,
    PartnerSettingsView,
)
from partner_center.domains.associations.service.prospects import (
    ProspectService,
    ProspectState,
    ProspectView,
)
from partner_center.domains.associations.service.requests import (
    TYPE_CHANGE_LIMIT,
    TYPE_CHANGE_WINDOW_MONTHS,
    DisassociationService,
    DisassociationView,
    TypeChangeService,
    TypeChangeView,
)

__all__ = [
    "ASSOCIATION_TOPIC",
    "EMAIL_LINK_VALIDITY",
    "LINK_PATH",
    "PERMISSIONS",
    "TYPE_CHANGE_LIMIT",
    "TYPE_CHANGE_WINDOW_MONTHS",
    "AcceptedInvitation",
    "AccountManagerService",
    "AssignmentView",
    "AssociationCollaborators",
    "AssociationEvent",
    "AssociationHandler",
    "AssociationHooks",
    "AssociationPolicy",
    "AuthorizationService",
    "AuthorizationStatus",
    "AuthorizationView",
    "DisassociationCheck",
    "DisassociationService",
    "DisassociationView",
    "FailureReason",
    "Initiator",
    "InvitationChannel",
    "InvitationRecordView",
    "InvitationService",
    "InvitationStatus",
    "InvitationView",
    "IssuedInvitation",
    "LinkDetails",
    "MemberService",
    "MyPartnerView",
    "OnBehalfGrantView",
    "OverviewService",
    "PartnerSettingsView",
    "ProspectService",
    "ProspectState",
    "ProspectView",
    "RequestStatus",
    "ServiceBase",
    "TypeChangeService",
    "TypeChangeView",
    "association_hooks",
    "next_local_midnight",
    "qr_png",
]
