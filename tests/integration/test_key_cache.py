"""The access-key cache (``domains/identity/keycache.py``) on a real database: a permanent key's
material is read once and then served from memory; a change committed by this process (key
disabled or deleted, member's roles or status, account status) applies to the very next
lookup; a change made behind the process's back (another process) applies once the entry's
lifetime is over; a lookup that raced a change does not store what it read; temporary
credentials are never cached."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import event, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.identity import keycache
from partner_center.domains.identity.models import Account, Member
from partner_center.domains.identity.public import (
    AccountKind,
    AccountStatus,
    IdentityService,
    KeyCache,
    KeyMaterial,
    Permission,
    SecretCipher,
    SignInGuard,
    SignInPolicy,
)
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database
from partner_center.kernel.errors import DomainError

CIPHER = SecretCipher(Fernet.generate_key())
TTL = timedelta(seconds=5)


class Keys:
    """An account with an administrator's key and a member's key, and one cache."""

    def __init__(self, database: Database, wall: FixedClock) -> None:
        self.database = database
        self.wall = wall
        self.cache: KeyCache[KeyMaterial] = KeyCache(TTL)
        self.account_id = ""
        self.member_id = ""
        self.admin_key = ""
        self.member_key = ""

    def service(self, session: AsyncSession, *, cached: bool = True) -> IdentityService:
        return IdentityService(
            session,
            clock=self.wall,
            wall=self.wall,
            cipher=CIPHER,
            sign_in_guard=SignInGuard(session, wall=self.wall, policy=SignInPolicy()),
            key_cache=self.cache if cached else None,
        )

    async def create(self) -> Keys:
        async with self.database.unit_of_work() as uow:
            identity = self.service(uow.session)
            account = await identity.create_account(
                kind=AccountKind.PARTNER, name="k" + uuid.uuid4().hex[:12]
            )
            member = await identity.create_member(
                account_id=account.id, name="m" + uuid.uuid4().hex[:8], roles=["FINANCE"]
            )
            self.account_id, self.member_id = account.id, member.id
            self.admin_key = (await identity.create_access_key(account_id=account.id)).access_key
            self.member_key = (
                await identity.create_access_key(account_id=account.id, member_id=member.id)
            ).access_key
        return self

    async def lookup(self, access_key: str) -> KeyMaterial:
        async with self.database.unit_of_work(read_only=True) as uow:
            return await self.service(uow.session).key_material(access_key)

    async def refused(self, access_key: str) -> bool:
        try:
            await self.lookup(access_key)
        except DomainError:
            return True
        return False


@contextmanager
def counted(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        statements.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", count)


@pytest.fixture
async def keys(database: Database, clock: FixedClock) -> Keys:
    return await Keys(database, clock).create()


async def test_a_key_is_read_once_then_served_from_memory(keys: Keys) -> None:
    with counted(keys.database) as first:
        material = await keys.lookup(keys.admin_key)
    with counted(keys.database) as second:
        again = await keys.lookup(keys.admin_key)
    assert any("access_keys" in s for s in first)
    assert second == []
    assert again == material
    assert again.caller.account_id == keys.account_id


async def test_disabling_or_deleting_a_key_applies_at_once(keys: Keys) -> None:
    await keys.lookup(keys.admin_key)
    async with keys.database.unit_of_work() as uow:
        identity = keys.service(uow.session)
        member = await identity.admin_member(keys.account_id)
        await identity.set_access_key_status(
            account_id=keys.account_id, member_id=member.id, access_key=keys.admin_key, active=False
        )
    assert await keys.refused(keys.admin_key)
    async with keys.database.unit_of_work() as uow:
        await keys.service(uow.session).set_access_key_status(
            account_id=keys.account_id, member_id=member.id, access_key=keys.admin_key, active=True
        )
    assert not await keys.refused(keys.admin_key)
    async with keys.database.unit_of_work() as uow:
        identity = keys.service(uow.session)
        await identity.set_access_key_status(
            account_id=keys.account_id, member_id=member.id, access_key=keys.admin_key, active=False
        )
        await identity.delete_access_key(
            account_id=keys.account_id, member_id=member.id, access_key=keys.admin_key
        )
    assert await keys.refused(keys.admin_key)


async def test_a_rolled_back_change_keeps_the_cache(keys: Keys) -> None:
    await keys.lookup(keys.admin_key)
    with pytest.raises(RuntimeError):
        async with keys.database.unit_of_work() as uow:
            identity = keys.service(uow.session)
            member = await identity.admin_member(keys.account_id)
            await identity.set_access_key_status(
                account_id=keys.account_id,
                member_id=member.id,
                access_key=keys.admin_key,
                active=False,
            )
            raise RuntimeError("rolled back")
    with counted(keys.database) as statements:
        assert not await keys.refused(keys.admin_key)
    assert statements == []


async def test_member_roles_and_status_apply_at_once(keys: Keys) -> None:
    material = await keys.lookup(keys.member_key)
    assert not material.caller.has(Permission.CREATE_CUSTOMER)
    async with keys.database.unit_of_work() as uow:
        await keys.service(uow.session).set_member_roles(
            account_id=keys.account_id, member_id=keys.member_id, roles=["ADMIN"]
        )
    assert (await keys.lookup(keys.member_key)).caller.roles == ("ADMIN",)
    # A bulk UPDATE (no ORM object flushed) counts as a change too.
    async with keys.database.unit_of_work() as uow:
        await uow.session.execute(
            update(Member).where(Member.id == keys.member_id).values(status=AccountStatus.SUSPENDED)
        )
    assert await keys.refused(keys.member_key)


async def test_a_suspended_account_applies_at_once(keys: Keys) -> None:
    await keys.lookup(keys.admin_key)
    async with keys.database.unit_of_work() as uow:
        account = await uow.session.get(Account, keys.account_id)
        assert account is not None
        account.status = AccountStatus.SUSPENDED
    assert await keys.refused(keys.admin_key)


async def test_another_process_change_applies_after_the_lifetime(keys: Keys) -> None:
    await keys.lookup(keys.admin_key)
    # Beside the ORM, as another process's commit looks to this one.
    async with keys.database.engine.begin() as conn:
        await conn.execute(
            text("UPDATE access_keys SET status = 'SUSPENDED' WHERE access_key = :k"),
            {"k": keys.admin_key},
        )
    assert not await keys.refused(keys.admin_key)
    keys.wall.advance(TTL - timedelta(milliseconds=1))
    assert not await keys.refused(keys.admin_key)
    keys.wall.advance(timedelta(milliseconds=1))
    assert await keys.refused(keys.admin_key)


async def test_a_lookup_that_raced_a_change_stores_nothing(keys: Keys) -> None:
    async with keys.database.unit_of_work(read_only=True) as uow:
        identity = keys.service(uow.session)
        seen = keycache.current_generation()
        material = await keys.service(uow.session, cached=False).key_material(keys.admin_key)
        async with keys.database.unit_of_work() as other:
            other_member = await keys.service(other.session).admin_member(keys.account_id)
            other_member.roles = ["ADMIN"]
        assert keycache.current_generation() != seen
        keys.cache.put(keys.admin_key, material, now=keys.wall.now(), generation=seen)
        assert keys.cache.get(keys.admin_key, keys.wall.now()) is None
        await identity.key_material(keys.admin_key)
    assert keys.cache.get(keys.admin_key, keys.wall.now()) is not None


async def test_temporary_credentials_are_not_cached(keys: Keys) -> None:
    caller = (await keys.lookup(keys.admin_key)).caller
    async with keys.database.unit_of_work() as uow:
        issued = await keys.service(uow.session).temporary_credentials(caller, duration_seconds=900)
    await keys.lookup(issued.access_key)
    assert keys.cache.get(issued.access_key, keys.wall.now()) is None


async def test_a_zero_lifetime_caches_nothing(keys: Keys) -> None:
    keys.cache = KeyCache(timedelta(0))
    await keys.lookup(keys.admin_key)
    with counted(keys.database) as statements:
        await keys.lookup(keys.admin_key)
    assert any("access_keys" in s for s in statements)
