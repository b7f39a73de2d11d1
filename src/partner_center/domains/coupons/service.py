"""Issuing coupons within a quota, reclaiming them, expiring them, and the coupon lists
(api-semantics.md §3.6; rules.md §7.1–7.4, §7.11, §2.6.12).

``CouponService`` is the façade other layers use: it builds the quota and redemption services on
the same session, so one unit of work covers a whole operation.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.coupons.book import CouponBook, TradeType
from partner_center.domains.coupons.errors import (
    CouponErrorCode,
    coupon_error,
    not_sub_customer,
    quota_invalid,
)
from partner_center.domains.coupons.idempotency import IdempotencyKeys
from partner_center.domains.coupons.limits import Restrictions
from partner_center.domains.coupons.models import (
    Coupon,
    CouponChange,
    CouponQuota,
    CouponRecord,
    CouponRedemption,
)
from partner_center.domains.coupons.quotas import (
    ItemError,
    QuotaService,
    check_amount,
    operator_name,
    owner_for,
)
from partner_center.domains.coupons.redemptions import RELEASED, CouponRedemptions
from partner_center.domains.coupons.states import (
    CouponOperation,
    CouponStatus,
    QuotaType,
    coupon_status,
    coupon_status_sql,
)
from partner_center.domains.coupons.views import (
    CouponChangeFilter,
    CouponChangeView,
    CouponFilter,
    CouponRecordFilter,
    CouponRecordView,
    CouponView,
    IssueRequest,
    IssueResult,
    ReclaimedCoupon,
)
from partner_center.domains.customers.public import (
    AssociationStatus,
    AssociationType,
    CustomerRecord,
    CustomerRecords,
    PartnerActor,
)
from partner_center.domains.identity.public import Caller, Permission
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import access_denied, invalid_parameter
from partner_center.kernel.ids import new_id
from partner_center.kernel.jobs import schedule
from partner_center.kernel.pagination import Page, paginate

MAX_CUSTOMERS_PER_ISSUE = 100
MAX_MEMO_LENGTH = 256
#: Used, expired and reclaimed coupons leave the lists this long after they ended (§7.11).
RETENTION = timedelta(days=365)
EXPIRE_JOB = "coupons.expire"
ISSUE_OPERATION = "create_partner_coupons"
ADJUST_OPERATION = "update_coupon_quotas"
#: Reclaims of coupons that mark an earlier association of the holder (first-association rule).
_ENDED_ASSOCIATION = (
    int(CouponOperation.DISASSOCIATION_RECLAIM),
    int(CouponOperation.ASSOCIATION_RECLAIM),
)


class CouponService:
    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        book: CouponBook,
        quotas: QuotaService,
        redemptions: CouponRedemptions,
        keys: IdempotencyKeys,
        customer_records: CustomerRecords,
    ) -> None:
        self.session = session
        self.clock = clock
        self.book = book
        self.quotas = quotas
        self.redemptions = redemptions
        self.keys = keys
        self.customer_records = customer_records

    # -- issuing ---------------------------------------------------------------------------

    async def issue(
        self, actor: PartnerActor, request: IssueRequest, *, idempotency_key: str | None = None
    ) -> IssueResult:
        """Issue one coupon of ``face_value`` to each customer from the quota
        (``create_partner_coupons``); with ``indirect_partner_id`` a distributor issues from its
        reseller's quota to the reseller's customers.

        Per-customer failures come back in ``errors`` (``CBC.99000035`` not a sub-customer,
        ``CBC.99000014`` not a reseller-model customer, ``CBC.99000022`` not in a first
        association, ``CBC.99000020`` the quota's coupon count is spent).

        Raises:
            DomainError: ``CBC.0100`` bad input; ``CBC.99000012`` not the owner's quota;
                ``CBC.99000015`` / ``CBC.99000017`` quota not usable now; ``CBC.99000018`` /
                ``CBC.99000019`` face value outside the quota's bounds; ``CBC.99000023`` /
                ``CBC.99000024`` restrictions wider than the quota's; ``CBC.99000025`` issuing
                to the partner itself; ``CBC.99000013`` the quota cannot cover every eligible
                customer (nothing is issued); ``CBC.99007009`` idempotency key reused.
        """
        if not (
            actor.caller.has(Permission.ISSUE_COUPONS)
            or actor.caller.has(Permission.ISSUE_COUPONS_BATCH)
        ):
            raise access_denied("The member lacks the permission to issue coupons.")
        claim = None
        if idempotency_key is not None:
            claim, answer = await self.keys.claim(
                tenant_id=actor.partner_id,
                operation=ISSUE_OPERATION,
                key=idempotency_key,
                request=request.fingerprint(),
            )
            if answer is not None:
                return IssueResult.from_json(answer, replayed=True)
        result = await self._issue(actor, request)
        if claim is not None:
            await self.keys.finish(claim, result.to_json())
        return result

    def _check_request(self, request: IssueRequest) -> None:
        ids = request.customer_ids
        if not ids or len(ids) > MAX_CUSTOMERS_PER_ISSUE:
            raise invalid_parameter(
                "customer_ids", f"Give 1 to {MAX_CUSTOMERS_PER_ISSUE} customers."
            )
        if len(set(ids)) != len(ids) or any(not i or len(i) > 64 for i in ids):
            raise invalid_parameter("customer_ids", "Ids are 1 to 64 characters, no repeats.")
        check_amount(request.face_value, "face_value")
        if request.memo is not None and len(request.memo) > MAX_MEMO_LENGTH:
            raise invalid_parameter("memo", f"At most {MAX_MEMO_LENGTH} characters.")

    def _window(self, request: IssueRequest, quota: CouponQuota) -> tuple[datetime, datetime]:
        valid = request.valid_time or quota.effective_time
        expire = request.expire_time or quota.expire_time
        if valid >= expire:
            raise invalid_parameter("expire_time", "Must be after valid_time.")
        if valid < quota.effective_time or expire > quota.expire_time:
            raise invalid_parameter(
                "valid_time",
                "The coupon's validity must lie within the quota's "
                f"({quota.effective_time.isoformat()} to {quota.expire_time.isoformat()}).",
            )
        if expire <= self.clock.now():
            raise invalid_parameter("expire_time", "Must be in the future.")
        return valid, expire

    async def _issue(self, actor: PartnerActor, request: IssueRequest) -> IssueResult:
        self._check_request(request)
        owner = await owner_for(self.quotas.partners, actor, request.indirect_partner_id)
        quota = await self.quotas.lock(request.quota_id)
        if quota is None or quota.tenant_id != owner:
            raise quota_invalid(request.quota_id)
        self.quotas.check_usable(quota)
        quota_rules = Restrictions.from_json(quota.limits)
        quota_rules.check_face_value(request.face_value)
        coupon_rules = quota_rules.narrowed(
            cloud_service_types=request.cloud_service_types,
            product_ids=request.product_ids,
            subscribe_types=request.subscribe_types,
        )
        valid, expire = self._window(request, quota)
        if owner in request.customer_ids or actor.partner_id in request.customer_ids:
            raise coupon_error(
                CouponErrorCode.ISSUE_TO_SELF,
                "A partner cannot issue coupons to itself; give customer ids.",
            )

        rows = await self.customer_records.many(request.customer_ids)
        errors: list[ItemError] = []
        eligible: list[str] = []
        slots = (
            None
            if quota_rules.max_coupon_count is None
            else max(0, quota_rules.max_coupon_count - quota.coupons_issued)
        )
        for customer_id in request.customer_ids:
            failure = await self._customer_failure(
                rows.get(customer_id), customer_id, owner, quota, quota_rules
            )
            if failure is None and slots is not None and len(eligible) >= slots:
                failure = ItemError(
                    customer_id,
                    CouponErrorCode.TOO_MANY_COUPONS,
                    f"The quota may issue {quota_rules.max_coupon_count} coupons; none are left.",
                )
            if failure is None:
                eligible.append(customer_id)
            else:
                errors.append(failure)

        available = (await self.book.balance(quota.ledger_account_id)).available
        needed = request.face_value * len(eligible)
        if needed > available:
            raise coupon_error(
                CouponErrorCode.QUOTA_INSUFFICIENT,
                f"The coupon quota {quota.id} has {available:f} left; {len(eligible)} coupons "
                f"× {request.face_value:f} need {needed:f}. Nothing was issued.",
                quota_id=quota.id,
            )
        now = self.clock.now()
        issued: list[tuple[str, str]] = []
        for customer_id in eligible:
            coupon = await self._issue_one(
                actor, quota, owner, customer_id, request, coupon_rules, valid, expire, now
            )
            issued.append((customer_id, coupon.id))
        for failure in errors:
            self._record(
                owner,
                CouponOperation.ISSUE,
                quota,
                None,
                failure.id,
                request.face_value,
                now,
                result="-1",
                remark=f"{failure.code}: {failure.message}",
            )
        quota.coupons_issued += len(issued)
        quota.updated_at = now
        await self.session.flush()
        return IssueResult(coupons=tuple(issued), errors=tuple(errors))

    async def _customer_failure(
        self,
        row: CustomerRecord | None,
        customer_id: str,
        owner: str,
        quota: CouponQuota,
        rules: Restrictions,
    ) -> ItemError | None:
        if (
            row is None
            or row.association_status != AssociationStatus.ASSOCIATED
            or row.tenant_id != owner
        ):
            error = not_sub_customer(customer_id)
            return ItemError(customer_id, error.code, error.message)
        if row.association_type != AssociationType.RESELLER:
            return ItemError(
                customer_id,
                CouponErrorCode.COOPERATION_TYPE,
                "Coupons can be issued only to reseller-model (resale) customers.",
            )
        if rules.first_association_only and not (await self._first_association(row, quota)):
            return ItemError(
                customer_id,
                CouponErrorCode.FIRST_ASSOCIATION_ONLY,
                "This quota issues coupons only to customers in their first association, "
                "associated after the quota took effect.",
            )
        return None

    async def _first_association(self, row: CustomerRecord, quota: CouponQuota) -> bool:
        """A customer associated after the quota took effect, with no earlier association on
        record (coupons reclaimed when an association ended or began mark one)."""
        if row.associated_on < quota.effective_time:
            return False
        earlier = await self.session.execute(
            select(CouponRecord.id)
            .where(
                CouponRecord.customer_id == row.account_id,
                CouponRecord.operation_type.in_(_ENDED_ASSOCIATION),
                CouponRecord.result == "0",
            )
            .limit(1)
        )
        return earlier.first() is None

    async def _issue_one(
        self,
        actor: PartnerActor,
        quota: CouponQuota,
        owner: str,
        customer_id: str,
        request: IssueRequest,
        rules: Restrictions,
        valid: datetime,
        expire: datetime,
        now: datetime,
    ) -> Coupon:
        coupon_id = new_id()
        account = await self.book.open_guarded(
            tenant_id=customer_id, code=f"coupon:{coupon_id}", currency=quota.currency
        )
        coupon = Coupon(
            id=coupon_id,
            tenant_id=owner,
            customer_id=customer_id,
            quota_id=quota.id,
            coupon_type=int(QuotaType(quota.quota_type).coupon_type),
            face_value=request.face_value,
            currency=quota.currency,
            valid_time=valid,
            expire_time=expire,
            limits=rules.to_json(),
            memo=request.memo,
            ledger_account_id=account,
            issued_by=operator_name(actor),
            times_used=0,
            created_at=now,
        )
        self.session.add(coupon)
        await self.session.flush()
        transfer = await self.book.move(
            transfer_id=f"coupon-issue:{coupon_id}",
            from_account=quota.ledger_account_id,
            to_account=account,
            amount=request.face_value,
            currency=quota.currency,
            code="coupon_issue",
            tenant_id=owner,
        )
        await self.book.record_change(
            coupon,
            TradeType.ADJUST,
            request.face_value,
            trade_id=coupon_id,
            transfer_id=transfer.id,
        )
        self._record(
            owner,
            CouponOperation.ISSUE,
            quota,
            coupon_id,
            customer_id,
            request.face_value,
            now,
            remark=request.memo,
        )
        await schedule(
            self.session,
            name=EXPIRE_JOB,
            due_at=expire,
            payload={"coupon_id": coupon_id},
            dedupe_key=f"coupon-expire:{coupon_id}",
            tenant_id=owner,
        )
        return coupon

    def _record(
        self,
        issuer: str,
        operation: CouponOperation,
        quota: CouponQuota,
        coupon_id: str | None,
        customer_id: str,
        amount: Decimal,
        now: datetime,
        *,
        result: str = "0",
        remark: str | None = None,
    ) -> None:
        self.session.add(
            CouponRecord(
                id=new_id(),
                tenant_id=issuer,
                operation_type=int(operation),
                quota_id=quota.id,
                quota_type=quota.quota_type,
                coupon_id=coupon_id,
                customer_id=customer_id,
                operation_amount=amount,
                currency=quota.currency,
                operation_time=now,
                result=result,
                remark=remark,
            )
        )

    # -- distributor quota operations with replay protection -------------------------------

    async def issue_quotas(
        self,
        actor: PartnerActor,
        *,
        quota_id: str,
        reseller_ids: tuple[str, ...],
        amount: Decimal,
        idempotency_key: str | None = None,
    ) -> tuple[list[tuple[str, str]], list[ItemError], bool]:
        """``QuotaService.issue_to_resellers`` behind an optional idempotency key.

        Returns:
            ``(issued, errors, replayed)``.
        """
        claim = None
        if idempotency_key is not None:
            claim, answer = await self.keys.claim(
                tenant_id=actor.partner_id,
                operation=ADJUST_OPERATION,
                key=idempotency_key,
                request={
                    "quota_id": quota_id,
                    "reseller_ids": list(reseller_ids),
                    "amount": amount,
                },
            )
            if answer is not None:
                return (
                    [(str(a), str(b)) for a, b in answer.get("issued", [])],
                    [ItemError(str(i), str(c), str(m)) for i, c, m in answer.get("errors", [])],
                    True,
                )
        issued, errors = await self.quotas.issue_to_resellers(
            actor, quota_id=quota_id, reseller_ids=reseller_ids, amount=amount
        )
        if claim is not None:
            await self.keys.finish(
                claim,
                {
                    "issued": [list(pair) for pair in issued],
                    "errors": [[e.id, e.code, e.message] for e in errors],
                },
            )
        return issued, errors, False

    # -- reclaiming and expiry -------------------------------------------------------------

    async def reclaim(
        self, actor: PartnerActor, *, coupon_id: str, indirect_partner_id: str | None
    ) -> ReclaimedCoupon:
        """Reclaim an available coupon: its whole remaining balance returns to its quota
        (``reclaim_partner_coupons``; rules.md §7.4).

        Raises:
            DomainError: ``CBC.0100`` no such coupon of the owner, or it is not available
                (not activated, expired, reclaimed); ``CBC.99003112`` used up or held by an
                unpaid order; ``CBC.99000037`` not your reseller.
        """
        if not actor.caller.has(Permission.RECLAIM_COUPON):
            raise access_denied("The member lacks the permission to reclaim coupons.")
        owner = await owner_for(self.quotas.partners, actor, indirect_partner_id)
        coupon = await self.session.get(
            Coupon, coupon_id, with_for_update=True, populate_existing=True
        )
        if coupon is None or coupon.tenant_id != owner:
            raise invalid_parameter("coupon_id", f"No coupon {coupon_id} was issued by you.")
        status = coupon_status(coupon, self.clock.now())
        if status is CouponStatus.USED:
            raise coupon_error(CouponErrorCode.COUPON_USED, f"The coupon {coupon_id} is used up.")
        if status is not CouponStatus.AVAILABLE:
            raise invalid_parameter(
                "coupon_id",
                f"Only available coupons (status 2) can be reclaimed; {coupon_id} is "
                f"{status.name.lower().replace('_', ' ')} ({int(status)}).",
            )
        if coupon.lock_order_id is not None:
            raise coupon_error(
                CouponErrorCode.COUPON_USED,
                f"The coupon {coupon_id} is held by the unpaid order {coupon.lock_order_id}; "
                "reclaim it once the order is paid or cancelled.",
            )
        amount = await self._close(coupon, CouponOperation.MANUAL_RECLAIM, by=actor.partner_id)
        return ReclaimedCoupon(coupon_id, amount)

    async def _close(self, coupon: Coupon, operation: CouponOperation, *, by: str) -> Decimal:
        """Return what is left of ``coupon`` to its quota and mark it reclaimed or expired. The
        caller holds the coupon's row lock."""
        await self.redemptions.release_holds(coupon)
        quota = await self.quotas.lock(coupon.quota_id)
        assert quota is not None
        target = await self.quotas.return_target(quota)
        expiry = operation is CouponOperation.EXPIRY_RECLAIM
        record_id = new_id()
        amount = await self.book.return_to_quota(
            coupon,
            target,
            transfer_id=f"coupon-{'expire' if expiry else 'reclaim'}:{coupon.id}",
            trade=TradeType.EXPIRED if expiry else TradeType.RECLAIM,
            tenant_id=by,
            trade_id=record_id,
        )
        now = self.clock.now()
        if expiry:
            coupon.expired_at = now
        else:
            coupon.reclaimed_at = now
        self.session.add(
            CouponRecord(
                id=record_id,
                tenant_id=coupon.tenant_id,
                operation_type=int(operation),
                quota_id=quota.id,
                quota_type=quota.quota_type,
                coupon_id=coupon.id,
                customer_id=coupon.customer_id,
                operation_amount=amount,
                currency=coupon.currency,
                operation_time=now,
                result="0",
            )
        )
        await self.session.flush()
        return amount

    async def expire(self, coupon_id: str) -> Decimal:
        """The expiry job: an expired coupon's remaining balance returns to its quota
        (operation type 4). A used-up or already closed coupon is left as it is."""
        coupon = await self.session.get(
            Coupon, coupon_id, with_for_update=True, populate_existing=True
        )
        if coupon is None or coupon.reclaimed_at is not None or coupon.expired_at is not None:
            return Decimal(0)
        if self.clock.now() < coupon.expire_time:
            return Decimal(0)
        balance = await self.book.balance(coupon.ledger_account_id)
        if coupon.used_up_at is not None and balance.posted <= 0:
            return Decimal(0)
        return await self._close(coupon, CouponOperation.EXPIRY_RECLAIM, by=coupon.tenant_id)

    async def reclaim_all(
        self, customer_id: str, operation: CouponOperation
    ) -> list[ReclaimedCoupon]:
        """Reclaim every coupon the customer still holds (not reclaimed or expired), whatever
        its status: holds of unpaid orders are released first. Used for disassociation (3),
        association (7) and association-mode switches (8)."""
        stmt = (
            select(Coupon.id)
            .where(
                Coupon.customer_id == customer_id,
                Coupon.reclaimed_at.is_(None),
                Coupon.expired_at.is_(None),
            )
            .order_by(Coupon.id)
        )
        done = []
        for coupon_id in (await self.session.execute(stmt)).scalars().all():
            coupon = await self.session.get(
                Coupon, coupon_id, with_for_update=True, populate_existing=True
            )
            assert coupon is not None
            if coupon.reclaimed_at is not None or coupon.expired_at is not None:
                continue
            amount = await self._close(coupon, operation, by=coupon.tenant_id)
            done.append(ReclaimedCoupon(coupon_id, amount))
        return done

    async def reclaim_on_disassociation(self, customer_id: str) -> list[ReclaimedCoupon]:
        """The customer left its partner: every partner coupon it holds is reclaimed to its
        quota (rules.md §2.6.12; operation type 3)."""
        return await self.reclaim_all(customer_id, CouponOperation.DISASSOCIATION_RECLAIM)

    async def reclaim_on_mode_switch(self, customer_id: str) -> list[ReclaimedCoupon]:
        """The customer's association left the reseller model: its partner coupons are
        reclaimed (operation type 8)."""
        return await self.reclaim_all(customer_id, CouponOperation.MODE_SWITCH_RECLAIM)

    # -- lists -----------------------------------------------------------------------------

    def _retained(self) -> ColumnElement[bool]:
        cutoff = self.clock.now() - RETENTION
        ended = func.coalesce(
            Coupon.reclaimed_at, Coupon.expired_at, Coupon.used_up_at, Coupon.expire_time
        )
        return or_(
            coupon_status_sql(self.clock.now()).in_(
                [int(CouponStatus.NOT_ACTIVATED), int(CouponStatus.AVAILABLE)]
            ),
            ended >= cutoff,
        )

    def _filtered(self, stmt: Select[Coupon], filters: CouponFilter) -> Select[Coupon]:
        now = self.clock.now()
        if filters.quota_id:
            stmt = stmt.where(Coupon.quota_id == filters.quota_id)
        if filters.coupon_id:
            stmt = stmt.where(Coupon.id == filters.coupon_id)
        if filters.customer_id:
            stmt = stmt.where(Coupon.customer_id == filters.customer_id)
        if filters.source_id:
            stmt = stmt.where(Coupon.tenant_id == filters.source_id)
        if filters.order_id:
            stmt = stmt.where(
                Coupon.id.in_(
                    select(CouponRedemption.coupon_id).where(
                        CouponRedemption.order_id == filters.order_id
                    )
                )
            )
        if filters.coupon_type is not None:
            stmt = stmt.where(Coupon.coupon_type == int(filters.coupon_type))
        if filters.status is not None:
            stmt = stmt.where(coupon_status_sql(now) == int(filters.status))
        for column, after, before in (
            (Coupon.created_at, filters.created_after, filters.created_before),
            (Coupon.valid_time, filters.valid_after, filters.valid_before),
            (Coupon.expire_time, filters.expire_after, filters.expire_before),
        ):
            if after is not None:
                stmt = stmt.where(column > after)
            if before is not None:
                stmt = stmt.where(column < before)
        return stmt.where(self._retained())

    async def _coupon_page(self, stmt: Select[Coupon], page: Page) -> tuple[list[CouponView], int]:
        rows, total = await paginate(
            self.session, stmt, page, Coupon.created_at.desc(), Coupon.id.desc()
        )
        holders = {r.customer_id for r in rows}
        frozen = set()
        if holders:
            frozen = await self.customer_records.id_set(
                self.customer_records.ids(among=holders, associated=True, frozen=True)
            )
        orders = await self._latest_orders([r.id for r in rows])
        views = [
            await self.redemptions.coupon_view(
                r, frozen=r.customer_id in frozen, order_id=orders.get(r.id)
            )
            for r in rows
        ]
        return views, int(total)

    async def _latest_orders(self, coupon_ids: list[str]) -> dict[str, str]:
        """The latest order each coupon paid or holds."""
        if not coupon_ids:
            return {}
        stmt = (
            select(CouponRedemption.coupon_id, CouponRedemption.order_id)
            .where(
                CouponRedemption.coupon_id.in_(coupon_ids),
                CouponRedemption.status != RELEASED,
            )
            .order_by(CouponRedemption.created_at, CouponRedemption.id)
        )
        return {row.coupon_id: row.order_id for row in (await self.session.execute(stmt)).all()}

    async def list_issued(
        self,
        actor: PartnerActor,
        filters: CouponFilter,
        page: Page,
        *,
        indirect_partner_id: str | None,
    ) -> tuple[list[CouponView], int]:
        """Coupons the partner (or, for its distributor, a reseller) issued, newest first."""
        owner = await owner_for(self.quotas.partners, actor, indirect_partner_id)
        stmt = select(Coupon).where(Coupon.tenant_id == owner)
        return await self._coupon_page(self._filtered(stmt, filters), page)

    async def list_held(
        self,
        caller: Caller,
        actor: PartnerActor | None,
        filters: CouponFilter,
        page: Page,
        *,
        indirect_partner_id: str | None,
    ) -> tuple[list[CouponView], int]:
        """``list_sub_customer_coupons``: a customer's own coupons, or — for a partner — the
        coupons its current customers (a reseller's, with ``indirect_partner_id``) hold."""
        if actor is None:
            stmt = select(Coupon).where(Coupon.customer_id == caller.account_id)
        else:
            owner = await owner_for(self.quotas.partners, actor, indirect_partner_id)
            stmt = select(Coupon).where(
                Coupon.customer_id.in_(self.customer_records.ids(owner_id=owner, associated=True))
            )
        return await self._coupon_page(self._filtered(stmt, filters), page)

    async def list_records(
        self,
        actor: PartnerActor,
        filters: CouponRecordFilter,
        page: Page,
        *,
        indirect_partner_id: str | None,
    ) -> tuple[list[CouponRecordView], int]:
        """The partner's (or a reseller's) coupon issue and reclaim records, newest first."""
        owner = await owner_for(self.quotas.partners, actor, indirect_partner_id)
        stmt = select(CouponRecord).where(CouponRecord.tenant_id == owner)
        if filters.operation_types is not None:
            stmt = stmt.where(
                CouponRecord.operation_type.in_([int(t) for t in filters.operation_types])
            )
        if filters.coupon_ids is not None:
            stmt = stmt.where(CouponRecord.coupon_id.in_(filters.coupon_ids))
        if filters.quota_id:
            stmt = stmt.where(CouponRecord.quota_id == filters.quota_id)
        if filters.quota_type is not None:
            stmt = stmt.where(CouponRecord.quota_type == filters.quota_type)
        if filters.customer_id:
            stmt = stmt.where(CouponRecord.customer_id == filters.customer_id)
        if filters.after is not None:
            stmt = stmt.where(CouponRecord.operation_time > filters.after)
        if filters.before is not None:
            stmt = stmt.where(CouponRecord.operation_time < filters.before)
        if filters.result is not None:
            stmt = stmt.where(CouponRecord.result == filters.result)
        rows, total = await paginate(
            self.session, stmt, page, CouponRecord.operation_time.desc(), CouponRecord.id.desc()
        )
        return [
            CouponRecordView(
                id=r.id,
                operation_type=CouponOperation(r.operation_type),
                quota_id=r.quota_id,
                quota_type=r.quota_type,
                coupon_id=r.coupon_id,
                customer_id=r.customer_id,
                operation_amount=r.operation_amount,
                currency=r.currency,
                operation_time=r.operation_time,
                result=r.result,
                remark=r.remark,
            )
            for r in rows
        ], int(total)

    async def list_changes(
        self, customer_id: str, filters: CouponChangeFilter, page: Page
    ) -> tuple[list[CouponChangeView], int]:
        """A customer's coupon balance changes in ``[from_time, to_time)``, newest first."""
        stmt = select(CouponChange).where(
            and_(
                CouponChange.tenant_id == customer_id,
                CouponChange.trade_time >= filters.from_time,
                CouponChange.trade_time < filters.to_time,
            )
        )
        if filters.revenue_expense_type:
            stmt = stmt.where(CouponChange.revenue_expense_type == filters.revenue_expense_type)
        if filters.trade_type:
            stmt = stmt.where(CouponChange.trade_type == filters.trade_type)
        if filters.trade_id:
            stmt = stmt.where(CouponChange.trade_id == filters.trade_id)
        if filters.coupon_id:
            stmt = stmt.where(CouponChange.coupon_id == filters.coupon_id)
        rows, total = await paginate(
            self.session, stmt, page, CouponChange.trade_time.desc(), CouponChange.id.desc()
        )
        return [
            CouponChangeView(
                coupon_id=r.coupon_id,
                trade_type=r.trade_type,
                trade_detail_type=r.trade_detail_type,
                revenue_expense_type=r.revenue_expense_type,
                change_amount=r.change_amount,
                balance_after=r.balance_after,
                currency=r.currency,
                trade_id=r.trade_id,
                trade_time=r.trade_time,
                cloud_service_type_name=r.cloud_service_type_name,
                resource_type_name=r.resource_type_name,
            )
            for r in rows
        ], int(total)
