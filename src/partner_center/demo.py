"""Demo data for ``make run``: an operator, a CSP, a distributor with a reseller, and customers
for each, with AK/SK for the partners and one customer. The credentials are written to
``<data dir>/demo-credentials.json`` (mode 0600) so ``make run`` can show them again."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from partner_center.domains.partners.public import PartnerType
from partner_center.provisioning import (
    OPERATOR_NAME,
    create_customer,
    create_partner,
    ensure_operator,
    import_demo_catalog,
)
from partner_center.settings import Settings
from partner_center.state import AppState

DEMO_PASSWORD = "Demo-Passw0rd"  # noqa: S105  (documented demo password)


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


async def seed_demo(state: AppState, *, if_empty: bool) -> dict[str, Any] | None:
    """Seed once; returns the credentials, or None when data exists and ``if_empty`` is set."""
    if if_empty and await _has_partners(state):
        return None
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
    for i in range(2, 6):
        await create_customer(
            state,
            partner_id=csp.account_id,
            xaccount_id=f"demo-customer-{i:03d}",
            domain_name=f"demo-customer-{i}",
        )
    for i in range(1, 4):
        await create_customer(
            state,
            partner_id=dist.account_id,
            xaccount_id=f"demo-dist-customer-{i:03d}",
            domain_name=f"demo-dist-customer-{i}",
        )
        await create_customer(
            state,
            partner_id=dist.account_id,
            xaccount_id=f"demo-res-customer-{i:03d}",
            domain_name=f"demo-res-customer-{i}",
            indirect_partner_id=reseller.account_id,
        )

    def entry(creds: Any, **extra: str) -> dict[str, str]:
        return {
            "domain_id": creds.account_id,
            "domain_name": creds.domain_name,
            "access_key": creds.access_key,
            "secret_key": creds.secret_key,
            **extra,
        }

    await import_demo_catalog(state)
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
