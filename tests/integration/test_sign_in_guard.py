"""The sign-in guard (issue 8, item 5) on a real database: lockout per account + user, the
per-source limit, unlocking by the wall clock, resets on success, and concurrent attempts
counted one by one. Every attempt is its own unit of work, as a request is."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.identity.models import SignInThrottle, ThrottleScope
from partner_center.domains.identity.public import (
    AccountKind,
    IdentityService,
    SecretCipher,
    SignInGuard,
    SignInPolicy,
)
from partner_center.domains.identity.signin import _digest
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database
from partner_center.kernel.errors import DomainError

PASSWORD = "Right-Pass1"
POLICY = SignInPolicy(
    max_failures=5,
    source_max_failures=12,
    window=timedelta(minutes=15),
    lockout=timedelta(minutes=15),
)
CIPHER = SecretCipher(Fernet.generate_key())


def service(session: AsyncSession, wall: FixedClock) -> IdentityService:
    return IdentityService(
        session,
        clock=wall,
        wall=wall,
        cipher=CIPHER,
        sign_in_guard=SignInGuard(session, wall=wall, policy=POLICY),
    )


async def new_account(database: Database, wall: FixedClock) -> str:
    name = "a" + uuid.uuid4().hex[:12]
    async with database.unit_of_work() as uow:
        await service(uow.session, wall).create_account(
            kind=AccountKind.PARTNER, name=name, admin_password=PASSWORD
        )
    return name


async def attempt(
    database: Database,
    wall: FixedClock,
    name: str,
    password: str,
    *,
    user: str | None = None,
    source: str | None = "192.0.2.10",
) -> str:
    """One sign-in; "ok" or the error code."""
    try:
        async with database.unit_of_work() as uow:
            await service(uow.session, wall).sign_in(
                domain_name=name, user_name=user or name, password=password, source=source
            )
    except DomainError as exc:
        return exc.code
    return "ok"


@pytest.fixture
def wall(clock: FixedClock) -> FixedClock:
    return clock


def fresh_source() -> str:
    """A client address no other attempt of the session uses (its own IPv6 /64): picking
    among 250 IPv4 addresses collided now and then with an address a test had blocked."""
    block = uuid.uuid4().int
    return f"2001:db8:{block >> 112:x}:{(block >> 96) & 0xFFFF:x}::1"


async def test_thirty_wrong_passwords_then_the_right_one_is_refused(
    database: Database, wall: FixedClock
) -> None:
    name = await new_account(database, wall)
    answers = [await attempt(database, wall, name, f"wrong-{i}", source=None) for i in range(30)]
    assert answers == ["IAM.0001"] * 5 + ["IAM.0004"] * 25
    assert await attempt(database, wall, name, PASSWORD, source=None) == "IAM.0004"


async def test_the_lock_ends_after_the_lockout_by_the_wall_clock(
    database: Database, wall: FixedClock
) -> None:
    name = await new_account(database, wall)
    for _ in range(5):
        await attempt(database, wall, name, "wrong", source=None)
    wall.advance(timedelta(minutes=14, seconds=59))
    assert await attempt(database, wall, name, PASSWORD, source=None) == "IAM.0004"
    wall.advance(timedelta(seconds=1))
    assert await attempt(database, wall, name, PASSWORD, source=None) == "ok"
    # and the count starts afresh: four more failures do not lock
    for _ in range(4):
        assert await attempt(database, wall, name, "wrong", source=None) == "IAM.0001"
    assert await attempt(database, wall, name, PASSWORD, source=None) == "ok"


async def test_a_success_resets_the_count(database: Database, wall: FixedClock) -> None:
    name = await new_account(database, wall)
    for _ in range(2):
        for _ in range(4):
            assert await attempt(database, wall, name, "wrong", source=None) == "IAM.0001"
        assert await attempt(database, wall, name, PASSWORD, source=None) == "ok"
    assert await attempt(database, wall, name, "wrong", source=None) == "IAM.0001"
    assert await attempt(database, wall, name, PASSWORD, source=None) == "ok"
    # the count was reset, not ignored: five in a row still lock
    for _ in range(5):
        assert await attempt(database, wall, name, "wrong", source=None) == "IAM.0001"
    assert await attempt(database, wall, name, PASSWORD, source=None) == "IAM.0004"


async def test_failures_a_window_apart_start_the_count_again(
    database: Database, wall: FixedClock
) -> None:
    name = await new_account(database, wall)
    for _ in range(4):
        await attempt(database, wall, name, "wrong", source=None)
    wall.advance(timedelta(minutes=15))
    for _ in range(4):
        assert await attempt(database, wall, name, "wrong", source=None) == "IAM.0001"
    assert await attempt(database, wall, name, PASSWORD, source=None) == "ok"


async def test_a_lock_looks_the_same_for_a_user_that_does_not_exist(
    database: Database, wall: FixedClock
) -> None:
    name = await new_account(database, wall)
    nobody = ghost()
    errors: dict[str, list[tuple[str, str]]] = {}
    for account in (name, nobody):
        seen = errors.setdefault(account, [])
        for _ in range(6):
            try:
                async with database.unit_of_work() as uow:
                    await service(uow.session, wall).sign_in(
                        domain_name=account, user_name=account, password="wrong", source=None
                    )
            except DomainError as exc:
                seen.append((exc.code, exc.message))
    assert errors[name] == errors[nobody]
    assert errors[name][-1] == ("IAM.0004", "The account is locked. Try again in 15 minute(s).")
    # the case of the names does not escape the count
    assert await attempt(database, wall, name.upper(), PASSWORD, source=None) == "IAM.0004"


async def test_concurrent_wrong_attempts_are_each_counted(
    database: Database, wall: FixedClock
) -> None:
    name = await new_account(database, wall)
    answers = await asyncio.gather(
        *(attempt(database, wall, name, f"wrong-{i}", source=None) for i in range(12))
    )
    assert sorted(answers) == ["IAM.0001"] * 5 + ["IAM.0004"] * 7
    assert await attempt(database, wall, name, PASSWORD, source=None) == "IAM.0004"


async def test_the_per_source_limit_stops_guesses_spread_over_users(
    database: Database, wall: FixedClock
) -> None:
    victim = await new_account(database, wall)
    attacker = fresh_source()
    # four guesses at each of three users: no user reaches its lock, the source reaches 12
    for account in [await new_account(database, wall) for _ in range(3)]:
        for _ in range(4):
            assert await attempt(database, wall, account, "guess", source=attacker) == "IAM.0001"
    assert await attempt(database, wall, ghost(), "guess", source=attacker) == "APIG.0308"
    assert await attempt(database, wall, victim, PASSWORD, source=attacker) == "APIG.0308"
    assert await attempt(database, wall, victim, PASSWORD, source=fresh_source()) == "ok"

    # an IPv6 client is counted by its /64: moving within it does not escape the limit
    for i in range(12):
        source = f"2001:db8:5:7::{i + 1:x}"
        assert await attempt(database, wall, ghost(), "guess", source=source) == "IAM.0001"
    assert await attempt(database, wall, victim, PASSWORD, source="2001:db8:5:7::ff") == (
        "APIG.0308"
    )
    assert await attempt(database, wall, victim, PASSWORD, source="2001:db8:5:8::1") == "ok"

    wall.advance(POLICY.lockout)
    assert await attempt(database, wall, victim, PASSWORD, source=attacker) == "ok"


def ghost() -> str:
    """An account name nobody has."""
    return "ghost" + uuid.uuid4().hex[:10]


async def test_rows_that_hold_nothing_are_purged_as_attempts_are_recorded(
    database: Database, wall: FixedClock
) -> None:
    """An idle row (no lock in force, no failure within the window) goes at the next recorded
    attempt of anyone; a lock in force and a recent failure stay, and keep counting."""
    idle, locked, recent, other = [await new_account(database, wall) for _ in range(4)]
    assert await attempt(database, wall, idle, "wrong", source=None) == "IAM.0001"
    wall.advance(timedelta(minutes=10))
    for _ in range(5):
        await attempt(database, wall, locked, "wrong", source=None)
    wall.advance(timedelta(minutes=4))
    assert await attempt(database, wall, recent, "wrong", source=None) == "IAM.0001"
    wall.advance(timedelta(minutes=2))  # idle: 16 min after its failure; locked until +25
    assert await rows(database, idle, locked, recent) == {idle, locked, recent}

    assert await attempt(database, wall, other, PASSWORD, source=None) == "ok"

    assert await rows(database, idle, locked, recent, other) == {locked, recent, other}
    assert await attempt(database, wall, locked, PASSWORD, source=None) == "IAM.0004"
    for _ in range(4):
        assert await attempt(database, wall, recent, "wrong", source=None) == "IAM.0001"
    assert await attempt(database, wall, recent, PASSWORD, source=None) == "IAM.0004"


async def rows(database: Database, *names: str) -> set[str]:
    """Which of these (account = user) names have a throttle row."""
    keys = {_digest(ThrottleScope.USER, n.casefold(), n.casefold()): n for n in names}
    async with database.unit_of_work() as uow:
        found = await uow.session.scalars(
            select(SignInThrottle.key).where(SignInThrottle.key.in_(keys))
        )
        return {keys[k] for k in found}
