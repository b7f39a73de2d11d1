"""Customer Management: the customer list (search, filters, server-side paging) with the batch
actions Set Budget, Freeze and Unfreeze; a customer's budget adjustment records; Customer
Development: invitations by e-mail, offline link and QR code, and their history.

A reseller sees its own customers here too (the reference's reseller guide: Sales > Customers >
Customer Management), never another reseller's; it is offered Set Budget and Freeze only for
what its distributor granted, and its budget quota is shown above the list."""

from __future__ import annotations

import base64

from fastapi import APIRouter
from starlette.responses import Response

from partner_center.domains.associations.public import InvitationChannel, IssuedInvitation
from partner_center.domains.budgets.public import ExhaustionAction, RecordFilter
from partner_center.domains.customers.public import (
    AssociationType,
    CustomerFilter,
    parse_freeze_type,
)
from partner_center.domains.orders.public import OrderFilter
from partner_center.domains.partners.public import PartnerType
from partner_center.domains.resources.public import ResourceFilter
from partner_center.http.auth import CallerKind
from partner_center.http.console.customers import batch
from partner_center.http.console.kit.confirm import confirm_first
from partner_center.http.console.kit.page import (
    Page,
    account_managers,
    action,
    one_of_your_customers,
    own_customer,
    view,
)
from partner_center.http.console.kit.products import product_names
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.pagination import page as page_window

pages = APIRouter()
PARTNER = CallerKind.ANY_PARTNER
PAGE_SIZES = (10, 20, 50, 100)
CUSTOMERS = "/console/customers"


def _window(page: Page) -> tuple[int, int]:
    limit = page.int_query("limit", 20)
    return page.int_query("offset", 0), limit if limit in PAGE_SIZES else 20


def _association(text: str) -> AssociationType | None:
    return AssociationType(text) if text in AssociationType.__members__ else None


@view(pages, "/console/customers", kind=PARTNER)
async def customer_list(page: Page) -> Response:
    return await _render_list(page)


async def _render_list(page: Page, failures: batch.Failures | None = None) -> Response:
    """The list; after a batch, with the customers that were not changed (``failures``)."""
    offset, limit = _window(page)
    search = page.query("q")
    association = _association(page.query("association_type"))
    managers = await account_managers(page)
    manager_id = page.query("account_manager")
    if manager_id not in {m.member_id for m in managers}:
        manager_id = ""
    filters = CustomerFilter(
        account_name=search or None,
        association_type=association,
        account_manager_id=manager_id or None,
    )
    rows, total = await page.services.customers.list_own_customers(
        page.actor, filters, page_window(offset, limit)
    )
    grant = None
    if page.partner is not None and page.partner.partner_type == PartnerType.RESELLER:
        grant = await page.services.partners.grants_for(page.partner.partner_id)
    budgets = {}
    if rows:
        ids = [r.customer_id for r in rows]
        budgets = batch.budgets_by_customer(
            await page.services.budgets.list_budgets(page.actor, ids)
        )
    return page.render(
        "customers/list.html",
        rows=rows,
        total=total,
        offset=offset,
        limit=limit,
        q=search,
        association_type=association.value if association else "",
        managers=managers,
        account_manager=manager_id,
        budgets=budgets,
        grant=grant,
        **batch.context(page, failures),
    )


@action(
    pages,
    "/console/customers/budget",
    form=customer_list,
    fields="customer_ids budget_amount budget_type exhaustion_action accept_agreement",
)
async def set_budget(page: Page) -> Response:
    """Set the budget of the selected customers and, when chosen, the exhaustion action. The
    batch setting takes the reference's two actions; restricting purchases *and freezing
    resources* is then chosen customer by customer with the agreement accepted, as the API's
    ``budgets/exhaustion-action`` does (a refusal undoes the whole batch)."""
    budgets = page.services.budgets
    action_text = page.field("exhaustion_action")
    chosen = ExhaustionAction(action_text) if action_text in ExhaustionAction.__members__ else None
    freezing = chosen == ExhaustionAction.RESTRICT_AND_FREEZE
    outcome = await budgets.set_budgets(
        page.actor,
        batch.selected(page),
        amount=batch.budget_amount(page),
        budget_type=batch.budget_type(page),
        exhaustion_action=None if freezing else chosen,
        lift_restrictions=page.field("lift_restrictions") == "1",
    )
    if freezing:
        for customer_id in outcome.succeeded:
            await budgets.set_exhaustion_action(
                page.actor,
                customer_id,
                ExhaustionAction.RESTRICT_AND_FREEZE,
                accept_agreement=page.field("accept_agreement") == "1",
            )
    return await batch.answer(
        page,
        batch.budget_failures(outcome),
        again=_render_list,
        back=CUSTOMERS,
        notice="budget_set",
    )


