"""The customer's view of its partner and association, and the partner's association settings
(the referral model, which the operator unlocks: rules.md §1.2)."""

from __future__ import annotations

from pydantic import StrictBool

from partner_center.domains.associations.public import PartnerSettingsView
from partner_center.http.auth import CallerKind
from partner_center.http.ext.associations import PARTNER_SIDE, area_router, type_code
from partner_center.http.formats import optional_utc
from partner_center.http.operations import OperationContext, operation
from partner_center.http.wire import WireModel, same_named

router = area_router()


class MyPartnerResponse(WireModel):
    associated: bool
    partner_id: str | None = None
    partner_name: str | None = None
    association_type: str | None = None
    associated_on: str | None = None
    disassociated_on: str | None = None
    restricted: bool


class AssociationSettingsReq(WireModel):
    referral_enabled: StrictBool


class AssociationSettingsResponse(WireModel):
    partner_id: str
    referral_enabled: bool
    commitment_letter_accepted_at: str | None = None


def _settings(view: PartnerSettingsView) -> AssociationSettingsResponse:
    return AssociationSettingsResponse(
        **same_named(view, "partner_id referral_enabled"),
        commitment_letter_accepted_at=optional_utc(view.commitment_accepted_at),
    )


@operation(router, "GET", "/my-partner", kind=CallerKind.ANY)
async def show_my_partner(ctx: OperationContext) -> MyPartnerResponse:
    """The customer's partner and association (customer credentials)

    The calling customer's partner, association type and dates, and whether the customer is
    purchase-restricted; also readable by a partner through the customer's agency.
    """
    view = await ctx.services.association_overview.my_partner(ctx.caller)
    return MyPartnerResponse(
        **same_named(view, "associated partner_id partner_name restricted"),
        association_type=type_code(ctx, view.association_type) if view.association_type else None,
        **same_named(view, "associated_on disassociated_on", via=optional_utc),
    )


@operation(router, "GET", "/association-settings", kind=PARTNER_SIDE)
async def show_association_settings(ctx: OperationContext) -> AssociationSettingsResponse:
    """Whether the referral model is unlocked and when the commitment letter was accepted

    Whether the operator unlocked the referral model for the calling partner, and when it
    accepted the authorization commitment letter. Any partner with its own credentials.
    """
    view = await ctx.services.association_overview.settings(ctx.actor)
    return _settings(view)


@operation(router, "PUT", "/partners/{partner_id}/association-settings", kind=CallerKind.ANY)
async def update_association_settings(
    ctx: OperationContext, partner_id: str, body: AssociationSettingsReq
) -> AssociationSettingsResponse:
    """The operator (ecosystem manager) unlocks or locks the referral model for a partner

    The operator (ecosystem manager) unlocks or locks the referral model for a partner (rules.md
    §1.2); invitations of type 1 need it unlocked. Operator credentials.
    """
    view = await ctx.services.association_overview.set_referral_enabled(
        ctx.caller, partner_id, enabled=body.referral_enabled
    )
    return _settings(view)
