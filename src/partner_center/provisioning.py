"""Operator-side provisioning used by the CLI and the demo: the operator account, partners,
customers, credentials and catalogue imports, each in its own unit of work with the services of
the container."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from partner_center.domains.associations.public import AuthorizationView
from partner_center.domains.budgets.public import BudgetSetting
from partner_center.domains.catalog.public import CatalogImportProgress, ImportReport
from partner_center.domains.customers.public import NewCustomer, PartnerActor
from partner_center.domains.identity.public import AccountKind
from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.db import UnitOfWork
from partner_center.kernel.errors import DomainError
from partner_center.services import Services
from partner_center.state import AppState

OPERATOR_NAME = "operator"


@dataclass(frozen=True)
class Credentials:
    account_id: str
    domain_name: str
    access_key: str
    secret_key: str


async def services(state: AppState, uow: UnitOfWork) -> Services:
    """The container of ``uow`` at the current (sandbox) business time."""
    await state.refresh_clock(uow.session)
    return state.services(uow.session)


async def ensure_operator(state: AppState, *, password: str | None = None) -> str:
    """The single operator (cloud vendor) account; created on first use."""
    async with state.db.unit_of_work() as uow:
        svc = await services(state, uow)
        existing = await svc.identity.get_account_by_name(OPERATOR_NAME)
        if existing is not None:
            return existing.id
        account = await svc.identity.create_account(
            kind=AccountKind.OPERATOR, name=OPERATOR_NAME, admin_password=password
        )
        return account.id


async def create_partner(
    state: AppState,
    *,
    name: str,
    partner_type: PartnerType,
    distributor_id: str | None = None,
    password: str | None = None,
    email: str | None = None,
) -> tuple[Credentials, str]:
    """Onboard a partner and give its administrator an AK/SK. Returns (credentials, xaccount_type)."""
    await ensure_operator(state)
    async with state.db.unit_of_work() as uow:
        svc = await services(state, uow)
        partner = await svc.partners.create_partner(
            name=name,
            partner_type=partner_type,
            distributor_id=distributor_id,
            admin_password=password,
            email=email,
        )
        key = await svc.identity.create_access_key(account_id=partner.partner_id)
    return (
        Credentials(partner.partner_id, partner.name, key.access_key, key.secret_key),
        partner.xaccount_type,
    )


async def admin_actor(svc: Services, partner_id: str) -> PartnerActor:
    """``partner_id``'s administrator, acting as through the API."""
    partner = await svc.partners.get(partner_id)
    if partner is None:
        raise DomainError("CBC.99000047", f"Partner {partner_id} does not exist.")
    admin = await svc.identity.admin_member(partner_id)
    caller = await svc.identity.caller_for(partner_id, admin.id, method="cli")
    return PartnerActor(caller=caller, partner=partner)


async def create_customer(
    state: AppState,
    *,
    partner_id: str,
    xaccount_id: str,
    domain_name: str | None = None,
    domain_area: str | None = None,
    password: str | None = None,
    indirect_partner_id: str | None = None,
    authorize_partner: bool = False,
) -> Credentials:
    """Create a customer of ``partner_id`` as its administrator would through the API, give the
    customer an AK/SK, and optionally have the customer authorize its partner (the reseller when
    ``indirect_partner_id`` is given) through the authorization flow of the API."""
    async with state.db.unit_of_work() as uow:
        svc = await services(state, uow)
        actor = await admin_actor(svc, partner_id)
        created = await svc.customers.create_sub_customer(
            actor,
            NewCustomer(
                xaccount_id=xaccount_id,
                xaccount_type=actor.partner.xaccount_type,
                domain_name=domain_name,
                password=password,
                domain_area=domain_area or ("CN" if state.site == "cn" else "US"),
                indirect_partner_id=indirect_partner_id,
            ),
        )
        key = await svc.identity.create_access_key(account_id=created.domain_id)
        if authorize_partner:
            await _authorize(
                svc, customer_id=created.domain_id, partner_id=indirect_partner_id or partner_id
            )
    return Credentials(created.domain_id, created.domain_name, key.access_key, key.secret_key)


