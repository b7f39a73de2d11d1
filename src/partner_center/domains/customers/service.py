"""Creating, finding and checking customers on a partner's behalf (api-semantics.md §3.2)."""

from __future__ import annotations

import secrets
import string
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.customers import validation
from partner_center.domains.customers.codes import (
    REGISTRATION_SCENE,
    VerificationCodes,
    code_minutes,
)
from partner_center.domains.customers.errors import CustomerErrorCode
from partner_center.domains.customers.models import (
    AssociationStatus,
    AssociationType,
    Customer,
)
from partner_center.domains.customers.tags import NewCustomerTag, new_customer_tag
from partner_center.domains.identity.public import (
    AccountKind,
    Caller,
    IdentityService,
    Permission,
    sees_only_own_customers,
)
from partner_center.domains.notifications.public import Channel, NotificationService
from partner_center.domains.partners.public import (
    PartnerService,
    PartnerStatus,
    PartnerType,
    PartnerView,
)
from partner_center.kernel.clock import Clock
from partner_center.kernel.db import LIKE_ESCAPE, contains_pattern
from partner_center.kernel.errors import DomainError, access_denied, invalid_parameter
from partner_center.kernel.pagination import Page, paginate

#: How many accounts one mobile number may register (check_user_identity reports the rest).
MAX_ACCOUNTS_PER_MOBILE = 5


#: The verification scene of a bank-card real-name check: its code is for one customer.
BANK_CARD_SCENE = 18


@dataclass(frozen=True, slots=True)
class PartnerActor:
    """A partner (or one of its members) acting through the API or the console."""

    caller: Caller
    partner: PartnerView

    @property
    def partner_id(self) -> str:
        return self.partner.partner_id


@dataclass(frozen=True, slots=True)
class NewCustomer:
    xaccount_id: str
    xaccount_type: str
    domain_name: str | None = None
    password: str | None = None
    email: str | None = None
    mobile_phone: str | None = None
    verification_code: str | None = None
    domain_area: str | None = None
    is_close_market_ms: str | None = None
    cooperation_type: str | None = None
    indirect_partner_id: str | None = None


@dataclass(frozen=True, slots=True)
class CreatedCustomer:
    domain_id: str
    domain_name: str


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    account_name: str | None = None
    customer: str | None = None
    label: str | None = None
    association_type: AssociationType | None = None
    associated_on_begin: datetime | None = None
    associated_on_end: datetime | None = None
    customer_id: str | None = None
    indirect_partner_id: str | None = None
    account_manager_id: str | None = None
    """Only the customers assigned to this member (an account manager); within what the
    caller sees, so an account manager who sees only its own customers gets none of another's."""


@dataclass(frozen=True, slots=True)
class CustomerDistribution:
    """How a partner's customers are spread (its dashboard)."""

    by_association_type: dict[AssociationType, int]
    by_account_manager: list[tuple[str | None, int]]
    """``(manager's login name, or None for no manager, customers)``, most customers first."""
    frozen: int
    restricted: int
    """Purchase-restricted and not frozen."""


@dataclass(frozen=True, slots=True)
class CustomerView:
    customer_id: str
    account_name: str
    customer_name: str | None
    associated_on: datetime
    association_type: AssociationType
    label: str | None
    mobile: str | None
    country_code: str | None
    email: str | None
    verified_status: str
    customer_type: int
    is_frozen: bool
    restricted: bool
    xaccount_id: str
    xaccount_type: str
    customer_level: str
    account_manager_names: tuple[str, ...]
    owner_partner_id: str


