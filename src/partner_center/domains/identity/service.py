"""Identity: accounts, members, AK/SK credentials, IAM tokens and agencies (assume_role)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.identity import errors
from partner_center.domains.identity.crypto import (
    SecretCipher,
    hash_password,
    hash_token,
    verify_password,
)
from partner_center.domains.identity.errors import IdentityErrorCode
from partner_center.domains.identity.keycache import KeyCache, current_generation
from partner_center.domains.identity.models import (
    AccessKey,
    Account,
    AccountKind,
    AccountStatus,
    Agency,
    AgencyStatus,
    Member,
    Token,
)
from partner_center.domains.identity.permissions import (
    Permission,
    permissions_for,
    validate_roles,
)
from partner_center.domains.identity.signin import SignInGuard, SignInSubject
from partner_center.kernel.clock import Clock
from partner_center.kernel.db import LIKE_ESCAPE, contains_pattern
from partner_center.kernel.errors import DomainError
from partner_center.kernel.ids import new_access_key, new_domain_id, new_id, new_secret
from partner_center.kernel.text import check_text, check_texts

#: Bounds for temporary credentials, as IAM documents them (15 min .. 24 h).
MIN_TEMPORARY_SECONDS = 900
MAX_TEMPORARY_SECONDS = 86_400


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: the effective account, the member, and how it authenticated."""

    account_id: str
    account_name: str
    kind: AccountKind
    member_id: str | None
    member_name: str | None
    is_admin: bool
    roles: tuple[str, ...]
    permissions: frozenset[Permission]
    delegated_by: str | None = None
    """Partner account acting as this customer through an agency (assume_role)."""
    agency_id: str | None = None
    method: str = "aksk"

    def has(self, permission: Permission) -> bool:
        return self.is_admin or permission in self.permissions


@dataclass(frozen=True, slots=True)
class KeyMaterial:
    """What the gateway needs to verify an AK/SK signature."""

    secret: str
    security_token_hash: str | None
    expires_at: datetime | None
    caller: Caller


@dataclass(frozen=True, slots=True)
class IssuedKey:
    access_key: str
    secret_key: str
    security_token: str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AccessKeyView:
    """A permanent access key, without its secret."""

    access_key: str
    status: AccountStatus
    description: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    issued_at: datetime
    expires_at: datetime
    caller: Caller


@dataclass(frozen=True, slots=True)
class AccountView:
    """An account (operator, partner or customer), without its members."""

    id: str
    kind: AccountKind
    name: str
    status: AccountStatus
    email: str | None
    mobile: str | None
    created_at: datetime


def _account_view(row: Account) -> AccountView:
    return AccountView(
        id=row.id,
        kind=row.kind,
        name=row.name,
        status=row.status,
        email=row.email,
        mobile=row.mobile,
        created_at=row.created_at,
    )


@dataclass(frozen=True, slots=True)
class AgencyView:
    """A customer's authorization of a partner (an IAM agency)."""

    id: str
    customer_id: str
    partner_id: str
    name: str
    permission: str
    status: AgencyStatus
    created_at: datetime


def _agency_view(row: Agency) -> AgencyView:
    return AgencyView(
        id=row.id,
        customer_id=row.tenant_id,
        partner_id=row.partner_id,
        name=row.name,
        permission=row.permission,
        status=row.status,
        created_at=row.created_at,
    )


@dataclass(frozen=True, slots=True)
class MemberView:
    """A member of an account, without secrets."""

    member_id: str
    account_id: str
    name: str
    roles: tuple[str, ...]
    is_admin: bool
    status: AccountStatus
    created_at: datetime


def _member_view(member: Member) -> MemberView:
    return MemberView(
        member_id=member.id,
        account_id=member.tenant_id,
        name=member.name,
        roles=tuple(member.roles),
        is_admin=member.is_admin,
        status=member.status,
        created_at=member.created_at,
    )


