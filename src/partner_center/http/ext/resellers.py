"""Extension endpoints (ours, not the reference API) for what a distributor does for its
resellers in the console: grant permissions and budget quotas (rules.md §1.9–1.13), assign
account managers (§1.15), and freeze a reseller's own account (§4.9) — the last also for the
platform operator, on any partner.

Every call is signed like the SDK's (AK/SK or X-Auth-Token). A CSP, a reseller or a customer is
refused (403 ``CBC.0151``); a distributor naming another distributor's reseller gets
``CBC.99000037``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from pydantic import Field, StrictBool, field_validator

from partner_center.domains.partners.public import (
    MAX_QUOTA,
    GrantView,
    PartnerView,
)
from partner_center.http.auth import CallerKind
from partner_center.http.ext import PREFIX
from partner_center.http.formats import optional_utc
from partner_center.http.operations import OperationContext, operation
from partner_center.http.wire import MultiLineText, WireModel, same_named
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import access_denied
from partner_center.kernel.money import to_cents

router = APIRouter(prefix=PREFIX, tags=["resellers (extension)"])


# -- wire models ----------------------------------------------------------------------------


class ResellerGrants(WireModel):
    reseller_id: str
    distributor_id: str
    can_set_budget: bool = Field(description="May set its customers' budgets")
    can_restrict: bool = Field(
        description="May restrict purchases and lift it (freeze / unfreeze type ACCOUNT)"
    )
    can_freeze_resources: bool = Field(
        description="May restrict purchases and freeze resources, and undo it "
        "(type ACCOUNT_AND_RESOURCE)"
    )
    monthly_quota: Decimal | None = Field(
        default=None, description="Cap on the sum of its customers' monthly budgets; null = none"
    )
    package_quota: Decimal | None = Field(
        default=None,
        description="Cap on the sum of its customers' one-time budgets; null = none",
    )
    updated_at: str | None = Field(default=None, description="Last change (UTC)")


def _quota(value: Any) -> Any:
    # Amounts are exact JSON numbers (parsed as Decimal); a float, bool or string is refused
    # rather than coerced.
    if value is None or (isinstance(value, int | Decimal) and not isinstance(value, bool)):
        return value
    raise ValueError("must be a JSON number with at most 2 decimals, or null")


class ResellerGrantsUpdate(WireModel):
    """The complete grant: every permission is stated, a quota left out is removed."""

    can_set_budget: StrictBool
    can_restrict: StrictBool
    can_freeze_resources: StrictBool
    monthly_quota: Decimal | None = Field(
        default=None, description=f"0 to {MAX_QUOTA}, 2 decimals; null or absent = no quota"
    )
    package_quota: Decimal | None = Field(
        default=None, description=f"0 to {MAX_QUOTA}, 2 decimals; null or absent = no quota"
    )

    @field_validator("monthly_quota", "package_quota", mode="before")
    @classmethod
    def _exact_amount(cls, value: Any) -> Any:
        return _quota(value)


class ResellerDetail(WireModel):
    reseller_id: str
    account_name: str
    name: str
    distributor_id: str | None
    associated_on: str | None = Field(default=None, description="Linked to the distributor (UTC)")
    frozen: bool
    frozen_reason: str | None = None
    frozen_at: str | None = None
    account_manager_id: str | None = None
    grants: ResellerGrants


class AccountStateChange(WireModel):
    reason: MultiLineText = Field(min_length=1, max_length=256)


class PartnerAccountState(WireModel):
    partner_id: str
    frozen: bool
    frozen_reason: str | None = None
    frozen_at: str | None = Field(default=None, description="UTC")


class AccountManagerAssignment(WireModel):
    reseller_ids: list[str] = Field(min_length=1, max_length=100)
    account_manager: str | None = Field(
        default=None,
        max_length=64,
        description="Login name of one of your members holding the Account Manager role; "
        "null withdraws the current manager",
    )


class ResellerManager(WireModel):
    indirect_partner_id: str
    account_manager_id: str | None = None


class AccountManagerAssignmentResult(WireModel):
    resellers: list[ResellerManager]


class AccountManagerRecord(WireModel):
    account_manager_id: str
    assigned_at: str
    withdrawn_at: str | None = None


class AccountManagerHistory(WireModel):
    records: list[AccountManagerRecord]


# -- helpers -------------------------------------------------------------------------------


def _amount(value: Decimal | None) -> Decimal | None:
    return None if value is None else to_cents(value)


def _grants(view: GrantView) -> ResellerGrants:
    return ResellerGrants(
        **same_named(
            view, "reseller_id distributor_id can_set_budget can_restrict can_freeze_resources"
        ),
        **same_named(view, "monthly_quota package_quota", via=_amount),
        updated_at=optional_utc(view.updated_at),
    )


def _account_state(view: PartnerView) -> PartnerAccountState:
    return PartnerAccountState(
        **same_named(view, "partner_id frozen frozen_reason"),
        frozen_at=optional_utc(view.frozen_at),
    )


def _distributor_id(ctx: OperationContext) -> str | None:
    """The acting distributor's id, or None for the platform operator."""
    return ctx.partner.partner_id if ctx.partner is not None else None


