"""Accounts (operator, partners, customers), their members, credentials, tokens and agencies."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.db import Base, TenantOwned, UtcDateTime, global_table


class AccountKind(enum.StrEnum):
    OPERATOR = "OPERATOR"
    PARTNER = "PARTNER"
    CUSTOMER = "CUSTOMER"


class AccountStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"


class Account(TenantOwned, Base):
    """A cloud account (the reference's "domain"). ``tenant_id`` is the account's own id."""

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """The 32-hex ``domain_id``."""
    name: Mapped[str] = mapped_column(String(64), unique=True)
    """The login (domain) name, unique across the system."""
    kind: Mapped[AccountKind] = mapped_column(Enum(AccountKind, native_enum=False, length=16))
    status: Mapped[AccountStatus] = mapped_column(
        Enum(AccountStatus, native_enum=False, length=16), default=AccountStatus.ACTIVE
    )
    email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    mobile: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time the account was created (UTC)."""


class Member(TenantOwned, Base):
    """A user of an account (IAM user / organization member). ``tenant_id`` is the account."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    """argon2id hash; NULL means the member cannot log in with a password (SSO only)."""
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    """The account's administrator (created with the account; holds every permission)."""
    email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    status: Mapped[AccountStatus] = mapped_column(
        Enum(AccountStatus, native_enum=False, length=16), default=AccountStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AccessKey(TenantOwned, Base):
    """An AK/SK pair. ``tenant_id`` is the account the key authenticates as.

    The secret is stored encrypted (Fernet, key from settings); it is shown once at creation.
    Temporary keys carry a security token (stored as a SHA-256 hash) and an expiry; keys obtained
    through an agency act as the customer (``tenant_id``) on behalf of ``delegated_by``.
    """

    __tablename__ = "access_keys"

    access_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    member_id: Mapped[str | None] = mapped_column(ForeignKey("members.id"), nullable=True)
    secret_encrypted: Mapped[str] = mapped_column(String(512))
    status: Mapped[AccountStatus] = mapped_column(
        Enum(AccountStatus, native_enum=False, length=16), default=AccountStatus.ACTIVE
    )
    description: Mapped[str | None] = mapped_column(String(255), nullable=True)
    security_token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """SHA-256 hex of the security token for temporary credentials; NULL for permanent keys."""
    delegated_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """Partner account acting through an agency; NULL when the owner itself holds the key."""
    agency_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Wall-clock creation time (UTC)."""
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Wall-clock expiry (UTC) of temporary keys; NULL for permanent keys."""


class Token(TenantOwned, Base):
    """An IAM token (``X-Auth-Token``). Stored as the SHA-256 of the token; ``tenant_id`` is the
    account the token acts as."""

    __tablename__ = "tokens"
    __table_args__ = (Index("ix_tokens_expires_at", "expires_at"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    delegated_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    agency_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    methods: Mapped[list[str]] = mapped_column(JSON, default=list)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Wall-clock issue time (UTC)."""
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Wall-clock expiry (UTC)."""


class AgencyStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    REVOKED = "REVOKED"


class Agency(TenantOwned, Base):
    """A customer's authorization of a partner (the IAM agency ``assume_role`` checks).

    ``tenant_id`` is the customer that granted it; ``partner_id`` the trusted partner account.
    """

    __tablename__ = "agencies"
    __table_args__ = (Index("ix_agencies_lookup", "tenant_id", "partner_id", "status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    name: Mapped[str] = mapped_column(String(64))
    """Agency name; the reference names it after the partner's ``xaccount_type``."""
    permission: Mapped[str] = mapped_column(String(32), default="te_admin")
    status: Mapped[AgencyStatus] = mapped_column(
        Enum(AgencyStatus, native_enum=False, length=16), default=AgencyStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time the customer granted it (UTC)."""
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time it was revoked (UTC); NULL while active."""


class ThrottleScope(enum.StrEnum):
    USER = "USER"
    """An account name + user name as presented at sign-in (existing or not)."""
    SOURCE = "SOURCE"
    """A client address (IPv4, or the /64 network of an IPv6 address)."""


class SignInThrottle(Base):
    """Failed password sign-ins of one subject and its lock (``SignInGuard``).

    One row per subject, shared by every server process through the database; the row is locked
    for the whole sign-in, so concurrent attempts on one subject are counted one after another.
    """

    __tablename__ = "sign_in_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 hex of the scope and the normalised subject (no name or address is stored)."""
    scope: Mapped[ThrottleScope] = mapped_column(Enum(ThrottleScope, native_enum=False, length=8))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    """Failures counted since the window began; back to 0 on a success (user rows) or a lock."""
    last_failure_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Wall-clock time (UTC) of the latest counted failure; the count restarts when the next
    failure comes a whole window later."""
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Wall-clock time (UTC) until which every sign-in of the subject is refused; NULL if never
    locked or after a success."""


global_table(
    "sign_in_throttles",
    "keyed by the names presented at sign-in and by client address, before (and whether or not) "
    "any account is known",
)
