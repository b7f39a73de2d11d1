"""The operator's review of real-name submissions (extension): approve with the verification
date, or reject with the reason the partner then reads as ``opinion``."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.realname.public import FACE_PATH
from partner_center.http.auth import CallerKind
from partner_center.http.formats import optional_utc
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import QueryModel
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.errors import invalid_parameter

router = APIRouter(tags=["real-name authentication"])


class RealnameReviewReq(WireModel):
    result: str = Field(description="approve or reject")
    verified_on: str | None = Field(
        default=None, description="Verification date yyyy-MM-dd (billing time zone); to approve"
    )
    opinion: str | None = Field(default=None, description="The reason; required to reject")


class RealnameReview(WireModel):
    customer_id: str
    submission_id: str
    review_result: int = Field(description="1 rejected, 2 approved")
    identify_type: int = Field(description="0 individual, 1 enterprise")
    verified_on: str | None = None
    opinion: str | None = None
    reviewed_at: str | None = None


@operation(router, "POST", "/v1/partner-center/operator/customers/{customer_id}/realname-review")
async def review_realname_authentication(
    ctx: OperationContext, customer_id: str, body: RealnameReviewReq
) -> RealnameReview:
    """Approve or reject a customer's real-name submission in review (operator)

    Reviews the customer's submission in review: result approve (verified_on, the verification
    date, required and not in the future) or reject (opinion required). CBC.70600026 when
    nothing is in review. Operator credentials.
    """
    if body.result not in ("approve", "reject"):
        raise invalid_parameter("result", "Use approve or reject.")
    verified_on = None
    if body.verified_on is not None:
        try:
            verified_on = date.fromisoformat(body.verified_on)
        except ValueError:
            raise invalid_parameter("verified_on", "Use yyyy-MM-dd.") from None
    view = await ctx.services.realname.review(
        ctx.caller.account_id,
        customer_id,
        approve=body.result == "approve",
        opinion=body.opinion,
        verified_on=verified_on,
    )
    return RealnameReview(
        customer_id=customer_id,
        **same_named(view, "submission_id opinion"),
        **same_named(view, "review_result identify_type", via=int),
        verified_on=view.verified_on.isoformat() if view.verified_on else None,
        reviewed_at=optional_utc(view.reviewed_at),
    )


class FaceScanQuery(QueryModel):
    token: str | None = None


class FaceScan(WireModel):
    status: str = Field(description="scanned")


@operation(router, "GET", FACE_PATH, kind=CallerKind.PUBLIC)
async def scan_face_verification_code(ctx: OperationContext, query: FaceScanQuery) -> FaceScan:
    """Open a face-verification QR code (extension)

    The URL show_real_name_auth_qr_code returns: usable once, within 10 minutes of issue
    (CBC.0100 otherwise). No face recognition runs here: the scan is recorded and the
    customer's real-name state is left to the operator's review.
    """
    await ctx.services.realname.scan_face_code(query.token)
    return FaceScan(status="scanned")
