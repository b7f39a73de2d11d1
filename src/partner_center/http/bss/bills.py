"""Bill operations of the reference API (api-semantics.md §3.11) served from the monthly bills:

* ``list_postpaid_bill_sum`` (intl, partner): the partner's monthly bill summary of a billed
  month; ``initial_amount_due = consume_amount + refunds + adjustments``, tax apart.
* ``list_consume_sub_customers`` (bss, partner): the customers with spending in a cycle while
  associated with the partner (directly or through its resellers), even if no longer associated.
* ``show_customer_monthly_sum`` (both, customer): the caller's own bill of a cycle per product,
  charging mode and bill type (lines unrounded, 8 decimals; totals rounded once to 2 decimals).
* ``list_customerself_resource_records`` (both, customer): the caller's own fee records of a
  cycle, one per order line paid or pay-per-use fee record (``statistic_type`` 3, the default),
  or summed per resource of the cycle (1) or per resource and day (2), unrounded.
* ``list_subcustomer_monthly_bills`` (bss, partner): its customers' bills of a cycle per
  customer, product and bill type ("0" normal, "1" unsubscription: negative), of one charging
  mode; a distributor names a reseller with ``indirect_partner_id`` to see its customers.
* ``list_customerself_resource_record_details`` (both, customer): the same records summed per
  resource (``statistic_type`` 1, the default), per resource and day (2) or one by one (3).
* ``list_customer_bills_fee_records`` (bss, customer): the same records as
  ``list_customerself_resource_records`` in the fee-record shape; all are paid (``status`` 1:
  charged fee records and completed orders only).
* ``list_costs`` (both, customer): the caller's own fee records summed per dimension and per
  month or day (amounts as strings with 2 decimals).
* ``list_customer_bills_monthly_break_down`` (bss, customer): the caller's own costs of a
  month per resource and bill type, each borne in the month it was paid or used.
* ``list_resource_usage`` / ``list_resource_usage_summary`` (bss, customer): the 95th-percentile
  bandwidth of the caller's resources of a cycle, from their rated hourly usage.
* ``list_sub_customer_bill_detail`` (bss, partner): one customer's fee records of a cycle spent
  while it was the caller's (or, with ``indirect_partner_id``, its reseller's) customer.

Amounts are exact JSON numbers with 2 decimals in the site currency; refunds are negative.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.billing.public import (
    COST_DIMENSIONS,
    FeeRecordView,
    RecordFilter,
    SubCustomerSumFilter,
    expenditure_reader,
    parse_cycle,
)
from partner_center.domains.usage.public import ResourceBandwidth
from partner_center.http.auth import CallerKind
from partner_center.http.bss.schemas import ASSOCIATION_TYPES_IN
from partner_center.http.bss.sdk_models import sdk_model
from partner_center.http.formats import wire_amount, wire_text
from partner_center.http.headers import XLanguage
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import Doc, IntOrBlank, QueryModel, RowOffset, TextFilter
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.money import to_cents
from partner_center.kernel.pagination import page

router = APIRouter(tags=["bills"])
_SUBCUSTOMER_RECORDS = "/v2/bills/subcustomer-bills/res-fee-records"
_CUSTOMER_BILLS = "/v2/bills/customer-bills"

# -- what several operations' parameters and fields mean, said once -----------------------------

_BILL_TYPES = "1 purchase, 2 renewal, 3 change, 4 refund, 5 usage"

Cycle = Annotated[str | None, Doc("YYYY-MM", required=True)]
OwnAccount = Annotated[TextFilter, Doc("oneself | all (no sub-accounts here)")]
#: The record operations' enterprise-project filter (an order's project; pay-per-use: "0").
_EP_DOC = 'Only this enterprise project\'s records ("0" default: all pay-per-use)'
Project = Annotated[TextFilter, Doc(_EP_DOC)]
ResourceName = Annotated[TextFilter, Doc("The resource's name, exact")]
Reseller = Annotated[TextFilter, Doc("A distributor's reseller")]
Rows100 = Annotated[IntOrBlank, Doc("Rows, 1–100, default 10")]
Rows1000 = Annotated[IntOrBlank, Doc("Rows, 1–1000, default 10")]
BillTypeFilter = Annotated[IntOrBlank, Doc(_BILL_TYPES)]
IncludeZero = Annotated[bool | None, Doc("Default true")]
DateBegin = Annotated[TextFilter, Doc("YYYY-MM-DD in the cycle, with bill_date_end")]

BillType = Annotated[int, Field(description=_BILL_TYPES)]
ChargingMode = Annotated[int, Field(description="1 yearly/monthly, 3 pay-per-use")]
Unrounded = Annotated[Decimal, Field(description="Unrounded (8 decimals); refunds negative")]


class PostpaidBillSumQuery(QueryModel):
    bill_cycle: Annotated[str | None, Doc("YYYY-MM, a billed month", required=True)] = None


@sdk_model(required="*")
class ListPostpaidBillSumResponse(WireModel):
    initial_amount_due: Decimal = Field(description="consume_amount + refunds + adjustments")
    refunds: Decimal = Field(description="<= 0")
    tax_amount: Decimal = Field(description="Not included in initial_amount_due")


@operation(router, "GET", "/v2/bills/partner-bills/postpaid-bill-summary", kind=CallerKind.PARTNER)
async def list_postpaid_bill_sum(
    ctx: OperationContext, query: PostpaidBillSumQuery
) -> ListPostpaidBillSumResponse:
    """Query a partner's monthly postpaid bill summary"""
    cycle = parse_cycle(query.bill_cycle or "", "bill_cycle")
    view = await ctx.services.billing.postpaid_summary(ctx.actor.partner_id, cycle)
    return ListPostpaidBillSumResponse(
        bill_cycle=view.cycle,
        initial_amount_due=to_cents(view.initial_amount_due),
        consume_amount=to_cents(view.consume_amount),
        refunds=to_cents(view.refunds),
        adjustments=to_cents(view.adjustments),
        tax_amount=to_cents(view.tax_amount),
        currency=view.currency,
    )


