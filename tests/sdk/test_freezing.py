"""freeze_sub_customers and unfreeze_sub_customers through the official international SDK:
request validation, the partial-failure shape, type matching, the initial purchase restriction,
is_frozen in list_sub_customers, distributors acting for resellers (grants and frozen partners)
and tenancy."""

from __future__ import annotations

import json
from typing import Any

import pytest
from huaweicloudsdkbssintl.v2.model import (
    FreezeSubCustomersReq,
    FreezeSubCustomersRequest,
    ListSubCustomersRequest,
    QuerySubCustomerListReq,
    UnfreezeSubCustomersReq,
    UnfreezeSubCustomersRequest,
)
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from partner_center.domains.customers.public import ControlEventView, ControlState, CustomerControl
from partner_center.domains.partners.public import PartnerType
from partner_center.provisioning import Credentials
from partner_center.state import AppState
from tests.harness import LiveServer, Partner, unique
from tests.sdk.test_resellers import freeze_account, member, operator, put_grants
from tests.signed import signed_request


def freeze(server: LiveServer, creds: Credentials, ids: list[str], **fields: Any) -> Any:
    body = {"customer_ids": ids, "reason": "overdue invoice"} | fields
    return server.intl(creds).freeze_sub_customers(
        FreezeSubCustomersRequest(body=FreezeSubCustomersReq(**body))
    )


def unfreeze(server: LiveServer, creds: Credentials, ids: list[str], **fields: Any) -> Any:
    body = {"customer_ids": ids, "reason": "invoice paid"} | fields
    return server.intl(creds).unfreeze_sub_customers(
        UnfreezeSubCustomersRequest(body=UnfreezeSubCustomersReq(**body))
    )


