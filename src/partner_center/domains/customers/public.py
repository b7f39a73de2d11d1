"""The customers domain's public surface."""

from partner_center.domains.customers.models import (
    AssociationStatus,
    AssociationType,
    Customer,
    FreezeType,
)
from partner_center.domains.customers.service import (
    CreatedCustomer,
    CustomerFilter,
    CustomerService,
    CustomerView,
    NewCustomer,
    PartnerActor,
)
from partner_center.domains.customers.validation import check_cn_mobile, check_email

__all__ = [
    "AssociationStatus",
    "AssociationType",
    "CreatedCustomer",
    "Customer",
    "CustomerFilter",
    "CustomerService",
    "CustomerView",
    "FreezeType",
    "NewCustomer",
    "PartnerActor",
    "check_cn_mobile",
    "check_email",
]
