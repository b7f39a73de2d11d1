"""``OrderService``: yearly/monthly orders — created for a customer by its partner, paid by the
customer, cancelled, listed — and the payment core that renewals share (api-semantics.md §3.7;
rules.md §5, §7, §3).

Paying an order happens in the caller's one transaction, in this order (each step idempotent on
ids derived from the order id, so a replay can never move money twice)::

    lock the order (status 6, before its deadline)         CBC.99003106 / CBC.99003110
    CustomerControl.ensure_allowed(PURCHASE | RENEW)        restricted / frozen customers
    balances.ensure_purchase_allowed                        partner over its consumption quota
    realname.ensure_may_buy_in(regions)                     Chinese-mainland regions need a
                                                            verified customer (CBC.99007004)
    discount first (the order's own, if asked for)          CBC.99003108
    coupon hold on the net amount (one coupon per order)    coupons' codes
    budget reserve at list price (reseller model)           CBC.99003198
    charge the rest (balance or partner postpaid)           CBC.99005003
    capture the coupon, commit the budget, provision

A failure anywhere rolls the whole transaction back (or the caller's savepoint, for automatic
payments), which releases the holds with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.balances.public import BalanceEngine
from partner_center.domains.budgets.public import BudgetEngine
from partner_center.domains.catalog.public import (
    DiscountOption,
    InquiryService,
    PeriodItem,
    ProductKey,
    project_id_for,
    takes_discounts,
)
from partner_center.domains.coupons.public import (
    CouponService,
    OrderContext,
    SubscribeType,
)
from partner_center.domains.coupons.public import OrderLine as CouponLine
from partner_center.domains.customers.public import (
    Action,
    AssociationStatus,
    CustomerControl,
    CustomerRecord,
    CustomerRecords,
    CustomerService,
    PartnerActor,
)
from partner_center.domains.identity.public import (
    Caller,
    IdentityService,
    Permission,
    sees_only_own_customers,
)
from partner_center.domains.orders.errors import OrderErrorCode, order_error
from partner_center.domains.orders.models import (
    CustomerOrder,
    OrderLine,
    OrderRefundLine,
    OrderStatus,
    OrderType,
    SourceType,
)
from partner_center.domains.orders.packages import OrderedPackages
from partner_center.domains.orders.views import (
    LineView,
    NewOrder,
    OrderFilter,
    OrderView,
    Payment,
    RefundLineView,
)
from partner_center.domains.partners.public import PartnerType
from partner_center.domains.realname.public import RealnameService
from partner_center.domains.resources.public import (
    PERIOD_MONTH,
    PERIOD_YEAR,
    NewResource,
    ResourceService,
    TermKind,
)
from partner_center.kernel.clock import Clock, add_months
from partner_center.kernel.errors import DomainError, access_denied, invalid_parameter
from partner_center.kernel.ids import new_id
from partner_center.kernel.jobs import schedule
from partner_center.kernel.pagination import Page, paginate

ZERO = Decimal(0)
#: The order-discount type of a partner's order price adjustment (api-semantics.md §3.7).
PRICE_ADJUSTMENT = 609
#: The id of a customer's default enterprise project.
DEFAULT_ENTERPRISE_PROJECT = "0"
CENT = Decimal("0.01")
EXPIRE_UNPAID_JOB = "orders.expire_unpaid"
MAX_PRODUCTS = 20
#: A new order sells months 1..11 or years 1..3 (api-semantics.md §3.8 ``renewal_resources``).
PERIOD_LIMITS = {PERIOD_MONTH: 11, PERIOD_YEAR: 3}
SYSTEM_USER = "system"
#: What a reseller's customers may be sold on their behalf: ECS, EVS and EIP (rules.md §5.5).
RESELLER_SERVICE_TYPES = frozenset(
    {"hws.service.type.ec2", "hws.service.type.ebs", "hws.service.type.vpc"}
)


@dataclass(frozen=True, slots=True)
class OrderPolicy:
    """Configurable durations (settings ``ORDER_PAYMENT_DAYS`` …, README)."""

    payment_days: int = 7
    grace_days: int = 15
    retention_days: int = 15
    unconditional_refund_days: int = 5
    max_total_months: int = 60


def months_of(period_type: int, period_num: int) -> int:
    return period_num * 12 if period_type == PERIOD_YEAR else period_num


def check_period(period_type: int, period_num: int) -> None:
    """``CBC.0100`` for a period outside months 1..11 or years 1..3."""
    if period_type not in PERIOD_LIMITS:
        raise invalid_parameter("period_type", "Use 2 (month) or 3 (year).")
    top = PERIOD_LIMITS[period_type]
    if not 1 <= period_num <= top:
        raise invalid_parameter("period_num", f"Use 1 to {top} for period_type {period_type}.")


def split(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``total`` (2 decimals) shared in proportion to ``weights``: each share truncated to the
    cent, the remainder to the last line with a weight, so the shares always sum to ``total``."""
    whole = sum(weights, ZERO)
    if total == 0 or whole == 0:
        return [ZERO for _ in weights]
    shares = [(total * w / whole).quantize(CENT, rounding=ROUND_DOWN) for w in weights]
    last = max(i for i, w in enumerate(weights) if w > 0)
    shares[last] += total - sum(shares, ZERO)
    return shares


