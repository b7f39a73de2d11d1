"""Customer operations of the partner API: check_user_identity, send_verification_message_code,
create_sub_customer, list_sub_customers, list_sub_customer_new_tag (api-semantics.md §3.2)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.customers.public import (
    CustomerFilter,
    NewCustomer,
    check_cn_mobile,
    check_email,
)
from partner_center.domains.notifications.public import Channel
from partner_center.http.auth import CallerKind
from partner_center.http.bss import schemas as s
from partner_center.http.formats import time_filter
from partner_center.http.operations import OperationContext, operation
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.pagination import page

router = APIRouter(tags=["customers"])
_SUB_CUSTOMERS = "/v2/partners/sub-customers"


@operation(router, "POST", f"{_SUB_CUSTOMERS}/users/check-identity", kind=CallerKind.PARTNER)
async def check_user_identity(
    ctx: OperationContext, body: s.CheckSubcustomerUserReq
) -> s.CheckUserIdentityResponse:
    """Check whether a name, e-mail or mobile number can still register"""
    result, remaining = await ctx.services.customers.check_user_identity(
        ctx.actor, search_type=body.search_type, search_value=body.search_value
    )
    return s.CheckUserIdentityResponse(check_result=result, mobile_remain_available_num=remaining)


@operation(router, "POST", "/v2/bases/verificationcode/send", kind=CallerKind.PARTNER, status=204)
async def send_verification_message_code(
    ctx: OperationContext, body: s.SendVerificationCodeV2Req
) -> None:
    """Send a verification code to a future customer's e-mail or mobile"""
    if body.receiver_type == 2:
        if not body.email:
            raise invalid_parameter("email", "Required when receiver_type is 2 (e-mail).")
        check_email(body.email)
        receiver, channel = body.email.lower(), Channel.EMAIL
    elif body.receiver_type == 1:
        if not body.mobile_phone:
            raise invalid_parameter("mobile_phone", "Required when receiver_type is 1 (SMS).")
        receiver, channel = "0086-" + check_cn_mobile(body.mobile_phone), Channel.SMS
    else:
        raise invalid_parameter("receiver_type", "Use 1 (SMS) or 2 (e-mail).")
    if body.lang is not None and body.lang.lower() not in ("zh-cn", "en-us"):
        raise invalid_parameter("lang", "Use zh-cn or en-us.")
    if body.scene is not None and body.scene not in (18, 29):
        raise invalid_parameter("scene", "Use 29 (registration) or 18 (bank-card real-name).")
    await ctx.services.customers.send_verification_code(
        ctx.actor,
        receiver=receiver,
        channel=channel,
        timeout_minutes=body.timeout,
        lang=body.lang,
        scene=body.scene or 29,
        customer_id=body.customer_id or None,
    )


@operation(router, "POST", _SUB_CUSTOMERS, kind=CallerKind.PARTNER)
async def create_sub_customer(
    ctx: OperationContext, body: s.CreateCustomerV2Req
) -> s.CreateSubCustomerResponse:
    """Create a customer account and associate it with the partner"""
    created = await ctx.services.customers.create_sub_customer(
        ctx.actor,
        NewCustomer(
            **same_named(
                body,
                "xaccount_id xaccount_type password email mobile_phone verification_code"
                " domain_area is_close_market_ms cooperation_type",
            ),
            domain_name=body.domain_name or None,
            indirect_partner_id=body.indirect_partner_id or None,
        ),
    )
    return s.CreateSubCustomerResponse(domain_id=created.domain_id, domain_name=created.domain_name)


@operation(
    router,
    "POST",
    f"{_SUB_CUSTOMERS}/query",
    kind=CallerKind.PARTNER,
    body_required=False,
    transaction="read_only",
)
async def list_sub_customers(
    ctx: OperationContext, body: s.QuerySubCustomerListReq
) -> s.ListSubCustomersResponse:
    """List the partner's customers (or a reseller's, for its distributor)"""
    association = None
    if body.association_type is not None:
        if body.association_type not in s.ASSOCIATION_TYPES_IN:
            raise invalid_parameter("association_type", "Use 1 (referral) or 3 (reseller).")
        association = s.ASSOCIATION_TYPES_IN[body.association_type]
    if body.account_name and " " in body.account_name:
        raise invalid_parameter("account_name", "Spaces are not allowed.")
    begin = time_filter(body.associated_on_begin, "associated_on_begin")
    end = time_filter(body.associated_on_end, "associated_on_end")
    window = page(body.offset, body.limit, max_limit=100, max_offset=40_000_000)
    filters = CustomerFilter(
        account_name=body.account_name or None,
        customer=body.customer or None,
        label=body.label or None,
        association_type=association,
        associated_on_begin=begin,
        associated_on_end=end,
        customer_id=body.customer_id or None,
        indirect_partner_id=body.indirect_partner_id or None,
    )
    rows, total = await ctx.services.customers.list_sub_customers(ctx.actor, filters, window)
    site = ctx.state.site
    return s.ListSubCustomersResponse(
        count=total,
        customer_infos=[
            s.CustomerInformation(
                **same_named(
                    r, "account_name customer_id label verified_status country_code customer_type"
                ),
                customer=r.customer_name,
                associated_on=format_utc(r.associated_on),
                association_type=s.association_code(r.association_type, site),
                telephone=r.mobile.split("-")[-1] if r.mobile else None,
                is_frozen=1 if r.is_frozen else 0,
                account_managers=[
                    s.AccountManager(account_name=n) for n in r.account_manager_names
                ],
                xaccount_id=r.xaccount_id,
                xaccount_type=r.xaccount_type,
                customer_level=r.customer_level,
                email=r.email,
            )
            for r in rows
        ],
    )


class QueryCustomerNewTagReq(WireModel):
    customer_ids: list[str] | None = Field(default=None, max_length=100)
    offset: int | None = None
    limit: int | None = None
    indirect_partner_id: str | None = Field(default=None, max_length=64)


class NewCustomerTagInfo(WireModel):
    customer_id: str
    customer_tag_type: str
    new_customer_tag: str
    effective_time: str
    expire_time: str


class ListSubCustomerNewTagResponse(WireModel):
    new_customer_tags: list[NewCustomerTagInfo]


@operation(
    router,
    "POST",
    f"{_SUB_CUSTOMERS}/new-customers-tags/batch-query",
    kind=CallerKind.PARTNER,
    body_required=False,
)
async def list_sub_customer_new_tag(
    ctx: OperationContext, body: QueryCustomerNewTagReq
) -> ListSubCustomerNewTagResponse:
    """The SMB new-customer tag of the partner's customers (Y, N or UNDETERMINED)"""
    tags = await ctx.services.customers.new_customer_tags(
        ctx.actor,
        body.customer_ids or [],
        indirect_partner_id=body.indirect_partner_id or None,
        window=page(body.offset, body.limit),
        zone=ctx.state.settings.zone,
    )
    return ListSubCustomerNewTagResponse(
        new_customer_tags=[
            NewCustomerTagInfo(
                customer_id=t.customer_id,
                customer_tag_type=t.tag_type,
                new_customer_tag=t.tag,
                effective_time=t.effective_month,
                expire_time=t.expire_month,
            )
            for t in tags
        ]
    )
