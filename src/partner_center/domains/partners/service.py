"""Partner onboarding, the distributor → reseller hierarchy (grants, quotas, account managers)
and the freezing of a partner's own account."""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.identity.public import AccountKind, IdentityService, Role
from partner_center.domains.partners.errors import PartnerErrorCode
from partner_center.domains.partners.models import (
    Partner,
    PartnerAccountAction,
    PartnerAccountEvent,
    PartnerStatus,
    PartnerType,
    ResellerGrant,
    ResellerManagerAssignment,
)
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import DomainError, invalid_parameter
from partner_center.kernel.ids import new_id
from partner_center.kernel.pagination import Page, paginate
from partner_center.kernel.text import check_texts

_NAME = re.compile(r"^[a-zA-Z_-][a-zA-Z0-9_-]{4,31}$")

#: Largest quota a distributor may grant; the same bound as one customer budget (rules.md §3.10).
MAX_QUOTA = Decimal(2_147_483_647)
MAX_REASON_LENGTH = 256


class ResellerPermission(enum.StrEnum):
    """What a distributor may let a reseller do for the reseller's customers (rules.md §1.9)."""

    SET_BUDGET = "SET_BUDGET"
    RESTRICT = "RESTRICT"
    """Restrict purchases and lift the restriction (freeze / unfreeze type ACCOUNT)."""
    FREEZE_RESOURCES = "FREEZE_RESOURCES"
    """Restrict purchases and freeze resources, and undo it (type ACCOUNT_AND_RESOURCE)."""


@dataclass(frozen=True, slots=True)
class GrantView:
    """A reseller's permissions and budget quotas from its distributor."""

    reseller_id: str
    distributor_id: str
    can_set_budget: bool = False
    can_restrict: bool = False
    can_freeze_resources: bool = False
    monthly_quota: Decimal | None = None
    package_quota: Decimal | None = None
    updated_at: datetime | None = None
    """Business time of the last change (UTC); None while nothing was ever granted."""

    def allows(self, permission: ResellerPermission) -> bool:
        return {
            ResellerPermission.SET_BUDGET: self.can_set_budget,
            ResellerPermission.RESTRICT: self.can_restrict,
            ResellerPermission.FREEZE_RESOURCES: self.can_freeze_resources,
        }[permission]


@dataclass(frozen=True, slots=True)
class IndirectPartnerFilter:
    """Filters of list_indirect_partners; None = not a filter."""

    account_name: str | None = None
    """Fuzzy, case-insensitive match on the reseller's login name."""
    associated_on_begin: datetime | None = None
    associated_on_end: datetime | None = None
    indirect_partner_id: str | None = None


@dataclass(frozen=True, slots=True)
class IndirectPartnerView:
    """A reseller as its distributor sees it."""

    indirect_partner_id: str
    account_name: str
    name: str
    mobile_phone: str | None
    email: str | None
    associated_on: datetime
    account_manager_name: str | None
    """Login name of the distributor's member managing the reseller."""
    frozen: bool


@dataclass(frozen=True, slots=True)
class ManagerAssignmentView:
    reseller_id: str
    member_name: str
    assigned_at: datetime
    withdrawn_at: datetime | None


@dataclass(frozen=True, slots=True)
class PartnerView:
    partner_id: str
    name: str
    partner_type: PartnerType
    distributor_id: str | None
    company_name: str
    status: PartnerStatus
    xaccount_type: str
    frozen: bool = False
    created_at: datetime | None = None
    account_manager_id: str | None = None
    frozen_reason: str | None = None
    frozen_at: datetime | None = None


def _view(partner: Partner, name: str) -> PartnerView:
    return PartnerView(
        partner_id=partner.account_id,
        name=name,
        partner_type=partner.partner_type,
        distributor_id=partner.distributor_id,
        company_name=partner.company_name,
        status=partner.status,
        xaccount_type=partner.xaccount_type,
        frozen=partner.frozen,
        created_at=partner.created_at,
        account_manager_id=partner.account_manager_id,
        frozen_reason=partner.frozen_reason,
        frozen_at=partner.frozen_at,
    )


