"""NUL and other control characters in request text (issue 8, item 6), through the official SDK:
every string of a body, every query and path parameter is held to one rule (``kernel/text.py``)
and refused with ``CBC.0100`` naming the field, with nothing stored; free-text fields (reasons,
remarks) still take tabs and line breaks. The CLI/provisioning path follows the same rule."""

from __future__ import annotations

from typing import Any

import pytest
from huaweicloudsdkbss.v2 import model as bss_model
from huaweicloudsdkbssintl.v2 import model as m
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from sqlalchemy import func, select

from partner_center.domains.customers.models import Customer, VerificationCode
from partner_center.domains.notifications.models import OutboxMessage
from partner_center.kernel.errors import DomainError
from partner_center.provisioning import create_customer
from partner_center.state import AppState
from tests.harness import LiveServer, Partner, unique
from tests.sdk.test_association_helpers import call, refused
from tests.sdk.test_iam import password_token

#: Characters no single-line field takes: NUL, BEL, line feed, ESC, DEL and a C1 control (NEL).
#: (A lone surrogate, which UTF-8 cannot store, pydantic refuses in any ``str`` already.)
BAD = ["\x00", "\x07", "\n", "\x1b", "\x7f", "\x85"]


def sdk_refused(call_: Any) -> ClientRequestException:
    with pytest.raises(ClientRequestException) as info:
        call_()
    return info.value


def assert_text_refused(error: ClientRequestException, field: str) -> None:
    assert (error.status_code, error.error_code) == (400, "CBC.0100"), error.error_msg
    assert f"Invalid parameter: {field}." in error.error_msg, error.error_msg
    assert "Control characters" in error.error_msg or "surrogate" in error.error_msg


def create_customer_sdk(server: LiveServer, partner: Partner, **fields: Any) -> Any:
    body = {"xaccount_id": unique("x"), "xaccount_type": partner.xaccount_type, "domain_area": "MX"}
    return server.intl(partner.creds).create_sub_customer(
        m.CreateSubCustomerRequest(body=m.CreateCustomerV2Req(**(body | fields)))
    )


def count_rows(server: LiveServer, model: Any, *criteria: Any) -> int:
    async def count(state: AppState) -> int:
        async with state.db.unit_of_work() as uow:
            stmt = select(func.count()).select_from(model).where(*criteria)
            return int((await uow.session.execute(stmt)).scalar_one())

    result: int = server._call(count)
    return result


def customers_of(server: LiveServer, partner: Partner) -> int:
    return count_rows(server, Customer, Customer.tenant_id == partner.id)


@pytest.mark.parametrize("bad", BAD)
def test_xaccount_id_with_a_control_character_is_refused(
    server: LiveServer, csp: Partner, bad: str
) -> None:
    error = sdk_refused(lambda: create_customer_sdk(server, csp, xaccount_id=f"user{bad}1"))
    assert_text_refused(error, "xaccount_id")
    assert customers_of(server, csp) == 0


def test_names_and_email_with_control_characters_are_refused(
    server: LiveServer, csp: Partner
) -> None:
    error = sdk_refused(lambda: create_customer_sdk(server, csp, domain_name="acme\x00corp"))
    assert_text_refused(error, "domain_name")
    error = sdk_refused(
        lambda: create_customer_sdk(
            server, csp, email="buyer\x00@example.com", verification_code="123456"
        )
    )
    assert_text_refused(error, "email")
    assert customers_of(server, csp) == 0
    # printable text beyond ASCII is not what the rule is about
    create_customer_sdk(server, csp, xaccount_id=f"usuário-中文-{unique('ü')}")
    assert customers_of(server, csp) == 1

    # sending a verification code stores the code and queues a message: neither happens
    recipient = f"{unique('buyer')}\x00@example.com"
    error = sdk_refused(
        lambda: server.intl(csp.creds).send_verification_message_code(
            m.SendVerificationMessageCodeRequest(
                body=m.SendVerificationCodeV2Req(receiver_type=2, email=recipient)
            )
        )
    )
    assert_text_refused(error, "email")
    assert count_rows(server, VerificationCode, VerificationCode.tenant_id == csp.id) == 0
    assert count_rows(server, OutboxMessage, OutboxMessage.tenant_id == csp.id) == 0

    # a member's login name (our extension) and the IAM sign-in name
    response = call(server, csp.creds, "POST", "/members", {"name": "ops\x1bm", "roles": ["OPS"]})
    assert "Control characters" in refused(response, 400, "CBC.0100")
    names = [m_["name"] for m_ in call(server, csp.creds, "GET", "/members").json()["members"]]
    assert names == [csp.creds.domain_name]
    signed_in = password_token(server, csp.creds.domain_name, "admin\x00", "whatever-1")
    assert (signed_in.status_code, signed_in.json()["error_code"]) == (400, "CBC.0100")


def test_query_and_path_parameters_with_control_characters_are_refused(
    server: LiveServer, csp: Partner
) -> None:
    error = sdk_refused(
        lambda: server.bss(csp.creds).list_issued_partner_coupons(
            bss_model.ListIssuedPartnerCouponsRequest(customer_id="abc\x00def")
        )
    )
    assert_text_refused(error, "customer_id")
    customer = server.customer(csp)
    error = sdk_refused(
        lambda: server.intl(customer).show_customer_order_details(
            m.ShowCustomerOrderDetailsRequest(order_id="CS\x00123")
        )
    )
    assert_text_refused(error, "order_id")
    # a raw key with a control character is refused too, whatever the handler reads
    response = call(server, csp.creds, "GET", "/members", query="x%07y=1")
    assert "query parameter name" in refused(response, 400, "CBC.0100")


def test_free_text_takes_line_breaks_but_no_other_control_character(
    server: LiveServer, csp: Partner
) -> None:
    customer = server.customer(csp)
    client = server.intl(csp.creds)

    def freeze(reason: str) -> Any:
        return client.freeze_sub_customers(
            m.FreezeSubCustomersRequest(
                body=m.FreezeSubCustomersReq(customer_ids=[customer.account_id], reason=reason)
            )
        )

    error = sdk_refused(lambda: freeze("overdue\x00invoice"))
    assert_text_refused(error, "reason")
    assert "only tabs and line breaks are allowed" in error.error_msg
    listed = client.list_sub_customers(
        m.ListSubCustomersRequest(body=m.QuerySubCustomerListReq(customer_id=customer.account_id))
    )
    assert listed.customer_infos[0].is_frozen == 0  # nothing happened
    done = freeze("overdue invoice\r\n\tsee ticket 42")
    assert done.status_code == 200 and not done.error_details
    listed = client.list_sub_customers(
        m.ListSubCustomersRequest(body=m.QuerySubCustomerListReq(customer_id=customer.account_id))
    )
    assert listed.customer_infos[0].is_frozen == 1


def test_the_cli_path_follows_the_same_rule(server: LiveServer, csp: Partner) -> None:
    with pytest.raises(DomainError) as info:
        server._call(create_customer, partner_id=csp.id, xaccount_id="cli\x00user")
    assert (info.value.code, info.value.details.get("field")) == ("CBC.0100", "xaccount_id")
    assert customers_of(server, csp) == 0