def line_view(row: OrderLine) -> LineView:
    return LineView(
        line_id=row.id,
        order_id=row.order_id,
        position=row.position,
        parent_line_id=row.parent_line_id,
        resource_ref=row.resource_ref,
        service_type_code=row.service_type_code,
        service_type_name=row.service_type_name,
        resource_type_code=row.resource_type_code,
        resource_type_name=row.resource_type_name,
        resource_spec_code=row.resource_spec_code,
        region_code=row.region_code,
        product_id=row.product_id,
        product_spec_desc=row.product_spec_desc,
        period_type=row.period_type,
        period_num=row.period_num,
        subscription_num=row.subscription_num,
        official_amount=row.official_amount,
        discount_offered=row.discount_offered,
        discount_amount=row.discount_amount,
        amount_after_discount=row.amount_after_discount,
        coupon_amount=row.coupon_amount,
        effective_time=row.effective_time,
        expire_time=row.expire_time,
    )


def paying_agent(customer: CustomerRecord) -> str | None:
    """Who pays the customer's orders: its billed partner for a reseller-model customer (the
    partner bills the customer itself), nobody else for a customer paying its own."""
    return None if takes_discounts(customer) else customer.billed_partner_id


def order_view(row: CustomerOrder, lines: Sequence[OrderLine] = ()) -> OrderView:
    return OrderView(
        order_id=row.id,
        customer_id=row.tenant_id,
        partner_id=row.partner_id,
        order_type=OrderType(row.order_type),
        source_type=SourceType(row.source_type),
        status=OrderStatus(row.status),
        service_type_code=row.service_type_code,
        service_type_name=row.service_type_name,
        currency=row.currency,
        official_amount=row.official_amount,
        discount_amount=row.discount_amount,
        amount_after_discount=row.amount_after_discount,
        coupon_amount=row.coupon_amount,
        consumed_amount=row.consumed_amount,
        discount_id=row.discount_id,
        discount_type=row.discount_type,
        discount_percent=row.discount_percent,
        discount_offered=row.discount_offered,
        coupon_id=row.coupon_id,
        base_order_id=row.base_order_id,
        created_by=row.created_by,
        created_at=row.created_at,
        payment_deadline=row.payment_deadline,
        paid_at=row.paid_at,
        enterprise_project_id=row.enterprise_project_id,
        paying_agent_id=row.paying_agent_id,
        unsubscribe_reason_type=row.unsubscribe_reason_type,
        unsubscribe_reason=row.unsubscribe_reason,
        lines=tuple(line_view(x) for x in lines),
    )


@dataclass(frozen=True, slots=True)
class PricedLine:
    """A line to put on a new or renewal order."""

    product: ProductKey
    service_type_name: str
    resource_type_name: str
    product_id: str
    product_spec_desc: str
    period_type: int
    period_num: int
    subscription_num: int
    official: Decimal
    discounted: Decimal
    spec_size: int | None = None
    spec_size_measure_id: int | None = None
    parent_index: int | None = None
    resource_ref: str | None = None
    ends_at: datetime | None = None
    """Renewal lines: the end of the renewed term when it is fixed at ordering (aligned to the
    customer's ``EXPIRE_DATE``); None: the period from the current expiry."""