async def set_monthly_budget(
    state: AppState,
    *,
    partner_id: str,
    customer_id: str,
    amount: Decimal,
    indirect_partner_id: str | None = None,
) -> None:
    """Set a customer's monthly budget as its partner's administrator would through the API,
    lifting the purchase restriction a new reseller-model customer starts with."""
    async with state.db.unit_of_work() as uow:
        svc = await services(state, uow)
        await svc.budgets.set_budget(
            await admin_actor(svc, partner_id),
            BudgetSetting(customer_id=customer_id, amount=amount, lift_restrictions=True),
            indirect_partner_id=indirect_partner_id,
        )


async def create_customer_account(
    state: AppState, *, name: str, email: str | None = None, password: str | None = None
) -> Credentials:
    """A customer account associated with no partner yet (it can accept an invitation), with an
    AK/SK for its administrator."""
    async with state.db.unit_of_work() as uow:
        svc = await services(state, uow)
        account = await svc.identity.create_account(
            kind=AccountKind.CUSTOMER,
            name=name,
            email=email.lower() if email else None,
            admin_password=password,
        )
        key = await svc.identity.create_access_key(account_id=account.id)
    return Credentials(account.id, account.name, key.access_key, key.secret_key)


async def create_credentials(state: AppState, *, account_id: str) -> Credentials:
    async with state.db.unit_of_work() as uow:
        svc = await services(state, uow)
        account = await svc.identity.get_account(account_id)
        if account is None:
            raise DomainError("CBC.99000047", f"Account {account_id} does not exist.")
        key = await svc.identity.create_access_key(account_id=account_id)
    return Credentials(account.id, account.name, key.access_key, key.secret_key)


async def _authorize(svc: Services, *, customer_id: str, partner_id: str) -> AuthorizationView:
    """The customer authorizes its partner exactly as through the API, so the authorization
    record exists and the customer can list and revoke it: the partner's administrator asks
    (accepting the commitment letter for operation on customers' behalf), the customer's
    administrator approves, which grants the agency ``assume_role`` checks. Every rule of that
    flow holds (a reseller-model customer of this partner; a reseller needs its distributor's
    permission first)."""
    partner = await svc.partners.get(partner_id)
    customer = await svc.identity.get_account(customer_id)
    if partner is None or customer is None or customer.kind != AccountKind.CUSTOMER:
        raise DomainError("CBC.0100", "Invalid parameter: unknown customer or partner.")
    partner_admin = await svc.identity.admin_member(partner_id)
    partner_caller = await svc.identity.caller_for(partner_id, partner_admin.id, method="cli")
    asked = await svc.authorizations.request(
        PartnerActor(caller=partner_caller, partner=partner),
        customer_id,
        commitment_accepted=True,
    )
    customer_admin = await svc.identity.admin_member(customer_id)
    customer_caller = await svc.identity.caller_for(customer_id, customer_admin.id, method="cli")
    return await svc.authorizations.approve(customer_caller, asked.authorization_id)


async def authorize_partner(state: AppState, *, customer_id: str, partner_id: str) -> str:
    """The customer authorizes the partner (see ``_authorize``); returns the authorization id."""
    async with state.db.unit_of_work() as uow:
        svc = await services(state, uow)
        authorization = await _authorize(svc, customer_id=customer_id, partner_id=partner_id)
        return authorization.authorization_id


async def import_catalog(
    state: AppState,
    raw: Mapping[str, Any],
    *,
    source: str,
    dry_run: bool = False,
    on_progress: CatalogImportProgress | None = None,
) -> ImportReport:
    """Import a catalogue version priced in the site currency, in one unit of work."""
    async with state.work() as svc:
        return await svc.catalog_importer.import_document(
            raw,
            source=source,
            dry_run=dry_run,
            expected_currency=state.settings.currency,
            on_progress=on_progress,
        )


async def import_demo_catalog(state: AppState) -> ImportReport | None:
    """The packaged demo catalogue, on a site that sells in its currency (USD)."""
    async with state.work() as svc:
        return await svc.catalog_importer.import_demo(site_currency=state.settings.currency)
