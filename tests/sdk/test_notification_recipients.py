"""Recipients of a topic (Message Center > SMS & Email Settings, rules.md §12.1) through our
extension endpoints, signed like every partner call: add, list, remove, validation, who may
manage them, tenant isolation, and a budget alert reaching every channel of every recipient."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from partner_center.domains.associations.public import ASSOCIATION_TOPIC
from partner_center.domains.notifications.public import (
    CUSTOMER_ASSOCIATION,
    MAX_RECIPIENTS_PER_TOPIC,
    PARTNER_BUDGET,
    TOPICS,
    NotificationService,
)
from partner_center.provisioning import Credentials, services
from partner_center.state import AppState
from tests.harness import LiveServer, Partner, unique
from tests.signed import signed_request

PATH = "/v1/notifications/recipients"


def call(
    server: LiveServer, creds: Credentials, method: str, path: str = PATH, **kwargs: Any
) -> httpx.Response:
    body = kwargs.pop("json", None)
    raw = json.dumps(body).encode() if body is not None else kwargs.pop("body", b"")
    return signed_request(server.url, creds, method, path, body=raw, **kwargs)


def add(server: LiveServer, creds: Credentials, **fields: Any) -> httpx.Response:
    body = {"topic": PARTNER_BUDGET, "name": "Finance desk"} | fields
    return call(server, creds, "POST", json={k: v for k, v in body.items() if v is not None})


def listed(server: LiveServer, creds: Credentials, topic: str | None = PARTNER_BUDGET) -> Any:
    response = call(server, creds, "GET", query=f"topic={topic}" if topic else "")
    assert response.status_code == 200, response.text
    return response.json()


def error_of(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error_code"]


async def _member(state: AppState, *, account_id: str, roles: list[str]) -> Credentials:
    async with state.db.unit_of_work() as uow:
        svc = await services(state, uow)
        member = await svc.identity.create_member(
            account_id=account_id, name=unique("member"), roles=roles
        )
        key = await svc.identity.create_access_key(account_id=account_id, member_id=member.id)
    return Credentials(account_id, member.name, key.access_key, key.secret_key)


def member(server: LiveServer, partner: Partner, *roles: str) -> Credentials:
    creds: Credentials = server._call(_member, account_id=partner.id, roles=list(roles))
    return creds


def test_add_list_and_remove_recipients(server: LiveServer, csp: Partner) -> None:
    created = add(server, csp.creds, name=" CFO ", email="CFO@Example.com", mobile="0086-1380013")
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["topic"] == PARTNER_BUDGET
    assert (item["name"], item["email"], item["mobile"]) == (
        "CFO",
        "cfo@example.com",
        "0086-1380013",
    )
    assert item["created_at"].endswith("Z") and len(item["id"]) == 32
    second = add(server, csp.creds, name="Ops", mobile="+8613800138000").json()
    assert "email" not in second

    assert listed(server, csp.creds) == {"recipients": [item, second], "count": 2}
    assert listed(server, csp.creds, topic=None)["count"] == 2

    removed = call(server, csp.creds, "DELETE", f"{PATH}/{item['id']}")
    assert removed.status_code == 204 and removed.content == b""
    assert [r["id"] for r in listed(server, csp.creds)["recipients"]] == [second["id"]]
    again = call(server, csp.creds, "DELETE", f"{PATH}/{item['id']}")
    assert error_of(again) == (400, "CBC.0100")


@pytest.mark.parametrize(
    "fields",
    [
        {"topic": "NEWSLETTER", "email": "a@example.com"},
        {"topic": "", "email": "a@example.com"},
        {"name": "", "email": "a@example.com"},
        {"name": "   ", "email": "a@example.com"},
        {"name": "n" * 129, "email": "a@example.com"},
        {"email": "not-an-address"},
        {"email": "a@example.com", "mobile": "call me"},
        {"mobile": "12"},
        {},
        {"email": "", "mobile": ""},
        {"email": 42},
    ],
)
def test_bad_recipients_are_refused_and_nothing_is_stored(
    server: LiveServer, csp: Partner, fields: dict[str, Any]
) -> None:
    response = add(server, csp.creds, **fields)
    assert error_of(response) == (400, "CBC.0100"), response.text
    assert response.json()["error_msg"]
    assert listed(server, csp.creds)["count"] == 0


def test_a_body_that_is_not_json_is_refused(server: LiveServer, csp: Partner) -> None:
    response = call(server, csp.creds, "POST", body=b"{not json")
    assert error_of(response) == (400, "CBC.0100")


def test_an_address_receives_a_topic_once(server: LiveServer, csp: Partner) -> None:
    assert add(server, csp.creds, email="cfo@example.com").status_code == 201
    duplicate = add(server, csp.creds, name="Again", email="CFO@example.com ")
    assert error_of(duplicate) == (400, "CBC.0100")
    assert "already receives" in duplicate.json()["error_msg"]
    assert add(server, csp.creds, mobile="13800138000").status_code == 201
    assert error_of(add(server, csp.creds, mobile="13800138000")) == (400, "CBC.0100")
    assert listed(server, csp.creds)["count"] == 2


async def _fill(state: AppState, *, partner_id: str, emails: list[str]) -> None:
    async with state.db.unit_of_work() as uow:
        svc = NotificationService(uow.session, clock=state.clock)
        for address in emails:
            await svc.add_recipient(
                tenant_id=partner_id, topic=PARTNER_BUDGET, name="Desk", email=address
            )


def test_a_topic_holds_a_bounded_number_of_recipients(server: LiveServer, csp: Partner) -> None:
    assert add(server, csp.creds, email="r0@example.com").status_code == 201
    others = [f"r{n}@example.com" for n in range(1, MAX_RECIPIENTS_PER_TOPIC)]
    server._call(_fill, partner_id=csp.id, emails=others)
    assert error_of(add(server, csp.creds, email="one-too-many@example.com")) == (400, "CBC.0100")
    assert listed(server, csp.creds)["count"] == MAX_RECIPIENTS_PER_TOPIC


def test_a_partner_sees_and_removes_only_its_own_recipients(
    server: LiveServer, csp: Partner, distributor: Partner
) -> None:
    mine = add(server, csp.creds, email="mine@example.com").json()
    assert listed(server, distributor.creds)["count"] == 0
    assert add(server, distributor.creds, email="mine@example.com").status_code == 201

    stolen = call(server, distributor.creds, "DELETE", f"{PATH}/{mine['id']}")
    assert error_of(stolen) == (400, "CBC.0100")
    assert [r["id"] for r in listed(server, csp.creds)["recipients"]] == [mine["id"]]


def test_finance_members_manage_budget_recipients_and_others_may_not(
    server: LiveServer, csp: Partner
) -> None:
    finance = member(server, csp, "FINANCE")
    manager = member(server, csp, "ACCOUNT_MANAGER")
    created = add(server, finance, email="cfo@example.com")
    assert created.status_code == 201
    assert listed(server, finance)["count"] == 1

    assert error_of(add(server, manager, email="am@example.com")) == (403, "CBC.0151")
    assert error_of(call(server, manager, "GET", query=f"topic={PARTNER_BUDGET}")) == (
        403,
        "CBC.0151",
    )
    assert error_of(call(server, manager, "GET")) == (403, "CBC.0151")
    denied = call(server, manager, "DELETE", f"{PATH}/{created.json()['id']}")
    assert error_of(denied) == (403, "CBC.0151")
    assert listed(server, csp.creds)["count"] == 1

    assert call(server, finance, "DELETE", f"{PATH}/{created.json()['id']}").status_code == 204


def test_resellers_and_customers_cannot_manage_recipients(
    server: LiveServer, csp: Partner, reseller: Partner
) -> None:
    customer = server.customer(csp)
    for creds in (reseller.creds, customer):
        assert error_of(add(server, creds, email="x@example.com")) == (403, "CBC.0151")
        assert error_of(call(server, creds, "GET")) == (403, "CBC.0151")


def test_unsigned_calls_are_rejected(server: LiveServer) -> None:
    response = httpx.get(server.url + PATH)
    assert response.status_code == 401
    assert response.json()["error_code"] == "APIG.0301"


async def _alert(state: AppState, *, partner_id: str) -> int:
    async with state.db.unit_of_work() as uow:
        svc = NotificationService(uow.session, clock=state.clock)
        queued = await svc.notify_topic(
            tenant_id=partner_id,
            topic=PARTNER_BUDGET,
            subject="Budget alert: 90 %",
            body="Customer acme has used 90 % of its monthly budget.",
        )
    return len(queued)


def test_a_budget_alert_reaches_every_channel_of_every_recipient(
    server: LiveServer, csp: Partner, distributor: Partner
) -> None:
    add(server, csp.creds, name="CFO", email="cfo@example.com")
    add(server, csp.creds, name="Ops", email="ops@example.com", mobile="0086-13800138000")
    add(server, distributor.creds, name="Elsewhere", email="other@example.com")

    assert server._call(_alert, partner_id=csp.id) == 3

    log = call(server, csp.creds, "GET", "/v1/notifications/messages")
    assert log.status_code == 200, log.text
    messages = log.json()["messages"]
    assert log.json()["count"] == 3
    assert sorted((m["channel"], m["recipient"]) for m in messages) == [
        ("EMAIL", "cfo@example.com"),
        ("EMAIL", "ops@example.com"),
        ("SMS", "0086-13800138000"),
    ]
    # No SMTP server and no SMS gateway on this server: they wait in the outbox.
    assert {(m["status"], m["attempts"], m["subject"]) for m in messages} == {
        ("QUEUED", 0, "Budget alert: 90 %")
    }
    sms = call(
        server,
        csp.creds,
        "GET",
        "/v1/notifications/messages",
        query="status=QUEUED&recipient=0086-13800138000",
    )
    assert [m["channel"] for m in sms.json()["messages"]] == ["SMS"]
    paged = call(server, csp.creds, "GET", "/v1/notifications/messages", query="offset=1&limit=1")
    assert (paged.json()["count"], len(paged.json()["messages"])) == (3, 1)
    assert call(
        server, csp.creds, "GET", "/v1/notifications/messages", query="status=SENT"
    ).json() == {
        "messages": [],
        "count": 0,
    }
    # The distributor's log holds none of them.
    assert call(server, distributor.creds, "GET", "/v1/notifications/messages").json()["count"] == 0


@pytest.mark.parametrize(
    "query", ["status=DELIVERED", "limit=0", "limit=101", "offset=-1", "limit=ten"]
)
def test_the_delivery_log_rejects_bad_filters(server: LiveServer, csp: Partner, query: str) -> None:
    response = call(server, csp.creds, "GET", "/v1/notifications/messages", query=query)
    assert error_of(response) == (400, "CBC.0100")


def test_only_the_administrator_reads_the_delivery_log(server: LiveServer, csp: Partner) -> None:
    finance = member(server, csp, "FINANCE")
    response = call(server, finance, "GET", "/v1/notifications/messages")
    assert error_of(response) == (403, "CBC.0151")


def test_the_endpoints_are_documented(server: LiveServer) -> None:
    spec = httpx.get(server.url + "/openapi.json", timeout=60).json()
    operations = {
        (path, method): op["operationId"]
        for path, item in spec["paths"].items()
        for method, op in item.items()
    }
    assert operations[(PATH, "get")] == "list_notification_recipients"
    assert operations[(PATH, "post")] == "add_notification_recipient"
    assert operations[(PATH + "/{recipient_id}", "delete")] == "remove_notification_recipient"
    assert operations[("/v1/notifications/messages", "get")] == "list_notification_messages"
    schemas = spec["components"]["schemas"]
    assert {"NewRecipientReq", "RecipientItem", "RecipientList", "MessageList"} <= set(schemas)
    assert set(schemas["NewRecipientReq"]["required"]) == {"topic", "name"}
    post = spec["paths"][PATH]["post"]
    assert set(post["responses"]) >= {"201", "400", "401", "403"}


def test_every_topic_a_domain_notifies_has_manageable_recipients() -> None:
    # The associations domain tells the recipients of its topic; they must be addable here.
    assert {PARTNER_BUDGET, ASSOCIATION_TOPIC} <= set(TOPICS)


def test_each_topic_has_its_own_recipients_and_managers(server: LiveServer, csp: Partner) -> None:
    operations = member(server, csp, "OPERATIONS")
    finance = member(server, csp, "FINANCE")
    added = add(server, operations, topic=CUSTOMER_ASSOCIATION, email="desk@example.com")
    assert added.status_code == 201, added.text
    # The same address may follow another topic too.
    assert add(server, csp.creds, email="desk@example.com").status_code == 201

    assert error_of(add(server, finance, topic=CUSTOMER_ASSOCIATION, email="x@example.com")) == (
        403,
        "CBC.0151",
    )
    assert [r["topic"] for r in listed(server, operations, topic=None)["recipients"]] == [
        CUSTOMER_ASSOCIATION
    ]
    assert [r["topic"] for r in listed(server, finance, topic=None)["recipients"]] == [
        PARTNER_BUDGET
    ]
    assert listed(server, csp.creds, topic=None)["count"] == 2
    assert listed(server, csp.creds, topic=CUSTOMER_ASSOCIATION)["recipients"] == [added.json()]
