"""Roles of partner members and the Partner Center permission items they grant
(rules.md §1.18–1.22, api-semantics.md §2)."""

from __future__ import annotations

import enum

from partner_center.domains.identity.errors import IdentityErrorCode
from partner_center.kernel.errors import DomainError


class Permission(enum.StrEnum):
    LIST_CUSTOMERS = "BPC_ITEM_SUBCUSTSERV_010100"
    LIST_RESELLER_CUSTOMERS = "BPC_ITEM_SUBCUSTSERV_010500"
    CREATE_CUSTOMER = "BPC_ITEM_SUBCUSTSERV_010118"
    FREEZE_CUSTOMERS = "BPC_ITEM_SUBCUSTSERV_010115"
    FREEZE_RESELLER_CUSTOMERS = "BPC_ITEM_SUBCUSTSERV_010501"
    SET_BUDGET = "BPC_ITEM_SUBCUSTSERV_010111"
    SET_RESELLER_BUDGET = "BPC_ITEM_SUBCUSTSERV_010503"
    VIEW_CONSUMPTION_QUOTA = "BPC_ITEM_ACCOUNT_010500"
    VIEW_CUSTOMER_RESOURCES = "BPC_ITEM_SUBCUSTSERV_010105"
    RECLAIM_FROM_CUSTOMER = "BPC_ITEM_SUBCUSTSERV_010104"
    ISSUE_COUPONS = "BPC_ITEM_SUBCUSTSERV_030102"
    ISSUE_COUPONS_BATCH = "BPC_ITEM_SUBCUSTSERV_030103"
    RECLAIM_COUPON = "BPC_ITEM_SUBCUSTSERV_030201"
    RECLAIM_COUPON_QUOTA = "BPC_ITEM_SUBCUSTSERV_030601"
    RECLAIM_COUPON_QUOTA_BATCH = "BPC_ITEM_SUBCUSTSERV_030602"
    VIEW_ORDERS = "BPC_ITEM_SUBCUSTSERV_060100"
    VIEW_RESELLER_ORDERS = "BPC_ITEM_SUBCUSTSERV_060200"
    RECLAIM_FROM_RESELLER = "BPC_ITEM_SALES_020105"
    VIEW_EXPENDITURE = "BPC_ITEM_FINANCE_020101"
    VIEW_PARTNER_BILL = "BPC_ITEM_FINANCE_090100"


class Role(enum.StrEnum):
    ADMIN = "ADMIN"
    ACCOUNT_MANAGER = "ACCOUNT_MANAGER"
    ACCOUNT_DIRECTOR = "ACCOUNT_DIRECTOR"
    FINANCE = "FINANCE"
    OPERATIONS = "OPERATIONS"
    SALES_MANAGER = "SALES_MANAGER"
    TICKETS = "TICKETS"


_P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.ACCOUNT_MANAGER: frozenset(
        {_P.LIST_CUSTOMERS, _P.CREATE_CUSTOMER, _P.VIEW_CUSTOMER_RESOURCES, _P.VIEW_ORDERS}
    ),
    Role.ACCOUNT_DIRECTOR: frozenset(
        {
            _P.LIST_CUSTOMERS,
            _P.LIST_RESELLER_CUSTOMERS,
            _P.CREATE_CUSTOMER,
            _P.VIEW_CUSTOMER_RESOURCES,
            _P.VIEW_ORDERS,
            _P.VIEW_RESELLER_ORDERS,
        }
    ),
    Role.FINANCE: frozenset(
        {
            _P.LIST_CUSTOMERS,
            _P.SET_BUDGET,
            _P.SET_RESELLER_BUDGET,
            _P.VIEW_CONSUMPTION_QUOTA,
            _P.RECLAIM_FROM_CUSTOMER,
            _P.RECLAIM_FROM_RESELLER,
            _P.VIEW_EXPENDITURE,
            _P.VIEW_PARTNER_BILL,
        }
    ),
    Role.OPERATIONS: frozenset(
        {
            _P.LIST_CUSTOMERS,
            _P.LIST_RESELLER_CUSTOMERS,
            _P.FREEZE_CUSTOMERS,
            _P.FREEZE_RESELLER_CUSTOMERS,
            _P.VIEW_CUSTOMER_RESOURCES,
            _P.VIEW_ORDERS,
        }
    ),
    Role.SALES_MANAGER: frozenset(
        {
            _P.LIST_CUSTOMERS,
            _P.LIST_RESELLER_CUSTOMERS,
            _P.ISSUE_COUPONS,
            _P.ISSUE_COUPONS_BATCH,
            _P.RECLAIM_COUPON,
            _P.RECLAIM_COUPON_QUOTA,
            _P.RECLAIM_COUPON_QUOTA_BATCH,
        }
    ),
    Role.TICKETS: frozenset(),
}

MAX_ROLES = 3


def validate_roles(roles: list[str]) -> list[Role]:
    """Member role rules: 1–3 roles; Admin alone; Account Manager and Director exclusive."""
    try:
        parsed = [Role(r) for r in roles]
    except ValueError as exc:
        raise DomainError(
            IdentityErrorCode.INVALID_PARAMETER, f"Invalid parameter: roles. {exc}"
        ) from exc
    if not parsed or len(parsed) > MAX_ROLES or len(set(parsed)) != len(parsed):
        raise DomainError(
            IdentityErrorCode.INVALID_PARAMETER,
            "Invalid parameter: roles. A member holds 1 to 3 roles.",
        )
    if Role.ADMIN in parsed and len(parsed) > 1:
        raise DomainError(
            IdentityErrorCode.INVALID_PARAMETER,
            "Invalid parameter: roles. Admin cannot be combined.",
        )
    if Role.ACCOUNT_MANAGER in parsed and Role.ACCOUNT_DIRECTOR in parsed:
        raise DomainError(
            IdentityErrorCode.INVALID_PARAMETER,
            "Invalid parameter: roles. Account Manager and Account Director are exclusive.",
        )
    return parsed


def permissions_for(roles: list[str], *, is_admin: bool) -> frozenset[Permission]:
    if is_admin:
        return frozenset(Permission)
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(Role(role), frozenset())
    return frozenset(granted)


def sees_only_own_customers(roles: list[str], *, is_admin: bool) -> bool:
    """An account manager sees only its own customers unless it holds another role (§1.20)."""
    return not is_admin and roles == [Role.ACCOUNT_MANAGER.value]
