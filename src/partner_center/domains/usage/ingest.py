"""Bulk ingestion of metered usage: idempotent by record id, late records within a window.

The import is built for volume (a million records in one call):

* the input is stream-parsed (CSV with a header, JSON lines, or a JSON array already decoded)
  into small Python tuples, batch by batch; the checks that need the database (the resource,
  its usage types, unit conversions) use caches filled with one query per batch, so each
  record is then checked with dictionary look-ups only;
* PostgreSQL: the batch's valid rows are ``COPY``-ed straight into ``usage_records`` as they are
  checked (binary ``COPY``: the server writes one part while the next is checked), inside a
  savepoint. When a record id is already stored (a re-import, a duplicate within the batch, a
  concurrent import of the same records) ``COPY`` fails: the batch goes back to its savepoint and
  is stored through a staging table with ``INSERT ... ON CONFLICT (record_id) DO NOTHING``;
* SQLite: ``INSERT OR IGNORE`` executemany, all in the caller's one transaction.

A record is accepted, a duplicate (its ``record_id`` is stored already: re-importing a batch
changes nothing), or rejected with a reason; rejections never fail the batch.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import Any, TextIO, cast

from sqlalchemy import Table, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.catalog.public import CatalogService, Language
from partner_center.domains.usage.errors import RejectReason, invalid
from partner_center.domains.usage.models import OnDemandResource, UsageRecord, UsageStatus
from partner_center.kernel import jsontext
from partner_center.kernel.clock import Clock, format_utc, parse_utc
from partner_center.kernel.money import STORAGE_SCALE
from partner_center.kernel.pagination import Page

#: Records checked and written together (one savepoint, one `COPY` on PostgreSQL; fewer,
#: larger batches keep the database busy while the next one is parsed).
BATCH_SIZE = 100_000
#: Rejections reported one by one; beyond this only counted.
MAX_REPORTED_REJECTIONS = 1_000
#: Default time after the end of its hour that a record is still accepted.
DEFAULT_LATE_WINDOW = timedelta(hours=72)
MAX_QUANTITY = Decimal(10) ** 10
_HOUR = timedelta(hours=1)
_ID_MAX = 64
_STAGING = "usage_records_staging"
_COLUMNS = (
    "record_id",
    "tenant_id",
    "resource_id",
    "usage_type",
    "usage_hour",
    "quantity",
    "measure_id",
    "received_at",
    "status",
)
CSV_FIELDS = ("record_id", "resource_id", "usage_type", "usage_hour", "quantity", "measure_id")


@dataclass(frozen=True, slots=True)
class Rejection:
    line: int
    """1-based position of the record in the input."""
    record_id: str | None
    reason: RejectReason
    message: str


@dataclass(slots=True)
class IngestReport:
    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    def reject(self, line: int, record_id: str | None, reason: RejectReason, message: str) -> None:
        self.rejected += 1
        if len(self.rejections) < MAX_REPORTED_REJECTIONS:
            self.rejections.append(Rejection(line, record_id, reason, message))


@dataclass(frozen=True, slots=True)
class _Resource:
    tenant_id: str
    resource_type: str
    not_after_start: datetime
    """``effective_time`` − 1 h: an hour starting at or before it ended before the resource
    started."""
    expire_time: datetime | None
    copy_prefix: str
    """``tenant_id<TAB>resource_id<TAB>`` in ``COPY`` text format."""


RecordFields = tuple[Any, ...] | list[Any]
"""``CSV_FIELDS`` in order: record_id, resource_id, usage_type, usage_hour, quantity,
measure_id (a CSV row as the reader gives it, or a tuple)."""
RawRecord = Mapping[str, Any] | RecordFields | str
"""A decoded record (an object, or its fields in ``CSV_FIELDS`` order), or the text of a line
that could not be decoded (reported as malformed)."""


def _fields(record: Mapping[str, Any]) -> RecordFields:
    get = record.get
    return (
        get("record_id"),
        get("resource_id"),
        get("usage_type"),
        get("usage_hour"),
        get("quantity"),
        get("measure_id"),
    )


def read_records(stream: TextIO, *, fmt: str | None = None) -> Iterator[RawRecord]:
    """Stream records from a file: CSV with a header naming ``CSV_FIELDS`` in any order
    (``fmt="csv"``), else JSON lines (one object per line; blank lines skipped). Numbers are
    decoded as exact Decimals; a line that is not JSON, or nests deeper than
    ``jsontext.MAX_DEPTH``, is a malformed record.

    Raises:
        DomainError: ``CBC.0100`` a CSV header without the required columns.
    """
    if fmt == "csv":
        rows = csv.reader(stream)
        header = next(rows, None) or []
        missing = [name for name in CSV_FIELDS if name not in header]
        if missing:
            raise invalid("file", f"The CSV header lacks {', '.join(missing)}.")
        at = [header.index(name) for name in CSV_FIELDS]
        width = max(at) + 1
        if at == list(range(len(CSV_FIELDS))):
            size = len(CSV_FIELDS)
            for row in rows:
                if len(row) == size:
                    yield row
                elif len(row) > size:
                    yield row[:size]
                elif any(row):
                    yield ",".join(row)[:200]
            return
        for row in rows:
            if len(row) >= width:
                yield (row[at[0]], row[at[1]], row[at[2]], row[at[3]], row[at[4]], row[at[5]])
            elif any(row):
                yield ",".join(row)[:200]
        return
    for line in stream:
        stripped = line.strip()
        if not stripped:
            continue
        try:
            value = jsontext.loads(stripped)
        except ValueError:  # not JSON, or nested deeper than jsontext.MAX_DEPTH
            yield stripped[:200]
            continue
        yield _fields(value) if isinstance(value, dict) else stripped[:200]


def records_from_body(raw: bytes) -> Iterator[RawRecord]:
    """An HTTP body: a JSON array of objects, or JSON lines. An array that cannot be decoded
    (not JSON, or nested deeper than ``jsontext.MAX_DEPTH``) is one malformed record."""
    body = raw.decode("utf-8")
    if body.lstrip().startswith("["):
        try:
            values = jsontext.loads(body)
        except ValueError:  # not JSON, or nested deeper than jsontext.MAX_DEPTH
            yield body[:200]
            return
        for value in values:
            yield _fields(value) if isinstance(value, dict) else str(value)[:200]
        return
    yield from read_records(io.StringIO(body))


_UNIT = 10**STORAGE_SCALE


def _quantity_units(value: Any) -> int | None:
    """A quantity ≥ 0 with at most 8 decimals as 10⁻⁸ units, else None."""
    if type(value) is str:
        # Plain ``digits[.digits]``, by far the common form, without a Decimal.
        whole, dot, fraction = value.partition(".")
        if (
            0 < len(whole) <= 10
            and whole.isascii()
            and whole.isdigit()
            and (
                not dot
                or (
                    0 < len(fraction) <= STORAGE_SCALE and fraction.isascii() and fraction.isdigit()
                )
            )
        ):
            units: int = int(whole) * _UNIT
            if dot:
                units += int(fraction) * 10 ** (STORAGE_SCALE - len(fraction))
            return units
    if isinstance(value, str):
        try:
            amount = Decimal(value)
        except InvalidOperation:
            return None
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int) and not isinstance(value, bool):
        amount = Decimal(value)
    else:
        return None
    if not amount.is_finite() or amount < 0 or amount >= MAX_QUANTITY:
        return None
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -STORAGE_SCALE:
        return int(amount.scaleb(STORAGE_SCALE))
    scaled = amount.scaleb(STORAGE_SCALE)
    if scaled != scaled.to_integral_value():
        return None
    return int(scaled)


class UsageIngest:
    """Stores usage records in bulk. Flushes, never commits (one transaction per import)."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        late_window: timedelta = DEFAULT_LATE_WINDOW,
        catalog: CatalogService,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.session = session
        self.clock = clock
        self.late_window = late_window
        self.batch_size = batch_size
        self.catalog = catalog
        self._resources: dict[str, _Resource | None] = {}
        self._usage_types: dict[str, dict[str, tuple[int, str]]] = {}
        """resource type → usage type → (its measure id, its code in ``COPY`` text)."""
        self._hours: dict[str, tuple[datetime, str] | None] = {}
        """``usage_hour`` as given → (the hour, its ``COPY`` text), None if malformed."""
        self._quantities: dict[str, int | None] = {}
        self._measures: dict[Any, int | None] = {}
        self._convertible: dict[tuple[int, int], bool] = {}
        self._conversions: Any = None
        self._optimistic = True

    async def ingest(
        self,
        records: Iterable[RawRecord],
        *,
        on_progress: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """Check and store ``records``; see the module docstring.

        Each record: ``record_id`` (1–64 chars, unique forever), ``resource_id``,
        ``usage_type`` (a usage factor of the resource's type, e.g. ``Duration``),
        ``usage_hour`` (UTC ``yyyy-MM-ddTHH:00:00Z``, the hour the usage belongs to),
        ``quantity`` (≥ 0, at most 8 decimals) in ``measure_id`` (a unit that converts to the
        usage type's).

        Args:
            on_progress: called with the number of records processed after each batch.
        """
        report = IngestReport()
        now = self.clock.now()
        postgres = self.session.get_bind().dialect.name == "postgresql"
        iterator = iter(records)
        loop = asyncio.get_running_loop()
        # The next batch is read and parsed in a worker thread while this one is checked and
        # written: the database works in parallel with the parsing.
        upcoming = loop.run_in_executor(None, _read_batch, iterator, self.batch_size)
        try:
            while True:
                batch, ids = await upcoming
                if not batch:
                    break
                upcoming = loop.run_in_executor(None, _read_batch, iterator, self.batch_size)
                first = report.received + 1
                report.received += len(batch)
                await self._load_resources(ids)
                if postgres:
                    await self._store_postgresql(batch, first, report, now)
                else:
                    await self._store_sqlite(batch, first, report, now)
                if on_progress is not None:
                    on_progress(report.received)
        finally:
            # Never leave the reader running on a stream the caller is about to close.
            with suppress(Exception):
                await upcoming
        return report

    def _hour(self, value: Any) -> tuple[datetime, str] | None:
        if not isinstance(value, str):
            return None
        if value in self._hours:
            return self._hours[value]
        try:
            parsed: datetime | None = parse_utc(value)
        except ValueError:
            parsed = None
        if parsed is not None and (parsed.minute or parsed.second or parsed.microsecond):
            parsed = None
        entry = (parsed, parsed.isoformat()) if parsed is not None else None
        if len(self._hours) < _CACHE_LIMIT:
            self._hours[value] = entry
        return entry

    def _quantity(self, value: Any) -> int | None:
        if type(value) is not str:
            return _quantity_units(value)
        units: int | None = self._quantities.get(value, _MISSING)
        if units is _MISSING:
            units = _quantity_units(value)
            if len(self._quantities) < _CACHE_LIMIT:
                self._quantities[value] = units
        return units

    def _measure(self, value: Any) -> int | None:
        """``measure_id`` as an int (an int, or a string or Decimal holding one), else None."""
        if type(value) is bool:
            return None
        try:
            return self._measures[value]
        except (KeyError, TypeError):
            pass
        measure: int | None = None
        if isinstance(value, int | str | Decimal):
            try:
                measure = int(value)
            except (TypeError, ValueError, ArithmeticError):
                measure = None
            if isinstance(value, Decimal) and measure is not None and measure != value:
                measure = None
        if len(self._measures) < _CACHE_LIMIT:
            self._measures[value] = measure
        return measure

    async def _load_resources(self, ids: set[str]) -> None:
        missing = [i for i in ids if i not in self._resources]
        for start in range(0, len(missing), 5_000):
            chunk = missing[start : start + 5_000]
            rows = await self.session.execute(
                select(
                    OnDemandResource.id,
                    OnDemandResource.tenant_id,
                    OnDemandResource.resource_type_code,
                    OnDemandResource.effective_time,
                    OnDemandResource.expire_time,
                ).where(OnDemandResource.id.in_(chunk))
            )
            for rid, tenant, rtype, effective, expire in rows:
                self._resources[rid] = _Resource(
                    tenant, rtype, effective - _HOUR, expire, f"{tenant}\t{_copy_text(rid)}\t"
                )
            for rid in chunk:
                self._resources.setdefault(rid, None)
        for resource in {r for i in ids if (r := self._resources.get(i)) is not None}:
            if resource.resource_type not in self._usage_types:
                views, _ = await self.catalog.usage_types(
                    resource_type=resource.resource_type,
                    window=Page(0, 1000),
                    language=Language.EN,
                )
                self._usage_types[resource.resource_type] = {
                    v.code: (v.measure_id, _copy_text(v.code) or "") for v in views
                }
        if self._conversions is None:
            self._conversions = await self.catalog.conversion_table()

    def _converts(self, source: int, target: int) -> bool:
        convertible = self._conversions.factor(source, target) is not None
        self._convertible[(source, target)] = convertible
        return convertible

    def _checked(
        self,
        batch: list[RecordFields | str],
        first: int,
        now: datetime,
        rejected: list[Rejection],
        *,
        as_text: bool,
    ) -> Iterator[Any]:
        """The valid records of ``batch`` (line ``first`` onwards) as rows to store, in input
        order: ``COPY`` text lines (``as_text``) or tuples in ``_COLUMNS`` order; a
        ``Rejection`` appended to ``rejected`` for each other record. Lazy, so the rows stream
        into ``COPY`` while the server writes the ones before.

        Every check but the record id's is a dictionary look-up (the caches are filled per
        batch by ``_load_resources``): this loop is the import's hot path."""
        oldest = now - self.late_window - _HOUR
        resources = self._resources
        usage_types = self._usage_types
        hours = self._hours
        quantities = self._quantities
        measures = self._measures
        convertible = self._convertible
        pending = int(UsageStatus.PENDING)
        suffix = f"\t{now.isoformat()}\t{pending}\n"
        late_hours = int(self.late_window.total_seconds() // 3600)
        size = len(CSV_FIELDS)
        unsafe = _UNSAFE.search
        for line, record in enumerate(batch, first):
            if isinstance(record, str) or len(record) != size:
                rejected.append(Rejection(line, None, MALFORMED, _NOT_A_RECORD))
                continue
            record_id, resource_id, usage_type, usage_hour, quantity, measure = record
            if type(record_id) is not str or not 0 < len(record_id) <= _ID_MAX:
                rejected.append(Rejection(line, None, MALFORMED, _RECORD_ID))
                continue
            record_text: str | None = record_id
            if unsafe(record_id) is not None:
                record_text = _copy_text(record_id)
                if record_text is None:
                    rejected.append(Rejection(line, None, MALFORMED, _RECORD_ID))
                    continue
            if type(resource_id) is not str or type(usage_type) is not str:
                rejected.append(Rejection(line, record_id, MALFORMED, _IDS))
                continue
            hour_entry = hours.get(usage_hour) if type(usage_hour) is str else None
            if hour_entry is None:
                hour_entry = self._hour(usage_hour)
                if hour_entry is None:
                    rejected.append(Rejection(line, record_id, MALFORMED, _HOUR_FORMAT))
                    continue
            hour, hour_text = hour_entry
            units = quantities.get(quantity, _MISSING) if type(quantity) is str else _MISSING
            if units is _MISSING:
                units = self._quantity(quantity)
            if units is None:
                rejected.append(Rejection(line, record_id, MALFORMED, _QUANTITY_FORMAT))
                continue
            measure_id = measures.get(measure) if type(measure) is str else None
            if measure_id is None:
                measure_id = self._measure(measure)
                if measure_id is None:
                    rejected.append(Rejection(line, record_id, MALFORMED, _MEASURE_FORMAT))
                    continue
            resource = resources.get(resource_id)
            if resource is None:
                rejected.append(
                    Rejection(
                        line,
                        record_id,
                        RejectReason.UNKNOWN_RESOURCE,
                        f"No pay-per-use resource {resource_id[:64]}.",
                    )
                )
                continue
            types = usage_types.get(resource.resource_type)
            target = types.get(usage_type) if types is not None else None
            if target is None:
                rejected.append(
                    Rejection(
                        line,
                        record_id,
                        RejectReason.UNKNOWN_USAGE_TYPE,
                        f"{usage_type[:64]} is not a usage type of {resource.resource_type}.",
                    )
                )
                continue
            ok = convertible.get((measure_id, target[0]))
            if ok is None:
                ok = self._converts(measure_id, target[0])
            if not ok:
                rejected.append(
                    Rejection(
                        line,
                        record_id,
                        RejectReason.WRONG_MEASURE,
                        f"measure_id {measure_id} does not convert to {target[0]}.",
                    )
                )
                continue
            if hour > now:
                rejected.append(
                    Rejection(
                        line,
                        record_id,
                        RejectReason.IN_THE_FUTURE,
                        f"The hour {format_utc(hour)} has not begun.",
                    )
                )
                continue
            if hour < oldest:
                rejected.append(
                    Rejection(
                        line,
                        record_id,
                        RejectReason.TOO_LATE,
                        f"The hour {format_utc(hour)} ended more than {late_hours} h ago.",
                    )
                )
                continue
            if hour <= resource.not_after_start or (
                resource.expire_time is not None and hour >= resource.expire_time
            ):
                rejected.append(
                    Rejection(
                        line,
                        record_id,
                        RejectReason.OUTSIDE_RESOURCE_LIFETIME,
                        f"The resource did not run in the hour {format_utc(hour)}.",
                    )
                )
                continue
            if as_text:
                yield (
                    f"{record_text}\t{resource.copy_prefix}{target[1]}\t{hour_text}\t"
                    f"{units}\t{measure_id}{suffix}"
                )
            else:
                yield (
                    record_id,
                    resource.tenant_id,
                    resource_id,
                    usage_type,
                    hour,
                    units,
                    measure_id,
                    now,
                    pending,
                )

    async def _store_sqlite(
        self, batch: list[RecordFields | str], first: int, report: IngestReport, now: datetime
    ) -> None:
        rejected: list[Rejection] = []
        rows = list(self._checked(batch, first, now, rejected, as_text=False))
        inserted = 0
        if rows:
            table = cast(Table, UsageRecord.__table__)
            connection = await self.session.connection()
            result = await connection.execute(
                insert(table).prefix_with("OR IGNORE"),
                [
                    {
                        **dict(zip(_COLUMNS, row, strict=True)),
                        "quantity": Decimal(row[5]).scaleb(-STORAGE_SCALE),
                    }
                    for row in rows
                ],
            )
            inserted = int(result.rowcount)
        _settle(report, rejected, accepted=inserted, duplicates=len(rows) - inserted)

    async def _store_postgresql(
        self, batch: list[RecordFields | str], first: int, report: IngestReport, now: datetime
    ) -> None:
        """``COPY`` the batch's valid rows straight into ``usage_records`` (the cheapest write
        there is) inside a savepoint, checking them as they stream.

        A record id stored already (a re-import, a duplicate within the batch, another import
        writing the same records right now) makes ``COPY`` fail: the batch goes back to its
        savepoint and is stored through a staging table with ``ON CONFLICT (record_id) DO
        NOTHING`` instead, as are the batches after one that held duplicates (a re-import is
        usually whole), until one holds none."""
        rejected: list[Rejection] = []
        lines: list[str] = []
        checked = self._checked(batch, first, now, rejected, as_text=True)
        if self._optimistic:
            nested = await self.session.begin_nested()
            # Asking for the connection emits the SAVEPOINT (the session begins it lazily).
            driver = await self._driver()
            try:
                status = await driver.copy_to_table(
                    "usage_records", source=_copy_data(checked, lines), columns=list(_COLUMNS)
                )
            except Exception as exc:
                if getattr(exc, "sqlstate", None) != _UNIQUE_VIOLATION:
                    raise
                await nested.rollback()
            else:
                await nested.commit()
                copied = int(str(status).split()[-1])
                _settle(report, rejected, accepted=copied, duplicates=0)
                return
        lines.extend(checked)  # the rows COPY had not asked for yet
        inserted = await self._store_new_postgresql(lines) if lines else 0
        self._optimistic = inserted == len(lines)
        _settle(report, rejected, accepted=inserted, duplicates=len(lines) - inserted)

    async def _driver(self) -> Any:
        connection = await self.session.connection()
        raw = await connection.get_raw_connection()
        return raw.driver_connection

    async def _store_new_postgresql(self, lines: list[str]) -> int:
        """Rows whose record id is not stored yet, through a staging table."""
        connection = await self.session.connection()
        await connection.execute(
            text(
                f"CREATE TEMP TABLE IF NOT EXISTS {_STAGING} "
                "(LIKE usage_records INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            )
        )
        driver = await self._driver()
        await driver.copy_to_table(
            _STAGING, source=_copy_data(iter(lines), None), columns=list(_COLUMNS)
        )
        names = ", ".join(_COLUMNS)
        result = await connection.execute(
            text(
                # The names are this module's constants, never input.
                f"INSERT INTO usage_records ({names}) SELECT {names} FROM {_STAGING} "  # noqa: S608
                "ON CONFLICT (record_id) DO NOTHING"
            )
        )
        await connection.execute(text(f"TRUNCATE {_STAGING}"))
        return int(result.rowcount)


MALFORMED = RejectReason.MALFORMED
_UNIQUE_VIOLATION = "23505"
_CACHE_LIMIT = 100_000
_MISSING: Any = object()
_NOT_A_RECORD = "Not a record: a JSON object, or a CSV row with every column of the header."
_RECORD_ID = "record_id: 1 to 64 characters (no NUL)."
_IDS = "resource_id and usage_type required."
_HOUR_FORMAT = "usage_hour: UTC yyyy-MM-ddTHH:00:00Z (the start of an hour)."
_QUANTITY_FORMAT = "quantity: a number >= 0 with at most 8 decimals."
_MEASURE_FORMAT = "measure_id: an integer."
#: Characters that ``COPY`` text needs escaped, and anything not ASCII (checked for encoding).
_UNSAFE = re.compile(r"[\x00-\x1f\\\x7f-\U0010ffff]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_CHUNK = 2_000


def _copy_text(value: str) -> str | None:
    """``value`` as a ``COPY`` text field, or None if PostgreSQL text cannot hold it (a NUL
    character, or a lone surrogate that has no UTF-8 form)."""
    if "\x00" in value:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value.translate(_COPY_ESCAPES)


async def _copy_data(lines: Iterator[str], kept: list[str] | None) -> AsyncIterator[bytes]:
    """``COPY`` text lines as the bytes ``COPY`` reads, a few thousand lines at a time; each
    line also appended to ``kept`` (for a retry) when given."""
    while chunk := list(islice(lines, _COPY_CHUNK)):
        if kept is not None:
            kept.extend(chunk)
        yield "".join(chunk).encode()


def _read_batch(
    records: Iterator[RawRecord], size: int
) -> tuple[list[RecordFields | str], set[str]]:
    """The next ``size`` records (fewer at the end, none after it) and the resource ids they
    name."""
    raw = list(islice(records, size))
    batch: list[RecordFields | str] = (
        cast(list[RecordFields | str], raw)
        if all(type(r) is list or type(r) is tuple or type(r) is str for r in raw)
        else [_normalise(r) for r in raw]
    )
    ids = {
        r[1]
        for r in batch
        if not isinstance(r, str) and len(r) == len(CSV_FIELDS) and type(r[1]) is str
    }
    return batch, ids


def _normalise(record: RawRecord) -> RecordFields | str:
    if isinstance(record, Mapping):
        return _fields(record)
    if isinstance(record, tuple | list):
        return record
    return str(record)[:200]


def _settle(
    report: IngestReport, rejected: list[Rejection], *, accepted: int, duplicates: int
) -> None:
    report.accepted += accepted
    report.duplicates += duplicates
    report.rejected += len(rejected)
    room = MAX_REPORTED_REJECTIONS - len(report.rejections)
    if room > 0:
        report.rejections.extend(rejected[:room])
