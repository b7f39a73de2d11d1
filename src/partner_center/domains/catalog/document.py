"""The catalogue data file the operator edits: its schema, and the checks that name the
offending entry before anything is written.

The file is JSON (exact decimals: prices are strings or JSON numbers read as Decimal, never
floats) with a ``version``; see ``partner_center/catalog_data/demo-catalog.json``::

    {"version": 2, "effective_from": "2027-01-01T00:00:00Z", "currency": "USD",
     "regions": [...], "measure_units": [...], "conversions": [...],
     "service_types": [...], "resource_types": [...], "specs": [...]}

A service type may carry its incentive policy (``incentive_policy``: 0, 1, 2 or 13) and whether
partner-granted discounts apply to it (``allow_discount``); both are effective-dated with the
version.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from importlib.resources import files
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator

from partner_center.domains.catalog.errors import CatalogErrorCode, catalog_error
from partner_center.domains.catalog.rating import PeriodType, Tier, TierSchedule
from partner_center.kernel import jsontext
from partner_center.kernel.clock import parse_utc
from partner_center.kernel.errors import DomainError
from partner_center.kernel.money import STORAGE_SCALE, decimal_places

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,127}$")
#: Prices and tier bounds stay far below what the 10⁻⁸ storage scale can hold.
_MAX_AMOUNT = Decimal("100000000000")
DEMO_CATALOG_FILE = "demo-catalog.json"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Names(_Strict):
    """A display name in English and (optionally) Chinese."""

    en_US: str = Field(min_length=1, max_length=128)
    zh_CN: str | None = Field(default=None, min_length=1, max_length=128)

    @property
    def zh(self) -> str:
        return self.zh_CN or self.en_US


class Descriptions(_Strict):
    en_US: str = Field(default="", max_length=512)
    zh_CN: str | None = Field(default=None, max_length=512)

    @property
    def zh(self) -> str:
        return self.zh_CN if self.zh_CN is not None else self.en_US


class RegionEntry(_Strict):
    code: str
    name: Names


class MeasureUnitEntry(_Strict):
    measure_id: int = Field(ge=0)
    measure_type: int = Field(ge=1)
    name: Names
    abbreviation: str = Field(min_length=1, max_length=64)


class ConversionEntry(_Strict):
    measure_id: int
    ref_measure_id: int
    ratio: int = Field(ge=2, description="1 measure_id = ratio × ref_measure_id")


class ServiceTypeEntry(_Strict):
    code: str
    abbreviation: str = Field(min_length=1, max_length=64)
    name: Names
    resource_types: list[str] = Field(min_length=1)
    incentive_policy: Literal[0, 1, 2, 13] = Field(
        default=0,
        description="0 non-specific product, 1 specific product, 2 no performance and no "
        "rebate, 13 performance but no rebate",
    )
    allow_discount: StrictBool = Field(
        default=True, description="Whether partner-granted discounts may apply to it"
    )


class UsageTypeEntry(_Strict):
    code: str
    name: Names
    measure_id: int


class ResourceTypeEntry(_Strict):
    code: str
    service_type: str
    name: Names
    description: Descriptions = Descriptions()
    usage_types: list[UsageTypeEntry] = Field(default_factory=list)


class SizeEntry(_Strict):
    measure_id: int
    min: int = Field(ge=1)
    max: int = Field(ge=1)
    step: int = Field(default=1, ge=1)


class AttributeEntry(_Strict):
    code: str
    name: Names
    value: str = Field(max_length=128)
    unit: str | None = Field(default=None, max_length=32)


class TierEntry(_Strict):
    up_to: Decimal | None = None
    price: Decimal


class PriceEntry(_Strict):
    region: str
    charging_mode: Literal["PERIOD", "ON_DEMAND"]
    period_type: int | None = None
    period_nums: list[int] | None = None
    usage_factor: str | None = None
    usage_measure_id: int | None = None
    price: Decimal | None = None
    tiers: list[TierEntry] | None = None

    @field_validator("price", mode="before")
    @classmethod
    def _no_float(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError("write prices as strings or exact decimals, never floats")
        return value


class SpecEntry(_Strict):
    service_type: str
    resource_type: str
    code: str
    name: Names
    size: SizeEntry | None = None
    attributes: list[AttributeEntry] = Field(default_factory=list)
    prices: list[PriceEntry] = Field(default_factory=list)


class CatalogDocument(_Strict):
    description: str | None = Field(default=None, description="Free text for the operator")
    version: int = Field(ge=1)
    effective_from: str
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    regions: list[RegionEntry] = Field(min_length=1)
    measure_units: list[MeasureUnitEntry] = Field(min_length=1)
    conversions: list[ConversionEntry] = Field(default_factory=list)
    service_types: list[ServiceTypeEntry] = Field(min_length=1)
    resource_types: list[ResourceTypeEntry] = Field(min_length=1)
    specs: list[SpecEntry] = Field(min_length=1)

    @property
    def effective_at(self) -> datetime:
        return parse_utc(self.effective_from)


def read_catalog(text: str) -> Any:
    """Decode the file's JSON with exact decimals (no float ever) and the nesting limit of
    ``kernel/jsontext.py`` (the file nests 5 levels; deeper text is refused, never a
    ``RecursionError``)."""
    try:
        return jsontext.loads(text)
    except jsontext.TooDeeplyNested as exc:
        raise catalog_error(CatalogErrorCode.INVALID_FILE, f"file: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise catalog_error(
            CatalogErrorCode.INVALID_FILE,
            f"file: not valid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})",
        ) from exc


def demo_catalog() -> Any:
    """The demo catalogue shipped in the package (``partner_center/catalog_data``)."""
    resource = files("partner_center").joinpath("catalog_data", DEMO_CATALOG_FILE)
    return read_catalog(resource.read_text(encoding="utf-8"))


def checksum(raw: Mapping[str, Any]) -> str:
    """SHA-256 of the document's canonical JSON (key order and whitespace do not matter)."""
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def offering_key(spec: SpecEntry, price: PriceEntry) -> tuple[str, ...]:
    """What identifies one offering across versions."""
    selector = str(price.period_type) if price.charging_mode == "PERIOD" else price.usage_factor
    return (
        spec.service_type,
        spec.resource_type,
        spec.code,
        price.region,
        price.charging_mode,
        selector or "",
    )


