"""Real-name authentication (api-semantics.md §3.12): a partner submits its customer's identity
(an individual's ID document, an enterprise's certificate, or the change of a verified
individual into an enterprise); the operator reviews each submission, approving it with a
verification date or rejecting it with a reason; the partner reads the review result, the
customer its own status and a face-verification QR code.

What an unverified customer may not do: buy cloud services in the Chinese mainland (the
``cn-*`` regions; the orders domain asks ``ensure_may_buy_in`` before it charges), or be an
enterprise master (the enterprises domain asks ``is_verified_enterprise``).

States of a customer (``verified_status``): −1 never submitted, 0 in review, 1 rejected,
2 verified. A customer's state is its newest submission's, except that a change to enterprise
that is in review or rejected leaves the customer verified as the individual it was.

Rules: one submission in review at a time, none once verified (``CBC.99007188``; a verified
individual changes to enterprise with the change operation); at most ``MAX_ATTEMPTS_PER_DAY``
submissions per customer in 24 hours of business time (``CBC.99007191``). Every submission
goes to manual review (``is_review`` 1): nothing here can check a document automatically.

Identity numbers (the document's, the legal person's) are encrypted with the deployment's
cipher before they reach the session and are never logged, returned or put in an error message.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.customers.public import CustomerRecord, CustomerRecords, PartnerActor
from partner_center.domains.identity.public import (
    Permission,
    SecretCipher,
    hash_token,
    sees_only_own_customers,
)
from partner_center.domains.realname.errors import RealnameErrorCode
from partner_center.domains.realname.models import (
    FaceVerificationCode,
    IdentifyType,
    RealnameSubmission,
    ReviewResult,
)
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import DomainError, access_denied, invalid_parameter
from partner_center.kernel.ids import new_id

MAX_ATTEMPTS_PER_DAY = 5
QR_CODE_LIFETIME = timedelta(minutes=10)
#: Where a face-verification QR code points (its ``token`` in the query string, which the
#: request log leaves out).
FACE_PATH = "/v1/partner-center/realname/face"
#: ``verified_type`` of an individual's document: 3 passport, 5 Hong Kong/Macao travel
#: permit, 6 Taiwan travel permit, 9 Hong Kong/Macao residence permit, 10 Taiwan residence
#: permit; and how many attachments each takes (data page + holding photo for a passport,
#: front + back + holding photo for a permit; a China-site passport adds the entry stamp).
PERSONAL_DOCUMENTS = {3: 2, 5: 3, 6: 3, 9: 3, 10: 3}
#: ``certificate_type`` of an enterprise: 0 business licence, 1 public institution,
#: 2 social organisation, 3 administrative enforcement, 4 organisation code, 99 other.
ENTERPRISE_CERTIFICATES = frozenset({0, 1, 2, 3, 4, 99})
#: Company document front and back, then the legal person's ID portrait and emblem sides.
MAX_ENTERPRISE_FILES = 4
ATTACHMENT_TYPES = frozenset({"jpg", "jpeg", "bmp", "png", "gif", "pdf"})
FIRST_AUTHENTICATION = -1
INDIVIDUAL_TO_ENTERPRISE = 1
LEGAL_PERSON = "legalPerson"
_NUMBER = re.compile(r"[A-Za-z0-9()\-]{1,64}")
_OBJECT_KEY = re.compile(r"[A-Za-z0-9._\-/]{1,255}")
_COUNTRY = re.compile(r"[A-Z]{2}")


def is_mainland_region(region_code: str | None) -> bool:
    """Huawei Cloud's Chinese-mainland regions are the ``cn-*`` ones (Hong Kong is
    ``ap-southeast-1``)."""
    return bool(region_code) and str(region_code).startswith("cn-")


@dataclass(frozen=True, slots=True)
class PersonalIdentity:
    customer_id: str
    identify_type: int
    verified_type: int | None
    files: tuple[str, ...]
    name: str
    verified_number: str
    change_type: int | None
    xaccount_type: str


@dataclass(frozen=True, slots=True)
class LegalPerson:
    name: str
    id_number: str
    certifier_role: str | None = None


@dataclass(frozen=True, slots=True)
class EnterpriseIdentity:
    customer_id: str
    identify_type: int
    certificate_type: int | None
    files: tuple[str, ...]
    corp_name: str
    verified_number: str
    reg_country: str | None
    reg_address: str | None
    xaccount_type: str
    change_type: int | None = None
    legal_person: LegalPerson | None = None


@dataclass(frozen=True, slots=True)
class ReviewView:
    """A customer's newest submission as the partner reads it (no identity number)."""

    submission_id: str
    review_result: ReviewResult
    opinion: str | None
    identify_type: IdentifyType
    name: str
    verified_on: date | None
    submitted_at: datetime
    reviewed_at: datetime | None


