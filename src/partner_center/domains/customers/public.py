"""The customers domain's public surface."""

from partner_center.domains.customers.association import AssociationView, CustomerAssociations
from partner_center.domains.customers.codes import VerificationCodes, code_minutes
from partner_center.domains.customers.control import (
    Action,
    ControlEventView,
    ControlState,
    CustomerControl,
    check_allowed,
)
from partner_center.domains.customers.freezing import (
    MAX_CUSTOMERS_PER_CALL,
    FreezingService,
    ItemFailure,
    parse_freeze_type,
)
from partner_center.domains.customers.models import (
    AssociationStatus,
    AssociationType,
    ControlAction,
    FreezeType,
)
from partner_center.domains.customers.records import CustomerRecord, CustomerRecords
from partner_center.domains.customers.service import (
    CreatedCustomer,
    CustomerDistribution,
    CustomerFilter,
    CustomerService,
    CustomerView,
    NewCustomer,
    PartnerActor,
)
from partner_center.domains.customers.validation import (
    check_cn_mobile,
    check_domain_name,
    check_email,
    check_password,
)

__all__ = [
    "MAX_CUSTOMERS_PER_CALL",
    "Action",
    "AssociationStatus",
    "AssociationType",
    "AssociationView",
    "ControlAction",
    "ControlEventView",
    "ControlState",
    "CreatedCustomer",
    "CustomerAssociations",
    "CustomerControl",
    "CustomerDistribution",
    "CustomerFilter",
    "CustomerRecord",
    "CustomerRecords",
    "CustomerService",
    "CustomerView",
    "FreezeType",
    "FreezingService",
    "ItemFailure",
    "NewCustomer",
    "PartnerActor",
    "VerificationCodes",
    "check_allowed",
    "check_cn_mobile",
    "check_domain_name",
    "check_email",
    "check_password",
    "code_minutes",
    "parse_freeze_type",
]
