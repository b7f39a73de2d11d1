"""Coupons and coupon quotas of the partner API (api-semantics.md §3.4, §3.6), one router per
service of the coupons domain: ``quotas`` (the quotas and what a distributor gives its
resellers) and ``benefits`` (issuing, reclaiming and listing coupons).

This module holds the wire models and conversions they share with each other and with the
order operations, field for field as the SDK's (../shared/spec/api-surface.json). They are
defined here, not in a submodule, because ``/openapi.json`` names a schema whose name two
modules use by its module (``partner_center__http__bss__coupons__ErrorDetail``)."""

from __future__ import annotations

from collections.abc import Sequence

from partner_center.domains.coupons.public import CouponView, ItemError, Restrictions
from partner_center.http.bss.sdk_models import sdk_model
from partner_center.http.wire import WireModel
from partner_center.kernel.errors import invalid_parameter

#: Amounts are in the main currency unit (yuan / US dollar).
MEASURE_YUAN = 1


class LimitValue(WireModel):
    value1: str | None = None
    value2: str | None = None


class QuotaLimitInfo(WireModel):
    limit_key: str | None = None
    limit_values: list[LimitValue] | None = None


@sdk_model()
class ErrorDetail(WireModel):
    pass


class BatchResult(WireModel):
    """A batch operation's answer: first the items that failed, then those done."""

    error_details: list[ErrorDetail]


@sdk_model()
class ICouponUseLimitInfoV2(WireModel):
    pass


def text_filter(value: str | None) -> str | None:
    """A free-text or id filter: empty means "no filter" (api-semantics.md §1.4)."""
    return value or None


def enum_int(value: int | None, field: str, allowed: Sequence[int]) -> int | None:
    if value is not None and value not in allowed:
        raise invalid_parameter(field, f"Use one of {', '.join(str(a) for a in allowed)}.")
    return value


def wire_limit_infos(restrictions: Restrictions, *, for_coupon: bool) -> list[QuotaLimitInfo]:
    return [
        QuotaLimitInfo(
            limit_key=info.limit_key,
            limit_values=[LimitValue(value1=v1, value2=v2) for v1, v2 in info.limit_values],
        )
        for info in restrictions.limit_infos(for_coupon=for_coupon)
    ]


def error_details(errors: Sequence[ItemError]) -> list[ErrorDetail]:
    return [ErrorDetail(id=e.id, error_code=e.code, error_msg=e.message) for e in errors]


def use_limits(coupon: CouponView) -> list[ICouponUseLimitInfoV2]:
    """A coupon's restrictions as the reference's ``use_limits`` list."""
    out: list[ICouponUseLimitInfoV2] = []
    for info in coupon.restrictions.limit_infos(for_coupon=True):
        for v1, v2 in info.limit_values:
            out.append(
                ICouponUseLimitInfoV2(
                    use_limiti_info_id=f"{coupon.coupon_id}-{len(out) + 1}",
                    limit_key=info.limit_key,
                    value1=v1,
                    value2=v2,
                )
            )
    return out
