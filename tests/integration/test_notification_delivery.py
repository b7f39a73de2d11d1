"""Delivering the outbox: the job queued with each message, outcomes recorded on the message,
retries with backoff, permanent failures, channels without a sender, and never sending a message
twice. Senders here are recorders; the SMTP sender is tested against a real SMTP server in
tests/sdk/test_notification_smtp.py.

Every test runs at its own business time far before the other tests' (2021), so ``run_due`` up
to that time sees only this file's delivery jobs; assertions look at the test's own messages.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from partner_center.domains.notifications import tasks
from partner_center.domains.notifications.models import OutboxMessage
from partner_center.domains.notifications.public import (
    DELIVER_JOB,
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    Channel,
    DeliveryError,
    DeliveryStatus,
    NotificationService,
    OutboxDelivery,
    OutgoingMessage,
    Senders,
    SmtpSender,
)
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database
from partner_center.kernel.errors import DomainError
from partner_center.kernel.jobs import JobRegistry, RunRecord, ScheduledJob, run_due, schedule
from partner_center.services import Services, notification_senders
from partner_center.settings import Settings
from partner_center.worker.registry import build_registry
from tests.wiring import wiring_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
_day = iter(range(1, 10_000))


@pytest.fixture
def clock() -> FixedClock:
    """A business time of this test's own, in 2021 (see the module docstring)."""
    return FixedClock(datetime(2021, 1, 1, tzinfo=UTC) + timedelta(hours=6 * next(_day)))


class Recorder:
    """A sender that records what it was given, failing first with ``failures``."""

    def __init__(self, *failures: DeliveryError, delay: float = 0.0) -> None:
        self.sent: list[OutgoingMessage] = []
        self.failures = list(failures)
        self.calls = 0
        self.delay = delay

    async def send(self, message: OutgoingMessage) -> None:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)

    def to(self, message_id: str) -> list[OutgoingMessage]:
        return [m for m in self.sent if m.id == message_id]


def registry_with(senders: Senders) -> JobRegistry[Services]:
    wiring = wiring_for(senders=senders)
    registry = JobRegistry(lambda session, clock: Services(session, clock=clock, wiring=wiring))
    tasks.register(registry)
    return registry


async def queue(
    db: Database,
    clock: FixedClock,
    *,
    channel: Channel = Channel.EMAIL,
    recipient: str | None = None,
    subject: str = "Budget alert",
) -> str:
    async with db.unit_of_work() as uow:
        message = await NotificationService(uow.session, clock=clock).queue(
            tenant_id=uuid.uuid4().hex,
            channel=channel,
            recipient=recipient or f"{uuid.uuid4().hex[:10]}@example.com",
            subject=subject,
            body="Customer acme used 90 % of its budget.",
        )
    return message.id


async def load(db: Database, message_id: str) -> OutboxMessage:
    async with db.sessions() as session:
        message = await session.get(OutboxMessage, message_id)
        assert message is not None
        return message


async def deliver_due(db: Database, registry: JobRegistry, clock: FixedClock) -> list[RunRecord]:
    return await run_due(db, registry, until=clock.now(), zone=SHANGHAI)


async def delivery_jobs(db: Database, message_id: str) -> list[ScheduledJob]:
    async with db.sessions() as session:
        rows = await session.scalars(
            select(ScheduledJob)
            .where(
                ScheduledJob.name == DELIVER_JOB, ScheduledJob.dedupe_key.like(f"%{message_id}%")
            )
            .order_by(ScheduledJob.due_at)
        )
        return list(rows.all())


async def count_delivery_jobs(db: Database) -> int:
    async with db.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(ScheduledJob).where(ScheduledJob.name == DELIVER_JOB)
        )
        return int(count or 0)


async def test_queueing_schedules_a_delivery_job_that_sends_the_message(
    database: Database, clock: FixedClock
) -> None:
    recorder = Recorder()
    message_id = await queue(database, clock, recipient="Buyer@Example.com")
    queued = await load(database, message_id)
    assert (queued.status, queued.attempts, queued.next_attempt_at) == (
        DeliveryStatus.QUEUED,
        0,
        clock.now(),
    )
    [job] = await delivery_jobs(database, message_id)
    assert (job.due_at, job.payload, job.dedupe_key) == (
        clock.now(),
        {"message_id": message_id},
        f"{DELIVER_JOB}:{message_id}:1",
    )

    clock.advance(timedelta(seconds=30))
    await deliver_due(database, registry_with(Senders(email=recorder)), clock)

    [sent] = recorder.to(message_id)
    assert (sent.recipient, sent.subject, sent.channel) == (
        "Buyer@Example.com",
        "Budget alert",
        Channel.EMAIL,
    )
    # The job runs with the business clock at its due time.
    assert sent.attempted_at == sent.queued_at
    delivered = await load(database, message_id)
    assert (delivered.status, delivered.attempts, delivered.last_error) == (
        DeliveryStatus.SENT,
        1,
        None,
    )
    assert delivered.sent_at == delivered.last_attempt_at == queued.created_at
    assert delivered.next_attempt_at is None
    # Running again sends nothing more.
    clock.advance(timedelta(hours=3))
    await deliver_due(database, registry_with(Senders(email=recorder)), clock)
    assert len(recorder.to(message_id)) == 1


