"""Inviting customers by e-mail link, offline link or QR code, and a customer accepting one
(rules.md §2.1–2.3)."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import segno
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.associations import errors
from partner_center.domains.associations.errors import FailureReason
from partner_center.domains.associations.hooks import AssociationEvent
from partner_center.domains.associations.models import (
    Invitation,
    InvitationChannel,
    InvitationRecord,
    InvitationStatus,
)
from partner_center.domains.associations.service.common import (
    AssociationCollaborators,
    ServiceBase,
)
from partner_center.domains.associations.service.managers import AccountManagerService
from partner_center.domains.associations.service.prospects import ProspectService
from partner_center.domains.customers.public import (
    AssociationType,
    PartnerActor,
    check_email,
)
from partner_center.domains.identity.public import (
    AccountKind,
    Caller,
    Permission,
    hash_token,
)
from partner_center.domains.notifications.public import Channel
from partner_center.domains.partners.public import PartnerStatus, PartnerView
from partner_center.kernel.errors import DomainError, access_denied, invalid_parameter
from partner_center.kernel.ids import new_id
from partner_center.kernel.jobs import schedule
from partner_center.kernel.pagination import Page, paginate, paginate_rows

#: E-mail invitation links work this long (rules.md §2.1.6); offline links and QR codes forever.
EMAIL_LINK_VALIDITY = timedelta(days=7)
MAX_EMAILS_PER_BATCH = 50
#: The path of invitation links under the public URL; the token is its last segment.
LINK_PATH = "/v1/partner-center/invitation-links/"
#: One-off job that marks an e-mail invitation EXPIRED when its link stops working.
EXPIRE_JOB = "associations.expire_invitation"
#: Pixels per QR module in the PNG (a 33-module code with its quiet zone is ~320 px).
QR_SCALE = 8


@dataclass(frozen=True, slots=True)
class IssuedInvitation:
    invitation_id: str
    channel: InvitationChannel
    association_type: AssociationType
    link: str
    """The only time the link is shown: the database keeps just its hash."""
    expires_at: datetime | None
    invitee_email: str | None = None
    record_id: str | None = None
    qr_png: bytes | None = None


@dataclass(frozen=True, slots=True)
class InvitationRecordView:
    record_id: str
    invitation_id: str
    channel: InvitationChannel
    association_type: AssociationType
    invitee_email: str | None
    customer_id: str | None
    status: InvitationStatus
    failure_reason: FailureReason | None
    created_by: str | None
    created_by_name: str | None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class InvitationView:
    """An invitation link (not its invitees)."""

    invitation_id: str
    channel: InvitationChannel
    association_type: AssociationType
    created_by_name: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class LinkDetails:
    """What the landing page of a link shows before the customer signs in."""

    partner_name: str
    association_type: AssociationType
    channel: InvitationChannel
    expires_at: datetime | None
    usable: bool
    failure_reason: FailureReason | None


@dataclass(frozen=True, slots=True)
class AcceptedInvitation:
    customer_id: str
    partner_id: str
    partner_name: str
    association_type: AssociationType
    associated_on: datetime
    account_manager_id: str | None
    restricted: bool


def _token_of(link_or_token: str) -> str:
    """The token of a link (``…/invitation-links/<token>``) or the token itself."""
    value = link_or_token.strip()
    if "/" in value:
        path = urlsplit(value).path
        if LINK_PATH not in path:
            raise invalid_parameter("link", "Not an invitation link.")
        value = path.rsplit("/", 1)[-1]
    if not value or len(value) > 128:
        raise invalid_parameter("token", "Not an invitation token.")
    return value


def qr_png(link: str) -> bytes:
    """The link as a QR code PNG."""
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=QR_SCALE, border=4)
    return buffer.getvalue()


class InvitationService(ServiceBase):
    """Invitations of one partner (tenant) and their acceptance by customers."""

    def __init__(
        self,
        session: AsyncSession,
        shared: AssociationCollaborators,
        *,
        account_managers: AccountManagerService,
        prospects: ProspectService,
    ) -> None:
        super().__init__(session, shared)
        self.account_managers = account_managers
        self.prospects = prospects

    # -- making invitations ----------------------------------------------------------------

    def link_for(self, token: str) -> str:
        return self.policy.public_url.rstrip("/") + LINK_PATH + token

    async def _check_may_invite(
        self, actor: PartnerActor, association_type: AssociationType
    ) -> None:
        if not actor.caller.has(Permission.CREATE_CUSTOMER):
            raise access_denied("Access denied: the member may not develop customers.")
        reason = await self._partner_blocker(actor.partner, association_type)
        if reason is not None:
            raise reason.error()

    async def _partner_blocker(
        self, partner: PartnerView, association_type: AssociationType
    ) -> FailureReason | None:
        """Why this partner cannot gain customers of this type now, if it cannot."""
        if partner.status == PartnerStatus.EXITED:
            return FailureReason.PARTNER_EXITED
        if partner.status == PartnerStatus.RESTRICTED:
            return FailureReason.PARTNER_RESTRICTED
        if partner.distributor_id is not None:
            distributor = await self.partners.get(partner.distributor_id)
            if distributor is None or distributor.status == PartnerStatus.EXITED:
                return FailureReason.PARTNER_EXITED
            if distributor.status == PartnerStatus.RESTRICTED:
                return FailureReason.DISTRIBUTOR_RESTRICTED
        if association_type == AssociationType.REFERRAL and not await self.referral_enabled(
            partner.partner_id
        ):
            return FailureReason.MODEL_NOT_ALLOWED
        return None

    def _new_invitation(
        self,
        actor: PartnerActor,
        channel: InvitationChannel,
        association_type: AssociationType,
        expires_at: datetime | None,
    ) -> tuple[Invitation, str]:
        token = secrets.token_urlsafe(32)
        invitation = Invitation(
            id=new_id(),
            tenant_id=actor.partner_id,
            channel=channel,
            token_hash=hash_token(token),
            association_type=association_type,
            created_by=actor.caller.member_id,
            created_by_name=actor.caller.member_name or actor.partner.name,
            account_manager_id=actor.caller.member_id if self.is_account_manager(actor) else None,
            created_at=self.clock.now(),
            expires_at=expires_at,
        )
        self.session.add(invitation)
        return invitation, token

    async def invite_by_email(
        self,
        actor: PartnerActor,
        emails: list[str],
        association_type: AssociationType = AssociationType.RESELLER,
    ) -> list[IssuedInvitation]:
        """E-mail each address its own link, valid 7 days (rules.md §2.1.5–2.1.6)."""
        if not emails or len(emails) > MAX_EMAILS_PER_BATCH:
            raise invalid_parameter("emails", f"Give 1 to {MAX_EMAILS_PER_BATCH} addresses.")
        addresses = []
        for index, email in enumerate(emails):
            check_email(email, f"emails[{index}]")
            addresses.append(email.strip().lower())
        if len(set(addresses)) != len(addresses):
            raise invalid_parameter("emails", "An address appears twice.")
        await self._check_may_invite(actor, association_type)
        now = self.clock.now()
        expires = now + EMAIL_LINK_VALIDITY
        partner_name = actor.partner.company_name
        issued = []
        for address in addresses:
            invitation, token = self._new_invitation(
                actor, InvitationChannel.EMAIL, association_type, expires
            )
            record = InvitationRecord(
                id=new_id(),
                tenant_id=actor.partner_id,
                invitation_id=invitation.id,
                invitee_email=address,
                status=InvitationStatus.PENDING,
                created_at=now,
                updated_at=now,
            )
            self.session.add(record)
            await self.session.flush()
            link = self.link_for(token)
            await self.notifications.queue(
                tenant_id=actor.partner_id,
                channel=Channel.EMAIL,
                recipient=address,
                subject=f"{partner_name} invites you to become its customer",
                body=(
                    f"{partner_name} invites you to associate your cloud account with it "
                    f"({_model_words(association_type)}).\n\n"
                    f"Open this link and sign in with your account to accept: {link}\n\n"
                    f"The link works once and expires in {EMAIL_LINK_VALIDITY.days} days."
                ),
            )
            await schedule(
                self.session,
                name=EXPIRE_JOB,
                due_at=expires,
                payload={"invitation_id": invitation.id},
                dedupe_key=f"{EXPIRE_JOB}:{invitation.id}",
                tenant_id=actor.partner_id,
            )
            issued.append(
                IssuedInvitation(
                    invitation_id=invitation.id,
                    channel=InvitationChannel.EMAIL,
                    association_type=association_type,
                    link=link,
                    expires_at=expires,
                    invitee_email=address,
                    record_id=record.id,
                )
            )
        return issued

    async def create_link(
        self,
        actor: PartnerActor,
        channel: InvitationChannel,
        association_type: AssociationType = AssociationType.RESELLER,
    ) -> IssuedInvitation:
        """An offline link or QR code: no expiry, any number of customers (rules.md §2.1.7),
        tagged with the member who made it (§2.1.8)."""
        if channel == InvitationChannel.EMAIL:
            raise invalid_parameter("channel", "E-mail invitations need the invitees' addresses.")
        await self._check_may_invite(actor, association_type)
        invitation, token = self._new_invitation(actor, channel, association_type, None)
        await self.session.flush()
        link = self.link_for(token)
        return IssuedInvitation(
            invitation_id=invitation.id,
            channel=channel,
            association_type=association_type,
            link=link,
            expires_at=None,
            qr_png=qr_png(link) if channel == InvitationChannel.QR_CODE else None,
        )

    async def qr_code(self, actor: PartnerActor, link: str) -> bytes:
        """The QR code of one of the partner's links again (only its hash is stored, so the
        partner brings the link)."""
        invitation = await self._by_token(_token_of(link))
        if invitation is None or invitation.tenant_id != actor.partner_id:
            raise errors.no_such("invitation link", "link")
        if not self.sees_all_customers(actor) and invitation.created_by != actor.caller.member_id:
            raise errors.no_such("invitation link", "link")
        return qr_png(link.strip())

    async def revoke(self, actor: PartnerActor, invitation_id: str) -> InvitationView:
        """Withdraw a link: it stops working; invitees still waiting are told it no longer
        exists. The administrator or the member who made it may do this."""
        invitation = await self.session.get(Invitation, invitation_id, with_for_update=True)
        if invitation is None or invitation.tenant_id != actor.partner_id:
            raise errors.no_such("invitation", "invitation_id")
        if not actor.caller.is_admin and invitation.created_by != actor.caller.member_id:
            raise access_denied("Access denied: only the administrator or its maker may do this.")
        if invitation.revoked_at is None:
            now = self.clock.now()
            invitation.revoked_at = now
            pending = await self.session.execute(
                select(InvitationRecord).where(
                    InvitationRecord.invitation_id == invitation.id,
                    InvitationRecord.status == InvitationStatus.PENDING,
                )
            )
            for record in pending.scalars():
                record.status = InvitationStatus.FAILED
                record.failure_reason = FailureReason.LINK_NOT_EXIST.value
                record.updated_at = now
            await self.session.flush()
        return _invitation_view(invitation)

    # -- history ---------------------------------------------------------------------------

    async def history(
        self,
        actor: PartnerActor,
        page: Page,
        *,
        status: InvitationStatus | None = None,
        channel: InvitationChannel | None = None,
    ) -> tuple[list[InvitationRecordView], int]:
        """The partner's invitees, newest first (rules.md §2.1.11). An account manager holding
        no other role sees the invitations it made."""
        if not (
            actor.caller.has(Permission.CREATE_CUSTOMER)
            or actor.caller.has(Permission.LIST_CUSTOMERS)
        ):
            raise access_denied("Access denied: the member may not view invitations.")
        now = self.clock.now()
        stmt: Select[InvitationRecord, Invitation] = (
            select(InvitationRecord, Invitation)
            .join(Invitation, Invitation.id == InvitationRecord.invitation_id)
            .where(InvitationRecord.tenant_id == actor.partner_id)
        )
        if not self.sees_all_customers(actor):
            stmt = stmt.where(Invitation.created_by == actor.caller.member_id)
        if channel is not None:
            stmt = stmt.where(Invitation.channel == channel)
        if status is not None:
            # A pending e-mail invitation whose link ran out reads as EXPIRED even before the
            # expiry job has run.
            lapsed = (InvitationRecord.status == InvitationStatus.PENDING) & (
                Invitation.expires_at <= now
            )
            if status == InvitationStatus.EXPIRED:
                stmt = stmt.where((InvitationRecord.status == status) | lapsed)
            elif status == InvitationStatus.PENDING:
                stmt = stmt.where(InvitationRecord.status == status).where(
                    Invitation.expires_at.is_(None) | (Invitation.expires_at > now)
                )
            else:
                stmt = stmt.where(InvitationRecord.status == status)
        rows, total = await paginate_rows(
            self.session, stmt, page, InvitationRecord.created_at.desc(), InvitationRecord.id.desc()
        )
        return [_record_view(r, i, now) for r, i in rows], int(total or 0)

    async def invitations(
        self, actor: PartnerActor, page: Page
    ) -> tuple[list[InvitationView], int]:
        """The partner's links (e-mail, offline, QR), newest first."""
        if not actor.caller.has(Permission.CREATE_CUSTOMER):
            raise access_denied("Access denied: the member may not view invitations.")
        stmt: Select[Invitation] = select(Invitation).where(
            Invitation.tenant_id == actor.partner_id
        )
        if not self.sees_all_customers(actor):
            stmt = stmt.where(Invitation.created_by == actor.caller.member_id)
        rows, total = await paginate(
            self.session, stmt, page, Invitation.created_at.desc(), Invitation.id.desc()
        )
        return [_invitation_view(i) for i in rows], int(total or 0)

    # -- the customer's side ---------------------------------------------------------------

    async def _by_token(self, token: str, *, lock: bool = False) -> Invitation | None:
        stmt = select(Invitation).where(Invitation.token_hash == hash_token(token))
        if lock:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def expire_link(self, invitation_id: str) -> None:
        """Mark the e-mail invitation's waiting invitees EXPIRED once the link has lapsed (the
        ``EXPIRE_JOB`` runs at the expiry time; reads show it EXPIRED before the job has run)."""
        invitation = await self.session.get(Invitation, invitation_id)
        if invitation is None or invitation.expires_at is None:
            return
        now = self.clock.now()
        if now < invitation.expires_at:
            return
        rows = await self.session.scalars(
            select(InvitationRecord)
            .where(
                InvitationRecord.invitation_id == invitation.id,
                InvitationRecord.status == InvitationStatus.PENDING,
            )
            .with_for_update()
        )
        for record in rows.all():
            record.status = InvitationStatus.EXPIRED
            record.failure_reason = FailureReason.LINK_EXPIRED.value
            record.updated_at = now
        await self.session.flush()

    async def describe(self, link_or_token: str) -> LinkDetails:
        """What a link offers, for whoever holds it (no sign-in needed)."""
        invitation = await self._by_token(_token_of(link_or_token))
        if invitation is None:
            raise FailureReason.LINK_NOT_EXIST.error()
        partner = await self.partners.get(invitation.tenant_id)
        assert partner is not None
        reason = self._link_problem(invitation, await self._email_record(invitation))
        if reason is None:
            reason = await self._partner_blocker(partner, invitation.association_type)
        return LinkDetails(
            partner_name=partner.company_name,
            association_type=invitation.association_type,
            channel=invitation.channel,
            expires_at=invitation.expires_at,
            usable=reason is None,
            failure_reason=reason,
        )

    async def _email_record(
        self, invitation: Invitation, *, lock: bool = False
    ) -> InvitationRecord | None:
        if invitation.channel != InvitationChannel.EMAIL:
            return None
        stmt = select(InvitationRecord).where(InvitationRecord.invitation_id == invitation.id)
        if lock:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalars().first()

    async def _accepted_records(
        self, invitation: Invitation, customer_id: str
    ) -> list[InvitationRecord]:
        stmt = select(InvitationRecord).where(
            InvitationRecord.invitation_id == invitation.id,
            InvitationRecord.customer_id == customer_id,
            InvitationRecord.status == InvitationStatus.ACCEPTED,
        )
        return list((await self.session.execute(stmt)).scalars())

    def _link_problem(
        self, invitation: Invitation, email_record: InvitationRecord | None
    ) -> FailureReason | None:
        if invitation.revoked_at is not None:
            return FailureReason.LINK_NOT_EXIST
        if email_record is not None and email_record.status == InvitationStatus.ACCEPTED:
            return FailureReason.LINK_USED
        if invitation.expires_at is not None and self.clock.now() >= invitation.expires_at:
            return FailureReason.LINK_EXPIRED
        return None

    async def accept(self, caller: Caller, link_or_token: str) -> AcceptedInvitation:
        """The signed-in account accepts an invitation and becomes the partner's customer,
        purchase-restricted in the reseller model (rules.md §2.3.1).

        A failure is recorded on the invitee's history row with its reason (rules.md §2.2) and
        answered with that reason's code; the link stays usable for a retry unless it expired
        or was used. Accepting again after success answers the same association.
        """
        if caller.delegated_by is not None:
            raise access_denied(
                "Access denied: only the account itself accepts an invitation, not a partner "
                "acting for it."
            )
        invitation = await self._by_token(_token_of(link_or_token), lock=True)
        if invitation is None:
            raise FailureReason.LINK_NOT_EXIST.error()
        now = self.clock.now()
        record = await self._email_record(invitation, lock=True)
        if record is not None:
            if record.status == InvitationStatus.ACCEPTED:
                done = await self._already_done(invitation, record, caller.account_id)
                if done is not None:
                    return done
                raise FailureReason.LINK_USED.error()
            record.customer_id = caller.account_id
        else:
            for earlier in await self._accepted_records(invitation, caller.account_id):
                done = await self._already_done(invitation, earlier, caller.account_id)
                if done is not None:
                    return done
            record = await self._link_record(invitation, caller.account_id, now)

        reason = self._link_problem(invitation, None)
        if reason is None:
            reason = self._account_problem(caller)
        partner = await self.partners.get(invitation.tenant_id)
        assert partner is not None
        if reason is None:
            reason = await self._partner_blocker(partner, invitation.association_type)
        if reason is None:
            current = await self.associations.current(caller.account_id, lock=True)
            if current is not None and current.associated:
                reason = (
                    FailureReason.ALREADY_ASSOCIATED_WITH_THIS_PARTNER
                    if current.partner_id == partner.partner_id
                    else FailureReason.ASSOCIATED_WITH_ANOTHER_PARTNER
                )
        if reason is None:
            reason = await self._reserved_elsewhere(caller.account_id, partner.partner_id, now)
        if reason is not None:
            record.status = (
                InvitationStatus.EXPIRED
                if reason == FailureReason.LINK_EXPIRED
                else InvitationStatus.FAILED
            )
            record.failure_reason = reason.value
            record.updated_at = now
            await self.session.flush()
            error = reason.error()
            raise DomainError(error.code, error.message, error.details, keep_changes=True)

        account = await self.identity.get_account(caller.account_id)
        assert account is not None
        view = await self.associations.associate(
            customer_id=account.id,
            account_name=account.name,
            email=account.email,
            mobile=account.mobile,
            partner_id=partner.partner_id,
            distributor_id=partner.distributor_id,
            xaccount_type=partner.xaccount_type,
            association_type=invitation.association_type,
            account_manager_id=None,
        )
        manager_id = await self._assign_inviting_manager(invitation, account.id)
        record.status = InvitationStatus.ACCEPTED
        record.failure_reason = None
        record.customer_id = account.id
        record.updated_at = now
        await self.session.flush()
        await self.hooks.associated(
            self.session,
            AssociationEvent(
                customer_id=account.id,
                partner_id=partner.partner_id,
                distributor_id=partner.distributor_id,
                association_type=invitation.association_type,
                at=now,
                cause_id=invitation.id,
            ),
        )
        await self.notify_partner(
            partner.partner_id,
            subject=f"{account.name} is now your customer",
            body=(
                f"The account {account.name} ({account.id}) accepted the invitation made by "
                f"{invitation.created_by_name or 'your organization'} and is now your customer "
                f"({_model_words(invitation.association_type)})."
                + (
                    " It cannot buy until you set a budget and lift the purchase restriction."
                    if view.restricted
                    else ""
                )
            ),
        )
        return AcceptedInvitation(
            customer_id=account.id,
            partner_id=partner.partner_id,
            partner_name=partner.company_name,
            association_type=view.association_type,
            associated_on=view.associated_on,
            account_manager_id=manager_id,
            restricted=view.restricted,
        )

    async def _already_done(
        self, invitation: Invitation, record: InvitationRecord, customer_id: str
    ) -> AcceptedInvitation | None:
        """The earlier success of this customer on this link, if it still stands."""
        if record.customer_id != customer_id:
            return None
        current = await self.associations.current(customer_id)
        if current is None or not current.associated or current.partner_id != invitation.tenant_id:
            return None
        return AcceptedInvitation(
            customer_id=customer_id,
            partner_id=current.partner_id,
            partner_name=await self.partner_name(current.partner_id),
            association_type=current.association_type,
            associated_on=current.associated_on,
            account_manager_id=current.account_manager_id,
            restricted=current.restricted,
        )

    async def _link_record(
        self, invitation: Invitation, customer_id: str, now: datetime
    ) -> InvitationRecord:
        """The customer's open row on an offline link or QR code: a failed attempt is retried
        on its row, a new association after an earlier one ended gets a new row."""
        stmt = select(InvitationRecord).where(
            InvitationRecord.invitation_id == invitation.id,
            InvitationRecord.customer_id == customer_id,
            InvitationRecord.status != InvitationStatus.ACCEPTED,
        )
        record = (await self.session.execute(stmt)).scalars().first()
        if record is None:
            record = InvitationRecord(
                id=new_id(),
                tenant_id=invitation.tenant_id,
                invitation_id=invitation.id,
                customer_id=customer_id,
                status=InvitationStatus.PENDING,
                created_at=now,
                updated_at=now,
            )
            self.session.add(record)
            await self.session.flush()
        return record

    async def _reserved_elsewhere(
        self, customer_id: str, partner_id: str, now: datetime
    ) -> FailureReason | None:
        """Another partner's pre-registration of the customer's e-mail is in force (§2.1.3)."""
        account = await self.identity.get_account(customer_id)
        if account is None or not account.email:
            return None
        held = await self.prospects.reservation(account.email, now)
        if held is not None and held.tenant_id != partner_id:
            return FailureReason.PRE_REGISTERED_BY_ANOTHER_PARTNER
        return None

    @staticmethod
    def _account_problem(caller: Caller) -> FailureReason | None:
        if caller.kind == AccountKind.PARTNER:
            return FailureReason.CUSTOMER_IS_PARTNER
        if caller.kind == AccountKind.OPERATOR:
            return FailureReason.INTERNAL_ACCOUNT
        return None

    async def _assign_inviting_manager(
        self, invitation: Invitation, customer_id: str
    ) -> str | None:
        """A customer invited by an account manager is that manager's (rules.md §2.1.9), if the
        member still is one."""
        if invitation.account_manager_id is None:
            return None
        member = await self.identity.get_member(
            account_id=invitation.tenant_id, member_id=invitation.account_manager_id
        )
        if member is None or "ACCOUNT_MANAGER" not in member.roles:
            return None
        await self.account_managers.open_assignment(
            customer_id=customer_id,
            partner_id=invitation.tenant_id,
            member_id=member.member_id,
            member_name=member.name,
            assigned_by=None,
        )
        return member.member_id


