"""Customer budgets as partners manage them (rules.md §3, §1.9–1.13; api-semantics.md §3.3).

Who may act on whose budget:

* A CSP or a distributor, on its own reseller-model customers (permission item
  ``SET_BUDGET``; reading many at once needs ``VIEW_CONSUMPTION_QUOTA``).
* A distributor, on a reseller's customers by naming the reseller (``indirect_partner_id``,
  permission ``SET_RESELLER_BUDGET``), whether or not it granted the reseller budget permission:
  the reference API is always called by the distributor (rules.md §1.10, api-semantics.md §2).
* A reseller (its members in the console), on its own customers, only while its distributor
  grants it budget permission (and restrict / freeze permission to lift those).

A reseller's customers' budgets never exceed, in total per type, the quota its distributor
granted (rules.md §1.11–1.12). The quota is a guarded ledger account of the reseller: setting a
budget moves the difference between it and the customer's allocation account, so concurrent
settings can never exceed the quota together. A reseller without a quota of a type cannot have
budgets of that type set. Budgets already set stay in force when permissions or quotas are
revoked (rules.md §1.13).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.budgets.engine import (
    SYSTEM,
    BudgetEngine,
    BudgetUsageSummary,
    BudgetView,
    Reservation,
)
from partner_center.domains.budgets.errors import (
    REFERENCE_CODES,
    BudgetErrorCode,
    amount_text,
    budget_error,
    invalid,
    not_your_customer,
)
from partner_center.domains.budgets.models import (
    BudgetRecord,
    BudgetStatus,
    BudgetType,
    CustomerBudget,
    ExhaustionAction,
    RecordOperation,
)
from partner_center.domains.customers.public import (
    AssociationStatus,
    AssociationType,
    CustomerRecord,
    CustomerRecords,
    CustomerService,
    FreezeType,
    PartnerActor,
)
from partner_center.domains.identity.public import Permission
from partner_center.domains.ledger.public import Guard, LedgerErrorCode
from partner_center.domains.partners.public import (
    GrantView,
    PartnerService,
    PartnerType,
    ResellerPermission,
)
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import DomainError
from partner_center.kernel.ids import new_id
from partner_center.kernel.money import CENT, decimal_places
from partner_center.kernel.pagination import Page, count, paginate

ZERO = Decimal(0)
#: The set-budget API's range (rules.md §3.10): (0, 2147483647], at most 2 decimals.
MAX_BUDGET = Decimal(2_147_483_647)
#: Customers per batch query or batch setting (rules.md §3.19, §3.21).
MAX_CUSTOMERS = 100
#: Quota types in the one order every setting touches them, so two concurrent type changes in
#: opposite directions lock the reseller's quota accounts in the same order.
_QUOTA_ORDER = (BudgetType.MONTHLY, BudgetType.PACKAGE)
#: Reason recorded on the customer when setting the budget lifts its restriction or freeze.
LIFT_REASON = "Budget set with cancel_partner_frozen: purchases allowed again."


@dataclass(frozen=True, slots=True)
class BudgetSetting:
    """What a partner sets on one customer.

    Attributes:
        exhaustion_action: None keeps the customer's current action (MANUAL on a first budget).
        lift_restrictions: also lift the customer's purchase restriction and freeze
            (``cancel_partner_frozen="1"``), as a new reseller-model customer needs before
            its first purchase (rules.md §2.3.2, §3.17).
    """

    customer_id: str
    amount: Decimal
    budget_type: BudgetType = BudgetType.MONTHLY
    exhaustion_action: ExhaustionAction | None = None
    lift_restrictions: bool = False


@dataclass(frozen=True, slots=True)
class BudgetRecordView:
    customer_id: str
    operation_type: RecordOperation
    budget_type: BudgetType
    budget_amount: Decimal
    currency: str
    operation_time: datetime
    operator: str
    partner_corp_name: str
    partner_account_name: str


@dataclass(frozen=True, slots=True)
class RecordFilter:
    operation_type: RecordOperation | None = None
    budget_type: BudgetType | None = None


@dataclass(frozen=True, slots=True)
class ItemError:
    """One customer of a batch that failed, with the reference error."""

    id: str
    error_code: str
    error_msg: str


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    succeeded: tuple[str, ...]
    failed: tuple[ItemError, ...]


@dataclass(frozen=True, slots=True)
class _Scope:
    """Whose customers a call addresses."""

    owner_id: str
    """The partner owning the customers (the reseller for a reseller's customers)."""
    reseller_grant: GrantView | None
    """The owner's grant when the owner is a reseller, else None."""
    reseller_acting: bool
    """A reseller's own member is acting (the console), not its distributor."""


def check_budget_amount(value: object) -> Decimal:
    """(0, 2147483647] with at most 2 decimals, as the set-budget API accepts."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise invalid("budget_amount", "Must be a number.")
    amount = Decimal(value)
    if not amount.is_finite() or amount <= 0 or amount > MAX_BUDGET:
        raise invalid("budget_amount", f"Must be greater than 0 and at most {MAX_BUDGET}.")
    if decimal_places(amount) > 2:
        raise invalid("budget_amount", "At most 2 decimal places are allowed.")
    return amount.quantize(CENT)


class BudgetService:
    """Budgets of a partner's customers. Flushes, never commits."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        currency: str,
        customers: CustomerService,
        partners: PartnerService,
        engine: BudgetEngine,
        customer_records: CustomerRecords,
    ) -> None:
        self.session = session
        self.clock = clock
        self.currency = currency
        self.customers = customers
        self.partners = partners
        self.engine = engine
        self.customer_records = customer_records

    # -- scope ------------------------------------------------------------------------------

    async def _scope(
        self,
        actor: PartnerActor,
        indirect_partner_id: str | None,
        *,
        own: Permission,
        reseller: Permission,
    ) -> _Scope:
        if indirect_partner_id is not None and len(indirect_partner_id) > 64:
            raise invalid("indirect_partner_id", "At most 64 characters.")
        if not actor.caller.has(reseller if indirect_partner_id else own):
            raise budget_error(
                BudgetErrorCode.ACCESS_DENIED,
                "Access denied: the member lacks the permission to manage these budgets.",
            )
        if actor.partner.partner_type == PartnerType.RESELLER:
            if indirect_partner_id and indirect_partner_id != actor.partner_id:
                raise budget_error(
                    BudgetErrorCode.NOT_YOUR_RESELLER,
                    "Only a distributor may act for a reseller (indirect partner).",
                )
            grant = await self.partners.grants_for(actor.partner_id)
            return _Scope(actor.partner_id, grant, reseller_acting=True)
        owner_id = await self.customers.owner_for(actor, indirect_partner_id)
        if owner_id == actor.partner_id:
            return _Scope(owner_id, None, reseller_acting=False)
        return _Scope(owner_id, await self.partners.grants_for(owner_id), reseller_acting=False)

    async def _customer(self, scope: _Scope, customer_id: str) -> CustomerRecord:
        """The scope owner's associated reseller-model customer, else ``CBC.99000035``."""
        if not isinstance(customer_id, str) or not customer_id or len(customer_id) > 64:
            raise invalid("customer_id", "Required, 1 to 64 characters.")
        row = await self.customer_records.get(customer_id)
        if (
            row is None
            or row.tenant_id != scope.owner_id
            or row.association_status != AssociationStatus.ASSOCIATED
            or row.association_type != AssociationType.RESELLER
        ):
            raise not_your_customer()
        return row

    @staticmethod
    def _require_reseller_grant(scope: _Scope) -> None:
        """A reseller acting itself needs its distributor's budget permission (rules.md §1.10)."""
        if not scope.reseller_acting:
            return
        grant = scope.reseller_grant
        assert grant is not None
        if not grant.can_set_budget:
            raise budget_error(
                BudgetErrorCode.ACCESS_DENIED,
                "Access denied: your distributor has not granted you budget permission; it "
                "manages your customers' budgets.",
            )

    # -- reading ----------------------------------------------------------------------------

    async def show_budget(
        self, actor: PartnerActor, customer_id: str, *, indirect_partner_id: str | None = None
    ) -> BudgetView:
        """One customer's budget (show_sub_customer_budget)."""
        scope = await self._scope(
            actor,
            indirect_partner_id,
            own=Permission.SET_BUDGET,
            reseller=Permission.SET_RESELLER_BUDGET,
        )
        await self._customer(scope, customer_id)
        return await self.engine.view(customer_id, currency=self.currency)

    async def usage_summary(self, actor: PartnerActor) -> BudgetUsageSummary:
        """Budget use over all the partner's customers with a budget (its resellers' too, for a
        distributor): the dashboard's figures, computed by the database."""
        if not actor.caller.has(Permission.VIEW_CONSUMPTION_QUOTA):
            raise budget_error(
                BudgetErrorCode.ACCESS_DENIED,
                "Access denied: the member lacks the permission to view budgets.",
            )
        return await self.engine.usage_summary(actor.partner_id)

    async def list_budgets(
        self,
        actor: PartnerActor,
        customer_ids: list[str],
        *,
        indirect_partner_id: str | None = None,
    ) -> list[BudgetView]:
        """Budgets of up to 100 customers (list_sub_customer_budget), in the order asked.
        Customers that are not the caller's reseller-model customers are silently left out
        (rules.md §3.21); customers without a budget are listed with 0."""
        ids = self._customer_ids(customer_ids)
        scope = await self._scope(
            actor,
            indirect_partner_id,
            own=Permission.VIEW_CONSUMPTION_QUOTA,
            reseller=Permission.VIEW_CONSUMPTION_QUOTA,
        )
        mine = await self.customer_records.id_set(
            self.customer_records.ids(
                among=ids,
                owner_id=scope.owner_id,
                associated=True,
                association_type=AssociationType.RESELLER,
            )
        )
        return await self.engine.views(
            [customer_id for customer_id in ids if customer_id in mine], currency=self.currency
        )

    @staticmethod
    def _customer_ids(customer_ids: list[str]) -> list[str]:
        if not isinstance(customer_ids, list) or not 1 <= len(customer_ids) <= MAX_CUSTOMERS:
            raise invalid("customer_ids", f"Give 1 to {MAX_CUSTOMERS} customer IDs.")
        for customer_id in customer_ids:
            if not isinstance(customer_id, str) or not customer_id or len(customer_id) > 64:
                raise invalid("customer_ids", "Every customer ID has 1 to 64 characters.")
        return list(dict.fromkeys(customer_ids))

    async def records(
        self,
        actor: PartnerActor,
        customer_id: str,
        *,
        indirect_partner_id: str | None = None,
        filters: RecordFilter | None = None,
        page: Page,
    ) -> tuple[list[BudgetRecordView], int]:
        """Adjustment records of one customer, newest first (list_sub_customer_budget_records).

        A former customer's records stay readable to the partner that owned it (the DELETE
        record is written when the association ends)."""
        scope = await self._scope(
            actor,
            indirect_partner_id,
            own=Permission.SET_BUDGET,
            reseller=Permission.SET_RESELLER_BUDGET,
        )
        filters = filters or RecordFilter()
        base = select(BudgetRecord).where(
            BudgetRecord.customer_id == customer_id, BudgetRecord.tenant_id == scope.owner_id
        )
        try:
            await self._customer(scope, customer_id)
        except DomainError:
            if not await count(self.session, base):
                raise
        if filters.operation_type is not None:
            base = base.where(BudgetRecord.operation_type == filters.operation_type)
        if filters.budget_type is not None:
            base = base.where(BudgetRecord.budget_type == filters.budget_type)
        rows, total = await paginate(
            self.session, base, page, BudgetRecord.operation_time.desc(), BudgetRecord.id.desc()
        )
        return [
            BudgetRecordView(
                customer_id=r.customer_id,
                operation_type=RecordOperation(r.operation_type),
                budget_type=BudgetType(r.budget_type),
                budget_amount=r.budget_amount,
                currency=r.currency,
                operation_time=r.operation_time,
                operator=r.operator,
                partner_corp_name=r.partner_corp_name,
                partner_account_name=r.partner_account_name,
            )
            for r in rows
        ], int(total)

    # -- setting ----------------------------------------------------------------------------

    async def set_budget(
        self,
        actor: PartnerActor,
        setting: BudgetSetting,
        *,
        indirect_partner_id: str | None = None,
    ) -> BudgetView:
        """Set one customer's budget (update_sub_customer_budget); the new value overwrites the
        previous one and an adjustment record is kept.

        Raises:
            DomainError: ``CBC.0100`` invalid amount or type, or beyond the reseller's quota;
                ``CBC.0151`` missing permission; ``CBC.99000035`` not the caller's
                reseller-model customer; ``CBC.99000037`` not the caller's reseller.
        """
        amount = check_budget_amount(setting.amount)
        scope = await self._scope(
            actor,
            indirect_partner_id,
            own=Permission.SET_BUDGET,
            reseller=Permission.SET_RESELLER_BUDGET,
        )
        self._require_reseller_grant(scope)
        return await self._set_one(actor, scope, setting, amount)

    async def set_budgets(
        self,
        actor: PartnerActor,
        customer_ids: list[str],
        *,
        amount: Decimal,
        budget_type: BudgetType = BudgetType.MONTHLY,
        exhaustion_action: ExhaustionAction | None = None,
        lift_restrictions: bool = False,
        indirect_partner_id: str | None = None,
    ) -> BatchOutcome:
        """Set one budget on up to 100 customers at once (rules.md §3.19); each overwrites the
        customer's previous budget and gets its own record. A customer that fails is reported
        with its error and keeps its previous budget; the others are set."""
        ids = self._customer_ids(customer_ids)
        checked = check_budget_amount(amount)
        scope = await self._scope(
            actor,
            indirect_partner_id,
            own=Permission.SET_BUDGET,
            reseller=Permission.SET_RESELLER_BUDGET,
        )
        self._require_reseller_grant(scope)
        # Lock every customer of the batch first, in id order: the items then take the quota
        # account while holding all their customer rows, so two overlapping batches (or a batch
        # and a single setting) queue instead of deadlocking on customer row vs quota account.
        owned = self.customer_records.ids(among=ids, owner_id=scope.owner_id)
        for customer_id in sorted(await self.customer_records.id_set(owned)):
            await self.engine.lock_customer(customer_id)
        succeeded: list[str] = []
        failed: list[ItemError] = []
        for customer_id in ids:
            setting = BudgetSetting(
                customer_id=customer_id,
                amount=checked,
                budget_type=budget_type,
                exhaustion_action=exhaustion_action,
                lift_restrictions=lift_restrictions,
            )
            try:
                async with self.session.begin_nested():
                    await self._set_one(actor, scope, setting, checked)
            except DomainError as exc:
                failed.append(ItemError(customer_id, exc.code, exc.message))
            else:
                succeeded.append(customer_id)
        return BatchOutcome(tuple(succeeded), tuple(failed))

    async def _set_one(
        self, actor: PartnerActor, scope: _Scope, setting: BudgetSetting, amount: Decimal
    ) -> BudgetView:
        budget_type = BudgetType(setting.budget_type)
        customer = await self._customer(scope, setting.customer_id)
        responsible = (
            await self._responsible_for_lift(actor, scope, customer)
            if setting.lift_restrictions
            else None
        )
        await self.engine.lock_customer(customer.account_id)
        budget = await self.engine.lock_budget(customer.account_id)
        if (
            budget is not None
            and budget.status == BudgetStatus.ACTIVE
            and budget.tenant_id != customer.tenant_id
        ):
            # The customer changed hands without its old budget being removed: end it first,
            # so the new owner starts afresh and the old reseller's quota is freed.
            await self._remove(budget)
        previous = (
            (BudgetType(budget.budget_type), budget.amount)
            if budget is not None and budget.status == BudgetStatus.ACTIVE
            else None
        )
        operation_id = new_id()
        if scope.reseller_grant is not None:
            await self._move_quota(
                reseller_id=scope.owner_id,
                customer_id=customer.account_id,
                previous=previous,
                wanted=(budget_type, amount),
                grant=scope.reseller_grant,
                operation_id=operation_id,
            )
        budget = await self.engine.apply_setting(
            customer=customer,
            budget=budget,
            amount=amount,
            budget_type=budget_type,
            action=setting.exhaustion_action,
            currency=self.currency,
            apply_action=not setting.lift_restrictions,
        )
        if responsible is not None:
            await self._lift(actor, budget, responsible)
        self.session.add(
            BudgetRecord(
                id=operation_id,
                tenant_id=customer.tenant_id,
                customer_id=customer.account_id,
                operation_type=RecordOperation.SETTING,
                budget_type=budget_type,
                budget_amount=amount,
                currency=budget.currency,
                operation_time=self.clock.now(),
                operator=(actor.caller.member_name or actor.caller.account_name)[:64],
                partner_id=actor.partner_id,
                partner_corp_name=actor.partner.company_name[:128],
                partner_account_name=actor.partner.name[:64],
            )
        )
        await self.session.flush()
        return await self.engine.view_of(budget, currency=self.currency)

    async def _responsible_for_lift(
        self, actor: PartnerActor, scope: _Scope, customer: CustomerRecord
    ) -> str | None:
        """The partner that lifts the customer's restriction or freeze with the budget, checked
        as an unfreeze is (rules.md §1.10, §4.8–4.9): a reseller needs its distributor's grant;
        a distributor acts as the reseller once it granted the permission; a frozen partner
        cannot lift. None when there is nothing to lift."""
        if customer.freeze_type is None and not customer.restricted:
            return None
        permission = (
            ResellerPermission.FREEZE_RESOURCES
            if customer.freeze_type == FreezeType.ACCOUNT_AND_RESOURCE
            else ResellerPermission.RESTRICT
        )
        if scope.reseller_acting:
            grant = scope.reseller_grant
            assert grant is not None
            if not grant.allows(permission):
                raise budget_error(
                    BudgetErrorCode.ACCESS_DENIED,
                    f"Access denied: your distributor has not granted you the {permission.value} "
                    "permission needed to lift this customer's restriction or freeze.",
                )
            responsible = actor.partner
        elif scope.reseller_grant is not None:
            responsible = await self.partners.responsible_partner(
                distributor_id=actor.partner_id,
                reseller_id=scope.owner_id,
                permission=permission,
            )
        else:
            responsible = actor.partner
        if responsible.frozen:
            raise DomainError(
                REFERENCE_CODES[BudgetErrorCode.PARTNER_FROZEN],
                "The responsible partner's own account is frozen; a frozen partner cannot lift a "
                "customer's restriction or freeze.",
            )
        return responsible.partner_id

    async def _lift(self, actor: PartnerActor, budget: CustomerBudget, responsible: str) -> None:
        control = self.engine.control
        state = await control.state(budget.customer_id)
        performed_by = actor.caller.member_id or actor.caller.account_id
        if state.freeze_type is not None:
            await control.unfreeze(
                budget.customer_id,
                unfreeze_type=state.freeze_type,
                by=responsible,
                reason=LIFT_REASON,
                performed_by=performed_by,
            )
        elif state.restricted:
            await control.lift_restriction(
                budget.customer_id, by=responsible, reason=LIFT_REASON, performed_by=performed_by
            )
        budget.restricted_by_exhaustion = False
        await self.session.flush()

    async def set_exhaustion_action(
        self,
        actor: PartnerActor,
        customer_id: str,
        action: ExhaustionAction,
        *,
        accept_agreement: bool = False,
        indirect_partner_id: str | None = None,
    ) -> BudgetView:
        """Choose what happens when the customer's budget runs out (rules.md §3.14–3.15).

        RESTRICT_AND_FREEZE requires accepting the Agreement for Partners to Manage Customer
        Budgets. The new action applies from the next exhaustion on.
        """
        action = ExhaustionAction(action)
        scope = await self._scope(
            actor,
            indirect_partner_id,
            own=Permission.SET_BUDGET,
            reseller=Permission.SET_RESELLER_BUDGET,
        )
        self._require_reseller_grant(scope)
        if scope.reseller_acting:
            grant = scope.reseller_grant
            assert grant is not None
            if (action == ExhaustionAction.RESTRICT and not grant.can_restrict) or (
                action == ExhaustionAction.RESTRICT_AND_FREEZE and not grant.can_freeze_resources
            ):
                raise budget_error(
                    BudgetErrorCode.ACCESS_DENIED,
                    "Access denied: your distributor has not granted you the permission this "
                    "action needs.",
                )
        if action == ExhaustionAction.RESTRICT_AND_FREEZE and accept_agreement is not True:
            raise invalid(
                "accept_agreement",
                "Restricting purchases and freezing resources requires accepting the Agreement "
                "for Partners to Manage Customer Budgets.",
            )
        customer = await self._customer(scope, customer_id)
        await self.engine.lock_customer(customer.account_id)
        budget = await self.engine.lock_budget(customer.account_id)
        if budget is None or budget.status != BudgetStatus.ACTIVE:
            raise invalid("customer_id", "Set the customer's budget first.")
        budget.exhaustion_action = action
        budget.updated_at = self.clock.now()
        await self.session.flush()
        return await self.engine.view(customer.account_id, currency=self.currency)

    # -- quotas -----------------------------------------------------------------------------

    async def _move_quota(
        self,
        *,
        reseller_id: str,
        customer_id: str,
        previous: tuple[BudgetType, Decimal] | None,
        wanted: tuple[BudgetType, Decimal] | None,
        grant: GrantView | None,
        operation_id: str,
    ) -> None:
        """Move the customer's allocation of the reseller's quotas from ``previous`` to
        ``wanted`` (None = no budget)."""
        ledger = self.engine.ledger
        for budget_type in _QUOTA_ORDER:
            old = previous[1] if previous and previous[0] == budget_type else ZERO
            new = wanted[1] if wanted and wanted[0] == budget_type else ZERO
            quota = None
            if grant is not None:
                quota = (
                    grant.monthly_quota
                    if budget_type == BudgetType.MONTHLY
                    else grant.package_quota
                )
            kind = "monthly" if budget_type == BudgetType.MONTHLY else "one-time"
            if wanted is not None and wanted[0] == budget_type and quota is None:
                raise budget_error(
                    BudgetErrorCode.QUOTA_MISSING,
                    f"Invalid parameter: budget_type. The reseller has no {kind} budget quota "
                    "from its distributor, so its customers cannot have "
                    f"{budget_type.value} budgets.",
                    field="budget_type",
                )
            if old == new:
                continue
            code = f"budget_quota:{budget_type.value}"
            quota_account = await ledger.find_account(reseller_id, code, self.currency)
            if quota_account is None:
                if quota is None:
                    continue
                quota_account = await ledger.open_account(
                    tenant_id=reseller_id,
                    code=code,
                    currency=self.currency,
                    guard=Guard.DEBITS_MUST_NOT_EXCEED_CREDITS,
                    limit=quota,
                )
            elif quota is not None:
                await ledger.set_limit(
                    account_id=quota_account.id, limit=quota, clamp_to_usage=True
                )
            allocation = await ledger.open_account(
                tenant_id=customer_id,
                code=f"budget_allocation:{budget_type.value}",
                currency=self.currency,
                guard=Guard.NONE,
            )
            taking = new > old
            try:
                await ledger.transfer(
                    transfer_id=f"budget-quota:{operation_id}:{budget_type.value}",
                    debit_account_id=quota_account.id if taking else allocation.id,
                    credit_account_id=allocation.id if taking else quota_account.id,
                    amount=abs(new - old),
                    currency=self.currency,
                    code="budget_quota",
                    tenant_id=reseller_id,
                )
            except DomainError as exc:
                if exc.details.get("reason") != LedgerErrorCode.INSUFFICIENT_BALANCE.value:
                    raise
                left = amount_text(
                    max((await ledger.balance(quota_account.id)).available or ZERO, ZERO)
                )
                raise budget_error(
                    BudgetErrorCode.QUOTA_EXCEEDED,
                    f"Invalid parameter: budget_amount. The reseller's {kind} budget quota "
                    f"({amount_text(quota or ZERO)} {self.currency}) would be exceeded: {left} "
                    f"is left for this customer's increase of {amount_text(new - old)}.",
                    field="budget_amount",
                    available=left,
                ) from exc

    # -- association ------------------------------------------------------------------------

    async def record_association_removed(self, customer_id: str) -> None:
        """The customer's association ended: remove its budget, free the reseller's quota and
        keep a DELETE adjustment record (rules.md §2.6.13). Idempotent."""
        await self.engine.lock_customer(customer_id)
        budget = await self.engine.lock_budget(customer_id)
        if budget is None or budget.status != BudgetStatus.ACTIVE:
            return
        await self._remove(budget)

    async def _remove(self, budget: CustomerBudget) -> None:
        owner = await self.partners.get(budget.tenant_id)
        operation_id = new_id()
        if owner is not None and owner.partner_type == PartnerType.RESELLER:
            await self._move_quota(
                reseller_id=owner.partner_id,
                customer_id=budget.customer_id,
                previous=(BudgetType(budget.budget_type), budget.amount),
                wanted=None,
                grant=None,
                operation_id=operation_id,
            )
        self.session.add(
            BudgetRecord(
                id=operation_id,
                tenant_id=budget.tenant_id,
                customer_id=budget.customer_id,
                operation_type=RecordOperation.DELETE,
                budget_type=budget.budget_type,
                budget_amount=budget.amount,
                currency=budget.currency,
                operation_time=self.clock.now(),
                operator=SYSTEM,
                partner_id=budget.tenant_id,
                partner_corp_name=(owner.company_name if owner else "")[:128],
                partner_account_name=(owner.name if owner else "")[:64],
            )
        )
        await self.engine.remove(budget)

    # -- purchases (other domains) ----------------------------------------------------------

    async def reserve(self, customer_id: str, amount: Decimal, purchase_id: str) -> Reservation:
        """Hold list-price budget for a purchase before it is charged; see
        ``BudgetEngine.reserve``."""
        return await self.engine.reserve(customer_id, amount, purchase_id)

    async def commit(self, reservation_id: str, amount: Decimal | None = None) -> Reservation:
        """Charge a reservation (all or part of it); see ``BudgetEngine.commit``."""
        return await self.engine.commit(reservation_id, amount)

    async def release(self, reservation_id: str) -> Reservation:
        """Abandon a reservation; see ``BudgetEngine.release``."""
        return await self.engine.release(reservation_id)

    async def applies_to(self, customer_id: str) -> bool:
        """Whether the customer's purchases go through its budget (reseller model)."""
        return await self.engine.applies_to(customer_id)

    async def budget_of(self, customer_id: str) -> BudgetView:
        """The customer's budget, for the system (no partner scope)."""
        return await self.engine.view(customer_id, currency=self.currency)
