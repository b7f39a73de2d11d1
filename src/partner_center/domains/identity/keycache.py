"""What a permanent access key verifies with (its decrypted secret and its caller), kept in this
process's memory for a few seconds, so a signed request neither reads nor decrypts its key every
time (about 40% of a small read's fixed cost).

Invariants:

- Only process memory holds the cached secrets; nothing is written anywhere.
- A transaction of this process that changes an access key, an account or a member (ORM
  objects flushed, or an UPDATE/DELETE statement on their tables) empties every cache of the
  process when it commits. A lookup that was reading while such a commit happened does not
  store what it read (the generation check). So disabling or deleting a key, suspending an
  account or a member, or changing a member's roles applies to this process's next request.
- Another process's change applies here within the cache's lifetime (``ttl``, a few seconds).
- Only permanent own keys are cached: temporary credentials expire and their agency can be
  revoked, so they are read every time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

#: The tables whose changes can make a cached key's material wrong.
WATCHED_TABLES = frozenset({"access_keys", "accounts", "members"})
_CHANGED = "partner_center.identity_changed"
_generations = itertools.count(1)
_generation = next(_generations)

M = TypeVar("M")


def current_generation() -> int:
    """Bumped by every commit of this process that changed a watched table."""
    return _generation


def _invalidate() -> None:
    global _generation
    _generation = next(_generations)


def _touches_watched(objects: Iterable[Any]) -> bool:
    return any(
        getattr(getattr(o, "__table__", None), "name", None) in WATCHED_TABLES for o in objects
    )


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    if _touches_watched(itertools.chain(session.new, session.dirty, session.deleted)):
        session.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in WATCHED_TABLES:
            state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        _invalidate()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)


@dataclass(frozen=True, slots=True)
class _Entry(Generic[M]):
    material: M
    until: datetime
    generation: int


class KeyCache(Generic[M]):
    """Key material by access key, each entry for ``ttl`` of wall-clock time at most (a zero
    ``ttl`` caches nothing); ``max_entries`` bounds the memory (the oldest entry goes first)."""

    def __init__(self, ttl: timedelta, *, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, _Entry[M]] = {}

    def get(self, access_key: str, now: datetime) -> M | None:
        entry = self._entries.get(access_key)
        if entry is None:
            return None
        if entry.generation != _generation or now >= entry.until:
            self._entries.pop(access_key, None)
            return None
        return entry.material

    def put(self, access_key: str, material: M, *, now: datetime, generation: int) -> None:
        """Keep ``material``, read from the database after ``generation`` was current, unless
        a change was committed since (it may have been read before the change)."""
        if self.ttl <= timedelta(0) or generation != _generation:
            return
        self._entries.pop(access_key, None)
        while len(self._entries) >= self.max_entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[access_key] = _Entry(material, now + self.ttl, generation)

    def clear(self) -> None:
        self._entries.clear()
