"""Budget operations of the partner API (api-semantics.md §3.3): show_sub_customer_budget,
list_sub_customer_budget, update_sub_customer_budget, list_sub_customer_budget_records; and two
extensions of ours under ``/v1/partner-center/budgets`` (batch setting, the exhaustion action).

Wire mapping decisions:

* ``frozen_operate_type`` 0 = MANUAL (no automatic action), 1 = RESTRICT (purchases are
  restricted automatically when the budget runs out). The newest third option, restrict
  purchases *and freeze resources*, needs the partner to accept an agreement, which the
  reference API cannot express: it is set through ``POST /v1/partner-center/budgets/
  exhaustion-action`` with ``accept_agreement: true``.
* ``cancel_partner_frozen`` "1" also lifts the customer's purchase restriction and freeze;
  absent, empty or "0" leaves them.
* Amounts are JSON numbers rounded half-up to 2 decimals; ``measure_id`` is 1 (the main unit)
  and ``currency`` the site currency.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.budgets.public import (
    BudgetSetting,
    BudgetType,
    BudgetView,
    ExhaustionAction,
    RecordFilter,
    RecordOperation,
    display_amount,
)
from partner_center.http.auth import CallerKind
from partner_center.http.bss.sdk_models import sdk_model
from partner_center.http.formats import optional_utc
from partner_center.http.headers import VerificationCodeHeader
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import Doc, Int, QueryModel
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.pagination import page

router = APIRouter(tags=["budgets"])
_EXTENSION = "/v1/partner-center/budgets"
_EXTENSION_TAGS = ["budgets (extension)"]
_BUDGET = "/v2/partners/sub-customers/budget"

MEASURE_ID = 1
#: ``frozen_operate_type`` → the exhaustion action it selects.
FROZEN_OPERATE_TYPES = {0: ExhaustionAction.MANUAL, 1: ExhaustionAction.RESTRICT}


# -- wire models (field for field as the official SDK's) --------------------------------------


class ModSubCustomerBudgetReq(WireModel):
    customer_id: str = Field(max_length=64)
    budget_amount: Decimal = Field(description="(0, 2147483647], at most 2 decimals")
    cancel_partner_frozen: str | None = Field(
        default=None, description='"1" also lifts the restriction and freeze; default "0"'
    )
    indirect_partner_id: str | None = Field(default=None, max_length=64)
    budget_type: str | None = Field(default=None, description="MONTHLY (default) | PACKAGE")
    frozen_operate_type: int | None = Field(
        default=None,
        description="Action on exhaustion: 0 manual, 1 restrict purchases. Absent keeps the "
        "current action (manual on a first budget).",
    )


@sdk_model()
class ShowSubCustomerBudgetResponse(WireModel):
    pass


class ListSubCustomerBudgetReq(WireModel):
    customer_ids: list[str] = Field(description="1 to 100 customer IDs")
    indirect_partner_id: str | None = Field(default=None, max_length=64)


@sdk_model()
class BudgetInfo(WireModel):
    pass


@sdk_model()
class ListSubCustomerBudgetResponse(WireModel):
    budget_infos: list[BudgetInfo] = Field(default_factory=list)


@sdk_model()
class BudgetRecordInfo(WireModel):
    pass


@sdk_model()
class ListSubCustomerBudgetRecordsResponse(WireModel):
    record_list: list[BudgetRecordInfo] = Field(default_factory=list)


# -- extension wire models --------------------------------------------------------------------


class BudgetDetail(WireModel):
    """A customer's budget with what the reference API does not show."""

    customer_id: str
    is_set: bool = Field(description="False: no budget, the customer cannot buy")
    budget_type: str
    budget_amount: Decimal
    used_amount: Decimal
    reserved_amount: Decimal = Field(description="Held by purchases not yet charged")
    remaining_amount: Decimal = Field(description="Budget − used − reserved; may be negative")
    measure_id: int
    currency: str
    exhaustion_action: str = Field(description="MANUAL | RESTRICT | RESTRICT_AND_FREEZE")
    period_starts_at: str | None = Field(default=None, description="UTC")


class ExhaustionActionReq(WireModel):
    customer_id: str = Field(max_length=64)
    action: str = Field(description="MANUAL | RESTRICT | RESTRICT_AND_FREEZE")
    accept_agreement: bool = Field(
        default=False,
        description="Required true for RESTRICT_AND_FREEZE: the partner accepts the Agreement "
        "for Partners to Manage Customer Budgets.",
    )
    indirect_partner_id: str | None = Field(default=None, max_length=64)


class BatchBudgetReq(WireModel):
    customer_ids: list[str] = Field(description="1 to 100 customer IDs")
    budget_amount: Decimal = Field(description="(0, 2147483647], at most 2 decimals")
    budget_type: str | None = Field(default=None, description="MONTHLY (default) | PACKAGE")
    frozen_operate_type: int | None = Field(default=None, description="0 manual, 1 restrict")
    cancel_partner_frozen: str | None = Field(default=None, description='"0" (default) | "1"')
    indirect_partner_id: str | None = Field(default=None, max_length=64)


