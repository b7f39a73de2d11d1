"""Reading partner and customer money through the official SDK: partner balances, account change
records and adjust records (filters, trade types, paging), the customer's own balance and
records, the consumption quota (with a fake debt provider, and restricted when exceeded), the
customer's expenditure quota, and tenancy — a partner, a reseller or a customer never reads or
moves anyone else's money."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from huaweicloudsdkbss.v2 import model as bss
from huaweicloudsdkbssintl.v2 import model as intl
from huaweicloudsdkbssintl.v2.model import (
    ModSubCustomerBudgetReq,
    UpdateSubCustomerBudgetRequest,
)
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.balances.public import (
    BalanceService,
    ChargeKind,
    ExpenditureQuota,
    PartnerDebt,
    register_expenditure_source,
    register_partner_debt_source,
)
from partner_center.domains.customers.models import Customer
from partner_center.domains.customers.public import AssociationStatus, AssociationType
from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.clock import local_date_in, parse_utc
from partner_center.kernel.errors import DomainError
from partner_center.provisioning import Credentials, services
from partner_center.state import AppState
from tests.harness import LiveServer, Partner, unique
from tests.sdk.test_balance_helpers import (
    PREFIX,
    D,
    adjust_records,
    allocate,
    assert_books_balance,
    balances,
    customer_balances,
    exact,
    funded,
    operator,
    partner_records,
    reclaim,
    refused,
    set_quota,
    signed,
    top_up,
)
from tests.wiring import Balances

# -- direct service calls, as the orders and associations domains will make them ----------------


def with_balances(server: LiveServer, work: Any) -> Any:
    async def run(state: AppState) -> Any:
        async with state.db.unit_of_work() as uow:
            svc = await services(state, uow)
            balances = Balances(svc)
            return await work(balances, uow.session)

    return server._call(run)


def charge(server: LiveServer, customer_id: str, amount: str, charge_id: str, **kw: Any) -> Any:
    return with_balances(
        server, lambda b, _s: b.charge_customer(customer_id, D(amount), charge_id, **kw)
    )


def disassociate(server: LiveServer, customer_id: str) -> Any:
    """What the associations domain does when an association ends (rules.md §2.6.11)."""

    async def work(balances: BalanceService, session: AsyncSession) -> Any:
        movement = await balances.return_remaining_on_disassociation(customer_id)
        row = await session.get(Customer, customer_id)
        assert row is not None
        row.association_status = AssociationStatus.DISASSOCIATED
        row.disassociated_on = balances.clock.now()
        return movement

    return with_balances(server, work)


def make_referral(server: LiveServer, customer_id: str) -> None:
    async def work(_balances: BalanceService, session: AsyncSession) -> None:
        row = await session.get(Customer, customer_id)
        assert row is not None
        row.association_type = AssociationType.REFERRAL

    with_balances(server, work)


def quota_state(server: LiveServer, partner: Partner) -> Any:
    response = signed(
        server,
        operator(server),
        "GET",
        f"{PREFIX}/operator/partners/{partner.id}/consumption-quota",
    )
    assert response.status_code == 200, response.text
    return response.json()


def consumption_quota(server: LiveServer, partner: Partner) -> Any:
    response = server.intl(partner.creds).show_partner_consumption_quota(
        intl.ShowPartnerConsumptionQuotaRequest()
    )
    return exact(response)


def customer_account(server: LiveServer, customer: Credentials, *, client: str = "bss") -> Any:
    sdk = server.bss(customer) if client == "bss" else server.intl(customer)
    model = bss if client == "bss" else intl
    return exact(sdk.show_customer_account_balances(model.ShowCustomerAccountBalancesRequest()))


def customer_records(server: LiveServer, customer: Credentials, **query: Any) -> Any:
    query.setdefault("balance_type", "BALANCE_TYPE_DEBIT")
    return exact(
        server.bss(customer).list_customer_account_change_records(
            bss.ListCustomerAccountChangeRecordsRequest(**query)
        )
    )


# -- partner balances and records ----------------------------------------------------------------


def test_a_new_partner_has_zero_cash_and_credit(server: LiveServer, csp: Partner) -> None:
    rows = balances(server, csp)
    assert rows[1]["amount"] == D("0.00")
    assert rows[1]["designated_amount"] == D("0.00")
    assert "credit_amount" not in rows[1]
    assert (rows[2]["amount"], rows[2]["credit_amount"]) == (D("0.00"), D("0.00"))
    assert rows[1]["account_id"] != rows[2]["account_id"]
    assert {r["measure_id"] for r in rows.values()} == {1}
    assert {r["currency"] for r in rows.values()} == {"USD"}


def test_top_ups_quota_and_balances(server: LiveServer, csp: Partner) -> None:
    first = top_up(server, csp, "1000.10", reference="BT-778")
    assert first.status_code == 200, first.text
    assert first.json()["amount"] == 1000.10 and first.json()["replayed"] is False
    assert top_up(server, csp, "200", designated=True, channel="ONLINE_PAYMENT").status_code == 200
    assert set_quota(server, csp, "5000.00").status_code == 200
    rows = balances(server, csp)
    assert (rows[1]["amount"], rows[1]["designated_amount"]) == (D("1200.10"), D("200.00"))
    assert (rows[2]["amount"], rows[2]["credit_amount"]) == (D("5000.00"), D("5000.00"))

    # The operator's top-up is idempotent with its key, and validated like any amount.
    again = top_up(server, csp, "1000.10", key="bank-ref-1")
    assert top_up(server, csp, "1000.10", key="bank-ref-1").json() == {
        **again.json(),
        "replayed": True,
    }
    assert top_up(server, csp, "999.00", key="bank-ref-1").json()["error_code"] == "CBC.99007009"
    assert balances(server, csp)[1]["amount"] == D("2200.20")
    for bad in ("1.001", "0", "-1"):
        assert top_up(server, csp, bad).json()["error_code"] == "CBC.0100"
    assert top_up(server, csp, "40000.01", channel="ONLINE_PAYMENT").status_code == 400
    assert top_up(server, csp, "40000.01", channel="BANK_TRANSFER").status_code == 200
    assert top_up(server, csp, "1", channel="CHEQUE").json()["error_code"] == "CBC.0100"

    # Only the operator tops up or sets quotas; a reseller has no account with the operator.
    response = signed(
        server,
        csp.creds,
        "PUT",
        f"{PREFIX}/operator/partners/{csp.id}/consumption-quota",
        {"consumption_quota": 1},
    )
    assert (response.status_code, response.json()["error_code"]) == (403, "CBC.0151")
    distributor = server.partner(PartnerType.DISTRIBUTOR)
    reseller = server.partner(PartnerType.RESELLER, distributor=distributor)
    assert top_up(server, reseller, "1.00").json()["error_code"] == "CBC.0100"
    unknown = Partner(Credentials("0" * 32, "nobody", "", ""), "")
    assert top_up(server, unknown, "1.00").json()["error_code"] == "CBC.99000047"
    assert set_quota(server, csp, "-1").json()["error_code"] == "CBC.0100"


def test_account_change_records(server: LiveServer, csp: Partner) -> None:
    customer = server.customer(csp)
    funded(server, csp, "1000.00")
    allocated = allocate(server, csp, customer.account_id, "300.25").transfer_id
    reclaimed = reclaim(server, csp, customer.account_id, "100.00").trans_id
    set_quota(server, csp, "800.00")

    page = partner_records(server, csp)
    assert page["total_count"] == 3 and page["currency"] == "USD"
    newest, middle, oldest = page["records"]
    assert (newest["trade_detail_type"], newest["type"]) == ("SOURCE_OPERATION_BERETRIEVE", "1")
    assert (newest["change_amount"], newest["balance_after_change"]) == ("100.00", "799.75")
    assert (newest["trade_id"], newest["customer_id"]) == (reclaimed, customer.account_id)
    assert newest["account_name"] == customer.domain_name
    assert (middle["trade_detail_type"], middle["type"]) == ("SOURCE_OPERATION_BEADJUST", "2")
    assert (middle["change_amount"], middle["balance_after_change"]) == ("300.25", "699.75")
    assert middle["trade_id"] == allocated
    assert (oldest["trade_detail_type"], oldest["type"]) == ("SOURCE_OPERAIION_RECHARGE", "1")
    assert (oldest["balance_after_change"], oldest.get("customer_id")) == ("1000.00", None)
    assert newest["trade_time"].endswith("Z")

    credit = partner_records(server, csp, balance_type="BALANCE_TYPE_CREDIT")
    assert [
        (r["trade_detail_type"], r["change_amount"], r["balance_after_change"])
        for r in credit["records"]
    ] == [("SOURCE_OPERAIION_ADJUST_CREDIT", "800.00", "800.00")]

    only = partner_records(server, csp, trade_type="BEADJUST")
    assert [r["trade_id"] for r in only["records"]] == [allocated]
    assert partner_records(server, csp, trade_type="")["total_count"] == 3
    assert partner_records(server, csp, trade_type="BEUNBIND")["total_count"] == 0
    second = partner_records(server, csp, offset=1, limit=1)
    assert second["total_count"] == 3 and [r["trade_id"] for r in second["records"]] == [allocated]

    today = local_date_in(server.settings.zone, server.state.clock.now())
    assert (
        partner_records(server, csp, trade_time_begin=today, trade_time_end=today)["total_count"]
        == 3
    )
    assert partner_records(server, csp, trade_time_end="2000-01-01")["total_count"] == 0


@pytest.mark.parametrize(
    "query",
    [
        {"balance_type": "CASH"},
        {"trade_type": "SHOPPING"},
        {"trade_time_begin": "2026/01/01"},
        {"trade_time_begin": "2026-02-30"},
        {"trade_time_begin": "2026-03-02", "trade_time_end": "2026-03-01"},
        {"limit": 101},
        {"offset": -1},
    ],
)
def test_account_change_record_filters_are_validated(
    server: LiveServer, csp: Partner, query: dict[str, Any]
) -> None:
    error = refused(lambda: partner_records(server, csp, **query))
    assert (error.status_code, error.error_code) == (400, "CBC.0100")


def test_adjust_records(server: LiveServer, distributor: Partner, reseller: Partner) -> None:
    own = server.customer(distributor, name=None)
    theirs = server.customer(distributor, reseller=reseller)
    funded(server, distributor, "900.00")
    to_own = allocate(server, distributor, own.account_id, "100.00").transfer_id
    to_reseller = (
        server.bss(distributor.creds)
        .update_indirect_partner_account(
            bss.UpdateIndirectPartnerAccountRequest(
                body=bss.AdjustToIndirectPartnerReq(indirect_partner_id=reseller.id, amount=D(50))
            )
        )
        .transfer_id
    )
    back = reclaim(server, distributor, own.account_id, "40.00").trans_id
    by_reseller = allocate(
        server, distributor, theirs.account_id, "20.00", indirect=reseller
    ).transfer_id

    mine = adjust_records(server, distributor)
    assert mine["total_count"] == 3
    assert [r["trans_id"] for r in mine["records"]] == [back, to_reseller, to_own]
    newest = mine["records"][0]
    assert newest["operation_type"] == "SOURCE_OPERATION_BERETRIEVE"
    assert (newest["amount"], newest["currency"], newest["measure_id"]) == ("40.00", "USD", 1)
    assert (newest["customer_id"], newest["customer_name"]) == (own.account_id, own.domain_name)
    assert mine["records"][1]["customer_id"] == reseller.id

    beadjust = adjust_records(server, distributor, operation_type="SOURCE_OPERATION_BEADJUST")
    assert [r["trans_id"] for r in beadjust["records"]] == [to_reseller, to_own]
    assert adjust_records(server, distributor, customer_id=reseller.id)["total_count"] == 1
    assert adjust_records(server, distributor, trans_id=to_own)["records"][0]["amount"] == "100.00"
    assert (
        adjust_records(server, distributor, operation_time_end="2000-01-01T00:00:00Z")[
            "total_count"
        ]
        == 0
    )
    resellers = adjust_records(server, distributor, indirect_partner_id=reseller.id)
    assert [r["trans_id"] for r in resellers["records"]] == [by_reseller]
    assert (
        adjust_records(server, distributor, limit=1, offset=2)["records"][0]["trans_id"] == to_own
    )
    for query in ({"operation_type": "SOURCE_OPERATION_GIFT"}, {"operation_time_begin": "today"}):
        error = refused(lambda q=query: adjust_records(server, distributor, **q))
        assert error.error_code == "CBC.0100"


# -- customers' own view -------------------------------------------------------------------------


def test_customer_sees_its_allocated_balance_on_both_clients(
    server: LiveServer, csp: Partner
) -> None:
    customer = server.customer(csp)
    # A reseller-model customer its partner never funded has no balance of its own.
    for client in ("bss", "intl"):
        error = refused(lambda c=client: customer_account(server, customer, client=c))
        assert (error.status_code, error.error_code) == (400, "CBC.99000049")
    funded(server, csp, "80.00")
    allocate(server, csp, customer.account_id, "75.50")
    for client in ("bss", "intl"):
        view = customer_account(server, customer, client=client)
        (account,) = view["account_balances"]
        assert (account["account_type"], account["amount"]) == (1, D("75.50"))
        assert (view["debt_amount"], view["measure_id"], view["currency"]) == (D("0.00"), 1, "USD")
    # Partner credentials cannot call the customer's own API.
    error = refused(
        lambda: server.bss(csp.creds).show_customer_account_balances(
            bss.ShowCustomerAccountBalancesRequest()
        )
    )
    assert (error.status_code, error.error_code) == (403, "CBC.0151")


def test_customer_records_after_disassociation(server: LiveServer, csp: Partner) -> None:
    customer = server.customer(csp)
    funded(server, csp, "100.00")
    allocated = allocate(server, csp, customer.account_id, "60.00").transfer_id
    order = unique("order")
    charge(server, customer.account_id, "12.34567891", order)
    # A partner's reseller-model customer cannot read income and expense records.
    error = refused(lambda: customer_records(server, customer))
    assert (error.status_code, error.error_code) == (400, "CBC.99000084")

    returned = disassociate(server, customer.account_id)
    assert returned.amount == D("47.65432109")
    assert disassociate(server, customer.account_id).id == returned.id  # idempotent

    records = customer_records(server, customer)
    assert records["total_count"] == 3
    unbind, spend, income = records["records"]
    assert (unbind["trade_detail_type"], unbind["revenue_expense_type"]) == (
        "SOURCE_OPERATION_BEUNBIND",
        "EXPENSE",
    )
    assert (unbind["change_amount"], unbind["balance_after_change"]) == ("47.65432109", "0.00")
    assert (spend["trade_detail_type"], spend["change_amount"]) == (
        "SOURCE_OPERAIION_DEDEUCT",
        "12.34567891",
    )
    assert spend["trade_id"] == order
    assert (income["trade_id"], income["balance_after_change"]) == (allocated, "60.00")
    cycle = local_date_in(server.settings.zone, parse_utc(income["trade_time"]))[:7]
    assert income["bill_cycle"] == cycle
    assert customer_records(server, customer, revenue_expense_type="REVENUE")["total_count"] == 1
    assert customer_records(server, customer, trade_type="BEUNBIND")["total_count"] == 1
    assert customer_records(server, customer, trade_id=order)["total_count"] == 1
    assert customer_records(server, customer, payment_channel_id="2,4")["total_count"] == 0
    assert (
        customer_records(server, customer, balance_type="BALANCE_TYPE_CREDIT")["total_count"] == 0
    )
    for query in ({"revenue_expense_type": "GIFT"}, {"payment_channel_id": "99"}):
        error = refused(lambda q=query: customer_records(server, customer, **q))
        assert error.error_code == "CBC.0100"

    unbound = partner_records(server, csp, trade_type="BEUNBIND")["records"]
    assert [(r["change_amount"], r["balance_after_change"]) for r in unbound] == [
        ("47.65432109", "87.65432109")
    ]
    assert (
        adjust_records(server, csp, operation_type="SOURCE_OPERATION_BEUNBIND")["records"][0][
            "amount"
        ]
        == "47.65432109"
    )
    # The former customer now sees its own (empty) balance.
    assert customer_account(server, customer)["account_balances"][0]["amount"] == D("0.00")
    assert_books_balance(server)


# -- consumption quota (intl) ----------------------------------------------------------------------


class FakeDebt:
    """Billing's figures, as the billing domain will register them."""

    async def partner_debt(
        self, session: AsyncSession, *, partner_id: str, currency: str, as_of: datetime
    ) -> PartnerDebt:
        return PartnerDebt(
            due_amount=D("300.10"), unbilled_amount=D("45.455"), coupon_amount=D("20.05")
        )


