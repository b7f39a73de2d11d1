"""Wire models of the customer operations, field for field as the official SDK's models
(../shared/spec/api-surface.json). Fields only one client sends are optional here; the site
rules decide which are required."""

from __future__ import annotations

from pydantic import Field

from partner_center.domains.customers.public import AssociationType
from partner_center.http.bss.sdk_models import sdk_model
from partner_center.http.wire import WireModel

#: Wire codes of association types: "1" referral; "3" reseller (intl), "2" resale (China site).
ASSOCIATION_TYPES_IN = {
    "1": AssociationType.REFERRAL,
    "2": AssociationType.RESELLER,
    "3": AssociationType.RESELLER,
}


def association_code(kind: AssociationType, site: str) -> str:
    if kind == AssociationType.REFERRAL:
        return "1"
    return "2" if site == "cn" else "3"


class CheckSubcustomerUserReq(WireModel):
    search_type: str = Field(description="email | mobile | name")
    search_value: str = Field(max_length=64)


@sdk_model(fields="check_result mobile_remain_available_num error_code error_msg")
class CheckUserIdentityResponse(WireModel):
    check_result: str | None = Field(default=None, description="available | used_by_user")


class SendVerificationCodeV2Req(WireModel):
    receiver_type: int = Field(description="1 = SMS (China site), 2 = e-mail (international)")
    timeout: int | None = Field(default=None, description="Minutes; default 10, >60 becomes 5")
    mobile_phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=255)
    lang: str | None = Field(default=None, description="zh-cn | en-us")
    scene: int | None = Field(default=None, description="29 registration, 18 bank-card real-name")
    customer_id: str | None = Field(default=None, max_length=64)


class CreateCustomerV2Req(WireModel):
    domain_name: str | None = None
    mobile_phone: str | None = None
    verification_code: str | None = None
    xaccount_id: str = Field(max_length=128)
    xaccount_type: str = Field(max_length=64)
    password: str | None = None
    is_close_market_ms: str | None = None
    cooperation_type: str | None = None
    indirect_partner_id: str | None = Field(default=None, max_length=64)
    include_association_result: bool | None = None
    email: str | None = None
    domain_area: str | None = None


@sdk_model(required="*")
class CreateSubCustomerResponse(WireModel):
    pass


class QuerySubCustomerListReq(WireModel):
    account_name: str | None = Field(default=None, max_length=64)
    customer: str | None = Field(default=None, max_length=256)
    offset: int | None = None
    limit: int | None = None
    label: str | None = Field(default=None, max_length=256)
    association_type: str | None = None
    associated_on_begin: str | None = None
    associated_on_end: str | None = None
    customer_id: str | None = Field(default=None, max_length=64)
    indirect_partner_id: str | None = Field(default=None, max_length=64)


@sdk_model()
class AccountManager(WireModel):
    pass


@sdk_model()
class CustomerInformation(WireModel):
    pass


@sdk_model(required="*")
class ListSubCustomersResponse(WireModel):
    pass