def _require_admin(ctx: OperationContext, what: str) -> None:
    if not ctx.caller.is_admin:
        raise access_denied(f"Only the account's administrator may {what}.")


# -- grants --------------------------------------------------------------------------------


@operation(router, "GET", "/resellers/{reseller_id}", kind=CallerKind.DISTRIBUTOR_OR_OPERATOR)
async def ext_show_reseller(ctx: OperationContext, reseller_id: str) -> ResellerDetail:
    """A reseller's profile, account state and grants (its distributor or the operator)

    A reseller's profile, account state (frozen, why and when), account manager and grants. Its
    distributor (only its own resellers, CBC.99000037 otherwise) or the platform operator.
    """
    distributor_id = _distributor_id(ctx)
    if distributor_id is None:
        grants = await ctx.services.partners.grants_for(reseller_id)
        reseller = await ctx.services.partners.get(reseller_id)
        assert reseller is not None
    else:
        reseller = await ctx.services.partners.reseller_of(
            distributor_id=distributor_id, reseller_id=reseller_id
        )
        grants = await ctx.services.partners.grants_for(reseller_id)
    managers = await ctx.services.identity.member_names(
        [reseller.account_manager_id] if reseller.account_manager_id else []
    )
    return ResellerDetail(
        **same_named(reseller, "distributor_id frozen frozen_reason"),
        reseller_id=reseller.partner_id,
        account_name=reseller.name,
        name=reseller.company_name,
        associated_on=optional_utc(reseller.created_at),
        frozen_at=optional_utc(reseller.frozen_at),
        account_manager_id=managers.get(reseller.account_manager_id or ""),
        grants=_grants(grants),
    )


@operation(router, "GET", "/resellers/{reseller_id}/grants", kind=CallerKind.DISTRIBUTOR)
async def ext_show_reseller_grants(ctx: OperationContext, reseller_id: str) -> ResellerGrants:
    """The permissions and budget quotas the distributor granted a reseller

    The permissions (set budgets, restrict purchases, freeze resources) and the monthly and
    one-time budget quotas the calling distributor granted one of its resellers.
    """
    await ctx.services.partners.reseller_of(
        distributor_id=ctx.actor.partner_id, reseller_id=reseller_id
    )
    return _grants(await ctx.services.partners.grants_for(reseller_id))


@operation(router, "PUT", "/resellers/{reseller_id}/grants", kind=CallerKind.DISTRIBUTOR)
async def ext_update_reseller_grants(
    ctx: OperationContext, reseller_id: str, body: ResellerGrantsUpdate
) -> ResellerGrants:
    """Grant or revoke a reseller's permissions and budget quotas (distributor admin)

    Replaces the whole grant. While a permission is not granted the distributor freezes and sets
    budgets for the reseller's customers itself; once granted, the reseller answers for it.
    Revoking leaves budgets already set in force.
    """
    _require_admin(ctx, "grant reseller permissions")
    view = await ctx.services.partners.set_grants(
        distributor_id=ctx.actor.partner_id,
        reseller_id=reseller_id,
        **same_named(
            body, "can_set_budget can_restrict can_freeze_resources monthly_quota package_quota"
        ),
    )
    return _grants(view)


