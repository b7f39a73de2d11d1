"""Face-verification QR codes at service level with an injected wall clock
(api-semantics.md §3.12): single use, void 10 minutes after issue, only the token's hash kept."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from partner_center.domains.realname.models import FaceVerificationCode
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database
from partner_center.kernel.errors import DomainError
from tests.wiring import services_for

ISSUED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def issue(db: Database, customer_id: str) -> str:
    async with db.unit_of_work() as uow:
        svc = services_for(uow.session, FixedClock(ISSUED), wall=FixedClock(ISSUED))
        url = await svc.realname.face_verification_url(customer_id)
    return parse_qs(urlsplit(url).query)["token"][0]


async def scan(db: Database, token: str, *, after: timedelta) -> None:
    async with db.unit_of_work() as uow:
        wall = FixedClock(ISSUED + after)
        await services_for(uow.session, wall, wall=wall).realname.scan_face_code(token)


async def test_a_code_is_used_once(database: Database) -> None:
    customer_id = uuid.uuid4().hex
    token = await issue(database, customer_id)
    await scan(database, token, after=timedelta(minutes=9, seconds=59))
    with pytest.raises(DomainError) as info:
        await scan(database, token, after=timedelta(minutes=9, seconds=59))
    assert info.value.code == "CBC.0100"
    async with database.unit_of_work() as uow:
        row = (
            await uow.session.execute(
                select(FaceVerificationCode).where(FaceVerificationCode.tenant_id == customer_id)
            )
        ).scalar_one()
    assert token not in row.token_hash and row.used_at is not None


async def test_a_code_is_void_after_ten_minutes(database: Database) -> None:
    token = await issue(database, uuid.uuid4().hex)
    with pytest.raises(DomainError):
        await scan(database, token, after=timedelta(minutes=10))
    with pytest.raises(DomainError):
        await scan(database, "not-a-token", after=timedelta(0))
