"""The payments domain's public surface (the only module other domains import)."""

from partner_center.domains.payments.accounts import (
    NewTopUpAccount,
    TopUpAccounts,
    TopUpAccountView,
)
from partner_center.domains.payments.gateway import (
    SANDBOX_DECLINES,
    Card,
    CardBrand,
    ChargeOutcome,
    PaymentGateway,
    SandboxProcessor,
    check_card,
    luhn_valid,
)
from partner_center.domains.payments.models import RepaymentChannel, RepaymentStatus
from partner_center.domains.payments.service import (
    CardInput,
    RepaymentService,
    RepaymentView,
)
from partner_center.domains.payments.statements import (
    CSV_COLUMNS,
    MAX_RANGE_DAYS,
    AccountStatements,
    StatementRange,
    mask,
    mask_name,
    payment_channel,
)

__all__ = [
    "CSV_COLUMNS",
    "MAX_RANGE_DAYS",
    "SANDBOX_DECLINES",
    "AccountStatements",
    "Card",
    "CardBrand",
    "CardInput",
    "ChargeOutcome",
    "NewTopUpAccount",
    "PaymentGateway",
    "RepaymentChannel",
    "RepaymentService",
    "RepaymentStatus",
    "RepaymentView",
    "SandboxProcessor",
    "StatementRange",
    "TopUpAccountView",
    "TopUpAccounts",
    "check_card",
    "luhn_valid",
    "mask",
    "mask_name",
    "payment_channel",
]
