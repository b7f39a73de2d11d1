"""Invitations, association-type changes, disassociation requests, customer authorizations of
partners, account-manager assignments and per-partner association settings (rules.md §2, §5.1–5.2,
§1.14–1.20, §8.5)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.domains.customers.public import AssociationType
from partner_center.kernel.db import Base, TenantOwned, UtcDateTime


def _enum(kind: type[enum.Enum], length: int = 32) -> Enum:
    return Enum(kind, native_enum=False, length=length)


class InvitationChannel(enum.StrEnum):
    EMAIL = "EMAIL"
    """A personal link e-mailed to one invitee; valid 7 days, used once (rules.md §2.1.6)."""
    LINK = "LINK"
    """An offline link the partner hands out; never expires, any number of customers (§2.1.7)."""
    QR_CODE = "QR_CODE"
    """The offline link as a QR code (PNG); never expires (§2.1.7)."""


class InvitationStatus(enum.StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    EXPIRED = "EXPIRED"
    FAILED = "FAILED"


class Invitation(TenantOwned, Base):
    """An invitation link. ``tenant_id`` is the inviting partner (CSP, distributor or reseller).

    The link carries a random token; only its SHA-256 is stored, so a leaked database cannot be
    turned into working links.
    """

    __tablename__ = "invitations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[InvitationChannel] = mapped_column(_enum(InvitationChannel, 16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    association_type: Mapped[AssociationType] = mapped_column(_enum(AssociationType, 16))
    created_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """Member who made it; the association is attributed to them (rules.md §2.1.8)."""
    created_by_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The member's account name: the custom tag the link carries."""
    account_manager_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """Set when the maker is an account manager: accepting customers are assigned to them."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time the link was made (UTC)."""
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time the link stops working (UTC); NULL for offline links and QR codes."""
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time the partner withdrew the link (UTC); NULL while usable."""