class CustomerService:
    """Customer operations of a partner; every query is scoped to the acting partner."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        wall: Clock,
        identity: IdentityService,
        partners: PartnerService,
        notifications: NotificationService,
        codes: VerificationCodes,
        site: str,
    ) -> None:
        self.session = session
        self.clock = clock
        self.wall = wall
        self.identity = identity
        self.partners = partners
        self.notifications = notifications
        self.site = site
        self.codes = codes

    # -- scope ------------------------------------------------------------------------

    async def owner_for(self, actor: PartnerActor, indirect_partner_id: str | None) -> str:
        """The partner whose customers the call addresses: the caller itself, or (for a
        distributor passing ``indirect_partner_id``) one of its resellers."""
        if indirect_partner_id:
            if actor.partner.partner_type != PartnerType.DISTRIBUTOR:
                raise DomainError(
                    CustomerErrorCode.NOT_YOUR_RESELLER,
                    "Only a distributor may act for a reseller (indirect partner).",
                )
            reseller = await self.partners.reseller_of(
                distributor_id=actor.partner_id, reseller_id=indirect_partner_id
            )
            return reseller.partner_id
        return actor.partner_id

    # -- verification codes -----------------------------------------------------------

    async def send_verification_code(
        self,
        actor: PartnerActor,
        *,
        receiver: str,
        channel: Channel,
        timeout_minutes: int | None,
        lang: str | None,
        scene: int = REGISTRATION_SCENE,
        customer_id: str | None = None,
    ) -> None:
        """Send a 6-digit code (15 an hour, 60 a day per receiver). Scene 18 (bank-card
        real-name) is for one of the partner's customers, ``customer_id`` (required,
        ``CBC.99000035`` for anyone else's); other scenes ignore ``customer_id``."""
        if not actor.caller.has(Permission.CREATE_CUSTOMER):
            raise access_denied("The member lacks the permission to create customers.")
        if scene != BANK_CARD_SCENE:
            customer_id = None
        elif not customer_id:
            raise invalid_parameter("customer_id", "Required with scene 18.")
        else:
            await self.get_for_partner(actor, customer_id)
        await self.codes.send(
            tenant_id=actor.partner_id,
            receiver=receiver,
            channel=channel,
            minutes=code_minutes(timeout_minutes),
            lang=lang,
            scene=scene,
            customer_id=customer_id,
        )

    async def _consume_code(
        self, actor: PartnerActor, *, receiver: str, code: str, scene: int = REGISTRATION_SCENE
    ) -> None:
        """Check ``code`` against the newest unused code of the scene sent to ``receiver``."""
        await self.codes.consume(
            tenant_id=actor.partner_id, receiver=receiver, code=code, scene=scene
        )

    # -- create -------------------------------------------------------------------------

    def _require_customer_creator(self, actor: PartnerActor) -> None:
        if actor.partner.partner_type == PartnerType.RESELLER:
            raise access_denied("A reseller cannot call this API; its distributor does.")
        if not actor.caller.has(Permission.CREATE_CUSTOMER):
            raise access_denied("The member lacks the permission to create customers.")

    async def _check_partner_may_acquire(self, owner_id: str, actor: PartnerActor) -> None:
        if actor.partner.status == PartnerStatus.RESTRICTED:
            raise DomainError(
                CustomerErrorCode.PARTNER_RESTRICTED,
                "Your partner enterprise is restricted; it cannot acquire customers.",
            )
        if actor.partner.status == PartnerStatus.EXITED:
            raise DomainError(
                CustomerErrorCode.PARTNER_EXITED,
                "The partner has exited; it cannot associate customers.",
            )
        if owner_id != actor.partner_id:
            reseller = await self.partners.get(owner_id)
            assert reseller is not None
            if reseller.status == PartnerStatus.RESTRICTED:
                raise DomainError(
                    CustomerErrorCode.PARTNER_RESTRICTED, "The reseller is restricted."
                )
            if reseller.status == PartnerStatus.EXITED:
                raise DomainError(CustomerErrorCode.PARTNER_EXITED, "The reseller has exited.")

    async def _random_domain_name(self) -> str:
        alphabet = string.ascii_lowercase + string.digits
        while True:
            name = "hw" + "".join(secrets.choice(alphabet) for _ in range(30))
            if not await self.identity.account_name_taken(name):
                return name

    async def create_sub_customer(self, actor: PartnerActor, new: NewCustomer) -> CreatedCustomer:
        """Create a customer account and associate it with the partner (or the distributor's
        reseller). Reseller-model customers start purchase-restricted (rules.md §2.3.1)."""
        self._require_customer_creator(actor)
        validation.check_plain_text(asdict(new))
        if not new.xaccount_id or len(new.xaccount_id) > 128:
            raise invalid_parameter("xaccount_id", "Required, at most 128 characters.")
        if not new.xaccount_type or len(new.xaccount_type) > 64:
            raise invalid_parameter("xaccount_type", "Required, at most 64 characters.")
        if new.xaccount_type != actor.partner.xaccount_type:
            raise invalid_parameter(
                "xaccount_type",
                "It must be the platform identifier issued to your partner account.",
            )
        if new.indirect_partner_id is not None and len(new.indirect_partner_id) > 64:
            raise invalid_parameter("indirect_partner_id", "At most 64 characters.")
        owner_id = await self.owner_for(actor, new.indirect_partner_id)
        await self._check_partner_may_acquire(owner_id, actor)

        if new.is_close_market_ms not in (None, "true", "false"):
            raise invalid_parameter("is_close_market_ms", "Use 'true' or 'false'.")
        association = AssociationType.RESELLER
        if new.cooperation_type is not None:
            if new.cooperation_type != "1":
                raise invalid_parameter("cooperation_type", "Only '1' (referral) is accepted.")
            association = AssociationType.REFERRAL

        email: str | None = None
        mobile: str | None = None
        if self.site == "intl":
            if new.mobile_phone is not None:
                raise invalid_parameter(
                    "mobile_phone", "Not available on the international site; give an e-mail."
                )
            if not new.domain_area:
                raise invalid_parameter("domain_area", "Required on the international site.")
            validation.check_domain_area(new.domain_area)
        elif new.domain_area:
            validation.check_domain_area(new.domain_area)
        if new.email:
            validation.check_email(new.email)
            email = new.email.lower()
        if new.mobile_phone:
            mobile = "0086-" + validation.check_cn_mobile(new.mobile_phone)
        if (email or mobile) and not new.verification_code:
            raise invalid_parameter(
                "verification_code", "Required when an e-mail address or mobile number is given."
            )
        if new.verification_code is not None and len(new.verification_code) != 6:
            raise DomainError(CustomerErrorCode.CODE_WRONG, "The verification code is wrong.")

        if new.domain_name:
            validation.check_domain_name(new.domain_name)
            if await self.identity.account_name_taken(new.domain_name):
                raise DomainError(
                    CustomerErrorCode.ACCOUNT_NAME_TAKEN, "The account name already exists."
                )
            name = new.domain_name
        else:
            name = await self._random_domain_name()
        if new.password is not None:
            validation.check_password(new.password, account_name=name, email=email, mobile=mobile)

        duplicate = await self.session.execute(
            select(Customer.account_id).where(
                Customer.xaccount_type == new.xaccount_type, Customer.xaccount_id == new.xaccount_id
            )
        )
        if duplicate.first() is not None:
            raise DomainError(
                CustomerErrorCode.XACCOUNT_ID_TAKEN, "The xaccount_id is already used."
            )
        if email and await self._contact_used(email=email):
            raise DomainError(
                CustomerErrorCode.EMAIL_TAKEN, "The e-mail address is already registered."
            )
        if mobile:
            used = await self._accounts_on_mobile(mobile)
            if used >= MAX_ACCOUNTS_PER_MOBILE:
                raise DomainError(
                    CustomerErrorCode.MOBILE_TOO_MANY_ACCOUNTS,
                    "Too many accounts are registered with this mobile number.",
                )
        if email or mobile:
            assert new.verification_code is not None
            await self._consume_code(
                actor, receiver=email or mobile or "", code=new.verification_code
            )

        account = await self.identity.create_account(
            kind=AccountKind.CUSTOMER,
            name=name,
            email=email,
            mobile=mobile,
            admin_password=new.password,
        )
        owner_partner = await self.partners.get(owner_id)
        assert owner_partner is not None
        self.session.add(
            Customer(
                account_id=account.id,
                tenant_id=owner_id,
                distributor_id=owner_partner.distributor_id,
                created_by=actor.partner_id,
                association_type=association,
                associated_on=self.clock.now(),
                xaccount_id=new.xaccount_id,
                xaccount_type=new.xaccount_type,
                account_name=name,
                domain_area=new.domain_area,
                email=email,
                mobile=mobile,
                country_code="0086" if mobile else None,
                is_close_market_ms=new.is_close_market_ms == "true",
                restricted=association == AssociationType.RESELLER,
                account_manager_id=(
                    actor.caller.member_id
                    if actor.caller.member_id
                    and sees_only_own_customers(
                        list(actor.caller.roles), is_admin=actor.caller.is_admin
                    )
                    else None
                ),
            )
        )
        try:
            async with self.session.begin_nested():
                await self.session.flush()
        except IntegrityError as exc:
            raise DomainError(
                CustomerErrorCode.XACCOUNT_ID_TAKEN, "The xaccount_id is already used."
            ) from exc
        return CreatedCustomer(domain_id=account.id, domain_name=name)

    async def _contact_used(self, *, email: str) -> bool:
        stmt = select(func.count()).select_from(Customer).where(Customer.email == email)
        return bool((await self.session.execute(stmt)).scalar_one())

    async def _accounts_on_mobile(self, mobile: str) -> int:
        stmt = select(func.count()).select_from(Customer).where(Customer.mobile == mobile)
        return int((await self.session.execute(stmt)).scalar_one())

    # -- check identity -------------------------------------------------------------------

    async def check_user_identity(
        self, actor: PartnerActor, *, search_type: str, search_value: str
    ) -> tuple[str, int | None]:
        """Whether a login name, e-mail or mobile can still register: ("available" |
        "used_by_user", remaining accounts for a mobile)."""
        self._require_customer_creator(actor)
        value = validation.check_identity_value(search_type, search_value, site=self.site)
        if search_type == "name":
            used = await self.identity.account_name_taken(value)
            return ("used_by_user" if used else "available"), None
        if search_type == "email":
            return ("used_by_user" if await self._contact_used(email=value) else "available"), None
        count = await self._accounts_on_mobile(value)
        remaining = max(0, MAX_ACCOUNTS_PER_MOBILE - count)
        return ("available" if remaining > 0 else "used_by_user"), remaining

    # -- list ------------------------------------------------------------------------------

    async def list_sub_customers(
        self, actor: PartnerActor, filters: CustomerFilter, page: Page
    ) -> tuple[list[CustomerView], int]:
        """The partner's customers (or a reseller's, for its distributor), newest first."""
        if actor.partner.partner_type == PartnerType.RESELLER:
            raise access_denied("A reseller cannot call this API; its distributor does.")
        needed = (
            Permission.LIST_RESELLER_CUSTOMERS
            if filters.indirect_partner_id
            else Permission.LIST_CUSTOMERS
        )
        if not actor.caller.has(needed):
            raise access_denied("The member lacks the permission to view these customers.")
        owner_id = await self.owner_for(actor, filters.indirect_partner_id)
        return await self._list(actor, [owner_id], filters, page)

    async def list_own_customers(
        self, actor: PartnerActor, filters: CustomerFilter, page: Page
    ) -> tuple[list[CustomerView], int]:
        """The caller's own customers for any kind of partner: a CSP's or distributor's as
        ``list_sub_customers`` gives them, a reseller's for its console's Customer Management
        page (the reference's reseller guide: Sales > Customers > Customer Management, where a
        granted reseller sets its customers' budgets). ``indirect_partner_id`` is refused here:
        a distributor reaches its resellers' customers through ``list_resellers_customers``."""
        if actor.partner.partner_type != PartnerType.RESELLER:
            return await self.list_sub_customers(actor, filters, page)
        if filters.indirect_partner_id:
            raise DomainError(
                CustomerErrorCode.NOT_YOUR_RESELLER,
                "Only a distributor may act for a reseller (indirect partner).",
            )
        if not actor.caller.has(Permission.LIST_CUSTOMERS):
            raise access_denied("The member lacks the permission to view these customers.")
        return await self._list(actor, [actor.partner_id], filters, page)

    async def list_resellers_customers(
        self, actor: PartnerActor, filters: CustomerFilter, page: Page
    ) -> tuple[list[CustomerView], int]:
        """A distributor's Resellers' Customers tab (rules.md §1.8): the customers of all its
        resellers at once (or of the one ``filters.indirect_partner_id`` names), newest first;
        each view's ``owner_partner_id`` is its reseller."""
        if actor.partner.partner_type != PartnerType.DISTRIBUTOR:
            raise DomainError(
                CustomerErrorCode.NOT_YOUR_RESELLER,
                "Only a distributor may act for a reseller (indirect partner).",
            )
        if not actor.caller.has(Permission.LIST_RESELLER_CUSTOMERS):
            raise access_denied("The member lacks the permission to view these customers.")
        if filters.indirect_partner_id:
            owners = [await self.owner_for(actor, filters.indirect_partner_id)]
        else:
            owners = await self.partners.resellers(actor.partner_id)
        return await self._list(actor, owners, filters, page)

    @staticmethod
    def _scoped(actor: PartnerActor, owner_ids: list[str]) -> Select[Customer]:
        """The associated customers of ``owner_ids`` the member sees (an account manager: only
        those it manages)."""
        owned = (
            Customer.tenant_id == owner_ids[0]
            if len(owner_ids) == 1
            else Customer.tenant_id.in_(owner_ids)
        )
        stmt: Select[Customer] = select(Customer).where(
            owned, Customer.association_status == AssociationStatus.ASSOCIATED
        )
        if actor.caller.member_id and sees_only_own_customers(
            list(actor.caller.roles), is_admin=actor.caller.is_admin
        ):
            stmt = stmt.where(Customer.account_manager_id == actor.caller.member_id)
        return stmt

    async def _list(
        self, actor: PartnerActor, owner_ids: list[str], filters: CustomerFilter, page: Page
    ) -> tuple[list[CustomerView], int]:
        stmt = self._scoped(actor, owner_ids)
        if filters.account_name:
            stmt = stmt.where(
                Customer.account_name.ilike(
                    contains_pattern(filters.account_name), escape=LIKE_ESCAPE
                )
            )
        if filters.customer:
            stmt = stmt.where(
                Customer.customer_name.ilike(contains_pattern(filters.customer), escape=LIKE_ESCAPE)
            )
        if filters.label:
            stmt = stmt.where(
                Customer.label.like(contains_pattern(filters.label), escape=LIKE_ESCAPE)
            )
        if filters.association_type is not None:
            stmt = stmt.where(Customer.association_type == filters.association_type)
        if filters.associated_on_begin is not None:
            stmt = stmt.where(Customer.associated_on >= filters.associated_on_begin)
        if filters.associated_on_end is not None:
            stmt = stmt.where(Customer.associated_on <= filters.associated_on_end)
        if filters.customer_id:
            stmt = stmt.where(Customer.account_id == filters.customer_id)
        if filters.account_manager_id:
            stmt = stmt.where(Customer.account_manager_id == filters.account_manager_id)
        rows, total = await paginate(
            self.session, stmt, page, Customer.associated_on.desc(), Customer.account_id.desc()
        )
        managers = await self._manager_names({r.account_manager_id for r in rows} - {None})
        return [self._view(r, managers) for r in rows], int(total)

    async def distribution(self, actor: PartnerActor) -> CustomerDistribution:
        """How the partner's customers (those it sees in its list) are spread: per association
        type and frozen or restricted, and per account manager, in one ``GROUP BY`` statement
        whatever their number."""
        if actor.partner.partner_type == PartnerType.RESELLER:
            raise access_denied("A reseller cannot call this API; its distributor does.")
        if not actor.caller.has(Permission.LIST_CUSTOMERS):
            raise access_denied("The member lacks the permission to view these customers.")
        frozen = Customer.freeze_type.is_not(None)
        grouped = await self.session.execute(
            self._scoped(actor, [actor.partner_id])
            .with_only_columns(
                Customer.association_type,
                Customer.account_manager_id,
                func.count(),
                func.sum(case((frozen, 1), else_=0)),
                func.sum(case((and_(Customer.restricted, ~frozen), 1), else_=0)),
            )
            .group_by(Customer.association_type, Customer.account_manager_id)
        )
        by_type: dict[AssociationType, int] = defaultdict(int)
        by_manager: dict[str | None, int] = defaultdict(int)
        frozen_count = restricted_count = 0
        for association, manager, count, frozen_n, restricted_n in grouped.all():
            by_type[AssociationType(association)] += int(count)
            by_manager[manager] += int(count)
            frozen_count += int(frozen_n or 0)
            restricted_count += int(restricted_n or 0)
        names = await self._manager_names(set(by_manager))
        return CustomerDistribution(
            by_association_type=dict(by_type),
            by_account_manager=sorted(
                ((names.get(m) if m else None, c) for m, c in by_manager.items()),
                key=lambda pair: (-pair[1], pair[0] or ""),
            ),
            frozen=frozen_count,
            restricted=restricted_count,
        )

    async def new_customer_tags(
        self,
        actor: PartnerActor,
        customer_ids: Sequence[str],
        *,
        indirect_partner_id: str | None,
        window: Page,
        zone: ZoneInfo,
    ) -> list[NewCustomerTag]:
        """The SMB new-customer tag (``tags.py``) of the partner's associated customers (or a
        reseller's, for its distributor), the given ones or all, oldest association first.
        ``CBC.99000035`` names a given id that is not such a customer."""
        if actor.partner.partner_type == PartnerType.RESELLER:
            raise access_denied("A reseller cannot call this API; its distributor does.")
        owner_id = await self.owner_for(actor, indirect_partner_id)
        stmt: Select[Customer] = select(Customer).where(
            Customer.tenant_id == owner_id,
            Customer.association_status == AssociationStatus.ASSOCIATED,
        )
        if customer_ids:
            wanted = set(customer_ids)
            found = set(
                (
                    await self.session.scalars(
                        select(Customer.account_id).where(
                            Customer.account_id.in_(wanted),
                            Customer.tenant_id == owner_id,
                            Customer.association_status == AssociationStatus.ASSOCIATED,
                        )
                    )
                ).all()
            )
            if missing := sorted(wanted - found):
                raise DomainError(
                    CustomerErrorCode.NOT_YOUR_CUSTOMER,
                    f"The customer {missing[0]} is not a sub-customer of this partner.",
                )
            stmt = stmt.where(Customer.account_id.in_(wanted))
        rows, _ = await paginate(
            self.session, stmt, window, Customer.associated_on, Customer.account_id
        )
        accounts = await self.identity.accounts([r.account_id for r in rows])
        now = self.clock.now()
        return [
            new_customer_tag(
                r.account_id,
                registered_at=accounts[r.account_id].created_at,
                associated_on=r.associated_on,
                verified_status=r.verified_status,
                now=now,
                zone=zone,
            )
            for r in rows
        ]

    async def _manager_names(self, member_ids: set[str | None]) -> dict[str, str]:
        ids = [m for m in member_ids if m]
        if not ids:
            return {}
        return await self.identity.member_names(ids)

    @staticmethod
    def _view(row: Customer, managers: dict[str, str]) -> CustomerView:
        manager = managers.get(row.account_manager_id or "")
        return CustomerView(
            customer_id=row.account_id,
            account_name=row.account_name,
            customer_name=row.customer_name,
            associated_on=row.associated_on,
            association_type=row.association_type,
            label=row.label,
            mobile=row.mobile,
            country_code=row.country_code,
            email=row.email,
            verified_status=row.verified_status,
            customer_type=row.customer_type,
            is_frozen=row.freeze_type is not None,
            restricted=row.restricted,
            xaccount_id=row.xaccount_id,
            xaccount_type=row.xaccount_type,
            customer_level=row.customer_level,
            account_manager_names=(manager,) if manager else (),
            owner_partner_id=row.tenant_id,
        )

    async def get_for_partner(self, actor: PartnerActor, customer_id: str) -> Customer:
        """A customer the acting partner owns directly or through one of its resellers;
        ``CBC.99000035`` otherwise."""
        row = await self.session.get(Customer, customer_id)
        if (
            row is None
            or row.association_status != AssociationStatus.ASSOCIATED
            or (row.tenant_id != actor.partner_id and row.distributor_id != actor.partner_id)
        ):
            raise DomainError(
                CustomerErrorCode.NOT_YOUR_CUSTOMER,
                "The customer is not a sub-customer of this partner.",
            )
        return row
