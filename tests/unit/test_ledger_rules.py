"""Pure ledger rules: headroom maths, derived balances, error codes, triggers DDL, report lines."""

from __future__ import annotations

import ast
import inspect
from decimal import Decimal

import pytest
from sqlalchemy import DDL

from partner_center.domains.ledger import models
from partner_center.domains.ledger.public import (
    REFERENCE_CODES,
    BalanceView,
    Discrepancy,
    Guard,
    LedgerErrorCode,
    LimitBreach,
    ReconcileReport,
    available_amount,
    drop_immutable_transfers_ddl,
    format_report,
    immutable_transfers_ddl,
)
from partner_center.kernel.errors import ERROR_STATUS

D = Decimal


def _balance(guard: Guard, limit: str, dp: str, cp: str, dpe: str, cpe: str) -> BalanceView:
    return BalanceView(
        account_id="a",
        currency="USD",
        guard=guard,
        limit=D(limit),
        debits_posted=D(dp),
        credits_posted=D(cp),
        debits_pending=D(dpe),
        credits_pending=D(cpe),
    )


def test_available_for_a_balance_counts_holds_and_the_overdraft_limit() -> None:
    b = _balance(Guard.DEBITS_MUST_NOT_EXCEED_CREDITS, "10", "30", "100", "25", "999")
    # 100 credited + 10 overdraft - 30 spent - 25 held; pending credits do not count.
    assert b.available == D(55)
    assert b.credit_balance == D(70)
    assert b.debit_balance == D(-70)


def test_available_for_a_quota_is_symmetric() -> None:
    b = _balance(Guard.CREDITS_MUST_NOT_EXCEED_DEBITS, "100", "5", "60", "999", "20")
    assert b.available == D(25)
    assert b.debit_balance == D(-55)


def test_unguarded_accounts_have_no_bound() -> None:
    assert _balance(Guard.NONE, "0", "1000", "0", "0", "0").available is None


def test_available_amount_goes_negative_when_the_guard_is_broken() -> None:
    headroom = available_amount(
        Guard.DEBITS_MUST_NOT_EXCEED_CREDITS,
        D(0),
        debits_posted=D("10.00000001"),
        credits_posted=D(10),
        debits_pending=D(0),
        credits_pending=D(0),
    )
    assert headroom == D("-0.00000001")


def test_every_ledger_error_has_a_registered_reference_code() -> None:
    assert set(REFERENCE_CODES) == set(LedgerErrorCode)
    for code in REFERENCE_CODES.values():
        assert code in ERROR_STATUS
    assert REFERENCE_CODES[LedgerErrorCode.INSUFFICIENT_BALANCE] == "CBC.99005003"
    assert REFERENCE_CODES[LedgerErrorCode.DUPLICATE_TRANSFER_ID] == "CBC.99007009"
    assert REFERENCE_CODES[LedgerErrorCode.INVALID_PARAMETER] == "CBC.0100"


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_trigger_ddl_covers_update_and_delete(dialect: str) -> None:
    install = " ".join(immutable_transfers_ddl(dialect)).upper()
    assert "BEFORE UPDATE" in install
    assert "DELETE" in install
    assert "LEDGER_TRANSFERS" in install
    # sqlalchemy.DDL applies %-formatting; the statements must survive it unchanged.
    for statement in immutable_transfers_ddl(dialect):
        assert "%" not in statement
        DDL(statement)  # type: ignore[no-untyped-call]
    assert drop_immutable_transfers_ddl(dialect)


def test_trigger_ddl_refuses_unknown_dialects() -> None:
    with pytest.raises(ValueError, match="mysql"):
        immutable_transfers_ddl("mysql")


def test_money_and_time_columns_are_documented() -> None:
    """Every MoneyAmount / UtcDateTime column has a docstring line right under it."""
    tree = ast.parse(inspect.getsource(models))
    checked = 0
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        body = cls.body
        for i, stmt in enumerate(body):
            if not isinstance(stmt, ast.AnnAssign) or stmt.value is None:
                continue
            source = ast.unparse(stmt.value)
            if "MoneyAmount" not in source and "UtcDateTime" not in source:
                continue
            checked += 1
            following = body[i + 1] if i + 1 < len(body) else None
            assert isinstance(following, ast.Expr), (cls.name, ast.unparse(stmt.target))
            assert isinstance(following.value, ast.Constant)
            assert isinstance(following.value.value, str)
    assert checked >= 8


def test_ledger_tables_are_tenant_owned() -> None:
    assert "tenant_id" in models.LedgerAccount.__table__.c
    assert "tenant_id" in models.LedgerTransfer.__table__.c


def test_format_report() -> None:
    clean = ReconcileReport(
        accounts_checked=3,
        transfers_checked=7,
        discrepancies=(),
        imbalances=(),
        limit_breaches=(),
        currency_mismatch_count=0,
        currency_mismatches=(),
    )
    assert clean.ok
    assert format_report(clean) == ["ledger reconcile: OK — 3 accounts, 7 transfers"]
    dirty = ReconcileReport(
        accounts_checked=3,
        transfers_checked=7,
        discrepancies=(Discrepancy("acc1", "credits_posted", D("7.50000001"), D("7.5")),),
        imbalances=(),
        limit_breaches=(LimitBreach("acc2", Guard.DEBITS_MUST_NOT_EXCEED_CREDITS, D(0), D(-1)),),
        currency_mismatch_count=1,
        currency_mismatches=("t9",),
    )
    assert not dirty.ok
    lines = format_report(dirty)
    assert "DIFFERENCES FOUND" in lines[0]
    assert any("acc1" in line and "0.00000001" in line for line in lines)
    assert any("acc2" in line for line in lines)
    assert any("t9" in line for line in lines)
