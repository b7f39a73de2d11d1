"""Real-name authentication (api-semantics.md §3.12): a partner submits its customer's identity
(create_personal_realname_auth, create_enterprise_realname_authentication,
change_enterprise_realname_authentication) and reads the review (show_realname_authentication_
review_result); a customer reads its own status (show_real_name_auth_status) and asks for a
face-verification QR code (show_real_name_auth_qr_code). The operator reviews submissions with
the extension in ``http/ext/realname.py``."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.realname.public import (
    EnterpriseIdentity,
    LegalPerson,
    PersonalIdentity,
)
from partner_center.http.auth import CallerKind
from partner_center.http.bss.sdk_models import sdk_model
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import QueryModel
from partner_center.http.wire import WireModel, same_named

router = APIRouter(tags=["real-name authentication"])
_PREFIX = "/v2/customers/realname-auths"


@sdk_model(required="*")
class BankCardInfoV2(WireModel):
    pass


@sdk_model(required="customer_id name xaccount_type")
class ApplyIndividualRealnameAuthsReq(WireModel):
    identify_type: int = Field(description="0 ID document (4 bank card: not offered)")
    verified_type: int | None = Field(
        default=None,
        description="3 passport, 5/6 HK-Macao/Taiwan travel permit, 9/10 residence permit",
    )
    verified_file_url: list[str] = Field(
        description="Object keys in the partner's bucket, in the reference's order"
    )
    verified_number: str = Field(description="Document number; stored encrypted")
    change_type: int | None = Field(default=None, description="-1 first authentication")


class EnterprisePersonNew(WireModel):
    legel_name: str
    legel_id_number: str = Field(description="Stored encrypted")
    certifier_role: str | None = Field(default=None, description="legalPerson")


class ApplyEnterpriseRealnameAuthsReq(WireModel):
    customer_id: str
    identify_type: int = Field(description="1 enterprise")
    certificate_type: int | None = Field(
        default=None, description="0 business licence (default), 1, 2, 3, 4 or 99"
    )
    verified_file_url: list[str]
    corp_name: str
    verified_number: str = Field(description="Certificate number; stored encrypted")
    reg_country: str | None = None
    reg_address: str | None = None
    xaccount_type: str
    enterprise_person: EnterprisePersonNew | None = None


class ChangeEnterpriseRealnameAuthsReq(ApplyEnterpriseRealnameAuthsReq):
    change_type: int = Field(description="1 individual to enterprise")


class RealnameAuthResponse(WireModel):
    is_review: int = Field(description="1: a person reviews the submission")


class ReviewResultQuery(QueryModel):
    openapi_style = "schema"

    customer_id: str | None = None


@sdk_model()
class ShowRealnameAuthenticationReviewResultResponse(WireModel):
    review_result: int | None = Field(
        default=None, description="0 in review, 1 rejected, 2 approved; absent before any"
    )


class ShowRealNameAuthStatusResponse(WireModel):
    verified_status: int = Field(description="-1 not verified, 0 in review, 1 rejected, 2 verified")
    verified_type: int | None = Field(default=None, description="0 individual, 1 enterprise")


@sdk_model(required="*")
class ShowRealNameAuthQrCodeResponse(WireModel):
    pass


def _enterprise(
    body: ApplyEnterpriseRealnameAuthsReq, change_type: int | None
) -> EnterpriseIdentity:
    person = body.enterprise_person
    return EnterpriseIdentity(
        **same_named(
            body,
            "customer_id identify_type certificate_type corp_name verified_number reg_country"
            " reg_address xaccount_type",
        ),
        files=tuple(body.verified_file_url),
        change_type=change_type,
        legal_person=(
            LegalPerson(person.legel_name, person.legel_id_number, person.certifier_role)
            if person is not None
            else None
        ),
    )


async def _submit_enterprise(
    ctx: OperationContext, identity: EnterpriseIdentity, *, change: bool
) -> RealnameAuthResponse:
    is_review = await ctx.services.realname.submit_enterprise(ctx.actor, identity, change=change)
    return RealnameAuthResponse(is_review=is_review)


@operation(router, "POST", f"{_PREFIX}/individual", kind=CallerKind.PARTNER)
async def create_personal_realname_auth(
    ctx: OperationContext, body: ApplyIndividualRealnameAuthsReq
) -> RealnameAuthResponse:
    """Submit a customer's individual real-name authentication

    The partner submits its customer's ID document (identify_type 0); the operator reviews it.
    One submission may be in review at a time, none once the customer is verified.
    """
    is_review = await ctx.services.realname.submit_individual(
        ctx.actor,
        PersonalIdentity(
            **same_named(
                body,
                "customer_id identify_type verified_type name verified_number change_type"
                " xaccount_type",
            ),
            files=tuple(body.verified_file_url),
        ),
    )
    return RealnameAuthResponse(is_review=is_review)


@operation(router, "POST", f"{_PREFIX}/enterprise", kind=CallerKind.PARTNER)
async def create_enterprise_realname_authentication(
    ctx: OperationContext, body: ApplyEnterpriseRealnameAuthsReq
) -> RealnameAuthResponse:
    """Submit a customer's enterprise real-name authentication"""
    return await _submit_enterprise(ctx, _enterprise(body, None), change=False)


@operation(router, "PUT", f"{_PREFIX}/enterprise", kind=CallerKind.PARTNER)
async def change_enterprise_realname_authentication(
    ctx: OperationContext, body: ChangeEnterpriseRealnameAuthsReq
) -> RealnameAuthResponse:
    """Change a verified individual customer's authentication to an enterprise"""
    return await _submit_enterprise(ctx, _enterprise(body, body.change_type), change=True)


@operation(router, "GET", f"{_PREFIX}/result", kind=CallerKind.PARTNER)
async def show_realname_authentication_review_result(
    ctx: OperationContext, query: ReviewResultQuery
) -> ShowRealnameAuthenticationReviewResultResponse:
    """Show the review result of a customer's newest real-name submission"""
    view = await ctx.services.realname.review_result(ctx.actor, query.customer_id)
    if view is None:
        return ShowRealnameAuthenticationReviewResultResponse()
    return ShowRealnameAuthenticationReviewResultResponse(
        review_result=int(view.review_result), opinion=view.opinion
    )


@operation(router, "GET", "/v2/customers/real-name-auth-status", kind=CallerKind.CUSTOMER)
async def show_real_name_auth_status(ctx: OperationContext) -> ShowRealNameAuthStatusResponse:
    """Show the calling customer's real-name authentication status"""
    status = await ctx.services.realname.status(ctx.caller.account_id)
    return ShowRealNameAuthStatusResponse(
        verified_status=status.verified_status, verified_type=status.verified_type
    )


@operation(router, "GET", "/v2/customers/real-name-auth-qrcode", kind=CallerKind.CUSTOMER)
async def show_real_name_auth_qr_code(ctx: OperationContext) -> ShowRealNameAuthQrCodeResponse:
    """Get a single-use face-verification QR code URL for the calling customer

    The URL is void if not used within 10 minutes; an already verified account is refused
    (CBC.99007188).
    """
    url = await ctx.services.realname.face_verification_url(ctx.caller.account_id)
    return ShowRealNameAuthQrCodeResponse(qr_code_url=url)