def test_consumption_quota_formula_with_a_debt_provider(server: LiveServer, csp: Partner) -> None:
    funded(server, csp, "100.00")
    set_quota(server, csp, "1000")
    register_partner_debt_source(FakeDebt())
    try:
        quota = consumption_quota(server, csp)
    finally:
        register_partner_debt_source(None)
    assert quota == {
        "consumption_quota": "1000.00",
        "amount": "100.00",
        "coupon_amount": "20.05",
        "due_amount": "300.10",
        "unbilled_amount": "45.46",
        # 300.10 + 45.46 − 100.00 − 20.05
        "used_consumption_quota": "225.51",
        "measure_id": 1,
        "currency": "USD",
    }
    # Without a provider, the ledger's own postpaid consumption is the unbilled amount.
    plain = consumption_quota(server, csp)
    assert (plain["unbilled_amount"], plain["used_consumption_quota"]) == ("0.00", "-100.00")


def test_exceeding_the_consumption_quota_restricts_purchases(
    server: LiveServer, distributor: Partner, reseller: Partner
) -> None:
    set_quota(server, distributor, "100.00")
    own = server.customer(distributor).account_id
    resellers = server.customer(distributor, reseller=reseller).account_id
    # Postpaid purchases of its own and its resellers' customers draw on its credit line.
    charge(server, own, "60", unique("buy"))
    charge(server, resellers, "30", unique("buy"))
    quota = consumption_quota(server, distributor)
    assert (quota["unbilled_amount"], quota["used_consumption_quota"]) == ("90.00", "90.00")
    assert balances(server, distributor)[2]["amount"] == D("10.00")
    # A purchase that would go over the quota is refused and changes nothing.
    with pytest.raises(DomainError) as info:
        charge(server, own, "10.01", unique("buy"))
    assert info.value.code == "CBC.99005003"
    assert quota_state(server, distributor)["restricted"] is False
    # Usage that already happened is always recorded; going over restricts.
    charge(server, resellers, "15", unique("use"), kind=ChargeKind.USAGE)
    state = quota_state(server, distributor)
    assert (state["used_consumption_quota"], state["restricted"]) == ("105.00", True)
    own_view = signed(server, distributor.creds, "GET", f"{PREFIX}/consumption-quota").json()
    assert own_view == state
    with pytest.raises(DomainError) as info:
        charge(server, own, "0.01", unique("buy"))
    assert info.value.code == "CBC.99003656"
    with pytest.raises(DomainError) as info:
        with_balances(server, lambda b, _s: b.ensure_purchase_allowed(resellers))
    assert info.value.code == "CBC.99003656"
    credit = partner_records(server, distributor, balance_type="BALANCE_TYPE_CREDIT")
    assert [r["balance_after_change"] for r in credit["records"]] == [
        "-5.00",
        "10.00",
        "40.00",
        "100.00",
    ]
    assert credit["records"][0]["customer_id"] == resellers
    # Cash offsets what is owed: a top-up brings it back within the quota (used 99.99).
    funded(server, distributor, "5.01")
    assert quota_state(server, distributor)["restricted"] is False
    assert charge(server, own, "0.01", unique("buy")).captured_amount == D("0.01")
    with pytest.raises(DomainError) as info:
        charge(server, own, "0.01", unique("buy"))
    assert info.value.code == "CBC.99005003"
    assert_books_balance(server)