class IdentityService:
    """Accounts, members and credentials.

    ``clock`` is business time (creation dates); ``wall`` is real time for credential lifetimes
    and sign-in lockouts, so moving the sandbox clock never expires a token or a temporary key.
    """

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        wall: Clock,
        cipher: SecretCipher,
        sign_in_guard: SignInGuard,
        token_ttl: timedelta = timedelta(hours=24),
        key_cache: KeyCache[KeyMaterial] | None = None,
    ) -> None:
        """``key_cache``: the process's cache of permanent keys' material (``keycache.py``);
        None reads every key from the database."""
        self.session = session
        self.key_cache = key_cache
        self.clock = clock
        self.wall = wall
        self.cipher = cipher
        self.token_ttl = token_ttl
        self.sign_in_guard = sign_in_guard

    # -- accounts and members -------------------------------------------------------------

    async def account_name_taken(self, name: str) -> bool:
        stmt = (
            select(func.count())
            .select_from(Account)
            .where(func.lower(Account.name) == name.lower())
        )
        return bool((await self.session.execute(stmt)).scalar_one())

    async def create_account(
        self,
        *,
        kind: AccountKind,
        name: str,
        email: str | None = None,
        mobile: str | None = None,
        admin_password: str | None = None,
        account_id: str | None = None,
    ) -> AccountView:
        """Create an account and its administrator member (same name as the account)."""
        check_texts({"name": name, "email": email, "mobile": mobile, "password": admin_password})
        if await self.account_name_taken(name):
            raise DomainError(
                IdentityErrorCode.ACCOUNT_NAME_TAKEN, f"The account name {name!r} already exists."
            )
        now = self.clock.now()
        account_id = account_id or new_domain_id()
        account = Account(
            id=account_id,
            tenant_id=account_id,
            name=name,
            kind=kind,
            status=AccountStatus.ACTIVE,
            email=email,
            mobile=mobile,
            created_at=now,
        )
        self.session.add(account)
        self.session.add(
            Member(
                id=new_id(),
                tenant_id=account_id,
                name=name,
                password_hash=hash_password(admin_password) if admin_password else None,
                roles=["ADMIN"],
                is_admin=True,
                email=email,
                created_at=now,
            )
        )
        await self.session.flush()
        return _account_view(account)

    async def get_account(self, account_id: str) -> AccountView | None:
        row = await self.session.get(Account, account_id)
        return _account_view(row) if row is not None else None

    async def get_account_by_email(self, email: str) -> AccountView | None:
        """The oldest account registered with ``email`` (case-insensitive), or None."""
        stmt = (
            select(Account)
            .where(func.lower(Account.email) == email.lower())
            .order_by(Account.created_at, Account.id)
            .limit(1)
        )
        row = (await self.session.execute(stmt)).scalar_one_or_none()
        return _account_view(row) if row is not None else None

    async def get_account_by_name(self, name: str) -> AccountView | None:
        stmt = select(Account).where(Account.name == name)
        row = (await self.session.execute(stmt)).scalar_one_or_none()
        return _account_view(row) if row is not None else None

    async def accounts(self, account_ids: Iterable[str]) -> dict[str, AccountView]:
        """The accounts among ``account_ids`` that exist, by id."""
        ids = set(account_ids)
        if not ids:
            return {}
        rows = await self.session.scalars(select(Account).where(Account.id.in_(ids)))
        return {row.id: _account_view(row) for row in rows}

    def account_ids_named(self, name: str, *, exact: bool = False) -> Select[str]:
        """A query of the ids of the accounts whose name contains ``name`` (or, ``exact``, is
        ``name``), in any case, to filter another domain's rows by."""
        if exact:
            return select(Account.id).where(func.lower(Account.name) == name.lower())
        return select(Account.id).where(
            Account.name.ilike(contains_pattern(name), escape=LIKE_ESCAPE)
        )

    async def admin_member(self, account_id: str) -> Member:
        stmt = select(Member).where(Member.tenant_id == account_id, Member.is_admin.is_(True))
        return (await self.session.execute(stmt)).scalars().one()

    async def create_member(
        self, *, account_id: str, name: str, roles: list[str], password: str | None = None
    ) -> Member:
        """Add a member to an account with 1–3 roles (role rules of rules.md §1.18–1.19)."""
        check_texts({"name": name, "password": password})
        validate_roles(roles)
        exists = await self.session.execute(
            select(Member.id).where(Member.tenant_id == account_id, Member.name == name)
        )
        if exists.first() is not None:
            raise DomainError(
                IdentityErrorCode.INVALID_PARAMETER,
                f"Invalid parameter: name. Member {name!r} exists.",
            )
        member = Member(
            id=new_id(),
            tenant_id=account_id,
            name=name,
            password_hash=hash_password(password) if password else None,
            roles=list(roles),
            is_admin=False,
            created_at=self.clock.now(),
        )
        self.session.add(member)
        await self.session.flush()
        return member

    async def member_names(self, member_ids: list[str]) -> dict[str, str]:
        stmt = select(Member.id, Member.name).where(Member.id.in_(member_ids))
        return {row.id: row.name for row in (await self.session.execute(stmt)).all()}

    async def member_by_name(self, account_id: str, name: str) -> Member | None:
        """The active member of ``account_id`` with this login name (never another account's)."""
        stmt = select(Member).where(
            Member.tenant_id == account_id,
            Member.name == name,
            Member.status == AccountStatus.ACTIVE,
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get_member(self, *, account_id: str, member_id: str) -> MemberView | None:
        """A member of ``account_id`` (never another account's), or None."""
        member = await self.session.get(Member, member_id)
        if member is None or member.tenant_id != account_id:
            return None
        return _member_view(member)

    async def list_members(self, account_id: str) -> list[MemberView]:
        """The account's members, administrator first, then by creation."""
        stmt = (
            select(Member)
            .where(Member.tenant_id == account_id)
            .order_by(Member.is_admin.desc(), Member.created_at, Member.id)
        )
        return [_member_view(m) for m in (await self.session.execute(stmt)).scalars()]

    async def set_member_roles(
        self, *, account_id: str, member_id: str, roles: list[str]
    ) -> MemberView:
        """Replace a member's roles (rules.md §1.18–1.19); the administrator keeps Admin."""
        validate_roles(roles)
        member = await self.session.get(Member, member_id)
        if member is None or member.tenant_id != account_id:
            raise DomainError(
                IdentityErrorCode.INVALID_PARAMETER, "Invalid parameter: member_id. No such member."
            )
        if member.is_admin:
            raise DomainError(
                IdentityErrorCode.INVALID_PARAMETER,
                "Invalid parameter: member_id. The administrator's roles are fixed.",
            )
        member.roles = list(roles)
        await self.session.flush()
        return _member_view(member)

    async def set_password(self, *, member_id: str, password: str) -> None:
        check_text("password", password)
        member = await self.session.get(Member, member_id)
        if member is None:
            raise DomainError(
                IdentityErrorCode.INVALID_PARAMETER, "Invalid parameter: member_id. No such member."
            )
        member.password_hash = hash_password(password)
        await self.session.flush()

    # -- callers ------------------------------------------------------------------------

    async def caller_for(
        self,
        account_id: str,
        member_id: str | None,
        *,
        delegated_by: str | None = None,
        agency_id: str | None = None,
        method: str,
    ) -> Caller:
        account = await self.session.get(Account, account_id)
        if account is None or account.status != AccountStatus.ACTIVE:
            raise errors.token_invalid()
        member = await self.session.get(Member, member_id) if member_id else None
        if member is not None and member.status != AccountStatus.ACTIVE:
            raise errors.token_invalid()
        roles: tuple[str, ...]
        if delegated_by is not None:
            # Acting through an agency: the agency's permissions in the customer account.
            is_admin, roles = False, ("AGENCY",)
            perms: frozenset[Permission] = frozenset()
        elif member is None:
            is_admin, roles, perms = True, ("ADMIN",), frozenset(Permission)
        else:
            is_admin, roles = member.is_admin, tuple(member.roles)
            perms = permissions_for(list(member.roles), is_admin=member.is_admin)
        return Caller(
            account_id=account.id,
            account_name=account.name,
            kind=account.kind,
            member_id=member.id if member else None,
            member_name=member.name if member else None,
            is_admin=is_admin,
            roles=roles,
            permissions=perms,
            delegated_by=delegated_by,
            agency_id=agency_id,
            method=method,
        )

    # -- AK/SK -------------------------------------------------------------------------

    async def create_access_key(
        self, *, account_id: str, member_id: str | None = None, description: str | None = None
    ) -> IssuedKey:
        """A permanent AK/SK for the account's administrator (or a member). The SK is returned
        only here; it is stored encrypted."""
        check_text("description", description)
        if await self.session.get(Account, account_id) is None:
            raise DomainError(
                IdentityErrorCode.ACCOUNT_DOES_NOT_EXIST, f"Account {account_id} does not exist."
            )
        if member_id is None:
            member_id = (await self.admin_member(account_id)).id
        access_key, secret = new_access_key(), new_secret(40)
        self.session.add(
            AccessKey(
                access_key=access_key,
                tenant_id=account_id,
                member_id=member_id,
                secret_encrypted=self.cipher.encrypt(secret),
                description=description,
                created_at=self.wall.now(),
            )
        )
        await self.session.flush()
        return IssuedKey(access_key=access_key, secret_key=secret)

    async def access_keys(self, *, account_id: str, member_id: str) -> list[AccessKeyView]:
        """The member's permanent keys (never their secrets), oldest first."""
        stmt = (
            select(AccessKey)
            .where(
                AccessKey.tenant_id == account_id,
                AccessKey.member_id == member_id,
                AccessKey.security_token_hash.is_(None),
                AccessKey.delegated_by.is_(None),
            )
            .order_by(AccessKey.created_at, AccessKey.access_key)
        )
        return [
            AccessKeyView(
                access_key=k.access_key,
                status=k.status,
                description=k.description,
                created_at=k.created_at,
            )
            for k in (await self.session.scalars(stmt)).all()
        ]

    async def _own_key(self, *, account_id: str, member_id: str, access_key: str) -> AccessKey:
        key = await self.session.get(AccessKey, access_key, with_for_update=True)
        if key is None or key.tenant_id != account_id or key.member_id != member_id:
            raise DomainError(
                IdentityErrorCode.INVALID_PARAMETER,
                f"Invalid parameter: access_key. Access key {access_key} does not exist.",
                {"field": "access_key"},
            )
        return key

    async def set_access_key_status(
        self, *, account_id: str, member_id: str, access_key: str, active: bool
    ) -> None:
        """Disable a key (signatures with it are refused at once) or enable it again."""
        key = await self._own_key(account_id=account_id, member_id=member_id, access_key=access_key)
        key.status = AccountStatus.ACTIVE if active else AccountStatus.SUSPENDED
        await self.session.flush()

    async def delete_access_key(self, *, account_id: str, member_id: str, access_key: str) -> None:
        """Delete a disabled key for good (an active key is disabled first, as IAM asks)."""
        key = await self._own_key(account_id=account_id, member_id=member_id, access_key=access_key)
        if key.status == AccountStatus.ACTIVE:
            raise DomainError(
                IdentityErrorCode.INVALID_PARAMETER,
                "Invalid parameter: access_key. Disable the access key before deleting it.",
                {"field": "access_key"},
            )
        await self.session.delete(key)
        await self.session.flush()

    async def key_material(self, access_key: str) -> KeyMaterial:
        """Look up an AK for signature verification; unknown, disabled or expired → 401. A
        permanent key's material comes from the process's ``key_cache`` when it is there."""
        now = self.wall.now()
        if self.key_cache is not None:
            cached = self.key_cache.get(access_key, now)
            if cached is not None:
                return cached
        generation = current_generation()
        # One round trip: the key, its account and member land in the session's identity map,
        # so building the caller below issues no further queries.
        stmt = (
            select(AccessKey, Account, Member)
            .join(Account, Account.id == AccessKey.tenant_id)
            .outerjoin(Member, Member.id == AccessKey.member_id)
            .where(AccessKey.access_key == access_key)
        )
        row = (await self.session.execute(stmt)).first()
        key = row[0] if row is not None else None
        if key is None or key.status != AccountStatus.ACTIVE:
            raise errors.unknown_access_key()
        if key.expires_at is not None and key.expires_at <= self.wall.now():
            raise DomainError(
                IdentityErrorCode.CREDENTIAL_EXPIRED, "The temporary credential has expired."
            )
        caller = await self.caller_for(
            key.tenant_id,
            key.member_id,
            delegated_by=key.delegated_by,
            agency_id=key.agency_id,
            method="temporary" if key.security_token_hash else "aksk",
        )
        if key.agency_id is not None:
            await self._require_active_agency(key.agency_id)
        material = KeyMaterial(
            secret=self.cipher.decrypt(key.secret_encrypted),
            security_token_hash=key.security_token_hash,
            expires_at=key.expires_at,
            caller=caller,
        )
        permanent = key.security_token_hash is None and key.expires_at is None
        own = key.agency_id is None and key.delegated_by is None
        if self.key_cache is not None and permanent and own:
            self.key_cache.put(access_key, material, now=now, generation=generation)
        return material

    # -- tokens ------------------------------------------------------------------------

    async def _issue_token(
        self,
        *,
        account_id: str,
        member_id: str | None,
        methods: list[str],
        delegated_by: str | None = None,
        agency_id: str | None = None,
    ) -> IssuedToken:
        token = "MII" + secrets.token_urlsafe(48)
        issued = self.wall.now()
        expires = issued + self.token_ttl
        self.session.add(
            Token(
                token_hash=hash_token(token),
                tenant_id=account_id,
                member_id=member_id,
                delegated_by=delegated_by,
                agency_id=agency_id,
                methods=methods,
                issued_at=issued,
                expires_at=expires,
            )
        )
        await self.session.flush()
        caller = await self.caller_for(
            account_id, member_id, delegated_by=delegated_by, agency_id=agency_id, method="token"
        )
        return IssuedToken(token=token, issued_at=issued, expires_at=expires, caller=caller)

    async def sign_in(
        self, *, domain_name: str, user_name: str, password: str, source: str | None = None
    ) -> Caller:
        """Password sign-in of a member of the named account, throttled and locked out by the
        sign-in guard (``signin.py``); ``source`` is the client address. Every way of getting it
        wrong (unknown account or user, suspended, wrong password) is the same ``IAM.0001`` and
        costs the same password hash.

        Raises:
            DomainError: ``IAM.0001`` wrong credentials; ``IAM.0004`` locked; ``APIG.0308``
                the source is blocked.
        """
        subject = SignInSubject(domain_name, user_name, source)
        await self.sign_in_guard.check(subject)
        account = await self.get_account_by_name(domain_name)
        member = None
        if account is not None and account.status == AccountStatus.ACTIVE:
            stmt = select(Member).where(
                Member.tenant_id == account.id,
                Member.name == user_name,
                Member.status == AccountStatus.ACTIVE,
            )
            member = (await self.session.execute(stmt)).scalar_one_or_none()
        matches = verify_password(member.password_hash if member else None, password)
        if member is None or not matches:
            await self.sign_in_guard.record_failure(subject)
        await self.sign_in_guard.record_success(subject)
        return await self.caller_for(member.tenant_id, member.id, method="password")

    async def token_by_password(
        self, *, domain_name: str, user_name: str, password: str, source: str | None = None
    ) -> IssuedToken:
        """IAM password method: ``sign_in``, then a token for the member."""
        caller = await self.sign_in(
            domain_name=domain_name, user_name=user_name, password=password, source=source
        )
        return await self._issue_token(
            account_id=caller.account_id, member_id=caller.member_id, methods=["password"]
        )

    async def caller_for_token(self, token: str) -> Caller:
        row = await self.session.get(Token, hash_token(token))
        if row is None or row.expires_at <= self.wall.now():
            raise errors.token_invalid()
        if row.agency_id is not None:
            await self._require_active_agency(row.agency_id)
        return await self.caller_for(
            row.tenant_id,
            row.member_id,
            delegated_by=row.delegated_by,
            agency_id=row.agency_id,
            method="token",
        )

    async def revoke_token(self, token: str) -> None:
        """Sign out: the token (a console session) stops working at once."""
        row = await self.session.get(Token, hash_token(token))
        if row is not None:
            await self.session.delete(row)
            await self.session.flush()

    async def _require_active_agency(self, agency_id: str) -> Agency:
        agency = await self.session.get(Agency, agency_id)
        if agency is None or agency.status != AgencyStatus.ACTIVE:
            raise errors.token_invalid()
        return agency

    async def assume_role(
        self,
        caller: Caller,
        *,
        agency_name: str,
        domain_name: str | None = None,
        domain_id: str | None = None,
    ) -> IssuedToken:
        """A partner obtains a token that acts as the customer, only through an active agency
        the customer granted to that partner under that name."""
        if caller.delegated_by is not None:
            raise DomainError(
                IdentityErrorCode.NO_AGENCY, "A delegated token cannot assume another role."
            )
        if domain_id:
            customer = await self.get_account(domain_id)
        elif domain_name:
            customer = await self.get_account_by_name(domain_name)
        else:
            raise DomainError(
                IdentityErrorCode.BAD_REQUEST, "assume_role needs domain_name or domain_id."
            )
        if customer is None or customer.kind != AccountKind.CUSTOMER:
            raise errors.no_agency()
        agency = await self.active_agency(
            customer_id=customer.id, partner_id=caller.account_id, name=agency_name
        )
        if agency is None:
            raise errors.no_agency()
        return await self._issue_token(
            account_id=customer.id,
            member_id=None,
            methods=["assume_role"],
            delegated_by=caller.account_id,
            agency_id=agency.id,
        )

    async def temporary_credentials(self, caller: Caller, *, duration_seconds: int) -> IssuedKey:
        """Temporary AK/SK + security token carrying the caller's identity (and delegation)."""
        if not MIN_TEMPORARY_SECONDS <= duration_seconds <= MAX_TEMPORARY_SECONDS:
            raise DomainError(
                IdentityErrorCode.BAD_REQUEST,
                f"duration_seconds must be between {MIN_TEMPORARY_SECONDS} "
                f"and {MAX_TEMPORARY_SECONDS}.",
            )
        access_key, secret = new_access_key(), new_secret(40)
        security_token = secrets.token_urlsafe(96)
        now = self.wall.now()
        expires = now + timedelta(seconds=duration_seconds)
        self.session.add(
            AccessKey(
                access_key=access_key,
                tenant_id=caller.account_id,
                member_id=caller.member_id,
                secret_encrypted=self.cipher.encrypt(secret),
                security_token_hash=hash_token(security_token),
                delegated_by=caller.delegated_by,
                agency_id=caller.agency_id,
                description="temporary",
                created_at=now,
                expires_at=expires,
            )
        )
        await self.session.flush()
        return IssuedKey(
            access_key=access_key,
            secret_key=secret,
            security_token=security_token,
            expires_at=expires,
        )

    # -- agencies ------------------------------------------------------------------------

    async def active_agency(
        self, *, customer_id: str, partner_id: str, name: str
    ) -> AgencyView | None:
        stmt = select(Agency).where(
            Agency.tenant_id == customer_id,
            Agency.partner_id == partner_id,
            Agency.name == name,
            Agency.status == AgencyStatus.ACTIVE,
        )
        row = (await self.session.execute(stmt)).scalars().first()
        return _agency_view(row) if row is not None else None

    async def grant_agency(
        self, *, customer_id: str, partner_id: str, name: str, permission: str = "te_admin"
    ) -> AgencyView:
        """The customer authorizes the partner (idempotent while an active grant exists)."""
        existing = await self.active_agency(
            customer_id=customer_id, partner_id=partner_id, name=name
        )
        if existing is not None:
            return existing
        agency = Agency(
            id=new_id(),
            tenant_id=customer_id,
            partner_id=partner_id,
            name=name,
            permission=permission,
            status=AgencyStatus.ACTIVE,
            created_at=self.clock.now(),
        )
        self.session.add(agency)
        await self.session.flush()
        return _agency_view(agency)

    async def revoke_agency(self, *, customer_id: str, partner_id: str) -> int:
        """The customer withdraws every authorization of the partner; tokens and temporary keys
        issued through them stop working at once. Returns how many were revoked."""
        stmt = select(Agency).where(
            Agency.tenant_id == customer_id,
            Agency.partner_id == partner_id,
            Agency.status == AgencyStatus.ACTIVE,
        )
        rows = (await self.session.execute(stmt)).scalars().all()
        for agency in rows:
            agency.status = AgencyStatus.REVOKED
            agency.revoked_at = self.clock.now()
        await self.session.flush()
        return len(rows)