class ListConsumeSubCustomersReq(WireModel):
    bill_cycle: str = Field(description="YYYY-MM")
    offset: int | None = Field(default=None, description="0 to 2147483646, default 0")
    limit: int | None = Field(default=None, description="1 to 100, default 10")


@sdk_model(required="*")
class SubCustomerInfoV3(WireModel):
    pass


@sdk_model(required="*")
class ListConsumeSubCustomersResponse(WireModel):
    pass


@operation(router, "POST", f"{_SUBCUSTOMER_RECORDS}/sub-customers/query", kind=CallerKind.PARTNER)
async def list_consume_sub_customers(
    ctx: OperationContext, body: ListConsumeSubCustomersReq, x_language: XLanguage
) -> ListConsumeSubCustomersResponse:
    """Query the customers with spending in a billing cycle"""
    partner_id = expenditure_reader(ctx.actor)
    cycle = parse_cycle(body.bill_cycle, "bill_cycle")
    window = page(body.offset, body.limit, max_offset=2_147_483_646)
    ids, total = await ctx.services.billing.consuming_customers(partner_id, cycle, window)
    return ListConsumeSubCustomersResponse(
        sub_customers=[SubCustomerInfoV3(customer_id=i) for i in ids], total_count=total
    )


class CustomerMonthlySumQuery(QueryModel):
    bill_cycle: Cycle = None
    service_type_code: TextFilter = None
    enterprise_project_id: Project = None
    offset: RowOffset = None
    limit: Rows100 = None
    method: OwnAccount = None
    sub_customer_id: TextFilter = None


@sdk_model(omit="service_type_name resource_type_name account_name", required="*")
class BillSumRecordInfoV2(WireModel):
    charging_mode: ChargingMode
    consume_amount: Decimal = Field(description="official − discount − truncated; refunds < 0")
    debt_amount: Decimal = Field(description="consume_amount − coupon_amount (billed postpaid)")
    bill_type: int = Field(description="1 consumption, 2 refund, 3 adjustment")


@sdk_model(required="*")
class ShowCustomerMonthlySumResponse(WireModel):
    consume_amount: Decimal = Field(description="Refunds and adjustments included, 2 decimals")


_NONE = Decimal("0.00")


@operation(router, "GET", f"{_CUSTOMER_BILLS}/monthly-sum", kind=CallerKind.CUSTOMER)
async def show_customer_monthly_sum(
    ctx: OperationContext, query: CustomerMonthlySumQuery
) -> ShowCustomerMonthlySumResponse:
    """Query a customer's monthly bill summary"""
    customer_id = _own_account(ctx, query.method, query.sub_customer_id)
    cycle = parse_cycle(query.bill_cycle or "", "bill_cycle")
    found = await ctx.services.billing.customer_monthly_sum(
        customer_id,
        cycle,
        page(query.offset, query.limit),
        service_type_code=query.service_type_code,
        enterprise_project_id=query.enterprise_project_id or None,
    )
    zero = dict.fromkeys(
        ["flexipurchase_coupon_amount", "stored_value_card_amount", "cash_amount", "credit_amount"],
        _NONE,
    )
    return ShowCustomerMonthlySumResponse(
        total_count=found.total,
        bill_sums=[
            BillSumRecordInfoV2(
                **same_named(line, "resource_type_code service_type_code charging_mode bill_type"),
                bill_cycle=cycle,
                official_amount=wire_amount(line.amount),
                official_discount_amount=_NONE,
                truncated_amount=_NONE,
                consume_amount=wire_amount(line.amount),
                coupon_amount=wire_amount(line.coupon_amount),
                debt_amount=wire_amount(line.amount - line.coupon_amount),
                writeoff_amount=_NONE,
                measure_id=1,
                customer_id=customer_id,
                **zero,
            )
            for line in found.lines
        ],
        **same_named(found, "consume_amount debt_amount coupon_amount currency"),
        writeoff_amount=_NONE,
        measure_id=1,
        **zero,
    )


class CustomerselfResourceRecordsQuery(QueryModel):
    cycle: Cycle = None
    cloud_service_type: TextFilter = None
    region: TextFilter = None
    charge_mode: Annotated[TextFilter, Doc("1 yearly/monthly, 3 pay-per-use, 10, 11")] = None
    bill_type: BillTypeFilter = None
    offset: RowOffset = None
    limit: Rows1000 = None
    resource_id: TextFilter = None
    enterprise_project_id: Project = None
    include_zero_record: IncludeZero = None
    method: OwnAccount = None
    sub_customer_id: TextFilter = None
    trade_id: Annotated[TextFilter, Doc("The order id (bill types 1–4), else the record id")] = None
    bill_date_begin: DateBegin = None
    bill_date_end: TextFilter = None
    statistic_type: Annotated[
        IntOrBlank,
        Doc("1 per resource of the cycle, 2 per resource and day, 3 per record (default)"),
    ] = None


@sdk_model(
    fields=(
        "bill_date bill_type customer_id region cloud_service_type resource_type "
        "resource_id resource_name trade_id id trade_time charge_mode usage official_amount "
        "discount_amount amount coupon_amount debt_amount measure_id"
    ),
    required="*",
)
class ResFeeRecordV2(WireModel):
    bill_date: str = Field(description="YYYY-MM-DD, billing time zone")
    bill_type: BillType
    resource_name: str | None = None
    trade_time: str = Field(description="UTC")
    charge_mode: str = Field(description="1 yearly/monthly, 3 pay-per-use")
    amount: Unrounded
    debt_amount: Decimal = Field(description="amount − coupon_amount (billed postpaid)")


