"""The e-mail sender: plain SMTP, STARTTLS or implicit TLS, with login when configured.

``smtplib`` blocks, so each message is sent from a worker thread; the event loop keeps serving
requests meanwhile. One connection per message: messages are few (verification codes, alerts)
and a fresh connection never inherits a half-broken session.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from partner_center.domains.notifications.delivery import DeliveryError, OutgoingMessage

#: Port of SMTP over implicit TLS (SMTPS); any other port starts in plain text.
SMTPS_PORT = 465


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    """Upgrade the connection with STARTTLS before logging in and sending."""
    implicit_tls: bool = False
    """Speak TLS from the first byte (SMTPS, usually port 465)."""
    mail_from: str = "partner-center@localhost"
    timeout_seconds: float = 20.0
    """Bounds every network wait, so a dead server cannot hold a delivery transaction long."""
    tls_context: ssl.SSLContext | None = None
    """Certificates to trust; None trusts the system's certificate authorities."""


def _header(text: str) -> str:
    # A line break in a header would end it (or inject another): fold it into a space.
    return " ".join(text.splitlines())


class SmtpSender:
    """Sends e-mail through one SMTP server."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def compose(self, message: OutgoingMessage) -> EmailMessage:
        """The e-mail for an outbox message. The ``Message-ID`` is derived from the outbox id,
        so a copy sent again after a crash is recognisably the same message."""
        email = EmailMessage()
        email["From"] = self.config.mail_from
        email["To"] = message.recipient
        email["Subject"] = _header(message.subject)
        email["Date"] = format_datetime(message.attempted_at)
        domain = self.config.mail_from.rpartition("@")[2] or "partner-center"
        email["Message-ID"] = make_msgid(idstring=message.id, domain=domain)
        email.set_content(message.body)
        return email

    async def send(self, message: OutgoingMessage) -> None:
        try:
            email = self.compose(message)
        except (ValueError, TypeError) as exc:
            raise DeliveryError(
                f"The message cannot be written as e-mail: {exc}", permanent=True
            ) from exc
        await asyncio.to_thread(self._send, email)

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        context = config.tls_context or ssl.create_default_context()
        if config.implicit_tls:
            return smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout_seconds, context=context
            )
        smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
        if config.starttls:
            smtp.starttls(context=context)
        return smtp

    def _send(self, email: EmailMessage) -> None:
        try:
            with self._connect() as smtp:
                if self.config.user:
                    smtp.login(self.config.user, self.config.password or "")
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(
                f"The mail server refused the recipient: {_replies(exc.recipients.values())}",
                permanent=all(code >= 500 for code in codes),
            ) from exc
        except smtplib.SMTPDataError as exc:
            raise DeliveryError(
                f"The mail server refused the message: {exc.smtp_code} {_text(exc.smtp_error)}",
                permanent=exc.smtp_code >= 500,
            ) from exc
        except smtplib.SMTPAuthenticationError as exc:
            # The configuration is wrong, not the message: retry, the operator may fix it.
            raise DeliveryError(
                f"The mail server refused the login: {exc.smtp_code} {_text(exc.smtp_error)}"
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"The mail server answered {exc.smtp_code} {_text(exc.smtp_error)}"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(
                f"The mail server {self.config.host}:{self.config.port} could not be reached "
                f"or dropped the connection: {type(exc).__name__}: {exc}"
            ) from exc


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _replies(replies: Iterable[tuple[int, bytes]]) -> str:
    return "; ".join(f"{code} {_text(text)}" for code, text in replies)