def failures(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 200
    return [(d.id, d.error_code) for d in response.error_details]


def refused(fn: Any) -> ClientRequestException:
    with pytest.raises(ClientRequestException) as info:
        fn()
    return info.value


def control(server: LiveServer, customer_id: str) -> tuple[ControlState, list[ControlEventView]]:
    async def read(state: AppState) -> tuple[ControlState, list[ControlEventView]]:
        async with state.db.unit_of_work() as uow:
            ctl = CustomerControl(uow.session, clock=state.clock)
            return await ctl.state(customer_id), await ctl.history(customer_id)

    result: tuple[ControlState, list[ControlEventView]] = server._call(read)
    return result


def frozen_flags(server: LiveServer, partner: Partner, **filters: Any) -> dict[str, int]:
    listed = server.intl(partner.creds).list_sub_customers(
        ListSubCustomersRequest(body=QuerySubCustomerListReq(limit=100, **filters))
    )
    return {c.customer_id: c.is_frozen for c in listed.customer_infos}


def referral_customer(server: LiveServer, partner: Partner) -> str:
    body = {
        "xaccount_id": unique("x"),
        "xaccount_type": partner.xaccount_type,
        "domain_area": "US",
        "cooperation_type": "1",
    }
    response = signed_request(
        server.url,
        partner.creds,
        "POST",
        "/v2/partners/sub-customers",
        body=json.dumps(body).encode(),
    )
    assert response.status_code == 200, response.text
    domain_id: str = response.json()["domain_id"]
    return domain_id


def test_freeze_then_unfreeze_with_is_frozen_in_the_customer_list(
    server: LiveServer, csp: Partner
) -> None:
    account, resources, untouched = (server.customer(csp).account_id for _ in range(3))
    assert frozen_flags(server, csp) == {account: 0, resources: 0, untouched: 0}

    done = freeze(server, csp.creds, [account])
    assert failures(done) == []
    done = freeze(server, csp.creds, [resources], freeze_type="ACCOUNT_AND_RESOURCE")
    assert failures(done) == []
    assert frozen_flags(server, csp) == {account: 1, resources: 1, untouched: 0}

    state, history = control(server, account)
    assert (state.freeze_type, state.freeze_reason, state.frozen_by) == (
        "ACCOUNT",
        "overdue invoice",
        csp.id,
    )
    assert [(e.action, e.reason) for e in history] == [("FREEZE", "overdue invoice")]

    assert failures(unfreeze(server, csp.creds, [account], unfreeze_type="ACCOUNT")) == []
    assert (
        failures(unfreeze(server, csp.creds, [resources], unfreeze_type="ACCOUNT_AND_RESOURCE"))
        == []
    )
    assert frozen_flags(server, csp) == {account: 0, resources: 0, untouched: 0}
    state, history = control(server, account)
    assert state.normal
    assert [(e.action, e.reason) for e in history] == [
        ("FREEZE", "overdue invoice"),
        ("UNFREEZE", "invoice paid"),
    ]


def test_partial_failure_shape(server: LiveServer, csp: Partner) -> None:
    other = server.partner(PartnerType.CSP)
    good, also_good, already = (server.customer(csp).account_id for _ in range(3))
    theirs = server.customer(other).account_id
    referral = referral_customer(server, csp)
    freeze(server, csp.creds, [already])
    unknown = "0" * 32

    response = freeze(
        server,
        csp.creds,
        [good, theirs, unknown, good, already, referral, also_good, theirs],
    )
    # One entry per failed customer, in request order; repeated ids are one customer.
    assert failures(response) == [
        (theirs, "CBC.99000035"),
        (unknown, "CBC.99000035"),
        (already, "CBC.30000052"),
        (referral, "CBC.99000035"),
    ]
    assert all(d.error_msg for d in response.error_details)
    raw = json.loads(response.raw_content)
    assert set(raw) == {"error_details"}
    assert set(raw["error_details"][0]) == {"id", "error_code", "error_msg"}
    flags = frozen_flags(server, csp)
    assert (flags[good], flags[also_good], flags[already], flags[referral]) == (1, 1, 1, 0)
    assert frozen_flags(server, other) == {theirs: 0}

    # Every customer failing is still a valid request: 200 with every one listed.
    assert failures(freeze(server, csp.creds, [theirs, unknown])) == [
        (theirs, "CBC.99000035"),
        (unknown, "CBC.99000035"),
    ]


def test_unfreeze_type_must_match(server: LiveServer, csp: Partner) -> None:
    account, resources, normal = (server.customer(csp).account_id for _ in range(3))
    freeze(server, csp.creds, [account])
    freeze(server, csp.creds, [resources], freeze_type="ACCOUNT_AND_RESOURCE")
    assert failures(unfreeze(server, csp.creds, [normal])) == []  # lifts its restriction
    response = unfreeze(server, csp.creds, [account, resources, normal])  # default ACCOUNT
    assert failures(response) == [(resources, "CBC.0100"), (normal, "CBC.0100")]
    assert "ACCOUNT_AND_RESOURCE" in response.error_details[0].error_msg
    assert "not frozen" in response.error_details[1].error_msg
    assert frozen_flags(server, csp) == {account: 0, resources: 1, normal: 0}

    # Escalating is a freeze; going back down is only an unfreeze.
    freeze(server, csp.creds, [account])
    assert failures(freeze(server, csp.creds, [account], freeze_type="ACCOUNT_AND_RESOURCE")) == []
    assert failures(freeze(server, csp.creds, [account])) == [(account, "CBC.30000052")]


def test_new_customers_start_restricted_and_an_account_unfreeze_lifts_it(
    server: LiveServer, csp: Partner
) -> None:
    first, second = (server.customer(csp).account_id for _ in range(2))
    state, _ = control(server, first)
    assert state.restricted and state.freeze_type is None
    assert frozen_flags(server, csp) == {first: 0, second: 0}  # restricted is not frozen

    response = unfreeze(server, csp.creds, [first, second], unfreeze_type="ACCOUNT_AND_RESOURCE")
    assert failures(response) == [(first, "CBC.0100"), (second, "CBC.0100")]
    assert control(server, first)[0].restricted

    assert failures(unfreeze(server, csp.creds, [first])) == []
    state, history = control(server, first)
    assert state.normal
    assert [(e.action, e.reason, e.responsible_partner_id) for e in history] == [
        ("LIFT_RESTRICTION", "invoice paid", csp.id)
    ]
    assert control(server, second)[0].restricted


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"customer_ids": []}, "customer_ids"),
        ({"customer_ids": [f"{i:032x}" for i in range(11)]}, "customer_ids"),
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": "x" * 257}, "reason"),
        ({"freeze_type": ""}, "freeze_type"),
        ({"freeze_type": "account"}, "freeze_type"),
        ({"freeze_type": "RESOURCE"}, "freeze_type"),
        ({"indirect_partner_id": "f" * 65}, "indirect_partner_id"),
    ],
)
def test_invalid_freeze_requests_fail_whole_and_store_nothing(
    server: LiveServer, csp: Partner, fields: dict[str, Any], field: str
) -> None:
    customer = server.customer(csp).account_id
    body = {"customer_ids": [customer]} | fields
    ids = body.pop("customer_ids")
    error = refused(lambda: freeze(server, csp.creds, ids, **body))
    assert (error.status_code, error.error_code) == (400, "CBC.0100")
    assert field in error.error_msg
    assert frozen_flags(server, csp) == {customer: 0}
    assert control(server, customer)[1] == []


