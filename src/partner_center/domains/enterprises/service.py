"""Enterprise multi-account: a master customer creates member accounts and lists them
(api-semantics.md §3.13). Organizations are not modelled beyond each master's root unit, whose
id is derived from the master's account id, and the units its members were placed in (each a
child of the root).

An enterprise master is a customer that completed *enterprise* real-name authentication and is
not itself a member (multi-account is one level deep): only such a customer creates members,
sends the SMS codes that verify a member's mobile number (``CBC.70300008`` otherwise), and
gives money or coupons to members."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from partner_center.domains.customers.public import (
    VerificationCodes,
    check_cn_mobile,
    check_domain_name,
    check_password,
    code_minutes,
)
from partner_center.domains.enterprises.errors import EnterpriseErrorCode
from partner_center.domains.enterprises.models import (
    EnterpriseMember,
    EnterpriseProjectAuth,
    MemberStatus,
)
from partner_center.domains.identity.public import AccountKind, IdentityService
from partner_center.domains.notifications.public import Channel
from partner_center.domains.realname.public import RealnameService
from partner_center.kernel.clock import Clock
from partner_center.kernel.db import LIKE_ESCAPE, contains_pattern
from partner_center.kernel.errors import DomainError, invalid_parameter
from partner_center.kernel.ids import new_id
from partner_center.kernel.pagination import Page, paginate

_ORG_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MAX_DISPLAY_NAME = 64
_PERMISSION_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
MAX_PERMISSION_IDS = 50
#: ``scene`` of the SMS codes that verify a new member account's mobile number.
MEMBER_MOBILE_SCENE = 60
SAME_LEGAL_ENTITY = 1


def root_org_id(master_id: str) -> str:
    """The id of a master's root organization unit: stable, so no row is needed for it."""
    return f"org-{master_id}"


@dataclass(frozen=True, slots=True)
class MemberFilter:
    """``None`` means "no filter". Names match exactly (case-insensitively, as account names are
    unique case-insensitively) unless ``fuzzy``, then as a case-insensitive substring."""

    account_name: str | None = None
    display_name: str | None = None
    fuzzy: bool = False
    org_id: str | None = None


@dataclass(frozen=True, slots=True)
class NewMember:
    """A member account to create (``create_sub_enterprise_account``)."""

    name: str
    password: str | None = None
    display_name: str | None = None
    org_id: str | None = None
    mobile: str | None = None
    verification_code: str | None = None
    permission_ids: tuple[str, ...] = ()
    financial_custody: int = 0


@dataclass(frozen=True, slots=True)
class OrgNode:
    """An organization unit and the units below it (none below a child unit today)."""

    id: str
    name: str
    relation_id: str
    children: tuple[OrgNode, ...] = ()


@dataclass(frozen=True, slots=True)
class OrgTree:
    root_id: str
    root_name: str
    children: tuple[OrgNode, ...]


@dataclass(frozen=True, slots=True)
class MemberView:
    account_id: str
    account_name: str
    display_name: str
    status: MemberStatus
    org_id: str
    org_name: str | None
    created_at: datetime


