"""What a customer does with its yearly/monthly resources: renew, unsubscribe, auto-renew,
renewal settings, switching to pay-per-use (api-semantics.md §3.8; rules.md §5.11, §7.7).

Refunds (``cancel_resources_subscription``, the instant switch to pay-per-use) are computed per
paid term of each resource, exactly, from the money the term took (``paid``, after discount and
coupon)::

    term already over                        refund 0            consumed = paid
    term not started (an unused renewal)     refund = paid       coupon part back too (§7.7)
    new purchase, within 5 days of start     refund = paid       (coupon part kept)
    term running                             consumed = ⌈paid × used / length⌉ (to the cent,
                                             ROUND_CEILING); refund = paid − consumed (so the
                                             refund is rounded down); coupon part kept

``used`` and ``length`` are exact durations (microseconds). Budget use is not given back: the
budget measures list-price purchases (rules.md §3.3) and a refund is not a purchase.
"""

from __future__ import annotations

import math
from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from partner_center.domains.catalog.public import DiscountOption, PeriodItem, ProductKey
from partner_center.domains.coupons.public import RefundCase
from partner_center.domains.customers.public import (
    Action,
    CustomerRecord,
)
from partner_center.domains.orders.errors import OrderErrorCode
from partner_center.domains.orders.models import (
    CustomerOrder,
    OrderLine,
    OrderRefundLine,
    OrderStatus,
    OrderType,
    SourceType,
)
from partner_center.domains.orders.service import (
    SYSTEM_USER,
    ZERO,
    OrderService,
    PricedLine,
    check_period,
    months_of,
    paying_agent,
    wire_discount_type,
)
from partner_center.domains.orders.views import BatchResult, InstantSwitch, ItemFailure, Payment
from partner_center.domains.resources.public import (
    ExpirePolicy,
    ResourceErrorCode,
    ResourceStatus,
    ResourceView,
    TermKind,
    TermView,
    resource_error,
)
from partner_center.kernel.clock import add_months, to_micros, utc
from partner_center.kernel.errors import DomainError, invalid_parameter
from partner_center.kernel.ids import new_id
from partner_center.kernel.money import to_cents

MAX_RENEW = 10
MAX_UNSUBSCRIBE = 10
MAX_TO_ON_DEMAND = 100
MAX_INSTANT = 10
UNSUBSCRIBE_WHOLE = 1
UNSUBSCRIBE_RENEWALS = 2
DEDUCTION_DATE = "DEDUCTION_DATE"
EXPIRE_DATE = "EXPIRE_DATE"
#: ``EXPIRE_DATE`` -1: the last day of the month.
LAST_DAY = -1
AUTO_RENEW_PERIODS = {"MONTH": 2, "YEAR": 3}


@dataclass(frozen=True, slots=True)
class TermRefund:
    refund: Decimal
    consumed: Decimal
    coupon_back: bool


def aligned_end(zone: ZoneInfo, natural_end: datetime, expire_day: int) -> datetime:
    """The first instant at or after ``natural_end`` (same time of day, billing time zone) on
    the customer's ``EXPIRE_DATE`` day of a month: 1-28, or -1 for the month's last day."""
    local = utc(natural_end).astimezone(zone)
    year, month = local.year, local.month
    for _ in range(2):
        last = monthrange(year, month)[1]
        day = last if expire_day == LAST_DAY else expire_day
        candidate = local.replace(year=year, month=month, day=day)
        if candidate >= local:
            return candidate.astimezone(UTC)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise AssertionError("a day 1-28 or the last day is always found within two months")


def aligned_line(
    line: PricedLine, starts: datetime, zone: ZoneInfo, *, expire_day: int, months: int
) -> PricedLine:
    """A renewal line extended to the ``EXPIRE_DATE`` day, priced by the day: the period's price
    times (days to the aligned end) / (days of the period), rounded half-up to the cent."""
    natural = add_months(zone, starts, months)
    ends = aligned_end(zone, natural, expire_day)
    if ends == natural:
        return replace(line, ends_at=ends)
    factor = Fraction(to_micros(ends) - to_micros(starts), to_micros(natural) - to_micros(starts))

    def scaled(amount: Decimal) -> Decimal:
        exact = Fraction(amount) * factor
        return to_cents(Decimal(exact.numerator) / Decimal(exact.denominator))

    return replace(
        line, official=scaled(line.official), discounted=scaled(line.discounted), ends_at=ends
    )