@action(
    pages,
    "/console/customers/freezing",
    form=customer_list,
    fields="customer_ids reason freeze_type unfreeze_type",
)
@confirm_first(lambda page: "freeze" if page.field("change") == "freeze" else None)
async def change_freezing(page: Page) -> Response:
    freeze = page.field("change") == "freeze"
    field = "freeze_type" if freeze else "unfreeze_type"
    freeze_type = parse_freeze_type(page.field(field) or None, field)
    failures = await batch.freeze_selected(page, freeze=freeze, freeze_type=freeze_type)
    notice = "frozen" if freeze else "unfrozen"
    return await batch.answer(page, failures, again=_render_list, back=CUSTOMERS, notice=notice)


@view(pages, "/console/customers/detail", kind=PARTNER)
async def customer_detail(page: Page) -> Response:
    """One customer: its association, budget, orders and yearly/monthly resources."""
    customer_id = page.query("customer_id")
    customer = await one_of_your_customers(page, customer_id)
    orders, total = await page.services.orders.list_orders(
        page.caller, page.actor, OrderFilter(customer_id=customer_id), page_window(0, 20)
    )
    budgets = await page.services.budgets.list_budgets(page.actor, [customer_id])
    resources, _shown = await page.services.resources.list_for_customer(
        customer_id, ResourceFilter(only_main=True), page_window(0, 50)
    )
    assert page.partner is not None
    return page.render(
        "customers/detail.html",
        customer=customer,
        # A reseller acts for its customers once its distributor allows it (rules.md §1.14).
        may_act=await page.services.authorizations.reseller_may_act(page.partner),
        budget=budgets[0] if budgets else None,
        orders=orders,
        total=total,
        resources=resources,
        products=await product_names(
            page,
            services={
                *(x.service_type_code for x in orders),
                *(r.service_type_code for r in resources),
            },
        ),
    )


@view(pages, "/console/customers/budget-records", kind=PARTNER)
async def budget_records(page: Page) -> Response:
    offset, limit = _window(page)
    customer_id = page.query("customer_id")
    rows, total = await page.services.budgets.records(
        page.actor, customer_id, filters=RecordFilter(), page=page_window(offset, limit)
    )
    budget = await page.services.budgets.show_budget(page.actor, customer_id)
    # The heading names the customer (a reseller's customer, which a distributor may manage,
    # is not among the caller's own: its id stands for it).
    own = await own_customer(page, customer_id)
    return page.render(
        "customers/budget_records.html",
        customer_name=own.account_name if own else None,
        rows=rows,
        total=total,
        offset=offset,
        limit=limit,
        customer_id=customer_id,
        budget=budget,
    )


# -- Customer Development: invitations ------------------------------------------------------


@view(pages, "/console/customers/invitations", kind=PARTNER)
async def invitations(page: Page) -> Response:
    offset, limit = _window(page)
    return await _render_invitations(page, offset, limit, emails=page.field("emails"))


async def _render_invitations(
    page: Page, offset: int, limit: int, *, issued: IssuedInvitation | None = None, emails: str = ""
) -> Response:
    """The invitation history and recent links; after an offline invitation, its link (and QR
    code) once (``issued``)."""
    records, total = await page.services.invitations.history(page.actor, page_window(offset, limit))
    links, _ = await page.services.invitations.invitations(page.actor, page_window(0, 10))
    qr_png = issued.qr_png if issued is not None else None
    return page.render(
        "customers/invitations.html",
        records=records,
        links=links,
        total=total,
        offset=offset,
        limit=limit,
        issued=issued,
        qr_data=base64.b64encode(qr_png).decode() if qr_png else None,
        emails=emails,
    )


@action(
    pages,
    "/console/customers/invitations",
    form=invitations,
    fields="emails channel association_type",
)
async def invite(page: Page) -> Response:
    association = _association(page.field("association_type")) or AssociationType.RESELLER
    channel = page.field("channel", "EMAIL")
    if channel == InvitationChannel.EMAIL.value:
        emails = [e.strip() for e in page.field("emails").replace(";", ",").split(",")]
        issued = await page.services.invitations.invite_by_email(
            page.actor, [e for e in emails if e], association
        )
        return page.redirect("/console/customers/invitations", notice="invited" if issued else None)
    if channel not in InvitationChannel.__members__:
        raise invalid_parameter("channel", "Choose e-mail, offline link or QR code.")
    link = await page.services.invitations.create_link(
        page.actor, InvitationChannel(channel), association
    )
    return await _render_invitations(page, 0, 20, issued=link)


@view(pages, "/console/customers/invitations/qr", kind=PARTNER)
async def invitation_qr(page: Page) -> Response:
    """The QR code image of one of the partner's links (PNG)."""
    png = await page.services.invitations.qr_code(page.actor, page.query("link"))
    return Response(png, media_type="image/png")