@sdk_model(required="*")
class ListCustomerselfResourceRecordsResponse(WireModel):
    pass


def _customer_record_fields(r: FeeRecordView, customer_id: str) -> dict[str, Any]:
    """The fields the customer's two older record shapes (``ResFeeRecordV2``,
    ``MonthlyBillRes``) share: their names for the codes, the discount (list price less the
    amount) and the debt (the amount less coupons)."""
    return {
        **same_named(r, "bill_date bill_type trade_id id resource_name"),
        **same_named(r, "official_amount coupon_amount", via=wire_amount),
        "customer_id": customer_id,
        "region": r.region_code,
        "cloud_service_type": r.service_type_code,
        "discount_amount": wire_amount(r.official_amount - r.amount),
        "debt_amount": wire_amount(r.amount - r.coupon_amount),
        "measure_id": 1,
    }


def _own_account(ctx: OperationContext, method: str | None, sub_customer_id: str | None) -> str:
    """The caller's account: ``method`` oneself/all, ``sub_customer_id`` only itself."""
    customer_id = ctx.caller.account_id
    if method not in (None, "oneself", "all"):
        raise invalid_parameter("method", "Use oneself or all.")
    if sub_customer_id not in (None, customer_id):
        raise invalid_parameter("sub_customer_id", "Not a member account of the caller.")
    return customer_id


@operation(router, "GET", f"{_CUSTOMER_BILLS}/res-fee-records", kind=CallerKind.CUSTOMER)
async def list_customerself_resource_records(
    ctx: OperationContext, query: CustomerselfResourceRecordsQuery, x_language: XLanguage
) -> ListCustomerselfResourceRecordsResponse:
    """Query a customer's own resource fee records of a cycle"""
    customer_id = _own_account(ctx, query.method, query.sub_customer_id)
    if query.statistic_type not in (None, 1, 2, 3):
        raise invalid_parameter("statistic_type", "1 (per cycle), 2 (per day) or 3 (per record).")
    cycle = parse_cycle(query.cycle or "", "cycle")
    where = RecordFilter(
        service_type_code=query.cloud_service_type,
        region_code=query.region,
        charge_mode=query.charge_mode,
        bill_type=query.bill_type,
        resource_id=query.resource_id,
        trade_id=query.trade_id,
        date_begin=query.bill_date_begin,
        date_end=query.bill_date_end,
        include_zero=query.include_zero_record is not False,
        enterprise_project_id=query.enterprise_project_id or None,
    )
    window = page(query.offset, query.limit, max_limit=1000)
    records, total = await ctx.services.billing.customer_records(
        customer_id,
        cycle,
        window,
        where,
        per_resource=query.statistic_type == 1,
        per_day=query.statistic_type == 2,
    )
    return ListCustomerselfResourceRecordsResponse(
        fee_records=[
            ResFeeRecordV2(
                **_customer_record_fields(r, customer_id),
                **same_named(r, "resource_id charge_mode"),
                **same_named(r, "usage amount", via=wire_amount),
                resource_type=r.resource_type_code,
                trade_time=format_utc(r.trade_time),
            )
            for r in records
        ],
        total_count=total,
        currency=ctx.services.billing.currency,
    )


class SubcustomerMonthlyBillsQuery(QueryModel):
    customer_id: TextFilter = None
    cycle: Cycle = None
    cloud_service_type: TextFilter = None
    charge_mode: Annotated[
        TextFilter, Doc("1 yearly/monthly, 3 pay-per-use, 11 savings plan", required=True)
    ] = None
    offset: RowOffset = None
    limit: Rows100 = None
    bill_type: Annotated[TextFilter, Doc("0 normal, 1 unsubscription, 2 write-off")] = None
    indirect_partner_id: Reseller = None


@sdk_model(required="*")
class BalanceTypeDeductSumV2(WireModel):
    pass


@sdk_model(
    fields=(
        "customer_id cloud_service_type resource_type_code bill_type charge_mode amount "
        "debt_amount adjustment_amount discount_amount measure_id account_details"
    ),
    required="*",
)
class BillSumInfoV2(WireModel):
    bill_type: str = Field(description="0 normal, 1 unsubscription (negative), 2 write-off")
    amount: Decimal = Field(description="Unrounded (8 decimals)")
    debt_amount: Decimal = Field(description="amount − coupons, on the partner's bill")


@sdk_model(required="*")
class ListSubcustomerMonthlyBillsResponse(WireModel):
    pass


@operation(
    router, "GET", "/v2/bills/partner-bills/subcustomer-bills/monthly-sum", kind=CallerKind.PARTNER
)
async def list_subcustomer_monthly_bills(
    ctx: OperationContext, query: SubcustomerMonthlyBillsQuery
) -> ListSubcustomerMonthlyBillsResponse:
    """Query the monthly bills of a partner's customers"""
    partner_id = expenditure_reader(ctx.actor)
    if query.charge_mode is None:
        raise invalid_parameter("charge_mode", "Required: 1, 3 or 11.")
    where = SubCustomerSumFilter(
        charge_mode=query.charge_mode,
        customer_id=query.customer_id,
        service_type_code=query.cloud_service_type,
        bill_type=query.bill_type,
        indirect_partner_id=query.indirect_partner_id,
    )
    sums, total = await ctx.services.billing.subcustomer_sums(
        partner_id,
        parse_cycle(query.cycle or "", "cycle"),
        page(query.offset, query.limit),
        where,
    )
    return ListSubcustomerMonthlyBillsResponse(
        bill_sums=[
            BillSumInfoV2(
                **same_named(x, "customer_id resource_type_code bill_type"),
                cloud_service_type=x.service_type_code,
                charge_mode=where.charge_mode,
                amount=wire_amount(x.amount),
                debt_amount=wire_amount(x.amount - x.coupon_amount),
                adjustment_amount=_NONE,
                discount_amount=_NONE,
                measure_id=1,
                account_details=[
                    BalanceTypeDeductSumV2(
                        balance_type="BALANCE_TYPE_COUPON",
                        amount=wire_amount(x.coupon_amount),
                        bill_type=x.bill_type,
                    )
                ]
                if x.coupon_amount
                else [],
            )
            for x in sums
        ],
        count=total,
        currency=ctx.services.billing.currency,
    )