# -- a partner's own account ---------------------------------------------------------------


async def _set_account_frozen(
    ctx: OperationContext, partner_id: str, body: AccountStateChange, *, frozen: bool
) -> PartnerAccountState:
    """A distributor's administrator acts on its own resellers; the operator on any partner."""
    distributor_id = _distributor_id(ctx)
    if distributor_id is not None:
        _require_admin(ctx, f"{'freeze' if frozen else 'unfreeze'} a reseller's account")
    partners = ctx.services.partners
    change = partners.freeze_account if frozen else partners.unfreeze_account
    view = await change(
        partner_id,
        reason=body.reason,
        by_account_id=ctx.caller.account_id,
        by_member_id=ctx.caller.member_id,
        distributor_id=distributor_id,
    )
    return _account_state(view)


@operation(router, "POST", "/partners/{partner_id}/freeze", kind=CallerKind.DISTRIBUTOR_OR_OPERATOR)
async def ext_freeze_partner_account(
    ctx: OperationContext, partner_id: str, body: AccountStateChange
) -> PartnerAccountState:
    """Freeze a partner's own account (operator: any partner; distributor: its resellers)

    A frozen partner cannot unfreeze customers. A distributor's administrator may freeze its
    resellers; the platform operator any partner.
    """
    return await _set_account_frozen(ctx, partner_id, body, frozen=True)


@operation(
    router,
    "POST",
    "/partners/{partner_id}/unfreeze",
    kind=CallerKind.DISTRIBUTOR_OR_OPERATOR,
)
async def ext_unfreeze_partner_account(
    ctx: OperationContext, partner_id: str, body: AccountStateChange
) -> PartnerAccountState:
    """Unfreeze a partner's own account

    A distributor lifts only a freeze it put on; the operator lifts any.
    """
    return await _set_account_frozen(ctx, partner_id, body, frozen=False)


# -- account managers ------------------------------------------------------------------------


@operation(router, "PUT", "/resellers/account-manager", kind=CallerKind.DISTRIBUTOR)
async def ext_assign_reseller_account_manager(
    ctx: OperationContext, body: AccountManagerAssignment
) -> AccountManagerAssignmentResult:
    """Assign (or withdraw) the account manager of one or more resellers

    Makes one of the distributor's members holding the account-manager role the manager of 1 to
    100 resellers, or withdraws the current manager (account_manager null). The distributor's
    administrator.
    """
    _require_admin(ctx, "assign account managers")
    views = await ctx.services.partners.assign_account_manager(
        distributor_id=ctx.actor.partner_id,
        reseller_ids=body.reseller_ids,
        member_name=body.account_manager,
    )
    names = await ctx.services.identity.member_names(
        [v.account_manager_id for v in views if v.account_manager_id]
    )
    return AccountManagerAssignmentResult(
        resellers=[
            ResellerManager(
                indirect_partner_id=v.partner_id,
                account_manager_id=names.get(v.account_manager_id or ""),
            )
            for v in views
        ]
    )


@operation(
    router,
    "GET",
    "/resellers/{reseller_id}/account-manager-history",
    kind=CallerKind.DISTRIBUTOR,
)
async def ext_list_reseller_account_manager_history(
    ctx: OperationContext, reseller_id: str
) -> AccountManagerHistory:
    """Every account manager a reseller had, newest first

    Every account manager one of the calling distributor's resellers had, newest first, with
    when each was assigned and withdrawn.
    """
    rows = await ctx.services.partners.account_manager_history(
        distributor_id=ctx.actor.partner_id, reseller_id=reseller_id
    )
    return AccountManagerHistory(
        records=[
            AccountManagerRecord(
                account_manager_id=r.member_name,
                assigned_at=format_utc(r.assigned_at),
                withdrawn_at=optional_utc(r.withdrawn_at),
            )
            for r in rows
        ]
    )