def offering_id(key: Sequence[str]) -> str:
    """A stable 32-hex id for an offering, the same in every version of the file."""
    return hashlib.sha256("\x1f".join(key).encode()).hexdigest()[:32]


def schedule_of(price: PriceEntry) -> TierSchedule:
    """The bands of a validated price entry."""
    if price.tiers is not None:
        return TierSchedule(tuple(Tier(t.up_to, t.price) for t in price.tiers))
    assert price.price is not None
    return TierSchedule.flat(price.price)


class _Problems:
    """Collects the first problem with a path that names the entry ("specs[3] s6.large.2 ›")."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw

    def label(self, loc: Sequence[str | int]) -> str:
        parts: list[str] = []
        node: Any = self.raw
        for step in loc:
            if isinstance(step, int):
                item = node[step] if isinstance(node, list) and step < len(node) else None
                code = item.get("code") if isinstance(item, dict) else None
                region = item.get("region") if isinstance(item, dict) else None
                tag = f"[{step}]"
                if isinstance(code, str):
                    tag += f" {code!r}"
                elif isinstance(region, str):
                    tag += f" ({region})"
                parts[-1] = parts[-1] + tag if parts else tag
                node = item
            else:
                parts.append(step)
                node = node.get(step) if isinstance(node, dict) else None
        return " › ".join(parts) or "file"

    def fail(self, loc: Sequence[str | int], message: str) -> DomainError:
        return catalog_error(
            CatalogErrorCode.INVALID_FILE,
            f"{self.label(loc)}: {message}",
            entry=self.label(loc),
        )


def parse_document(raw: Any) -> CatalogDocument:
    """Parse and check the whole file; raise ``CATALOG.INVALID_FILE`` naming the first
    offending entry. Nothing is written by this function."""
    if not isinstance(raw, dict):
        raise catalog_error(CatalogErrorCode.INVALID_FILE, "file: the catalogue must be an object")
    problems = _Problems(raw)
    try:
        doc = CatalogDocument.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [p for p in first["loc"] if isinstance(p, str | int)]
        raise problems.fail(loc, first["msg"]) from exc
    _check(doc, problems)
    return doc


def _unique(items: Sequence[Any], key: Any, where: str, problems: _Problems) -> None:
    seen: set[Any] = set()
    for index, item in enumerate(items):
        value = key(item)
        if value in seen:
            raise problems.fail([where, index], f"duplicate {value!r}")
        seen.add(value)


def _check_code(value: str, loc: list[str | int], problems: _Problems) -> None:
    if not _CODE.match(value):
        raise problems.fail(loc, f"{value!r} is not a valid code (letters, digits, . _ -)")


def _check_amount(value: Decimal, loc: list[str | int], problems: _Problems, what: str) -> None:
    if not value.is_finite() or value < 0:
        raise problems.fail(loc, f"{what} must be a finite number >= 0")
    if decimal_places(value) > STORAGE_SCALE:
        raise problems.fail(loc, f"{what} may have at most {STORAGE_SCALE} decimals")
    if value >= _MAX_AMOUNT:
        raise problems.fail(loc, f"{what} is too large")


def _check(doc: CatalogDocument, problems: _Problems) -> None:
    try:
        parse_utc(doc.effective_from)
    except ValueError:
        raise problems.fail(["effective_from"], "use the UTC format yyyy-MM-ddTHH:mm:ssZ") from None
    _unique(doc.regions, lambda r: r.code, "regions", problems)
    for i, region in enumerate(doc.regions):
        _check_code(region.code, ["regions", i, "code"], problems)
    _unique(doc.measure_units, lambda m: m.measure_id, "measure_units", problems)
    measures = {m.measure_id: m for m in doc.measure_units}
    _unique(doc.conversions, lambda c: (c.measure_id, c.ref_measure_id), "conversions", problems)
    for i, conv in enumerate(doc.conversions):
        for field in ("measure_id", "ref_measure_id"):
            if getattr(conv, field) not in measures:
                raise problems.fail(["conversions", i, field], "unknown measure_id")
        if measures[conv.measure_id].measure_type != measures[conv.ref_measure_id].measure_type:
            raise problems.fail(["conversions", i], "both measures must have the same measure_type")
        if conv.measure_id == conv.ref_measure_id:
            raise problems.fail(["conversions", i], "a measure cannot convert to itself")
    _unique(doc.service_types, lambda s: s.code, "service_types", problems)
    _unique(doc.resource_types, lambda r: r.code, "resource_types", problems)
    services = {s.code for s in doc.service_types}
    resources = {r.code: r for r in doc.resource_types}
    for i, svc in enumerate(doc.service_types):
        _check_code(svc.code, ["service_types", i, "code"], problems)
        if len(set(svc.resource_types)) != len(svc.resource_types):
            raise problems.fail(["service_types", i, "resource_types"], "duplicate resource type")
        for code in svc.resource_types:
            if code not in resources:
                raise problems.fail(
                    ["service_types", i, "resource_types"], f"unknown resource type {code!r}"
                )
    for i, res in enumerate(doc.resource_types):
        _check_code(res.code, ["resource_types", i, "code"], problems)
        if res.service_type not in services:
            raise problems.fail(["resource_types", i, "service_type"], "unknown service type")
        owner = next(s for s in doc.service_types if s.code == res.service_type)
        if res.code not in owner.resource_types:
            raise problems.fail(
                ["resource_types", i],
                f"its owner service type {res.service_type!r} must list it in resource_types",
            )
        _unique(res.usage_types, lambda u: u.code, "usage_types", problems)
        for j, usage in enumerate(res.usage_types):
            _check_code(usage.code, ["resource_types", i, "usage_types", j, "code"], problems)
            if usage.measure_id not in measures:
                raise problems.fail(
                    ["resource_types", i, "usage_types", j, "measure_id"], "unknown measure_id"
                )
    _unique(doc.specs, lambda s: (s.service_type, s.resource_type, s.code), "specs", problems)
    regions = {r.code for r in doc.regions}
    for i, spec in enumerate(doc.specs):
        _check_spec(doc, spec, ["specs", i], measures, resources, regions, problems)


def _check_spec(
    doc: CatalogDocument,
    spec: SpecEntry,
    loc: list[str | int],
    measures: Mapping[int, MeasureUnitEntry],
    resources: Mapping[str, ResourceTypeEntry],
    regions: set[str],
    problems: _Problems,
) -> None:
    _check_code(spec.code, [*loc, "code"], problems)
    service = next((s for s in doc.service_types if s.code == spec.service_type), None)
    if service is None:
        raise problems.fail([*loc, "service_type"], "unknown service type")
    if spec.resource_type not in resources:
        raise problems.fail([*loc, "resource_type"], "unknown resource type")
    if spec.resource_type not in service.resource_types:
        raise problems.fail(
            [*loc, "resource_type"], f"{spec.service_type!r} does not include this resource type"
        )
    if spec.size is not None:
        if spec.size.measure_id not in measures:
            raise problems.fail([*loc, "size", "measure_id"], "unknown measure_id")
        if spec.size.max < spec.size.min:
            raise problems.fail([*loc, "size"], "max must not be below min")
    usage_types = {u.code: u for u in resources[spec.resource_type].usage_types}
    keys: set[tuple[str, ...]] = set()
    for j, price in enumerate(spec.prices):
        where: list[str | int] = [*loc, "prices", j]
        if price.region not in regions:
            raise problems.fail([*where, "region"], "unknown region")
        key = offering_key(spec, price)
        if key in keys:
            raise problems.fail(where, "duplicate price for the same region and period/usage")
        keys.add(key)
        if (price.price is None) == (price.tiers is None):
            raise problems.fail(where, "give either price or tiers")
        if price.price is not None:
            _check_amount(price.price, [*where, "price"], problems, "price")
        if price.tiers is not None:
            for k, tier in enumerate(price.tiers):
                _check_amount(tier.price, [*where, "tiers", k, "price"], problems, "price")
                if tier.up_to is not None:
                    _check_amount(tier.up_to, [*where, "tiers", k, "up_to"], problems, "up_to")
            try:
                schedule_of(price)
            except ValueError as exc:
                raise problems.fail([*where, "tiers"], str(exc)) from None
        if price.charging_mode == "PERIOD":
            _check_period_price(price, spec, where, problems)
        else:
            _check_on_demand_price(price, where, usage_types, measures, problems)


def _check_period_price(
    price: PriceEntry, spec: SpecEntry, where: list[str | int], problems: _Problems
) -> None:
    if price.usage_factor is not None or price.usage_measure_id is not None:
        raise problems.fail(where, "PERIOD prices take no usage_factor or usage_measure_id")
    if price.period_type not in {p.value for p in PeriodType}:
        raise problems.fail([*where, "period_type"], "use 0 (day), 2 (month), 3 (year) or 4 (hour)")
    if not price.period_nums:
        raise problems.fail([*where, "period_nums"], "list the numbers of periods on sale")
    if len(set(price.period_nums)) != len(price.period_nums) or min(price.period_nums) < 1:
        raise problems.fail([*where, "period_nums"], "use distinct numbers >= 1")
    if spec.size is None and price.tiers is not None and len(price.tiers) > 1:
        raise problems.fail([*where, "tiers"], "only linear (sized) specs have tiered periods")


def _check_on_demand_price(
    price: PriceEntry,
    where: list[str | int],
    usage_types: Mapping[str, UsageTypeEntry],
    measures: Mapping[int, MeasureUnitEntry],
    problems: _Problems,
) -> None:
    if price.period_type is not None or price.period_nums is not None:
        raise problems.fail(where, "ON_DEMAND prices take no period_type or period_nums")
    if price.usage_factor is None or price.usage_factor not in usage_types:
        raise problems.fail(
            [*where, "usage_factor"], "must be one of the resource type's usage_types"
        )
    if price.usage_measure_id is None or price.usage_measure_id not in measures:
        raise problems.fail([*where, "usage_measure_id"], "unknown measure_id")
    reported = measures[usage_types[price.usage_factor].measure_id]
    if measures[price.usage_measure_id].measure_type != reported.measure_type:
        raise problems.fail(
            [*where, "usage_measure_id"],
            f"must measure the same thing as the usage type (measure_type {reported.measure_type})",
        )