class OrderService:
    """Orders of customers, bound to one session. Flushes, never commits."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        zone: ZoneInfo,
        currency: str,
        policy: OrderPolicy,
        balances: BalanceEngine,
        customers: CustomerService,
        identity: IdentityService,
        inquiry: InquiryService,
        budgets: BudgetEngine,
        control: CustomerControl,
        coupons: CouponService,
        resources: ResourceService,
        customer_records: CustomerRecords,
        realname: RealnameService,
        packages: OrderedPackages,
    ) -> None:
        self.session = session
        self.packages = packages
        self.clock = clock
        self.zone = zone
        self.currency = currency
        self.policy = policy
        self.balances = balances
        self.customers = customers
        self.identity = identity
        self.inquiry = inquiry
        self.budgets = budgets
        self.control = control
        self.coupons = coupons
        self.resources = resources
        self.customer_records = customer_records
        self.realname = realname

    # -- rows ------------------------------------------------------------------------------

    async def _order(self, order_id: str, *, lock: bool = False) -> CustomerOrder | None:
        if not order_id or len(order_id) > 64:
            raise invalid_parameter("order_id", "1 to 64 characters.")
        if lock:
            return await self.session.get(
                CustomerOrder, order_id.upper(), with_for_update=True, populate_existing=True
            )
        return await self.session.get(CustomerOrder, order_id.upper())

    async def _lines(self, order_id: str) -> list[OrderLine]:
        stmt = select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.position)
        return list((await self.session.execute(stmt)).scalars().all())

    def new_order_id(self) -> str:
        local = self.clock.now().astimezone(self.zone)
        # The tail of a UUIDv7 is its random part (the head is the time, shared within a ms).
        return f"CS{local:%y%m%d%H%M}{new_id()[-12:].upper()}"

    # -- creating --------------------------------------------------------------------------

    async def create_for_customer(self, actor: PartnerActor, request: NewOrder) -> OrderView:
        """A partner places a pending-payment yearly/monthly order for an authorized customer
        (rules.md §5.1): a CSP or distributor for its own customers, a distributor for a
        reseller's customer with ``indirect_partner_id`` (the reseller must hold the customer's
        authorization).

        Raises:
            DomainError: ``CBC.0100`` bad request; ``CBC.99000037`` not the distributor's
                reseller; ``CBC.99000035`` not the partner's customer; ``CBC.99000000`` the
                customer has not authorized the partner; ``CBC.99003656`` restricted or frozen
                customer; the catalog's pricing codes.
        """
        owner_id = await self.customers.owner_for(actor, request.indirect_partner_id)
        customer = await self.customer_records.get(request.customer_id)
        if (
            customer is None
            or customer.association_status != AssociationStatus.ASSOCIATED
            or customer.tenant_id != owner_id
        ):
            raise order_error(
                OrderErrorCode.NOT_YOUR_CUSTOMER,
                "The customer is not a sub-customer of this partner.",
            )
        owner = (
            actor.partner
            if owner_id == actor.partner_id
            else await self.customers.partners.get(owner_id)
        )
        assert owner is not None
        agency = await self.identity.active_agency(
            customer_id=customer.account_id, partner_id=owner.partner_id, name=owner.xaccount_type
        )
        if agency is None:
            raise DomainError(
                OrderErrorCode.NOT_AUTHORIZED,
                "The customer has not authorized the partner to order on its behalf "
                "(rules.md §5.1).",
            )
        await self.control.ensure_allowed(customer.account_id, Action.PURCHASE)
        check_period(request.period_type, request.period_num)
        if owner.partner_type == PartnerType.RESELLER:
            for product in request.products:
                if product.service_type not in RESELLER_SERVICE_TYPES:
                    raise invalid_parameter(
                        "product_infos.cloud_service_type",
                        f"{product.service_type}: a reseller's customers are sold only ECS, EVS "
                        "and EIP on their behalf (rules.md §5.5).",
                    )
        lines, best = await self._price_new(customer.account_id, request)
        source = (
            SourceType.DISTRIBUTOR
            if actor.partner.partner_type == PartnerType.DISTRIBUTOR
            and owner_id != actor.partner_id
            else SourceType.AGENT
        )
        row = await self.create_order(
            customer,
            OrderType.NEW,
            source,
            lines,
            best,
            created_by=actor.caller.member_name or actor.caller.account_name,
            period=(request.period_type, request.period_num),
            auto_renew=request.auto_renew,
            enterprise_project_id=request.enterprise_project_id,
        )
        return order_view(row, await self._lines(row.id))

    async def _price_new(
        self, customer_id: str, request: NewOrder
    ) -> tuple[list[PricedLine], DiscountOption | None]:
        products = request.products
        if not products or len(products) > MAX_PRODUCTS:
            raise invalid_parameter("product_infos", f"Give 1 to {MAX_PRODUCTS} products.")
        index = {p.id: i for i, p in enumerate(products)}
        if len(index) != len(products):
            raise invalid_parameter("product_infos.id", "Ids must be unique.")
        for product in products:
            if not 1 <= product.subscription_num <= 100:
                raise invalid_parameter("subscription_num", "Use 1 to 100.")
            if product.parent_id is not None:
                parent = index.get(product.parent_id)
                if parent is None or products[parent].parent_id is not None:
                    raise invalid_parameter(
                        "parent_id", f"Product {product.id}: name a primary product of the order."
                    )
                if products[parent].subscription_num != product.subscription_num:
                    raise invalid_parameter(
                        "subscription_num",
                        f"Product {product.id}: attach as many as its primary product.",
                    )
        items = [
            PeriodItem(
                id=p.id,
                key=ProductKey(p.service_type, p.resource_type, p.resource_spec, p.region),
                period_type=request.period_type,
                period_num=request.period_num,
                subscription_num=p.subscription_num,
                resource_size=p.resource_size,
                size_measure_id=p.size_measure_id,
            )
            for p in products
        ]
        parents = [index[p.parent_id] if p.parent_id else None for p in products]
        return await self.rate(customer_id, items, parents=parents)

    async def rate(
        self,
        customer_id: str,
        items: Sequence[PeriodItem],
        *,
        parents: Sequence[int | None] = (),
        refs: Sequence[str | None] = (),
    ) -> tuple[list[PricedLine], DiscountOption | None]:
        """Price order lines at list price now, with the customer's best discount offered.
        ``parents`` gives each line's primary line (by index), ``refs`` its resource."""
        rating = await self.inquiry.rate_period(customer_id, items)
        best = next((o for o in rating.options if o.best_offer), None)
        priced: list[PricedLine] = []
        for position, (item, line) in enumerate(zip(items, rating.lines, strict=True)):
            spec = await self.inquiry.catalog.spec(item.key)
            discounted = line.official
            if best is not None:
                discounted = best.lines[position].amount
            priced.append(
                PricedLine(
                    product=item.key,
                    service_type_name=spec.service_type_name,
                    resource_type_name=spec.resource_type_name,
                    product_id=line.product_id,
                    product_spec_desc=spec.spec_name,
                    period_type=item.period_type,
                    period_num=item.period_num,
                    subscription_num=item.subscription_num,
                    official=line.official,
                    discounted=discounted,
                    spec_size=item.resource_size,
                    spec_size_measure_id=item.size_measure_id,
                    parent_index=parents[position] if parents else None,
                    resource_ref=refs[position] if refs else None,
                )
            )
        return priced, best

    async def create_order(
        self,
        customer: CustomerRecord,
        order_type: OrderType,
        source: SourceType,
        lines: Sequence[PricedLine],
        best: DiscountOption | None,
        *,
        created_by: str,
        period: tuple[int, int] | None,
        auto_renew: bool = False,
        enterprise_project_id: str = DEFAULT_ENTERPRISE_PROJECT,
    ) -> CustomerOrder:
        now = self.clock.now()
        official = sum((x.official for x in lines), ZERO)
        offered = sum((x.official - x.discounted for x in lines), ZERO)
        first = lines[0]
        percent = None
        if best is not None and offered > 0:
            granted = await self.inquiry.discounts.in_force(customer.account_id, now)
            percent = next(
                (d.percent_off for d in granted if d.discount_id == best.discount_id), None
            )
        row = CustomerOrder(
            id=self.new_order_id(),
            tenant_id=customer.account_id,
            partner_id=customer.tenant_id,
            distributor_id=customer.distributor_id,
            order_type=int(order_type),
            source_type=int(source),
            status=int(OrderStatus.PENDING_PAYMENT),
            service_type_code=first.product.service_type,
            service_type_name=first.service_type_name,
            currency=self.currency,
            official_amount=official,
            discount_amount=offered,
            amount_after_discount=official - offered,
            coupon_amount=ZERO,
            consumed_amount=ZERO,
            discount_id=best.discount_id if best and offered > 0 else None,
            discount_type=best.discount_type if best and offered > 0 else None,
            discount_percent=percent,
            discount_offered=offered,
            period_type=period[0] if period else None,
            period_num=period[1] if period else None,
            auto_renew=auto_renew,
            created_by=created_by,
            created_at=now,
            payment_deadline=now + timedelta(days=self.policy.payment_days),
            enterprise_project_id=enterprise_project_id,
            paying_agent_id=paying_agent(customer),
        )
        self.session.add(row)
        await self.session.flush()
        ids: list[str] = []
        for position, line in enumerate(lines):
            line_id = new_id()
            ids.append(line_id)
            self.session.add(
                OrderLine(
                    id=line_id,
                    tenant_id=customer.account_id,
                    order_id=row.id,
                    position=position,
                    parent_line_id=ids[line.parent_index]
                    if line.parent_index is not None
                    else None,
                    resource_ref=line.resource_ref,
                    service_type_code=line.product.service_type,
                    service_type_name=line.service_type_name,
                    resource_type_code=line.product.resource_type,
                    resource_type_name=line.resource_type_name,
                    resource_spec_code=line.product.resource_spec,
                    region_code=line.product.region,
                    product_id=line.product_id,
                    product_spec_desc=line.product_spec_desc,
                    spec_size=line.spec_size,
                    spec_size_measure_id=line.spec_size_measure_id,
                    period_type=line.period_type,
                    period_num=line.period_num,
                    subscription_num=line.subscription_num,
                    official_amount=line.official,
                    discount_offered=line.official - line.discounted,
                    discount_amount=line.official - line.discounted,
                    amount_after_discount=line.discounted,
                    coupon_amount=ZERO,
                    expire_time=line.ends_at,
                )
            )
        await self.session.flush()
        assert row.payment_deadline is not None
        await schedule(
            self.session,
            name=EXPIRE_UNPAID_JOB,
            due_at=row.payment_deadline,
            payload={"order_id": row.id},
            dedupe_key=f"{EXPIRE_UNPAID_JOB}:{row.id}",
            tenant_id=row.tenant_id,
        )
        return row

    # -- paying ----------------------------------------------------------------------------

    async def pay(self, customer_id: str, payment: Payment) -> OrderView:
        """The customer pays its pending order (``pay_orders``).

        Raises:
            DomainError: ``CBC.30000010`` not the customer's order; ``CBC.99003106`` not
                pending payment (already paid, cancelled); ``CBC.99003110`` past its deadline;
                ``CBC.99003108`` discount not applicable; the control, coupon, budget and
                balance codes.
        """
        row = await self._order(payment.order_id, lock=True)
        if row is None or row.tenant_id != customer_id:
            raise order_error(
                OrderErrorCode.INVALID_ORDER, f"Order {payment.order_id} does not exist."
            )
        await self.settle(row, payment)
        return order_view(row, await self._lines(row.id))

    def _coupon_context(self, row: CustomerOrder, lines: Sequence[OrderLine]) -> OrderContext:
        return OrderContext(
            customer_id=row.tenant_id,
            order_id=row.id,
            subscribe_type=(
                SubscribeType.RENEW if row.order_type == OrderType.RENEW else SubscribeType.NEW
            ),
            lines=tuple(
                CouponLine(
                    cloud_service_type=x.service_type_code,
                    list_amount=x.official_amount,
                    discount_amount=x.discount_amount,
                    region_code=x.region_code,
                    product_id=x.product_id,
                )
                for x in lines
            ),
        )

    async def settle(self, row: CustomerOrder, payment: Payment) -> None:
        """Pay a locked order (see the module docstring); the resources are provisioned or
        renewed and the order completes."""
        if row.status != OrderStatus.PENDING_PAYMENT:
            raise order_error(
                OrderErrorCode.STATUS_CHANGED,
                f"Order {row.id} is not pending payment (status {row.status}); it cannot be paid.",
            )
        now = self.clock.now()
        if row.payment_deadline is not None and now >= row.payment_deadline:
            raise order_error(
                OrderErrorCode.DEADLINE_PASSED,
                f"The payment deadline of order {row.id} has passed; place a new order.",
            )
        renewal = row.order_type == OrderType.RENEW
        await self.control.ensure_allowed(
            row.tenant_id, Action.RENEW if renewal else Action.PURCHASE
        )
        await self.balances.ensure_purchase_allowed(row.tenant_id)
        lines = await self._lines(row.id)
        if not renewal:
            await self.realname.ensure_may_buy_in(row.tenant_id, {x.region_code for x in lines})
        self._apply_discount(row, lines, payment)
        context = self._coupon_context(row, lines)
        coupon_total = ZERO
        if payment.coupon_id is not None:
            held = await self.coupons.redemptions.redeem(
                order=context, coupon_id=payment.coupon_id, redemption_id=f"order-pay:{row.id}"
            )
            coupon_total = held.amount
            row.coupon_id = payment.coupon_id
        for line, share in zip(
            lines, split(coupon_total, [x.amount_after_discount for x in lines]), strict=True
        ):
            line.coupon_amount = share
        row.coupon_amount = coupon_total
        reservation = None
        if await self.budgets.applies_to(row.tenant_id):
            reservation = await self.budgets.reserve(row.tenant_id, row.official_amount, row.id)
        payable = row.amount_after_discount - coupon_total
        charge_id = None
        if payable > 0:
            charge_id = f"order:{row.id}"
            await self.balances.charge_customer(
                row.tenant_id,
                payable,
                charge_id,
                description=f"{row.service_type_name} order {row.id}"[:200],
            )
        if coupon_total > 0:
            await self.coupons.redemptions.capture(order_id=row.id)
        if reservation is not None:
            await self.budgets.commit(reservation.id)
        row.status = int(OrderStatus.COMPLETED)
        row.paid_at = now
        await self.session.flush()
        if renewal:
            await self._renew_resources(row, lines, charge_id)
        else:
            await self._provision(row, lines, charge_id)

    def _apply_discount(
        self, row: CustomerOrder, lines: Sequence[OrderLine], payment: Payment
    ) -> None:
        if row.discount_type == PRICE_ADJUSTMENT:
            # The adjusted price is the order's price; no other discount stacks on it.
            if payment.use_discount and payment.discount_id != row.discount_id:
                raise order_error(
                    OrderErrorCode.DISCOUNT_NOT_APPLICABLE,
                    f"Order {row.id} has an adjusted price; no other discount applies.",
                )
            payment = replace(payment, use_discount=True)
        elif payment.use_discount:
            if row.discount_id is None or payment.discount_id != row.discount_id:
                raise order_error(
                    OrderErrorCode.DISCOUNT_NOT_APPLICABLE,
                    f"The discount {payment.discount_id} does not apply to order {row.id}.",
                )
            if payment.discount_type is not None and payment.discount_type != wire_discount_type(
                row.discount_type
            ):
                raise order_error(
                    OrderErrorCode.DISCOUNT_NOT_APPLICABLE,
                    f"The discount {payment.discount_id} is not of type {payment.discount_type}.",
                )
        for line in lines:
            line.discount_amount = line.discount_offered if payment.use_discount else ZERO
            line.amount_after_discount = line.official_amount - line.discount_amount
        row.discount_amount = sum((x.discount_amount for x in lines), ZERO)
        row.amount_after_discount = row.official_amount - row.discount_amount

    async def _provision(
        self, row: CustomerOrder, lines: Sequence[OrderLine], charge_id: str | None
    ) -> None:
        now = self.clock.now()
        assert row.period_type is not None and row.period_num is not None
        expire = add_months(self.zone, now, months_of(row.period_type, row.period_num))
        made: dict[str, list[str]] = {}
        for line in sorted(lines, key=lambda x: (x.parent_line_id is not None, x.position)):
            line.effective_time, line.expire_time = now, expire
            package = await self.packages.grant_of(
                ProductKey(
                    line.service_type_code,
                    line.resource_type_code,
                    line.resource_spec_code,
                    line.region_code,
                ),
                product_id=line.product_id,
                name=line.product_spec_desc,
            )
            count = line.subscription_num
            paid = split(line.amount_after_discount - line.coupon_amount, [Decimal(1)] * count)
            coupon = split(line.coupon_amount, [Decimal(1)] * count)
            listed = split(line.official_amount, [Decimal(1)] * count)
            made[line.id] = []
            for i in range(count):
                parent = made[line.parent_line_id][i] if line.parent_line_id else None
                view = await self.resources.provision(
                    NewResource(
                        customer_id=row.tenant_id,
                        partner_id=row.partner_id,
                        distributor_id=row.distributor_id,
                        order_id=row.id,
                        enterprise_project_id=row.enterprise_project_id,
                        line_id=line.id,
                        region_code=line.region_code,
                        service_type_code=line.service_type_code,
                        service_type_name=line.service_type_name,
                        resource_type_code=line.resource_type_code,
                        resource_type_name=line.resource_type_name,
                        resource_spec_code=line.resource_spec_code,
                        product_id=line.product_id,
                        product_spec_desc=line.product_spec_desc,
                        project_id=project_id_for(row.tenant_id, line.region_code),
                        spec_size=line.spec_size,
                        spec_size_measure_id=line.spec_size_measure_id,
                        period_type=line.period_type,
                        period_num=line.period_num or 1,
                        effective_time=now,
                        expire_time=expire,
                        list_amount=listed[i],
                        paid_amount=paid[i],
                        coupon_amount=coupon[i],
                        charge_id=charge_id if paid[i] > 0 else None,
                        auto_renew=row.auto_renew,
                        parent_id=parent,
                    )
                )
                made[line.id].append(view.id)
                if package is not None:
                    await self.packages.deliver(
                        package,
                        customer_id=row.tenant_id,
                        resource_id=view.id,
                        order_id=row.id,
                        effective_time=now,
                        expire_time=expire,
                    )
        await self.session.flush()

    async def _renew_resources(
        self, row: CustomerOrder, lines: Sequence[OrderLine], charge_id: str | None
    ) -> None:
        refs = [x.resource_ref for x in lines if x.resource_ref]
        locked = {r.id: r for r in await self.resources.lock(refs)}
        for line in lines:
            assert line.resource_ref is not None and line.period_num is not None
            resource = locked[line.resource_ref]
            # A renewal continues the paid time, also in the grace period (the grace days are
            # part of the new term, as the reference bills them).
            starts = resource.expire_time
            ends = line.expire_time or add_months(
                self.zone, starts, months_of(line.period_type, line.period_num)
            )
            line.effective_time, line.expire_time = starts, ends
            paid = line.amount_after_discount - line.coupon_amount
            await self.resources.add_term(
                resource,
                order_id=row.id,
                line_id=line.id,
                kind=TermKind.RENEW,
                starts_at=starts,
                ends_at=ends,
                list_amount=line.official_amount,
                paid_amount=paid,
                coupon_amount=line.coupon_amount,
                charge_id=charge_id if paid > 0 else None,
            )
            await self.resources.extend(
                resource, ends_at=ends, period_type=line.period_type, period_num=line.period_num
            )
            await self.packages.follow(row.tenant_id, resource.id, ends)
        await self.session.flush()

    # -- cancelling and expiring -----------------------------------------------------------

    async def cancel(self, customer_id: str, order_id: str) -> None:
        """Cancel a pending-payment order (status 4), freeing the resources it holds.

        Raises:
            DomainError: ``CBC.30000010`` not the customer's order; ``CBC.99005010`` not pending
                payment.
        """
        row = await self._order(order_id, lock=True)
        if row is None or row.tenant_id != customer_id:
            raise order_error(OrderErrorCode.INVALID_ORDER, f"Order {order_id} does not exist.")
        if row.status != OrderStatus.PENDING_PAYMENT:
            raise order_error(
                OrderErrorCode.CANNOT_CANCEL,
                f"Order {row.id} has status {row.status}; only pending-payment orders can be "
                "cancelled.",
            )
        await self._close_unpaid(row)

    async def _close_unpaid(self, row: CustomerOrder) -> None:
        row.status = int(OrderStatus.CANCELLED)
        row.closed_at = self.clock.now()
        refs = [x.resource_ref for x in await self._lines(row.id) if x.resource_ref]
        await self.resources.release_from_order(refs, row.id)

    async def expire_unpaid(self, order_id: str) -> bool:
        """The payment deadline passed: cancel the order if it is still unpaid."""
        row = await self._order(order_id, lock=True)
        if row is None or row.status != OrderStatus.PENDING_PAYMENT:
            return False
        if row.payment_deadline is not None and self.clock.now() < row.payment_deadline:
            return False
        await self._close_unpaid(row)
        return True

    # -- reading ---------------------------------------------------------------------------

    async def _visible(
        self, caller: Caller, actor: PartnerActor | None, indirect: str | None
    ) -> Select[CustomerOrder]:
        """The order query narrowed to what the caller may see."""
        stmt: Select[CustomerOrder] = select(CustomerOrder)
        if actor is None:
            return stmt.where(CustomerOrder.tenant_id == caller.account_id)
        needed = Permission.VIEW_RESELLER_ORDERS if indirect else Permission.VIEW_ORDERS
        if not caller.has(needed):
            raise access_denied("The member lacks the permission to view customer orders.")
        owner_id = await self.customers.owner_for(actor, indirect)
        stmt = stmt.where(CustomerOrder.partner_id == owner_id)
        if caller.member_id and sees_only_own_customers(
            list(caller.roles), is_admin=caller.is_admin
        ):
            mine = self.customer_records.ids(account_manager_id=caller.member_id)
            stmt = stmt.where(CustomerOrder.tenant_id.in_(mine))
        return stmt

    async def list_orders(
        self, caller: Caller, actor: PartnerActor | None, filters: OrderFilter, page: Page
    ) -> tuple[list[OrderView], int]:
        """Orders the caller may see (a customer its own; a partner its customers', a
        distributor with ``indirect_partner_id`` its reseller's; an account manager only its
        own customers'), newest first unless ``newest_first`` is False."""
        if filters.enterprise_member_id is not None and actor is None:
            stmt = select(CustomerOrder).where(
                CustomerOrder.tenant_id == filters.enterprise_member_id
            )
        else:
            stmt = await self._visible(caller, actor, filters.indirect_partner_id)
        if filters.order_id:
            stmt = stmt.where(CustomerOrder.id == filters.order_id.upper())
        if filters.customer_id:
            stmt = stmt.where(CustomerOrder.tenant_id == filters.customer_id)
        if filters.created_after is not None:
            stmt = stmt.where(CustomerOrder.created_at >= filters.created_after)
        if filters.created_before is not None:
            stmt = stmt.where(CustomerOrder.created_at <= filters.created_before)
        if filters.paid_after is not None:
            stmt = stmt.where(CustomerOrder.paid_at >= filters.paid_after)
        if filters.paid_before is not None:
            stmt = stmt.where(CustomerOrder.paid_at <= filters.paid_before)
        if filters.service_type_code:
            stmt = stmt.where(CustomerOrder.service_type_code == filters.service_type_code)
        if filters.status is not None:
            stmt = stmt.where(CustomerOrder.status == filters.status)
        if filters.order_type is not None:
            stmt = stmt.where(CustomerOrder.order_type == filters.order_type)
        order = (
            (CustomerOrder.created_at.desc(), CustomerOrder.id.desc())
            if filters.newest_first
            else (CustomerOrder.created_at, CustomerOrder.id)
        )
        rows, total = await paginate(self.session, stmt, page, *order)
        return [order_view(r) for r in rows], int(total)

    async def visible_order(
        self,
        caller: Caller,
        actor: PartnerActor | None,
        order_id: str,
        *,
        indirect_partner_id: str | None = None,
    ) -> OrderView:
        """One order the caller may see (``CBC.30000010`` otherwise, never revealing others')."""
        stmt = await self._visible(caller, actor, indirect_partner_id)
        if not order_id or len(order_id) > 64:
            raise invalid_parameter("order_id", "1 to 64 characters.")
        row = (
            await self.session.execute(stmt.where(CustomerOrder.id == order_id.upper()))
        ).scalar_one_or_none()
        if row is None:
            raise order_error(OrderErrorCode.INVALID_ORDER, f"Order {order_id} does not exist.")
        return order_view(row, await self._lines(row.id))

    async def own_order(self, customer_id: str, order_id: str) -> OrderView:
        row = await self._order(order_id)
        if row is None or row.tenant_id != customer_id:
            raise order_error(OrderErrorCode.INVALID_ORDER, f"Order {order_id} does not exist.")
        return order_view(row, await self._lines(row.id))

    def coupon_context(self, order: OrderView) -> OrderContext:
        """What the coupon rules see of a pending order (the discount applied, as it would be)."""
        return OrderContext(
            customer_id=order.customer_id,
            order_id=order.order_id,
            subscribe_type=(
                SubscribeType.RENEW if order.order_type == OrderType.RENEW else SubscribeType.NEW
            ),
            lines=tuple(
                CouponLine(
                    cloud_service_type=x.service_type_code,
                    list_amount=x.official_amount,
                    discount_amount=x.discount_amount,
                    region_code=x.region_code,
                    product_id=x.product_id,
                )
                for x in order.lines
            ),
        )

    async def refund_lines(
        self,
        caller: Caller,
        actor: PartnerActor | None,
        order_id: str,
        *,
        customer_id: str | None,
        indirect_partner_id: str | None,
    ) -> list[RefundLineView]:
        """Refund lines of an unsubscription order (``CBC.99005026`` for other order types)."""
        if actor is not None and not customer_id:
            raise invalid_parameter("customer_id", "A partner names the customer.")
        order = await self.visible_order(
            caller, actor, order_id, indirect_partner_id=indirect_partner_id
        )
        if customer_id and order.customer_id != customer_id:
            raise order_error(OrderErrorCode.INVALID_ORDER, f"Order {order_id} does not exist.")
        if order.order_type not in (OrderType.UNSUBSCRIBE, OrderType.CHANGE):
            raise order_error(
                OrderErrorCode.NOT_REFUND_ORDER,
                f"Order {order_id} is not a downgrade or unsubscription order.",
            )
        stmt = (
            select(OrderRefundLine)
            .where(OrderRefundLine.order_id == order.order_id)
            .order_by(OrderRefundLine.id)
        )
        return [
            RefundLineView(
                id=r.id,
                amount=r.amount,
                customer_id=r.tenant_id,
                resource_type_code=r.resource_type_code,
                resource_type_name=r.resource_type_name,
                service_type_code=r.service_type_code,
                service_type_name=r.service_type_name,
                region_code=r.region_code,
                base_order_id=r.base_order_id,
            )
            for r in (await self.session.execute(stmt)).scalars().all()
        ]


def wire_discount_type(catalog_type: int | None) -> int | None:
    """The reference's order-discount type of a catalog discount: a business (contract) discount
    605 is a commercial discount (2); distributor-granted 606 and partner-set 607 are
    partner-granted (3)."""
    if catalog_type is None:
        return None
    return 2 if catalog_type == 605 else 3