def _model_words(association_type: AssociationType) -> str:
    return (
        "reseller model: the partner bills you"
        if association_type == AssociationType.RESELLER
        else "referral model: you keep paying the cloud directly"
    )


def _invitation_view(invitation: Invitation) -> InvitationView:
    return InvitationView(
        invitation_id=invitation.id,
        channel=invitation.channel,
        association_type=invitation.association_type,
        created_by_name=invitation.created_by_name,
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
        revoked_at=invitation.revoked_at,
    )


def _record_view(
    record: InvitationRecord, invitation: Invitation, now: datetime
) -> InvitationRecordView:
    status = record.status
    reason = FailureReason(record.failure_reason) if record.failure_reason else None
    if (
        status == InvitationStatus.PENDING
        and invitation.expires_at is not None
        and now >= invitation.expires_at
    ):
        status, reason = InvitationStatus.EXPIRED, FailureReason.LINK_EXPIRED
    return InvitationRecordView(
        record_id=record.id,
        invitation_id=invitation.id,
        channel=invitation.channel,
        association_type=invitation.association_type,
        invitee_email=record.invitee_email,
        customer_id=record.customer_id,
        status=status,
        failure_reason=reason,
        created_by=invitation.created_by,
        created_by_name=invitation.created_by_name,
        created_at=record.created_at,
        updated_at=record.updated_at,
        expires_at=invitation.expires_at,
    )
