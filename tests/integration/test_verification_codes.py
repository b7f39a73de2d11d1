"""Verification codes at service level with an injected wall clock (rules.md §2.4.10,
api-semantics.md §3.2): 15 sends an hour and 60 a day per receiver, expiry, the timeout clamp,
three wrong tries, scenes, and which partner may use a code. Codes live in real (wall) time:
moving the business clock neither expires them nor resets the send limits."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from partner_center.app import build_state
from partner_center.domains.customers.public import CreatedCustomer, NewCustomer, PartnerActor
from partner_center.domains.notifications.models import OutboxMessage
from partner_center.domains.notifications.public import (
    DELIVER_JOB,
    Channel,
    NotificationService,
)
from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database
from partner_center.kernel.errors import DomainError
from partner_center.kernel.jobs import ScheduledJob
from partner_center.provisioning import create_partner, services
from partner_center.settings import Settings
from partner_center.state import AppState


class Site:
    """A deployment (intl or CN) over the session database, with a wall clock the test moves."""

    def __init__(self, db: Database, *, currency: str = "USD") -> None:
        self.wall = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        self.business = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        settings = Settings(
            database_url=db.url,
            currency=currency,
            secret_key="test-secret-key-not-for-production",
        )
        self.state: AppState = build_state(settings, db=db, clock=self.business, wall=self.wall)

    async def partner(self) -> PartnerActor:
        creds, _ = await create_partner(
            self.state, name=f"p-{uuid.uuid4().hex[:10]}", partner_type=PartnerType.CSP
        )
        async with self.state.db.unit_of_work() as uow:
            svc = await services(self.state, uow)
            admin = await svc.identity.admin_member(creds.account_id)
            caller = await svc.identity.caller_for(creds.account_id, admin.id, method="test")
            partner = await svc.partners.get(creds.account_id)
            assert partner is not None
        return PartnerActor(caller=caller, partner=partner)

    async def send(
        self,
        actor: PartnerActor,
        receiver: str,
        *,
        timeout: int | None = None,
        lang: str | None = None,
        scene: int = 29,
        customer_id: str | None = None,
    ) -> None:
        channel = Channel.EMAIL if "@" in receiver else Channel.SMS
        async with self.state.db.unit_of_work() as uow:
            svc = await services(self.state, uow)
            await svc.customers.send_verification_code(
                actor,
                receiver=receiver,
                channel=channel,
                timeout_minutes=timeout,
                lang=lang,
                scene=scene,
                customer_id=customer_id,
            )

    async def last_message(self, actor: PartnerActor, receiver: str) -> OutboxMessage:
        async with self.state.db.unit_of_work() as uow:
            messages = await NotificationService(uow.session, clock=self.business).messages_for(
                receiver, tenant_id=actor.partner_id
            )
        return messages[0]

    async def code(self, actor: PartnerActor, receiver: str) -> str:
        body = (await self.last_message(actor, receiver)).body
        match = re.search(r"\b(\d{6})\b", body)
        assert match, body
        return match.group(1)

    async def create(
        self, actor: PartnerActor, receiver: str, code: str, *, domain_area: str | None = "MX"
    ) -> CreatedCustomer:
        email = receiver if "@" in receiver else None
        mobile = None if email else receiver.split("-")[-1]
        async with self.state.db.unit_of_work() as uow:
            svc = await services(self.state, uow)
            return await svc.customers.create_sub_customer(
                actor,
                NewCustomer(
                    xaccount_id=uuid.uuid4().hex,
                    xaccount_type=actor.partner.xaccount_type,
                    email=email,
                    mobile_phone=mobile,
                    verification_code=code,
                    domain_area=domain_area,
                ),
            )


def an_email() -> str:
    return f"{uuid.uuid4().hex[:12]}@example.com"


def a_mobile() -> str:
    return "0086-1" + "".join(secrets.choice("0123456789") for _ in range(10))


def other_than(code: str) -> str:
    return "111111" if code != "111111" else "222222"


async def refused(call: object) -> str:
    with pytest.raises(DomainError) as info:
        await call  # type: ignore[misc]
    return info.value.code


@pytest.fixture
def site(database: Database) -> Site:
    return Site(database)


async def test_sixty_sends_a_day_per_receiver(site: Site) -> None:
    actor = await site.partner()
    email = an_email()
    start = site.wall.now()
    for hour in range(4):
        site.wall.set(start + timedelta(hours=hour))
        for _ in range(15):
            await site.send(actor, email)
    # A fresh hour, but 60 in the last 24 hours.
    site.wall.set(start + timedelta(hours=5))
    assert await refused(site.send(actor, email)) == "CBC.99004015"
    site.wall.set(start + timedelta(hours=23, minutes=59))
    assert await refused(site.send(actor, email)) == "CBC.99004015"
    # The business clock does not count: only real time frees the limit.
    site.business.advance(timedelta(days=3))
    assert await refused(site.send(actor, email)) == "CBC.99004015"
    # 24 hours after the first batch, those 15 no longer count.
    site.wall.set(start + timedelta(hours=24, seconds=1))
    await site.send(actor, email)


async def test_fifteen_sends_an_hour_per_receiver(site: Site) -> None:
    actor = await site.partner()
    email = an_email()
    start = site.wall.now()
    for _ in range(15):
        await site.send(actor, email)
    site.wall.set(start + timedelta(minutes=59, seconds=59))
    assert await refused(site.send(actor, email)) == "CBC.99004015"
    site.wall.set(start + timedelta(hours=1, seconds=1))
    await site.send(actor, email)


async def test_limits_are_per_receiver_whichever_partner_sends(site: Site) -> None:
    first, second = await site.partner(), await site.partner()
    email = an_email()
    for _ in range(15):
        await site.send(first, email)
    assert await refused(site.send(second, email)) == "CBC.99004015"
    await site.send(second, an_email())


async def test_a_code_expires_after_its_timeout(site: Site) -> None:
    actor = await site.partner()
    fresh, stale = an_email(), an_email()
    sent_at = site.wall.now()
    await site.send(actor, fresh, timeout=10)
    await site.send(actor, stale, timeout=10)
    fresh_code, stale_code = await site.code(actor, fresh), await site.code(actor, stale)

    site.wall.set(sent_at + timedelta(minutes=9, seconds=59))
    await site.create(actor, fresh, fresh_code)
    site.wall.set(sent_at + timedelta(minutes=10))
    assert await refused(site.create(actor, stale, stale_code)) == "CBC.99004008"


async def test_the_business_clock_does_not_expire_a_code(site: Site) -> None:
    actor = await site.partner()
    email = an_email()
    await site.send(actor, email)
    site.business.advance(timedelta(days=40))
    created = await site.create(actor, email, await site.code(actor, email))
    assert created.domain_id


async def test_the_default_timeout_is_ten_minutes(site: Site) -> None:
    actor = await site.partner()
    email = an_email()
    sent_at = site.wall.now()
    await site.send(actor, email)
    assert "valid for 10 minutes" in (await site.last_message(actor, email)).body
    site.wall.set(sent_at + timedelta(minutes=10))
    assert await refused(site.create(actor, email, await site.code(actor, email))) == (
        "CBC.99004008"
    )


async def test_a_timeout_over_sixty_minutes_becomes_five(site: Site) -> None:
    actor = await site.partner()
    clamped, kept, at_limit = an_email(), an_email(), an_email()
    sent_at = site.wall.now()
    await site.send(actor, clamped, timeout=61)
    await site.send(actor, kept, timeout=61)
    await site.send(actor, at_limit, timeout=60)
    assert "valid for 5 minutes" in (await site.last_message(actor, clamped)).body
    assert "valid for 60 minutes" in (await site.last_message(actor, at_limit)).body

    site.wall.set(sent_at + timedelta(minutes=4, seconds=59))
    await site.create(actor, kept, await site.code(actor, kept))
    site.wall.set(sent_at + timedelta(minutes=5))
    assert await refused(site.create(actor, clamped, await site.code(actor, clamped))) == (
        "CBC.99004008"
    )
    site.wall.set(sent_at + timedelta(minutes=59))
    await site.create(actor, at_limit, await site.code(actor, at_limit))


@pytest.mark.parametrize("timeout", [0, -5])
async def test_a_timeout_must_be_positive(site: Site, timeout: int) -> None:
    actor = await site.partner()
    email = an_email()
    assert await refused(site.send(actor, email, timeout=timeout)) == "CBC.0100"
    async with site.state.db.unit_of_work() as uow:
        stored = await NotificationService(uow.session, clock=site.business).messages_for(
            email, tenant_id=actor.partner_id
        )
    assert stored == []


async def test_three_wrong_tries_invalidate_the_code_until_a_new_one_is_sent(
    site: Site,
) -> None:
    actor = await site.partner()
    email = an_email()
    await site.send(actor, email)
    code = await site.code(actor, email)
    for _ in range(3):
        # Each failure is kept although the request fails.
        assert await refused(site.create(actor, email, other_than(code))) == "CBC.99004010"
    assert await refused(site.create(actor, email, code)) == "CBC.99004009"
    await site.send(actor, email)
    created = await site.create(actor, email, await site.code(actor, email))
    assert created.domain_id


async def test_only_the_newest_code_counts(site: Site) -> None:
    actor = await site.partner()
    email = an_email()
    await site.send(actor, email)
    older = await site.code(actor, email)
    site.wall.advance(timedelta(seconds=30))
    await site.send(actor, email)
    newer = await site.code(actor, email)
    if older != newer:
        assert await refused(site.create(actor, email, older)) == "CBC.99004010"
    await site.create(actor, email, newer)


async def test_a_code_serves_once(site: Site) -> None:
    actor = await site.partner()
    email, other = an_email(), an_email()
    await site.send(actor, email)
    code = await site.code(actor, email)
    await site.create(actor, email, code)
    # The same code for another address of the same partner: no code was sent there.
    assert await refused(site.create(actor, other, code)) == "CBC.99004010"


async def test_a_bank_card_code_cannot_register_a_customer(site: Site) -> None:
    actor = await site.partner()
    first = an_email()
    await site.send(actor, first)
    customer = await site.create(actor, first, await site.code(actor, first))
    email = an_email()
    await site.send(actor, email, scene=18, customer_id=customer.domain_id)
    assert await refused(site.create(actor, email, await site.code(actor, email))) == (
        "CBC.99004010"
    )


async def test_only_the_partner_that_requested_a_code_can_use_it(site: Site) -> None:
    requester, other = await site.partner(), await site.partner()
    email = an_email()
    await site.send(requester, email)
    code = await site.code(requester, email)
    assert await refused(site.create(other, email, code)) == "CBC.99004010"
    await site.create(requester, email, code)


async def test_sending_a_code_queues_its_delivery(site: Site) -> None:
    actor = await site.partner()
    email = an_email()
    await site.send(actor, email, lang="en-us")
    message = await site.last_message(actor, email)
    assert (message.channel, message.subject) == (Channel.EMAIL, "Your verification code")
    async with site.state.db.sessions() as session:
        scheduled = (
            await session.scalars(
                select(ScheduledJob).where(
                    ScheduledJob.dedupe_key == f"{DELIVER_JOB}:{message.id}:1"
                )
            )
        ).one()
    assert scheduled.payload == {"message_id": message.id}
    assert scheduled.tenant_id == actor.partner_id


async def test_the_china_site_sends_chinese_sms_codes_and_registers_by_mobile(
    database: Database,
) -> None:
    cn = Site(database, currency="CNY")
    actor = await cn.partner()
    mobile = a_mobile()
    await cn.send(actor, mobile)
    message = await cn.last_message(actor, mobile)
    assert (message.channel, message.subject) == (Channel.SMS, "验证码")
    assert "10 分钟内有效" in message.body
    created = await cn.create(actor, mobile, await cn.code(actor, mobile), domain_area=None)
    assert created.domain_id
    # An explicit language wins over the site's.
    other = a_mobile()
    await cn.send(actor, other, lang="en-us")
    assert (await cn.last_message(actor, other)).subject == "Your verification code"
