"""What every association service shares: its collaborators, who may act on which customer, the
billing-day arithmetic of attribution, and telling a partner what happened."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.associations import errors
from partner_center.domains.associations.hooks import AssociationHooks
from partner_center.domains.associations.models import PartnerAssociationSettings
from partner_center.domains.customers.public import (
    AssociationView,
    CustomerAssociations,
    CustomerRecords,
    PartnerActor,
)
from partner_center.domains.identity.public import (
    AccountKind,
    Caller,
    IdentityService,
    Permission,
    Role,
    sees_only_own_customers,
)
from partner_center.domains.notifications.public import (
    CUSTOMER_ASSOCIATION,
    Channel,
    NotificationService,
)
from partner_center.domains.partners.public import PartnerService
from partner_center.kernel.clock import Clock, utc
from partner_center.kernel.errors import access_denied

#: Notification topic for association events (invitations accepted, requests and their
#: outcomes); the partner account's own e-mail address is told as well.
ASSOCIATION_TOPIC = CUSTOMER_ASSOCIATION


def next_local_midnight(zone: ZoneInfo, when: datetime) -> datetime:
    """00:00 of the day after ``when`` in ``zone``, as UTC (rules.md §8.5: attribution starts the
    next day)."""
    local = utc(when).astimezone(zone)
    tomorrow = local.date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=zone).astimezone(UTC)


@dataclass
class AssociationPolicy:
    """Deployment-wide settings of this domain (README, "Configuration")."""

    public_url: str = "http://127.0.0.1:8000"
    """Base of the links sent to invitees."""
    disassociation_limit: int = 3
    """Disassociation requests one party may start per customer and window (rules.md §2.6.4);
    1 gives the older "one request per party per 3 months"."""
    disassociation_window_months: int = 3
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    """Billing time zone: account-manager attribution starts at its midnight."""
    currency: str = "USD"
    """Site currency (budgets of ended associations are recorded in it)."""
    site: str = "intl"
    """``cn`` or ``intl``: the field rules of the customer records touched."""
    pre_registration_days: int = 90
    """How long a partner's pre-registration reserves a prospect (rules.md §2.1.1)."""


@dataclass(frozen=True, slots=True)
class AssociationCollaborators:
    """What every association service of one unit of work shares."""

    clock: Clock
    identity: IdentityService
    partners: PartnerService
    notifications: NotificationService
    associations: CustomerAssociations
    customer_records: CustomerRecords
    policy: AssociationPolicy
    hooks: AssociationHooks


class ServiceBase:
    """Collaborators shared by the association services, each bound to one unit of work."""

    def __init__(self, session: AsyncSession, shared: AssociationCollaborators) -> None:
        self.session = session
        self.clock = shared.clock
        self.identity = shared.identity
        self.partners = shared.partners
        self.notifications = shared.notifications
        self.associations = shared.associations
        self.customer_records = shared.customer_records
        self.policy = shared.policy
        self.hooks = shared.hooks

    # -- who may act -----------------------------------------------------------------------

    @staticmethod
    def require_admin(actor: PartnerActor, what: str) -> None:
        if not actor.caller.is_admin:
            raise errors.admin_only(what)

    @staticmethod
    def require_customer(caller: Caller) -> None:
        """The customer itself: not a partner, and not a partner acting through an agency."""
        if caller.kind != AccountKind.CUSTOMER or caller.delegated_by is not None:
            raise access_denied(
                "Access denied: only the customer itself may do this, with its own credentials."
            )

    @staticmethod
    def sees_all_customers(actor: PartnerActor) -> bool:
        caller = actor.caller
        return not (
            caller.member_id
            and sees_only_own_customers(list(caller.roles), is_admin=caller.is_admin)
        )

    @staticmethod
    def is_account_manager(actor: PartnerActor) -> bool:
        return actor.caller.member_id is not None and Role.ACCOUNT_MANAGER.value in (
            actor.caller.roles
        )

    async def owned_customer(
        self, actor: PartnerActor, customer_id: str, *, lock: bool = False
    ) -> AssociationView:
        """A customer associated with the acting partner that the member may see; an account
        manager holding no other role sees only its own customers (rules.md §1.20)."""
        if not actor.caller.has(Permission.LIST_CUSTOMERS):
            raise access_denied("The member lacks the permission to view customers.")
        view = await self.associations.current(customer_id, lock=lock)
        if view is None or not view.associated or view.partner_id != actor.partner_id:
            raise errors.not_your_customer()
        if not self.sees_all_customers(actor) and view.account_manager_id != actor.caller.member_id:
            raise errors.not_your_customer()
        return view

    async def partner_settings(
        self, partner_id: str, *, create: bool = False
    ) -> PartnerAssociationSettings | None:
        row = await self.session.get(PartnerAssociationSettings, partner_id)
        if row is None and create:
            row = PartnerAssociationSettings(
                partner_id=partner_id, tenant_id=partner_id, referral_enabled=False
            )
            self.session.add(row)
            await self.session.flush()
        return row

    async def referral_enabled(self, partner_id: str) -> bool:
        row = await self.partner_settings(partner_id)
        return bool(row and row.referral_enabled)

    # -- telling people --------------------------------------------------------------------

    async def notify_partner(self, partner_id: str, *, subject: str, body: str) -> None:
        """E-mail the partner account's address and every recipient of its association topic,
        each address once."""
        told: set[str] = set()
        account = await self.identity.get_account(partner_id)
        if account is not None and account.email:
            told.add(account.email.lower())
            await self.notifications.queue(
                tenant_id=partner_id,
                channel=Channel.EMAIL,
                recipient=account.email.lower(),
                subject=subject,
                body=body,
            )
        for recipient in await self.notifications.recipients(
            tenant_id=partner_id, topic=ASSOCIATION_TOPIC
        ):
            for channel, address in (
                (Channel.EMAIL, recipient.email),
                (Channel.SMS, recipient.mobile),
            ):
                if address and address.lower() not in told:
                    told.add(address.lower())
                    await self.notifications.queue(
                        tenant_id=partner_id,
                        channel=channel,
                        recipient=address,
                        subject=subject,
                        body=body,
                    )

    async def notify_customer(self, customer_id: str, *, subject: str, body: str) -> None:
        account = await self.identity.get_account(customer_id)
        if account is not None and account.email:
            await self.notifications.queue(
                tenant_id=customer_id,
                channel=Channel.EMAIL,
                recipient=account.email.lower(),
                subject=subject,
                body=body,
            )

    async def partner_name(self, partner_id: str) -> str:
        partner = await self.partners.get(partner_id)
        return partner.company_name if partner else partner_id

    async def account_name(self, account_id: str) -> str:
        account = await self.identity.get_account(account_id)
        return account.name if account else account_id
