"""Bulk usage ingest on a real database (SQLite or PostgreSQL, as the suite runs): duplicates
within a batch, re-imports that overlap across batches (the PostgreSQL path switches between
``COPY`` and its ``ON CONFLICT`` fallback), record ids that need escaping in ``COPY`` text,
concurrent imports of the same records, and the quantity parser against a reference."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from partner_center.domains.usage.ingest import _quantity_units
from partner_center.domains.usage.models import UsageRecord
from partner_center.domains.usage.public import (
    IngestReport,
    RejectReason,
    ResourceSpec,
)
from partner_center.kernel.clock import FixedClock
from tests.factories.budgets import BudgetWorld, catalog_world
from tests.wiring import services_for

T0 = datetime(2027, 5, 1, 12, 0, tzinfo=UTC)
HOUR_TEXT = (T0 - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[BudgetWorld]:
    async with catalog_world(T0) as world:
        yield world


@pytest.fixture
async def vm(world: BudgetWorld) -> str:
    """A pay-per-use VM of a new customer, running since a day before T0."""
    partner = await world.partner()
    cid = await world.customer(partner)
    await world.set_budget(partner, cid, "1000", lift=True)
    async with world.db.unit_of_work() as uow:
        view = await services_for(
            uow.session, FixedClock(T0 - timedelta(days=1))
        ).usage.start_on_demand(
            cid,
            ResourceSpec(
                region_code="ap-southeast-1",
                service_type_code="hws.service.type.ec2",
                resource_type_code="hws.resource.type.vm",
                resource_spec_code="s6.small.1.linux",
                resource_name="vm",
            ),
        )
    return view.resource_id


def rec(rid: str, record_id: str, quantity: str = "1") -> dict[str, Any]:
    return {
        "record_id": record_id,
        "resource_id": rid,
        "usage_type": "Duration",
        "usage_hour": HOUR_TEXT,
        "quantity": quantity,
        "measure_id": 4,
    }


async def ingest(world: BudgetWorld, records: list[Any], batch_size: int = 1000) -> IngestReport:
    async with world.db.unit_of_work() as uow:
        ingest = services_for(uow.session, world.clock).usage_ingest
        ingest.batch_size = batch_size
        return await ingest.ingest(records)


async def stored(world: BudgetWorld, rid: str) -> dict[str, Decimal]:
    async with world.db.unit_of_work() as uow:
        rows = await uow.session.execute(
            select(UsageRecord.record_id, UsageRecord.quantity).where(
                UsageRecord.resource_id == rid
            )
        )
        return {record_id: quantity for record_id, quantity in rows}


async def test_a_record_id_twice_in_one_batch_is_stored_once(world: BudgetWorld, vm: str) -> None:
    report = await ingest(
        world, [rec(vm, "a"), rec(vm, "b"), rec(vm, "a", "2"), rec(vm, "c", "0.25")]
    )
    assert (report.received, report.accepted, report.duplicates, report.rejected) == (4, 3, 1, 0)
    rows = await stored(world, vm)
    assert set(rows) == {"a", "b", "c"}
    assert rows["b"] == Decimal(1) and rows["c"] == Decimal("0.25")


async def test_a_re_import_overlapping_several_batches(world: BudgetWorld, vm: str) -> None:
    first = await ingest(world, [rec(vm, f"old-{i}") for i in range(6)], batch_size=4)
    assert (first.accepted, first.duplicates) == (6, 0)
    # Batches of 4: all stored; all new (after a batch of duplicates); all new; then mixed.
    records = (
        [rec(vm, f"old-{i}") for i in range(4)]
        + [rec(vm, f"new-{i}") for i in range(8)]
        + [rec(vm, "old-4"), rec(vm, "new-8"), rec(vm, "old-5"), rec(vm, "new-9", "3.5")]
    )
    report = await ingest(world, records, batch_size=4)
    assert (report.received, report.accepted, report.duplicates, report.rejected) == (16, 10, 6, 0)
    rows = await stored(world, vm)
    assert len(rows) == 16
    assert rows["new-9"] == Decimal("3.5")
    again = await ingest(world, records, batch_size=4)
    assert (again.accepted, again.duplicates) == (0, 16)
    assert len(await stored(world, vm)) == 16


async def test_record_ids_that_need_escaping_are_stored_exactly(
    world: BudgetWorld, vm: str
) -> None:
    ids = [
        "tab\there",
        "back\\slash",
        "new\nline",
        "crlf\r\n",
        "\\N",
        "\\.",
        'quote"d,comma',
        "ünïcödé-✓-用量",
        "x" * 64,
    ]
    bad = ["nul\x00id", "lone\ud800surrogate", "y" * 65, ""]
    records = (
        [rec(vm, i) for i in ids[:4]] + [rec(vm, b) for b in bad] + [rec(vm, i) for i in ids[4:]]
    )
    report = await ingest(world, records)
    assert (report.accepted, report.rejected) == (len(ids), len(bad))
    assert [(r.line, r.reason) for r in report.rejections] == [
        (5, RejectReason.MALFORMED),
        (6, RejectReason.MALFORMED),
        (7, RejectReason.MALFORMED),
        (8, RejectReason.MALFORMED),
    ]
    assert set(await stored(world, vm)) == set(ids)


async def test_concurrent_imports_of_the_same_records_store_each_once(
    world: BudgetWorld, vm: str
) -> None:
    records = [rec(vm, f"both-{i}", f"{i}.5") for i in range(300)]
    one, two = await asyncio.gather(ingest(world, records), ingest(world, records[::-1][:150]))
    assert one.accepted + two.accepted == 300
    assert one.duplicates + two.duplicates == 150
    rows = await stored(world, vm)
    assert len(rows) == 300
    assert rows["both-7"] == Decimal("7.5")


def _reference_units(text: str) -> int | None:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount >= Decimal(10) ** 10:
        return None
    scaled = amount * 10**8
    return int(scaled) if scaled == scaled.to_integral_value() else None


@given(
    st.one_of(
        st.text(alphabet="0123456789.-+eE _", max_size=14),
        st.decimals(min_value=0, max_value=Decimal("9999999999.99999999"), places=8).map(str),
        st.from_regex(r"\A[0-9]{0,12}(\.[0-9]{0,10})?\Z"),
    )
)
def test_quantities_parse_as_exact_decimals(text: str) -> None:
    """The plain-digits fast path and the Decimal path agree with an exact reference."""
    assert _quantity_units(text) == _reference_units(text)
