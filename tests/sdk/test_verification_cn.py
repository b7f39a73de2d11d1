"""Verification codes on the China site (CURRENCY=CNY) through the official ``huaweicloudsdkbss``
client: SMS codes to Chinese mobile numbers, read from the sandbox outbox (no SMS gateway), then
create_sub_customer with the mobile number and the code (api-semantics.md §3.2)."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from huaweicloudsdkbss.v2 import model as bss
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException

from partner_center.domains.partners.public import PartnerType
from tests.dbutil import create_fresh_database, drop_database, migrate
from tests.harness import LiveServer, Partner, unique
from tests.signed import signed_request


@pytest.fixture(scope="module")
def cn_server() -> Iterator[LiveServer]:
    url, pg_name = asyncio.run(create_fresh_database())
    migrate(url)
    live = LiveServer(url, currency="CNY").start()
    yield live
    live.stop()
    asyncio.run(drop_database(pg_name))


@pytest.fixture
def cn_partner(cn_server: LiveServer) -> Partner:
    return cn_server.partner(PartnerType.CSP)


def a_mobile() -> str:
    return "13" + "".join(secrets.choice("0123456789") for _ in range(9))


def send_sms(server: LiveServer, partner: Partner, mobile: str, **extra: Any) -> Any:
    return server.bss(partner.creds).send_verification_message_code(
        bss.SendVerificationMessageCodeRequest(
            body=bss.SendVerificationCodeV2Req(receiver_type=1, mobile_phone=mobile, **extra)
        )
    )


def outbox(server: LiveServer, partner: Partner, mobile: str) -> list[dict[str, Any]]:
    response = signed_request(
        server.url, partner.creds, "GET", "/v1/sandbox/outbox", query=f"recipient=0086-{mobile}"
    )
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()["messages"]
    return messages


def code_in(message: dict[str, Any]) -> str:
    match = re.search(r"\b(\d{6})\b", message["body"])
    assert match, message["body"]
    return match.group(1)


def create(server: LiveServer, partner: Partner, **fields: Any) -> Any:
    return server.bss(partner.creds).create_sub_customer(
        bss.CreateSubCustomerRequest(
            body=bss.CreateCustomerV2Req(
                xaccount_id=unique("x"), xaccount_type=partner.xaccount_type, **fields
            )
        )
    )


def refused(call: Any) -> ClientRequestException:
    with pytest.raises(ClientRequestException) as info:
        call()
    return info.value


def test_an_sms_code_registers_a_customer_by_mobile(
    cn_server: LiveServer, cn_partner: Partner
) -> None:
    mobile = a_mobile()
    assert send_sms(cn_server, cn_partner, mobile).status_code == 204
    [message] = outbox(cn_server, cn_partner, mobile)
    assert (message["channel"], message["subject"]) == ("SMS", "验证码")
    assert "10 分钟内有效" in message["body"]

    created = create(cn_server, cn_partner, mobile_phone=mobile, verification_code=code_in(message))
    listed = cn_server.bss(cn_partner.creds).list_sub_customers(
        bss.ListSubCustomersRequest(body=bss.QuerySubCustomerListReq(customer_id=created.domain_id))
    )
    [info] = listed.customer_infos
    assert (info.telephone, info.country_code, info.association_type) == (mobile, "0086", "2")


def test_the_0086_prefixed_form_is_the_same_receiver(
    cn_server: LiveServer, cn_partner: Partner
) -> None:
    mobile = a_mobile()
    send_sms(cn_server, cn_partner, f"0086-{mobile}")
    code = code_in(outbox(cn_server, cn_partner, mobile)[0])
    created = create(cn_server, cn_partner, mobile_phone=mobile, verification_code=code)
    assert created.domain_id


def test_a_timeout_over_sixty_minutes_is_five(cn_server: LiveServer, cn_partner: Partner) -> None:
    mobile = a_mobile()
    send_sms(cn_server, cn_partner, mobile, timeout=90, lang="zh-cn")
    assert "5 分钟内有效" in outbox(cn_server, cn_partner, mobile)[0]["body"]
    send_sms(cn_server, cn_partner, mobile, timeout=30, lang="en-us")
    newest = outbox(cn_server, cn_partner, mobile)[0]
    assert newest["subject"] == "Your verification code"
    assert "valid for 30 minutes" in newest["body"]


@pytest.mark.parametrize("mobile", ["0052-5512345678", "23800138000", "1380013800", "phone"])
def test_only_chinese_mobile_numbers_get_sms_codes(
    cn_server: LiveServer, cn_partner: Partner, mobile: str
) -> None:
    error = refused(lambda: send_sms(cn_server, cn_partner, mobile))
    assert (error.status_code, error.error_code) == (400, "CBC.5017")


def test_a_mobile_number_needs_its_code(cn_server: LiveServer, cn_partner: Partner) -> None:
    mobile = a_mobile()
    error = refused(lambda: create(cn_server, cn_partner, mobile_phone=mobile))
    assert (error.status_code, error.error_code) == (400, "CBC.0100")
    error = refused(
        lambda: create(cn_server, cn_partner, mobile_phone=mobile, verification_code="123456")
    )
    assert (error.status_code, error.error_code) == (400, "CBC.99004010")
    send_sms(cn_server, cn_partner, mobile)
    code = code_in(outbox(cn_server, cn_partner, mobile)[0])
    wrong = "111111" if code != "111111" else "222222"
    for _ in range(3):
        error = refused(
            lambda: create(cn_server, cn_partner, mobile_phone=mobile, verification_code=wrong)
        )
        assert error.error_code == "CBC.99004010"
    error = refused(
        lambda: create(cn_server, cn_partner, mobile_phone=mobile, verification_code=code)
    )
    assert error.error_code == "CBC.99004009"


def test_another_partner_cannot_read_or_use_the_code(
    cn_server: LiveServer, cn_partner: Partner
) -> None:
    other = cn_server.partner(PartnerType.CSP)
    mobile = a_mobile()
    send_sms(cn_server, cn_partner, mobile)
    assert outbox(cn_server, other, mobile) == []
    code = code_in(outbox(cn_server, cn_partner, mobile)[0])
    error = refused(lambda: create(cn_server, other, mobile_phone=mobile, verification_code=code))
    assert error.error_code == "CBC.99004010"


def test_the_hourly_send_limit_through_the_sdk(cn_server: LiveServer, cn_partner: Partner) -> None:
    mobile = a_mobile()
    for _ in range(15):
        send_sms(cn_server, cn_partner, mobile)
    error = refused(lambda: send_sms(cn_server, cn_partner, f"0086-{mobile}"))
    assert (error.status_code, error.error_code) == (400, "CBC.99004015")
    assert len(outbox(cn_server, cn_partner, mobile)) == 15