@sdk_model(fields="id error_code error_msg", required="*")
class ErrorDetail(WireModel):
    pass


class BatchBudgetResponse(WireModel):
    success_customer_ids: list[str] = Field(default_factory=list)
    error_details: list[ErrorDetail] = Field(default_factory=list)


# -- helpers ----------------------------------------------------------------------------------


def _optional(value: str | None) -> str | None:
    """Absent and empty mean "not given" for identifiers (api-semantics.md §1.4)."""
    return value or None


def budget_type_of(value: str | None) -> BudgetType:
    if value is None:
        return BudgetType.MONTHLY
    try:
        return BudgetType(value)
    except ValueError as exc:
        raise invalid_parameter("budget_type", "Use MONTHLY or PACKAGE.") from exc


def action_of(frozen_operate_type: int | None) -> ExhaustionAction | None:
    if frozen_operate_type is None:
        return None
    if frozen_operate_type not in FROZEN_OPERATE_TYPES:
        raise invalid_parameter(
            "frozen_operate_type", "Use 0 (manual) or 1 (restrict purchases automatically)."
        )
    return FROZEN_OPERATE_TYPES[frozen_operate_type]


def lift_of(cancel_partner_frozen: str | None) -> bool:
    if cancel_partner_frozen in (None, "", "0"):
        return False
    if cancel_partner_frozen == "1":
        return True
    raise invalid_parameter("cancel_partner_frozen", 'Use "0" or "1".')


class CustomerBudgetQuery(QueryModel):
    customer_id: Annotated[str | None, Doc("The customer (1 to 64 characters)", required=True)] = (
        None
    )
    indirect_partner_id: Annotated[
        str | None, Doc("A distributor's reseller whose customer this is")
    ] = None

    @property
    def required_customer_id(self) -> str:
        if not self.customer_id or len(self.customer_id) > 64:
            raise invalid_parameter("customer_id", "Required, 1 to 64 characters.")
        return self.customer_id


class BudgetRecordsQuery(CustomerBudgetQuery):
    operation_type: Annotated[str | None, Doc("SETTING | DELETE (association removed)")] = None
    budget_type: Annotated[str | None, Doc("MONTHLY | PACKAGE")] = None
    offset: Annotated[Int, Doc("0-based row offset, 0 to 2147483647 (default 0)")] = None
    limit: Annotated[Int, Doc("1 to 100 (default 10)")] = None


def _detail(view: BudgetView) -> BudgetDetail:
    return BudgetDetail(
        **same_named(view, "customer_id is_set currency"),
        budget_type=view.budget_type.value,
        **same_named(view, "budget_amount used_amount reserved_amount", via=display_amount),
        remaining_amount=display_amount(view.remaining),
        measure_id=MEASURE_ID,
        exhaustion_action=view.exhaustion_action.value,
        period_starts_at=optional_utc(view.period_starts_at),
    )


# -- the reference operations -----------------------------------------------------------------


@operation(router, "GET", _BUDGET, kind=CallerKind.PARTNER)
async def show_sub_customer_budget(
    ctx: OperationContext, query: CustomerBudgetQuery
) -> ShowSubCustomerBudgetResponse:
    """Show a reseller-model customer's budget and its use in the current period"""
    view = await ctx.services.budgets.show_budget(
        ctx.actor,
        query.required_customer_id,
        indirect_partner_id=_optional(query.indirect_partner_id),
    )
    return ShowSubCustomerBudgetResponse(
        **same_named(view, "budget_amount used_amount", via=display_amount),
        measure_id=MEASURE_ID,
        currency=view.currency,
        budget_type=view.budget_type.value,
    )


@operation(router, "POST", f"{_BUDGET}/query", kind=CallerKind.PARTNER, transaction="read_only")
async def list_sub_customer_budget(
    ctx: OperationContext, body: ListSubCustomerBudgetReq
) -> ListSubCustomerBudgetResponse:
    """Budgets of up to 100 customers; others' and referral customers are left out"""
    views = await ctx.services.budgets.list_budgets(
        ctx.actor, body.customer_ids, indirect_partner_id=_optional(body.indirect_partner_id)
    )
    return ListSubCustomerBudgetResponse(
        measure_id=MEASURE_ID,
        currency=ctx.state.settings.currency,
        budget_infos=[
            BudgetInfo(
                customer_id=v.customer_id,
                **same_named(v, "budget_amount used_amount", via=display_amount),
                budget_type=v.budget_type.value,
            )
            for v in views
        ],
    )


@operation(router, "POST", _BUDGET, kind=CallerKind.PARTNER)
async def update_sub_customer_budget(
    ctx: OperationContext, body: ModSubCustomerBudgetReq, verification_code: VerificationCodeHeader
) -> None:
    """Set a reseller-model customer's budget (and optionally lift its restriction)"""
    await ctx.services.critical_operations.check(
        ctx.caller.account_id, verification_code, operation="update_sub_customer_budget"
    )
    setting = BudgetSetting(
        customer_id=body.customer_id,
        amount=body.budget_amount,
        budget_type=budget_type_of(body.budget_type),
        exhaustion_action=action_of(body.frozen_operate_type),
        lift_restrictions=lift_of(body.cancel_partner_frozen),
    )
    await ctx.services.budgets.set_budget(
        ctx.actor, setting, indirect_partner_id=_optional(body.indirect_partner_id)
    )