def test_expenditure_quota_of_a_customer(server: LiveServer, csp: Partner) -> None:
    customer = server.customer(csp)
    client = server.intl(customer)

    def show() -> Any:
        return exact(
            client.show_customer_expenditure_quota(intl.ShowCustomerExpenditureQuotaRequest())
        )

    assert show() == {
        "granting_amount": D("0.00"),
        "granting_amount_used": D("0.00"),
        "percentage_granting_amount_used": D("0.00"),
        "measure_id": 1,
        "currency": "USD",
    }
    server.intl(csp.creds).update_sub_customer_budget(
        UpdateSubCustomerBudgetRequest(
            body=ModSubCustomerBudgetReq(customer_id=customer.account_id, budget_amount=D("300.00"))
        )
    )
    assert show()["granting_amount"] == D("300.00")

    class FakeBudget:
        async def monthly_expenditure(
            self, session: AsyncSession, *, customer_id: str, as_of: datetime
        ) -> ExpenditureQuota:
            return ExpenditureQuota(granting_amount=D("200.00"), used_amount=D("50.50"))

    register_expenditure_source(FakeBudget())
    try:
        view = show()
    finally:
        register_expenditure_source(None)
    assert (view["granting_amount_used"], view["percentage_granting_amount_used"]) == (
        D("50.50"),
        D("25.25"),
    )
    referral = server.customer(csp)
    make_referral(server, referral.account_id)
    error = refused(
        lambda: server.intl(referral).show_customer_expenditure_quota(
            intl.ShowCustomerExpenditureQuotaRequest()
        )
    )
    assert error.error_code == "CBC.5024"
    error = refused(
        lambda: server.intl(csp.creds).show_customer_expenditure_quota(
            intl.ShowCustomerExpenditureQuotaRequest()
        )
    )
    assert (error.status_code, error.error_code) == (403, "CBC.0151")