class EnterpriseService:
    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        identity: IdentityService,
        realname: RealnameService,
        codes: VerificationCodes,
    ) -> None:
        self.session = session
        self.clock = clock
        self.identity = identity
        self.realname = realname
        self.codes = codes

    async def is_member(self, account_id: str) -> bool:
        stmt = select(func.count()).where(EnterpriseMember.member_account_id == account_id)
        return bool((await self.session.execute(stmt)).scalar_one())

    async def master_of(self, member_id: str) -> str | None:
        """The enterprise master of a member account (None: not a member)."""
        stmt = select(EnterpriseMember.tenant_id).where(
            EnterpriseMember.member_account_id == member_id
        )
        return (await self.session.execute(stmt)).scalars().first()

    async def require_master(self, master_id: str, *, code: str | None = None) -> None:
        """Refuse a caller that is not an enterprise master: a member account, or a customer
        without enterprise real-name authentication (``code``, default ``CBC.99007004``)."""
        refusal = code or EnterpriseErrorCode.BUSINESS_CHECK_FAILED
        if await self.is_member(master_id):
            raise DomainError(
                refusal, "A member account of an enterprise cannot act as an enterprise master."
            )
        if not await self.realname.is_verified_enterprise(master_id):
            raise DomainError(
                refusal,
                "Only an account with enterprise real-name authentication can be an enterprise "
                "master; complete it first.",
            )

    async def create_member(self, master_id: str, new: NewMember) -> MemberView:
        """Create a member account (kind CUSTOMER, with its administrator) under ``master_id``.

        Multi-account is one level deep: a member cannot be the master of other accounts. A
        mobile number needs the code the master had sent to it (``send_member_code``).
        """
        master = await self.identity.get_account(master_id)
        if master is None or master.kind != AccountKind.CUSTOMER:
            raise DomainError(
                EnterpriseErrorCode.ACCESS_DENIED,
                "Access denied: only a customer can have members.",
            )
        if await self.is_member(master_id):
            raise DomainError(
                EnterpriseErrorCode.INVALID_PARAMETER,
                "Invalid parameter: a member account of an enterprise cannot create members.",
            )
        name = new.name
        check_domain_name(name)
        display_name = new.display_name
        if display_name is not None:
            display_name = display_name.strip()
            if not display_name or len(display_name) > _MAX_DISPLAY_NAME:
                raise invalid_parameter("display_name", f"Use 1 to {_MAX_DISPLAY_NAME} characters.")
            if any(not c.isprintable() for c in display_name):
                raise invalid_parameter("display_name", "Control characters are not allowed.")
        if new.org_id is not None and not _ORG_ID.fullmatch(new.org_id):
            raise invalid_parameter("org_id", "Use 1 to 64 letters, digits, '_' or '-'.")
        if len(new.permission_ids) > MAX_PERMISSION_IDS or not all(
            _PERMISSION_ID.fullmatch(p) for p in new.permission_ids
        ):
            raise invalid_parameter(
                "permission_ids", f"At most {MAX_PERMISSION_IDS} ids of 1 to 64 characters."
            )
        if new.financial_custody not in (0, 1):
            raise invalid_parameter("financial_custody", "Use 0 or 1.")
        receiver = None
        if new.mobile is not None:
            receiver = f"0086-{check_cn_mobile(new.mobile)}"
            if not new.verification_code:
                raise invalid_parameter("verification_code", "Required with a mobile number.")
        if new.password is not None:
            check_password(new.password, account_name=name, email=None, mobile=new.mobile)
        await self.require_master(master_id)
        if await self.identity.account_name_taken(name):
            raise DomainError(
                EnterpriseErrorCode.ACCOUNT_NAME_TAKEN, f"The account name {name!r} already exists."
            )
        if receiver is not None:
            assert new.verification_code is not None
            await self.codes.consume(
                tenant_id=master_id,
                receiver=receiver,
                code=new.verification_code,
                scene=MEMBER_MOBILE_SCENE,
            )
        account = await self.identity.create_account(
            kind=AccountKind.CUSTOMER, name=name, admin_password=new.password
        )
        row = EnterpriseMember(
            id=new_id(),
            tenant_id=master_id,
            member_account_id=account.id,
            display_name=display_name or name,
            org_id=new.org_id or root_org_id(master_id),
            status=MemberStatus.NORMAL,
            created_at=self.clock.now(),
            financial_custody=new.financial_custody,
            permission_ids=list(new.permission_ids),
            mobile=receiver,
        )
        self.session.add(row)
        await self.session.flush()
        return self._view(row, account.name, master.name)

    async def send_member_code(
        self, master_id: str, *, mobile: str, timeout_minutes: int | None, lang: str | None
    ) -> None:
        """Text a code to the mobile number of a member account about to be created
        (``CBC.70300008`` unless the caller is an enterprise master)."""
        receiver = f"0086-{check_cn_mobile(mobile)}"
        if lang is not None and lang.lower() not in ("zh-cn", "en-us"):
            raise invalid_parameter("language", "Use zh-cn or en-us.")
        minutes = code_minutes(timeout_minutes)
        await self.require_master(master_id, code=EnterpriseErrorCode.NOT_A_MASTER)
        await self.codes.send(
            tenant_id=master_id,
            receiver=receiver,
            channel=Channel.SMS,
            minutes=minutes,
            lang=lang,
            scene=MEMBER_MOBILE_SCENE,
        )

    async def member_of(self, master_id: str, member_id: str | None, field: str) -> MemberView:
        """The master's member account ``member_id`` (normal status), or ``CBC.7001``."""
        if not member_id or len(member_id) > 64:
            raise invalid_parameter(field, "Required, at most 64 characters.")
        row = (
            await self.session.execute(
                select(EnterpriseMember).where(
                    EnterpriseMember.tenant_id == master_id,
                    EnterpriseMember.member_account_id == member_id,
                )
            )
        ).scalar_one_or_none()
        if row is None or row.status != MemberStatus.NORMAL:
            raise DomainError(
                EnterpriseErrorCode.NOT_LINKED,
                f"The account {member_id} is not a member account of this enterprise master.",
            )
        accounts = await self.identity.accounts([member_id])
        return self._view(row, accounts[member_id].name, None)

    async def organizations(
        self, master_id: str, *, parent_id: str | None, recursive: bool
    ) -> OrgTree:
        """The master's root unit and the units below ``parent_id`` (the root by default),
        all levels when ``recursive``."""
        master = await self.identity.get_account(master_id)
        if master is None or master.kind != AccountKind.CUSTOMER or await self.is_member(master_id):
            raise DomainError(
                EnterpriseErrorCode.ACCESS_DENIED,
                "Access denied: only an enterprise master has an organization.",
            )
        root = root_org_id(master_id)
        stmt = (
            select(EnterpriseMember.org_id)
            .where(EnterpriseMember.tenant_id == master_id, EnterpriseMember.org_id != root)
            .distinct()
            .order_by(EnterpriseMember.org_id)
        )
        units = tuple(
            OrgNode(id=unit, name=unit, relation_id=f"{root}:{unit}")
            for unit in (await self.session.execute(stmt)).scalars().all()
        )
        parent = parent_id or root
        if parent == root:
            children = units
        elif any(u.id == parent for u in units):
            children = ()  # units are one level below the root today
        else:
            raise invalid_parameter("parent_id", f"No organization unit {parent} of yours.")
        del recursive  # every unit is a leaf, so the recursive tree is the same
        return OrgTree(root_id=root, root_name=master.name, children=children)

    async def disassociation_blocker(self, customer_id: str) -> str | None:
        """Why the customer cannot leave its partner yet, or None: an enterprise master with
        independent-accounting member accounts (``financial_custody`` 0) stays (rules.md
        §2.6.5), as the money it gave them came from the partner."""
        stmt = select(func.count()).where(
            EnterpriseMember.tenant_id == customer_id,
            EnterpriseMember.status == MemberStatus.NORMAL,
            EnterpriseMember.financial_custody == 0,
        )
        if (await self.session.execute(stmt)).scalar_one():
            return "the customer is an enterprise master with independent-accounting members"
        return None

    async def enable_enterprise_projects(self, account_id: str) -> bool:
        """Enable enterprise projects for the customer; True the first time (idempotent)."""
        if await self.session.get(EnterpriseProjectAuth, account_id) is not None:
            return False
        self.session.add(
            EnterpriseProjectAuth(
                account_id=account_id, tenant_id=account_id, enabled_at=self.clock.now()
            )
        )
        await self.session.flush()
        return True

    async def enterprise_projects_enabled(self, account_id: str) -> bool:
        return await self.session.get(EnterpriseProjectAuth, account_id) is not None

    async def list_members(
        self, master_id: str, filters: MemberFilter, window: Page
    ) -> tuple[list[MemberView], int]:
        """The master's members, newest first; another master's members never match."""
        stmt = select(EnterpriseMember).where(EnterpriseMember.tenant_id == master_id)
        if filters.account_name is not None:
            named = self.identity.account_ids_named(filters.account_name, exact=not filters.fuzzy)
            stmt = stmt.where(EnterpriseMember.member_account_id.in_(named))
        if filters.display_name is not None:
            stmt = stmt.where(
                self._match(EnterpriseMember.display_name, filters.display_name, filters.fuzzy)
            )
        if filters.org_id is not None:
            stmt = stmt.where(EnterpriseMember.org_id == filters.org_id)
        rows, total = await paginate(
            self.session,
            stmt,
            window,
            EnterpriseMember.created_at.desc(),
            EnterpriseMember.id.desc(),
        )
        accounts = await self.identity.accounts(m.member_account_id for m in rows)
        master = await self.identity.get_account(master_id)
        master_name = master.name if master is not None else None
        return [self._view(m, accounts[m.member_account_id].name, master_name) for m in rows], int(
            total
        )

    @staticmethod
    def _match(column: QueryableAttribute[str], value: str, fuzzy: bool) -> ColumnElement[bool]:
        if fuzzy:
            return func.lower(column).like(contains_pattern(value.lower()), escape=LIKE_ESCAPE)
        return func.lower(column) == value.lower()

    @staticmethod
    def _view(row: EnterpriseMember, account_name: str, master_name: str | None) -> MemberView:
        # The root unit is the only one modelled; it bears the enterprise's (master's) name.
        is_root = row.org_id == root_org_id(row.tenant_id)
        return MemberView(
            account_id=row.member_account_id,
            account_name=account_name,
            display_name=row.display_name,
            status=MemberStatus(row.status),
            org_id=row.org_id,
            org_name=master_name if is_root else None,
            created_at=row.created_at,
        )
