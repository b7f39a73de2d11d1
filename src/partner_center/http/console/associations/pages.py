"""A customer's association from the partner's side: its account manager (assign, withdraw,
history; rules.md §1.19–1.20, §8.5), association-type change requests (§2.5) and
disassociation requests (§2.6) — filed, listed with their state, withdrawn, and, for the
customer's own disassociation requests, approved or rejected — and the request for the
customer's authorization to order and do O&M on its behalf (§5.1–5.2; a reseller's needs its
distributor's permission first, §1.14). The same services as the API's
``/v1/partner-center/…`` association operations."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from partner_center.domains.associations.public import RequestStatus
from partner_center.domains.customers.public import AssociationType
from partner_center.http.auth import CallerKind
from partner_center.http.console.kit.confirm import confirm_first
from partner_center.http.console.kit.page import (
    Page,
    account_managers,
    action,
    if_permitted,
    one_of_your_customers,
    view,
)
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.pagination import page as page_window

pages = APIRouter()
PARTNER = CallerKind.ANY_PARTNER
RELATIONSHIP = "/console/customers/association"
REQUESTS = "/console/customers/requests"
TABS = ("disassociations", "type_changes")


def _status(text: str) -> RequestStatus | None:
    return RequestStatus(text) if text in RequestStatus.__members__ else None


@view(pages, RELATIONSHIP, kind=PARTNER)
async def relationship(page: Page) -> Response:
    """One customer: its account manager and history, and the forms that ask to change its
    association type or to end the association."""
    customer_id = page.field("customer_id")
    customer = await one_of_your_customers(page, customer_id)
    history = await if_permitted(page.services.account_managers.history(page.actor, customer_id))
    managers = await account_managers(page)
    current = history[0] if history and history[0].ended_at is None else None
    return page.render(
        "associations/relationship.html",
        customer=customer,
        history=history,
        managers=managers,
        current=current,
        types=[t.value for t in AssociationType],
    )


@action(pages, f"{RELATIONSHIP}/manager", form=relationship, fields=("member_id",))
@confirm_first(lambda page: "withdraw_manager" if page.field("change") == "withdraw" else None)
async def change_manager(page: Page) -> Response:
    customer_id = page.field("customer_id")
    managers = page.services.account_managers
    if page.field("change") == "withdraw":
        await managers.withdraw(page.actor, customer_id)
        notice = "associations.manager_withdrawn"
    else:
        await managers.assign(page.actor, customer_id, page.field("member_id"))
        notice = "associations.manager_assigned"
    return page.redirect(f"{RELATIONSHIP}?customer_id={customer_id}", notice=notice)


@action(pages, f"{RELATIONSHIP}/type-change", form=relationship, fields=("association_type",))
async def request_type_change(page: Page) -> Response:
    target = page.field("association_type")
    if target not in AssociationType.__members__:
        raise invalid_parameter("association_type", "Choose the reseller or the referral model.")
    await page.services.type_changes.request(
        page.actor, page.field("customer_id"), AssociationType(target)
    )
    return page.redirect(
        f"{REQUESTS}?tab=type_changes", notice="associations.type_change_requested"
    )


@action(
    pages,
    f"{RELATIONSHIP}/authorization",
    form=relationship,
    fields=("commitment_letter_accepted",),
)
async def request_authorization(page: Page) -> Response:
    """Ask the customer to authorize orders and O&M on its behalf, as the API's authorization
    request; a reseller is refused until its distributor allows it (rules.md §1.14)."""
    customer_id = page.field("customer_id")
    await page.services.authorizations.request(
        page.actor, customer_id, commitment_accepted=page.field("commitment_accepted") == "1"
    )
    return page.redirect(
        f"{RELATIONSHIP}?customer_id={customer_id}", notice="associations.authorization_requested"
    )


@action(
    pages,
    f"{RELATIONSHIP}/disassociation",
    form=relationship,
    fields=("reason", "statement_accepted"),
)
@confirm_first(lambda page: "disassociate")
async def request_disassociation(page: Page) -> Response:
    await page.services.disassociations.request_by_partner(
        page.actor,
        page.field("customer_id"),
        reason=page.field("reason"),
        statement_accepted=page.field("statement_accepted") == "1",
    )
    return page.redirect(
        f"{REQUESTS}?tab=disassociations", notice="associations.disassociation_requested"
    )


async def decide_disassociation(page: Page, request_id: str, decision: str) -> None:
    """Withdraw (``cancel``) one's own disassociation request, or approve / reject the other
    side's — as the partner or as the customer, whoever is signed in (the API's
    ``disassociations/{id}/approve|reject|cancel``)."""
    service = page.services.disassociations
    as_partner = page.partner is not None
    if decision == "cancel":
        if as_partner:
            await service.cancel_as_partner(page.actor, request_id)
        else:
            await service.cancel_as_customer(page.caller, request_id)
        return
    approve, why = decision == "approve", page.field("rejection_reason") or None
    if as_partner:
        await service.decide_as_partner(
            page.actor, request_id, approve=approve, rejection_reason=why
        )
    else:
        await service.decide_as_customer(
            page.caller, request_id, approve=approve, rejection_reason=why
        )


@view(pages, REQUESTS, kind=PARTNER)
async def requests(page: Page) -> Response:
    """Manage Association Records: the partner's disassociation requests (either side's) and
    its type-change requests, with their state, by status, paged on the server."""
    tab = page.query("tab") if page.query("tab") in TABS else TABS[0]
    offset = page.int_query("offset", 0)
    status = _status(page.query("status"))
    window = page_window(offset, 20)
    if tab == "disassociations":
        rows, total = await page.services.disassociations.list_for_partner(
            page.actor, window, status=status
        )
    else:
        rows, total = await page.services.type_changes.list_for_partner(  # type: ignore[assignment]
            page.actor, window, status=status
        )
    return page.render(
        "associations/requests.html",
        tab=tab,
        rows=rows,
        total=total,
        offset=offset,
        limit=20,
        status=status.value if status else "",
        statuses=[s.value for s in RequestStatus],
    )


@action(pages, f"{REQUESTS}/decide", form=requests, fields=("request_id",))
@confirm_first(
    lambda page: "approve_disassociation" if page.field("decision") == "approve" else None
)
async def decide_request(page: Page) -> Response:
    """Withdraw the partner's own pending request, or approve / reject the customer's
    disassociation request."""
    request_id, decision = page.field("request_id"), page.field("decision")
    tab = page.field("tab") if page.field("tab") in TABS else TABS[0]
    if decision == "cancel" and tab == "type_changes":
        await page.services.type_changes.cancel(page.actor, request_id)
    else:
        await decide_disassociation(page, request_id, decision)
    return page.redirect(f"{REQUESTS}?tab={tab}", notice=f"associations.request_{decision}")
