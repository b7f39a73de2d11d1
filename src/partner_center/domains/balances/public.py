"""The balances domain's public surface (the only module other domains import).

Orders and pay-per-use use the ``BalanceEngine`` (system-facing mechanics; partners and the
operator use the ``BalanceService``), from the composition root's container::

    await balances.ensure_purchase_allowed(customer_id)      # next to CustomerControl's check
    charge = await balances.charge_customer(customer_id, amount, order_id, hold=True)
    await balances.capture_charge(order_id)                  # or release_charge(order_id)
    await balances.charge_customer(customer_id, amount, usage_id, kind=ChargeKind.USAGE)
    await balances.refund_customer(customer_id, amount, refund_id, charge_id=order_id)

Associations (rules.md §2.6.11): the composition root's container runs, on the associations
domain's ``on_disassociated`` hook, in the transaction that ends the association (idempotent,
so a direct call as well changes nothing)::

    await balances.return_remaining_on_disassociation(customer_id)

Billing registers its debt figures with ``register_partner_debt_source`` and calls
``recheck_consumption_quota(partner_id)`` after a repayment.
"""

from partner_center.domains.balances.chart import PLATFORM_TENANT, Books, Code
from partner_center.domains.balances.core import MAX_AMOUNT, check_amount
from partner_center.domains.balances.engine import BalanceEngine
from partner_center.domains.balances.models import (
    ChargeFunding,
    ChargeKind,
    ChargeStatus,
    Direction,
    OperationKind,
    Statement,
)
from partner_center.domains.balances.operations import OperationLog
from partner_center.domains.balances.service import (
    MAX_BALANCE_QUERY,
    ONLINE_PAYMENT_LIMIT_USD,
    BalanceService,
    TopUpChannel,
)
from partner_center.domains.balances.sources import (
    ExpenditureQuota,
    ExpenditureSource,
    PartnerDebt,
    PartnerDebtSource,
    Sources,
    register_expenditure_source,
    register_partner_debt_source,
    registered_sources,
)
from partner_center.domains.balances.trades import (
    ADJUST_OPERATION_TYPES,
    BALANCE_TYPE_CREDIT,
    BALANCE_TYPE_DEBIT,
    CHANNEL_BANK_TRANSFER,
    CHANNEL_ONLINE,
    CONSUMPTION_TRADE_TYPES,
    CUSTOMER_TRADE_TYPES,
    PARTNER_TRADE_TYPES,
    PAYMENT_CHANNELS,
    STATEMENT_KIND_FILTERS,
    StatementKind,
    statement_kind,
)
from partner_center.domains.balances.transfers import CustomerTransfers
from partner_center.domains.balances.views import (
    AccountBalance,
    AdjustRecord,
    AdjustRecordQuery,
    ChargeView,
    ConsumptionQuotaView,
    CustomerAccountView,
    CustomerBalanceSummary,
    ExpenditureQuotaView,
    MoneyMovement,
    StatementLine,
    StatementMismatch,
    StatementQuery,
)

__all__ = [
    "ADJUST_OPERATION_TYPES",
    "BALANCE_TYPE_CREDIT",
    "BALANCE_TYPE_DEBIT",
    "CHANNEL_BANK_TRANSFER",
    "CHANNEL_ONLINE",
    "CONSUMPTION_TRADE_TYPES",
    "CUSTOMER_TRADE_TYPES",
    "MAX_AMOUNT",
    "MAX_BALANCE_QUERY",
    "ONLINE_PAYMENT_LIMIT_USD",
    "PARTNER_TRADE_TYPES",
    "PAYMENT_CHANNELS",
    "PLATFORM_TENANT",
    "STATEMENT_KIND_FILTERS",
    "AccountBalance",
    "AdjustRecord",
    "AdjustRecordQuery",
    "BalanceEngine",
    "BalanceService",
    "Books",
    "ChargeFunding",
    "ChargeKind",
    "ChargeStatus",
    "ChargeView",
    "Code",
    "ConsumptionQuotaView",
    "CustomerAccountView",
    "CustomerBalanceSummary",
    "CustomerTransfers",
    "Direction",
    "ExpenditureQuota",
    "ExpenditureQuotaView",
    "ExpenditureSource",
    "MoneyMovement",
    "OperationKind",
    "OperationLog",
    "PartnerDebt",
    "PartnerDebtSource",
    "Sources",
    "Statement",
    "StatementKind",
    "StatementLine",
    "StatementMismatch",
    "StatementQuery",
    "TopUpChannel",
    "check_amount",
    "register_expenditure_source",
    "register_partner_debt_source",
    "registered_sources",
    "statement_kind",
]
