"""A customer's side of its association: the partner's disassociation and association-type
change requests to approve or reject, and its own disassociation request (file, withdraw) —
the same services as the API's association operations with the customer's credentials."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from partner_center.http.auth import CallerKind
from partner_center.http.console.associations.pages import decide_disassociation
from partner_center.http.console.kit.confirm import confirm_first
from partner_center.http.console.kit.page import Page, action, view
from partner_center.kernel.pagination import page as page_window

pages = APIRouter()
CUSTOMER = CallerKind.CUSTOMER
MINE = "/console/my/association"


@view(pages, MINE, kind=CUSTOMER)
async def my_association(page: Page) -> Response:
    customer_id = page.caller.account_id
    association = await page.services.customer_associations.current(customer_id)
    partner = None
    if association is not None and association.associated:
        partner = await page.services.identity.get_account(association.partner_id)
    disassociations, _all = await page.services.disassociations.list_for_customer(
        page.caller, page_window(0, 20)
    )
    type_changes, _all = await page.services.type_changes.list_for_customer(
        page.caller, page_window(0, 20)
    )
    return page.render(
        "associations/mine.html",
        association=association,
        partner_account=partner,
        disassociations=disassociations,
        type_changes=type_changes,
    )


@action(pages, f"{MINE}/disassociation", form=my_association, fields=("reason",))
@confirm_first(lambda page: "disassociate_partner")
async def request_disassociation(page: Page) -> Response:
    await page.services.disassociations.request_by_customer(
        page.caller, reason=page.field("reason")
    )
    return page.redirect(MINE, notice="associations.disassociation_requested")


@action(pages, f"{MINE}/decide", form=my_association, fields=("request_id",))
@confirm_first(
    lambda page: (
        "approve_disassociation"
        if page.field("kind") == "disassociation" and page.field("decision") == "approve"
        else None
    )
)
async def decide(page: Page) -> Response:
    """Approve or reject the partner's request, or withdraw the customer's own."""
    request_id, decision = page.field("request_id"), page.field("decision")
    if page.field("kind") == "type_change":
        await page.services.type_changes.decide(
            page.caller, request_id, approve=decision == "approve"
        )
    else:
        await decide_disassociation(page, request_id, decision)
    return page.redirect(MINE, notice=f"associations.request_{decision}")
