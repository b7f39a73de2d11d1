"""Coupon quotas: the operator grants them to CSPs and distributors; a distributor splits its
quotas into reseller quotas and takes back what they did not use (api-semantics.md §3.4, §3.6;
rules.md §1.17a, §7.1).

Concurrency: issuing coupons waits for the quota's row lock, so parallel issues queue and the
quota's guarded ledger account decides what fits. Splitting and reclaiming quotas take the lock
with NOWAIT and answer ``CBC.50000045`` ("a previous operation on this quota is still running")
instead of waiting, as the reference does. SQLite has no row locks: its ``BEGIN IMMEDIATE``
transactions already run one writer at a time, so there the second operation simply runs after
the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.coupons.book import QUOTA_GRANTS, CouponBook
from partner_center.domains.coupons.errors import CouponErrorCode, coupon_error, quota_invalid
from partner_center.domains.coupons.limits import Restrictions
from partner_center.domains.coupons.models import CouponQuota, CouponQuotaRecord
from partner_center.domains.coupons.states import (
    QuotaOperation,
    QuotaStatus,
    QuotaType,
    quota_status,
    quota_status_sql,
)
from partner_center.domains.customers.public import PartnerActor
from partner_center.domains.identity.public import Permission
from partner_center.domains.partners.public import (
    PartnerService,
    PartnerStatus,
    PartnerType,
    PartnerView,
)
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import DomainError, access_denied, invalid_parameter
from partner_center.kernel.ids import new_id
from partner_center.kernel.money import decimal_places
from partner_center.kernel.pagination import Page, paginate

#: The largest quota or face value accepted (the reference's amount bound).
MAX_AMOUNT = Decimal(2_147_483_647)
MAX_RESELLERS_PER_CALL = 100
MAX_QUOTAS_PER_RECLAIM = 10
MAX_REMARK_LENGTH = 256
#: Statuses the operator may set; 6 (reclaimed) only results from a distributor's reclaim.
OPERATOR_STATUSES = frozenset(
    {QuotaStatus.NORMAL, QuotaStatus.INVALID, QuotaStatus.ADJUSTING, QuotaStatus.FROZEN}
)


@dataclass(frozen=True, slots=True)
class QuotaView:
    quota_id: str
    owner_id: str
    parent_id: str | None
    quota_type: QuotaType
    quota_value: Decimal
    """Granted amount, in ``currency``."""
    balance: Decimal
    """What is left to issue, in ``currency`` (the quota's ledger balance)."""
    currency: str
    status: QuotaStatus
    effective_time: datetime
    expire_time: datetime
    restrictions: Restrictions
    created_at: datetime
    updated_at: datetime
    remark: str | None = None
    owner_account_name: str | None = None
    owner_name: str | None = None


@dataclass(frozen=True, slots=True)
class ItemError:
    """One failed item of a batch (the reference's ``error_details`` entry)."""

    id: str
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class QuotaFilter:
    """Filters of ``list_quota_coupons``; None = not a filter. Ranges exclude their bounds."""

    quota_ids: tuple[str, ...] | None = None
    statuses: frozenset[QuotaStatus] | None = None
    quota_type: QuotaType | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    effective_after: datetime | None = None
    effective_before: datetime | None = None
    expire_after: datetime | None = None
    expire_before: datetime | None = None


@dataclass(frozen=True, slots=True)
class QuotaRecordFilter:
    reseller_id: str | None = None
    quota_id: str | None = None
    parent_quota_id: str | None = None
    operation_type: QuotaOperation | None = None
    from_time: datetime | None = None
    to_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class QuotaRecordView:
    id: str
    operator: str
    operation_type: QuotaOperation
    quota_id: str | None
    parent_quota_id: str
    amount: Decimal
    currency: str
    operation_time: datetime
    result: str
    reseller_id: str
    reseller_account_name: str | None
    reseller_name: str | None
    remark: str | None


def check_amount(value: Decimal, field: str) -> Decimal:
    """An input amount: > 0, at most 2 decimals, at most ``MAX_AMOUNT`` (``CBC.0100``)."""
    if not value.is_finite() or value <= 0 or value > MAX_AMOUNT:
        raise invalid_parameter(field, f"Must be greater than 0 and at most {MAX_AMOUNT}.")
    if decimal_places(value) > 2:
        raise invalid_parameter(field, "At most 2 decimal places are allowed.")
    return value


def check_remark(remark: str | None) -> str | None:
    if remark is not None and len(remark) > MAX_REMARK_LENGTH:
        raise invalid_parameter("remark", f"At most {MAX_REMARK_LENGTH} characters.")
    return remark


async def top_level_partner(
    partners: PartnerService, partner_id: str, if_reseller: str
) -> PartnerView:
    """A CSP or distributor that has not exited, for an operator's grant (``CBC.0100`` else;
    ``if_reseller`` says why a reseller cannot have it)."""
    partner = await partners.get(partner_id)
    if partner is None:
        raise invalid_parameter("partner_id", f"Partner {partner_id} does not exist.")
    if partner.partner_type == PartnerType.RESELLER:
        raise invalid_parameter("partner_id", if_reseller)
    if partner.status == PartnerStatus.EXITED:
        raise invalid_parameter("partner_id", "The partner has exited.")
    return partner


def check_window(
    now: datetime, start: datetime | None, expire_time: datetime, start_field: str
) -> datetime:
    """A validity window from ``start`` (default ``now``) to ``expire_time``, which must be
    after it and in the future (``CBC.0100``); returns the start."""
    begin = start or now
    if begin >= expire_time:
        raise invalid_parameter("expire_time", f"Must be after {start_field}.")
    if expire_time <= now:
        raise invalid_parameter("expire_time", "Must be in the future.")
    return begin


def operator_name(actor: PartnerActor) -> str:
    return actor.caller.member_name or actor.caller.account_name


async def owner_for(
    partners: PartnerService, actor: PartnerActor, indirect_partner_id: str | None
) -> str:
    """The partner whose quotas and coupons the call addresses: the caller, or (for a
    distributor passing ``indirect_partner_id``) one of its resellers; ``CBC.99000037`` else."""
    if not indirect_partner_id:
        return actor.partner_id
    if actor.partner.partner_type != PartnerType.DISTRIBUTOR:
        raise coupon_error(
            CouponErrorCode.NOT_YOUR_RESELLER,
            "Only a distributor may act for a reseller (indirect partner).",
        )
    reseller = await partners.reseller_of(
        distributor_id=actor.partner_id, reseller_id=indirect_partner_id
    )
    return reseller.partner_id


def _lock_not_available(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code == "55P03" or "LockNotAvailable" in type(exc.orig).__name__


class QuotaService:
    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        book: CouponBook,
        partners: PartnerService,
    ) -> None:
        self.session = session
        self.clock = clock
        self.book = book
        self.partners = partners

    # -- reading ---------------------------------------------------------------------------

    async def view(self, row: CouponQuota, owner: PartnerView | None = None) -> QuotaView:
        balance = await self.book.balance(row.ledger_account_id)
        return QuotaView(
            quota_id=row.id,
            owner_id=row.tenant_id,
            parent_id=row.parent_id,
            quota_type=QuotaType(row.quota_type),
            quota_value=row.quota_value,
            balance=balance.posted,
            currency=row.currency,
            status=quota_status(row, self.clock.now()),
            effective_time=row.effective_time,
            expire_time=row.expire_time,
            restrictions=Restrictions.from_json(row.limits),
            created_at=row.created_at,
            updated_at=row.updated_at,
            remark=row.remark,
            owner_account_name=owner.name if owner else None,
            owner_name=owner.company_name if owner else None,
        )

    async def lock(self, quota_id: str, *, nowait: bool = False) -> CouponQuota | None:
        """The quota row, locked until commit (``CBC.50000045`` if ``nowait`` and busy)."""
        stmt = (
            select(CouponQuota)
            .where(CouponQuota.id == quota_id)
            .with_for_update(nowait=nowait)
            .execution_options(populate_existing=True)
        )
        if not nowait:
            return (await self.session.execute(stmt)).scalar_one_or_none()
        try:
            async with self.session.begin_nested():
                return (await self.session.execute(stmt)).scalar_one_or_none()
        except DBAPIError as exc:
            if not _lock_not_available(exc):
                raise
            raise coupon_error(
                CouponErrorCode.QUOTA_BUSY,
                f"A previous operation on the coupon quota {quota_id} is still running; "
                "retry when it has finished.",
                quota_id=quota_id,
            ) from exc

    def check_usable(self, row: CouponQuota) -> None:
        """Refuse issuing from a quota that is not normal and in force."""
        now = self.clock.now()
        if row.status != QuotaStatus.NORMAL:
            raise coupon_error(
                CouponErrorCode.QUOTA_STATUS,
                f"The coupon quota {row.id} is {QuotaStatus(row.status).name.lower()}; "
                "nothing can be issued from it.",
                quota_id=row.id,
            )
        if now < row.effective_time or now >= row.expire_time:
            raise coupon_error(
                CouponErrorCode.QUOTA_NOT_EFFECTIVE,
                f"The coupon quota {row.id} is not in force now (it is valid from "
                f"{row.effective_time.isoformat()} until {row.expire_time.isoformat()}).",
                quota_id=row.id,
            )

    async def return_target(self, row: CouponQuota) -> CouponQuota:
        """Where value coming back to ``row`` goes: ``row``, or — if a distributor reclaimed
        it — the nearest quota up its chain that is still held."""
        target = row
        while target.status == QuotaStatus.RECLAIMED and target.parent_id is not None:
            parent = await self.lock(target.parent_id)
            assert parent is not None
            target = parent
        return target

    # -- the operator ----------------------------------------------------------------------

    async def grant(
        self,
        *,
        operator_id: str,
        partner_id: str,
        quota_type: QuotaType,
        quota_value: Decimal,
        currency: str,
        effective_time: datetime | None,
        expire_time: datetime,
        restrictions: Restrictions,
        remark: str | None = None,
    ) -> QuotaView:
        """Grant a coupon quota to a CSP or distributor (rules.md §7.1).

        Raises:
            DomainError: ``CBC.0100`` unknown partner, a reseller (its distributor grants it
                quotas), a bad amount or window.
        """
        partner = await top_level_partner(
            self.partners, partner_id, "A reseller receives coupon quotas from its distributor."
        )
        check_amount(quota_value, "quota_value")
        now = self.clock.now()
        start = check_window(now, effective_time, expire_time, "effective_time")
        quota_id = new_id()
        account = await self.book.open_guarded(
            tenant_id=partner_id, code=f"coupon_quota:{quota_id}", currency=currency
        )
        source = await self.book.open_sink(
            tenant_id=operator_id, code=QUOTA_GRANTS, currency=currency
        )
        row = CouponQuota(
            id=quota_id,
            tenant_id=partner_id,
            parent_id=None,
            granted_by=operator_id,
            quota_type=int(quota_type),
            quota_value=quota_value,
            currency=currency,
            status=int(QuotaStatus.NORMAL),
            effective_time=start,
            expire_time=expire_time,
            limits=restrictions.to_json(),
            ledger_account_id=account,
            coupons_issued=0,
            remark=check_remark(remark),
            created_at=now,
            updated_at=now,
        )
        await self.book.add_funded(
            row,
            transfer_id=f"coupon-quota-grant:{quota_id}",
            from_account=source,
            to_account=account,
            amount=quota_value,
            currency=currency,
            code="coupon_quota_grant",
            tenant_id=operator_id,
        )
        return await self.view(row, partner)

    async def set_status(self, *, quota_id: str, status: QuotaStatus) -> QuotaView:
        """The operator disables (3), marks as being adjusted (4), freezes (5) or restores (0) a
        quota. A reclaimed reseller quota stays reclaimed.

        Raises:
            DomainError: ``CBC.99000012`` unknown or reclaimed quota; ``CBC.0100`` status 6.
        """
        if status not in OPERATOR_STATUSES:
            raise invalid_parameter("quota_status", "Use 0, 3, 4 or 5.")
        row = await self.lock(quota_id)
        if row is None or row.status == QuotaStatus.RECLAIMED:
            raise quota_invalid(quota_id)
        row.status = int(status)
        row.updated_at = self.clock.now()
        await self.session.flush()
        return await self.view(row)

    async def list_all(self, *, partner_id: str | None, page: Page) -> tuple[list[QuotaView], int]:
        """Every quota (the operator's view), newest first."""
        stmt: Select[CouponQuota] = select(CouponQuota)
        if partner_id:
            stmt = stmt.where(CouponQuota.tenant_id == partner_id)
        return await self._page(stmt, page)

    # -- partners --------------------------------------------------------------------------

    async def list_quotas(
        self,
        actor: PartnerActor,
        filters: QuotaFilter,
        page: Page,
        *,
        indirect_partner_id: str | None,
    ) -> tuple[list[QuotaView], int]:
        """The caller's quotas (or a reseller's, for its distributor), newest first."""
        owner = await owner_for(self.partners, actor, indirect_partner_id)
        now = self.clock.now()
        stmt = select(CouponQuota).where(CouponQuota.tenant_id == owner)
        if filters.quota_ids:
            stmt = stmt.where(CouponQuota.id.in_(filters.quota_ids))
        if filters.statuses:
            stmt = stmt.where(quota_status_sql(now).in_([int(s) for s in filters.statuses]))
        if filters.quota_type is not None:
            stmt = stmt.where(CouponQuota.quota_type == int(filters.quota_type))
        for column, after, before in (
            (CouponQuota.created_at, filters.created_after, filters.created_before),
            (CouponQuota.effective_time, filters.effective_after, filters.effective_before),
            (CouponQuota.expire_time, filters.expire_after, filters.expire_before),
        ):
            if after is not None:
                stmt = stmt.where(column > after)
            if before is not None:
                stmt = stmt.where(column < before)
        return await self._page(stmt, page)

    async def _page(self, stmt: Select[CouponQuota], page: Page) -> tuple[list[QuotaView], int]:
        rows, total = await paginate(
            self.session, stmt, page, CouponQuota.created_at.desc(), CouponQuota.id.desc()
        )
        owners: dict[str, PartnerView | None] = {}
        views = []
        for row in rows:
            if row.tenant_id not in owners:
                owners[row.tenant_id] = await self.partners.get(row.tenant_id)
            views.append(await self.view(row, owners[row.tenant_id]))
        return views, int(total)

    # -- distributor → resellers -----------------------------------------------------------

    async def issue_to_resellers(
        self,
        actor: PartnerActor,
        *,
        quota_id: str,
        reseller_ids: Sequence[str],
        amount: Decimal,
    ) -> tuple[list[tuple[str, str]], list[ItemError]]:
        """Give each reseller a quota of ``amount`` split from the distributor's ``quota_id``
        (``update_coupon_quotas``). The reseller quota inherits the window and restrictions.

        Returns:
            ``(reseller id, new quota id)`` per success, and the per-reseller failures
            (``CBC.99000037`` not your reseller, ``CBC.50010105`` reseller exiting).

        Raises:
            DomainError: ``CBC.0100`` bad input; ``CBC.99000012`` not the caller's quota;
                ``CBC.99000015`` / ``CBC.99000017`` quota not usable now; ``CBC.99000013`` the
                quota cannot cover every eligible reseller (nothing is issued);
                ``CBC.50000045`` another operation on the quota is running.
        """
        if not actor.caller.has(Permission.ISSUE_COUPONS):
            raise access_denied("The member lacks the permission to issue coupons.")
        check_amount(amount, "quota_amount")
        ids = list(reseller_ids)
        if not ids or len(ids) > MAX_RESELLERS_PER_CALL:
            raise invalid_parameter(
                "indirect_partner_ids", f"Give 1 to {MAX_RESELLERS_PER_CALL} resellers."
            )
        if len(set(ids)) != len(ids) or any(not i or len(i) > 64 for i in ids):
            raise invalid_parameter(
                "indirect_partner_ids", "Ids are 1 to 64 characters and must not repeat."
            )
        parent = await self.lock(quota_id, nowait=True)
        if parent is None or parent.tenant_id != actor.partner_id or parent.parent_id is not None:
            raise quota_invalid(quota_id)
        self.check_usable(parent)
        now = self.clock.now()
        errors: list[ItemError] = []
        eligible: list[PartnerView] = []
        for reseller_id in ids:
            try:
                reseller = await self.partners.reseller_of(
                    distributor_id=actor.partner_id, reseller_id=reseller_id
                )
            except DomainError as exc:
                errors.append(ItemError(reseller_id, exc.code, exc.message))
                continue
            if reseller.status == PartnerStatus.EXITED:
                errors.append(
                    ItemError(
                        reseller_id,
                        CouponErrorCode.RESELLER_EXITING,
                        f"The reseller {reseller_id} is exiting; it cannot receive a quota.",
                    )
                )
                continue
            eligible.append(reseller)
        available = (await self.book.balance(parent.ledger_account_id)).available
        needed = amount * len(eligible)
        if needed > available:
            raise coupon_error(
                CouponErrorCode.QUOTA_INSUFFICIENT,
                f"The coupon quota {quota_id} has {available:f} left; {len(eligible)} resellers "
                f"× {amount:f} need {needed:f}.",
                quota_id=quota_id,
            )
        issued: list[tuple[str, str]] = []
        for reseller in eligible:
            child = await self._split(parent, reseller, amount, now)
            issued.append((reseller.partner_id, child.id))
            self._record(actor, QuotaOperation.ISSUE, child.id, parent, amount, reseller, now)
        for error in errors:
            self._record_failure(actor, QuotaOperation.ISSUE, parent, amount, error, now)
        parent.updated_at = now
        await self.session.flush()
        return issued, errors

    async def _split(
        self, parent: CouponQuota, reseller: PartnerView, amount: Decimal, now: datetime
    ) -> CouponQuota:
        child_id = new_id()
        account = await self.book.open_guarded(
            tenant_id=reseller.partner_id, code=f"coupon_quota:{child_id}", currency=parent.currency
        )
        child = CouponQuota(
            id=child_id,
            tenant_id=reseller.partner_id,
            parent_id=parent.id,
            granted_by=parent.tenant_id,
            quota_type=parent.quota_type,
            quota_value=amount,
            currency=parent.currency,
            status=int(QuotaStatus.NORMAL),
            effective_time=parent.effective_time,
            expire_time=parent.expire_time,
            limits=dict(parent.limits),
            ledger_account_id=account,
            coupons_issued=0,
            created_at=now,
            updated_at=now,
        )
        self.session.add(child)
        await self.session.flush()
        await self.book.move(
            transfer_id=f"coupon-quota-issue:{child_id}",
            from_account=parent.ledger_account_id,
            to_account=account,
            amount=amount,
            currency=parent.currency,
            code="coupon_quota_issue",
            tenant_id=parent.tenant_id,
        )
        return child

    async def reclaim_from_resellers(
        self, actor: PartnerActor, *, quota_ids: Sequence[str], remark: str | None
    ) -> tuple[list[tuple[str, Decimal]], list[ItemError]]:
        """Take back what is left of reseller quotas (``reclaim_coupon_quotas``): the whole
        balance returns to the distributor's quota it came from, and the reseller quota becomes
        reclaimed (6). Coupons issued from it that come back later flow on to the parent.

        Returns:
            ``(quota id, balance after the reclaim)`` per success, and per-quota failures
            (``CBC.99000012`` unknown, not yours, already reclaimed; ``CBC.50000045`` busy).
        """
        if not (
            actor.caller.has(Permission.RECLAIM_COUPON_QUOTA)
            or actor.caller.has(Permission.RECLAIM_COUPON_QUOTA_BATCH)
        ):
            raise access_denied("The member lacks the permission to reclaim coupon quotas.")
        ids = list(quota_ids)
        if not ids or len(ids) > MAX_QUOTAS_PER_RECLAIM:
            raise invalid_parameter("quota_ids", f"Give 1 to {MAX_QUOTAS_PER_RECLAIM} quotas.")
        if len(set(ids)) != len(ids) or any(not i or len(i) > 64 for i in ids):
            raise invalid_parameter("quota_ids", "Ids are 1 to 64 characters and must not repeat.")
        check_remark(remark)
        now = self.clock.now()
        done: list[tuple[str, Decimal]] = []
        errors: list[ItemError] = []
        for quota_id in ids:
            try:
                done.append((quota_id, await self._reclaim_one(actor, quota_id, remark, now)))
            except DomainError as exc:
                errors.append(ItemError(quota_id, exc.code, exc.message))
        return done, errors

    async def _reclaim_one(
        self, actor: PartnerActor, quota_id: str, remark: str | None, now: datetime
    ) -> Decimal:
        child = await self.lock(quota_id, nowait=True)
        if (
            child is None
            or child.parent_id is None
            or child.granted_by != actor.partner_id
            or child.status == QuotaStatus.RECLAIMED
        ):
            raise quota_invalid(quota_id)
        parent = await self.lock(child.parent_id, nowait=True)
        assert parent is not None
        left = (await self.book.balance(child.ledger_account_id)).available
        if left > 0:
            await self.book.move(
                transfer_id=f"coupon-quota-reclaim:{child.id}",
                from_account=child.ledger_account_id,
                to_account=parent.ledger_account_id,
                amount=left,
                currency=child.currency,
                code="coupon_quota_reclaim",
                tenant_id=actor.partner_id,
                memo=remark or None,
            )
        child.status = int(QuotaStatus.RECLAIMED)
        child.reclaimed_at = now
        child.updated_at = now
        parent.updated_at = now
        reseller = await self.partners.get(child.tenant_id)
        self._record(
            actor, QuotaOperation.RECLAIM, child.id, parent, left, reseller, now, remark=remark
        )
        await self.session.flush()
        return (await self.book.balance(child.ledger_account_id)).posted

    def _record(
        self,
        actor: PartnerActor,
        operation: QuotaOperation,
        quota_id: str,
        parent: CouponQuota,
        amount: Decimal,
        reseller: PartnerView | None,
        now: datetime,
        *,
        remark: str | None = None,
    ) -> None:
        self.session.add(
            CouponQuotaRecord(
                id=new_id(),
                tenant_id=actor.partner_id,
                operator=operator_name(actor),
                operation_type=int(operation),
                quota_id=quota_id,
                parent_quota_id=parent.id,
                amount=amount,
                currency=parent.currency,
                operation_time=now,
                result="0",
                indirect_partner_id=reseller.partner_id if reseller else "",
                indirect_partner_account_name=reseller.name if reseller else None,
                indirect_partner_name=reseller.company_name if reseller else None,
                remark=remark,
            )
        )

    def _record_failure(
        self,
        actor: PartnerActor,
        operation: QuotaOperation,
        parent: CouponQuota,
        amount: Decimal,
        error: ItemError,
        now: datetime,
    ) -> None:
        self.session.add(
            CouponQuotaRecord(
                id=new_id(),
                tenant_id=actor.partner_id,
                operator=operator_name(actor),
                operation_type=int(operation),
                quota_id=None,
                parent_quota_id=parent.id,
                amount=amount,
                currency=parent.currency,
                operation_time=now,
                result="-1",
                indirect_partner_id=error.id,
                remark=f"{error.code}: {error.message}",
            )
        )

    async def list_issued(
        self,
        actor: PartnerActor,
        *,
        quota_id: str | None,
        reseller_id: str | None,
        parent_quota_id: str | None,
        page: Page,
    ) -> tuple[list[QuotaView], int]:
        """Quotas the distributor gave its resellers (``list_issued_coupon_quotas``)."""
        stmt = select(CouponQuota).where(
            CouponQuota.granted_by == actor.partner_id, CouponQuota.parent_id.is_not(None)
        )
        if reseller_id:
            await owner_for(self.partners, actor, reseller_id)
            stmt = stmt.where(CouponQuota.tenant_id == reseller_id)
        if quota_id:
            stmt = stmt.where(CouponQuota.id == quota_id)
        if parent_quota_id:
            stmt = stmt.where(CouponQuota.parent_id == parent_quota_id)
        return await self._page(stmt, page)

    async def list_records(
        self, actor: PartnerActor, filters: QuotaRecordFilter, page: Page
    ) -> tuple[list[QuotaRecordView], int]:
        """The distributor's quota issue/reclaim records, newest first."""
        if filters.reseller_id:
            await owner_for(self.partners, actor, filters.reseller_id)
        stmt = select(CouponQuotaRecord).where(CouponQuotaRecord.tenant_id == actor.partner_id)
        if filters.reseller_id:
            stmt = stmt.where(CouponQuotaRecord.indirect_partner_id == filters.reseller_id)
        if filters.quota_id:
            stmt = stmt.where(CouponQuotaRecord.quota_id == filters.quota_id)
        if filters.parent_quota_id:
            stmt = stmt.where(CouponQuotaRecord.parent_quota_id == filters.parent_quota_id)
        if filters.operation_type is not None:
            stmt = stmt.where(CouponQuotaRecord.operation_type == int(filters.operation_type))
        if filters.from_time is not None:
            stmt = stmt.where(CouponQuotaRecord.operation_time >= filters.from_time)
        if filters.to_time is not None:
            stmt = stmt.where(CouponQuotaRecord.operation_time <= filters.to_time)
        rows, total = await paginate(
            self.session,
            stmt,
            page,
            CouponQuotaRecord.operation_time.desc(),
            CouponQuotaRecord.id.desc(),
        )
        return [
            QuotaRecordView(
                id=r.id,
                operator=r.operator,
                operation_type=QuotaOperation(r.operation_type),
                quota_id=r.quota_id,
                parent_quota_id=r.parent_quota_id,
                amount=r.amount,
                currency=r.currency,
                operation_time=r.operation_time,
                result=r.result,
                reseller_id=r.indirect_partner_id,
                reseller_account_name=r.indirect_partner_account_name,
                reseller_name=r.indirect_partner_name,
                remark=r.remark,
            )
            for r in rows
        ], int(total)
