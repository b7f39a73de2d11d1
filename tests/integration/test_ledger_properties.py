"""Property: random sequences of transfers, holds, posts, voids, reversals and retries among a few
accounts (some guarded) keep the books balanced, within limits, and equal to the ledger.

A small in-memory model predicts every outcome, so the test also proves the service refuses
exactly the operations that would break a guard, and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from partner_center.domains.ledger.public import (
    Guard,
    LedgerService,
    TransferView,
    available_amount,
    reconcile,
)
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Database
from partner_center.kernel.errors import DomainError
from partner_center.kernel.ids import new_domain_id, new_id

D = Decimal
GUARDS = [
    (Guard.DEBITS_MUST_NOT_EXCEED_CREDITS, D(0)),
    (Guard.DEBITS_MUST_NOT_EXCEED_CREDITS, D(20)),
    (Guard.CREDITS_MUST_NOT_EXCEED_DEBITS, D(30)),
    (Guard.NONE, D(0)),
]
N = len(GUARDS)

amounts = st.one_of(
    st.integers(1, 4_000).map(lambda n: D(n).scaleb(-2)),
    st.integers(1, 10**9).map(lambda n: D(n).scaleb(-8)),
)


@dataclass(frozen=True)
class Move:
    debit: int
    credit: int
    amount: Decimal
    pending: bool


@dataclass(frozen=True)
class Post:
    hold: int
    """Index into the holds made so far (modulo their number)."""
    percent: int | None
    """Post this percentage of the hold, or all of it (``amount=None``)."""


@dataclass(frozen=True)
class Void:
    hold: int


@dataclass(frozen=True)
class Reverse:
    posted: int


@dataclass(frozen=True)
class Retry:
    call: int
    """Index into the successful calls so far: resubmit one with identical arguments."""


Operation = Move | Post | Void | Reverse | Retry


@st.composite
def moves(draw: st.DrawFn) -> Move:
    debit = draw(st.integers(0, N - 1))
    credit = (debit + draw(st.integers(1, N - 1))) % N
    return Move(debit, credit, draw(amounts), draw(st.booleans()))


refs = st.integers(0, 20)
operations: st.SearchStrategy[Operation] = st.one_of(
    moves(),
    moves(),
    moves(),
    st.builds(Post, refs, st.one_of(st.none(), st.integers(1, 100))),
    st.builds(Void, refs),
    st.builds(Reverse, refs),
    st.builds(Retry, refs),
)


@dataclass
class Model:
    totals: list[list[Decimal]] = field(default_factory=lambda: [[D(0)] * 4 for _ in GUARDS])
    holds: list[tuple[str, int, int, Decimal]] = field(default_factory=list)
    resolved: set[str] = field(default_factory=set)
    posted: list[tuple[str, int, int, Decimal]] = field(default_factory=list)
    reversed: set[str] = field(default_factory=set)
    calls: list[tuple[str, dict[str, Any], TransferView]] = field(default_factory=list)

    def headroom(self, k: int, totals: list[Decimal]) -> Decimal | None:
        guard, limit = GUARDS[k]
        dp, cp, dpe, cpe = totals
        return available_amount(
            guard,
            limit,
            debits_posted=dp,
            credits_posted=cp,
            debits_pending=dpe,
            credits_pending=cpe,
        )

    def allows(self, changes: dict[int, list[Decimal]]) -> bool:
        for k, delta in changes.items():
            before = self.headroom(k, self.totals[k])
            after = self.headroom(k, [t + d for t, d in zip(self.totals[k], delta, strict=True)])
            if before is not None and after is not None and after < 0 and after < before:
                return False
        return True

    def apply(self, changes: dict[int, list[Decimal]]) -> None:
        for k, delta in changes.items():
            self.totals[k] = [t + d for t, d in zip(self.totals[k], delta, strict=True)]


def _changes(
    debit: int, credit: int, posted: Decimal, pending: Decimal
) -> dict[int, list[Decimal]]:
    return {
        debit: [posted, D(0), pending, D(0)],
        credit: [D(0), posted, D(0), pending],
    }


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(operations, min_size=3, max_size=30))
async def test_random_ledger_histories_stay_consistent(
    database: Database, steps: list[Operation]
) -> None:
    clock = FixedClock(datetime(2026, 11, 29, 8, 0, tzinfo=UTC))
    tenant = new_domain_id()
    async with database.unit_of_work() as uow:
        svc = LedgerService(uow.session, clock)
        accounts = [
            (
                await svc.open_account(
                    tenant_id=tenant, code=f"acct-{k}", currency="USD", guard=g, limit=limit
                )
            ).id
            for k, (g, limit) in enumerate(GUARDS)
        ]
    model = Model()
    # Seed some money into the guarded accounts so spends are sometimes allowed.
    seed: list[Operation] = [Move(3, 0, D(25), False), Move(3, 1, D(10), False)]

    for step in seed + steps:
        tid = new_id()
        changes: dict[int, list[Decimal]] = {}
        new_hold: tuple[str, int, int, Decimal] | None = None
        new_posting: tuple[str, int, int, Decimal] | None = None
        resolves: str | None = None
        reverses: str | None = None
        replayed: TransferView | None = None
        kwargs: dict[str, Any]
        if isinstance(step, Move):
            method = "transfer"
            kwargs = {
                "transfer_id": tid,
                "debit_account_id": accounts[step.debit],
                "credit_account_id": accounts[step.credit],
                "amount": step.amount,
                "currency": "USD",
                "code": "prop",
                "pending": step.pending,
                "tenant_id": tenant,
            }
            if step.pending:
                changes = _changes(step.debit, step.credit, D(0), step.amount)
                new_hold = (tid, step.debit, step.credit, step.amount)
            else:
                changes = _changes(step.debit, step.credit, step.amount, D(0))
                new_posting = (tid, step.debit, step.credit, step.amount)
            expect_ok = model.allows(changes)
        elif isinstance(step, Post | Void):
            if not model.holds:
                continue
            hold_id, debit, credit, held = model.holds[step.hold % len(model.holds)]
            posted = D(0)
            if isinstance(step, Post):
                method = "post_pending"
                if step.percent is None:
                    posted, amount = held, None
                else:
                    posted = max((held * step.percent / 100).quantize(D("1e-8")), D("1e-8"))
                    amount = posted
                kwargs = {"transfer_id": tid, "pending_id": hold_id, "amount": amount}
                new_posting = (tid, debit, credit, posted)
            else:
                method = "void_pending"
                kwargs = {"transfer_id": tid, "pending_id": hold_id}
            changes = _changes(debit, credit, posted, -held)
            resolves = hold_id
            expect_ok = hold_id not in model.resolved and model.allows(changes)
        elif isinstance(step, Reverse):
            if not model.posted:
                continue
            original, debit, credit, amount = model.posted[step.posted % len(model.posted)]
            method = "reverse"
            kwargs = {"transfer_id": tid, "original_id": original}
            changes = _changes(credit, debit, amount, D(0))
            reverses = original
            new_posting = (tid, credit, debit, amount)
            expect_ok = original not in model.reversed and model.allows(changes)
        else:
            if not model.calls:
                continue
            method, kwargs, replayed = model.calls[step.call % len(model.calls)]
            expect_ok = True

        try:
            async with database.unit_of_work() as uow:
                view = await getattr(LedgerService(uow.session, clock), method)(**kwargs)
        except DomainError as exc:
            event(f"{method}: refused {exc.code}")
            assert not expect_ok, f"{method}{kwargs} refused: {exc}"
            assert exc.code in ("CBC.99005003", "CBC.0100"), exc
            continue
        event(f"{method}: {'replayed' if replayed else 'ok'}")
        assert expect_ok, f"{method}{kwargs} should have been refused"
        assert isinstance(view, TransferView)
        if replayed is not None:
            assert view == replayed
            continue
        assert view.id == tid
        model.apply(changes)
        model.calls.append((method, kwargs, view))
        if new_hold:
            model.holds.append(new_hold)
        if new_posting:
            model.posted.append(new_posting)
        if resolves:
            model.resolved.add(resolves)
        if reverses:
            model.reversed.add(reverses)

    async with database.unit_of_work() as uow:
        svc = LedgerService(uow.session, clock)
        balances = [await svc.balance(a) for a in accounts]
        report = await reconcile(uow.session)

    for k, b in enumerate(balances):
        assert [b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending] == (
            model.totals[k]
        )
        if b.available is not None:
            assert b.available >= 0, (GUARDS[k], b)
    assert sum(b.debits_posted for b in balances) == sum(b.credits_posted for b in balances)
    assert sum(b.debits_pending for b in balances) == sum(b.credits_pending for b in balances)
    assert [d for d in report.discrepancies if d.account_id in accounts] == []
    assert [x for x in report.limit_breaches if x.account_id in accounts] == []
    assert report.imbalances == ()
