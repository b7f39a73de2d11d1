"""Error codes of association, invitation, authorization and account-manager operations.

Documented reference codes are used where one fits (api-semantics.md §5.2). The reference
documents association failure *reasons* (rules.md §2.2) but no codes for them, so each reason gets
an extension code in the ``CBC.9911xxxx`` range, which no documented code uses; the message is the
reason in words. All of them answer HTTP 400 (the registry default).
"""

from __future__ import annotations

import enum

from partner_center.kernel.errors import DomainError


class FailureReason(enum.StrEnum):
    """Why an association through an invitation failed (rules.md §2.2)."""

    # Retryable by re-sending the invitation (§2.2.1).
    SYSTEM_BUSY = "SYSTEM_BUSY"
    LINK_NOT_EXIST = "LINK_NOT_EXIST"
    LINK_EXPIRED = "LINK_EXPIRED"
    INVITATION_CODE_USED = "INVITATION_CODE_USED"
    LINK_USED = "LINK_USED"
    PREPAID_PARTNER_RESELLER_MODEL = "PREPAID_PARTNER_RESELLER_MODEL"
    # Not associable (§2.2.2, §2.2.4, §2.2.5, §2.2.7).
    PRE_REGISTERED_BY_ANOTHER_PARTNER = "PRE_REGISTERED_BY_ANOTHER_PARTNER"
    CUSTOMER_IS_PARTNER = "CUSTOMER_IS_PARTNER"
    ASSOCIATED_WITH_ANOTHER_PARTNER = "ASSOCIATED_WITH_ANOTHER_PARTNER"
    ALREADY_ASSOCIATED_WITH_THIS_PARTNER = "ALREADY_ASSOCIATED_WITH_THIS_PARTNER"
    SPECIAL_CONTRACT = "SPECIAL_CONTRACT"
    INTERNAL_ACCOUNT = "INTERNAL_ACCOUNT"
    ENTERPRISE_INDEPENDENT_ACCOUNTING = "ENTERPRISE_INDEPENDENT_ACCOUNTING"
    REGISTERED_ON_OTHER_SITE = "REGISTERED_ON_OTHER_SITE"
    REGISTERED_TOO_LONG_OR_CASH_SPEND = "REGISTERED_TOO_LONG_OR_CASH_SPEND"
    UNPAID_BILLS = "UNPAID_BILLS"
    RESERVED_INSTANCES = "RESERVED_INSTANCES"
    ENTERPRISE_MEMBER_ACCOUNT = "ENTERPRISE_MEMBER_ACCOUNT"
    ACCOUNT_SUSPENDED = "ACCOUNT_SUSPENDED"
    PARTNER_RESTRICTED = "PARTNER_RESTRICTED"
    DISTRIBUTOR_RESTRICTED = "DISTRIBUTOR_RESTRICTED"
    PARTNER_EXITED = "PARTNER_EXITED"
    MODEL_NOT_ALLOWED = "MODEL_NOT_ALLOWED"

    @property
    def code(self) -> str:
        return _FAILURES[self][0]

    @property
    def message(self) -> str:
        return _FAILURES[self][1]

    @property
    def retryable(self) -> bool:
        """Whether re-sending the invitation can succeed once the cause is gone."""
        return self in _RETRYABLE

    def error(self) -> DomainError:
        return DomainError(self.code, self.message, {"reason": self.value})


