"""Pay-per-use arrears on a live sandbox server, the operator moving the business clock: the
grace period, the retention period (resources frozen, usage not metered), the release, the
settlement from the next allocation, and the grace-period adjustments of rules.md §2.3.4 and
§2.6.9.

Two balance-funded customers of one partner, A and B, each get 10.00 from the partner and run
an m7.2xlarge.8 Linux VM at 0.416 an hour (demo catalogue, Hong Kong). The operator sets both
grace periods to 0 days before they associate; the reseller-model association raises them to
1 day (§2.3.4). The retention period is 2 days (``PARTNER_CENTER_ON_DEMAND_RETENTION_DAYS``).

* Hours 0–24 (25 × 0.416 = 10.40) are rated at t0+25h: each balance covers 10.00, 0.40 becomes
  arrears, and a case opens: grace until t0+49h, retention until t0+97h.
* The operator raises B's grace period to 3 days while B is in grace: its case is re-timed from
  its start (grace until t0+97h, retention until t0+145h).
* B's partner allocates 20.00 at t0+48h30m: 0.40 pays B's arrears first; at t0+49h B's case is
  settled and its VM runs normally again; hours 25–48 are charged from the balance (9.984).
* A pays nothing: at t0+49h its VM freezes; hours 25–48 (before the freeze) are charged into
  arrears (0.40 + 9.984 = 10.384), hours 49–72 are not metered; at t0+97h the VM is released.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from huaweicloudsdkbssintl.v2.model import (
    ListCustomerOnDemandResourcesRequest,
    ModSubCustomerBudgetReq,
    QueryCustomerOnDemandResourcesReq,
    UpdateSubCustomerBudgetRequest,
)

from partner_center.kernel.clock import parse_utc
from partner_center.provisioning import Credentials, import_demo_catalog
from partner_center.state import AppState
from tests.harness import LiveServer, fresh_server, unique
from tests.sdk.test_association_helpers import (
    accept,
    call,
    create_link,
    customer_account,
    ok,
    operator,
    outbox,
    partner_with_email,
    refused,
)
from tests.sdk.test_association_requests import decide, disassociate
from tests.signed import signed_request

D = Decimal
HK = "ap-southeast-1"
VM_SPEC = "m7.2xlarge.8.linux"
HOUR_MEASURE = 4


def money(value: float) -> Decimal:
    """A JSON amount (2 decimals) as the Decimal it was written from."""
    return D(str(value))


def utc_text(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def raw(server: LiveServer, creds: Credentials, method: str, path: str, body: Any = None) -> Any:
    """A signed call outside ``/v1/partner-center`` (sandbox clock, reference paths)."""
    response = signed_request(
        server.url,
        creds,
        method,
        path,
        body=b"" if body is None else json.dumps(body).encode(),
    )
    assert response.status_code == 200, response.text
    return response.json()


def move_to(server: LiveServer, when: datetime) -> None:
    raw(server, operator(server), "POST", "/v1/sandbox/clock", {"to": utc_text(when)})


def ingest(server: LiveServer, resource_id: str, hours: range, t0: datetime) -> None:
    batch = [
        {
            "record_id": f"{resource_id}:{h}",
            "resource_id": resource_id,
            "usage_type": "Duration",
            "usage_hour": utc_text(t0 + timedelta(hours=h)),
            "quantity": "1",
            "measure_id": HOUR_MEASURE,
        }
        for h in hours
    ]
    report = ok(call(server, operator(server), "POST", "/usage/records", batch))
    assert (report["accepted"], report["rejected"]) == (len(batch), 0), report


def start_vm(server: LiveServer, customer: Credentials) -> httpx.Response:
    body = {
        "region_code": HK,
        "service_type_code": "hws.service.type.ec2",
        "resource_type_code": "hws.resource.type.vm",
        "resource_spec_code": VM_SPEC,
        "resource_name": unique("vm"),
    }
    return call(server, customer, "POST", "/on-demand-resources", body)


def arrears(server: LiveServer, partner_creds: Credentials, customer_id: str) -> Any:
    return ok(call(server, partner_creds, "GET", f"/customers/{customer_id}/arrears"))


def statuses(server: LiveServer, partner_creds: Credentials, customer_id: str) -> list[int]:
    answer = server.intl(partner_creds).list_customer_on_demand_resources(
        ListCustomerOnDemandResourcesRequest(
            body=QueryCustomerOnDemandResourcesReq(customer_id=customer_id)
        )
    )
    return [r.status for r in answer.resources]


def fee_hours(server: LiveServer, partner_creds: Credentials, customer_id: str) -> list[str]:
    fees = ok(
        call(server, partner_creds, "GET", "/usage/fee-records", query=f"customer_id={customer_id}")
    )
    return [f["usage_hour"] for f in fees["fee_records"]]


def balance_and_debt(
    server: LiveServer, partner_creds: Credentials, customer_id: str
) -> tuple[Decimal, Decimal]:
    """The customer's balance and debt as the reference API shows them (list_customers_balances
    _detail)."""
    [row] = raw(
        server,
        partner_creds,
        "POST",
        "/v2/accounts/customer-accounts/balances/batch-query",
        {"customer_infos": [{"customer_id": customer_id}]},
    )["customer_balances"]
    return money(row["amount"]), money(row["debt_amount"])


def subjects(server: LiveServer, creds: Credentials, address: str) -> list[str]:
    return [m["subject"] for m in outbox(server, creds, address)]


async def _catalog(state: AppState) -> None:
    await import_demo_catalog(state)


def test_arrears_grace_then_freeze_then_release_or_settlement() -> None:
    with fresh_server(on_demand_retention_days=2) as server:
        server._call(_catalog)
        op = operator(server)
        csp_email = f"{unique('csp')}@example.com"
        csp = partner_with_email(server, email=csp_email)
        raw(
            server,
            op,
            "POST",
            f"/v1/partner-center/operator/partners/{csp.id}/top-ups",
            {"amount": 100, "channel": "BANK_TRANSFER"},
        )
        emails = {k: f"{unique(k)}@example.com" for k in ("a", "b")}
        customers: dict[str, Credentials] = {}
        for key, email in emails.items():
            customer = customer_account(server, email=email)
            grace_path = f"/operator/customers/{customer.account_id}/on-demand-grace-period"
            set_to_zero = ok(call(server, op, "PUT", grace_path, {"grace_days": 0}))
            assert (set_to_zero["grace_days"], set_to_zero["own_grace_period"]) == (0, True)
            ok(accept(server, customer, create_link(server, csp.creds)["link"]))
            customers[key] = customer
        a, b = customers["a"], customers["b"]
        # §2.3.4: the reseller-model association raised the 0-day grace period to 1 day.
        shown = arrears(server, csp.creds, a.account_id)
        assert shown["grace_days"] == 1
        assert [(x["reason"], x["old_days"], x["new_days"]) for x in shown["adjustments"]] == [
            ("OPERATOR", 15, 0),
            ("ASSOCIATION", 0, 1),
        ]
        assert (money(shown["arrears_amount"]), shown.get("arrears_case")) == (0, None)
        for customer in (a, b):
            # New customers of a partner start restricted until it sets their budget.
            server.intl(csp.creds).update_sub_customer_budget(
                UpdateSubCustomerBudgetRequest(
                    body=ModSubCustomerBudgetReq(
                        customer_id=customer.account_id,
                        budget_amount=D(1000),
                        cancel_partner_frozen="1",
                    )
                )
            )
            raw(
                server,
                csp.creds,
                "POST",
                "/v2/accounts/partner-accounts/adjust-amount",
                {"customer_id": customer.account_id, "amount": 10},
            )

        now = parse_utc(raw(server, op, "GET", "/v1/sandbox/clock")["now"])
        t0 = (now + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
        move_to(server, t0 - timedelta(minutes=10))
        vms = {}
        for key, customer in customers.items():
            vms[key] = ok(start_vm(server, customer))["resource_id"]

        # Hours 0-24 rated at t0+25h: 10.40 each, 0.40 beyond the balance.
        move_to(server, t0 + timedelta(hours=24, minutes=30))
        for key in customers:
            ingest(server, vms[key], range(25), t0)
        move_to(server, t0 + timedelta(hours=25, minutes=5))
        for customer in (a, b):
            case = arrears(server, csp.creds, customer.account_id)
            assert money(case["arrears_amount"]) == D("0.40")
            assert {
                k: case["arrears_case"][k] for k in ("state", "grace_days", "opening_arrears")
            } == {
                "state": "GRACE",
                "grace_days": 1,
                "opening_arrears": 0.4,
            }
            assert parse_utc(case["arrears_case"]["started_at"]) == t0 + timedelta(hours=25)
            assert parse_utc(case["arrears_case"]["grace_until"]) == t0 + timedelta(hours=49)
            assert parse_utc(case["arrears_case"]["retention_until"]) == t0 + timedelta(hours=97)
            assert statuses(server, csp.creds, customer.account_id) == [2]
        assert "Your account is in arrears: 0.40 USD" in subjects(server, a, emails["a"])
        assert any(
            s == f"Customer {a.account_id}: Your account is in arrears: 0.40 USD"
            for s in subjects(server, csp.creds, csp_email)
        )
        # A grace period raised while the case is in grace re-times it from its start.
        retimed = ok(
            call(
                server,
                op,
                "PUT",
                f"/operator/customers/{b.account_id}/on-demand-grace-period",
                {"grace_days": 3},
            )
        )
        assert retimed["adjustments"][-1] == {
            "reason": "OPERATOR",
            "old_days": 1,
            "new_days": 3,
            "adjusted_at": retimed["adjustments"][-1]["adjusted_at"],
        }
        assert parse_utc(retimed["arrears_case"]["grace_until"]) == t0 + timedelta(hours=97)
        assert parse_utc(retimed["arrears_case"]["retention_until"]) == t0 + timedelta(hours=145)
        # A customer in arrears starts nothing new.
        refused(start_vm(server, a), 400, "CBC.99005003")

        # B's partner allocates 20.00 during the grace period: the arrears are paid first.
        move_to(server, t0 + timedelta(hours=48, minutes=30))
        raw(
            server,
            csp.creds,
            "POST",
            "/v2/accounts/partner-accounts/adjust-amount",
            {"customer_id": b.account_id, "amount": 20},
        )
        assert money(arrears(server, csp.creds, b.account_id)["arrears_amount"]) == D("0.00")
        for key in customers:
            ingest(server, vms[key], range(25, 49), t0)
        move_to(server, t0 + timedelta(hours=49, minutes=5))

        settled = arrears(server, csp.creds, b.account_id)
        assert settled["arrears_case"]["state"] == "SETTLED"
        assert parse_utc(settled["arrears_case"]["closed_at"]) == t0 + timedelta(hours=49)
        assert statuses(server, csp.creds, b.account_id) == [1]
        assert "Your arrears are paid" in subjects(server, b, emails["b"])
        assert money(settled["arrears_amount"]) == D("0.00")
        # 10 + 20 - 10.40 - 24 × 0.416 = 9.616
        assert balance_and_debt(server, csp.creds, b.account_id) == (D("9.616"), D(0))

        frozen = arrears(server, csp.creds, a.account_id)
        assert frozen["arrears_case"]["state"] == "FROZEN"
        assert parse_utc(frozen["arrears_case"]["frozen_at"]) == t0 + timedelta(hours=49)
        # Hours 25-48 ran before the freeze: charged, into arrears (0.40 + 24 × 0.416).
        assert money(frozen["arrears_amount"]) == D("10.38")
        assert statuses(server, csp.creds, a.account_id) == [3]
        assert "Your pay-per-use resources are frozen" in subjects(server, a, emails["a"])
        refused(call(server, a, "POST", f"/on-demand-resources/{vms['a']}/close"), 403, "CBC.0151")

        # Usage reported for the frozen hours is not metered.
        move_to(server, t0 + timedelta(hours=72, minutes=30))
        ingest(server, vms["a"], range(49, 73), t0)
        move_to(server, t0 + timedelta(hours=73, minutes=5))
        assert len(fee_hours(server, csp.creds, a.account_id)) == 49
        assert len(fee_hours(server, csp.creds, b.account_id)) == 49
        assert money(arrears(server, csp.creds, a.account_id)["arrears_amount"]) == D("10.38")

        # The retention period ends unpaid: the VM is released; the debt stays.
        move_to(server, t0 + timedelta(hours=97, minutes=5))
        released = arrears(server, csp.creds, a.account_id)
        assert released["arrears_case"]["state"] == "RELEASED"
        assert parse_utc(released["arrears_case"]["closed_at"]) == t0 + timedelta(hours=97)
        assert money(released["arrears_amount"]) == D("10.38")
        assert balance_and_debt(server, csp.creds, a.account_id) == (D(0), D("10.384"))
        assert statuses(server, csp.creds, a.account_id) == [6]
        assert statuses(server, csp.creds, b.account_id) == [1]
        assert "Your pay-per-use resources were released" in subjects(server, a, emails["a"])
        # Still 49 fee records: nothing of the frozen hours was charged after the release.
        assert len(fee_hours(server, csp.creds, a.account_id)) == 49


def test_leaving_the_reseller_model_raises_the_grace_period_to_15_days() -> None:
    with fresh_server() as server:
        op = operator(server)
        csp = partner_with_email(server, email=f"{unique('csp')}@example.com")
        customer = customer_account(server)
        ok(accept(server, customer, create_link(server, csp.creds)["link"]))
        grace_path = f"/operator/customers/{customer.account_id}/on-demand-grace-period"
        refused(call(server, op, "PUT", grace_path, {"grace_days": 366}), 400, "CBC.0100")
        refused(call(server, csp.creds, "PUT", grace_path, {"grace_days": 3}), 403, "CBC.0151")
        ok(call(server, op, "PUT", grace_path, {"grace_days": 3}))
        stranger = partner_with_email(server, email=f"{unique('x')}@example.com")
        refused(
            call(server, stranger.creds, "GET", f"/customers/{customer.account_id}/arrears"),
            400,
            "CBC.99000035",
        )

        request = ok(disassociate(server, csp, customer.account_id))
        ok(decide(server, customer, request["request_id"], "approve"))
        shown = ok(call(server, op, "GET", grace_path))
        assert shown["grace_days"] == 15
        assert [(x["reason"], x["old_days"], x["new_days"]) for x in shown["adjustments"]] == [
            ("OPERATOR", 15, 3),
            ("DISASSOCIATION", 3, 15),
        ]
