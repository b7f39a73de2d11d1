"""The invoices domain's public surface (the only module other domains import)."""

from partner_center.domains.invoices.consumption import ConsumptionFiles, ConsumptionFileView
from partner_center.domains.invoices.service import (
    InvoiceService,
    InvoiceSettingsView,
    InvoiceView,
    Issuer,
    bill_lines,
)
from partner_center.domains.invoices.tasks import ISSUE_INVOICES, ISSUE_INVOICES_SCHEDULE

__all__ = [
    "ISSUE_INVOICES",
    "ISSUE_INVOICES_SCHEDULE",
    "ConsumptionFileView",
    "ConsumptionFiles",
    "InvoiceService",
    "InvoiceSettingsView",
    "InvoiceView",
    "Issuer",
    "bill_lines",
]