async def test_nothing_is_queued_or_scheduled_when_the_transaction_rolls_back(
    database: Database, clock: FixedClock
) -> None:
    recipient = f"{uuid.uuid4().hex[:10]}@example.com"
    jobs_before = await count_delivery_jobs(database)
    with pytest.raises(DomainError):
        async with database.unit_of_work() as uow:
            await NotificationService(uow.session, clock=clock).queue(
                tenant_id=uuid.uuid4().hex,
                channel=Channel.EMAIL,
                recipient=recipient,
                subject="s",
                body="b",
            )
            raise DomainError("CBC.0100", "the request failed after queueing")
    async with database.sessions() as session:
        stored = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == recipient)
        )
        assert stored.all() == []
    assert await count_delivery_jobs(database) == jobs_before


async def test_a_channel_without_a_sender_keeps_its_messages_queued(
    database: Database, clock: FixedClock
) -> None:
    email = Recorder()
    sms_id = await queue(database, clock, channel=Channel.SMS, recipient="0086-13800138000")
    email_id = await queue(database, clock)
    await deliver_due(database, registry_with(Senders(email=email)), clock)
    # No SMTP server configured at all (SMTP_HOST unset).
    held_id = await queue(database, clock)
    await deliver_due(database, registry_with(Senders()), clock)

    for message_id in (sms_id, held_id):
        message = await load(database, message_id)
        assert (message.status, message.attempts, message.sent_at, message.last_error) == (
            DeliveryStatus.QUEUED,
            0,
            None,
            None,
        )
    assert (await load(database, email_id)).status == DeliveryStatus.SENT
    assert [m.id for m in email.sent if m.id in (sms_id, held_id)] == []


async def test_an_sms_gateway_plugged_in_delivers_sms(
    database: Database, clock: FixedClock
) -> None:
    gateway = Recorder()
    message_id = await queue(database, clock, channel=Channel.SMS, recipient="0086-13800138000")
    await deliver_due(database, registry_with(Senders(sms=gateway)), clock)
    assert [m.recipient for m in gateway.to(message_id)] == ["0086-13800138000"]
    assert (await load(database, message_id)).status == DeliveryStatus.SENT


async def test_a_failed_attempt_is_recorded_and_retried_after_the_backoff(
    database: Database, clock: FixedClock
) -> None:
    recorder = Recorder(DeliveryError("connection refused"))
    registry = registry_with(Senders(email=recorder))
    message_id = await queue(database, clock)
    first = clock.now()

    await deliver_due(database, registry, clock)

    failed = await load(database, message_id)
    assert (failed.status, failed.attempts, failed.last_error) == (
        DeliveryStatus.QUEUED,
        1,
        "connection refused",
    )
    assert failed.last_attempt_at == first
    assert failed.next_attempt_at == first + RETRY_DELAYS[0]
    jobs = await delivery_jobs(database, message_id)
    assert [(j.due_at, j.dedupe_key) for j in jobs] == [
        (first, f"{DELIVER_JOB}:{message_id}:1"),
        (first + RETRY_DELAYS[0], f"{DELIVER_JOB}:{message_id}:2"),
    ]

    clock.advance(RETRY_DELAYS[0] - timedelta(seconds=1))
    await deliver_due(database, registry, clock)
    assert recorder.to(message_id) == []

    clock.advance(timedelta(seconds=1))
    await deliver_due(database, registry, clock)
    [sent] = recorder.to(message_id)
    assert sent.attempted_at == first + RETRY_DELAYS[0]
    delivered = await load(database, message_id)
    assert (delivered.status, delivered.attempts, delivered.sent_at) == (
        DeliveryStatus.SENT,
        2,
        first + RETRY_DELAYS[0],
    )
    # The error of the failed attempt stays on record.
    assert delivered.last_error == "connection refused"