@dataclass(frozen=True, slots=True)
class RealnameStatus:
    """``verified_status`` −1/0/1/2 and ``verified_type`` 0/1 (None before any submission)."""

    verified_status: int
    verified_type: int | None

    @property
    def verified(self) -> bool:
        return self.verified_status == ReviewResult.APPROVED


UNVERIFIED = RealnameStatus(verified_status=-1, verified_type=None)


def _text(value: str | None, field: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text or len(text) > max_length:
        raise invalid_parameter(field, f"Required, at most {max_length} characters.")
    return text


def _number(value: str | None, field: str) -> str:
    if not value or not _NUMBER.fullmatch(value):
        raise invalid_parameter(field, "Use 1 to 64 letters, digits, '-' or parentheses.")
    return value


def _files(files: tuple[str, ...], *, least: int, most: int) -> tuple[str, ...]:
    """Object keys relative to the partner's bucket (``download/`` prefix implied)."""
    if not least <= len(files) <= most:
        count = str(least) if least == most else f"{least} to {most}"
        raise invalid_parameter("verified_file_url", f"Give {count} attachments, in order.")
    for key in files:
        if not _OBJECT_KEY.fullmatch(key) or key.startswith("/") or ".." in key.split("/"):
            raise invalid_parameter(
                "verified_file_url", "Give object keys relative to the bucket, like test/a.jpg."
            )
        extension = key.rsplit(".", 1)[-1] if "." in key else ""
        if extension.lower() not in ATTACHMENT_TYPES:
            raise DomainError(
                RealnameErrorCode.BAD_ATTACHMENT,
                "The attachment format is not accepted: use jpg, jpeg, bmp, png, gif or pdf.",
            )
    return files


class RealnameService:
    """Submissions, reviews and status; flushes only."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        wall: Clock,
        zone: ZoneInfo,
        cipher: SecretCipher,
        customer_records: CustomerRecords,
        site: str,
        public_url: str,
    ) -> None:
        self.session = session
        self.clock = clock
        self.wall = wall
        self.zone = zone
        self.cipher = cipher
        self.customer_records = customer_records
        self.site = site
        self.public_url = public_url.rstrip("/")

    # -- scope --------------------------------------------------------------------------

    async def _customer_of(
        self, actor: PartnerActor, customer_id: str | None, *, lock: bool = True
    ) -> CustomerRecord:
        """The partner's associated customer (a distributor's reseller's too; an account
        manager's own customers only), locked unless only read: every submission and review
        of one customer queues behind the one before."""
        if not actor.caller.has(Permission.LIST_CUSTOMERS):
            raise access_denied("The member lacks the permission to manage customers.")
        if not customer_id or len(customer_id) > 64:
            raise invalid_parameter("customer_id", "Required, at most 64 characters.")
        records = self.customer_records
        customer = await (records.lock(customer_id) if lock else records.get(customer_id))
        caller = actor.caller
        if (
            customer is None
            or not customer.associated
            or actor.partner_id not in (customer.tenant_id, customer.distributor_id)
            or (
                caller.member_id is not None
                and sees_only_own_customers(list(caller.roles), is_admin=caller.is_admin)
                and customer.account_manager_id != caller.member_id
            )
        ):
            raise DomainError(
                RealnameErrorCode.NOT_YOUR_CUSTOMER,
                f"The customer {customer_id} is not your customer.",
            )
        return customer

    @staticmethod
    def _check_platform(xaccount_type: str, platform: str) -> None:
        if xaccount_type != platform:
            raise invalid_parameter(
                "xaccount_type", "Use the platform identifier issued to your partner account."
            )

    async def _submissions(self, customer_id: str) -> list[RealnameSubmission]:
        stmt = (
            select(RealnameSubmission)
            .where(RealnameSubmission.customer_id == customer_id)
            .order_by(RealnameSubmission.submitted_at.desc(), RealnameSubmission.id.desc())
        )
        return list((await self.session.execute(stmt)).scalars().all())

    async def _check_may_submit(self, customer_id: str, *, change: bool) -> None:
        history = await self._submissions(customer_id)
        if history and history[0].review_result == ReviewResult.IN_REVIEW:
            raise DomainError(
                RealnameErrorCode.ALREADY_SUBMITTED,
                "The customer's real-name authentication is under review.",
            )
        status = self._status(history)
        if change:
            if not status.verified or status.verified_type != IdentifyType.INDIVIDUAL:
                raise DomainError(
                    RealnameErrorCode.BUSINESS_CHECK_FAILED,
                    "Only a customer verified as an individual can change to an enterprise.",
                )
        elif status.verified:
            raise DomainError(
                RealnameErrorCode.ALREADY_SUBMITTED,
                "The customer has already completed real-name authentication.",
            )
        since = self.clock.now() - timedelta(days=1)
        recent = sum(1 for s in history if s.submitted_at > since)
        if recent >= MAX_ATTEMPTS_PER_DAY:
            raise DomainError(
                RealnameErrorCode.TOO_MANY_ATTEMPTS,
                f"At most {MAX_ATTEMPTS_PER_DAY} real-name submissions a day; try again later.",
            )

    # -- submissions --------------------------------------------------------------------

    async def submit_individual(self, actor: PartnerActor, req: PersonalIdentity) -> int:
        """Submit an individual's ID document; returns ``is_review`` (always 1)."""
        if req.identify_type == 4:
            raise DomainError(
                RealnameErrorCode.BUSINESS_CHECK_FAILED,
                "Bank-card authentication (identify_type 4) is not offered; submit an ID "
                "document (identify_type 0).",
            )
        if req.identify_type != 0:
            raise invalid_parameter("identify_type", "Use 0 (ID document).")
        if req.verified_type not in PERSONAL_DOCUMENTS:
            raise invalid_parameter("verified_type", "Use 3, 5, 6, 9 or 10.")
        if req.change_type not in (None, FIRST_AUTHENTICATION):
            raise invalid_parameter("change_type", "Use -1 (first authentication).")
        wanted = PERSONAL_DOCUMENTS[req.verified_type]
        if req.verified_type == 3 and self.site == "cn":
            wanted = 3  # data page, entry stamp, holding photo
        files = _files(req.files, least=wanted, most=wanted)
        name = _text(req.name, "name", 255)
        number = _number(req.verified_number, "verified_number")
        self._check_platform(req.xaccount_type, actor.partner.xaccount_type)
        customer = await self._customer_of(actor, req.customer_id)
        await self._check_may_submit(customer.account_id, change=False)
        await self._store(
            actor.partner_id,
            customer.account_id,
            IdentifyType.INDIVIDUAL,
            document_type=req.verified_type,
            name=name,
            number=number,
            files=files,
            change_type=req.change_type,
        )
        return 1

    async def submit_enterprise(
        self, actor: PartnerActor, req: EnterpriseIdentity, *, change: bool
    ) -> int:
        """Submit an enterprise's certificate, first (``change`` False) or as the change of a
        verified individual (``change_type`` 1); returns ``is_review`` (always 1)."""
        if req.identify_type != IdentifyType.ENTERPRISE:
            raise invalid_parameter("identify_type", "Use 1 (enterprise).")
        certificate = 0 if req.certificate_type is None else req.certificate_type
        if certificate not in ENTERPRISE_CERTIFICATES:
            raise invalid_parameter("certificate_type", "Use 0, 1, 2, 3, 4 or 99.")
        if change and req.change_type != INDIVIDUAL_TO_ENTERPRISE:
            raise invalid_parameter("change_type", "Use 1 (individual to enterprise).")
        if not change and req.change_type not in (None, FIRST_AUTHENTICATION):
            raise invalid_parameter("change_type", "Use -1 (first authentication).")
        files = _files(req.files, least=1, most=MAX_ENTERPRISE_FILES)
        corp_name = _text(req.corp_name, "corp_name", 255)
        if not any(c.isalpha() for c in corp_name):
            raise invalid_parameter(
                "corp_name", "Cannot be only digits, special characters or spaces."
            )
        number = _number(req.verified_number, "verified_number")
        if req.reg_country is not None and not _COUNTRY.fullmatch(req.reg_country):
            raise invalid_parameter("reg_country", "Use an ISO 3166 alpha-2 code, like DE.")
        address = None if req.reg_address is None else _text(req.reg_address, "reg_address", 512)
        person = req.legal_person
        if person is not None:
            _text(person.name, "legel_name", 255)
            _number(person.id_number, "legel_id_number")
            if person.certifier_role not in (None, LEGAL_PERSON):
                raise invalid_parameter("certifier_role", f"Use {LEGAL_PERSON!r}.")
        self._check_platform(req.xaccount_type, actor.partner.xaccount_type)
        customer = await self._customer_of(actor, req.customer_id)
        await self._check_may_submit(customer.account_id, change=change)
        await self._store(
            actor.partner_id,
            customer.account_id,
            IdentifyType.ENTERPRISE,
            document_type=certificate,
            name=corp_name,
            number=number,
            files=files,
            change_type=req.change_type,
            reg_country=req.reg_country,
            reg_address=address,
            legal_person=person,
        )
        return 1

    async def _store(
        self,
        partner_id: str,
        customer_id: str,
        identify_type: IdentifyType,
        *,
        document_type: int,
        name: str,
        number: str,
        files: tuple[str, ...],
        change_type: int | None,
        reg_country: str | None = None,
        reg_address: str | None = None,
        legal_person: LegalPerson | None = None,
    ) -> None:
        self.session.add(
            RealnameSubmission(
                id=new_id(),
                tenant_id=partner_id,
                customer_id=customer_id,
                identify_type=int(identify_type),
                document_type=document_type,
                name=name,
                number_cipher=self.cipher.encrypt(number),
                legal_name=legal_person.name.strip() if legal_person else None,
                legal_number_cipher=(
                    self.cipher.encrypt(legal_person.id_number) if legal_person else None
                ),
                certifier_role=legal_person.certifier_role if legal_person else None,
                files=list(files),
                reg_country=reg_country,
                reg_address=reg_address,
                change_type=change_type,
                review_result=int(ReviewResult.IN_REVIEW),
                submitted_at=self.clock.now(),
            )
        )
        await self.session.flush()
        await self._publish(customer_id)

    async def _publish(self, customer_id: str) -> None:
        """Copy the customer's state onto its customer row (what the customer lists show)."""
        history = await self._submissions(customer_id)
        status = self._status(history)
        approved = next((s for s in history if s.review_result == ReviewResult.APPROVED), None)
        await self.customer_records.record_real_name(
            customer_id,
            verified_status=str(status.verified_status),
            customer_type=-1 if status.verified_type is None else status.verified_type,
            name=approved.name if approved is not None else None,
        )

    # -- review -------------------------------------------------------------------------

    async def review(
        self,
        operator_id: str,
        customer_id: str,
        *,
        approve: bool,
        opinion: str | None,
        verified_on: date | None,
    ) -> ReviewView:
        """Approve (with the verification date: not in the future) or reject (with a reason)
        the customer's submission in review.

        Raises:
            DomainError: ``CBC.0100`` no date / no reason / a future date; ``CBC.70600026``
                nothing in review.
        """
        customer = await self.customer_records.lock(customer_id)
        history = await self._submissions(customer_id) if customer is not None else []
        if not history or history[0].review_result != ReviewResult.IN_REVIEW:
            raise DomainError(
                RealnameErrorCode.NOT_REVIEWABLE,
                f"The customer {customer_id} has no real-name submission in review.",
            )
        row = history[0]
        if approve:
            if verified_on is None:
                raise invalid_parameter("verified_on", "Required to approve.")
            today = self.clock.now().astimezone(self.zone).date()
            if verified_on > today:
                raise invalid_parameter("verified_on", "Cannot be in the future.")
            row.review_result = int(ReviewResult.APPROVED)
            row.verified_on = verified_on
            row.opinion = None if opinion is None else _text(opinion, "opinion", 512)
        else:
            row.review_result = int(ReviewResult.REJECTED)
            row.opinion = _text(opinion, "opinion", 512)
        row.reviewed_by = operator_id
        row.reviewed_at = self.clock.now()
        await self.session.flush()
        await self._publish(customer_id)
        return self._review_view(row)

    # -- reading ------------------------------------------------------------------------

    async def review_result(
        self, actor: PartnerActor, customer_id: str | None
    ) -> ReviewView | None:
        """The customer's newest submission, or None before any."""
        customer = await self._customer_of(actor, customer_id, lock=False)
        history = await self._submissions(customer.account_id)
        return self._review_view(history[0]) if history else None

    async def status(self, customer_id: str) -> RealnameStatus:
        return self._status(await self._submissions(customer_id))

    async def ensure_may_buy_in(self, customer_id: str, regions: set[str]) -> None:
        """Cloud services in the Chinese mainland are sold only to customers with real-name
        authentication (any other region needs none): ``CBC.99007004`` otherwise."""
        mainland = sorted(r for r in regions if is_mainland_region(r))
        if mainland and not (await self.status(customer_id)).verified:
            raise DomainError(
                RealnameErrorCode.BUSINESS_CHECK_FAILED,
                "Real-name authentication is required to buy cloud services in the Chinese "
                f"mainland ({', '.join(mainland)}); complete it first.",
            )

    async def is_verified_enterprise(self, customer_id: str) -> bool:
        status = await self.status(customer_id)
        return status.verified and status.verified_type == IdentifyType.ENTERPRISE

    async def face_verification_url(self, customer_id: str) -> str:
        """A new single-use face-verification URL for the customer, void after 10 minutes."""
        if (await self.status(customer_id)).verified:
            raise DomainError(
                RealnameErrorCode.ALREADY_SUBMITTED,
                "The account has already completed real-name authentication.",
            )
        token = secrets.token_urlsafe(32)
        now = self.wall.now()
        self.session.add(
            FaceVerificationCode(
                id=new_id(),
                tenant_id=customer_id,
                token_hash=hash_token(token),
                created_at=now,
                expires_at=now + QR_CODE_LIFETIME,
            )
        )
        await self.session.flush()
        return f"{self.public_url}{FACE_PATH}?token={token}"

    async def scan_face_code(self, token: str | None) -> None:
        """Use a face-verification code (the QR code was scanned): once, within 10 minutes.
        partner-center has no face recognition, so a scan records the use and changes no
        state; a used, expired or unknown code is ``CBC.0100``."""
        stmt = (
            select(FaceVerificationCode)
            .where(FaceVerificationCode.token_hash == hash_token(token or ""))
            .with_for_update()
        )
        row = (await self.session.execute(stmt)).scalar_one_or_none()
        now = self.wall.now()
        if row is None or row.used_at is not None or row.expires_at <= now:
            raise invalid_parameter("token", "The QR code is unknown, already used or expired.")
        row.used_at = now
        await self.session.flush()

    async def open_face_codes(self, customer_id: str) -> int:
        """How many of the customer's face-verification codes are still usable."""
        stmt = select(func.count()).where(
            FaceVerificationCode.tenant_id == customer_id,
            FaceVerificationCode.used_at.is_(None),
            FaceVerificationCode.expires_at > self.wall.now(),
        )
        return int((await self.session.execute(stmt)).scalar_one())

    @staticmethod
    def _status(history: list[RealnameSubmission]) -> RealnameStatus:
        if not history:
            return UNVERIFIED
        latest = history[0]
        approved = next((s for s in history if s.review_result == ReviewResult.APPROVED), None)
        changing = latest.change_type == INDIVIDUAL_TO_ENTERPRISE and latest is not approved
        if changing and approved is not None:  # a change in review or rejected: still verified
            return RealnameStatus(int(ReviewResult.APPROVED), approved.identify_type)
        return RealnameStatus(latest.review_result, latest.identify_type)

    @staticmethod
    def _review_view(row: RealnameSubmission) -> ReviewView:
        return ReviewView(
            submission_id=row.id,
            review_result=ReviewResult(row.review_result),
            opinion=row.opinion,
            identify_type=IdentifyType(row.identify_type),
            name=row.name,
            verified_on=row.verified_on,
            submitted_at=row.submitted_at,
            reviewed_at=row.reviewed_at,
        )
