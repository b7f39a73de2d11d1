"""``catalog import`` on a real database: idempotency, effective-dated new versions that never
rewrite the past, version rules, and validation errors that name the entry and write nothing."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from partner_center.domains.catalog.models import (
    CatalogPrice,
    CatalogServicePolicy,
    CatalogSpec,
    CatalogVersion,
)
from partner_center.domains.catalog.public import (
    CatalogImporter,
    CatalogService,
    ChargingMode,
    ImportReport,
    Language,
    OnDemandItem,
    PeriodType,
    ProductKey,
    demo_catalog,
)
from partner_center.kernel.clock import FixedClock
from partner_center.kernel.db import Base, Database
from partner_center.kernel.errors import DomainError
from partner_center.kernel.pagination import Page
from tests.dbutil import create_fresh_database, drop_database
from tests.wiring import services_for

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
VM = "hws.resource.type.vm"
ECS = "hws.service.type.ec2"
HK = "ap-southeast-1"
LARGE = ProductKey(ECS, VM, "s6.large.2.linux", HK)
TRAFFIC_BW = ProductKey("hws.service.type.vpc", "hws.resource.type.bandwidth", "12_bgp", HK)


@pytest.fixture(scope="module")
async def module_db() -> AsyncIterator[Database]:
    url, pg_name = await create_fresh_database()
    database = Database(url)
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield database
    await database.dispose()
    await drop_database(pg_name)


@pytest.fixture
async def db(module_db: Database) -> Database:
    """The module's database with an empty catalogue: the catalogue is global, so every test
    starts from none (children before parents)."""
    async with module_db.unit_of_work() as uow:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name.startswith("catalog_"):
                await uow.session.execute(table.delete())
    return module_db


async def run_import(
    db: Database, raw: Any, *, now: datetime = NOW, dry_run: bool = False, **kwargs: Any
) -> ImportReport:
    async with db.unit_of_work() as uow:
        return await CatalogImporter(uow.session, clock=FixedClock(now)).import_document(
            raw, source="test", dry_run=dry_run, **kwargs
        )


async def count(db: Database, model: Any) -> int:
    async with db.unit_of_work() as uow:
        return int(
            (await uow.session.execute(select(func.count()).select_from(model))).scalar_one()
        )


async def price_rows(db: Database) -> list[tuple[str, str, datetime, datetime | None, int]]:
    async with db.unit_of_work() as uow:
        rows = (await uow.session.execute(select(CatalogPrice).order_by(CatalogPrice.id))).scalars()
        return [(r.id, r.offering_id, r.effective_from, r.effective_to, r.version) for r in rows]


async def unit_price(
    db: Database, key: ProductKey, as_of: datetime, *, factor: str = "Duration", measure: int = 4
) -> Decimal:
    """The list price of one usage unit (an hour, a GB) of ``key`` at ``as_of``."""
    async with db.unit_of_work() as uow:
        rating = await services_for(uow.session, FixedClock(as_of)).inquiry.rate_on_demand(
            "no-customer", [OnDemandItem("1", key, factor, Decimal(1), measure, 1)], as_of=as_of
        )
        return rating.lines[0].official


def spec_entry(doc: dict[str, Any], code: str) -> dict[str, Any]:
    entry: dict[str, Any] = next(s for s in doc["specs"] if s["code"] == code)
    return entry


def price_entry(spec: dict[str, Any], region: str, mode: str, selector: Any) -> dict[str, Any]:
    key = "period_type" if mode == "PERIOD" else "usage_factor"
    entry: dict[str, Any] = next(
        p
        for p in spec["prices"]
        if p["region"] == region and p["charging_mode"] == mode and p.get(key) == selector
    )
    return entry


async def test_dry_run_writes_nothing_and_reimport_changes_nothing(db: Database) -> None:
    raw = demo_catalog()
    dry = await run_import(db, raw, dry_run=True)
    assert (dry.dry_run, dry.prices_added, dry.specs_added) == (True, 224, 38)
    assert await count(db, CatalogPrice) == 0
    assert await count(db, CatalogVersion) == 0

    first = await run_import(db, raw)
    assert (first.prices_added, first.prices_closed, first.specs_added) == (224, 0, 38)
    assert first.structure_changes > 0
    before = await price_rows(db)
    assert len(before) == 224

    again = await run_import(db, copy.deepcopy(raw), now=datetime(2027, 5, 1, tzinfo=UTC))
    assert again.unchanged
    assert (again.prices_added, again.prices_closed, again.specs_added) == (0, 0, 0)
    assert await price_rows(db) == before
    assert await count(db, CatalogVersion) == 1


async def test_same_version_with_different_content_is_refused(db: Database) -> None:
    raw = demo_catalog()
    await run_import(db, raw)
    before = await price_rows(db)
    changed = copy.deepcopy(raw)
    price_entry(spec_entry(changed, "s6.large.2.linux"), HK, "ON_DEMAND", "Duration")["price"] = (
        "0.05"
    )
    with pytest.raises(DomainError) as info:
        await run_import(db, changed)
    assert info.value.code == "CATALOG.VERSION_CONFLICT"
    assert "new version number" in info.value.message
    assert await price_rows(db) == before


async def test_a_new_version_closes_changed_prices_and_leaves_the_past_alone(
    db: Database,
) -> None:
    v1 = demo_catalog()
    await run_import(db, v1)
    v1_rows = {row[1]: row for row in await price_rows(db)}

    v2 = copy.deepcopy(v1)
    v2["version"] = 2
    v2["effective_from"] = "2026-12-01T00:00:00Z"
    large = spec_entry(v2, "s6.large.2.linux")
    price_entry(large, HK, "ON_DEMAND", "Duration")["price"] = "0.0500"
    price_entry(large, HK, "PERIOD", 2)["price"] = "26.00"
    v2["specs"] = [s for s in v2["specs"] if s["code"] != "12_bgp"]
    # the same price written differently is not a change
    price_entry(spec_entry(v2, "s6.small.1.linux"), HK, "PERIOD", 2)["price"] = "6.8000"

    report = await run_import(db, v2)
    assert (report.prices_added, report.prices_closed, report.prices_kept) == (2, 4, 220)
    assert len(report.notes) == 2  # 12_bgp in two regions is no longer sold

    rows = await price_rows(db)
    assert len(rows) == 226  # nothing deleted, two added
    change = datetime(2026, 12, 1, tzinfo=UTC)
    for row_id, offering, start, end, version in rows:
        if version == 1:
            original = v1_rows[offering]
            assert (row_id, start) == (original[0], original[2])  # never rewritten
            assert end in (None, change)
        else:
            assert (start, end, version) == (change, None, 2)

    before, after = datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC), change
    assert await unit_price(db, LARGE, before) == Decimal("0.0474")
    assert await unit_price(db, LARGE, after) == Decimal("0.05")
    assert await unit_price(db, TRAFFIC_BW, before, factor="upflow", measure=10) == Decimal("0.12")
    with pytest.raises(DomainError) as info:
        await unit_price(db, TRAFFIC_BW, after, factor="upflow", measure=10)
    assert info.value.code == "CBC.99006006"

    async with db.unit_of_work() as uow:
        catalog = CatalogService(uow.session, clock=FixedClock(NOW))
        old = await catalog.period_price(LARGE, PeriodType.MONTH, 3, 1, as_of=before)
        new = await catalog.period_price(LARGE, PeriodType.MONTH, 3, 1, as_of=after)
        assert (old.amount, new.amount) == (Decimal("76.20"), Decimal("78.00"))
        assert old.offering_id == new.offering_id

        def sold(as_of: datetime) -> Callable[[], Any]:
            return lambda: catalog.specs(
                service_type="hws.service.type.vpc",
                resource_type="hws.resource.type.bandwidth",
                region=HK,
                mode=ChargingMode.ON_DEMAND,
                resource_spec=None,
                marker=None,
                limit=100,
                language=Language.EN,
                as_of=as_of,
            )

        assert [s.spec_code for s in (await sold(before)()).specs] == ["19_bgp", "12_bgp"]
        assert [s.spec_code for s in (await sold(after)()).specs] == ["19_bgp"]
        # the specification row stays (old prices refer to it)
        assert (
            await uow.session.execute(select(CatalogSpec).where(CatalogSpec.spec_code == "12_bgp"))
        ).scalar_one()


async def test_version_sequence_rules(db: Database) -> None:
    v1 = demo_catalog()
    await run_import(db, v1)

    def version(number: int, effective: str, **changes: Any) -> dict[str, Any]:
        doc = copy.deepcopy(v1)
        doc.update(version=number, effective_from=effective, **changes)
        return doc

    refusals = [
        (version(3, "2026-11-01T00:00:00Z"), "is in the past"),
        (version(3, "2024-06-01T00:00:00Z"), "before version 1"),
        (version(3, "2027-01-01T00:00:00Z", currency="EUR"), "prices in USD"),
    ]
    for doc, message in refusals:
        with pytest.raises(DomainError) as info:
            await run_import(db, doc)
        assert info.value.code == "CATALOG.VERSION_CONFLICT"
        assert message in info.value.message
    assert await count(db, CatalogVersion) == 1

    await run_import(db, version(3, "2027-01-01T00:00:00Z"))
    with pytest.raises(DomainError) as info:
        await run_import(db, version(2, "2027-02-01T00:00:00Z"))
    assert "older than the imported version 3" in info.value.message
    # a version not yet in force may be superseded by one starting at the same instant
    await run_import(db, version(4, "2027-01-01T00:00:00Z"))
    assert await count(db, CatalogVersion) == 3


def _mutate(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is _DELETE:
            del node[last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return apply


_DELETE = object()


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (_mutate("specs.0.prices.0.region", "mars-1"), "specs[0] 's6.small.1.linux' › prices[0]"),
        (_mutate("specs.0.prices.0.price", "-1"), "price must be a finite number >= 0"),
        (_mutate("specs.0.prices.0.price", "0.000000001"), "at most 8 decimals"),
        (_mutate("specs.0.prices.0.price", 0.5), "never floats"),
        (_mutate("specs.0.prices.0.usage_factor", "upflow"), "usage_types"),
        (_mutate("specs.0.prices.0.usage_measure_id", 10), "same thing as the usage type"),
        (_mutate("specs.0.prices.1.period_nums", []), "period_nums"),
        (_mutate("specs.0.prices.1.period_type", 1), "use 0 (day), 2 (month)"),
        (_mutate("specs.0.prices.1.tiers", [{"price": "1"}]), "either price or tiers"),
        (_mutate("specs.0.resource_type", "hws.resource.type.ip"), "does not include"),
        (_mutate("specs.1.code", "s6.small.1.linux"), "specs[1] 's6.small.1.linux': duplicate"),
        (_mutate("specs.0.colour", "red"), "specs[0] 's6.small.1.linux' › colour"),
        (_mutate("effective_from", "tomorrow"), "effective_from"),
        (_mutate("currency", "usd"), "currency"),
        (_mutate("version", 0), "version"),
        (_mutate("regions", []), "regions"),
        (_mutate("conversions.0.ref_measure_id", 99), "conversions[0] › ref_measure_id"),
        (_mutate("conversions.0.ref_measure_id", 4), "same measure_type"),
        (_mutate("resource_types.0.service_type", "hws.service.type.x"), "unknown service type"),
        (_mutate("service_types.0.resource_types", ["hws.resource.type.nope"]), "unknown resource"),
        (_mutate("specs.24.size.max", 1), "max must not be below min"),
    ],
)
async def test_validation_errors_name_the_entry_and_write_nothing(
    db: Database, mutate: Callable[[dict[str, Any]], None], fragment: str
) -> None:
    doc = demo_catalog()
    mutate(doc)
    with pytest.raises(DomainError) as info:
        await run_import(db, doc)
    assert info.value.code == "CATALOG.INVALID_FILE"
    assert fragment in info.value.message, info.value.message
    assert await count(db, CatalogVersion) == 0
    assert await count(db, CatalogPrice) == 0


@pytest.mark.parametrize(
    ("tiers", "fragment"),
    [
        ([{"up_to": "5", "price": "1"}, {"up_to": "5", "price": "2"}, {"price": "3"}], "greater"),
        ([{"up_to": "5", "price": "1"}], "open-ended"),
        ([{"price": "1"}, {"price": "2"}], "only the last tier"),
    ],
)
async def test_tier_errors_name_the_price(
    db: Database, tiers: list[dict[str, str]], fragment: str
) -> None:
    doc = demo_catalog()
    price = price_entry(spec_entry(doc, "19_bgp"), HK, "ON_DEMAND", "Duration")
    price["tiers"] = tiers
    with pytest.raises(DomainError) as info:
        await run_import(db, doc)
    assert "'19_bgp' › prices[0] (ap-southeast-1) › tiers" in info.value.message
    assert fragment in info.value.message
    assert await count(db, CatalogPrice) == 0


async def test_the_site_currency_must_match(db: Database) -> None:
    with pytest.raises(DomainError) as info:
        await run_import(db, demo_catalog(), expected_currency="CNY")
    assert "the site sells in CNY" in info.value.message
    assert await count(db, CatalogVersion) == 0


async def policy_rows(db: Database, at: datetime) -> dict[str, tuple[int, bool]]:
    async with db.unit_of_work() as uow:
        views, _ = await CatalogService(uow.session, clock=FixedClock(at)).service_policies(
            at=at, service_type=None, window=Page(0, 100), language=Language.EN
        )
    return {v.service_type: (v.incentive_policy, v.allow_discount) for v in views}


async def barred(db: Database, at: datetime) -> set[str]:
    async with db.unit_of_work() as uow:
        return await CatalogService(uow.session, clock=FixedClock(at)).discounts_barred(at)


async def test_a_new_version_dates_policy_changes_and_keeps_the_old_ones(db: Database) -> None:
    v1 = demo_catalog()
    await run_import(db, v1)
    assert await count(db, CatalogServicePolicy) == 5
    v2 = copy.deepcopy(v1)
    v2["version"] = 2
    v2["effective_from"] = "2026-12-01T00:00:00Z"
    services = {s["code"]: s for s in v2["service_types"]}
    services[ECS]["allow_discount"] = False
    services["hws.service.type.rds"]["incentive_policy"] = 2

    dry = await run_import(db, v2, dry_run=True)
    assert dry.structure_changes == 2
    assert await count(db, CatalogServicePolicy) == 5
    await run_import(db, v2)
    assert await count(db, CatalogServicePolicy) == 7  # two closed, two opened, none rewritten

    before, after = (
        datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC),
        datetime(2026, 12, 1, tzinfo=UTC),
    )
    assert (await policy_rows(db, before))[ECS] == (0, True)
    assert (await policy_rows(db, after))[ECS] == (0, False)
    assert (await policy_rows(db, before))["hws.service.type.rds"] == (13, False)
    assert (await policy_rows(db, after))["hws.service.type.rds"] == (2, False)
    assert (await policy_rows(db, after))["hws.service.type.obs"] == (1, True)
    assert await barred(db, before) == {"hws.service.type.rds"}
    assert await barred(db, after) == {ECS, "hws.service.type.rds"}
    assert await policy_rows(db, datetime(2024, 12, 31, tzinfo=UTC)) == {}


async def test_a_policy_that_is_not_a_known_value_is_refused(db: Database) -> None:
    for field, value in (("incentive_policy", 3), ("allow_discount", "no")):
        raw = demo_catalog()
        raw["service_types"][0][field] = value
        with pytest.raises(DomainError) as info:
            await run_import(db, raw)
        assert info.value.code == "CATALOG.INVALID_FILE"
        assert field in info.value.message
    assert await count(db, CatalogServicePolicy) == 0