@dataclass(frozen=True, slots=True)
class UnsubscribeReason:
    """Why the customer unsubscribes, stored on the unsubscription order."""

    reason_type: int | None
    """1 hard to use, 2 features do not meet needs, 3 too complex, 4 service, 5 other."""
    text: str | None


@dataclass(frozen=True, slots=True)
class RenewalLines:
    """One primary resource's renewal priced: its line first, then its attached resources'."""

    resource_id: str
    lines: list[tuple[str, PricedLine]]
    """(resource id, its line)."""
    best: DiscountOption | None
    """The discount the renewal order would offer (None: list price)."""


@dataclass(frozen=True, slots=True)
class RenewalQuote:
    resources: list[RenewalLines] = field(default_factory=list)
    failures: list[ItemFailure] = field(default_factory=list)


def term_refund(term: TermView, now: datetime, unconditional_days: int | None) -> TermRefund:
    """The refund of one paid term unsubscribed at ``now`` (see the module docstring);
    ``unconditional_days`` None turns the new-purchase rule off."""
    paid = term.paid_amount
    if term.ends_at <= now:
        return TermRefund(ZERO, paid, False)
    if term.starts_at > now:
        return TermRefund(paid, ZERO, True)
    if (
        unconditional_days is not None
        and term.kind == TermKind.NEW
        and now < term.starts_at + timedelta(days=unconditional_days)
    ):
        return TermRefund(paid, ZERO, False)
    used = to_micros(now) - to_micros(term.starts_at)
    length = to_micros(term.ends_at) - to_micros(term.starts_at)
    exact = Fraction(paid) * used / length * 100
    consumed = Decimal(math.ceil(exact)) / 100
    return TermRefund(paid - consumed, consumed, False)


