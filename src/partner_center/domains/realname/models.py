"""Real-name authentication: the identity a customer submits (through its partner), the
operator's review, and the single-use face-verification QR codes (api-semantics.md §3.12)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from partner_center.kernel.db import Base, TenantOwned, UtcDateTime


class ReviewResult(enum.IntEnum):
    """The reference's ``review_result``."""

    IN_REVIEW = 0
    REJECTED = 1
    APPROVED = 2


class IdentifyType(enum.IntEnum):
    INDIVIDUAL = 0
    ENTERPRISE = 1


class RealnameSubmission(TenantOwned, Base):
    """One submission of a customer's identity. ``tenant_id`` is the partner that submitted it
    for its customer. Submissions are kept (a rejected one stays next to the next attempt); the
    customer's state is its newest submission's. Identity numbers are personal data: only their
    Fernet ciphertext is stored, and they appear in no log, view or response."""

    __tablename__ = "realname_submissions"
    __table_args__ = (Index("ix_realname_submissions_customer", "customer_id", "submitted_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(32))
    identify_type: Mapped[int] = mapped_column(Integer)
    """0 individual, 1 enterprise (``IdentifyType``)."""
    document_type: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """``verified_type`` of an individual, ``certificate_type`` of an enterprise."""
    name: Mapped[str] = mapped_column(String(255))
    """The person's or the enterprise's name as submitted (shown once approved)."""
    number_cipher: Mapped[str] = mapped_column(Text)
    """The document number, encrypted with the deployment's secret key (never in clear)."""
    legal_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    legal_number_cipher: Mapped[str | None] = mapped_column(Text, nullable=True)
    """The legal person's ID number, encrypted; NULL when none was given."""
    certifier_role: Mapped[str | None] = mapped_column(String(32), nullable=True)
    files: Mapped[list[Any]] = mapped_column(JSON, default=list)
    """Object keys of the attachments in the partner's bucket, in the reference's order."""
    reg_country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    reg_address: Mapped[str | None] = mapped_column(String(512), nullable=True)
    change_type: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """−1 first authentication, 1 individual → enterprise change; NULL when not given."""
    review_result: Mapped[int] = mapped_column(Integer, default=ReviewResult.IN_REVIEW)
    """A ``ReviewResult``."""
    opinion: Mapped[str | None] = mapped_column(String(512), nullable=True)
    """The operator's reason for a rejection."""
    verified_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    """The date the operator recorded as the verification date (approved submissions)."""
    reviewed_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Business time of the submission (UTC)."""
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    """Business time of the review (UTC); NULL while in review."""


class FaceVerificationCode(TenantOwned, Base):
    """A single-use face-verification QR code of a customer (``tenant_id``). Only a hash of the
    token in its URL is kept."""

    __tablename__ = "realname_qr_codes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Wall-clock time issued (UTC)."""
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """Wall-clock time it becomes void unless scanned (UTC): 10 minutes after issue."""
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
