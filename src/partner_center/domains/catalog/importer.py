"""``catalog import``: apply a version of the catalogue data file.

* Idempotent: importing a version already imported with the same content changes nothing; the
  same version number with different content is refused (bump the version).
* Never rewrites the past: a changed price is closed (``effective_to``) at the new version's
  ``effective_from`` and the new price is inserted from then on; an offering missing from the new
  version is closed the same way. After the first version, ``effective_from`` may not lie before
  the business time of the import nor before the previous version's.
* All or nothing: the whole file is checked first (errors name the offending entry), then
  written in the caller's single unit of work; ``dry_run`` computes the same report and writes
  nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.catalog.document import (
    DEMO_CATALOG_FILE,
    CatalogDocument,
    PriceEntry,
    SpecEntry,
    checksum,
    demo_catalog,
    offering_id,
    offering_key,
    parse_document,
    schedule_of,
)
from partner_center.domains.catalog.errors import CatalogErrorCode, catalog_error
from partner_center.domains.catalog.models import (
    CatalogConversion,
    CatalogMeasureUnit,
    CatalogPrice,
    CatalogPriceTier,
    CatalogRegion,
    CatalogResourceType,
    CatalogServicePolicy,
    CatalogServiceResource,
    CatalogServiceType,
    CatalogSpec,
    CatalogUsageType,
    CatalogVersion,
)
from partner_center.kernel.clock import Clock, format_utc
from partner_center.kernel.ids import new_id

#: ``on_progress(stage, done, total)``: how far the import is, for a progress bar.
Progress = Callable[[str, int, int], None]

_PriceTerms = tuple[Any, ...]


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    version: int
    effective_from: datetime
    dry_run: bool
    unchanged: bool = False
    """The same version with the same content was already imported: nothing was written."""
    prices_added: int = 0
    prices_closed: int = 0
    prices_kept: int = 0
    specs_added: int = 0
    specs_updated: int = 0
    structure_changes: int = 0
    """Regions, measure units, conversions, service/resource/usage types added or renamed."""
    notes: list[str] = field(default_factory=list)


def _terms(price: PriceEntry) -> _PriceTerms:
    schedule = schedule_of(price)
    return (
        tuple(sorted(price.period_nums)) if price.period_nums else None,
        price.usage_measure_id,
        tuple((t.up_to, t.unit_price) for t in schedule.tiers),
    )


def _stored_terms(row: CatalogPrice, tiers: list[CatalogPriceTier]) -> _PriceTerms:
    return (
        tuple(sorted(row.period_nums)) if row.period_nums else None,
        row.usage_measure_id,
        tuple((t.up_to, t.unit_price) for t in sorted(tiers, key=lambda t: t.position)),
    )


def _norm(terms: _PriceTerms) -> _PriceTerms:
    """Compare Decimals by value (``1.50`` == ``1.5000``)."""
    nums, measure, bands = terms
    return (
        nums,
        measure,
        tuple(
            (None if up is None else Decimal(up).normalize(), Decimal(p).normalize())
            for up, p in bands
        ),
    )


class CatalogImporter:
    """Imports catalogue versions into the database of ``session``."""

    def __init__(self, session: AsyncSession, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    async def import_demo(self, *, site_currency: str) -> ImportReport | None:
        """Import the packaged demo catalogue (USD); a site selling in another currency gets
        none, since its operator's own catalogue must set its prices."""
        raw = demo_catalog()
        if raw.get("currency") != site_currency:
            return None
        return await self.import_document(raw, source=DEMO_CATALOG_FILE)

    async def import_document(
        self,
        raw: Mapping[str, Any],
        *,
        source: str,
        dry_run: bool = False,
        expected_currency: str | None = None,
        on_progress: Progress | None = None,
    ) -> ImportReport:
        """Check ``raw`` completely, then apply it (unless ``dry_run``).

        Raises ``CATALOG.INVALID_FILE`` naming the offending entry, or
        ``CATALOG.VERSION_CONFLICT`` for a version that cannot follow the imported ones.
        """
        doc = parse_document(raw)
        digest = checksum(raw)
        report = ImportReport(doc.version, doc.effective_at, dry_run)
        if expected_currency is not None and doc.currency != expected_currency:
            raise catalog_error(
                CatalogErrorCode.INVALID_FILE,
                f"currency: the site sells in {expected_currency}, the file prices in "
                f"{doc.currency}",
            )
        if await self._already_imported(doc, digest):
            report.unchanged = True
            return report
        await self._check_sequence(doc)
        progress = on_progress or (lambda _stage, _done, _total: None)
        if not dry_run:
            self.session.add(
                CatalogVersion(
                    version=doc.version,
                    effective_from=doc.effective_at,
                    imported_at=self.clock.now(),
                    checksum=digest,
                    currency=doc.currency,
                    source=source[:255],
                )
            )
        report.structure_changes = await self._structure(doc, dry_run)
        progress("structure", 1, 1)
        specs = await self._specs(doc, report, dry_run)
        await self._prices(doc, specs, report, dry_run, progress)
        return report

    # -- versions --------------------------------------------------------------------------

    async def _already_imported(self, doc: CatalogDocument, digest: str) -> bool:
        existing = await self.session.get(CatalogVersion, doc.version)
        if existing is None:
            return False
        if existing.checksum != digest:
            raise catalog_error(
                CatalogErrorCode.VERSION_CONFLICT,
                f"version {doc.version} was already imported with different content; give the "
                "changed file a new version number",
            )
        return True

    async def _check_sequence(self, doc: CatalogDocument) -> None:
        latest = (
            await self.session.execute(
                select(CatalogVersion).order_by(CatalogVersion.version.desc()).limit(1)
            )
        ).scalar_one_or_none()
        if latest is None:
            return
        if doc.version < latest.version:
            raise catalog_error(
                CatalogErrorCode.VERSION_CONFLICT,
                f"version {doc.version} is older than the imported version {latest.version}",
            )
        if doc.currency != latest.currency:
            raise catalog_error(
                CatalogErrorCode.VERSION_CONFLICT,
                f"currency: the catalogue prices in {latest.currency}, not {doc.currency}",
            )
        if doc.effective_at < latest.effective_from:
            raise catalog_error(
                CatalogErrorCode.VERSION_CONFLICT,
                f"effective_from {doc.effective_from} is before version {latest.version}'s "
                f"({format_utc(latest.effective_from)})",
            )
        now = self.clock.now()
        if doc.effective_at < now:
            raise catalog_error(
                CatalogErrorCode.VERSION_CONFLICT,
                f"effective_from {doc.effective_from} is in the past (business time "
                f"{format_utc(now)}): a new version may not change prices already in force",
            )

    # -- descriptive structure (upserted: names may change, rows are never removed) ---------

    async def _upsert(
        self, model: Any, key: Mapping[str, Any], values: Mapping[str, Any], dry_run: bool
    ) -> bool:
        row = await self.session.get(
            model, tuple(key.values()) if len(key) > 1 else next(iter(key.values()))
        )
        if row is None:
            if not dry_run:
                self.session.add(model(**key, **values))
            return True
        changed = any(getattr(row, name) != value for name, value in values.items())
        if changed and not dry_run:
            for name, value in values.items():
                setattr(row, name, value)
        return changed

    async def _structure(self, doc: CatalogDocument, dry_run: bool) -> int:
        changes = 0
        for region in doc.regions:
            changes += await self._upsert(
                CatalogRegion,
                {"code": region.code},
                {"name_en": region.name.en_US, "name_zh": region.name.zh},
                dry_run,
            )
        for unit in doc.measure_units:
            changes += await self._upsert(
                CatalogMeasureUnit,
                {"measure_id": unit.measure_id},
                {
                    "measure_type": unit.measure_type,
                    "name_en": unit.name.en_US,
                    "name_zh": unit.name.zh,
                    "abbreviation": unit.abbreviation,
                },
                dry_run,
            )
        if not dry_run:
            await self.session.flush()
        changes += await self._conversions(doc, dry_run)
        for svc in doc.service_types:
            changes += await self._upsert(
                CatalogServiceType,
                {"code": svc.code},
                {
                    "abbreviation": svc.abbreviation,
                    "name_en": svc.name.en_US,
                    "name_zh": svc.name.zh,
                },
                dry_run,
            )
        if not dry_run:
            await self.session.flush()
        changes += await self._policies(doc, dry_run)
        for res in doc.resource_types:
            changes += await self._upsert(
                CatalogResourceType,
                {"code": res.code},
                {
                    "owner_service_type": res.service_type,
                    "name_en": res.name.en_US,
                    "name_zh": res.name.zh,
                    "description_en": res.description.en_US,
                    "description_zh": res.description.zh,
                },
                dry_run,
            )
        if not dry_run:
            await self.session.flush()
        for res in doc.resource_types:
            for usage in res.usage_types:
                changes += await self._upsert(
                    CatalogUsageType,
                    {"resource_type": res.code, "code": usage.code},
                    {
                        "name_en": usage.name.en_US,
                        "name_zh": usage.name.zh,
                        "measure_id": usage.measure_id,
                    },
                    dry_run,
                )
        changes += await self._memberships(doc, dry_run)
        if not dry_run:
            await self.session.flush()
        return changes

    async def _policies(self, doc: CatalogDocument, dry_run: bool) -> int:
        """Effective-dated like prices: a service type whose incentive or discount policy
        changes gets its open row closed at the version's ``effective_from`` and a new one
        from then on; a service type the file leaves out keeps its policy."""
        at = doc.effective_at
        open_rows = {
            row.service_type: row
            for row in (
                await self.session.execute(
                    select(CatalogServicePolicy).where(CatalogServicePolicy.effective_to.is_(None))
                )
            ).scalars()
        }
        changes = 0
        for svc in doc.service_types:
            row = open_rows.get(svc.code)
            if row is not None and (row.incentive_policy, row.allow_discount) == (
                svc.incentive_policy,
                svc.allow_discount,
            ):
                continue
            changes += 1
            if dry_run:
                continue
            if row is not None:
                row.effective_to = at
            self.session.add(
                CatalogServicePolicy(
                    service_type=svc.code,
                    incentive_policy=svc.incentive_policy,
                    allow_discount=svc.allow_discount,
                    effective_from=at,
                    effective_to=None,
                    version=doc.version,
                )
            )
        return changes

    async def _conversions(self, doc: CatalogDocument, dry_run: bool) -> int:
        """Conversions are physical facts: the file's set replaces the stored one."""
        stored = {
            (c.measure_id, c.ref_measure_id): c
            for c in (await self.session.execute(select(CatalogConversion))).scalars()
        }
        types = {m.measure_id: m.measure_type for m in doc.measure_units}
        wanted = {(c.measure_id, c.ref_measure_id): c.ratio for c in doc.conversions}
        changes = 0
        for key, row in stored.items():
            if key not in wanted:
                changes += 1
                if not dry_run:
                    await self.session.delete(row)
        for key, ratio in wanted.items():
            existing = stored.get(key)
            if existing is not None and existing.conversion_ratio == ratio:
                continue
            changes += 1
            if dry_run:
                continue
            if existing is None:
                self.session.add(
                    CatalogConversion(
                        measure_id=key[0],
                        ref_measure_id=key[1],
                        conversion_ratio=ratio,
                        measure_type=types[key[0]],
                    )
                )
            else:
                existing.conversion_ratio = ratio
        return changes

    async def _memberships(self, doc: CatalogDocument, dry_run: bool) -> int:
        """Which resource types make up each service type: the file's lists replace the stored."""
        stored = {
            (m.service_type, m.resource_type): m
            for m in (await self.session.execute(select(CatalogServiceResource))).scalars()
        }
        wanted = {
            (svc.code, res): position
            for svc in doc.service_types
            for position, res in enumerate(svc.resource_types)
        }
        if {k: m.position for k, m in stored.items()} == wanted:
            return 0
        if not dry_run:
            await self.session.execute(delete(CatalogServiceResource))
            self.session.add_all(
                CatalogServiceResource(service_type=s, resource_type=r, position=p)
                for (s, r), p in wanted.items()
            )
        return 1

    # -- specifications ---------------------------------------------------------------------

    async def _specs(
        self, doc: CatalogDocument, report: ImportReport, dry_run: bool
    ) -> dict[tuple[str, str, str], str]:
        """Upsert the specifications; returns their ids by (service, resource, spec)."""
        stored = {
            (s.service_type, s.resource_type, s.spec_code): s
            for s in (await self.session.execute(select(CatalogSpec))).scalars()
        }
        ids = {key: row.id for key, row in stored.items()}
        for spec in doc.specs:
            key = (spec.service_type, spec.resource_type, spec.code)
            values = _spec_values(spec)
            row = stored.get(key)
            if row is None:
                report.specs_added += 1
                ids[key] = new_id()
                if not dry_run:
                    self.session.add(
                        CatalogSpec(
                            id=ids[key],
                            service_type=key[0],
                            resource_type=key[1],
                            spec_code=key[2],
                            **values,
                        )
                    )
            elif any(getattr(row, name) != value for name, value in values.items()):
                report.specs_updated += 1
                if not dry_run:
                    for name, value in values.items():
                        setattr(row, name, value)
        if not dry_run:
            await self.session.flush()
        return ids

    # -- prices -----------------------------------------------------------------------------

    async def _prices(
        self,
        doc: CatalogDocument,
        spec_ids: dict[tuple[str, str, str], str],
        report: ImportReport,
        dry_run: bool,
        progress: Progress,
    ) -> None:
        open_rows = {
            row.offering_id: row
            for row in (
                await self.session.execute(
                    select(CatalogPrice).where(CatalogPrice.effective_to.is_(None))
                )
            ).scalars()
        }
        tiers: dict[str, list[CatalogPriceTier]] = {}
        if open_rows:
            for tier in (
                await self.session.execute(
                    select(CatalogPriceTier).where(
                        CatalogPriceTier.price_id.in_([r.id for r in open_rows.values()])
                    )
                )
            ).scalars():
                tiers.setdefault(tier.price_id, []).append(tier)
        at = doc.effective_at
        seen: set[str] = set()
        total = len(doc.specs)
        for done, spec in enumerate(doc.specs, start=1):
            spec_id = spec_ids[(spec.service_type, spec.resource_type, spec.code)]
            for price in spec.prices:
                oid = offering_id(offering_key(spec, price))
                seen.add(oid)
                current = open_rows.get(oid)
                if current is not None and _norm(
                    _stored_terms(current, tiers.get(current.id, []))
                ) == _norm(_terms(price)):
                    report.prices_kept += 1
                    continue
                if current is not None:
                    report.prices_closed += 1
                    if not dry_run:
                        current.effective_to = at
                report.prices_added += 1
                if not dry_run:
                    self._add_price(doc, spec_id, oid, price)
            progress("prices", done, total)
        for oid, row in open_rows.items():
            if oid not in seen:
                report.prices_closed += 1
                report.notes.append(f"offering {oid} is no longer sold from {doc.effective_from}")
                if not dry_run:
                    row.effective_to = at
        if not dry_run:
            await self.session.flush()

    def _add_price(self, doc: CatalogDocument, spec_id: str, oid: str, price: PriceEntry) -> None:
        row = CatalogPrice(
            id=new_id(),
            offering_id=oid,
            spec_id=spec_id,
            region=price.region,
            charging_mode=price.charging_mode,
            period_type=price.period_type,
            period_nums=sorted(price.period_nums) if price.period_nums else None,
            usage_factor=price.usage_factor,
            usage_measure_id=price.usage_measure_id,
            currency=doc.currency,
            effective_from=doc.effective_at,
            effective_to=None,
            version=doc.version,
        )
        self.session.add(row)
        for position, tier in enumerate(schedule_of(price).tiers):
            self.session.add(
                CatalogPriceTier(
                    price_id=row.id, position=position, up_to=tier.up_to, unit_price=tier.unit_price
                )
            )


def _spec_values(spec: SpecEntry) -> dict[str, Any]:
    return {
        "name_en": spec.name.en_US,
        "name_zh": spec.name.zh,
        "size_measure_id": spec.size.measure_id if spec.size else None,
        "size_min": spec.size.min if spec.size else None,
        "size_max": spec.size.max if spec.size else None,
        "size_step": spec.size.step if spec.size else None,
        "attributes": [
            {
                "code": a.code,
                "name_en": a.name.en_US,
                "name_zh": a.name.zh,
                "value": a.value,
                "unit": a.unit,
            }
            for a in spec.attributes
        ],
    }


async def imported_versions(session: AsyncSession) -> int:
    """How many catalogue versions are imported (0 on a fresh database)."""
    return int(
        (await session.execute(select(func.count()).select_from(CatalogVersion))).scalar_one()
    )
