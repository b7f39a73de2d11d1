"""Customer detail for the partner (an extension of ours): the association, budget, control
state and account manager of one customer in one answer - what the console's customer page
shows (rules.md §5.9)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.customers.public import CustomerFilter
from partner_center.domains.identity.public import Permission
from partner_center.http.auth import CallerKind
from partner_center.http.bss.schemas import association_code
from partner_center.http.ext import PREFIX
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import UNDOCUMENTED, QueryModel, TextFilter
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import DomainError, access_denied
from partner_center.kernel.pagination import page

router = APIRouter(prefix=PREFIX, tags=["customers (extension)"])


class BudgetDetail(WireModel):
    is_set: bool
    budget_type: str
    budget_amount: Decimal
    used_amount: Decimal
    reserved_amount: Decimal
    remaining_amount: Decimal
    exhaustion_action: str
    currency: str
    measure_id: int = 1


class ControlDetail(WireModel):
    restricted: bool = Field(description="Purchases restricted")
    freeze_type: str | None = Field(description="ACCOUNT | ACCOUNT_AND_RESOURCE | null")
    reason: str | None
    by_system: bool = Field(
        description="Applied by the system (a new association, or budget exhaustion), not by "
        "a partner"
    )


class CustomerDetail(WireModel):
    customer_id: str
    account_name: str
    customer: str | None
    association_type: str
    associated_on: str
    owner_partner_id: str = Field(description="The partner (or reseller) that owns the customer")
    xaccount_id: str
    xaccount_type: str
    email: str | None
    telephone: str | None
    account_manager: str | None
    budget: BudgetDetail
    control: ControlDetail


class CustomerDetailQuery(QueryModel):
    indirect_partner_id: Annotated[TextFilter, UNDOCUMENTED] = None


@operation(router, "GET", "/customers/{customer_id}", kind=CallerKind.PARTNER)
async def show_customer_detail(
    ctx: OperationContext, customer_id: str, query: CustomerDetailQuery
) -> CustomerDetail:
    """One customer's association, budget, freeze state and account manager

    One of the partner's customers in one answer: association, contact, account manager, budget
    (with reservations and the exhaustion action) and control state (restriction, freeze and who
    applied it) — what the console's customer page shows (rules.md §5.9). A distributor names a
    reseller's customer with indirect_partner_id; members need the permission to list those
    customers.
    """
    indirect = query.indirect_partner_id
    if not ctx.caller.has(
        Permission.LIST_RESELLER_CUSTOMERS if indirect else Permission.LIST_CUSTOMERS
    ):
        raise access_denied("The member lacks the permission to view these customers.")
    rows, _ = await ctx.services.customers.list_sub_customers(
        ctx.actor,
        CustomerFilter(customer_id=customer_id, indirect_partner_id=indirect),
        page(0, 1),
    )
    if not rows:
        raise DomainError("CBC.99000035", "The customer is not a sub-customer of this partner.")
    view = rows[0]
    budget = await ctx.services.budgets.budget_of(customer_id)
    state = await ctx.services.control.state(customer_id)
    return CustomerDetail(
        **same_named(
            view, "customer_id account_name owner_partner_id xaccount_id xaccount_type email"
        ),
        customer=view.customer_name,
        association_type=association_code(view.association_type, ctx.state.site),
        associated_on=format_utc(view.associated_on),
        telephone=view.mobile.split("-")[-1] if view.mobile else None,
        account_manager=view.account_manager_names[0] if view.account_manager_names else None,
        budget=BudgetDetail(
            **same_named(budget, "is_set budget_amount used_amount reserved_amount currency"),
            budget_type=budget.budget_type.value,
            remaining_amount=budget.remaining,
            exhaustion_action=budget.exhaustion_action.value,
        ),
        control=ControlDetail(
            restricted=state.restricted,
            freeze_type=state.freeze_type.value if state.freeze_type else None,
            reason=state.freeze_reason,
            by_system=(state.restricted or state.freeze_type is not None)
            and state.frozen_by is None,
        ),
    )
