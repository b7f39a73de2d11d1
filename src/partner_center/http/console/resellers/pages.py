"""A distributor's resellers (rules.md §1.8–1.13): the reseller list with the permissions and
budget quotas granted to each (set by the distributor's administrator, as
``PUT /v1/partner-center/resellers/{id}/grants``), and the Resellers' Customers tab: every
reseller's customers in one list; with one reseller chosen, Set Budget and Freeze / Unfreeze act
for it (``indirect_partner_id``) — the budget form only while the reseller does not answer for
its customers' budgets itself (§1.10), the services deciding the rest as for the API."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from partner_center.domains.customers.public import CustomerFilter, parse_freeze_type
from partner_center.domains.partners.public import GrantView, IndirectPartnerFilter
from partner_center.http.auth import CallerKind
from partner_center.http.console.customers import batch
from partner_center.http.console.kit.forms import decimal_field
from partner_center.http.console.kit.page import Page, action, if_permitted, view
from partner_center.kernel.errors import access_denied, invalid_parameter
from partner_center.kernel.pagination import page as page_window

pages = APIRouter()
DISTRIBUTOR = CallerKind.DISTRIBUTOR
RESELLERS = "/console/resellers"
CUSTOMERS = "/console/resellers/customers"
LIMIT = 20
RESELLER_CHOICES = 100
"""The reseller filter offers this many resellers, newest first (the search field finds others)."""


@view(pages, RESELLERS, kind=DISTRIBUTOR)
async def resellers(page: Page) -> Response:
    offset = page.int_query("offset", 0)
    search = page.query("q")
    rows, total = await page.services.partners.list_indirect_partners(
        page.actor.partner_id,
        IndirectPartnerFilter(account_name=search or None),
        page_window(offset, LIMIT),
    )
    grants = {
        r.indirect_partner_id: await page.services.partners.grants_for(r.indirect_partner_id)
        for r in rows
    }
    return page.render(
        "resellers/list.html",
        rows=rows,
        grants=grants,
        total=total,
        offset=offset,
        limit=LIMIT,
        q=search,
    )


@view(pages, RESELLERS + "/grants", kind=DISTRIBUTOR)
async def reseller_grants(page: Page) -> Response:
    reseller_id = page.query("reseller_id") or page.field("reseller_id")
    reseller = await page.services.partners.reseller_of(
        distributor_id=page.actor.partner_id, reseller_id=reseller_id
    )
    grant = await page.services.partners.grants_for(reseller_id)
    on_behalf = await page.services.authorizations.on_behalf_permission(page.actor, reseller_id)
    stored = {
        "can_set_budget": grant.can_set_budget,
        "can_restrict": grant.can_restrict,
        "can_freeze_resources": grant.can_freeze_resources,
        "on_behalf": on_behalf.granted,
    }
    # A refused form shows what was submitted, not what is stored.
    checked = {n: page.field(n) == "1" if page.form is not None else v for n, v in stored.items()}
    return page.render("resellers/grants.html", reseller=reseller, grant=grant, checked=checked)


@action(
    pages, RESELLERS + "/grants", form=reseller_grants, fields=("monthly_quota", "package_quota")
)
async def set_reseller_grants(page: Page) -> Response:
    if not page.caller.is_admin:  # as the API: only the administrator grants (ext/resellers.py)
        raise access_denied("Only the account's administrator may grant reseller permissions.")
    reseller_id = page.field("reseller_id")
    monthly = page.field("monthly_quota")
    package = page.field("package_quota")
    await page.services.partners.set_grants(
        distributor_id=page.actor.partner_id,
        reseller_id=reseller_id,
        can_set_budget=page.field("can_set_budget") == "1",
        can_restrict=page.field("can_restrict") == "1",
        can_freeze_resources=page.field("can_freeze_resources") == "1",
        monthly_quota=decimal_field(monthly, "monthly_quota") if monthly else None,
        package_quota=decimal_field(package, "package_quota") if package else None,
    )
    # The distributor's permission to order and do O&M for its customers (rules.md §1.14);
    # withdrawing it revokes the authorizations its customers gave it.
    on_behalf = await page.services.authorizations.set_on_behalf_permission(
        page.actor, reseller_id, granted=page.field("on_behalf") == "1"
    )
    notice = "grants_set_revoked" if on_behalf.revoked_authorizations else "grants_set"
    return page.redirect(f"{RESELLERS}/grants?reseller_id={reseller_id}", notice=notice)


# -- Resellers' Customers -----------------------------------------------------------------


@view(pages, CUSTOMERS, kind=DISTRIBUTOR)
async def resellers_customers(page: Page) -> Response:
    return await _render_customers(page)


async def _render_customers(page: Page, failures: batch.Failures | None = None) -> Response:
    offset = page.int_query("offset", 0)
    search = page.query("q")
    reseller_id = page.query("indirect_partner_id") or page.field("indirect_partner_id")
    partners = page.services.partners
    choices, _count = await partners.list_indirect_partners(
        page.actor.partner_id, IndirectPartnerFilter(), page_window(0, RESELLER_CHOICES)
    )
    rows, total = await page.services.customers.list_resellers_customers(
        page.actor,
        CustomerFilter(account_name=search or None, indirect_partner_id=reseller_id or None),
        page_window(offset, LIMIT),
    )
    owners = {r.owner_partner_id for r in rows}
    names = await page.services.identity.accounts(owners)
    grants: dict[str, GrantView] = {o: await partners.grants_for(o) for o in owners}
    grant = await partners.grants_for(reseller_id) if reseller_id else None
    budgets = {}
    if rows and reseller_id:
        views = await if_permitted(
            page.services.budgets.list_budgets(
                page.actor, [r.customer_id for r in rows], indirect_partner_id=reseller_id
            )
        )
        budgets = batch.budgets_by_customer(views)
    return page.render(
        "resellers/customers.html",
        rows=rows,
        total=total,
        offset=offset,
        limit=LIMIT,
        q=search,
        reseller_id=reseller_id,
        choices=choices,
        names={k: v.name for k, v in names.items()},
        grants=grants,
        grant=grant,
        budgets=budgets,
        **batch.context(page, failures),
    )


def _reseller(page: Page) -> str:
    reseller_id = page.field("indirect_partner_id")
    if not reseller_id:
        raise invalid_parameter("indirect_partner_id", "Choose the reseller first.")
    return reseller_id


def _back(reseller_id: str) -> str:
    return f"{CUSTOMERS}?indirect_partner_id={reseller_id}"


@action(
    pages,
    CUSTOMERS + "/budget",
    form=resellers_customers,
    fields=("customer_ids", "budget_amount", "budget_type", "indirect_partner_id"),
)
async def set_budget(page: Page) -> Response:
    reseller_id = _reseller(page)
    outcome = await page.services.budgets.set_budgets(
        page.actor,
        batch.selected(page),
        amount=batch.budget_amount(page),
        budget_type=batch.budget_type(page),
        indirect_partner_id=reseller_id,
    )
    back = _back(reseller_id)
    failures = batch.budget_failures(outcome)
    return await batch.answer(
        page, failures, again=_render_customers, back=back, notice="budget_set"
    )


@action(
    pages,
    CUSTOMERS + "/freezing",
    form=resellers_customers,
    fields=("customer_ids", "reason", "freeze_type", "indirect_partner_id"),
)
async def change_freezing(page: Page) -> Response:
    reseller_id = _reseller(page)
    freeze = page.field("change") == "freeze"
    freeze_type = parse_freeze_type(page.field("freeze_type") or None, "freeze_type")
    failures = await batch.freeze_selected(
        page, freeze=freeze, freeze_type=freeze_type, indirect_partner_id=reseller_id
    )
    notice = "frozen" if freeze else "unfrozen"
    back = _back(reseller_id)
    return await batch.answer(page, failures, again=_render_customers, back=back, notice=notice)
