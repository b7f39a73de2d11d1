"""The services container: every domain service of one unit of work, wired once.

One ``Services`` is built per unit of work (an API request, a job, a CLI command) from the
session of that unit of work, the business clock it runs at, and the process-wide ``Wiring``
(settings, wall clock, cipher, message senders). Each attribute is built on first use and then
shared, so every service of the unit of work talks to the same collaborators: the API, the
jobs, the CLI, provisioning and the demo all get the same object graph, and no service is built
anywhere else (``tests/unit/test_wiring.py`` checks it).

Layering: this module sits between the edges (``http``, ``worker``) and the domains; the
composition root (``runtime``) builds the ``Wiring`` and the edges ask ``AppState.services``
for a container.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.associations.public import (
    AccountManagerService,
    AssociationCollaborators,
    AssociationEvent,
    AssociationHooks,
    AssociationPolicy,
    AuthorizationService,
    DisassociationService,
    InvitationService,
    MemberService,
    OverviewService,
    ProspectService,
    TypeChangeService,
    association_hooks,
)
from partner_center.domains.background.public import BackgroundWorkService
from partner_center.domains.balances.public import (
    BalanceEngine,
    BalanceService,
    Books,
    CustomerTransfers,
    OperationLog,
    Sources,
    registered_sources,
)
from partner_center.domains.billing.public import (
    BilledDebt,
    BillFanOut,
    BillingService,
    BillPolicy,
    BillRunner,
)
from partner_center.domains.budgets.public import BudgetEngine, BudgetService
from partner_center.domains.catalog.public import (
    CatalogImporter,
    CatalogService,
    DiscountService,
    InquiryService,
    PartnerDiscounts,
)
from partner_center.domains.coupons.public import (
    CouponBook,
    CouponRedemptions,
    CouponService,
    CustomerTotals,
    IdempotencyKeys,
    MemberCoupons,
    PartnerCoupons,
    QuotaService,
)
from partner_center.domains.customers.public import (
    CustomerAssociations,
    CustomerControl,
    CustomerRecords,
    CustomerService,
    FreezingService,
    VerificationCodes,
)
from partner_center.domains.enterprises.public import EnterpriseFunds, EnterpriseService
from partner_center.domains.identity.public import (
    IdentityService,
    KeyCache,
    KeyMaterial,
    SecretCipher,
    SignInGuard,
    SignInPolicy,
)
from partner_center.domains.invoices.public import ConsumptionFiles, InvoiceService, Issuer
from partner_center.domains.ledger.public import LedgerService
from partner_center.domains.notifications.public import (
    SMTPS_PORT,
    NotificationService,
    OutboxDelivery,
    Senders,
    SmtpConfig,
    SmtpSender,
)
from partner_center.domains.orders.public import (
    OrderedPackages,
    OrderPolicy,
    OrderService,
    PriceAdjustments,
    SubscriptionService,
)
from partner_center.domains.partners.public import CriticalOperationGuard, PartnerService
from partner_center.domains.payments.public import (
    AccountStatements,
    PaymentGateway,
    RepaymentService,
    SandboxProcessor,
    TopUpAccounts,
)
from partner_center.domains.realname.public import RealnameService
from partner_center.domains.resources.public import ResourceService
from partner_center.domains.tickets.public import TicketService
from partner_center.domains.usage.public import (
    ArrearsPolicy,
    ArrearsService,
    HandoffTakeover,
    PackageService,
    UsageIngest,
    UsageQueries,
    UsageRating,
    UsageService,
)
from partner_center.kernel.clock import Clock, FixedClock, WallClock
from partner_center.settings import Settings

#: The names of the association hooks this container registers for other domains.
COUPON_RECLAIM_HOOK = "coupons.reclaim_on_disassociation"
BALANCE_RETURN_HOOK = "balances.return_remaining"
GRACE_ON_ASSOCIATION_HOOK = "usage.grace_on_association"
GRACE_ON_DISASSOCIATION_HOOK = "usage.grace_on_disassociation"
ENTERPRISE_MEMBERS_CHECK = "enterprises.independent_members"


def site_of(settings: Settings) -> str:
    """``cn`` on a CNY deployment (China-site field rules), else ``intl``."""
    return "cn" if settings.currency == "CNY" else "intl"


def notification_senders(settings: Settings) -> Senders:
    """The e-mail sender when ``SMTP_HOST`` is set; no SMS gateway ships with partner-center."""
    if not settings.smtp_host:
        return Senders()
    return Senders(
        email=SmtpSender(
            SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                user=settings.smtp_user,
                password=settings.smtp_password,
                starttls=settings.smtp_starttls,
                implicit_tls=settings.smtp_port == SMTPS_PORT,
                mail_from=settings.mail_from,
            )
        )
    )


@dataclass(frozen=True, slots=True)
class Wiring:
    """What every unit of work shares: configuration and process-wide collaborators."""

    settings: Settings
    wall: WallClock
    cipher: SecretCipher
    senders: Senders
    key_cache: KeyCache[KeyMaterial] = field(default_factory=lambda: KeyCache(timedelta(0)))
    """Permanent access keys' verified material, shared by the process's units of work."""
    bill_fanout: BillFanOut = field(default_factory=BillFanOut)
    """Where scheduled bill runs send their batches (the procrastinate worker installs it)."""

    @classmethod
    def from_settings(cls, settings: Settings, *, wall: WallClock | None = None) -> Wiring:
        return cls(
            settings=settings,
            wall=wall or WallClock(),
            cipher=SecretCipher(settings.encryption_key),
            senders=notification_senders(settings),
            key_cache=KeyCache(timedelta(seconds=settings.key_cache_seconds)),
        )

    @property
    def site(self) -> str:
        return site_of(self.settings)


class Services:
    """The domain services of one unit of work, each built on first use and then shared.

    Args:
        session: the unit of work's session (services flush; the unit of work commits).
        clock: business time of the unit of work (the request's clock, or a job's fixed clock).
        wiring: the process-wide configuration and collaborators.
    """

    def __init__(self, session: AsyncSession, *, clock: Clock, wiring: Wiring) -> None:
        self.session = session
        self.clock = clock
        self.wiring = wiring
        self.settings = wiring.settings

    def at(self, when: datetime) -> Services:
        """The services of this unit of work with business time standing still at ``when``
        (work that belongs to an earlier instant of the same transaction)."""
        return Services(self.session, clock=FixedClock(when), wiring=self.wiring)

    # -- accounts, partners, customers --------------------------------------------------------

    @cached_property
    def identity(self) -> IdentityService:
        return IdentityService(
            self.session,
            clock=self.clock,
            wall=self.wiring.wall,
            cipher=self.wiring.cipher,
            sign_in_guard=self.sign_in_guard,
            token_ttl=timedelta(seconds=self.settings.token_ttl_seconds),
            key_cache=self.wiring.key_cache,
        )

    @cached_property
    def sign_in_guard(self) -> SignInGuard:
        return SignInGuard(
            self.session,
            wall=self.wiring.wall,
            policy=SignInPolicy(
                max_failures=self.settings.sign_in_max_failures,
                source_max_failures=self.settings.sign_in_source_max_failures,
                window=timedelta(minutes=self.settings.sign_in_window_minutes),
                lockout=timedelta(minutes=self.settings.sign_in_lockout_minutes),
            ),
        )

    @cached_property
    def partners(self) -> PartnerService:
        return PartnerService(self.session, clock=self.clock, identity=self.identity)

    @cached_property
    def critical_operations(self) -> CriticalOperationGuard:
        return CriticalOperationGuard(
            self.session,
            wall=self.wiring.wall,
            identity=self.identity,
            notifications=self.notifications,
        )

    @cached_property
    def notifications(self) -> NotificationService:
        return NotificationService(self.session, clock=self.clock)

    @cached_property
    def outbox_delivery(self) -> OutboxDelivery:
        return OutboxDelivery(self.session, clock=self.clock, senders=self.wiring.senders)

    @cached_property
    def customers(self) -> CustomerService:
        return CustomerService(
            self.session,
            clock=self.clock,
            wall=self.wiring.wall,
            identity=self.identity,
            partners=self.partners,
            notifications=self.notifications,
            codes=self.verification_codes,
            site=self.wiring.site,
        )

    @cached_property
    def verification_codes(self) -> VerificationCodes:
        return VerificationCodes(
            self.session,
            wall=self.wiring.wall,
            notifications=self.notifications,
            site=self.wiring.site,
        )

    @cached_property
    def control(self) -> CustomerControl:
        return CustomerControl(self.session, clock=self.clock)

    @cached_property
    def customer_records(self) -> CustomerRecords:
        return CustomerRecords(self.session)

    @cached_property
    def customer_associations(self) -> CustomerAssociations:
        return CustomerAssociations(self.session, clock=self.clock)

    @cached_property
    def freezing(self) -> FreezingService:
        return FreezingService(
            self.session, clock=self.clock, partners=self.partners, control=self.control
        )

    @cached_property
    def enterprises(self) -> EnterpriseService:
        return EnterpriseService(
            self.session,
            clock=self.clock,
            identity=self.identity,
            realname=self.realname,
            codes=self.verification_codes,
        )

    @cached_property
    def enterprise_funds(self) -> EnterpriseFunds:
        return EnterpriseFunds(
            self.session,
            clock=self.clock,
            currency=self.settings.currency,
            enterprises=self.enterprises,
            transfers=self.customer_transfers,
            coupons=self.member_coupons,
            customer_records=self.customer_records,
        )

    @cached_property
    def realname(self) -> RealnameService:
        return RealnameService(
            self.session,
            clock=self.clock,
            wall=self.wiring.wall,
            zone=self.settings.zone,
            cipher=self.wiring.cipher,
            customer_records=self.customer_records,
            site=self.wiring.site,
            public_url=self.settings.public_url,
        )

    # -- associations -------------------------------------------------------------------------

    @cached_property
    def association_policy(self) -> AssociationPolicy:
        settings = self.settings
        return AssociationPolicy(
            public_url=settings.public_url,
            disassociation_limit=settings.disassociation_limit,
            disassociation_window_months=settings.disassociation_window_months,
            zone=settings.zone,
            currency=settings.currency,
            site=self.wiring.site,
            pre_registration_days=settings.pre_registration_days,
        )

    @cached_property
    def association_hooks(self) -> AssociationHooks:
        """What other domains do when an association starts or ends: this unit of work's own
        handlers first (coupons reclaimed, rules.md §2.6.12; the remaining balance returned,
        §2.6.11; pay-per-use grace periods raised, §2.3.4 and §2.6.9; an enterprise master with independent-accounting members held back, §2.6.5),
        then the process-wide ones registered on ``association_hooks``."""
        hooks = AssociationHooks()
        hooks.on_disassociated(COUPON_RECLAIM_HOOK, self._reclaim_coupons)
        hooks.on_disassociated(BALANCE_RETURN_HOOK, self._return_balance)
        hooks.on_associated(GRACE_ON_ASSOCIATION_HOOK, self._grace_on_association)
        hooks.on_disassociated(GRACE_ON_DISASSOCIATION_HOOK, self._grace_on_disassociation)
        hooks.disassociation_check(ENTERPRISE_MEMBERS_CHECK, self._enterprise_members_block)
        hooks.include(association_hooks)
        return hooks

    async def _reclaim_coupons(self, _session: AsyncSession, event: AssociationEvent) -> None:
        await self.at(event.at).coupons.reclaim_on_disassociation(event.customer_id)

    async def _grace_on_association(self, _session: AsyncSession, event: AssociationEvent) -> None:
        await self.at(event.at).usage_arrears.raise_on_association(
            event.customer_id, event.association_type, actor_id=event.partner_id
        )

    async def _grace_on_disassociation(
        self, _session: AsyncSession, event: AssociationEvent
    ) -> None:
        await self.at(event.at).usage_arrears.raise_on_disassociation(
            event.customer_id, event.association_type, actor_id=event.partner_id
        )

    async def _enterprise_members_block(
        self, _session: AsyncSession, customer_id: str, _partner_id: str
    ) -> str | None:
        return await self.enterprises.disassociation_blocker(customer_id)

    async def _return_balance(self, _session: AsyncSession, event: AssociationEvent) -> None:
        await self.at(event.at).balance_engine.return_remaining_on_disassociation(
            event.customer_id, actor_id=event.partner_id
        )

    @cached_property
    def _association_collaborators(self) -> AssociationCollaborators:
        return AssociationCollaborators(
            clock=self.clock,
            identity=self.identity,
            partners=self.partners,
            notifications=self.notifications,
            associations=self.customer_associations,
            customer_records=self.customer_records,
            policy=self.association_policy,
            hooks=self.association_hooks,
        )

    @cached_property
    def invitations(self) -> InvitationService:
        return InvitationService(
            self.session,
            self._association_collaborators,
            account_managers=self.account_managers,
            prospects=self.prospects,
        )

    @cached_property
    def prospects(self) -> ProspectService:
        return ProspectService(self.session, self._association_collaborators)

    @cached_property
    def type_changes(self) -> TypeChangeService:
        return TypeChangeService(self.session, self._association_collaborators)

    @cached_property
    def disassociations(self) -> DisassociationService:
        return DisassociationService(
            self.session,
            self._association_collaborators,
            account_managers=self.account_managers,
            budgets=self.budgets,
        )

    @cached_property
    def authorizations(self) -> AuthorizationService:
        return AuthorizationService(self.session, self._association_collaborators)

    @cached_property
    def members(self) -> MemberService:
        return MemberService(self.session, self._association_collaborators)

    @cached_property
    def account_managers(self) -> AccountManagerService:
        return AccountManagerService(self.session, self._association_collaborators)

    @cached_property
    def association_overview(self) -> OverviewService:
        return OverviewService(self.session, self._association_collaborators)

    # -- money --------------------------------------------------------------------------------

    @cached_property
    def ledger(self) -> LedgerService:
        return LedgerService(self.session, self.clock)

    @cached_property
    def balance_books(self) -> Books:
        return Books(
            self.session, clock=self.clock, currency=self.settings.currency, ledger=self.ledger
        )

    @cached_property
    def balance_operations(self) -> OperationLog:
        return OperationLog(self.session, clock=self.clock, currency=self.settings.currency)

    @cached_property
    def balance_sources(self) -> Sources:
        """The registered figures of other domains; billing's debt unless one is registered."""
        registered = registered_sources()
        return Sources(
            debt=registered.debt
            or BilledDebt(
                overdue_restrict_days=self.settings.bill_overdue_restrict_days,
                coupon_balance=self._partner_coupon_balance,
            ),
            expenditure=registered.expenditure,
        )

    @cached_property
    def balance_engine(self) -> BalanceEngine:
        return BalanceEngine(
            self.session,
            clock=self.clock,
            currency=self.settings.currency,
            books=self.balance_books,
            sources=self.balance_sources,
            operations=self.balance_operations,
            customer_records=self.customer_records,
        )

    @cached_property
    def balances(self) -> BalanceService:
        return BalanceService(
            self.session,
            clock=self.clock,
            zone=self.settings.zone,
            currency=self.settings.currency,
            partners=self.partners,
            books=self.balance_books,
            sources=self.balance_sources,
            operations=self.balance_operations,
            engine=self.balance_engine,
            budgets=self.budget_engine,
            customer_records=self.customer_records,
            online_payment_limit=Decimal(self.settings.online_payment_limit),
        )

    @cached_property
    def customer_transfers(self) -> CustomerTransfers:
        return CustomerTransfers(
            self.session,
            clock=self.clock,
            currency=self.settings.currency,
            books=self.balance_books,
            operations=self.balance_operations,
        )

    @cached_property
    def budgets(self) -> BudgetService:
        return BudgetService(
            self.session,
            clock=self.clock,
            currency=self.settings.currency,
            customers=self.customers,
            partners=self.partners,
            engine=self.budget_engine,
            customer_records=self.customer_records,
        )

    @cached_property
    def budget_engine(self) -> BudgetEngine:
        return BudgetEngine(
            self.session,
            clock=self.clock,
            zone=self.settings.zone,
            notifications=self.notifications,
            ledger=self.ledger,
            control=self.control,
            customer_records=self.customer_records,
        )

    @cached_property
    def coupon_book(self) -> CouponBook:
        return CouponBook(self.session, clock=self.clock, ledger=self.ledger)

    @cached_property
    def coupon_quotas(self) -> QuotaService:
        return QuotaService(
            self.session, clock=self.clock, book=self.coupon_book, partners=self.partners
        )

    @cached_property
    def coupon_redemptions(self) -> CouponRedemptions:
        return CouponRedemptions(
            self.session,
            clock=self.clock,
            book=self.coupon_book,
            quotas=self.coupon_quotas,
            customer_records=self.customer_records,
        )

    @cached_property
    def member_coupons(self) -> MemberCoupons:
        return MemberCoupons(
            self.session,
            clock=self.clock,
            book=self.coupon_book,
            redemptions=self.coupon_redemptions,
        )

    @cached_property
    def partner_coupons(self) -> PartnerCoupons:
        return PartnerCoupons(
            self.session,
            clock=self.clock,
            book=self.coupon_book,
            partners=self.partners,
            customer_records=self.customer_records,
        )

    async def _partner_coupon_balance(
        self, session: AsyncSession, partner_id: str, at: datetime
    ) -> Decimal:
        assert session is self.session, "one unit of work"
        return await self.partner_coupons.usable_balance(partner_id, at)

    async def _apply_partner_coupons(
        self,
        partner_id: str,
        bill_id: str,
        cycle: str,
        total: Decimal,
        customer_totals: CustomerTotals,
    ) -> Decimal:
        return await self.partner_coupons.apply_to_bill(
            partner_id=partner_id,
            bill_id=bill_id,
            cycle=cycle,
            total=total,
            customer_totals=customer_totals,
        )

    @cached_property
    def coupons(self) -> CouponService:
        return CouponService(
            self.session,
            clock=self.clock,
            book=self.coupon_book,
            quotas=self.coupon_quotas,
            redemptions=self.coupon_redemptions,
            keys=IdempotencyKeys(self.session, clock=self.clock),
            customer_records=self.customer_records,
        )

    # -- catalogue ----------------------------------------------------------------------------

    @cached_property
    def catalog(self) -> CatalogService:
        return CatalogService(self.session, clock=self.clock)

    @cached_property
    def catalog_importer(self) -> CatalogImporter:
        return CatalogImporter(self.session, clock=self.clock)

    @cached_property
    def discounts(self) -> DiscountService:
        return DiscountService(
            self.session, clock=self.clock, customer_records=self.customer_records
        )

    @cached_property
    def partner_discounts(self) -> PartnerDiscounts:
        return PartnerDiscounts(
            self.session,
            clock=self.clock,
            discounts=self.discounts,
            identity=self.identity,
            notifications=self.notifications,
        )

    @cached_property
    def inquiry(self) -> InquiryService:
        return InquiryService(
            self.session, clock=self.clock, catalog=self.catalog, discounts=self.discounts
        )

    # -- yearly/monthly -----------------------------------------------------------------------

    @cached_property
    def order_policy(self) -> OrderPolicy:
        return OrderPolicy(**self.settings.order_policy())

    @cached_property
    def resources(self) -> ResourceService:
        return ResourceService(
            self.session,
            clock=self.clock,
            zone=self.settings.zone,
            grace_days=self.order_policy.grace_days,
            retention_days=self.order_policy.retention_days,
        )

    @cached_property
    def orders(self) -> OrderService:
        return OrderService(
            self.session,
            clock=self.clock,
            zone=self.settings.zone,
            currency=self.settings.currency,
            policy=self.order_policy,
            balances=self.balance_engine,
            customers=self.customers,
            identity=self.identity,
            inquiry=self.inquiry,
            budgets=self.budget_engine,
            control=self.control,
            coupons=self.coupons,
            resources=self.resources,
            customer_records=self.customer_records,
            realname=self.realname,
            packages=OrderedPackages(catalog=self.catalog, packages=self.packages),
        )

    @cached_property
    def subscriptions(self) -> SubscriptionService:
        return SubscriptionService(self.orders)

    @cached_property
    def price_adjustments(self) -> PriceAdjustments:
        return PriceAdjustments(self.orders, partner_discounts=self.partner_discounts)

    # -- pay-per-use --------------------------------------------------------------------------

    @cached_property
    def usage(self) -> UsageService:
        return UsageService(
            self.session,
            clock=self.clock,
            catalog=self.catalog,
            control=self.control,
            customer_records=self.customer_records,
            realname=self.realname,
            arrears=self.usage_arrears,
        )

    @cached_property
    def usage_arrears(self) -> ArrearsService:
        return ArrearsService(
            self.session,
            clock=self.clock,
            policy=ArrearsPolicy(
                grace_days=self.settings.on_demand_grace_days,
                retention_days=self.settings.on_demand_retention_days,
            ),
            balances=self.balance_engine,
            customer_records=self.customer_records,
            identity=self.identity,
            notifications=self.notifications,
        )

    @cached_property
    def usage_queries(self) -> UsageQueries:
        return UsageQueries(self.session, zone=self.settings.zone)

    @cached_property
    def usage_ingest(self) -> UsageIngest:
        return UsageIngest(
            self.session,
            clock=self.clock,
            late_window=self.settings.usage_late_window,
            catalog=self.catalog,
        )

    @cached_property
    def usage_rating(self) -> UsageRating:
        return UsageRating(
            self.session,
            clock=self.clock,
            zone=self.settings.zone,
            currency=self.settings.currency,
            catalog=self.catalog,
            packages=self.packages,
            control=self.control,
            balances=self.balance_engine,
            budgets=self.budget_engine,
            customer_records=self.customer_records,
            arrears=self.usage_arrears,
        )

    @cached_property
    def usage_handoffs(self) -> HandoffTakeover:
        return HandoffTakeover(resources=self.resources, usage=self.usage)

    @cached_property
    def packages(self) -> PackageService:
        return PackageService(
            self.session,
            clock=self.clock,
            zone=self.settings.zone,
            customer_records=self.customer_records,
        )

    # -- bills --------------------------------------------------------------------------------

    @cached_property
    def bill_runner(self) -> BillRunner:
        return BillRunner(
            self.session,
            clock=self.clock,
            zone=self.settings.zone,
            currency=self.settings.currency,
            policy=BillPolicy(
                batch_size=self.settings.bill_batch_size,
                default_tax_rate=self.settings.bill_tax_rate,
                due_days=self.settings.bill_due_days,
            ),
            partners=self.partners,
            customer_records=self.customer_records,
            recheck_quota=self._recheck_quota,
            post_tax=self.balance_engine.post_bill_tax,
            apply_coupons=self._apply_partner_coupons,
            post_coupons=self.balance_engine.post_bill_coupons,
        )

    @cached_property
    def billing(self) -> BillingService:
        return BillingService(
            self.session,
            clock=self.clock,
            currency=self.settings.currency,
            runner=self.bill_runner,
            fanout=self.wiring.bill_fanout,
            notifications=self.notifications,
            quota=self._used_consumption_quota,
            post_adjustment=self.balance_engine.post_bill_adjustment,
        )

    async def _used_consumption_quota(self, partner_id: str) -> Decimal:
        funds = await self.balance_books.partner_funds(partner_id)
        view = await self.balance_engine.quota_view(partner_id, funds)
        return view.used_consumption_quota

    async def _recheck_quota(self, partner_id: str) -> None:
        """After a bill: re-evaluate the quota restriction of a partner with money (a partner
        without a funds row has no credit line; its next postpaid charge evaluates it)."""
        if await self.balance_books.partner_funds(partner_id) is not None:
            await self.balance_engine.recheck_consumption_quota(partner_id)

    # -- service tickets and payments ---------------------------------------------------------

    @cached_property
    def tickets(self) -> TicketService:
        return TicketService(
            self.session,
            clock=self.clock,
            zone=self.settings.zone,
            holidays=self.settings.holiday_dates,
            notifications=self.notifications,
        )

    @cached_property
    def top_up_accounts(self) -> TopUpAccounts:
        return TopUpAccounts(self.session, clock=self.clock, currency=self.settings.currency)

    @cached_property
    def account_statements(self) -> AccountStatements:
        return AccountStatements(self.balances, currency=self.settings.currency)

    @cached_property
    def background(self) -> BackgroundWorkService:
        return BackgroundWorkService(
            self.session,
            clock=self.clock,
            identity=self.identity,
            partners=self.partners,
            catalog_importer=self.catalog_importer,
            statements=self.account_statements,
            billing=self.billing,
            currency=self.settings.currency,
        )

    @cached_property
    def payment_gateway(self) -> PaymentGateway:
        """The card processor: the built-in sandbox one (a real processor plugs in here)."""
        return SandboxProcessor()

    @cached_property
    def repayments(self) -> RepaymentService:
        return RepaymentService(
            self.session,
            clock=self.clock,
            zone=self.settings.zone,
            currency=self.settings.currency,
            online_limit=Decimal(self.settings.online_payment_limit),
            gateway=self.payment_gateway,
            billing=self.billing,
            balances=self.balances,
            engine=self.balance_engine,
            books=self.balance_books,
            tickets=self.tickets,
        )

    @cached_property
    def invoices(self) -> InvoiceService:
        settings = self.settings
        return InvoiceService(
            self.session,
            clock=self.clock,
            issuer=Issuer(
                name=settings.invoice_issuer,
                address=settings.invoice_issuer_address,
                prefix=settings.invoice_prefix,
            ),
            billing=self.billing,
            partners=self.partners,
            accounts=self.top_up_accounts,
            notifications=self.notifications,
        )

    @cached_property
    def consumption_files(self) -> ConsumptionFiles:
        return ConsumptionFiles(
            self.session,
            clock=self.clock,
            folder=self.settings.consumption_folder,
            billing=self.billing,
        )
