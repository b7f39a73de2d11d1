"""The pure coupon rules: what a coupon pays of an order (discount first, one coupon, scope,
combinability, minimum discount ratio, deduction cap), the refund rule, restrictions and
statuses (rules.md §7.2, §7.5–7.7, §7.10, §2.3.5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_center.domains.coupons.public import (
    REFUNDABLE_CASES,
    CouponGroup,
    CouponStatus,
    CouponTerms,
    CouponType,
    LimitInfo,
    OrderContext,
    OrderLine,
    RefundCase,
    Restrictions,
    SubscribeType,
    coupon_refundable,
    quote,
)
from partner_center.domains.coupons.states import coupon_status
from partner_center.kernel.errors import DomainError

D = Decimal
EBS = "hws.service.type.ebs"
VPC = "hws.service.type.vpc"
NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def order(*lines: OrderLine, kind: SubscribeType = SubscribeType.NEW, **kw: Any) -> OrderContext:
    return OrderContext(
        customer_id="c1", order_id="o1", subscribe_type=kind, lines=tuple(lines), **kw
    )


def coupon(available: str = "50.00", **kw: Any) -> CouponTerms:
    values: dict[str, Any] = {
        "coupon_id": "k1",
        "coupon_type": CouponType.CASH,
        "status": CouponStatus.AVAILABLE,
        "available": D(available),
    }
    values.update(kw)
    return CouponTerms(**values)


def code_of(call: Any) -> str:
    with pytest.raises(DomainError) as info:
        call()
    return info.value.code


def test_without_a_coupon_the_net_amount_is_payable() -> None:
    result = quote(order(OrderLine(EBS, D("100.00"), D("20.00"))))
    assert (result.net_amount, result.coupon_amount, result.payable) == (
        D("80.00"),
        D(0),
        D("80.00"),
    )


def test_discount_first_then_the_coupon() -> None:
    priced = order(OrderLine(EBS, D("100.00"), D("20.00")))
    partial = quote(priced, [coupon("50.00")])
    assert (partial.coupon_amount, partial.payable) == (D("50.00"), D("30.00"))
    full = quote(priced, [coupon("120.00")])
    assert (full.coupon_amount, full.payable) == (D("80.00"), D("0.00"))


def test_the_coupon_pays_only_lines_in_its_scope() -> None:
    priced = order(
        OrderLine(EBS, D("30.00"), region_code="ap-1", product_id="p1"),
        OrderLine(VPC, D("70.00"), region_code="ap-1", product_id="p2"),
    )
    scoped = coupon("100.00", restrictions=Restrictions(cloud_service_types=frozenset({EBS})))
    assert quote(priced, [scoped]).coupon_amount == D("30.00")
    by_region = coupon("100.00", restrictions=Restrictions(regions=frozenset({"ap-2"})))
    assert code_of(lambda: quote(priced, [by_region])) == "CBC.99003108"
    by_product = coupon("100.00", restrictions=Restrictions(product_ids=frozenset({"p2"})))
    assert quote(priced, [by_product]).coupon_amount == D("70.00")


def test_deduction_cap_applies_to_yearly_monthly_orders_only() -> None:
    capped = coupon("100.00", restrictions=Restrictions(max_deduction_ratio=D("0.5")))
    line = OrderLine(EBS, D("80.00"))
    assert quote(order(line), [capped]).coupon_amount == D("40.00")
    assert quote(order(line, pay_per_use=True), [capped]).coupon_amount == D("80.00")


def test_the_coupon_never_pays_a_fraction_of_a_cent_more_than_owed() -> None:
    result = quote(order(OrderLine(EBS, D("10.005"))), [coupon("20.00")])
    assert (result.coupon_amount, result.payable) == (D("10.00"), D("0.005"))


@pytest.mark.parametrize(
    ("terms", "code"),
    [
        (coupon(status=CouponStatus.USED, available="0"), "CBC.99003112"),
        (coupon(status=CouponStatus.NOT_ACTIVATED), "CBC.99003108"),
        (coupon(status=CouponStatus.EXPIRED), "CBC.99003108"),
        (coupon(status=CouponStatus.RECLAIMED), "CBC.99003108"),
        (coupon(locked_by_order_id="another"), "CBC.99003112"),
        (coupon(restrictions=Restrictions(usage_times=2), times_used=2), "CBC.99003112"),
        (
            coupon(restrictions=Restrictions(subscribe_types=frozenset({SubscribeType.RENEW}))),
            "CBC.99003108",
        ),
        (
            coupon(restrictions=Restrictions(cloud_service_types=frozenset({VPC}))),
            "CBC.99003108",
        ),
    ],
)
def test_coupons_that_cannot_pay(terms: CouponTerms, code: str) -> None:
    assert code_of(lambda: quote(order(OrderLine(EBS, D("10.00"))), [terms])) == code


def test_a_coupon_held_by_this_order_or_with_uses_left_pays() -> None:
    line = OrderLine(EBS, D("10.00"))
    assert quote(order(line), [coupon(locked_by_order_id="o1")]).coupon_amount == D("10.00")
    reusable = coupon(restrictions=Restrictions(usage_times=2), times_used=1)
    assert quote(order(line), [reusable]).coupon_amount == D("10.00")


def test_combinability_with_discounts() -> None:
    alone = coupon(restrictions=Restrictions(combinable_with_discount=False))
    discounted = order(OrderLine(EBS, D("100.00"), D("10.00")))
    assert code_of(lambda: quote(discounted, [alone])) == "CBC.99003116"
    assert quote(order(OrderLine(EBS, D("100.00"))), [alone]).coupon_amount == D("50.00")


def test_minimum_discount_ratio() -> None:
    strict = coupon("100.00", restrictions=Restrictions(min_discount_ratio=D("0.9")))
    deep = order(OrderLine(EBS, D("100.00"), D("20.00")))
    assert code_of(lambda: quote(deep, [strict])) == "CBC.99003117"
    # Lines discounted too deeply are left out; the others still use the coupon.
    mixed = order(OrderLine(EBS, D("100.00"), D("20.00")), OrderLine(EBS, D("50.00"), D("5.00")))
    assert quote(mixed, [strict]).coupon_amount == D("45.00")


@pytest.mark.parametrize(
    ("coupons", "code"),
    [
        ([coupon(), coupon(coupon_id="k2", coupon_type=CouponType.DISCOUNT)], "CBC.99003147"),
        (
            [
                coupon(group=CouponGroup.MARKETPLACE),
                coupon(coupon_id="k2", group=CouponGroup.DEDICATED),
            ],
            "CBC.99003156",
        ),
        ([coupon(), coupon(coupon_id="k2")], "CBC.0100"),
    ],
)
def test_one_coupon_per_order(coupons: list[CouponTerms], code: str) -> None:
    assert code_of(lambda: quote(order(OrderLine(EBS, D("10.00"))), coupons)) == code


def test_a_coupon_held_before_the_association_pays_only_earlier_spend() -> None:
    associated = NOW
    old = coupon(issued_at=NOW - timedelta(days=3))
    new_spend = order(OrderLine(EBS, D("10.00")))
    assert code_of(lambda: quote(new_spend, [old], associated_on=associated)) == "CBC.99003108"
    earlier = order(OrderLine(EBS, D("10.00")), incurred_at=NOW - timedelta(days=1))
    assert quote(earlier, [old], associated_on=associated).coupon_amount == D("10.00")
    fresh = coupon(issued_at=NOW + timedelta(hours=1))
    assert quote(new_spend, [fresh], associated_on=associated).coupon_amount == D("10.00")


def test_bad_orders_are_refused() -> None:
    assert code_of(lambda: quote(order())) == "CBC.0100"
    assert code_of(lambda: quote(order(OrderLine(EBS, D("1"), D("2"))))) == "CBC.0100"
    assert code_of(lambda: quote(order(OrderLine(EBS, D("-1"))))) == "CBC.0100"


amounts = st.decimals(min_value=0, max_value=10_000, places=2)


@given(list_amount=amounts, discount_share=st.integers(0, 100), balance=amounts)
def test_amounts_always_add_up(list_amount: Decimal, discount_share: int, balance: Decimal) -> None:
    discount = (list_amount * discount_share / 100).quantize(D("0.01"))
    result = quote(order(OrderLine(EBS, list_amount, discount)), [coupon(str(balance))])
    assert result.coupon_amount + result.payable == result.net_amount == list_amount - discount
    assert D(0) <= result.coupon_amount <= balance
    assert result.payable >= 0


def test_coupons_are_refunded_only_in_the_listed_cases() -> None:
    assert (
        {c for c in RefundCase if coupon_refundable(c)}
        == REFUNDABLE_CASES
        == {
            RefundCase.NOT_EFFECTIVE,
            RefundCase.ORDER_EXCEPTION,
            RefundCase.UNSTARTED_RENEWAL,
        }
    )
    assert not coupon_refundable(RefundCase.UNSUBSCRIBE)
    assert not coupon_refundable(RefundCase.DOWNGRADE)


# -- restrictions ------------------------------------------------------------------------------


def infos(**keys: list[str]) -> list[LimitInfo]:
    return [LimitInfo(k, tuple((v, None) for v in values)) for k, values in keys.items()]


def test_restrictions_round_trip_and_wire_form() -> None:
    parsed = Restrictions.parse(
        infos(
            cloudServiceType=[EBS, VPC],
            subscribeType=["1", "2"],
            usageTimes=["3"],
            minFaceValue=["1.00"],
            maxCouponCount=["10"],
            firstTimeAssociatedOnly=["1"],
            minConsumeDiscount=["0.8"],
            simultaneousUseWithDiscount=["0"],
        )
    )
    assert Restrictions.from_json(parsed.to_json()) == parsed
    assert parsed.cloud_service_types == frozenset({EBS, VPC})
    assert parsed.usage_times == 3
    assert not parsed.combinable_with_discount
    coupon_keys = [i.limit_key for i in parsed.limit_infos(for_coupon=True)]
    assert "minFaceValue" not in coupon_keys
    assert "maxCouponCount" not in coupon_keys
    assert "firstTimeAssociatedOnly" not in coupon_keys
    assert {"cloudServiceType", "subscribeType", "usageTimes", "minConsumeDiscount"} <= set(
        coupon_keys
    )


@pytest.mark.parametrize(
    "bad",
    [
        infos(unknownKey=["x"]),
        infos(usageTimes=["-1"]),
        infos(usageTimes=["1", "2"]),
        infos(minConsumeDiscount=["1.5"]),
        infos(maxFaceValue=["1.001"]),
        infos(subscribeType=["4"]),
        infos(cloudServiceType=[""]),
        infos(minFaceValue=["10"], maxFaceValue=["5"]),
        infos(firstTimeAssociatedOnly=["yes"]),
        [LimitInfo("usageTimes", (("1", None),)), LimitInfo("usageTimes", (("2", None),))],
    ],
)
def test_malformed_restrictions(bad: list[LimitInfo]) -> None:
    assert code_of(lambda: Restrictions.parse(bad)) == "CBC.0100"


def test_coupon_restrictions_may_only_narrow_the_quotas() -> None:
    quota = Restrictions(
        cloud_service_types=frozenset({EBS, VPC}),
        subscribe_types=frozenset({SubscribeType.NEW}),
        max_coupon_count=3,
    )
    narrowed = quota.narrowed(cloud_service_types=[EBS], product_ids=["p1"], subscribe_types=None)
    assert narrowed.cloud_service_types == frozenset({EBS})
    assert narrowed.product_ids == frozenset({"p1"})
    assert narrowed.max_coupon_count is None
    wider = "hws.service.type.obs"
    assert (
        code_of(
            lambda: quota.narrowed(
                cloud_service_types=[wider], product_ids=None, subscribe_types=None
            )
        )
        == "CBC.99000023"
    )
    assert (
        code_of(
            lambda: quota.narrowed(
                cloud_service_types=None, product_ids=None, subscribe_types=["2"]
            )
        )
        == "CBC.99000024"
    )
    eleven = [f"s{i}" for i in range(11)]
    assert (
        code_of(
            lambda: Restrictions().narrowed(
                cloud_service_types=eleven, product_ids=None, subscribe_types=None
            )
        )
        == "CBC.0100"
    )


def test_face_value_bounds() -> None:
    bounds = Restrictions(min_face_value=D("5"), max_face_value=D("10"))
    bounds.check_face_value(D("5"))
    bounds.check_face_value(D("10"))
    assert code_of(lambda: bounds.check_face_value(D("4.99"))) == "CBC.99000018"
    assert code_of(lambda: bounds.check_face_value(D("10.01"))) == "CBC.99000019"


# -- statuses ----------------------------------------------------------------------------------


def row(**kw: Any) -> Any:
    values: dict[str, Any] = {
        "reclaimed_at": None,
        "expired_at": None,
        "used_up_at": None,
        "valid_time": NOW,
        "expire_time": NOW + timedelta(days=10),
    }
    values.update(kw)
    return SimpleNamespace(**values)


def test_coupon_status_follows_the_clock_and_events() -> None:
    assert coupon_status(row(), NOW - timedelta(seconds=1)) is CouponStatus.NOT_ACTIVATED
    assert coupon_status(row(), NOW) is CouponStatus.AVAILABLE
    assert coupon_status(row(), NOW + timedelta(days=10)) is CouponStatus.EXPIRED
    assert coupon_status(row(used_up_at=NOW), NOW + timedelta(days=11)) is CouponStatus.USED
    assert coupon_status(row(expired_at=NOW), NOW) is CouponStatus.EXPIRED
    assert coupon_status(row(reclaimed_at=NOW, used_up_at=NOW), NOW) is CouponStatus.RECLAIMED
