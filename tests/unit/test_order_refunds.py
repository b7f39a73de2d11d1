"""The refund of a paid term (exact, consumed rounded up to the cent), the coupon split over
order lines, the period rules and the auto-renew attempt times — pure functions, by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_center.domains.orders.public import check_period, split, term_refund
from partner_center.domains.resources.public import ResourceService, TermKind, TermView
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.errors import DomainError

D = Decimal
START = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
END = datetime(2026, 3, 31, 2, 0, tzinfo=UTC)  # 30 days


def term(paid: str, *, kind: TermKind = TermKind.NEW, coupon: str = "0") -> TermView:
    return TermView(
        id="t",
        resource_ref="r",
        order_id="o",
        line_id="l",
        kind=kind,
        starts_at=START,
        ends_at=END,
        list_amount=D(paid),
        paid_amount=D(paid),
        coupon_amount=D(coupon),
        charge_id="chg",
        refunded=False,
        refund_order_id=None,
    )


def test_a_running_term_keeps_the_used_days_rounded_up_to_the_cent() -> None:
    # 10 of 30 days of 25.40: consumed 8.4666… → 8.47, refund 16.93.
    out = term_refund(term("25.40", kind=TermKind.RENEW), START + timedelta(days=10), 5)
    assert (out.refund, out.consumed, out.coupon_back) == (D("16.93"), D("8.47"), False)
    # One second in: the first cent is consumed.
    out = term_refund(term("25.40", kind=TermKind.RENEW), START + timedelta(seconds=1), 5)
    assert (out.refund, out.consumed) == (D("25.39"), D("0.01"))


def test_five_day_full_refund_applies_to_new_purchases_only() -> None:
    four_days = START + timedelta(days=4, hours=23)
    assert term_refund(term("25.40"), four_days, 5).refund == D("25.40")
    # From day 5 on the used days count: 25.40 × 5 / 30 = 4.2333… → 4.24 kept, 21.16 back.
    assert term_refund(term("25.40"), START + timedelta(days=5), 5).refund == D("21.16")
    assert term_refund(term("25.40", kind=TermKind.RENEW), four_days, 5).refund < D("25.40")
    assert term_refund(term("25.40"), four_days, None).refund < D("25.40")  # rule switched off
    assert not term_refund(term("25.40", coupon="5"), four_days, 5).coupon_back


def test_unstarted_and_finished_terms() -> None:
    before = term_refund(term("34.08", coupon="5"), START - timedelta(days=1), 5)
    assert (before.refund, before.consumed, before.coupon_back) == (D("34.08"), D("0"), True)
    after = term_refund(term("34.08"), END, 5)
    assert (after.refund, after.consumed) == (D("0"), D("34.08"))


@given(
    cents=st.integers(min_value=0, max_value=10**9),
    seconds=st.integers(min_value=0, max_value=30 * 86400),
)
def test_refund_and_consumed_always_sum_to_what_was_paid(cents: int, seconds: int) -> None:
    paid = D(cents) / 100
    out = term_refund(term(f"{paid}", kind=TermKind.RENEW), START + timedelta(seconds=seconds), 5)
    assert out.refund + out.consumed == paid
    assert out.refund >= 0 and out.consumed >= 0
    assert out.refund == out.refund.quantize(D("0.01"))


def test_the_coupon_is_split_over_lines_to_the_cent() -> None:
    assert split(D("10.00"), [D("25.40"), D("8.68")]) == [D("7.45"), D("2.55")]
    assert split(D("0"), [D("1"), D("2")]) == [D("0"), D("0")]
    assert split(D("1.00"), [D("0"), D("3"), D("0")]) == [D("0.00"), D("1.00"), D("0.00")]


@given(
    total=st.integers(min_value=0, max_value=10**8),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=8),
)
def test_split_shares_always_sum_to_the_total(total: int, weights: list[int]) -> None:
    if not any(weights):
        weights = [*weights[:-1], 1]
    shares = split(D(total) / 100, [D(w) for w in weights])
    assert sum(shares, D(0)) == D(total) / 100
    assert all(s >= 0 for s in shares)
    assert all(s == 0 for s, w in zip(shares, weights, strict=True) if w == 0)


@pytest.mark.parametrize(
    ("period_type", "period_num", "ok"),
    [(2, 1, True), (2, 11, True), (2, 12, False), (3, 3, True), (3, 4, False), (1, 1, False)],
)
def test_period_rules(period_type: int, period_num: int, ok: bool) -> None:
    if ok:
        check_period(period_type, period_num)
    else:
        with pytest.raises(DomainError) as info:
            check_period(period_type, period_num)
        assert info.value.code == "CBC.0100"


def test_auto_renew_attempts_run_at_three_in_the_billing_zone() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    service = ResourceService(None, clock=FixedClock(START), zone=zone)  # type: ignore[arg-type]
    expire = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)  # 10:00 on 1 April in Shanghai
    first = service.first_attempt(expire, 7, START)
    assert first == datetime(2026, 3, 25, 3, 0, tzinfo=zone)
    assert service.first_attempt(expire, 2, START) == datetime(2026, 3, 30, 3, 0, tzinfo=zone)
    # Already past: the next 03:00 after now.
    late = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)  # 04:00 on 29 March in Shanghai
    assert service.first_attempt(expire, 7, late) == datetime(2026, 3, 30, 3, 0, tzinfo=zone)
    assert service.next_attempt(first) == first + timedelta(days=1)