class _FeeRecordQuery(QueryModel):
    """The query parameters the partner's and the customer's fee-record lists share."""

    bill_cycle: Cycle = None
    service_type_code: TextFilter = None
    region_code: TextFilter = None
    charging_mode: Annotated[IntOrBlank, Doc("1 yearly/monthly, 3 pay-per-use, 10, 11")] = None
    trade_id: TextFilter = None
    offset: RowOffset = None
    limit: Rows1000 = None
    bill_date_begin: DateBegin = None
    bill_date_end: TextFilter = None

    def records_filter(self, **more: Any) -> RecordFilter:
        mode = self.charging_mode
        return RecordFilter(
            service_type_code=self.service_type_code,
            region_code=self.region_code,
            charge_mode=None if mode is None else str(mode),
            trade_id=self.trade_id,
            date_begin=self.bill_date_begin,
            date_end=self.bill_date_end,
            **more,
        )


def _record_fields(r: FeeRecordView) -> dict[str, Any]:
    """The fields the partner's and the customer's fee-record shapes share."""
    return {
        **same_named(r, "service_type_code resource_type_code region_code trade_id id"),
        **same_named(r, "official_amount coupon_amount", via=wire_amount),
        "charging_mode": int(r.charge_mode),
        "trade_time": format_utc(r.trade_time),
        "official_discount_amount": wire_amount(r.official_amount - r.amount),
        "debt_amount": wire_amount(r.amount - r.coupon_amount),
    }


class SubCustomerBillDetailQuery(_FeeRecordQuery):
    customer_id: Annotated[str | None, Doc("The customer", required=True)] = None
    bill_detail_type: BillTypeFilter = None
    resource_id: TextFilter = None
    resource_name: ResourceName = None
    account_manager_id: Annotated[
        TextFilter, Doc("Only if the customer is assigned to this account manager")
    ] = None
    association_type: Annotated[
        TextFilter, Doc("1 referral, 2 resale (3 reseller): only if the customer's association is")
    ] = None
    indirect_partner_id: Reseller = None


class _FeeRecordOut(WireModel):
    """The fields the partner's and the customer's fee-record shapes share."""

    bill_cycle: str
    customer_id: str
    service_type_code: str
    resource_type_code: str
    region_code: str
    charging_mode: ChargingMode
    trade_time: str = Field(description="UTC")
    trade_id: str = Field(description="The order id (bill types 1–4), else the record id")
    id: str
    official_amount: Decimal
    official_discount_amount: Decimal
    coupon_amount: Decimal
    debt_amount: Decimal = Field(description="The amount less coupons (billed postpaid)")


@sdk_model(
    fields=(
        "bill_cycle customer_id service_type_code resource_type_code region_code "
        "charging_mode trade_time trade_id id official_amount official_discount_amount "
        "coupon_amount debt_amount bill_detail_type resource_id resource_name usage_amount "
        "payment_amount partner_id"
    ),
    required="*",
)
class SubCustomerMonthlyBillDetail(_FeeRecordOut):
    bill_detail_type: BillType
    resource_name: str | None = None
    payment_amount: Unrounded


@sdk_model(fields="fee_records total_count currency", required="*")
class ListSubCustomerBillDetailResponse(WireModel):
    pass


@operation(router, "GET", _SUBCUSTOMER_RECORDS, kind=CallerKind.PARTNER)
async def list_sub_customer_bill_detail(
    ctx: OperationContext, query: SubCustomerBillDetailQuery, x_language: XLanguage
) -> ListSubCustomerBillDetailResponse:
    """Query a customer's fee records of a cycle (partner)"""
    owner = expenditure_reader(ctx.actor)
    if not query.customer_id:
        raise invalid_parameter("customer_id", "Required.")
    association = None
    if query.association_type:
        if query.association_type not in ASSOCIATION_TYPES_IN:
            raise invalid_parameter("association_type", "1 referral or 2 resale.")
        association = ASSOCIATION_TYPES_IN[query.association_type]
    if query.indirect_partner_id:
        await ctx.services.partners.reseller_of(
            distributor_id=owner, reseller_id=query.indirect_partner_id
        )
        owner = query.indirect_partner_id
    cycle = parse_cycle(query.bill_cycle or "", "bill_cycle")
    where = query.records_filter(
        bill_type=query.bill_detail_type,
        resource_id=query.resource_id,
        resource_name=query.resource_name,
        partner_id=owner,
    )
    window = page(query.offset, query.limit, max_limit=1000)
    records, total = await ctx.services.billing.partner_customer_records(
        query.customer_id,
        cycle,
        window,
        where,
        association_type=association,
        account_manager_id=query.account_manager_id or None,
    )
    return ListSubCustomerBillDetailResponse(
        fee_records=[
            SubCustomerMonthlyBillDetail(
                **_record_fields(r),
                **same_named(r, "resource_id resource_name partner_id"),
                bill_cycle=cycle,
                customer_id=query.customer_id,
                bill_detail_type=r.bill_type,
                usage_amount=wire_amount(r.usage),
                payment_amount=wire_amount(r.amount),
            )
            for r in records
        ],
        total_count=total,
        currency=ctx.services.billing.currency,
    )


