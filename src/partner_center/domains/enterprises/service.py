"""Enterprise multi-account: a master customer creates member accounts and lists them
(api-semantics.md §3.13). Organizations are not modelled beyond each master's root unit, whose
id is derived from the master's account id."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from partner_center.domains.customers.public import check_domain_name
from partner_center.domains.enterprises.errors import EnterpriseErrorCode
from partner_center.domains.enterprises.models import EnterpriseMember, MemberStatus
from partner_center.domains.identity.public import AccountKind, IdentityService
from partner_center.kernel.clock import Clock
from partner_center.kernel.db import LIKE_ESCAPE, contains_pattern
from partner_center.kernel.errors import DomainError, invalid_parameter
from partner_center.kernel.ids import new_id
from partner_center.kernel.pagination import Page, paginate

_ORG_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MAX_DISPLAY_NAME = 64


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
class MemberView:
    account_id: str
    account_name: str
    display_name: str
    status: MemberStatus
    org_id: str
    org_name: str | None
    created_at: datetime


class EnterpriseService:
    def __init__(self, session: AsyncSession, *, clock: Clock, identity: IdentityService) -> None:
        self.session = session
        self.clock = clock
        self.identity = identity

    async def is_member(self, account_id: str) -> bool:
        stmt = select(func.count()).where(EnterpriseMember.member_account_id == account_id)
        return bool((await self.session.execute(stmt)).scalar_one())

    async def master_of(self, member_id: str) -> str | None:
        """The enterprise master of a member account (None: not a member)."""
        stmt = select(EnterpriseMember.tenant_id).where(
            EnterpriseMember.member_account_id == member_id
        )
        return (await self.session.execute(stmt)).scalars().first()

    async def create_member(
        self,
        master_id: str,
        *,
        name: str,
        display_name: str | None = None,
        org_id: str | None = None,
    ) -> MemberView:
        """Create a member account (kind CUSTOMER, with its administrator) under ``master_id``.

        Multi-account is one level deep: a member cannot be the master of other accounts.
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
        check_domain_name(name)
        if display_name is not None:
            display_name = display_name.strip()
            if not display_name or len(display_name) > _MAX_DISPLAY_NAME:
                raise invalid_parameter("display_name", f"Use 1 to {_MAX_DISPLAY_NAME} characters.")
            if any(not c.isprintable() for c in display_name):
                raise invalid_parameter("display_name", "Control characters are not allowed.")
        if org_id is not None and not _ORG_ID.fullmatch(org_id):
            raise invalid_parameter("org_id", "Use 1 to 64 letters, digits, '_' or '-'.")
        if await self.identity.account_name_taken(name):
            raise DomainError(
                EnterpriseErrorCode.ACCOUNT_NAME_TAKEN, f"The account name {name!r} already exists."
            )
        account = await self.identity.create_account(kind=AccountKind.CUSTOMER, name=name)
        row = EnterpriseMember(
            id=new_id(),
            tenant_id=master_id,
            member_account_id=account.id,
            display_name=display_name or name,
            org_id=org_id or root_org_id(master_id),
            status=MemberStatus.NORMAL,
            created_at=self.clock.now(),
        )
        self.session.add(row)
        await self.session.flush()
        return self._view(row, account.name, master.name)

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
