"""Who may read a partner's bills: the Partner Bills menu (bills, amount due, account
statements, invoices, bill exports) needs the permission item ``BPC_ITEM_FINANCE_090100``
(``Permission.VIEW_PARTNER_BILL``, held by Admin and Finance, rules.md §1.18–1.22); the
customers' consumption records (the partner-facing expenditure reads of the BSS API) need
``BPC_ITEM_FINANCE_020101`` (``Permission.VIEW_EXPENDITURE``, held by Admin and Finance,
rules.md §1.22).

Every read of those pages, through the API, the console or a background export, asks here
first, so all of them refuse a member without it the same way: ``CBC.0151``."""

from __future__ import annotations

from partner_center.domains.customers.public import PartnerActor
from partner_center.domains.identity.public import Permission
from partner_center.kernel.errors import access_denied


def bill_reader(actor: PartnerActor) -> str:
    """The partner whose bills ``actor`` may read (``CBC.0151`` without the permission)."""
    if not actor.caller.has(Permission.VIEW_PARTNER_BILL):
        raise access_denied("The member lacks the permission to view partner bills.")
    return actor.partner_id


def expenditure_reader(actor: PartnerActor) -> str:
    """The partner whose customers' consumption records ``actor`` may read (``CBC.0151``
    without the permission)."""
    if not actor.caller.has(Permission.VIEW_EXPENDITURE):
        raise access_denied("The member lacks the permission to view consumption records.")
    return actor.partner_id
