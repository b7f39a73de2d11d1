"""The ledger's public surface: the only module other domains import."""

from partner_center.domains.ledger.ddl import drop_immutable_transfers_ddl, immutable_transfers_ddl
from partner_center.domains.ledger.errors import (
    ACCOUNT_DOES_NOT_EXIST,
    DUPLICATE_TRANSACTION_ID,
    INSUFFICIENT_BALANCE,
    INVALID_PARAMETER,
    REFERENCE_CODES,
    LedgerErrorCode,
)
from partner_center.domains.ledger.models import Guard, TransferKind
from partner_center.domains.ledger.reconcile import (
    CurrencyImbalance,
    Discrepancy,
    LimitBreach,
    ReconcileReport,
    format_report,
    reconcile,
)
from partner_center.domains.ledger.service import (
    BalanceView,
    LedgerAccountView,
    LedgerService,
    TransferView,
    available_amount,
)

__all__ = [
    "ACCOUNT_DOES_NOT_EXIST",
    "DUPLICATE_TRANSACTION_ID",
    "INSUFFICIENT_BALANCE",
    "INVALID_PARAMETER",
    "REFERENCE_CODES",
    "BalanceView",
    "CurrencyImbalance",
    "Discrepancy",
    "Guard",
    "LedgerAccountView",
    "LedgerErrorCode",
    "LedgerService",
    "LimitBreach",
    "ReconcileReport",
    "TransferKind",
    "TransferView",
    "available_amount",
    "drop_immutable_transfers_ddl",
    "format_report",
    "immutable_transfers_ddl",
    "reconcile",
]
