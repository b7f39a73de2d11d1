"""The customers domain's public surface."""

from partner_center.domains.customers.control import (
    Action,
    ControlState,
    CustomerControl,
    check_allowed,
)
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
    "Action",
    "AssociationStatus",
    "AssociationType",
    "ControlState",
    "CreatedCustomer",
    "Customer",
    "CustomerControl",
    "CustomerFilter",
    "CustomerService",
    "CustomerView",
    "FreezeType",
    "NewCustomer",
    "PartnerActor",
    "check_allowed",
    "check_cn_mobile",
    "check_email",
]