class CustomerBillsFeeRecordsQuery(_FeeRecordQuery):
    provider_type: Annotated[IntOrBlank, Doc("1 Huawei Cloud, 2 marketplace (none here)")] = None
    resource_type_code: TextFilter = None
    bill_type: BillTypeFilter = None
    enterprise_project_id: Project = None
    include_zero_record: IncludeZero = None
    status: Annotated[IntOrBlank, Doc("1 paid (every record here), 2 unsettled, 3 not billed")] = (
        None
    )
    method: OwnAccount = None
    sub_customer_id: TextFilter = None


@sdk_model(
    fields=(
        "bill_cycle customer_id service_type_code resource_type_code region_code "
        "charging_mode trade_time trade_id id official_amount official_discount_amount "
        "coupon_amount debt_amount provider_type bill_type status erase_amount "
        "consume_amount"
    ),
    required="*",
)
class MonthlyBillRecord(_FeeRecordOut):
    bill_type: BillType
    status: int = Field(description="1 paid")
    consume_amount: Unrounded


@sdk_model(required="*")
class ListCustomerBillsFeeRecordsResponse(WireModel):
    pass


@operation(router, "GET", f"{_CUSTOMER_BILLS}/fee-records", kind=CallerKind.CUSTOMER)
async def list_customer_bills_fee_records(
    ctx: OperationContext, query: CustomerBillsFeeRecordsQuery, x_language: XLanguage
) -> ListCustomerBillsFeeRecordsResponse:
    """Query a customer's own fee records of a cycle"""
    customer_id = _own_account(ctx, query.method, query.sub_customer_id)
    if query.provider_type not in (None, 1, 2):
        raise invalid_parameter("provider_type", "Use 1 or 2.")
    if query.status not in (None, 1, 2, 3):
        raise invalid_parameter("status", "Use 1, 2 or 3.")
    cycle = parse_cycle(query.bill_cycle or "", "bill_cycle")
    window = page(query.offset, query.limit, max_limit=1000)
    records: list[FeeRecordView] = []
    total = 0
    if query.provider_type != 2 and query.status in (None, 1):
        where = query.records_filter(
            resource_type_code=query.resource_type_code,
            bill_type=query.bill_type,
            include_zero=query.include_zero_record is not False,
            enterprise_project_id=query.enterprise_project_id or None,
        )
        records, total = await ctx.services.billing.customer_records(
            customer_id, cycle, window, where
        )
    return ListCustomerBillsFeeRecordsResponse(
        records=[
            MonthlyBillRecord(
                **_record_fields(r),
                bill_cycle=cycle,
                customer_id=customer_id,
                bill_type=r.bill_type,
                provider_type=1,
                status=1,
                erase_amount=_NONE,
                consume_amount=wire_amount(r.amount),
            )
            for r in records
        ],
        total_count=total,
        currency=ctx.services.billing.currency,
    )


class QueryResRecordsDetailReq(WireModel):
    cycle: str = Field(description="YYYY-MM, from 2019-01")
    cloud_service_type: str | None = None
    resource_type: str | None = None
    region: str | None = None
    res_instance_id: str | None = None
    charge_mode: int | None = Field(default=None, description="1 yearly/monthly, 3 pay-per-use")
    bill_type: int | None = Field(default=None, description=_BILL_TYPES)
    enterprise_project_id: str | None = Field(default=None, description=_EP_DOC)
    include_zero_record: bool | None = Field(default=None, description="Default true")
    offset: int | None = Field(default=None, description=">= 0, default 0")
    limit: int | None = Field(default=None, description="1 to 1000, default 10")
    method: str | None = Field(default=None, description="oneself | all")
    sub_customer_id: str | None = None
    statistic_type: int | None = Field(
        default=None,
        description="1 per resource of the cycle (default), 2 per resource and day, 3 per record",
    )
    query_type: str | None = Field(
        default=None, description="BILLCYCLE (default) | DAILY (statistic_type 2 or 3)"
    )
    bill_cycle_begin: str | None = Field(default=None, description="DAILY: YYYY-MM-DD")
    bill_cycle_end: str | None = Field(default=None, description="DAILY: YYYY-MM-DD")
    payer_account_id: str | None = Field(default=None, description="Only the caller's own")


@sdk_model(
    fields=(
        "cycle bill_date bill_type customer_id region cloud_service_type "
        "resource_Type_code res_instance_id resource_name charge_mode consume_amount coupon_amount "
        "debt_amount official_amount discount_amount measure_id trade_id id"
    ),
    required="*",
)
class MonthlyBillRes(WireModel):
    bill_date: str = Field(description="YYYY-MM-DD, billing time zone (per resource: the first)")
    resource_Type_code: str = Field(description="The reference spells it so")
    resource_name: str | None = None
    charge_mode: ChargingMode
    consume_amount: Unrounded
    debt_amount: Decimal = Field(description="consume_amount − coupon_amount")
    trade_id: str = Field(description="Per record: the order id or the record id; else empty")


@sdk_model(required="*")
class ListCustomerselfResourceRecordDetailsResponse(WireModel):
    pass


