"""Demo data for ``make run``: an operator, a CSP, a distributor with a reseller, and customers
for each, with AK/SK for the partners and one customer. The credentials are written to
``<data dir>/demo-credentials.json`` (mode 0600) so ``make run`` can show them again.

In sandbox mode the demo also has a history: the business clock starts on the 1st of the last
month already billed (its bill run, 02:00 on the 5th of the next month, is past), some customers
run pay-per-use VMs every day, and the clock is moved forward to real time through every job on
the way (hourly rating, the bill run on the 5th, credit checks). So the finance pages show a
billed month with an amount due, and the current month shows unbilled use."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from partner_center.domains.partners.public import PartnerType
from partner_center.domains.payments.public import CardInput
from partner_center.domains.usage.public import ResourceSpec
from partner_center.kernel.clock import SandboxClock, format_utc, start_of_month, utc
from partner_center.kernel.db import load_sandbox_state, save_sandbox_state
from partner_center.kernel.sandbox import move_sandbox_clock
from partner_center.provisioning import (
    OPERATOR_NAME,
    create_customer,
    create_partner,
    ensure_operator,
    import_demo_catalog,
    set_monthly_budget,
)
from partner_center.settings import Settings
from partner_center.state import AppState

DEMO_PASSWORD = "Demo-Passw0rd"  # noqa: S105  (documented demo password)

# Pay-per-use VMs of the demo history: (customer xaccount id, specification, hours a day), from
# the demo catalogue (Hong Kong list prices 0.0127 and 0.416 an hour).
DEMO_REGION = "ap-southeast-1"
DEMO_VMS = (
    ("demo-customer-001", "s6.small.1.linux", 24),
    ("demo-customer-002", "m7.2xlarge.8.linux", 8),
    ("demo-customer-003", "s6.small.1.linux", 12),
    ("demo-dist-customer-001", "m7.2xlarge.8.linux", 6),
    ("demo-res-customer-001", "s6.small.1.linux", 24),
    ("demo-res-customer-002", "m7.2xlarge.8.linux", 4),
)
_HOUR_MEASURE = 4
_DAY = timedelta(days=1)
_STEP = 3 * _DAY


def demo_console_accounts() -> list[str]:
    """The demo accounts that sign in to the console with ``DEMO_PASSWORD``."""
    return [OPERATOR_NAME, "demo-csp", "demo-distributor", "demo-reseller", "demo-customer"]


async def _has_partners(state: AppState) -> bool:
    async with state.work() as services:
        return await services.partners.any_exist()


def credentials_file(settings: Settings) -> Path:
    return settings.data_dir / "demo-credentials.json"


def saved_credentials(settings: Settings) -> dict[str, Any] | None:
    path = credentials_file(settings)
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def history_start(now: datetime, state: AppState) -> datetime:
    """The 1st (billing zone) of the latest month whose bill run (02:00 on the 5th of the month
    after) is before ``now``."""
    zone = state.settings.zone
    this_month = start_of_month(zone, now)
    local = this_month.astimezone(zone)
    billed_by = local.replace(day=5, hour=3)
    months_back = 1 if now.astimezone(zone) >= billed_by else 2
    first = local
    for _ in range(months_back):
        first = (first - timedelta(days=1)).replace(day=1)
    return utc(first)


async def _rewind(state: AppState, to: datetime) -> None:
    """Start the sandbox clock of this empty database at ``to``: nothing is stored yet, so no
    record can be dated after it."""
    async with state.db.unit_of_work() as uow:
        clock = SandboxClock(state.wall, await load_sandbox_state(uow.session))
        await save_sandbox_state(uow.session, clock.state_for(to, frozen=False))


async def _play_history(
    state: AppState, start: datetime, owners: dict[str, tuple[str, str | None]], ids: dict[str, str]
) -> int:
    """Run the demo's VMs day by day from ``start`` to real time; returns the usage records.

    Args:
        owners: per customer xaccount id, its partner and reseller.
        ids: per customer xaccount id, its account id.
    """
    operator_id = await ensure_operator(state)
    partners = sorted({partner_id for partner_id, _ in owners.values()})
    async with state.work() as services:
        for partner_id, reseller_id in set(owners.values()):
            if reseller_id is not None:
                await services.partners.set_grants(
                    distributor_id=partner_id,
                    reseller_id=reseller_id,
                    can_set_budget=True,
                    can_restrict=True,
                    can_freeze_resources=False,
                    monthly_quota=Decimal(5000),
                    package_quota=None,
                )
    for xaccount_id, _spec, _hours in DEMO_VMS:
        partner_id, reseller_id = owners[xaccount_id]
        await set_monthly_budget(
            state,
            partner_id=partner_id,
            customer_id=ids[xaccount_id],
            amount=Decimal(500),
            indirect_partner_id=reseller_id,
        )
    async with state.work() as services:
        for partner_id in partners:
            await services.balances.set_consumption_quota(
                partner_id, Decimal(20000), actor_id=operator_id
            )
        vms: list[tuple[str, int]] = []
        for xaccount_id, spec, hours in DEMO_VMS:
            view = await services.usage.start_on_demand(
                ids[xaccount_id],
                ResourceSpec(
                    region_code=DEMO_REGION,
                    service_type_code="hws.service.type.ec2",
                    resource_type_code="hws.resource.type.vm",
                    resource_spec_code=spec,
                    resource_name=f"{xaccount_id}-vm",
                ),
            )
            vms.append((view.resource_id, hours))
    # Three days a step (usage is accepted up to 72 h late): each step moves the clock to the end
    # of its days, running the jobs due on the way, then meters their hours.
    end = state.wall.now()
    day = start
    count = 0
    while day + _STEP <= end:
        await move_sandbox_clock(
            state.db, state.jobs, zone=state.settings.zone, wall=state.wall, to=day + _STEP
        )
        records = [
            {
                "record_id": f"demo:{vm}:{format_utc(hour)}",
                "resource_id": vm,
                "usage_type": "Duration",
                "usage_hour": format_utc(hour),
                "quantity": "1",
                "measure_id": _HOUR_MEASURE,
            }
            for first in range(0, _STEP // _DAY)
            for vm, hours in vms
            for h in range(hours)
            for hour in [day + timedelta(days=first, hours=h)]
        ]
        async with state.work() as services:
            report = await services.usage_ingest.ingest(records)
        count += report.accepted
        day += _STEP
    await move_sandbox_clock(
        state.db, state.jobs, zone=state.settings.zone, wall=state.wall, to=state.wall.now()
    )
    await _pay_overdue_bills(state, partners)
    return count


async def _pay_overdue_bills(state: AppState, partners: list[str]) -> None:
    """The demo partners paid on time: a bill already past its due date is repaid by the
    sandbox test card (so the demo is never overdue nor restricted on its first day, and the
    statements show a repayment); a bill not yet due is left to repay."""
    async with state.work() as services:
        now = services.clock.now()
        year = now.astimezone(state.settings.zone).year
        for partner_id in partners:
            for bill in await services.billing.unpaid_bills(partner_id):
                if bill.due_at > now:
                    continue
                await services.repayments.repay_online(
                    partner_id,
                    bill.remaining_amount,
                    CardInput("4242 4242 4242 4242", 12, year + 2, "123", "Demo Partner"),
                    actor_id=partner_id,
                    idempotency_key=f"demo-{bill.bill_id}",
                )


async def seed_demo(state: AppState, *, if_empty: bool) -> dict[str, Any] | None:
    """Seed once; returns the credentials, or None when data exists and ``if_empty`` is set."""
    start: datetime | None = None
    if await _has_partners(state):
        if if_empty:
            return None
    elif state.sandbox_clock is not None:
        start = history_start(state.wall.now(), state)
        await _rewind(state, start)
    await ensure_operator(state, password=DEMO_PASSWORD)
    csp, csp_platform = await create_partner(
        state, name="demo-csp", partner_type=PartnerType.CSP, password=DEMO_PASSWORD
    )
    dist, _ = await create_partner(
        state, name="demo-distributor", partner_type=PartnerType.DISTRIBUTOR, password=DEMO_PASSWORD
    )
    reseller, _ = await create_partner(
        state,
        name="demo-reseller",
        partner_type=PartnerType.RESELLER,
        distributor_id=dist.account_id,
        password=DEMO_PASSWORD,
    )
    customer = await create_customer(
        state,
        partner_id=csp.account_id,
        xaccount_id="demo-customer-001",
        domain_name="demo-customer",
        password=DEMO_PASSWORD,
        authorize_partner=True,
    )
    ids = {"demo-customer-001": customer.account_id}
    for i in range(2, 6):
        created = await create_customer(
            state,
            partner_id=csp.account_id,
            xaccount_id=f"demo-customer-{i:03d}",
            domain_name=f"demo-customer-{i}",
        )
        ids[f"demo-customer-{i:03d}"] = created.account_id
    for i in range(1, 4):
        created = await create_customer(
            state,
            partner_id=dist.account_id,
            xaccount_id=f"demo-dist-customer-{i:03d}",
            domain_name=f"demo-dist-customer-{i}",
        )
        ids[f"demo-dist-customer-{i:03d}"] = created.account_id
        created = await create_customer(
            state,
            partner_id=dist.account_id,
            xaccount_id=f"demo-res-customer-{i:03d}",
            domain_name=f"demo-res-customer-{i}",
            indirect_partner_id=reseller.account_id,
        )
        ids[f"demo-res-customer-{i:03d}"] = created.account_id

    def entry(creds: Any, **extra: str) -> dict[str, str]:
        return {
            "domain_id": creds.account_id,
            "domain_name": creds.domain_name,
            "access_key": creds.access_key,
            "secret_key": creds.secret_key,
            **extra,
        }

    await import_demo_catalog(state)
    if state.sandbox_clock is not None and start is not None:
        owners = {
            x: (csp.account_id, None)
            if x.startswith("demo-customer")
            else (dist.account_id, reseller.account_id if "-res-" in x else None)
            for x in ids
        }
        await _play_history(state, start, owners, ids)
    result = {
        "csp": entry(csp, xaccount_type=csp_platform),
        "distributor": entry(dist),
        "reseller": entry(reseller),
        "customer": entry(customer),
        "console_password": {"all demo accounts": DEMO_PASSWORD},
    }
    path = credentials_file(state.settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(result, handle, indent=2)
    return result