class InvitationRecord(TenantOwned, Base):
    """One invitee of an invitation: the history row the partner sees (rules.md §2.1.11).

    An e-mail invitation has one record from the moment it is sent; offline links and QR codes get
    a record per customer that uses them. ``tenant_id`` is the inviting partner.
    """

    __tablename__ = "invitation_records"
    __table_args__ = (
        Index("ix_invitation_records_tenant_created", "tenant_id", "created_at"),
        Index("ix_invitation_records_invitation_customer", "invitation_id", "customer_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    invitation_id: Mapped[str] = mapped_column(ForeignKey("invitations.id"))
    invitee_email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    customer_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    """The account that used the link (NULL until someone does)."""
    status: Mapped[InvitationStatus] = mapped_column(_enum(InvitationStatus, 16))
    failure_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """A ``FailureReason`` value when the association failed or the link expired."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time the invitation was sent or the link first used (UTC)."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time of the latest status change (UTC)."""


class RequestStatus(enum.StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    """Type change done / disassociation completed."""
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


class TypeChangeRequest(TenantOwned, Base):
    """A partner's request to switch a customer's association type (rules.md §2.5); the customer
    approves or rejects it. ``tenant_id`` is the partner."""

    __tablename__ = "association_type_changes"
    __table_args__ = (Index("ix_association_type_changes_customer", "customer_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(32))
    from_type: Mapped[AssociationType] = mapped_column(_enum(AssociationType, 16))
    to_type: Mapped[AssociationType] = mapped_column(_enum(AssociationType, 16))
    status: Mapped[RequestStatus] = mapped_column(_enum(RequestStatus, 16))
    requested_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """Partner member who filed it."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time filed (UTC); the one-per-window limit counts these."""
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time approved, rejected or cancelled (UTC)."""


class Initiator(enum.StrEnum):
    PARTNER = "PARTNER"
    CUSTOMER = "CUSTOMER"


class DisassociationRequest(TenantOwned, Base):
    """A request to end an association, started by either side and decided by the other
    (rules.md §2.6.2–2.6.3). Referral-model associations end at once (§2.6.7).

    ``tenant_id`` is the partner the customer was associated with.
    """

    __tablename__ = "disassociation_requests"
    __table_args__ = (
        Index("ix_disassociation_requests_customer", "customer_id", "initiator", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(32))
    distributor_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    initiator: Mapped[Initiator] = mapped_column(_enum(Initiator, 16))
    association_type: Mapped[AssociationType] = mapped_column(_enum(AssociationType, 16))
    reason: Mapped[str] = mapped_column(String(512))
    status: Mapped[RequestStatus] = mapped_column(_enum(RequestStatus, 16))
    requested_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """Member (partner side) or account (customer side) that filed it."""
    decided_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    rejection_reason: Mapped[str | None] = mapped_column(String(512), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time filed (UTC); the frequency limit counts these."""
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time completed, rejected or cancelled (UTC)."""


class AuthorizationStatus(enum.StrEnum):
    PENDING = "PENDING"
    AUTHORIZED = "AUTHORIZED"
    REJECTED = "REJECTED"
    REVOKED = "REVOKED"
    CANCELLED = "CANCELLED"


class AuthorizationRequest(TenantOwned, Base):
    """A partner's request to order and operate on a customer's behalf (rules.md §5.1–5.2). On
    approval the customer grants an agency named after the partner's ``xaccount_type``.
    ``tenant_id`` is the partner."""

    __tablename__ = "customer_authorizations"
    __table_args__ = (Index("ix_customer_authorizations_customer", "customer_id", "status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(32))
    permission: Mapped[str] = mapped_column(String(32))
    """Agency permission granted on approval: ``te_admin`` (full) or ``readonly``."""
    status: Mapped[AuthorizationStatus] = mapped_column(_enum(AuthorizationStatus, 16))
    agency_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    requested_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time requested (UTC)."""
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time approved, rejected or cancelled (UTC)."""
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time the customer (or the end of the association) withdrew it (UTC)."""


class PartnerAssociationSettings(TenantOwned, Base):
    """Per-partner switches: whether the ecosystem manager unlocked the referral model
    (rules.md §1.2) and when the partner accepted the commitment letter for operating on
    customers' behalf (§5.2). ``tenant_id`` is the partner."""

    __tablename__ = "partner_association_settings"

    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.account_id"), primary_key=True)
    referral_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    commitment_accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time the commitment letter was accepted (UTC); NULL until the first request."""
    commitment_accepted_by: Mapped[str | None] = mapped_column(String(32), nullable=True)


class OnBehalfGrant(TenantOwned, Base):
    """A distributor's permission for one reseller to order and operate on its customers' behalf
    (rules.md §1.14). ``tenant_id`` is the distributor."""

    __tablename__ = "on_behalf_grants"

    reseller_id: Mapped[str] = mapped_column(ForeignKey("partners.account_id"), primary_key=True)
    granted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time of the last change (UTC)."""


class CustomerManagerAssignment(TenantOwned, Base):
    """One period during which a partner member is a customer's account manager.

    Attribution of the customer's spend and revenue starts the day after assignment (rules.md
    §8.5): ``effective_from`` is the next 00:00 in the billing time zone; ``effective_to`` is set
    the same way when the manager is replaced or withdrawn. ``tenant_id`` is the partner owning
    the customer. The member's name is copied so the history still reads after a rename.
    """

    __tablename__ = "customer_manager_assignments"
    __table_args__ = (
        Index("ix_customer_manager_assignments_customer", "customer_id", "assigned_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(32), index=True)
    member_name: Mapped[str] = mapped_column(String(64))
    assigned_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """Member who assigned it (NULL when an invitation assigned it)."""
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time of the assignment (UTC)."""
    effective_from: Mapped[datetime] = mapped_column(UtcDateTime())
    """Attribution starts here: 00:00 of the next day in the billing time zone, as UTC."""
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time the manager was replaced or withdrawn (UTC); NULL while current."""
    effective_to: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Attribution ends here (exclusive): 00:00 after ``ended_at`` in the billing zone, UTC."""


class Prospect(TenantOwned, Base):
    """A partner's pre-registration of a prospect (rules.md §2.1.1–2.1.4), by e-mail address.
    ``tenant_id`` is the partner. Rows are never deleted: a lapsed reservation is history."""

    __tablename__ = "prospects"
    __table_args__ = (Index("ix_prospects_email", "email", "expires_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str] = mapped_column(String(255))
    """Lower-case e-mail address of the prospect."""
    name: Mapped[str] = mapped_column(String(128))
    customer_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The existing account with that address, if any, when pre-registered."""
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    """An account registered more than 7 days earlier: manual review, no reservation (§2.1.4)."""
    created_by: Mapped[str] = mapped_column(String(64))
    reserved_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time of the pre-registration (UTC)."""
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time the reservation lapses (UTC, exclusive)."""
    review_result: Mapped[str | None] = mapped_column(String(16), nullable=True)
    """The operator's decision on a row that needed review: APPROVED or REJECTED; None while
    pending (and for rows that never needed review)."""
    review_opinion: Mapped[str | None] = mapped_column(String(512), nullable=True)
    """The operator's reason, required to reject."""
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time of the review (UTC). An approval reserves from then on."""