@operation(router, "POST", f"{_CUSTOMER_BILLS}/res-records/query", kind=CallerKind.CUSTOMER)
async def list_customerself_resource_record_details(
    ctx: OperationContext, body: QueryResRecordsDetailReq, x_language: XLanguage
) -> ListCustomerselfResourceRecordDetailsResponse:
    """Query a customer's own resource bills of a cycle (per resource or per record)"""
    customer_id = _own_account(ctx, body.method, body.sub_customer_id)
    if body.payer_account_id not in (None, "", customer_id):
        raise invalid_parameter("payer_account_id", "Not a member account of the caller.")
    if body.statistic_type not in (None, 1, 2, 3):
        raise invalid_parameter("statistic_type", "1 (per cycle), 2 (per day) or 3 (per record).")
    if body.query_type not in (None, "BILLCYCLE", "DAILY"):
        raise invalid_parameter("query_type", "BILLCYCLE or DAILY.")
    daily = body.query_type == "DAILY"
    if daily and body.statistic_type not in (2, 3):
        raise invalid_parameter("query_type", "DAILY goes with statistic_type 2 or 3.")
    cycle = parse_cycle(body.cycle, "cycle")
    if cycle < "2019-01":
        raise invalid_parameter("cycle", "From 2019-01.")
    where = RecordFilter(
        service_type_code=body.cloud_service_type or None,
        resource_type_code=body.resource_type or None,
        region_code=body.region or None,
        charge_mode=None if body.charge_mode is None else str(body.charge_mode),
        bill_type=body.bill_type,
        resource_id=body.res_instance_id or None,
        date_begin=body.bill_cycle_begin if daily else None,
        date_end=body.bill_cycle_end if daily else None,
        include_zero=body.include_zero_record is not False,
        enterprise_project_id=body.enterprise_project_id or None,
    )
    records, total = await ctx.services.billing.customer_records(
        customer_id,
        cycle,
        page(body.offset, body.limit, max_limit=1000),
        where,
        per_resource=body.statistic_type in (None, 1),
        per_day=body.statistic_type == 2,
    )
    return ListCustomerselfResourceRecordDetailsResponse(
        monthly_records=[
            MonthlyBillRes(
                **_customer_record_fields(r, customer_id),
                cycle=cycle,
                resource_Type_code=r.resource_type_code,
                res_instance_id=r.resource_id,
                charge_mode=int(r.charge_mode),
                consume_amount=wire_amount(r.amount),
            )
            for r in records
        ],
        total_count=total,
        currency=ctx.services.billing.currency,
    )


class TimeCondition(WireModel):
    time_measure_id: int = Field(description="1 per day, 2 per month")
    begin_time: str = Field(description="YYYY-MM-DD (per day) or YYYY-MM (per month)")
    end_time: str = Field(description="Inclusive, at most 12 months after begin_time")


class GroupBy(WireModel):
    type: str = Field(description="dimension (tag and cost_unit: none here)")
    key: str = Field(description="CLOUD_SERVICE_TYPE, RESOURCE_TYPE, REGION_CODE, ...")


class FilterFactor(WireModel):
    key: str
    value: list[str]


class FilterV2(WireModel):
    operator: int = Field(description="0 include, 1 exclude")
    filter_factor: FilterFactor


class ListCostsReq(WireModel):
    time_condition: TimeCondition
    groupby: list[GroupBy]
    cost_type: str = Field(
        description="ORIGINAL_COST when paid | AMORTIZED_COST yearly/monthly spread by day"
    )
    amount_type: str = Field(description="PAYMENT_AMOUNT payable | NET_AMOUNT less coupons")
    offset: int | None = Field(default=None, description=">= 0, default 0")
    limit: int | None = Field(default=None, description="1 to 100, default 10")
    filters: list[FilterV2] | None = None


@sdk_model(required="*")
class DimensionGroup(WireModel):
    pass


@sdk_model(required="*")
class Cost(WireModel):
    time_dimension_value: str = Field(description="YYYY-MM or YYYY-MM-DD")
    amount: str = Field(description="2 decimals")


@sdk_model(required="*")
class CostDataByDimension(WireModel):
    pass


@sdk_model(required="*")
class ListCostsResponse(WireModel):
    pass


_ACCOUNT_KEYS = ("PAYER_ACCOUNT_ID", "ASSOCIATED_ACCOUNT")


def _dimension(key: str, field: str) -> str:
    if key not in COST_DIMENSIONS:
        raise invalid_parameter(field, f"Use one of {', '.join(COST_DIMENSIONS)}.")
    return key


