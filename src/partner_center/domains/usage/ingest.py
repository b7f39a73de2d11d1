"""Bulk ingestion of metered usage: idempotent by record id, late records within a window.

The import is built for volume (a million records in one call):

* the input is stream-parsed (JSON lines, a JSON array already decoded, or CSV) into small
  Python tuples, batch by batch; the checks that need the database (the resource, its usage
  types) use caches filled with one query per batch;
* PostgreSQL: each batch is ``COPY``-ed into a temporary staging table (asyncpg
  ``copy_records_to_table``) and moved with one ``INSERT ... SELECT ... ON CONFLICT (record_id)
  DO NOTHING``; SQLite: ``INSERT OR IGNORE`` executemany in big batches, all in the caller's one
  transaction.

A well-formed CSV file on PostgreSQL takes a faster path (``ingest_csv_file``): the file itself
is ``COPY``-ed into a staging table of text columns and every check runs in SQL — the few
distinct hours are parsed in Python, the resources and usage types are joined — before one
``INSERT ... SELECT ... ON CONFLICT (record_id) DO NOTHING``; a file ``COPY`` cannot read
(a ragged row) falls back to the path above.

A record is accepted, a duplicate (its ``record_id`` is stored already: re-importing a batch
changes nothing), or rejected with a reason; rejections never fail the batch.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO, cast

from sqlalchemy import Table, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.catalog.public import CatalogService, Language
from partner_center.domains.usage.errors import RejectReason, invalid
from partner_center.domains.usage.models import OnDemandResource, UsageRecord, UsageStatus
from partner_center.kernel.clock import Clock, format_utc, parse_utc
from partner_center.kernel.money import STORAGE_SCALE
from partner_center.kernel.pagination import Page

#: Records checked and written together.
BATCH_SIZE = 20_000
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
    effective_time: datetime
    expire_time: datetime | None


RecordFields = tuple[Any, Any, Any, Any, Any, Any]
"""``CSV_FIELDS`` in order: record_id, resource_id, usage_type, usage_hour, quantity,
measure_id."""
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
    decoded as exact Decimals.

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
            for row in rows:
                if len(row) >= width:
                    yield (row[0], row[1], row[2], row[3], row[4], row[5])
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
            value = json.loads(stripped, parse_float=Decimal)
        except ValueError:
            yield stripped[:200]
            continue
        yield _fields(value) if isinstance(value, dict) else stripped[:200]


def records_from_body(raw: bytes) -> Iterator[RawRecord]:
    """An HTTP body: a JSON array of objects, or JSON lines."""
    body = raw.decode("utf-8")
    if body.lstrip().startswith("["):
        try:
            values = json.loads(body, parse_float=Decimal)
        except ValueError:
            yield body[:200]
            return
        for value in values:
            yield _fields(value) if isinstance(value, dict) else str(value)[:200]
        return
    yield from read_records(io.StringIO(body))


def _quantity_units(value: Any) -> int | None:
    """A quantity ≥ 0 with at most 8 decimals as 10⁻⁸ units, else None."""
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
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.session = session
        self.clock = clock
        self.late_window = late_window
        self.batch_size = batch_size
        self.catalog = CatalogService(session, clock=clock)
        self._resources: dict[str, _Resource | None] = {}
        self._usage_types: dict[str, dict[str, int]] = {}
        self._hours: dict[str, datetime | None] = {}
        self._convertible: dict[tuple[int, int], bool] = {}
        self._conversions: Any = None

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
        batch: list[tuple[int, RawRecord]] = []
        for record in records:
            report.received += 1
            batch.append((report.received, record))
            if len(batch) >= self.batch_size:
                await self._batch(batch, report, now)
                batch = []
                if on_progress is not None:
                    on_progress(report.received)
        if batch:
            await self._batch(batch, report, now)
            if on_progress is not None:
                on_progress(report.received)
        return report

    def _hour(self, value: Any) -> datetime | None:
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
        if len(self._hours) < 100_000:
            self._hours[value] = parsed
        return parsed

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
                self._resources[rid] = _Resource(tenant, rtype, effective, expire)
            for rid in chunk:
                self._resources.setdefault(rid, None)
        for resource in {r for i in ids if (r := self._resources.get(i)) is not None}:
            if resource.resource_type not in self._usage_types:
                views, _ = await self.catalog.usage_types(
                    resource_type=resource.resource_type,
                    window=Page(0, 1000),
                    language=Language.EN,
                )
                self._usage_types[resource.resource_type] = {v.code: v.measure_id for v in views}

    async def _converts(self, source: int, target: int) -> bool:
        key = (source, target)
        if key not in self._convertible:
            if self._conversions is None:
                self._conversions = await self.catalog.conversion_table()
            self._convertible[key] = self._conversions.factor(source, target) is not None
        return self._convertible[key]

    async def _batch(
        self, batch: list[tuple[int, RawRecord]], report: IngestReport, now: datetime
    ) -> None:
        records: list[tuple[int, RecordFields | str]] = [
            (line, _fields(r) if isinstance(r, Mapping) else r) for line, r in batch
        ]
        ids = {r[1] for _, r in records if isinstance(r, tuple) and isinstance(r[1], str)}
        await self._load_resources(ids)
        oldest = now - self.late_window - _HOUR
        rows: list[tuple[Any, ...]] = []
        resources = self._resources
        for line, record in records:
            if not isinstance(record, tuple):
                report.reject(line, None, RejectReason.MALFORMED, "Not a JSON object.")
                continue
            record_id, resource_id, usage_type, usage_hour, quantity, measure = record
            if not isinstance(record_id, str) or not 0 < len(record_id) <= _ID_MAX:
                report.reject(line, None, RejectReason.MALFORMED, "record_id: 1 to 64 characters.")
                continue
            if not isinstance(resource_id, str) or not isinstance(usage_type, str):
                report.reject(
                    line, record_id, RejectReason.MALFORMED, "resource_id and usage_type required."
                )
                continue
            hour = self._hours.get(usage_hour) if isinstance(usage_hour, str) else None
            if hour is None:
                hour = self._hour(usage_hour)
            if hour is None:
                report.reject(
                    line,
                    record_id,
                    RejectReason.MALFORMED,
                    "usage_hour: UTC yyyy-MM-ddTHH:00:00Z (the start of an hour).",
                )
                continue
            units = _quantity_units(quantity)
            if units is None:
                report.reject(
                    line,
                    record_id,
                    RejectReason.MALFORMED,
                    "quantity: a number >= 0 with at most 8 decimals.",
                )
                continue
            measure_id: int | None = None
            if isinstance(measure, int | str | Decimal) and not isinstance(measure, bool):
                try:
                    measure_id = int(measure)
                except (TypeError, ValueError, ArithmeticError):
                    measure_id = None
            if measure_id is None:
                report.reject(line, record_id, RejectReason.MALFORMED, "measure_id: an integer.")
                continue
            resource = resources.get(resource_id)
            if resource is None:
                report.reject(
                    line,
                    record_id,
                    RejectReason.UNKNOWN_RESOURCE,
                    f"No pay-per-use resource {resource_id[:64]}.",
                )
                continue
            target = self._usage_types.get(resource.resource_type, {}).get(usage_type)
            if target is None:
                report.reject(
                    line,
                    record_id,
                    RejectReason.UNKNOWN_USAGE_TYPE,
                    f"{usage_type[:64]} is not a usage type of {resource.resource_type}.",
                )
                continue
            convertible = self._convertible.get((measure_id, target))
            if convertible is None:
                convertible = await self._converts(measure_id, target)
            if not convertible:
                report.reject(
                    line,
                    record_id,
                    RejectReason.WRONG_MEASURE,
                    f"measure_id {measure_id} does not convert to {target}.",
                )
                continue
            if hour > now:
                report.reject(
                    line,
                    record_id,
                    RejectReason.IN_THE_FUTURE,
                    f"The hour {format_utc(hour)} has not begun.",
                )
                continue
            if hour < oldest:
                report.reject(
                    line,
                    record_id,
                    RejectReason.TOO_LATE,
                    f"The hour {format_utc(hour)} ended more than "
                    f"{int(self.late_window.total_seconds() // 3600)} h ago.",
                )
                continue
            if hour + _HOUR <= resource.effective_time or (
                resource.expire_time is not None and hour >= resource.expire_time
            ):
                report.reject(
                    line,
                    record_id,
                    RejectReason.OUTSIDE_RESOURCE_LIFETIME,
                    f"The resource did not run in the hour {format_utc(hour)}.",
                )
                continue
            rows.append(
                (
                    record_id,
                    resource.tenant_id,
                    resource_id,
                    usage_type,
                    hour,
                    units,
                    measure_id,
                    now,
                    int(UsageStatus.PENDING),
                )
            )
        if not rows:
            return
        inserted = await self._store(rows)
        report.accepted += inserted
        report.duplicates += len(rows) - inserted

    async def _store(self, rows: list[tuple[Any, ...]]) -> int:
        if self.session.get_bind().dialect.name == "postgresql":
            return await self._store_postgresql(rows)
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
        return int(result.rowcount)

    async def _store_postgresql(self, rows: list[tuple[Any, ...]]) -> int:
        connection = await self.session.connection()
        await connection.execute(
            text(
                f"CREATE TEMP TABLE IF NOT EXISTS {_STAGING} "
                "(LIKE usage_records INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
            )
        )
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        await driver.copy_records_to_table(
            _STAGING,
            records=[(*row[:4], row[4].astimezone(UTC), *row[5:]) for row in rows],
            columns=list(_COLUMNS),
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


#: Reason codes of the SQL checks → (reason, message) of the report.
_SQL_REASONS: dict[str, tuple[RejectReason, str]] = {
    "record_id": (RejectReason.MALFORMED, "record_id: 1 to 64 characters."),
    "ids": (RejectReason.MALFORMED, "resource_id and usage_type required."),
    "hour": (
        RejectReason.MALFORMED,
        "usage_hour: UTC yyyy-MM-ddTHH:00:00Z (the start of an hour).",
    ),
    "quantity": (RejectReason.MALFORMED, "quantity: a number >= 0 with at most 8 decimals."),
    "measure": (RejectReason.MALFORMED, "measure_id: an integer."),
    "resource": (RejectReason.UNKNOWN_RESOURCE, "No such pay-per-use resource."),
    "usage_type": (RejectReason.UNKNOWN_USAGE_TYPE, "Not a usage type of the resource."),
    "wrong_measure": (
        RejectReason.WRONG_MEASURE,
        "measure_id does not convert to the usage type's.",
    ),
    "future": (RejectReason.IN_THE_FUTURE, "The hour has not begun."),
    "late": (RejectReason.TOO_LATE, "The hour ended longer ago than the late-record window."),
    "lifetime": (RejectReason.OUTSIDE_RESOURCE_LIFETIME, "The resource did not run in the hour."),
}
_QUANTITY = r"^[0-9]{1,10}(\.[0-9]{1,8})?$"
_INTEGER = r"^[0-9]{1,9}$"
# The check of every staged row, in the order of the Python path's checks.
_CHECKED_TABLE = (
    "CREATE TEMP TABLE usage_import_checked (line bigint, record_id text, resource_id text, "
    "usage_type text, usage_hour timestamptz, tenant_id text, quantity bigint, "
    "measure_id int, reason text) ON COMMIT DROP"
)
_CHECK = """
INSERT INTO usage_import_checked
SELECT r.line, r.record_id, r.resource_id, r.usage_type, h.ts AS usage_hour,
       res.tenant_id,
       CASE WHEN q.ok THEN (r.quantity::numeric * 100000000)::bigint END AS quantity,
       a.measure_id,
       CASE
         WHEN r.record_id IS NULL OR length(r.record_id) > 64 THEN 'record_id'
         WHEN r.resource_id IS NULL OR r.usage_type IS NULL THEN 'ids'
         WHEN h.ts IS NULL THEN 'hour'
         WHEN NOT q.ok THEN 'quantity'
         WHEN a.usage_type IS NULL AND NOT coalesce(r.measure_id ~ :integer_re, false)
              THEN 'measure'
         WHEN res.id IS NULL THEN 'resource'
         WHEN t.usage_type IS NULL THEN 'usage_type'
         WHEN a.usage_type IS NULL THEN 'wrong_measure'
         WHEN h.ts > :now THEN 'future'
         WHEN h.ts < :oldest THEN 'late'
         WHEN h.ts + interval '1 hour' <= res.effective_time
              OR (res.expire_time IS NOT NULL AND h.ts >= res.expire_time) THEN 'lifetime'
       END AS reason