def _check_reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise invalid_parameter("reason", "Required.")
    if len(reason) > MAX_REASON_LENGTH:
        raise invalid_parameter("reason", f"At most {MAX_REASON_LENGTH} characters.")
    return reason


class PartnerService:
    def __init__(self, session: AsyncSession, *, clock: Clock, identity: IdentityService) -> None:
        self.session = session
        self.clock = clock
        self.identity = identity

    async def create_partner(
        self,
        *,
        name: str,
        partner_type: PartnerType,
        distributor_id: str | None = None,
        company_name: str | None = None,
        email: str | None = None,
        admin_password: str | None = None,
    ) -> PartnerView:
        """Onboard a partner (operator action). A reseller needs its distributor."""
        check_texts({"company_name": company_name})
        if not _NAME.fullmatch(name):
            raise DomainError(
                PartnerErrorCode.INVALID_PARAMETER,
                "Invalid parameter: name. 5-32 letters, digits, '_' or '-', starting with a "
                "letter, '_' or '-'.",
            )
        if partner_type == PartnerType.RESELLER:
            if not distributor_id:
                raise DomainError(
                    PartnerErrorCode.INVALID_PARAMETER,
                    "Invalid parameter: distributor. A reseller needs one.",
                )
            distributor = await self.session.get(Partner, distributor_id)
            if distributor is None or distributor.partner_type != PartnerType.DISTRIBUTOR:
                raise DomainError(
                    PartnerErrorCode.INVALID_PARAMETER,
                    f"Invalid parameter: distributor. {distributor_id} is not one.",
                )
        elif distributor_id:
            raise DomainError(
                PartnerErrorCode.INVALID_PARAMETER,
                "Invalid parameter: distributor. Only resellers have a distributor.",
            )
        account = await self.identity.create_account(
            kind=AccountKind.PARTNER, name=name, email=email, admin_password=admin_password
        )
        partner = Partner(
            account_id=account.id,
            tenant_id=account.id,
            partner_type=partner_type,
            distributor_id=distributor_id,
            company_name=company_name or name,
            status=PartnerStatus.NORMAL,
            xaccount_type=f"{name}_platform",
            created_at=self.clock.now(),
        )
        self.session.add(partner)
        await self.session.flush()
        return _view(partner, account.name)

    async def any_exist(self) -> bool:
        """Whether any partner is onboarded (the demo seeds a fresh database only)."""
        return (await self.session.scalar(select(Partner.account_id).limit(1))) is not None

    async def list_partners(
        self, window: Page, *, partner_type: PartnerType | None = None
    ) -> tuple[list[PartnerView], int]:
        """Every partner, newest first (the operator's view)."""
        stmt = select(Partner)
        if partner_type is not None:
            stmt = stmt.where(Partner.partner_type == partner_type)
        rows, total = await paginate(
            self.session, stmt, window, Partner.created_at.desc(), Partner.account_id
        )
        names = await self.identity.accounts(r.account_id for r in rows)
        return [_view(r, names[r.account_id].name) for r in rows], total

    async def get(self, partner_id: str, *, account_name: str | None = None) -> PartnerView | None:
        """The partner's profile; ``account_name``: its account's name when the caller knows
        it already (the authenticated caller's own), which saves reading the account."""
        partner = await self.session.get(Partner, partner_id)
        if partner is None:
            return None
        if account_name is None:
            account = await self.identity.get_account(partner_id)
            assert account is not None
            account_name = account.name
        return _view(partner, account_name)

    async def reseller_of(self, *, distributor_id: str, reseller_id: str) -> PartnerView:
        """The reseller, if it belongs to the distributor; else ``CBC.99000037``."""
        partner = await self.session.get(Partner, reseller_id)
        if (
            partner is None
            or partner.partner_type != PartnerType.RESELLER
            or partner.distributor_id != distributor_id
        ):
            raise DomainError(
                PartnerErrorCode.NOT_YOUR_RESELLER,
                "You have no permission to operate this reseller (indirect partner).",
            )
        account = await self.identity.get_account(reseller_id)
        assert account is not None
        return _view(partner, account.name)

    async def resellers(self, distributor_id: str) -> list[str]:
        stmt = select(Partner.account_id).where(Partner.distributor_id == distributor_id)
        return list((await self.session.execute(stmt)).scalars().all())

    async def billing_accounts(self, *, after: str | None, limit: int) -> list[str]:
        """Partners billed directly (CSPs and distributors, never resellers), by id, the next
        ``limit`` after ``after``: the bill run pages through them in batches."""
        stmt = (
            select(Partner.account_id)
            .where(Partner.partner_type != PartnerType.RESELLER)
            .order_by(Partner.account_id)
            .limit(limit)
        )
        if after is not None:
            stmt = stmt.where(Partner.account_id > after)
        return list((await self.session.execute(stmt)).scalars().all())

    async def resellers_of(self, distributor_ids: Sequence[str]) -> dict[str, str]:
        """Reseller id → distributor id, for the resellers of ``distributor_ids``."""
        if not distributor_ids:
            return {}
        stmt = select(Partner.account_id, Partner.distributor_id).where(
            Partner.distributor_id.in_(list(distributor_ids))
        )
        return {row[0]: row[1] for row in (await self.session.execute(stmt)).all() if row[1]}

    async def list_indirect_partners(
        self, distributor_id: str, filters: IndirectPartnerFilter, page: Page
    ) -> tuple[list[IndirectPartnerView], int]:
        """The distributor's resellers (never another distributor's), newest link first.
        Resellers that have exited the channel are no longer linked and are left out."""
        stmt = select(Partner).where(
            Partner.distributor_id == distributor_id,
            Partner.partner_type == PartnerType.RESELLER,
            Partner.status != PartnerStatus.EXITED,
        )
        if filters.account_name:
            stmt = stmt.where(
                Partner.account_id.in_(self.identity.account_ids_named(filters.account_name))
            )
        if filters.associated_on_begin is not None:
            stmt = stmt.where(Partner.created_at >= filters.associated_on_begin)
        if filters.associated_on_end is not None:
            stmt = stmt.where(Partner.created_at <= filters.associated_on_end)
        if filters.indirect_partner_id:
            stmt = stmt.where(Partner.account_id == filters.indirect_partner_id)
        rows, total = await paginate(
            self.session, stmt, page, Partner.created_at.desc(), Partner.account_id.desc()
        )
        accounts = await self.identity.accounts(p.account_id for p in rows)
        managers = await self.identity.member_names(
            [p.account_manager_id for p in rows if p.account_manager_id]
        )
        return [
            IndirectPartnerView(
                indirect_partner_id=partner.account_id,
                account_name=accounts[partner.account_id].name,
                name=partner.company_name,
                mobile_phone=accounts[partner.account_id].mobile,
                email=accounts[partner.account_id].email,
                associated_on=partner.created_at,
                account_manager_name=managers.get(partner.account_manager_id or ""),
                frozen=partner.frozen,
            )
            for partner in rows
        ], int(total)

    # -- reseller grants (distributor → reseller) ----------------------------------------

    async def grants_for(self, reseller_id: str) -> GrantView:
        """The reseller's grants; all False / no quotas when none were given."""
        partner = await self.session.get(Partner, reseller_id)
        if partner is None or partner.partner_type != PartnerType.RESELLER:
            raise DomainError(
                PartnerErrorCode.NOT_YOUR_RESELLER, "No such reseller (indirect partner)."
            )
        assert partner.distributor_id is not None
        grant = await self.session.get(ResellerGrant, reseller_id)
        if grant is None:
            return GrantView(reseller_id=reseller_id, distributor_id=partner.distributor_id)
        return GrantView(
            reseller_id=reseller_id,
            distributor_id=partner.distributor_id,
            can_set_budget=grant.can_set_budget,
            can_restrict=grant.can_restrict,
            can_freeze_resources=grant.can_freeze_resources,
            monthly_quota=grant.monthly_quota,
            package_quota=grant.package_quota,
            updated_at=grant.updated_at,
        )

    async def set_grants(
        self,
        *,
        distributor_id: str,
        reseller_id: str,
        can_set_budget: bool,
        can_restrict: bool,
        can_freeze_resources: bool,
        monthly_quota: Decimal | None,
        package_quota: Decimal | None,
    ) -> GrantView:
        """The distributor grants or revokes permissions and quotas. Revoking leaves the
        budgets the reseller already set in force (rules.md §1.13)."""
        await self.reseller_of(distributor_id=distributor_id, reseller_id=reseller_id)
        for name, quota in (("monthly_quota", monthly_quota), ("package_quota", package_quota)):
            if quota is not None and (
                not quota.is_finite()
                or quota < 0
                or quota > MAX_QUOTA
                or quota != quota.quantize(Decimal("0.01"))
            ):
                raise DomainError(
                    PartnerErrorCode.INVALID_PARAMETER,
                    f"Invalid parameter: {name}. Use an amount from 0 to {MAX_QUOTA} with at "
                    "most 2 decimals.",
                    {"field": name},
                )
        grant = await self.session.get(ResellerGrant, reseller_id, with_for_update=True)
        if grant is None:
            grant = ResellerGrant(reseller_id=reseller_id, tenant_id=distributor_id)
            self.session.add(grant)
        grant.can_set_budget = can_set_budget
        grant.can_restrict = can_restrict
        grant.can_freeze_resources = can_freeze_resources
        grant.monthly_quota = monthly_quota
        grant.package_quota = package_quota
        grant.updated_at = self.clock.now()
        await self.session.flush()
        return await self.grants_for(reseller_id)

    async def responsible_partner(
        self, *, distributor_id: str, reseller_id: str, permission: ResellerPermission
    ) -> PartnerView:
        """Who answers for ``permission`` on the reseller's customers (rules.md §1.10): the
        reseller once its distributor granted it, else the distributor itself.

        A distributor's API call with ``indirect_partner_id`` is then made *as* the responsible
        partner, so a granted but frozen reseller cannot have its customers unfrozen through its
        distributor either (§4.9) until the grant is revoked (§1.13: "the distributor can then
        adjust them itself")."""
        reseller = await self.reseller_of(distributor_id=distributor_id, reseller_id=reseller_id)
        if (await self.grants_for(reseller_id)).allows(permission):
            return reseller
        distributor = await self.get(distributor_id)
        assert distributor is not None
        return distributor

    # -- freezing a partner's own account -------------------------------------------------

    async def _partner_in_reach(self, partner_id: str, distributor_id: str | None) -> Partner:
        """The partner an operator (``distributor_id`` None) or a distributor may act on: the
        operator reaches every partner, a distributor only its own resellers."""
        if distributor_id is not None:
            await self.reseller_of(distributor_id=distributor_id, reseller_id=partner_id)
        partner = await self.session.get(Partner, partner_id, with_for_update=True)
        if partner is None:
            raise DomainError(
                PartnerErrorCode.ACCOUNT_DOES_NOT_EXIST, "The partner account does not exist."
            )
        return partner

    async def freeze_account(
        self,
        partner_id: str,
        *,
        reason: str,
        by_account_id: str,
        by_member_id: str | None = None,
        distributor_id: str | None = None,
    ) -> PartnerView:
        """Freeze a partner's own account: by the operator (``distributor_id`` None) or by a
        reseller's distributor. A frozen partner cannot unfreeze customers (rules.md §4.9)."""
        _check_reason(reason)
        partner = await self._partner_in_reach(partner_id, distributor_id)
        if partner.frozen:
            raise DomainError(
                PartnerErrorCode.ALREADY_FROZEN, "The partner account is already frozen."
            )
        now = self.clock.now()
        partner.frozen = True
        partner.frozen_reason = reason
        partner.frozen_at = now
        partner.frozen_by = by_account_id
        self._record(partner, PartnerAccountAction.FREEZE, reason, by_account_id, by_member_id)
        await self.session.flush()
        view = await self.get(partner_id)
        assert view is not None
        return view

    async def unfreeze_account(
        self,
        partner_id: str,
        *,
        reason: str,
        by_account_id: str,
        by_member_id: str | None = None,
        distributor_id: str | None = None,
    ) -> PartnerView:
        """Unfreeze a partner's own account. A distributor may lift only a freeze it put on;
        the operator may lift any."""
        _check_reason(reason)
        partner = await self._partner_in_reach(partner_id, distributor_id)
        if not partner.frozen:
            raise invalid_parameter("partner_id", "The partner account is not frozen.")
        if distributor_id is not None and partner.frozen_by != distributor_id:
            raise DomainError(
                PartnerErrorCode.ACCESS_DENIED,
                "Access denied: the platform operator froze this account; only it can unfreeze "
                "the account.",
            )
        partner.frozen = False
        partner.frozen_reason = None
        partner.frozen_at = None
        partner.frozen_by = None
        self._record(partner, PartnerAccountAction.UNFREEZE, reason, by_account_id, by_member_id)
        await self.session.flush()
        view = await self.get(partner_id)
        assert view is not None
        return view

    def _record(
        self,
        partner: Partner,
        action: PartnerAccountAction,
        reason: str,
        by_account_id: str,
        by_member_id: str | None,
    ) -> None:
        self.session.add(
            PartnerAccountEvent(
                id=new_id(),
                tenant_id=partner.account_id,
                action=action,
                reason=reason,
                by_account_id=by_account_id,
                by_member_id=by_member_id,
                occurred_at=self.clock.now(),
            )
        )

    # -- account managers of resellers (rules.md §1.15) -----------------------------------

    async def assign_account_manager(
        self, *, distributor_id: str, reseller_ids: Sequence[str], member_name: str | None
    ) -> list[PartnerView]:
        """Assign one of the distributor's account managers to resellers (single or batch),
        or withdraw the current one (``member_name`` None). Either all resellers change or,
        if any is not the distributor's, none does (``CBC.99000037``)."""
        ids = list(dict.fromkeys(reseller_ids))
        if not ids or len(ids) > 100:
            raise invalid_parameter("reseller_ids", "Give 1 to 100 reseller ids.")
        member_id: str | None = None
        if member_name is not None:
            member = await self.identity.member_by_name(distributor_id, member_name)
            if member is None:
                raise invalid_parameter("account_manager", "No such member in your account.")
            if Role.ACCOUNT_MANAGER.value not in member.roles:
                raise invalid_parameter(
                    "account_manager", "The member does not hold the Account Manager role."
                )
            member_id = member.id
        for reseller_id in ids:
            await self.reseller_of(distributor_id=distributor_id, reseller_id=reseller_id)
        now = self.clock.now()
        views: list[PartnerView] = []
        # Primary-key order, so two batches over the same resellers cannot deadlock.
        for reseller_id in sorted(ids):
            partner = await self.session.get(Partner, reseller_id, with_for_update=True)
            assert partner is not None
            if partner.account_manager_id != member_id:
                await self._close_assignment(reseller_id, now)
                if member_id is not None and member_name is not None:
                    self.session.add(
                        ResellerManagerAssignment(
                            id=new_id(),
                            tenant_id=distributor_id,
                            reseller_id=reseller_id,
                            member_id=member_id,
                            member_name=member_name,
                            assigned_at=now,
                        )
                    )
                partner.account_manager_id = member_id
        await self.session.flush()
        for reseller_id in ids:
            view = await self.get(reseller_id)
            assert view is not None
            views.append(view)
        return views

    async def _close_assignment(self, reseller_id: str, now: datetime) -> None:
        stmt = select(ResellerManagerAssignment).where(
            ResellerManagerAssignment.reseller_id == reseller_id,
            ResellerManagerAssignment.withdrawn_at.is_(None),
        )
        for row in (await self.session.execute(stmt)).scalars():
            row.withdrawn_at = now

    async def account_manager_history(
        self, *, distributor_id: str, reseller_id: str
    ) -> list[ManagerAssignmentView]:
        """Every account manager the reseller had, newest first."""
        await self.reseller_of(distributor_id=distributor_id, reseller_id=reseller_id)
        stmt = (
            select(ResellerManagerAssignment)
            .where(
                ResellerManagerAssignment.tenant_id == distributor_id,
                ResellerManagerAssignment.reseller_id == reseller_id,
            )
            .order_by(
                ResellerManagerAssignment.assigned_at.desc(), ResellerManagerAssignment.id.desc()
            )
        )
        return [
            ManagerAssignmentView(
                reseller_id=row.reseller_id,
                member_name=row.member_name,
                assigned_at=row.assigned_at,
                withdrawn_at=row.withdrawn_at,
            )
            for row in (await self.session.execute(stmt)).scalars()
        ]
