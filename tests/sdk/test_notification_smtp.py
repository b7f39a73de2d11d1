"""E-mail delivery over real SMTP (aiosmtpd on a loopback port): the sender on its own (plain,
STARTTLS with login, refusals, an unreachable server), then end to end: a server configured
with SMTP sends a verification code requested through the official SDK, and the code read from
the received mail creates the customer."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import ipaddress
import re
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from huaweicloudsdkbss.v2 import model as bss_model
from huaweicloudsdkbssintl.v2.model import (
    CreateCustomerV2Req,
    CreateSubCustomerRequest,
    ListSubCustomersRequest,
    QuerySubCustomerListReq,
    SendVerificationCodeV2Req,
    SendVerificationMessageCodeRequest,
)

from partner_center.domains.notifications.public import (
    Channel,
    DeliveryError,
    OutgoingMessage,
    SmtpConfig,
    SmtpSender,
)
from partner_center.domains.partners.public import PartnerType
from tests.dbutil import create_fresh_database, drop_database, migrate
from tests.harness import LiveServer, free_port, unique
from tests.signed import signed_request

WHEN = dt.datetime(2026, 5, 4, 3, 2, 1, tzinfo=dt.UTC)


@dataclass
class Inbox:
    """An aiosmtpd handler keeping every accepted message; ``refuse_rcpt`` answers RCPT TO."""

    received: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    refuse_rcpt: str | None = None
    arrived: threading.Event = field(default_factory=threading.Event)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        self.arrived.set()
        return "250 Message accepted for delivery"

    def wait_for(self, recipient: str, timeout: float = 15.0) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for _, rcpt_tos, message in self.received:
                if recipient in rcpt_tos:
                    return message
            self.arrived.wait(0.05)
            self.arrived.clear()
        raise AssertionError(f"no mail for {recipient} within {timeout} s")


def authenticator(inbox: Inbox) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"mailer",
            b"s3cret",
        )
        if ok:
            inbox.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)

    return check


@dataclass
class Certificate:
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert_file))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(cert_file, key_file)


def start_smtp(inbox: Inbox, **options: Any) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    return controller


@pytest.fixture
def plain_smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = start_smtp(inbox)
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def tls_smtp(certificate: Certificate) -> Iterator[tuple[Inbox, int]]:
    """STARTTLS required before anything else; login required, and only over TLS."""
    inbox = Inbox()
    controller = start_smtp(
        inbox,
        tls_context=certificate.server_context(),
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=authenticator(inbox),
    )
    yield inbox, controller.port
    controller.stop()


def outgoing(recipient: str, *, subject: str = "Budget alert", body: str = "90 % used") -> Any:
    return OutgoingMessage(
        id="0192f3a4b5c6d7e8f90123456789abcd",
        channel=Channel.EMAIL,
        recipient=recipient,
        subject=subject,
        body=body,
        queued_at=WHEN,
        attempted_at=WHEN,
    )


def send(sender: SmtpSender, message: OutgoingMessage) -> None:
    asyncio.run(sender.send(message))


def test_plain_smtp_delivers_a_utf8_message_with_stable_headers(
    plain_smtp: tuple[Inbox, int],
) -> None:
    inbox, port = plain_smtp
    sender = SmtpSender(SmtpConfig(host="127.0.0.1", port=port, mail_from="pc@example.com"))
    send(
        sender,
        outgoing(
            "buyer@example.com",
            subject="验证码\r\nBcc: evil@example.com",
            body="您的验证码是 123456",
        ),
    )
    [(mail_from, rcpt_tos, message)] = inbox.received
    assert (mail_from, rcpt_tos) == ("pc@example.com", ["buyer@example.com"])
    assert message["From"] == "pc@example.com"
    assert message["To"] == "buyer@example.com"
    # A line break cannot smuggle in another header.
    assert message["Subject"] == "验证码 Bcc: evil@example.com"
    assert message["Bcc"] is None
    assert message["Date"].datetime == WHEN
    assert re.fullmatch(
        r"<[^@]*0192f3a4b5c6d7e8f90123456789abcd@example\.com>", message["Message-ID"]
    )
    assert message.get_content().strip() == "您的验证码是 123456"


def test_starttls_and_login_when_configured(
    tls_smtp: tuple[Inbox, int], certificate: Certificate
) -> None:
    inbox, port = tls_smtp
    sender = SmtpSender(
        SmtpConfig(
            host="127.0.0.1",
            port=port,
            starttls=True,
            user="mailer",
            password="s3cret",
            tls_context=certificate.client_context(),
        )
    )
    send(sender, outgoing("cfo@example.com"))
    assert [rcpt for _, rcpt, _ in inbox.received] == [["cfo@example.com"]]
    assert inbox.logins == ["mailer"]


def test_implicit_tls(certificate: Certificate) -> None:
    inbox = Inbox()
    controller = start_smtp(inbox, ssl_context=certificate.server_context())
    try:
        sender = SmtpSender(
            SmtpConfig(
                host="127.0.0.1",
                port=controller.port,
                implicit_tls=True,
                tls_context=certificate.client_context(),
            )
        )
        send(sender, outgoing("cfo@example.com"))
    finally:
        controller.stop()
    assert [rcpt for _, rcpt, _ in inbox.received] == [["cfo@example.com"]]


def test_a_server_that_demands_starttls_refuses_plain_text(tls_smtp: tuple[Inbox, int]) -> None:
    inbox, port = tls_smtp
    sender = SmtpSender(SmtpConfig(host="127.0.0.1", port=port))
    with pytest.raises(DeliveryError) as info:
        send(sender, outgoing("cfo@example.com"))
    assert not info.value.permanent
    assert inbox.received == []


def test_a_wrong_password_is_worth_retrying(
    tls_smtp: tuple[Inbox, int], certificate: Certificate
) -> None:
    _, port = tls_smtp
    sender = SmtpSender(
        SmtpConfig(
            host="127.0.0.1",
            port=port,
            starttls=True,
            user="mailer",
            password="wrong",
            tls_context=certificate.client_context(),
        )
    )
    with pytest.raises(DeliveryError) as info:
        send(sender, outgoing("cfo@example.com"))
    assert not info.value.permanent
    assert "login" in info.value.reason


def test_an_untrusted_certificate_is_refused(tls_smtp: tuple[Inbox, int]) -> None:
    inbox, port = tls_smtp
    sender = SmtpSender(SmtpConfig(host="127.0.0.1", port=port, starttls=True))
    with pytest.raises(DeliveryError) as info:
        send(sender, outgoing("cfo@example.com"))
    assert "SSL" in info.value.reason
    assert inbox.received == []


@pytest.mark.parametrize(
    ("reply", "permanent"),
    [("550 5.1.1 No such user", True), ("450 4.2.1 Mailbox busy, try later", False)],
)
def test_a_refused_recipient_is_permanent_only_for_a_5xx_reply(
    plain_smtp: tuple[Inbox, int], reply: str, permanent: bool
) -> None:
    inbox, port = plain_smtp
    inbox.refuse_rcpt = reply
    sender = SmtpSender(SmtpConfig(host="127.0.0.1", port=port))
    with pytest.raises(DeliveryError) as info:
        send(sender, outgoing("nobody@example.com"))
    assert info.value.permanent is permanent
    assert reply.split()[0] in info.value.reason


def test_an_unreachable_server_is_worth_retrying() -> None:
    sender = SmtpSender(SmtpConfig(host="127.0.0.1", port=free_port(), timeout_seconds=2))
    with pytest.raises(DeliveryError) as info:
        send(sender, outgoing("cfo@example.com"))
    assert not info.value.permanent
    assert "could not be reached" in info.value.reason


# -- end to end --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mail_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = start_smtp(inbox)
    yield inbox, controller.port
    controller.stop()


@pytest.fixture(scope="module")
def smtp_server(mail_server: tuple[Inbox, int]) -> Iterator[LiveServer]:
    """A live server whose outbox is delivered to ``mail_server``, due jobs polled every 0.1 s."""
    _, port = mail_server
    url, pg_name = asyncio.run(create_fresh_database())
    migrate(url)
    live = LiveServer(
        url,
        smtp_host="127.0.0.1",
        smtp_port=port,
        mail_from="partner-center@example.com",
        job_interval_seconds=0.1,
    ).start()
    yield live
    live.stop()
    asyncio.run(drop_database(pg_name))


def delivery_log(server: LiveServer, creds: Any, query: str = "") -> Any:
    response = signed_request(server.url, creds, "GET", "/v1/notifications/messages", query=query)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_verification_code_mailed_over_smtp_creates_the_customer(
    smtp_server: LiveServer, mail_server: tuple[Inbox, int]
) -> None:
    inbox, _ = mail_server
    partner = smtp_server.partner(PartnerType.CSP)
    client = smtp_server.intl(partner.creds)
    address = f"{unique('buyer')}@example.com"

    sent = client.send_verification_message_code(
        SendVerificationMessageCodeRequest(
            body=SendVerificationCodeV2Req(receiver_type=2, email=address, lang="en-us")
        )
    )
    assert sent.status_code == 204

    mail = inbox.wait_for(address)
    assert mail["From"] == "partner-center@example.com"
    assert mail["Subject"] == "Your verification code"
    match = re.search(r"\b(\d{6})\b", mail.get_content())
    assert match, mail.get_content()

    created = client.create_sub_customer(
        CreateSubCustomerRequest(
            body=CreateCustomerV2Req(
                xaccount_id=unique("x"),
                xaccount_type=partner.xaccount_type,
                domain_area="MX",
                email=address,
                verification_code=match.group(1),
            )
        )
    )
    listed = client.list_sub_customers(
        ListSubCustomersRequest(body=QuerySubCustomerListReq(customer_id=created.domain_id))
    )
    assert [c.email for c in listed.customer_infos] == [address]

    [logged] = delivery_log(smtp_server, partner.creds, f"recipient={address}")["messages"]
    assert (logged["status"], logged["attempts"], logged["channel"]) == ("SENT", 1, "EMAIL")
    assert logged["sent_at"] and "next_attempt_at" not in logged
    assert "body" not in logged  # the partner never reads its customers' codes in the log


def test_a_refused_address_is_logged_as_failed_without_retrying(
    smtp_server: LiveServer, mail_server: tuple[Inbox, int]
) -> None:
    inbox, _ = mail_server
    partner = smtp_server.partner(PartnerType.CSP)
    address = f"{unique('gone')}@example.com"
    inbox.refuse_rcpt = "550 5.1.1 No such user"
    try:
        smtp_server.intl(partner.creds).send_verification_message_code(
            SendVerificationMessageCodeRequest(
                body=SendVerificationCodeV2Req(receiver_type=2, email=address)
            )
        )
        deadline = time.monotonic() + 15
        while True:
            messages = delivery_log(smtp_server, partner.creds, "status=FAILED")["messages"]
            if messages or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    finally:
        inbox.refuse_rcpt = None
    [failed] = messages
    assert (failed["recipient"], failed["attempts"]) == (address, 1)
    assert failed["last_error"].startswith("The mail server refused the recipient: 550")
    assert "next_attempt_at" not in failed


def test_sms_codes_stay_queued_without_a_gateway(smtp_server: LiveServer) -> None:
    partner = smtp_server.partner(PartnerType.CSP)
    smtp_server.bss(partner.creds).send_verification_message_code(
        bss_model.SendVerificationMessageCodeRequest(
            body=bss_model.SendVerificationCodeV2Req(receiver_type=1, mobile_phone="13800138000")
        )
    )
    time.sleep(0.5)  # several runner passes
    [queued] = delivery_log(smtp_server, partner.creds)["messages"]
    assert (queued["channel"], queued["status"], queued["attempts"]) == ("SMS", "QUEUED", 0)
    outbox = signed_request(
        smtp_server.url,
        partner.creds,
        "GET",
        "/v1/sandbox/outbox",
        query="recipient=0086-13800138000",
    ).json()["messages"]
    assert re.search(r"\b\d{6}\b", outbox[0]["body"])