@operation(router, "POST", "/v4/costs/cost-analysed-bills/query", kind=CallerKind.CUSTOMER)
async def list_costs(
    ctx: OperationContext, body: ListCostsReq, x_language: XLanguage
) -> ListCostsResponse:
    """Query a customer's own cost data

    Computed from the customer's fee records (orders paid and pay-per-use fee records), summed
    per group and per month or day (the bill date in the billing time zone). Dimensions the
    records carry: service type, resource type, region, charging mode, bill type and resource;
    the account dimensions are the caller itself. ``AMORTIZED_COST`` spreads a yearly/monthly
    order line over its subscription period by day (pay-per-use as is). Tags and cost units are
    not modelled: other group types are refused with ``CBC.0100``.
    """
    span = body.time_condition
    if span.time_measure_id not in (1, 2):
        raise invalid_parameter("time_measure_id", "1 (day) or 2 (month).")
    daily = span.time_measure_id == 1
    shape = r"\d{4}-\d{2}-\d{2}" if daily else r"\d{4}-\d{2}"
    if not all(re.fullmatch(shape, t) for t in (span.begin_time, span.end_time)):
        raise invalid_parameter("begin_time", "YYYY-MM-DD per day, YYYY-MM per month.")
    if body.cost_type not in ("ORIGINAL_COST", "AMORTIZED_COST"):
        raise invalid_parameter("cost_type", "ORIGINAL_COST or AMORTIZED_COST.")
    if body.amount_type not in ("PAYMENT_AMOUNT", "NET_AMOUNT"):
        raise invalid_parameter("amount_type", "PAYMENT_AMOUNT or NET_AMOUNT.")
    if not body.groupby or any(g.type != "dimension" for g in body.groupby):
        raise invalid_parameter("groupby", "At least one group of type dimension.")
    keys = [g.key for g in body.groupby if g.key not in _ACCOUNT_KEYS]
    keys = [_dimension(k, "groupby") for k in keys]
    me = ctx.caller.account_id
    filters: list[tuple[bool, str, set[str]]] = []
    mine = True  # the account filters keep the caller's records
    for f in body.filters or []:
        if f.operator not in (0, 1):
            raise invalid_parameter("operator", "0 include or 1 exclude.")
        values, key = set(f.filter_factor.value), f.filter_factor.key
        if key in _ACCOUNT_KEYS:
            mine = mine and (me in values) == (f.operator == 0)
        else:
            filters.append((f.operator == 0, _dimension(key, "filter_factor"), values))
    window = page(body.offset, body.limit)
    groups = (
        []
        if not mine
        else await ctx.services.billing.customer_costs(
            me,
            (
                parse_cycle(span.begin_time[:7], "begin_time"),
                parse_cycle(span.end_time[:7], "end_time"),
            ),
            daily=daily,
            group_keys=keys,
            filters=filters,
            net=body.amount_type == "NET_AMOUNT",
            days=(span.begin_time, span.end_time) if daily else None,
            amortized=body.cost_type == "AMORTIZED_COST",
        )
    )
    accounts = [g.key for g in body.groupby if g.key in _ACCOUNT_KEYS]
    return ListCostsResponse(
        currency=ctx.services.billing.currency,
        total_count=len(groups),
        cost_data=[
            CostDataByDimension(
                dimensions=[DimensionGroup(key=k, value=v) for k, v in g.dimensions]
                + [DimensionGroup(key=k, value=me) for k in accounts],
                costs=[
                    Cost(
                        time_dimension_value=at,
                        time_measure_id=span.time_measure_id,
                        amount=str(to_cents(amount)),
                        official_amount=str(to_cents(official)),
                    )
                    for at, amount, official in g.costs
                ],
                amount_by_costs=str(to_cents(sum((c[1] for c in g.costs), Decimal(0)))),
                official_amount_by_costs=str(to_cents(sum((c[2] for c in g.costs), Decimal(0)))),
            )
            for g in groups[window.offset : window.offset + window.limit]
        ],
    )


class MonthlyBreakDownQuery(QueryModel):
    shared_month: Annotated[
        str | None, Doc("YYYY-MM, the month costs are borne", required=True)
    ] = None
    service_type_code: TextFilter = None
    resource_type_code: TextFilter = None
    region_code: TextFilter = None
    charging_mode: Annotated[IntOrBlank, Doc("1 yearly/monthly, 3 pay-per-use")] = None
    bill_type: BillTypeFilter = None
    offset: RowOffset = None
    limit: Rows1000 = None
    resource_id: TextFilter = None
    resource_name: ResourceName = None
    enterprise_project_id: Project = None
    method: OwnAccount = None
    sub_customer_id: TextFilter = None


class AmortizedCostInfo(WireModel):
    shared_month: str
    bill_cycle: str
    bill_type: BillType
    customer_id: str
    region_code: str
    service_type_code: str
    resource_type_code: str
    resource_id: str
    charging_mode: ChargingMode
    usage: Decimal
    consume_amount: Unrounded
    past_months_amortized_amount: Decimal
    current_month_amortized_amount: Decimal = Field(description="The month's share")
    future_months_amortized_amount: Decimal
    amortized_cash_amount: Decimal = Field(description="The month's share not paid by coupons")
    amortized_credit_amount: Decimal
    amortized_coupon_amount: Decimal
    amortized_flexipurchase_coupon_amount: Decimal
    amortized_stored_value_card_amount: Decimal
    amortized_bonus_amount: Decimal


@sdk_model(required="*")
class ListCustomerBillsMonthlyBreakDownResponse(WireModel):
    details: list[AmortizedCostInfo]


@operation(
    router, "GET", "/v2/costs/cost-analysed-bills/monthly-breakdown", kind=CallerKind.CUSTOMER
)
async def list_customer_bills_monthly_break_down(
    ctx: OperationContext, query: MonthlyBreakDownQuery
) -> ListCustomerBillsMonthlyBreakDownResponse:
    """Query a customer's own amortized costs of a month

    The customer's pay-per-use fee records of the month (borne in full) and its yearly/monthly
    order lines whose subscription period has days in the month, whenever paid, spread over
    the period by day of the billing time zone (the past, current and future months' shares
    sum to the fee), summed per resource, product, region, charging mode, bill type and the
    cycle billed.
    """
    customer_id = _own_account(ctx, query.method, query.sub_customer_id)
    month = parse_cycle(query.shared_month or "", "shared_month")
    mode = query.charging_mode
    where = RecordFilter(
        service_type_code=query.service_type_code,
        resource_type_code=query.resource_type_code,
        region_code=query.region_code,
        charge_mode=None if mode is None else str(mode),
        bill_type=query.bill_type,
        resource_id=query.resource_id,
        resource_name=query.resource_name,
        enterprise_project_id=query.enterprise_project_id or None,
    )
    window = page(query.offset, query.limit, max_limit=1000)
    rows = await ctx.services.billing.monthly_breakdown(customer_id, month, where)
    zero = dict.fromkeys(
        [
            "amortized_credit_amount",
            "amortized_flexipurchase_coupon_amount",
            "amortized_stored_value_card_amount",
            "amortized_bonus_amount",
        ],
        _NONE,
    )
    return ListCustomerBillsMonthlyBreakDownResponse(
        details=[
            AmortizedCostInfo(
                **same_named(r, "bill_type service_type_code resource_type_code region_code"),
                **same_named(r, "resource_id bill_cycle"),
                **same_named(r, "usage", via=wire_amount),
                shared_month=month,
                customer_id=customer_id,
                charging_mode=int(r.charge_mode),
                consume_amount=wire_amount(r.amount),
                past_months_amortized_amount=wire_amount(r.past),
                current_month_amortized_amount=wire_amount(r.current),
                future_months_amortized_amount=wire_amount(r.future),
                amortized_cash_amount=wire_amount(r.current - r.coupon),
                amortized_coupon_amount=wire_amount(r.coupon),
                **zero,
            )
            for r in rows[window.offset : window.offset + window.limit]
        ],
        total_count=len(rows),
        currency=ctx.services.billing.currency,
    )