class SubscriptionService:
    """The customer's resource operations, over an ``OrderService`` (one session)."""

    def __init__(self, orders: OrderService) -> None:
        self.orders = orders
        self.resources = orders.resources
        self.customer_records = orders.customer_records
        self.session = orders.session
        self.clock = orders.clock

    # -- lookups ---------------------------------------------------------------------------

    @staticmethod
    def _check_ids(ids: Sequence[str], top: int) -> list[str]:
        if not ids or len(ids) > top:
            raise invalid_parameter("resource_ids", f"Give 1 to {top} resource ids.")
        for value in ids:
            if not isinstance(value, str) or not value or len(value) > 64:
                raise invalid_parameter("resource_ids", "Each id has 1 to 64 characters.")
        if len(set(ids)) != len(ids):
            raise resource_error(ResourceErrorCode.DUPLICATE_IDS, "Duplicate resource ids.")
        return list(ids)

    async def _find(self, customer_id: str, resource_id: str) -> ResourceView:
        row = await self.resources.by_resource_id(customer_id, resource_id, lock=True)
        if row is None:
            raise resource_error(
                ResourceErrorCode.NOT_FOUND, f"Resource {resource_id} does not exist."
            )
        return row

    async def _customer(self, customer_id: str) -> CustomerRecord:
        row = await self.customer_records.get(customer_id)
        assert row is not None, "control checks the customer first"
        return row

    # -- renewing --------------------------------------------------------------------------

    async def renew(
        self,
        customer_id: str,
        resource_ids: Sequence[str],
        *,
        period_type: int,
        period_num: int,
        auto_pay: bool,
        created_by: str,
    ) -> BatchResult:
        """Renew primary resources (their attached ones with them): one renewal order each,
        pending payment, or paid at once with ``auto_pay``. Per-resource failures are listed.

        Raises:
            DomainError: ``CBC.0100`` bad ids or period; ``CBC.30050012`` duplicate ids;
                ``CBC.99003656`` restricted or frozen customer.
        """
        ids = self._check_ids(resource_ids, MAX_RENEW)
        check_period(period_type, period_num)
        await self.orders.control.ensure_allowed(customer_id, Action.RENEW)
        customer = await self._customer(customer_id)
        result = BatchResult()
        for resource_id in ids:
            try:
                async with self.session.begin_nested():
                    order = await self._renew_one(
                        customer,
                        resource_id,
                        period_type,
                        period_num,
                        source=SourceType.CUSTOMER,
                        created_by=created_by,
                    )
                    if auto_pay:
                        await self._auto_pay(order)
                result.order_ids.append(order.id)
            except DomainError as exc:
                result.failures.append(ItemFailure(resource_id, exc.code, exc.message))
        return result

    async def _auto_pay(self, order: CustomerOrder) -> None:
        try:
            await self.orders.settle(
                order,
                Payment(
                    order_id=order.id,
                    use_discount=order.discount_id is not None,
                    discount_id=order.discount_id,
                    discount_type=wire_discount_type(order.discount_type),
                ),
            )
        except DomainError as exc:
            raise DomainError(
                OrderErrorCode.AUTO_PAY_FAILED.value,
                f"Automatic payment of the renewal order failed: {exc.code} {exc.message}",
                {"cause": exc.code},
            ) from exc

    async def _renew_one(
        self,
        customer: CustomerRecord,
        resource_id: str,
        period_type: int,
        period_num: int,
        *,
        source: SourceType,
        created_by: str,
        primary: ResourceView | None = None,
    ) -> CustomerOrder:
        rows, lines, best = await self._renewal_priced(
            customer, resource_id, period_type, period_num, primary=primary
        )
        order = await self.orders.create_order(
            customer,
            OrderType.RENEW,
            source,
            lines,
            best,
            created_by=created_by,
            period=(period_type, period_num),
            enterprise_project_id=rows[0].enterprise_project_id,
        )
        await self.resources.hold_for_order(rows, order.id)
        return order

    async def quote_renewal(
        self,
        customer_id: str,
        resource_ids: Sequence[str],
        *,
        period_type: int,
        period_num: int,
    ) -> RenewalQuote:
        """What renewing these primary resources would cost now: the very pricing ``renew``
        uses (same checks, same lines, same best discount), without creating any order.
        Per-resource refusals are listed as ``renew`` lists them.

        Raises:
            DomainError: ``CBC.0100`` bad ids or period; ``CBC.30050012`` duplicate ids.
        """
        ids = self._check_ids(resource_ids, MAX_RENEW)
        check_period(period_type, period_num)
        customer = await self._customer(customer_id)
        quote = RenewalQuote()
        for resource_id in ids:
            try:
                async with self.session.begin_nested():
                    rows, lines, best = await self._renewal_priced(
                        customer, resource_id, period_type, period_num
                    )
                by_row = {r.id: r.resource_id for r in rows}
                quote.resources.append(
                    RenewalLines(
                        resource_id,
                        [(by_row[line.resource_ref or ""], line) for line in lines],
                        best,
                    )
                )
            except DomainError as exc:
                quote.failures.append(ItemFailure(resource_id, exc.code, exc.message))
        return quote

    async def _renewal_priced(
        self,
        customer: CustomerRecord,
        resource_id: str,
        period_type: int,
        period_num: int,
        *,
        primary: ResourceView | None = None,
    ) -> tuple[list[ResourceView], list[PricedLine], DiscountOption | None]:
        """The checks and the priced lines of renewing one primary resource with its attached
        ones (rows locked for the unit of work)."""
        row = primary or await self._find(customer.account_id, resource_id)
        if not row.is_main:
            raise resource_error(
                ResourceErrorCode.NOT_PRIMARY,
                f"Resource {resource_id} is attached to another; renew its primary resource.",
            )
        if row.status == ResourceStatus.CLOSED:
            raise resource_error(
                ResourceErrorCode.EXPIRED_AND_DELETED,
                f"Resource {resource_id} has expired and been released.",
            )
        if row.busy_order_id is not None:
            raise resource_error(
                ResourceErrorCode.IN_UNPAID_ORDER,
                f"Resource {resource_id} is in the unpaid order {row.busy_order_id}.",
            )
        months = months_of(period_type, period_num)
        limit = self.orders.policy.max_total_months
        if add_months(self.orders.zone, row.expire_time, months) > add_months(
            self.orders.zone, self.clock.now(), limit
        ):
            raise DomainError(
                OrderErrorCode.TERM_TOO_LONG,
                f"Resource {resource_id} would run more than {limit} months from now.",
            )
        rows = [row, *await self.resources.attached(row, lock=True)]
        items = [
            PeriodItem(
                id=r.id,
                key=ProductKey(
                    r.service_type_code, r.resource_type_code, r.resource_spec_code, r.region_code
                ),
                period_type=period_type,
                period_num=period_num,
                subscription_num=1,
                resource_size=r.spec_size,
                size_measure_id=r.spec_size_measure_id,
            )
            for r in rows
            if r.status != ResourceStatus.CLOSED
        ]
        try:
            lines, best = await self.orders.rate(
                customer.account_id,
                items,
                parents=[None] + [0] * (len(items) - 1),
                refs=[item.id for item in items],
            )
        except DomainError as exc:
            if exc.code == "CBC.0100":
                raise resource_error(
                    ResourceErrorCode.INVALID_PERIOD,
                    f"Resource {resource_id} cannot be renewed for this period: {exc.message}",
                ) from exc
            raise
        expire_day = (await self.resources.renew_settings(customer.account_id)).expire_day
        if expire_day is not None:
            by_ref = {r.id: r for r in rows}
            lines = [
                aligned_line(
                    line,
                    by_ref[line.resource_ref or ""].expire_time,
                    self.orders.zone,
                    expire_day=expire_day,
                    months=months,
                )
                for line in lines
            ]
        return rows, lines, best

    async def auto_renew_attempt(self, ref: str, expire: int) -> bool | None:
        """One auto-renewal charge attempt (job ``AUTO_RENEW_JOB``). True when renewed, False
        when it failed (the next attempt is scheduled for 03:00 the next day, until release),
        None when there is nothing to do (renewed meanwhile, auto-renew off, released)."""
        rows = await self.resources.lock([ref])
        if not rows:
            return None
        row = rows[0]
        if (
            to_micros(row.expire_time) != expire
            or row.status == ResourceStatus.CLOSED
            or row.expire_policy != ExpirePolicy.AUTO_RENEW
        ):
            return None
        now = self.clock.now()
        if row.busy_order_id is not None:
            await self.resources.schedule_auto_renew(row, at=self.resources.next_attempt(now))
            return False
        try:
            async with self.session.begin_nested():
                customer = await self.customer_records.get(row.customer_id)
                if customer is None:
                    raise resource_error(ResourceErrorCode.NOT_FOUND, "No such customer.")
                order = await self._renew_one(
                    customer,
                    row.resource_id,
                    row.auto_renew_period_type,
                    1,
                    source=SourceType.SYSTEM,
                    created_by=SYSTEM_USER,
                    primary=row,
                )
                await self._auto_pay(order)
        except DomainError:
            rows = await self.resources.lock([ref])
            await self.resources.schedule_auto_renew(rows[0], at=self.resources.next_attempt(now))
            return False
        rows = await self.resources.lock([ref])
        row = rows[0]
        if row.auto_renew_times == 1:
            await self.resources.set_policy(row, ExpirePolicy.GRACE)
        elif row.auto_renew_times > 1:
            await self.resources.count_down_auto_renew(row)
        return True

    # -- unsubscribing ---------------------------------------------------------------------

    async def unsubscribe(
        self,
        customer_id: str,
        resource_ids: Sequence[str],
        *,
        unsubscribe_type: int,
        created_by: str,
        reason: UnsubscribeReason | None = None,
    ) -> BatchResult:
        """Unsubscribe resources (type 1: the resource and all its renewals; type 2: only the
        renewals not started yet), refunding as the module docstring says; one type-4 order
        per resource. Allowed while restricted or frozen (rules.md §4.3).

        Raises:
            DomainError: ``CBC.0100`` bad ids or type; ``CBC.30050012`` duplicate ids.
        """
        ids = self._check_ids(resource_ids, MAX_UNSUBSCRIBE)
        if unsubscribe_type not in (UNSUBSCRIBE_WHOLE, UNSUBSCRIBE_RENEWALS):
            raise invalid_parameter("unsubscribe_type", "Use 1 (whole resource) or 2 (renewals).")
        await self.orders.control.ensure_allowed(customer_id, Action.UNSUBSCRIBE)
        customer = await self._customer(customer_id)
        result = BatchResult()
        for resource_id in ids:
            try:
                async with self.session.begin_nested():
                    order_id = await self._unsubscribe_one(
                        customer, resource_id, unsubscribe_type, created_by, reason
                    )
                result.order_ids.append(order_id)
            except DomainError as exc:
                result.failures.append(ItemFailure(resource_id, exc.code, exc.message))
        return result

    async def _usable(self, customer_id: str, resource_id: str) -> list[ResourceView]:
        row = await self._find(customer_id, resource_id)
        if not row.is_main and row.parent_id is not None:
            locked = await self.resources.lock([row.parent_id])
            row = locked[0]
        if row.status == ResourceStatus.CLOSED:
            raise DomainError(
                OrderErrorCode.RESOURCE_RELEASED,
                f"Resource {resource_id} was deleted or released already.",
            )
        if row.busy_order_id is not None:
            raise resource_error(
                ResourceErrorCode.IN_UNPAID_ORDER,
                f"Resource {resource_id} is in the unpaid order {row.busy_order_id}.",
            )
        return [row, *await self.resources.attached(row, lock=True)]

    async def _unsubscribe_one(
        self,
        customer: CustomerRecord,
        resource_id: str,
        unsubscribe_type: int,
        created_by: str,
        reason: UnsubscribeReason | None,
    ) -> str:
        rows = await self._usable(customer.account_id, resource_id)
        now = self.clock.now()
        only_unstarted = unsubscribe_type == UNSUBSCRIBE_RENEWALS
        if only_unstarted:
            pending = [
                t
                for t in await self.resources.terms(rows[0].id, unrefunded=True)
                if t.starts_at > now
            ]
            if not pending:
                raise resource_error(
                    ResourceErrorCode.NO_RENEWED_PERIOD,
                    f"Resource {resource_id} has no renewed period that has not started.",
                )
        order = await self._refund_order(
            customer,
            rows,
            OrderType.UNSUBSCRIBE,
            created_by=created_by,
            only_unstarted=only_unstarted,
            unconditional_days=self.orders.policy.unconditional_refund_days,
            reason=reason,
        )
        if only_unstarted:
            for row in rows:
                starts = [
                    t.starts_at
                    for t in await self.resources.terms(row.id)
                    if t.refund_order_id == order.id
                ]
                if starts:
                    await self.resources.extend(
                        row,
                        ends_at=min(starts),
                        period_type=row.period_type,
                        period_num=row.period_num,
                    )
                    await self.orders.packages.follow(customer.account_id, row.id, min(starts))
        else:
            await self.resources.close(rows)
            for row in rows:
                await self.orders.packages.stop(customer.account_id, row.id)
        return order.id

    async def _refund_order(
        self,
        customer: CustomerRecord,
        rows: Sequence[ResourceView],
        order_type: OrderType,
        *,
        created_by: str,
        only_unstarted: bool,
        unconditional_days: int | None,
        reason: UnsubscribeReason | None = None,
    ) -> CustomerOrder:
        now = self.clock.now()
        primary = rows[0]
        order = CustomerOrder(
            id=self.orders.new_order_id(),
            tenant_id=customer.account_id,
            partner_id=customer.tenant_id,
            distributor_id=customer.distributor_id,
            order_type=int(order_type),
            source_type=int(SourceType.CUSTOMER),
            status=int(OrderStatus.COMPLETED),
            service_type_code=primary.service_type_code,
            service_type_name=primary.service_type_name,
            currency=self.orders.currency,
            official_amount=ZERO,
            discount_amount=ZERO,
            amount_after_discount=ZERO,
            coupon_amount=ZERO,
            consumed_amount=ZERO,
            discount_offered=ZERO,
            base_order_id=primary.order_id,
            created_by=created_by,
            created_at=now,
            paid_at=now,
            closed_at=now,
            enterprise_project_id=primary.enterprise_project_id,
            paying_agent_id=paying_agent(customer),
            unsubscribe_reason_type=reason.reason_type if reason else None,
            unsubscribe_reason=reason.text if reason else None,
        )
        self.session.add(order)
        await self.session.flush()
        refunded_total = consumed_total = coupon_total = ZERO
        for position, row in enumerate(rows):
            refunded = consumed = ZERO
            for term in await self.resources.terms(row.id, unrefunded=True):
                if only_unstarted and term.starts_at <= now:
                    continue
                outcome = term_refund(term, now, unconditional_days)
                if outcome.refund > 0 and term.charge_id is not None:
                    await self.orders.balances.refund_customer(
                        customer.account_id,
                        outcome.refund,
                        f"unsub:{term.id}",
                        charge_id=term.charge_id,
                        memo=f"{order_type.name.lower()} order {order.id}",
                    )
                if outcome.coupon_back and term.coupon_amount > 0:
                    back = await self.orders.coupons.redemptions.refund(
                        order_id=term.order_id,
                        case=RefundCase.UNSTARTED_RENEWAL,
                        refund_id=f"unsub:{term.id}",
                        amount=term.coupon_amount,
                    )
                    coupon_total += back.refunded
                await self.resources.mark_refunded(term, order.id)
                refunded += outcome.refund
                consumed += outcome.consumed
                self._refund_line(order, row, -outcome.refund, term.order_id)
                if outcome.consumed > 0:
                    self._refund_line(order, row, outcome.consumed, term.order_id)
            self.session.add(
                OrderLine(
                    id=new_id(),
                    tenant_id=customer.account_id,
                    order_id=order.id,
                    position=position,
                    parent_line_id=None,
                    resource_ref=row.id,
                    service_type_code=row.service_type_code,
                    service_type_name=row.service_type_name,
                    resource_type_code=row.resource_type_code,
                    resource_type_name=row.resource_type_name,
                    resource_spec_code=row.resource_spec_code,
                    region_code=row.region_code,
                    product_id=row.product_id,
                    product_spec_desc=row.product_spec_desc,
                    spec_size=row.spec_size,
                    spec_size_measure_id=row.spec_size_measure_id,
                    period_type=row.period_type,
                    period_num=None,
                    subscription_num=1,
                    official_amount=refunded,
                    discount_offered=ZERO,
                    discount_amount=ZERO,
                    amount_after_discount=refunded,
                    coupon_amount=ZERO,
                    effective_time=now,
                    expire_time=row.expire_time,
                )
            )
            refunded_total += refunded
            consumed_total += consumed
        order.official_amount = refunded_total
        order.amount_after_discount = refunded_total
        order.consumed_amount = consumed_total
        order.coupon_amount = coupon_total
        await self.session.flush()
        return order

    def _refund_line(
        self, order: CustomerOrder, row: ResourceView, amount: Decimal, base_order_id: str
    ) -> None:
        self.session.add(
            OrderRefundLine(
                id=new_id(),
                tenant_id=order.tenant_id,
                order_id=order.id,
                amount=amount,
                resource_ref=row.id,
                resource_type_code=row.resource_type_code,
                resource_type_name=row.resource_type_name,
                service_type_code=row.service_type_code,
                service_type_name=row.service_type_name,
                region_code=row.region_code,
                base_order_id=base_order_id,
            )
        )

    # -- auto-renew and settings -----------------------------------------------------------

    async def _primary(self, customer_id: str, resource_id: str) -> ResourceView:
        if not resource_id or len(resource_id) > 64:
            raise invalid_parameter("resource_id", "1 to 64 characters.")
        row = await self._find(customer_id, resource_id)
        if not row.is_main and row.parent_id is not None:
            row = (await self.resources.lock([row.parent_id]))[0]
        return row

    async def enable_auto_renew(
        self, customer_id: str, resource_id: str, *, times: int | None, period_type: str | None
    ) -> None:
        """Turn auto-renew on (``expire_policy`` 3); attached resources follow their primary.

        Raises:
            DomainError: ``CBC.0100`` bad times or period type; ``CBC.99003012`` unknown
                resource; ``CBC.99003602`` expired or frozen resource (or customer).
        """
        if times is not None and not 0 <= times <= 99:
            raise invalid_parameter("auto_renew_times", "Use 0 (unlimited) to 99.")
        if period_type is not None and period_type not in AUTO_RENEW_PERIODS:
            raise invalid_parameter("period_type", "Use MONTH or YEAR.")
        row = await self._primary(customer_id, resource_id)
        state = await self.orders.control.state(customer_id)
        if state.freeze_type is not None:
            raise resource_error(
                ResourceErrorCode.AUTO_RENEW_NOT_ALLOWED,
                "The account is frozen; auto-renew is not allowed.",
            )
        await self.resources.enable_auto_renew(
            row,
            times=times,
            period_type=AUTO_RENEW_PERIODS[period_type] if period_type else None,
        )

    async def disable_auto_renew(self, customer_id: str, resource_id: str) -> None:
        """Turn auto-renew off (``CBC.99003605`` if it is off already)."""
        row = await self._primary(customer_id, resource_id)
        await self.resources.disable_auto_renew(row)

    async def set_renew_config(self, customer_id: str, name: str, value: str) -> None:
        """``DEDUCTION_DATE`` "2".."7" days before expiry, or ``EXPIRE_DATE`` "1".."28" / "-1"."""
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise invalid_parameter("config_value", "Must be a whole number.") from None
        if name == DEDUCTION_DATE:
            if not 2 <= number <= 7:
                raise invalid_parameter("config_value", "DEDUCTION_DATE is 2 to 7 days.")
            await self.resources.set_renew_config(customer_id, deduction_days=number)
        elif name == EXPIRE_DATE:
            if not (1 <= number <= 28 or number == -1):
                raise invalid_parameter("config_value", "EXPIRE_DATE is 1 to 28, or -1.")
            await self.resources.set_renew_config(customer_id, expire_day=number)
        else:
            raise invalid_parameter("config_name", "Use DEDUCTION_DATE or EXPIRE_DATE.")

    # -- switching to pay-per-use ----------------------------------------------------------

    def _switchable(self, row: ResourceView, resource_id: str) -> None:
        if row.status == ResourceStatus.CLOSED:
            raise resource_error(
                ResourceErrorCode.NOT_FOUND, f"Resource {resource_id} was released."
            )
        if row.status in (ResourceStatus.EXPIRED, ResourceStatus.FROZEN):
            raise resource_error(
                ResourceErrorCode.IN_GRACE_OR_RETENTION,
                f"Resource {resource_id} is in its grace or retention period.",
            )
        if row.busy_order_id is not None:
            raise DomainError(
                OrderErrorCode.RESOURCE_BUSY,
                f"Resource {resource_id} has another transaction in progress.",
            )

    async def to_on_demand(
        self, customer_id: str, operation: str, resource_ids: Sequence[str]
    ) -> list[ItemFailure]:
        """``SET_UP``: switch to pay-per-use at expiry (``expire_policy`` 1); ``CANCEL``: undo
        it. Failed ids are returned; the others are done.

        Raises:
            DomainError: ``CBC.0100`` bad operation or ids; ``CBC.99003626`` the account is
                restricted or frozen (setting up only).
        """
        if operation not in ("SET_UP", "CANCEL"):
            raise invalid_parameter("operation", "Use SET_UP or CANCEL.")
        ids = self._check_ids(resource_ids, MAX_TO_ON_DEMAND)
        if operation == "SET_UP":
            await self.orders.control.ensure_allowed(customer_id, Action.TO_ON_DEMAND)
        failures: list[ItemFailure] = []
        for resource_id in ids:
            try:
                row = await self._find(customer_id, resource_id)
                if not row.is_main:
                    raise resource_error(
                        ResourceErrorCode.NOT_PRIMARY,
                        f"Resource {resource_id} is attached; switch its primary resource.",
                    )
                self._switchable(row, resource_id)
                if operation == "SET_UP":
                    await self.resources.set_policy(row, ExpirePolicy.TO_ON_DEMAND)
                elif row.expire_policy == ExpirePolicy.TO_ON_DEMAND:
                    await self.resources.set_policy(row, ExpirePolicy.GRACE)
            except DomainError as exc:
                failures.append(ItemFailure(resource_id, exc.code, exc.message))
        return failures

    async def to_on_demand_now(
        self, customer_id: str, resource_ids: Sequence[str], *, created_by: str
    ) -> list[InstantSwitch]:
        """Switch primary resources to pay-per-use now: a type-10 order refunds the unused paid
        time (no five-day rule) and the resources are handed to pay-per-use."""
        ids = self._check_ids(resource_ids, MAX_INSTANT)
        await self.orders.control.ensure_allowed(customer_id, Action.TO_ON_DEMAND)
        customer = await self._customer(customer_id)
        results: list[InstantSwitch] = []
        for resource_id in ids:
            try:
                async with self.session.begin_nested():
                    rows = await self._usable(customer_id, resource_id)
                    self._switchable(rows[0], resource_id)
                    order = await self._refund_order(
                        customer,
                        rows,
                        OrderType.TO_ON_DEMAND,
                        created_by=created_by,
                        only_unstarted=False,
                        unconditional_days=None,
                    )
                    await self.resources.switch_now(rows, order.id)
                results.append(InstantSwitch(resource_id, "SUCCESS", order_id=order.id))
            except DomainError as exc:
                results.append(
                    InstantSwitch(resource_id, "FAIL", error_code=exc.code, error_msg=exc.message)
                )
        return results


def check_status_filter(statuses: Sequence[int]) -> tuple[int, ...]:
    allowed = {int(s) for s in ResourceStatus}
    for value in statuses:
        if value not in allowed:
            raise invalid_parameter("status_list", "Use 2, 3, 4 or 5.")
    return tuple(statuses)