# -- tenancy -------------------------------------------------------------------------------------


def test_nobody_reads_or_moves_someone_elses_money(
    server: LiveServer, csp: Partner, distributor: Partner, reseller: Partner
) -> None:
    customer = server.customer(csp)
    funded(server, csp, "70.00")
    transfer = allocate(server, csp, customer.account_id, "70.00").transfer_id

    other = server.partner(PartnerType.CSP)
    assert balances(server, other)[1]["amount"] == D("0.00")
    assert customer_balances(server, other, customer.account_id) == {}
    assert partner_records(server, other)["total_count"] == 0
    assert adjust_records(server, other, trans_id=transfer)["total_count"] == 0
    assert adjust_records(server, other, customer_id=customer.account_id)["total_count"] == 0
    assert refused(lambda: reclaim(server, other, customer.account_id, "1")).error_code == (
        "CBC.99000035"
    )
    # A distributor reads only its own resellers; a reseller and a customer read nothing here.
    other_distributor = server.partner(PartnerType.DISTRIBUTOR)
    for call in (
        lambda: balances(server, other_distributor, indirect=reseller),
        lambda: partner_records(server, other_distributor, indirect_partner_id=reseller.id),
        lambda: adjust_records(server, other_distributor, indirect_partner_id=reseller.id),
        lambda: customer_balances(server, other_distributor, "x", indirect=reseller),
        lambda: balances(server, csp, indirect=reseller),
    ):
        assert refused(call).error_code == "CBC.99000037"
    for creds in (reseller.creds, customer):
        error = refused(
            lambda c=creds: server.bss(c).list_partner_balances(bss.ListPartnerBalancesRequest())
        )
        assert (error.status_code, error.error_code) == (403, "CBC.0151")
        error = refused(
            lambda c=creds: server.intl(c).show_partner_consumption_quota(
                intl.ShowPartnerConsumptionQuotaRequest()
            )
        )
        assert error.error_code == "CBC.0151"
    # A customer reads only itself: its credentials name the account.
    neighbour = server.customer(csp)
    assert refused(lambda: customer_account(server, neighbour)).error_code == "CBC.99000049"
    assert customer_account(server, customer)["account_balances"][0]["amount"] == D("70.00")
    # The operator's endpoints are the operator's.
    response = signed(server, csp.creds, "GET", f"{PREFIX}/operator/balances/statements/verify")
    assert response.status_code == 403
    proof = signed(server, operator(server), "GET", f"{PREFIX}/operator/balances/statements/verify")
    assert proof.json() == {"ok": True, "problems": []}