@pytest.mark.parametrize(
    "body",
    [
        b'{"reason": "no ids"}',
        b'{"customer_ids": ["abc"]}',
        b'{"customer_ids": "abc", "reason": "r"}',
        b'{"customer_ids": [1], "reason": "r"}',
        b'{"customer_ids": ["abc"], "reason": "r", "unfreeze_type": ""}',
        b"not json",
    ],
)
def test_invalid_unfreeze_bodies(server: LiveServer, csp: Partner, body: bytes) -> None:
    response = signed_request(
        server.url, csp.creds, "POST", "/v2/partners/sub-customers/unfreeze", body=body
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == "CBC.0100"


def test_reason_of_exactly_256_characters_and_ten_ids(server: LiveServer, csp: Partner) -> None:
    ids = [server.customer(csp).account_id for _ in range(10)]
    assert failures(freeze(server, csp.creds, ids, reason="r" * 256)) == []
    assert set(frozen_flags(server, csp).values()) == {1}


def test_distributor_acting_for_its_reseller(
    server: LiveServer, csp: Partner, distributor: Partner, reseller: Partner
) -> None:
    own = server.customer(distributor).account_id
    theirs = server.customer(distributor, reseller=reseller).account_id

    # Without indirect_partner_id only the distributor's own customers are addressed.
    response = freeze(server, distributor.creds, [own, theirs])
    assert failures(response) == [(theirs, "CBC.99000035")]
    assert "indirect_partner_id" in response.error_details[0].error_msg
    response = freeze(server, distributor.creds, [own, theirs], indirect_partner_id=reseller.id)
    assert failures(response) == [(own, "CBC.99000035")]
    assert frozen_flags(server, distributor, indirect_partner_id=reseller.id) == {theirs: 1}
    assert control(server, theirs)[0].frozen_by == distributor.id  # not granted: it acts itself

    other_distributor = server.partner(PartnerType.DISTRIBUTOR)
    for creds, reseller_id in (
        (other_distributor.creds, reseller.id),
        (csp.creds, reseller.id),
        (distributor.creds, other_distributor.id),
        (distributor.creds, "f" * 32),
    ):
        error = refused(
            lambda creds=creds, rid=reseller_id: unfreeze(
                server, creds, [theirs], indirect_partner_id=rid
            )
        )
        assert (error.status_code, error.error_code) == (400, "CBC.99000037")
    assert frozen_flags(server, distributor, indirect_partner_id=reseller.id) == {theirs: 1}

    # An empty indirect_partner_id is no reseller at all.
    assert failures(unfreeze(server, distributor.creds, [own], indirect_partner_id="")) == []


def test_a_frozen_reseller_with_the_grant_cannot_have_customers_unfrozen(
    server: LiveServer, distributor: Partner, reseller: Partner
) -> None:
    customers = [server.customer(distributor, reseller=reseller).account_id for _ in range(2)]
    put_grants(server, distributor, reseller, can_restrict=True)
    assert (
        failures(freeze(server, distributor.creds, customers, indirect_partner_id=reseller.id))
        == []
    )
    assert control(server, customers[0])[0].frozen_by == reseller.id  # made as the reseller
    assert freeze_account(server, distributor.creds, reseller.id).status_code == 200

    error = refused(
        lambda: unfreeze(server, distributor.creds, customers, indirect_partner_id=reseller.id)
    )
    assert (error.status_code, error.error_code) == (403, "CBC.0150")
    assert frozen_flags(server, distributor, indirect_partner_id=reseller.id) == {
        c: 1 for c in customers
    }
    # Freezing stays possible; the rule is about unfreezing.
    more = server.customer(distributor, reseller=reseller).account_id
    assert (
        failures(freeze(server, distributor.creds, [more], indirect_partner_id=reseller.id)) == []
    )

    # Revoking the grant makes the distributor responsible again (rules.md §1.13).
    put_grants(server, distributor, reseller)
    response = unfreeze(server, distributor.creds, customers, indirect_partner_id=reseller.id)
    assert failures(response) == []
    state, history = control(server, customers[0])
    assert state.normal
    assert [(e.action, e.responsible_partner_id) for e in history] == [
        ("FREEZE", reseller.id),
        ("UNFREEZE", distributor.id),
    ]


def test_a_frozen_partner_cannot_unfreeze_its_own_customers(
    server: LiveServer, distributor: Partner, reseller: Partner
) -> None:
    own = server.customer(distributor).account_id
    theirs = server.customer(distributor, reseller=reseller).account_id
    freeze(server, distributor.creds, [own])
    freeze(server, distributor.creds, [theirs], indirect_partner_id=reseller.id)
    platform = operator(server)
    assert freeze_account(server, platform, distributor.id).status_code == 200

    for ids, indirect in (([own], None), ([theirs], reseller.id)):
        error = refused(
            lambda ids=ids, indirect=indirect: unfreeze(
                server, distributor.creds, ids, indirect_partner_id=indirect
            )
        )
        assert (error.status_code, error.error_code) == (403, "CBC.0150")
    assert frozen_flags(server, distributor) == {own: 1}

    assert freeze_account(server, platform, distributor.id, unfreeze=True).status_code == 200
    assert failures(unfreeze(server, distributor.creds, [own])) == []


def test_callers_that_are_refused(
    server: LiveServer, csp: Partner, distributor: Partner, reseller: Partner
) -> None:
    mine = server.customer(csp)
    reseller_customer = server.customer(distributor, reseller=reseller)
    other = server.partner(PartnerType.CSP)

    # Another partner: its request is valid, my customer is just not its customer.
    assert failures(freeze(server, other.creds, [mine.account_id])) == [
        (mine.account_id, "CBC.99000035")
    ]
    # A reseller has no API access of its own, even on its own customer.
    for creds in (reseller.creds, mine):
        for fn in (freeze, unfreeze):
            error = refused(
                lambda fn=fn, creds=creds: fn(
                    server, creds, [mine.account_id, reseller_customer.account_id]
                )
            )
            assert (error.status_code, error.error_code) == (403, "CBC.0151")
    # Members need the permission item for whose customers they act on.
    _, finance = member(server, Partner(csp.creds, csp.xaccount_type), ["FINANCE"])
    error = refused(lambda: freeze(server, finance, [mine.account_id]))
    assert (error.status_code, error.error_code) == (403, "CBC.0151")
    _, operations = member(server, csp, ["OPERATIONS"])
    assert failures(freeze(server, operations, [mine.account_id])) == []
    assert frozen_flags(server, csp) == {mine.account_id: 1}
    assert frozen_flags(server, distributor, indirect_partner_id=reseller.id) == {
        reseller_customer.account_id: 0
    }
