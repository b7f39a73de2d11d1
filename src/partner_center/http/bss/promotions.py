"""Promotion queries of the customer (bss): its business discounts
(``list_business_discount_info``, api-semantics.md §3.1) and its stored-value cards
(``list_stored_value_cards``, §3.6, rules.md §7.20)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter
from pydantic import Field

from partner_center.domains.catalog.public import DiscountType
from partner_center.http.auth import CallerKind
from partner_center.http.bss.sdk_models import sdk_model
from partner_center.http.formats import optional_utc
from partner_center.http.headers import XLanguage, language_of
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import Doc, Int, PageQuery
from partner_center.http.wire import WireModel
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.pagination import Page, page

router = APIRouter(tags=["promotions"])

QUOTING_ITEM_TYPES = ("PRODUCT_ITEM", "CATEGORY_ITEM")
CHARGING_MODES = ("ON_DEMAND", "PERIOD", "ONE_TIME")
#: Every service type of the catalogue in one read (it holds far fewer).
_ALL = Page(0, 100_000)


class QueryBusinessDiscountReq(WireModel):
    quoting_item_type: str = Field(description="PRODUCT_ITEM | CATEGORY_ITEM")
    cloud_service_types: list[str] | None = Field(default=None, max_length=100)
    charging_modes: list[str] | None = Field(default=None, max_length=3)
    site_code: str | None = Field(default=None, max_length=64)
    offset: int | None = None
    limit: int | None = None


@sdk_model(
    fields=(
        "item_id cloud_service_type cloud_service_type_name site_code charging_mode "
        "discount_ratio effective_time expire_time"
    ),
    required=(
        "item_id cloud_service_type cloud_service_type_name site_code discount_ratio effective_time"
    ),
)
class CategoryQuotingItem(WireModel):
    pass


@sdk_model(fields="item_id product_id", required="*")
class ProductQuotingItem(WireModel):
    pass


@sdk_model(
    omit="commerce_code category_quoting_item_steps accumulation_cycle_type sites",
    required="total_count product_quoting_items category_quoting_items",
)
class ListBusinessDiscountInfoResponse(WireModel):
    pass


@operation(router, "POST", "/v2/promotions/business/discount-info", kind=CallerKind.CUSTOMER)
async def list_business_discount_info(
    ctx: OperationContext, body: QueryBusinessDiscountReq, x_language: XLanguage
) -> ListBusinessDiscountInfoResponse:
    """The customer's business (contract, type 605) discounts in force

    partner-center grants business discounts per service type or for the whole catalogue, never
    per product: ``CATEGORY_ITEM`` answers one item per service type a discount covers (a
    whole-catalogue discount covers every service type; where two cover one, the deeper wins)
    with ``discount_ratio`` the share of the list price paid (0.85 = 15 % off);
    ``PRODUCT_ITEM`` answers no item. ``charging_modes`` filters nothing: a business discount
    applies to every charging mode.
    """
    language = language_of(x_language, ctx.state.site)
    if body.quoting_item_type not in QUOTING_ITEM_TYPES:
        raise invalid_parameter("quoting_item_type", "Use PRODUCT_ITEM or CATEGORY_ITEM.")
    for mode in body.charging_modes or []:
        if mode not in CHARGING_MODES:
            raise invalid_parameter("charging_modes", "Use ON_DEMAND, PERIOD or ONE_TIME.")
    window = page(body.offset, body.limit, default_limit=20, max_limit=1000)
    now = ctx.state.clock.now()
    granted = [
        d
        for d in await ctx.services.discounts.in_force(ctx.caller.account_id, now)
        if d.discount_type == DiscountType.BUSINESS
    ]
    items: list[CategoryQuotingItem] = []
    if body.quoting_item_type == "CATEGORY_ITEM" and granted:
        types, _ = await ctx.services.catalog.service_types(
            name_contains=None, window=_ALL, language=language
        )
        wanted = set(body.cloud_service_types or [])
        for service_type in types:
            if wanted and service_type.code not in wanted:
                continue
            covering = [d for d in granted if d.covers(service_type.code)]
            if not covering:
                continue
            deepest = max(covering, key=lambda d: (d.percent_off, d.discount_id))
            items.append(
                CategoryQuotingItem(
                    item_id=f"{deepest.discount_id}:{service_type.code}",
                    cloud_service_type=service_type.code,
                    cloud_service_type_name=service_type.name,
                    site_code=ctx.state.site.upper(),
                    discount_ratio=(Decimal(100) - deepest.percent_off) / Decimal(100),
                    effective_time=format_utc(deepest.effective_from),
                    expire_time=optional_utc(deepest.effective_to),
                )
            )
    first = granted[0] if granted else None
    return ListBusinessDiscountInfoResponse(
        total_count=len(items),
        commerce_id=first.discount_id if first else None,
        effective_time=format_utc(first.effective_from) if first else None,
        expire_time=format_utc(first.effective_to) if first and first.effective_to else None,
        product_quoting_items=[],
        category_quoting_items=items[window.offset : window.offset + window.limit],
    )


class StoredValueCardsQuery(PageQuery):
    status: Annotated[Int, Doc("1 usable, 2 used up", required=True)] = None
    card_id: Annotated[str | None, Doc("one card")] = None


class StoredValueCard(WireModel):
    card_id: str
    card_name: str
    status: int
    face_value: str
    balance: str
    effective_time: str
    expire_time: str


@sdk_model(required="*")
class ListStoredValueCardsResponse(WireModel):
    stored_value_cards: list[StoredValueCard]


@operation(router, "GET", "/v2/promotions/benefits/stored-value-cards", kind=CallerKind.CUSTOMER)
async def list_stored_value_cards(
    ctx: OperationContext, query: StoredValueCardsQuery
) -> ListStoredValueCardsResponse:
    """The customer's stored-value cards, usable (1) or used up (2)

    partner-center sells no stored-value card: a reseller-model or advance-payment customer may
    not buy one (rules.md §7.20) and no other purchase path exists here, so every customer's
    list is empty; the query is validated as the reference validates it.
    """
    if query.status is None:
        raise invalid_parameter("status", "Required: 1 (usable) or 2 (used up).")
    if query.status not in (1, 2):
        raise invalid_parameter("status", "Use 1 (usable) or 2 (used up).")
    if query.card_id is not None and len(query.card_id) > 64:
        raise invalid_parameter("card_id", "At most 64 characters.")
    page(query.offset, query.limit)
    return ListStoredValueCardsResponse(total_count=0, stored_value_cards=[])