def test_ending_an_association_returns_the_remaining_balance(
    server: LiveServer, csp: Partner
) -> None:
    """Through the associations domain's own flow: its hook runs our BEUNBIND return."""
    customer = server.customer(csp)
    funded(server, csp, "90.00")
    allocate(server, csp, customer.account_id, "90.00")
    charge(server, customer.account_id, "15.50", unique("order"))
    held = unique("order")
    charge(server, customer.account_id, "4.50", held, hold=True)

    body = {"reason": "contract ended", "statement_accepted": True}
    filed = signed(
        server, csp.creds, "POST", f"{PREFIX}/customers/{customer.account_id}/disassociations", body
    )
    assert filed.status_code == 200, filed.text
    request_id = filed.json()["request_id"]
    decided = signed(server, customer, "POST", f"{PREFIX}/disassociations/{request_id}/approve")
    assert decided.status_code == 200, decided.text

    # 90 − 15.50 spent − 4.50 still held = 70.00 back to the partner; the hold stays until
    # the charging domain resolves it.
    assert balances(server, csp)[1]["amount"] == D("70.00")
    (record,) = adjust_records(server, csp, operation_type="SOURCE_OPERATION_BEUNBIND")["records"]
    assert (record["customer_id"], record["amount"]) == (customer.account_id, "70.00")
    # Released after the customer left, the hold's money follows the rest to the partner.
    with_balances(server, lambda b, _s: b.release_charge(held))
    assert balances(server, csp)[1]["amount"] == D("74.50")
    assert customer_account(server, customer)["account_balances"][0]["amount"] == D("0.00")
    returns = adjust_records(server, csp, operation_type="SOURCE_OPERATION_BEUNBIND")["records"]
    assert [r["amount"] for r in returns] == ["4.50", "70.00"]
    assert_books_balance(server)