FROM usage_import_raw r
CROSS JOIN LATERAL (SELECT coalesce(r.quantity ~ :quantity_re, false) AS ok) q
LEFT JOIN usage_import_hours h ON h.text = r.usage_hour
LEFT JOIN usage_resources res ON res.id = r.resource_id
LEFT JOIN usage_import_types t
       ON t.resource_type = res.resource_type_code AND t.usage_type = r.usage_type
LEFT JOIN usage_import_allowed a
       ON a.resource_type = res.resource_type_code AND a.usage_type = r.usage_type
      AND a.measure_text = r.measure_id
"""
_CHUNK = 1 << 20


async def _chunks(path: Path, on_lines: Callable[[int], None] | None) -> AsyncIterator[bytes]:
    lines = 0
    with path.open("rb") as raw:
        while chunk := raw.read(_CHUNK):
            lines += chunk.count(b"\n")
            if on_lines is not None:
                on_lines(lines)
            yield chunk


class _CsvFastPath:
    """``UsageIngest.ingest_csv_file`` on PostgreSQL."""

    def __init__(self, ingest: UsageIngest) -> None:
        self.ingest = ingest
        self.session = ingest.session

    async def _execute(self, sql: str, **params: Any) -> Any:
        connection = await self.session.connection()
        return await connection.execute(text(sql), params)

    async def _reference_tables(self) -> None:
        catalog = self.ingest.catalog
        views, _ = await catalog.usage_types(
            resource_type=None, window=Page(0, 100_000), language=Language.EN
        )
        conversions = await catalog.conversion_table()
        measures = sorted(await catalog.measure_ids())
        await self._execute(
            "CREATE TEMP TABLE usage_import_types (resource_type text, usage_type text) "
            "ON COMMIT DROP"
        )
        await self._execute(
            "CREATE TEMP TABLE usage_import_allowed "
            "(resource_type text, usage_type text, measure_id int, measure_text text) "
            "ON COMMIT DROP"
        )
        types = [{"r": v.resource_type, "u": v.code} for v in views]
        allowed = [
            {"r": v.resource_type, "u": v.code, "m": m, "t": str(m)}
            for v in views
            for m in measures
            if conversions.factor(m, v.measure_id) is not None
        ]
        if types:
            await self._execute_many("INSERT INTO usage_import_types VALUES (:r, :u)", types)
        if allowed:
            await self._execute_many(
                "INSERT INTO usage_import_allowed VALUES (:r, :u, :m, :t)", allowed
            )

    async def _execute_many(self, sql: str, rows: list[dict[str, Any]]) -> None:
        connection = await self.session.connection()
        await connection.execute(text(sql), rows)

    async def _hours(self) -> None:
        await self._execute(
            "CREATE TEMP TABLE usage_import_hours (text text PRIMARY KEY, ts timestamptz) "
            "ON COMMIT DROP"
        )
        distinct = (
            (
                await self._execute(
                    "SELECT DISTINCT usage_hour FROM usage_import_raw WHERE usage_hour IS NOT NULL"
                )
            )
            .scalars()
            .all()
        )
        rows = [{"t": value, "ts": self.ingest._hour(value)} for value in distinct]
        for start in range(0, len(rows), 10_000):
            await self._execute_many(
                "INSERT INTO usage_import_hours VALUES (:t, :ts)", rows[start : start + 10_000]
            )

    async def run(
        self, path: Path, header: list[str], on_progress: Callable[[int], None] | None
    ) -> IngestReport | None:
        """The report, or None when ``COPY`` could not read the file (nothing was kept)."""
        nested = await self.session.begin_nested()
        try:
            await self._execute(
                "CREATE TEMP TABLE usage_import_raw (line bigint GENERATED ALWAYS AS IDENTITY, "
                + ", ".join(f"{name} text" for name in CSV_FIELDS)
                + ") ON COMMIT DROP"
            )
            connection = await self.session.connection()
            raw = await connection.get_raw_connection()
            driver: Any = raw.driver_connection
            await driver.copy_to_table(
                "usage_import_raw",
                source=_chunks(path, on_progress),
                columns=header,
                format="csv",
                header=True,
            )
        except Exception as exc:
            # The server refused the file (a ragged row, bad encoding): its errors carry a
            # SQLSTATE. Anything else is a bug and propagates.
            if getattr(exc, "sqlstate", None) is None:
                raise
            await nested.rollback()
            return None
        await nested.commit()
        # Hash joins and sorts of a million staged rows in memory, for this transaction only.
        await self._execute("SET LOCAL work_mem = '256MB'")
        now = self.ingest.clock.now()
        oldest = now - self.ingest.late_window - _HOUR
        await self._reference_tables()
        await self._hours()
        for table in ("usage_import_raw", "usage_import_types", "usage_import_allowed"):
            # Temporary tables have no statistics until analysed: the planner needs the sizes.
            await self._execute(f"ANALYZE {table}")
        await self._execute(_CHECKED_TABLE)
        await self._execute(
            _CHECK, now=now, oldest=oldest, quantity_re=_QUANTITY, integer_re=_INTEGER
        )
        received, valid = (
            await self._execute(
                "SELECT count(*), count(*) FILTER (WHERE reason IS NULL) FROM usage_import_checked"
            )
        ).one()
        inserted = await self._execute(
            "INSERT INTO usage_records (record_id, tenant_id, resource_id, usage_type, "
            "usage_hour, quantity, measure_id, received_at, status) "
            "SELECT record_id, tenant_id, resource_id, usage_type, usage_hour, quantity, "
            "measure_id, :now, :pending FROM usage_import_checked WHERE reason IS NULL "
            "ON CONFLICT (record_id) DO NOTHING",
            now=now,
            pending=int(UsageStatus.PENDING),
        )
        report = IngestReport(received=int(received), accepted=int(inserted.rowcount))
        report.duplicates = int(valid) - report.accepted
        report.rejected = int(received) - int(valid)
        rejected = await self._execute(
            "SELECT line, record_id, reason FROM usage_import_checked "
            "WHERE reason IS NOT NULL ORDER BY line LIMIT :limit",
            limit=MAX_REPORTED_REJECTIONS,
        )
        for line, record_id, code in rejected:
            reason, message = _SQL_REASONS[code]
            keep_id = record_id if code != "record_id" else None
            report.rejections.append(Rejection(int(line), keep_id, reason, message))
        if on_progress is not None:
            on_progress(report.received)
        return report


async def ingest_csv_file(
    ingest: UsageIngest, path: Path, *, on_progress: Callable[[int], None] | None = None
) -> IngestReport:
    """Import a CSV file (header naming ``CSV_FIELDS``): ``COPY`` and checks in SQL on
    PostgreSQL, else (or when ``COPY`` cannot read the file) the streaming path."""
    with path.open(encoding="utf-8", newline="") as stream:
        header = next(csv.reader(stream), None) or []
    postgres = ingest.session.get_bind().dialect.name == "postgresql"
    if postgres and sorted(header) == sorted(CSV_FIELDS):
        report = await _CsvFastPath(ingest).run(path, header, on_progress)
        if report is not None:
            return report
    with path.open(encoding="utf-8", newline="") as stream:
        return await ingest.ingest(read_records(stream, fmt="csv"), on_progress=on_progress)