async def test_a_message_that_keeps_failing_is_given_up_after_the_last_attempt(
    database: Database, clock: FixedClock
) -> None:
    recorder = Recorder(*(DeliveryError(f"timeout {n}") for n in range(1, MAX_ATTEMPTS + 1)))
    registry = registry_with(Senders(email=recorder))
    message_id = await queue(database, clock)
    start = clock.now()

    clock.advance(sum(RETRY_DELAYS, timedelta()) + timedelta(days=1))
    records = await deliver_due(database, registry, clock)

    mine = {job.id for job in await delivery_jobs(database, message_id)}
    expected, at = [start], start
    for delay in RETRY_DELAYS:
        at += delay
        expected.append(at)
    assert [r.ran_at for r in records if r.job_id in mine] == expected
    assert MAX_ATTEMPTS == 5
    given_up = await load(database, message_id)
    assert (given_up.status, given_up.attempts, given_up.last_error) == (
        DeliveryStatus.FAILED,
        MAX_ATTEMPTS,
        f"timeout {MAX_ATTEMPTS}",
    )
    assert given_up.next_attempt_at is None and given_up.sent_at is None
    assert len(await delivery_jobs(database, message_id)) == MAX_ATTEMPTS


async def test_a_permanent_refusal_fails_at_once_without_retrying(
    database: Database, clock: FixedClock
) -> None:
    recorder = Recorder(DeliveryError("550 no such user", permanent=True))
    registry = registry_with(Senders(email=recorder))
    message_id = await queue(database, clock)

    await deliver_due(database, registry, clock)
    clock.advance(timedelta(days=1))
    await deliver_due(database, registry, clock)

    message = await load(database, message_id)
    assert (message.status, message.attempts, message.last_error) == (
        DeliveryStatus.FAILED,
        1,
        "550 no such user",
    )
    assert len(await delivery_jobs(database, message_id)) == 1


async def test_a_long_error_is_clipped(database: Database, clock: FixedClock) -> None:
    recorder = Recorder(DeliveryError("x" * 5000, permanent=True))
    message_id = await queue(database, clock)
    await deliver_due(database, registry_with(Senders(email=recorder)), clock)
    error = (await load(database, message_id)).last_error
    assert error is not None and len(error) == 1000 and error.endswith("…")


async def test_two_runners_racing_for_one_message_send_it_once(
    database: Database, clock: FixedClock
) -> None:
    # A slow sender keeps the first attempt in flight while a second job for the same message
    # (a duplicate the scheduler would otherwise run) starts.
    recorder = Recorder(delay=0.3)
    message_id = await queue(database, clock)
    async with database.unit_of_work() as uow:
        await schedule(
            uow.session,
            name=DELIVER_JOB,
            due_at=clock.now(),
            payload={"message_id": message_id},
            dedupe_key=f"{DELIVER_JOB}:{message_id}:duplicate",
        )

    async def attempt() -> DeliveryStatus | None:
        async with database.unit_of_work() as uow:
            delivery = OutboxDelivery(uow.session, clock=clock, senders=Senders(email=recorder))
            return await delivery.deliver(message_id)

    outcomes = await asyncio.gather(attempt(), attempt())
    assert outcomes == [DeliveryStatus.SENT, DeliveryStatus.SENT]
    assert len(recorder.to(message_id)) == 1
    assert recorder.calls == 1
    assert (await load(database, message_id)).attempts == 1

    # And the scheduler's two jobs for it: still one e-mail.
    await deliver_due(database, registry_with(Senders(email=recorder)), clock)
    assert len(recorder.to(message_id)) == 1


async def test_a_late_job_for_an_attempt_not_yet_due_does_nothing(
    database: Database, clock: FixedClock
) -> None:
    recorder = Recorder(DeliveryError("busy"))
    message_id = await queue(database, clock)
    await deliver_due(database, registry_with(Senders(email=recorder)), clock)
    # Attempt 1's job run again (as a stale duplicate would) before the retry time.
    async with database.unit_of_work() as uow:
        delivery = OutboxDelivery(uow.session, clock=clock, senders=Senders(email=recorder))
        assert await delivery.deliver(message_id) == DeliveryStatus.QUEUED
        assert await delivery.deliver("0" * 32) is None
    assert recorder.calls == 1
    assert (await load(database, message_id)).attempts == 1


def test_the_composition_root_wires_smtp_from_the_settings() -> None:
    assert notification_senders(Settings(smtp_host=None)) == Senders()
    plain = notification_senders(
        Settings(
            smtp_host="mail.example.com",
            smtp_port=587,
            smtp_user="bot",
            smtp_password="pw",
            smtp_starttls=True,
            mail_from="noreply@example.com",
        )
    )
    assert isinstance(plain.email, SmtpSender) and plain.sms is None
    config = plain.email.config
    assert (config.host, config.port, config.user, config.password) == (
        "mail.example.com",
        587,
        "bot",
        "pw",
    )
    assert (config.starttls, config.implicit_tls, config.mail_from) == (
        True,
        False,
        "noreply@example.com",
    )
    smtps = notification_senders(Settings(smtp_host="mail.example.com", smtp_port=465))
    assert isinstance(smtps.email, SmtpSender) and smtps.email.config.implicit_tls
    assert DELIVER_JOB in build_registry(wiring_for()).one_off_names
