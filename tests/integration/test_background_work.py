"""Background work run by the job machinery one step per job: its progress is committed step
by step, the next step is enqueued by the one before, a refused step ends the work FAILED with
the service's error, and only the account that started it sees it."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from importlib.resources import files
from typing import Any

import pytest
from sqlalchemy import func, select

from partner_center.domains.background.public import WorkKind, WorkStatus, WorkView
from partner_center.domains.balances.public import TopUpChannel
from partner_center.domains.billing.models import PartnerBill
from partner_center.domains.catalog.models import CatalogVersion
from partner_center.domains.customers.public import PartnerActor
from partner_center.domains.payments.public import StatementRange
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Base, Database
from partner_center.kernel.errors import DomainError
from partner_center.kernel.jobs import run_due
from partner_center.kernel.pagination import Page
from partner_center.worker.registry import build_registry
from tests.dbutil import create_fresh_database, drop_database
from tests.integration.test_bill_run import RUN_MARCH, Shop, _world
from tests.integration.test_control_states import admin_actor, new_partner
from tests.wiring import services_for, wiring_for

ZONE = wiring_for().settings.zone


async def run_jobs(database: Database, clock: FixedClock, **settings: Any) -> None:
    registry = build_registry(wiring_for(**settings))
    await run_due(database, registry, until=clock.now(), zone=ZONE)


async def work(database: Database, clock: FixedClock, owner_id: str, work_id: str) -> WorkView:
    async with database.unit_of_work() as uow:
        return await services_for(uow.session, clock).background.get(owner_id, work_id)


async def step(database: Database, clock: FixedClock, work_id: str, **settings: Any) -> None:
    async with database.unit_of_work() as uow:
        await services_for(uow.session, clock, **settings).background.step(work_id)


async def test_an_export_runs_page_by_page(
    database: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("partner_center.domains.background.service.EXPORT_PAGE", 2)
    partner = await new_partner(database, clock)
    for amount in ("1.00", "2.00", "3.00"):
        async with database.unit_of_work() as uow:
            await services_for(uow.session, clock).balances.top_up(
                partner.partner_id,
                Decimal(amount),
                channel=TopUpChannel.BANK_TRANSFER,
                actor_id="operator",
            )
    today = clock.now().astimezone(ZONE).date()
    async with database.unit_of_work() as uow:
        svc = services_for(uow.session, clock)
        started = await svc.background.start_statement_export(
            await admin_actor(svc, partner.partner_id),
            StatementRange(begin=today - timedelta(days=1), end=today),
        )
        with pytest.raises(DomainError) as refused:
            await svc.background.start_statement_export(
                await admin_actor(svc, partner.partner_id),
                StatementRange(begin=today, end=today - timedelta(days=1)),
            )
        assert refused.value.code == "CBC.0100"
    assert started.status == WorkStatus.QUEUED and started.percent == 0

    await step(database, clock, started.work_id)
    halfway = await work(database, clock, partner.partner_id, started.work_id)
    assert (halfway.status, halfway.done, halfway.total) == (WorkStatus.RUNNING, 2, 3)
    assert halfway.percent == 66

    await run_jobs(database, clock)  # the step the first one enqueued
    finished = await work(database, clock, partner.partner_id, started.work_id)
    assert (finished.status, finished.done, finished.percent) == (WorkStatus.DONE, 3, 100)
    async with database.unit_of_work() as uow:
        name, content = await services_for(uow.session, clock).background.result_file(
            partner.partner_id, started.work_id
        )
    rows = list(csv.reader(io.StringIO(content.decode())))
    assert name.endswith(".csv") and len(rows) == 4
    assert sorted(r[4] for r in rows[1:]) == ["1.00", "2.00", "3.00"]

    other = await new_partner(database, clock)
    with pytest.raises(DomainError) as hidden:
        await work(database, clock, other.partner_id, started.work_id)
    assert hidden.value.code == "CBC.0100"


@pytest.fixture
async def shop() -> AsyncIterator[Shop]:
    async for value in _world():
        yield value


async def _start_bill_run(shop: Shop, cycle: str) -> str:
    async with shop.world.db.unit_of_work() as uow:
        svc = services_for(uow.session, shop.world.clock)
        started = await svc.background.start_bill_run(
            operator_id="operator", member_id=None, cycle=cycle
        )
        return started.work_id


async def test_a_bill_run_advances_batch_by_batch(shop: Shop) -> None:
    db, clock = shop.world.db, shop.world.clock
    clock.set(RUN_MARCH - timedelta(hours=1))
    march = await _start_bill_run(shop, "2027-03")
    too_early = await _start_bill_run(shop, "2027-04")
    await step(db, clock, march, bill_batch_size=1)
    first = await work(db, clock, "operator", march)
    assert first.status == WorkStatus.RUNNING and first.total == 2 and first.done == 1
    await run_jobs(db, clock, bill_batch_size=1)
    done = await work(db, clock, "operator", march)
    assert done.status == WorkStatus.DONE and done.done == done.total == 2
    async with db.unit_of_work() as uow:
        bills = await uow.session.scalar(
            select(func.count()).select_from(PartnerBill).where(PartnerBill.cycle == "2027-03")
        )
    assert done.summary["partner_bills"] == bills == 2
    refused = await work(db, clock, "operator", too_early)
    assert refused.status == WorkStatus.FAILED and refused.error_code == "CBC.0100"
    assert "2027-04" in (refused.error_msg or "")


async def test_a_catalogue_import_is_checked_then_applied(clock: FixedClock) -> None:
    url, pg_name = await create_fresh_database()
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        demo = files("partner_center").joinpath("catalog_data", "demo-catalog.json")
        ids = []
        for content in (demo.read_bytes(), b'{"version": "x"}'):
            async with db.unit_of_work() as uow:
                started = await services_for(uow.session, clock).background.start_catalog_import(
                    operator_id="operator", member_id=None, file_name="c.json", content=content
                )
                ids.append(started.work_id)
        good, bad = ids
        await step(db, clock, good)
        checked = await work(db, clock, "operator", good)
        assert (checked.stage, checked.done, checked.total) == ("checked", 1, 2)
        assert checked.summary["prices_added"] > 0
        async with db.unit_of_work() as uow:
            assert await uow.session.scalar(select(func.count(CatalogVersion.version))) == 0
        await run_jobs(db, clock)
        imported = await work(db, clock, "operator", good)
        assert imported.status == WorkStatus.DONE and imported.kind == WorkKind.CATALOG_IMPORT
        assert imported.summary == checked.summary
        async with db.unit_of_work() as uow:
            assert await uow.session.scalar(select(func.count(CatalogVersion.version))) == 1
        failed = await work(db, clock, "operator", bad)
        assert failed.status == WorkStatus.FAILED and failed.error_code == "CATALOG.INVALID_FILE"
        async with db.unit_of_work() as uow:
            listed, total = await services_for(uow.session, clock).background.list(
                "operator", (WorkKind.CATALOG_IMPORT,), Page(0, 10)
            )
        assert total == 2 and {w.work_id for w in listed} == {good, bad}
    finally:
        await db.dispose()
        await drop_database(pg_name)


async def test_a_bill_export_is_the_cli_file_of_the_partner_alone(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("partner_center.domains.background.service.EXPORT_PAGE", 2)
    db, clock = shop.world.db, shop.world.clock
    clock.set(RUN_MARCH - timedelta(hours=1))
    await step(db, clock, await _start_bill_run(shop, "2027-03"))
    await run_jobs(db, clock)
    csp = shop.csp.partner_id
    async with db.unit_of_work() as uow:
        svc = services_for(uow.session, clock)
        actor = await admin_actor(svc, csp)
        started = await svc.background.start_bill_export(actor, "2027-03")
        with pytest.raises(DomainError) as refused:
            await svc.background.start_bill_export(actor, "2027-3")
        assert refused.value.code == "CBC.0100"
        cli_file = "".join([chunk async for chunk in svc.billing.export_lines(csp, "2027-03")])
    await step(db, clock, started.work_id)
    halfway = await work(db, clock, csp, started.work_id)
    assert halfway.status == WorkStatus.RUNNING and halfway.done == 2
    await run_jobs(db, clock)
    finished = await work(db, clock, csp, started.work_id)
    assert finished.status == WorkStatus.DONE and finished.done == finished.total
    async with db.unit_of_work() as uow:
        name, content = await services_for(uow.session, clock).background.result_file(
            csp, started.work_id
        )
    assert name == "customer-bill-lines-2027-03.csv"
    assert content.decode() == cli_file
    rows = list(csv.DictReader(io.StringIO(cli_file)))
    assert len(rows) == finished.total > 2
    assert {r["customer_id"] for r in rows} == {shop.c4, shop.c5}
    with pytest.raises(DomainError) as hidden:
        async with db.unit_of_work() as uow:
            await services_for(uow.session, clock).background.result_file(
                shop.distributor.partner_id, started.work_id
            )
    assert hidden.value.code == "CBC.0100"


async def test_exports_need_the_permission_to_view_partner_bills(
    database: Database, clock: FixedClock
) -> None:
    """A Sales Manager may not export the bills or statements it may not read (CBC.0151);
    a Finance member may."""
    partner = await new_partner(database, clock)
    today = clock.now().astimezone(ZONE).date()
    window = StatementRange(begin=today, end=today)
    async with database.unit_of_work() as uow:
        svc = services_for(uow.session, clock)
        admin = await admin_actor(svc, partner.partner_id)
        actors: dict[str, PartnerActor] = {}
        for role in ("SALES_MANAGER", "FINANCE"):
            made = await svc.identity.create_member(
                account_id=partner.partner_id, name=f"m-{role}", roles=[role]
            )
            caller = await svc.identity.caller_for(partner.partner_id, made.id, method="test")
            actors[role] = PartnerActor(caller=caller, partner=admin.partner)
        for start in (
            svc.background.start_bill_export(actors["SALES_MANAGER"], "2027-03"),
            svc.background.start_statement_export(actors["SALES_MANAGER"], window),
        ):
            with pytest.raises(DomainError) as refused:
                await start
            assert refused.value.code == "CBC.0151"
        started = await svc.background.start_bill_export(actors["FINANCE"], "2027-03")
        assert started.status == WorkStatus.QUEUED
        started = await svc.background.start_statement_export(actors["FINANCE"], window)
        assert started.status == WorkStatus.QUEUED