@operation(router, "GET", f"{_BUDGET}/records", kind=CallerKind.PARTNER, transaction="read_only")
async def list_sub_customer_budget_records(
    ctx: OperationContext, query: BudgetRecordsQuery
) -> ListSubCustomerBudgetRecordsResponse:
    """Budget adjustment records of a customer, newest first"""
    customer_id = query.required_customer_id
    operation = query.operation_type
    try:
        operation_type = None if operation is None else RecordOperation(operation)
    except ValueError as exc:
        raise invalid_parameter("operation_type", "Use SETTING or DELETE.") from exc
    kind = query.budget_type
    window = page(query.offset, query.limit)
    rows, total = await ctx.services.budgets.records(
        ctx.actor,
        customer_id,
        indirect_partner_id=_optional(query.indirect_partner_id),
        filters=RecordFilter(
            operation_type=operation_type,
            budget_type=None if kind is None else budget_type_of(kind),
        ),
        page=window,
    )
    return ListSubCustomerBudgetRecordsResponse(
        total_count=total,
        measure_id=MEASURE_ID,
        currency=ctx.state.settings.currency,
        record_list=[
            BudgetRecordInfo(
                **same_named(r, "operator partner_corp_name partner_account_name"),
                budget_amount=display_amount(r.budget_amount),
                operation_type=r.operation_type.value,
                operation_time=format_utc(r.operation_time),
                budget_type=r.budget_type.value,
            )
            for r in rows
        ],
    )


# -- extensions of ours -----------------------------------------------------------------------


@operation(router, "GET", _EXTENSION, kind=CallerKind.PARTNER, tags=_EXTENSION_TAGS)
async def show_budget_detail(ctx: OperationContext, query: CustomerBudgetQuery) -> BudgetDetail:
    """A customer's budget with its reservations, remaining amount and exhaustion action

    What show_sub_customer_budget answers plus what the reference does not show: the amount
    reserved by purchases not yet charged, the remaining amount (budget − used − reserved), the
    exhaustion action and the start of the current period. A distributor names a reseller's
    customer with indirect_partner_id.
    """
    view = await ctx.services.budgets.show_budget(
        ctx.actor,
        query.required_customer_id,
        indirect_partner_id=_optional(query.indirect_partner_id),
    )
    return _detail(view)


@operation(
    router, "POST", f"{_EXTENSION}/exhaustion-action", kind=CallerKind.PARTNER, tags=_EXTENSION_TAGS
)
async def set_budget_exhaustion_action(
    ctx: OperationContext, body: ExhaustionActionReq
) -> BudgetDetail:
    """Choose the action on budget exhaustion: MANUAL, RESTRICT or RESTRICT_AND_FREEZE

    RESTRICT_AND_FREEZE restricts purchases and freezes the customer's resources when its budget
    runs out; it needs `accept_agreement: true` (the Agreement for Partners to Manage Customer
    Budgets). A restriction from exhaustion is lifted automatically when the budget is restored
    or raised; a freeze stays until the partner unfreezes. The action applies from the next
    exhaustion on.
    """
    try:
        action = ExhaustionAction(body.action)
    except ValueError as exc:
        raise invalid_parameter("action", "Use MANUAL, RESTRICT or RESTRICT_AND_FREEZE.") from exc
    view = await ctx.services.budgets.set_exhaustion_action(
        ctx.actor,
        body.customer_id,
        action,
        accept_agreement=body.accept_agreement,
        indirect_partner_id=_optional(body.indirect_partner_id),
    )
    return _detail(view)


@operation(router, "POST", f"{_EXTENSION}/batch", kind=CallerKind.PARTNER, tags=_EXTENSION_TAGS)
async def batch_update_sub_customer_budget(
    ctx: OperationContext, body: BatchBudgetReq
) -> BatchBudgetResponse:
    """Set one budget on up to 100 customers; failures are listed per customer

    Each customer's previous budget is overwritten and an adjustment record kept. Answers 200
    when the request is valid; customers that could not be set are listed in `error_details` and
    keep their previous budget.
    """
    outcome = await ctx.services.budgets.set_budgets(
        ctx.actor,
        body.customer_ids,
        amount=body.budget_amount,
        budget_type=budget_type_of(body.budget_type),
        exhaustion_action=action_of(body.frozen_operate_type),
        lift_restrictions=lift_of(body.cancel_partner_frozen),
        indirect_partner_id=_optional(body.indirect_partner_id),
    )
    return BatchBudgetResponse(
        success_customer_ids=list(outcome.succeeded),
        error_details=[
            ErrorDetail(id=f.id, error_code=f.error_code, error_msg=f.error_msg)
            for f in outcome.failed
        ],
    )