_R = FailureReason
_FAILURES: dict[FailureReason, tuple[str, str]] = {
    _R.SYSTEM_BUSY: ("CBC.99110001", "The system is busy. Try again or contact support."),
    _R.LINK_NOT_EXIST: ("CBC.99110002", "The invitation link does not exist or was withdrawn."),
    _R.LINK_EXPIRED: ("CBC.99110003", "The invitation link has expired; ask for a new one."),
    _R.INVITATION_CODE_USED: ("CBC.99110004", "The invitation code has already been used."),
    _R.LINK_USED: ("CBC.99110005", "The invitation link has already been used."),
    _R.PREPAID_PARTNER_RESELLER_MODEL: (
        "CBC.99110006",
        "Prepaid partners cannot develop reseller-model customers.",
    ),
    _R.PRE_REGISTERED_BY_ANOTHER_PARTNER: (
        "CBC.99110007",
        "The customer has been pre-registered by another partner.",
    ),
    _R.CUSTOMER_IS_PARTNER: (
        "CBC.99110008",
        "The account is a partner (or is applying to be one) and cannot become a customer.",
    ),
    _R.ASSOCIATED_WITH_ANOTHER_PARTNER: (
        "CBC.99110009",
        "The customer is already associated with another partner.",
    ),
    _R.ALREADY_ASSOCIATED_WITH_THIS_PARTNER: (
        "CBC.99110010",
        "The customer is already associated with this partner.",
    ),
    _R.SPECIAL_CONTRACT: ("CBC.99110011", "The customer has a special contract with the cloud."),
    _R.INTERNAL_ACCOUNT: (
        "CBC.99110012",
        "The account is an internal account of the cloud operator.",
    ),
    _R.ENTERPRISE_INDEPENDENT_ACCOUNTING: (
        "CBC.99110013",
        "The customer's enterprise master account already has an independent-accounting member.",
    ),
    _R.REGISTERED_ON_OTHER_SITE: (
        "CBC.99110014",
        "The customer is registered on another site (Chinese mainland).",
    ),
    _R.REGISTERED_TOO_LONG_OR_CASH_SPEND: (
        "CBC.99110015",
        "The customer registered more than 7 days ago or has cash spend; a manual review is "
        "needed.",
    ),
    _R.UNPAID_BILLS: ("CBC.99110016", "The customer has unpaid bills."),
    _R.RESERVED_INSTANCES: (
        "CBC.99110017",
        "The customer holds valid reserved instances; the reseller model is not possible.",
    ),
    _R.ENTERPRISE_MEMBER_ACCOUNT: (
        "CBC.99110018",
        "The customer is an enterprise member account; the reseller model is not possible.",
    ),
    _R.ACCOUNT_SUSPENDED: ("CBC.99110019", "The customer account is suspended."),
    _R.PARTNER_RESTRICTED: (
        "CBC.50010085",
        "The partner enterprise is restricted; it cannot acquire customers.",
    ),
    _R.DISTRIBUTOR_RESTRICTED: (
        "CBC.50010086",
        "The reseller's distributor is restricted; it cannot acquire customers.",
    ),
    _R.PARTNER_EXITED: (
        "CBC.50010065",
        "The partner (or the reseller's distributor) has exited; no association is possible.",
    ),
    _R.MODEL_NOT_ALLOWED: (
        "CBC.99110020",
        "The partner may not develop customers in this association model (the referral model "
        "must be unlocked by the ecosystem manager).",
    ),
}
_RETRYABLE = frozenset(
    {
        _R.SYSTEM_BUSY,
        _R.LINK_NOT_EXIST,
        _R.LINK_EXPIRED,
        _R.INVITATION_CODE_USED,
        _R.LINK_USED,
        _R.PREPAID_PARTNER_RESELLER_MODEL,
        _R.PARTNER_RESTRICTED,
        _R.DISTRIBUTOR_RESTRICTED,
        _R.MODEL_NOT_ALLOWED,
    }
)


class AssociationErrorCode(enum.StrEnum):
    """The reference error codes of this domain."""

    #: Disassociation or type change refused by an eligibility check (rules.md §2.6.5).
    PRECHECK_FAILED = "CBC.99007004"
    #: Too many requests in the window (rules.md §2.5.3, §2.6.4).
    TOO_FREQUENT = "CBC.99008040"
    #: The request was already handled (or is not waiting for this party).
    NOT_PENDING = "CBC.99110030"
    #: Another request on the same customer is still open.
    REQUEST_OPEN = "CBC.99110031"
    #: The partner already holds an active authorization of this customer.
    ALREADY_AUTHORIZED = "CBC.99110032"
    #: The customer's association type does not allow the operation (reference: legacy APIs).
    WRONG_ASSOCIATION_TYPE = "CBC.5024"
    #: A reseller lacks its distributor's permission (reference: "contact the associated partner").
    NEEDS_DISTRIBUTOR_PERMISSION = "CBC.18000016"
    NOT_YOUR_CUSTOMER = "CBC.99000035"
    NOT_YOUR_RESELLER = "CBC.99000037"
    INVALID_PARAMETER = "CBC.0100"
    ACCESS_DENIED = "CBC.0151"


def not_your_customer() -> DomainError:
    return DomainError(
        AssociationErrorCode.NOT_YOUR_CUSTOMER,
        "The customer is not a sub-customer of this partner.",
    )


def not_your_reseller() -> DomainError:
    return DomainError(
        AssociationErrorCode.NOT_YOUR_RESELLER,
        "You have no permission to operate this reseller (indirect partner).",
    )


def no_such(kind: str, field: str) -> DomainError:
    """Unknown id, or one that belongs to someone else (the answer does not tell which)."""
    return DomainError(
        AssociationErrorCode.INVALID_PARAMETER,
        f"Invalid parameter: {field}. No such {kind}.",
        {"field": field},
    )


def not_pending(kind: str, status: str) -> DomainError:
    return DomainError(
        AssociationErrorCode.NOT_PENDING,
        f"The {kind} is {status}; only a pending one can be handled.",
    )


def admin_only(what: str) -> DomainError:
    return DomainError(
        AssociationErrorCode.ACCESS_DENIED,
        f"Access denied: only the partner administrator may {what}.",
    )
