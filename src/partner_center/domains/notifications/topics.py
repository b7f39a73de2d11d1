"""Topics an account can subscribe recipients to (Message Center > SMS & Email Settings), and
who may manage each topic's recipients."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from partner_center.domains.identity.public import Role
from partner_center.kernel.errors import access_denied, invalid_parameter

#: Topic of partner-budget alerts (75 %, 90 %, 100 %; rules.md §3.12, §12.1).
PARTNER_BUDGET = "PARTNER_BUDGET"
#: Topic of the partner's bills and credit: consumption-quota threshold passed, bill overdue
#: (rules.md §6.9, §6.17).
PARTNER_BILLING = "PARTNER_BILLING"
#: Topic of association and disassociation requests and their outcomes (rules.md §2.6.2, §12.5).
CUSTOMER_ASSOCIATION = "CUSTOMER_ASSOCIATION"
#: Topic of service-ticket changes (rules.md §9): submitted, answered, state changes.
SERVICE_TICKET = "SERVICE_TICKET"
#: Topic of invoices and other finance documents (rules.md §6.19, §12.5).
INVOICE = "INVOICE"


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    category: str
    """The Message Center category the console files the topic under."""
    description: str
    managed_by: frozenset[Role]
    """Member roles, besides the administrator, that may list and change the recipients."""


TOPICS: dict[str, Topic] = {
    PARTNER_BUDGET: Topic(
        name=PARTNER_BUDGET,
        category="Finance",
        description="Customer budget usage passed 75 %, 90 % or 100 % (rules.md §3.12, §12.1).",
        managed_by=frozenset({Role.FINANCE}),
    ),
    PARTNER_BILLING: Topic(
        name=PARTNER_BILLING,
        category="Finance",
        description="The used consumption quota reached the partner's threshold, or a bill is "
        "overdue (rules.md §6.9, §6.17).",
        managed_by=frozenset({Role.FINANCE}),
    ),
    CUSTOMER_ASSOCIATION: Topic(
        name=CUSTOMER_ASSOCIATION,
        category="Customer management",
        description="A customer asked to associate or disassociate, or answered the partner's "
        "request (rules.md §2.6.2, §12.5).",
        managed_by=frozenset({Role.ACCOUNT_DIRECTOR, Role.OPERATIONS}),
    ),
    SERVICE_TICKET: Topic(
        name=SERVICE_TICKET,
        category="Service tickets",
        description="A service ticket was submitted, answered or changed state (rules.md §9).",
        managed_by=frozenset({Role.TICKETS, Role.FINANCE}),
    ),
    INVOICE: Topic(
        name=INVOICE,
        category="Finance",
        description="A monthly invoice was issued (rules.md §6.19, §12.5).",
        managed_by=frozenset({Role.FINANCE}),
    ),
}


def topic(name: str) -> Topic:
    """The topic called ``name``; ``CBC.0100`` naming the ``topic`` field otherwise."""
    found = TOPICS.get(name)
    if found is None:
        raise invalid_parameter("topic", f"Use one of: {', '.join(sorted(TOPICS))}.")
    return found


def may_manage(found: Topic, *, roles: Iterable[str], is_admin: bool) -> bool:
    return is_admin or any(role in found.managed_by for role in roles)


def require_manager(name: str, *, roles: Iterable[str], is_admin: bool) -> Topic:
    """The topic, if the member may manage its recipients; ``CBC.0151`` otherwise."""
    found = topic(name)
    if not may_manage(found, roles=roles, is_admin=is_admin):
        raise access_denied(
            f"Only the administrator or a member with the role "
            f"{' or '.join(sorted(found.managed_by))} may manage {name} recipients."
        )
    return found
