"""Pure budget rules: the set-budget amount range, list-price amounts, the wire mappings of
``budget_type`` / ``frozen_operate_type`` / ``cancel_partner_frozen``, and the schedule of the
monthly restore (00:00 on the 1st in the billing time zone)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from partner_center.domains.budgets import tasks
from partner_center.domains.budgets.engine import check_list_price_amount, display_amount
from partner_center.domains.budgets.errors import amount_text
from partner_center.domains.budgets.public import (
    RESTORE_MONTHLY_BUDGETS,
    BudgetType,
    ExhaustionAction,
)
from partner_center.domains.budgets.service import check_budget_amount
from partner_center.http.bss.budgets import action_of, budget_type_of, lift_of
from partner_center.kernel.errors import DomainError
from partner_center.kernel.jobs import JobRegistry, Monthly

D = Decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [(D("0.01"), D("0.01")), (1, D("1.00")), (D("2147483647"), D("2147483647.00"))],
)
def test_budget_amounts_accepted(value: Decimal | int, expected: Decimal) -> None:
    assert check_budget_amount(value) == expected


@pytest.mark.parametrize(
    "value",
    [D(0), D("-0.01"), D("0.001"), D("2147483647.01"), D("NaN"), D("Infinity"), True, 1.5, "5"],
)
def test_budget_amounts_refused(value: object) -> None:
    with pytest.raises(DomainError) as info:
        check_budget_amount(value)
    assert (info.value.code, info.value.details["field"]) == ("CBC.0100", "budget_amount")


def test_list_price_amounts_take_up_to_eight_decimals() -> None:
    assert check_list_price_amount(D("0.00000001")) == D("0.00000001")
    for bad in (D("0.000000001"), D(0), D(-1), 0.5, False):
        with pytest.raises(DomainError):
            check_list_price_amount(bad)


def test_amounts_for_people_and_the_wire() -> None:
    assert amount_text(D("0E-8")) == "0.00"
    assert amount_text(D("12.50000000")) == "12.50"
    assert amount_text(D("0.00000001")) == "0.00000001"
    assert display_amount(D("12.345")) == D("12.35")  # half-up, 2 decimals
    assert str(display_amount(D("7.00000000"))) == "7.00"


def test_wire_mappings() -> None:
    assert budget_type_of(None) == BudgetType.MONTHLY
    assert budget_type_of("PACKAGE") == BudgetType.PACKAGE
    assert action_of(None) is None
    assert action_of(0) == ExhaustionAction.MANUAL
    assert action_of(1) == ExhaustionAction.RESTRICT
    assert [lift_of(v) for v in (None, "", "0", "1")] == [False, False, False, True]
    for call in (
        lambda: budget_type_of(""),
        lambda: budget_type_of("monthly"),
        lambda: action_of(2),
        lambda: lift_of("yes"),
    ):
        with pytest.raises(DomainError) as info:
            call()
        assert info.value.code == "CBC.0100"


def test_the_monthly_restore_runs_at_midnight_on_the_first_in_the_billing_zone() -> None:
    registry = JobRegistry()
    tasks.register(registry)
    job = registry.periodic_jobs[RESTORE_MONTHLY_BUDGETS]
    assert job.schedule == Monthly(day=1, hour=0, minute=0)
    shanghai = ZoneInfo("Asia/Shanghai")
    after = job.schedule.next_after(datetime(2026, 11, 29, 8, 0, tzinfo=UTC), shanghai)
    assert after == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert job.schedule.next_after(after, shanghai) == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
