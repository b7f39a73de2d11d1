"""Password sign-in throttling and lockout, for every sign-in form: the IAM token endpoint
(``POST /v3/auth/tokens``) and the console's.

Two counters, both persisted (several server processes share them through the database) and
both timed by the wall clock (security time; moving the sandbox clock changes nothing):

* **per account + user**, keyed by the names *as presented*, whether or not they exist: after
  ``max_failures`` failures, each less than ``window`` after the previous one, the pair is
  locked for ``lockout`` and every attempt is refused, the right password included. The answer
  is the same for a user that does not exist, so lockout reveals nothing. Names are compared
  case-insensitively, so varying the case does not escape the count. A success resets it.
* **per source** (the client address; an IPv6 address counts as its /64 network, which one
  client usually holds whole): after ``source_max_failures`` failures from one source, it is
  refused for ``lockout``. This bounds guessing spread over many users (password spraying) and
  how many users one source can lock out (``source_max_failures / max_failures`` per lockout).
  A success does not reset it: a valid account of its own would let an attacker wipe it.

Attempts refused by a lock are not counted (they check no password). Huawei IAM's defaults are
kept: 5 failures, a 15-minute window, locked 15 minutes.

Use, in one unit of work per attempt::

    guard = SignInGuard(session, wall=wall_clock, policy=policy)
    subject = SignInSubject(account_name, user_name, source=client_address)
    await guard.check(subject)                # raises while locked, before any password check
    if not password_matches:
        await guard.record_failure(subject)   # counts it and raises the generic sign-in error
    await guard.record_success(subject)

``check`` locks the subject's rows until the unit of work ends, so concurrent attempts on the
same user (or from the same source) are counted strictly one after another: a burst of guesses
cannot all slip through before the lock. Rows are always taken source first, then user.

Rows that hold nothing any more (no lock in force, no failure within the window: exactly what
a missing row means) are purged as attempts are recorded, ``PURGE_BATCH`` at a time, skipping
rows another attempt holds, so the table stays the size of recent activity.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.identity import errors
from partner_center.domains.identity.models import SignInThrottle, ThrottleScope
from partner_center.kernel.clock import Clock

#: Idle rows deleted at most per recorded attempt.
PURGE_BATCH = 100


@dataclass(frozen=True, slots=True)
class SignInPolicy:
    """Thresholds and durations (settings ``PARTNER_CENTER_SIGNIN_*``, README)."""

    max_failures: int = 5
    """Failures of one account + user that lock it."""
    source_max_failures: int = 30
    """Failures from one source that block it; 0 turns the per-source limit off."""
    window: timedelta = timedelta(minutes=15)
    """A failure this long after the previous one starts the count again."""
    lockout: timedelta = timedelta(minutes=15)
    """How long a locked user, or a blocked source, is refused."""


@dataclass(frozen=True, slots=True)
class SignInSubject:
    """Who is signing in: the account (domain) name and user name as typed, and the client
    address (None when there is none, e.g. a local tool: then only the user counter applies)."""

    account_name: str
    user_name: str
    source: str | None = None


def _digest(scope: ThrottleScope, *parts: str) -> str:
    return hashlib.sha256(json.dumps([scope.value, *parts]).encode()).hexdigest()


def _source_subject(source: str | None) -> str | None:
    """The address a source is counted under: IPv4 as is, IPv6 as its /64 network."""
    if source is None or not source.strip():
        return None
    text = source.strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text.lower()
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address.packed, 64), strict=False))
    return str(address)


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds() / 60))


class SignInGuard:
    """Throttling and lockout of password sign-ins (module docstring). ``wall`` is the security
    clock; the guard ``flush()``-es, the caller's unit of work commits."""

    def __init__(self, session: AsyncSession, *, wall: Clock, policy: SignInPolicy) -> None:
        self.session = session
        self.wall = wall
        self.policy = policy

    async def check(self, subject: SignInSubject) -> None:
        """Call before verifying the password. Locks the subject's rows for the rest of the unit
        of work.

        Raises:
            DomainError: ``APIG.0308`` (429) while the source is blocked; ``IAM.0004`` (401)
                while the account + user is locked (also for names that do not exist).
        """
        now = self.wall.now()
        source, user = await self._rows(subject)
        if source is not None and source.locked_until is not None and now < source.locked_until:
            raise errors.source_throttled(_minutes_left(source.locked_until, now))
        if user.locked_until is not None and now < user.locked_until:
            raise errors.account_locked(_minutes_left(user.locked_until, now))

    async def record_failure(self, subject: SignInSubject) -> NoReturn:
        """Count a wrong account name, user name or password (locking at the threshold) and
        raise the one error every such failure gets.

        Raises:
            DomainError: ``IAM.0001`` (401) with ``keep_changes`` so the count is committed.
        """
        now = self.wall.now()
        source, user = await self._rows(subject)
        self._count(user, now, self.policy.max_failures)
        if source is not None:
            self._count(source, now, self.policy.source_max_failures)
        await self._purge(now, keep=(source, user))
        await self.session.flush()
        raise errors.sign_in_failed()

    async def record_success(self, subject: SignInSubject) -> None:
        """The password was right: the account + user's count and lock start afresh (the
        source's do not)."""
        source, user = await self._rows(subject)
        user.failures = 0
        user.last_failure_at = None
        user.locked_until = None
        await self._purge(self.wall.now(), keep=(source, user))
        await self.session.flush()

    async def _purge(
        self, now: datetime, *, keep: tuple[SignInThrottle | None, SignInThrottle]
    ) -> None:
        """Delete up to ``PURGE_BATCH`` rows that hold nothing any more, other than ``keep``
        (this attempt's) and rows other attempts have locked (PostgreSQL skips them)."""
        stale = (
            select(SignInThrottle.key)
            .where(
                or_(SignInThrottle.locked_until.is_(None), SignInThrottle.locked_until <= now),
                or_(
                    SignInThrottle.last_failure_at.is_(None),
                    SignInThrottle.last_failure_at <= now - self.policy.window,
                ),
                SignInThrottle.key.not_in([row.key for row in keep if row is not None]),
            )
            .limit(PURGE_BATCH)
            .with_for_update(skip_locked=True)
        )
        keys = list(await self.session.scalars(stale))
        if keys:
            await self.session.execute(
                delete(SignInThrottle)
                .where(SignInThrottle.key.in_(keys))
                .execution_options(synchronize_session=False)
            )

    def _count(self, row: SignInThrottle, now: datetime, limit: int) -> None:
        if row.last_failure_at is None or now - row.last_failure_at >= self.policy.window:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= limit:
            row.locked_until = now + self.policy.lockout
            row.failures = 0

    async def _rows(self, subject: SignInSubject) -> tuple[SignInThrottle | None, SignInThrottle]:
        """The source's and the user's rows, created if new and locked (source first)."""
        source_subject = _source_subject(subject.source)
        source = None
        if source_subject is not None and self.policy.source_max_failures > 0:
            source = await self._locked_row(
                _digest(ThrottleScope.SOURCE, source_subject), ThrottleScope.SOURCE
            )
        user_key = _digest(
            ThrottleScope.USER, subject.account_name.casefold(), subject.user_name.casefold()
        )
        return source, await self._locked_row(user_key, ThrottleScope.USER)

    async def _locked_row(self, key: str, scope: ThrottleScope) -> SignInThrottle:
        # INSERT .. ON CONFLICT DO NOTHING: a concurrent first attempt waits for the other's
        # row instead of failing; then the row is locked until the unit of work ends.
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        # A concurrent purge may delete an idle row between the two statements: insert again.
        for _ in range(3):
            await self.session.execute(
                insert(SignInThrottle)
                .values(key=key, scope=scope, failures=0)
                .on_conflict_do_nothing(index_elements=["key"])
            )
            row = await self.session.scalar(
                select(SignInThrottle)
                .where(SignInThrottle.key == key)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            if row is not None:
                return row
        raise RuntimeError(f"sign-in throttle row {key} vanished three times")
