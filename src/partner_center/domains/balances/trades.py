"""The reference vocabulary of account change records (api-semantics.md §3.5), spelled exactly
as the reference spells it — including its typos (``DEDEUCT``, ``SOURCE_OPERAIION_*``)."""

from __future__ import annotations

import enum

from partner_center.domains.balances.models import OperationKind

RECHARGE = "RECHARGE"
DEDEUCT = "DEDEUCT"
REFUND = "REFUND"
ADJUST = "ADJUST"
BEADJUST = "BEADJUST"
BERETRIEVE = "BERETRIEVE"
BEUNBIND = "BEUNBIND"

#: ``trade_type`` filter values of list_partner_account_change_records.
PARTNER_TRADE_TYPES = frozenset(
    {
        RECHARGE,
        DEDEUCT,
        REFUND,
        "RFROZEN",
        "TRANS",
        ADJUST,
        BEADJUST,
        BERETRIEVE,
        BEUNBIND,
        "BONUSCONVERT",
        "TRADE_MODE_TRANSFER",
    }
)
#: Trade types of consumption and its refunds (records carrying a consumption time).
CONSUMPTION_TRADE_TYPES = frozenset({DEDEUCT, REFUND})
#: ``trade_type`` filter values of list_customer_account_change_records.
CUSTOMER_TRADE_TYPES = PARTNER_TRADE_TYPES | {"EXPIRED", "DEPOSIT"}

DETAIL_RECHARGE = "SOURCE_OPERAIION_RECHARGE"
DETAIL_ADJUST_CREDIT = "SOURCE_OPERAIION_ADJUST_CREDIT"
DETAIL_DEDUCT = "SOURCE_OPERAIION_DEDEUCT"
DETAIL_USAGE = "SOURCE_OPERAIION_USAGE"
DETAIL_WRITEOFF = "SOURCE_OPERAIION_WRITEOFF"
DETAIL_REFUND = "SOURCE_OPERAIION_REFUND"
DETAIL_BEADJUST = "SOURCE_OPERATION_BEADJUST"
DETAIL_BERETRIEVE = "SOURCE_OPERATION_BERETRIEVE"
DETAIL_BEUNBIND = "SOURCE_OPERATION_BEUNBIND"
#: The partner's own cash coupons paying part of a bill at its issue (rules.md §7.8).
DETAIL_PARTNER_COUPON = "SOURCE_OPERATION_PARTNER_COUPON"
#: Cash paying the partner's bills (the finance issue's repayment).
DETAIL_REPAYMENT = "SOURCE_OPERATION_REPAYMENT"

#: list_partner_adjust_records ``operation_type`` → the operations it shows.
ADJUST_OPERATION_TYPES: dict[str, OperationKind] = {
    DETAIL_BEADJUST: OperationKind.ALLOCATE,
    DETAIL_BERETRIEVE: OperationKind.RECLAIM,
    DETAIL_BEUNBIND: OperationKind.UNBIND_RETURN,
}
ADJUST_DETAIL_OF: dict[OperationKind, str] = {v: k for k, v in ADJUST_OPERATION_TYPES.items()}

#: Payment channels of customer records (comma-separated ``payment_channel_id`` filter).
PAYMENT_CHANNELS = frozenset({"1", "2", "4", "5", "6", "7", "10", "11", "317", "319", "320"})
CHANNEL_BANK_TRANSFER = "2"
CHANNEL_ONLINE = "4"

BALANCE_TYPE_DEBIT = "BALANCE_TYPE_DEBIT"
BALANCE_TYPE_CREDIT = "BALANCE_TYPE_CREDIT"


class StatementKind(enum.StrEnum):
    """What a line of the partner's cash statement is, in the Account Statements page's words
    (rules.md §6.16): the ``type`` filter of ``/v1/partner-center/account-statements``."""

    TOP_UP = "top_up"
    REPAYMENT = "repayment"
    ALLOCATION = "allocation"
    RECLAIM = "reclaim"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"
    CONSUMPTION = "consumption"


#: Each kind as (trade types, detailed trade types) filters; an empty tuple filters nothing.
STATEMENT_KIND_FILTERS: dict[StatementKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    StatementKind.TOP_UP: ((RECHARGE,), ()),
    StatementKind.REPAYMENT: ((DEDEUCT,), (DETAIL_REPAYMENT,)),
    StatementKind.ALLOCATION: ((BEADJUST,), ()),
    StatementKind.RECLAIM: ((BERETRIEVE, BEUNBIND), ()),
    StatementKind.REFUND: ((REFUND,), ()),
    StatementKind.ADJUSTMENT: ((ADJUST,), ()),
    StatementKind.CONSUMPTION: ((DEDEUCT,), (DETAIL_DEDUCT, DETAIL_USAGE, DETAIL_WRITEOFF)),
}


def statement_kind(trade_type: str, trade_detail_type: str) -> StatementKind:
    """The kind of a statement line."""
    if trade_type == DEDEUCT:
        if trade_detail_type == DETAIL_REPAYMENT:
            return StatementKind.REPAYMENT
        return StatementKind.CONSUMPTION
    for kind, (types, _) in STATEMENT_KIND_FILTERS.items():
        if trade_type in types:
            return kind
    return StatementKind.ADJUSTMENT