_PEAK_USAGE_TYPES = ("95Peak", "95peak_1000", "bandwidth95peak", "95peak_plus")


class _ResourceUsageQuery(QueryModel):
    bill_cycle: Cycle = None
    service_type_code: Annotated[str | None, Doc("CDN, OBS, VPC, IEC", required=True)] = None
    resource_type_code: Annotated[str | None, Doc("The resource type", required=True)] = None
    usage_type: Annotated[
        str | None, Doc("95Peak, 95peak_1000, bandwidth95peak, 95peak_plus", required=True)
    ] = None
    offset: RowOffset = None
    limit: Rows100 = None

    async def bandwidth(
        self, ctx: OperationContext, resource_id: str | None = None
    ) -> list[ResourceBandwidth]:
        """The caller's resources' bandwidth of the cycle (validated input)."""
        cycle = parse_cycle(self.bill_cycle or "", "bill_cycle")
        for name in ("service_type_code", "resource_type_code"):
            if not getattr(self, name):
                raise invalid_parameter(name, "Required.")
        if self.usage_type not in _PEAK_USAGE_TYPES:
            raise invalid_parameter("usage_type", f"One of {', '.join(_PEAK_USAGE_TYPES)}.")
        return await ctx.services.usage_queries.bandwidth(
            ctx.caller.account_id,
            cycle,
            service_type_code=self.service_type_code or "",
            resource_type_code=self.resource_type_code or "",
            usage_type=self.usage_type,
            resource_id=resource_id,
        )


class ResourceUsageQuery(_ResourceUsageQuery):
    resource_id: Annotated[str | None, Doc("The resource", required=True)] = None


class _BandwidthOut(WireModel):
    actual_days: str = Field(description="Days with usage in the cycle")
    band_width: str = Field(description="95th percentile of the cycle's hours (nearest rank)")
    monthly_guaranteed_band_width: str = Field(description="No guaranteed bandwidth here: 0")
    monthly_peak_band_width: str = Field(description="The cycle's peak hour")
    band_width_measure_id: int | None = Field(default=None, description="Absent without usage")


def _bandwidth_fields(b: ResourceBandwidth | None) -> dict[str, Any]:
    if b is None:
        return dict.fromkeys(
            [
                "actual_days",
                "band_width",
                "monthly_guaranteed_band_width",
                "monthly_peak_band_width",
            ],
            "0",
        )
    return {
        "actual_days": str(len(b.days)),
        "band_width": wire_text(b.percentile_95),
        "monthly_guaranteed_band_width": "0",
        "monthly_peak_band_width": wire_text(b.peak),
        "band_width_measure_id": b.measure_id,
    }


class UsageInfo(WireModel):
    stat_time: str = Field(description="YYYY-MM-DD, billing time zone")
    guaranteed_band_width: str
    usage: str = Field(description="The day's peak hour")
    measure_id: int


@sdk_model(required="*")
class ListResourceUsageResponse(_BandwidthOut):
    usage_info_list: list[UsageInfo]


@operation(router, "GET", f"{_CUSTOMER_BILLS}/resources/usage/details", kind=CallerKind.CUSTOMER)
async def list_resource_usage(
    ctx: OperationContext, query: ResourceUsageQuery
) -> ListResourceUsageResponse:
    """Query a resource's 95th-percentile bandwidth of a cycle per day

    Computed from the resource's rated hourly usage of the usage type in the cycle: the
    95th percentile of the hours (nearest rank), the peak hour, and per day (billing time zone)
    the day's peak. Guaranteed bandwidth is not modelled (0). A resource without such usage
    gives the documented empty result.
    """
    if not query.resource_id:
        raise invalid_parameter("resource_id", "Required.")
    found = await query.bandwidth(ctx, query.resource_id)
    one = found[0] if found else None
    days = list(one.days) if one else []
    window = page(query.offset, query.limit)
    return ListResourceUsageResponse(
        **_bandwidth_fields(one),
        total_count=len(days),
        usage_info_list=[
            UsageInfo(
                stat_time=day,
                guaranteed_band_width="0",
                usage=wire_text(peak),
                measure_id=one.measure_id if one else 0,
            )
            for day, peak in days[window.offset : window.offset + window.limit]
        ],
    )


class SummaryUsageInfo(_BandwidthOut):
    resource_id: str


@sdk_model(required="*")
class ListResourceUsageSummaryResponse(WireModel):
    summary_usage_info_list: list[SummaryUsageInfo]


@operation(router, "GET", f"{_CUSTOMER_BILLS}/resources/usage/summary", kind=CallerKind.CUSTOMER)
async def list_resource_usage_summary(
    ctx: OperationContext, query: _ResourceUsageQuery
) -> ListResourceUsageSummaryResponse:
    """Query the 95th-percentile bandwidth of a customer's resources of a cycle

    Computed per resource as ``list_resource_usage`` does, from the rated hourly usage of the
    usage type in the cycle; only resources with such usage are listed, by resource id.
    """
    found = await query.bandwidth(ctx)
    window = page(query.offset, query.limit)
    return ListResourceUsageSummaryResponse(
        total_count=len(found),
        summary_usage_info_list=[
            SummaryUsageInfo(resource_id=b.resource_id, **_bandwidth_fields(b))
            for b in found[window.offset : window.offset + window.limit]
        ],
    )
