"""Pages show enumerations in words of the reader's language, never the raw value: an
authorization's state, a member's roles, an invitation's channel, a partner's type, a customer's
coupons and resources, a budget record's operation (the console review found them raw)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from partner_center.domains.associations.public import AuthorizationStatus
from partner_center.http.console.kit.templating import render_template

WHEN = datetime(2026, 10, 1, tzinfo=UTC)


def _page(language: str, name: str, **context: Any) -> str:
    base = {"languages": {}, "lang": language, "offset": 0, "limit": 10, "total": 1, "errors": {}}
    return render_template(language, name, base | context)


def _row(**fields: Any) -> SimpleNamespace:
    return SimpleNamespace(created_at=WHEN, **fields)


def _enum(name: str, value: object) -> SimpleNamespace:
    return SimpleNamespace(name=name, value=value)


@pytest.mark.parametrize(("language", "word"), [("en", "Authorized"), ("zh", "已授权")])
def test_authorization_state_in_words(language: str, word: str) -> None:
    row = _row(
        partner_name="p",
        permission="te_admin",
        status=AuthorizationStatus.AUTHORIZED,
        authorization_id="a1",
    )
    html = _page(language, "mine/requests.html", rows=[row])
    assert f"<td>{word}</td>" in html
    assert "AUTHORIZED" not in html


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", ["Account Manager", "Finance", "Active"]), ("zh", ["客户经理", "财务", "正常"])],
)
def test_member_roles_and_state_in_words(language: str, words: list[str]) -> None:
    member = _row(
        name="m",
        member_id="m1",
        is_admin=False,
        roles=["ACCOUNT_MANAGER"],
        status=_enum("ACTIVE", "ACTIVE"),
    )
    html = _page(
        language,
        "account/members.html",
        rows=[member],
        roles=["ADMIN", "ACCOUNT_MANAGER", "FINANCE"],
        page=SimpleNamespace(field=lambda _name: ""),
    )
    for word in words:
        assert word in html
    assert "ACCOUNT_MANAGER<" not in html and "> ACCOUNT_MANAGER" not in html
    assert ">ACTIVE<" not in html


@pytest.mark.parametrize(("language", "word"), [("en", "Distributor"), ("zh", "分销商")])
def test_partner_type_in_words(language: str, word: str) -> None:
    partner = SimpleNamespace(
        name="d",
        partner_id="p1",
        partner_type=_enum("DISTRIBUTOR", "DISTRIBUTOR"),
        distributor_id=None,
        status=_enum("NORMAL", "NORMAL"),
        created_at=WHEN,
    )
    html = _page(
        language,
        "operator/partners.html",
        partners=[partner],
        rows=[partner],
        types=[_enum("DISTRIBUTOR", "DISTRIBUTOR")],
        partner_type="",
    )
    assert f">{word}<" in html
    assert ">DISTRIBUTOR<" not in html


@pytest.mark.parametrize(
    ("language", "words"), [("en", ["QR code", "Accepted"]), ("zh", ["二维码"])]
)
def test_invitation_channel_and_state_in_words(language: str, words: list[str]) -> None:
    record = _row(
        channel=_enum("QR_CODE", "QR_CODE"),
        invitee_email=None,
        customer_id="c1",
        status=_enum("ACCEPTED", "ACCEPTED"),
    )
    html = _page(
        language,
        "customers/invitations.html",
        links=[],
        records=[record],
        page=SimpleNamespace(field=lambda _name: ""),
    )
    for word in words:
        assert word in html
    assert ">QR_CODE<" not in html and ">ACCEPTED<" not in html


@pytest.mark.parametrize(("language", "word"), [("en", "Cash coupon"), ("zh", "代金券")])
def test_my_coupons_type_in_words(language: str, word: str) -> None:
    coupon = SimpleNamespace(
        coupon_id="k1",
        coupon_type=_enum("CASH", 1),
        face_value=Decimal("10"),
        currency="USD",
        balance=Decimal("10"),
        expire_time=WHEN,
        status=_enum("AVAILABLE", 2),
    )
    html = _page(language, "mine/coupons.html", coupons=[coupon])
    assert f"<td>{word}</td>" in html
    assert ">CASH<" not in html and ">AVAILABLE<" not in html


def test_statement_line_detail_is_not_a_wire_code() -> None:
    """The Detail column showed the wire's SOURCE_OPERATION_REPAYMENT beside the Type column
    that already says Repayment."""
    line = SimpleNamespace(
        id="l1",
        trade_time=WHEN,
        trade_type="SOURCE_OPERATION_DEDEUCT",
        trade_detail_type="SOURCE_OPERATION_REPAYMENT",
        description=None,
        trade_id="t1",
        direction=_enum("EXPENSE", 2),
        amount=Decimal("17.34"),
        balance_after=Decimal("0"),
    )
    html = _page(
        "en",
        "finance/statements.html",
        lines=[line],
        kinds=[],
        kind_of={"l1": "repayment"},
        channel_of={},
        currency="USD",
        begin="2026-11-01",
        end="2026-12-01",
        type="",
        page=SimpleNamespace(field=lambda _name: ""),
    )
    assert "<td>Repayment</td>" in html
    assert "SOURCE_OPERATION_REPAYMENT" not in html
    assert "-17.34 USD" in html


@pytest.mark.parametrize("bills", [1, 2])
def test_overdue_summary_reads_for_one_bill_and_many(bills: int) -> None:
    """ "unpaid on 1 bills" read badly."""
    overdue = SimpleNamespace(amount=Decimal("117.34"), bills=bills, oldest_due_at=WHEN)
    html = _page(
        "en",
        "dashboard/dashboard.html",
        overdue=overdue,
        counts={},
        total=0,
        managers=[],
        trend=[],
        spend=SimpleNamespace(cycles=("2025-12", "2026-11"), by_service=[], by_kind=[]),
    )
    assert "117.34" in html
    assert f"overdue bills: {bills}," in html
    assert "1 bills" not in html


@pytest.mark.parametrize(("language", "label"), [("en", "Amount (CNY)"), ("zh", "金额（CNY）")])
def test_repay_names_the_deployments_currency_not_usd(language: str, label: str) -> None:
    html = _page(
        language,
        "finance/repay.html",
        currency="CNY",
        due=Decimal("12.30"),
        limit_online=Decimal("40000"),
        tab="online",
        csrf="x",
        csrf_field="csrf",
        page=SimpleNamespace(field=lambda name, default="": default),
    )
    assert label in html
    assert "USD" not in html and "美元" not in html
