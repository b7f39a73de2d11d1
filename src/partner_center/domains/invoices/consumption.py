"""``ConsumptionFiles``: the monthly consumption detail file (rules.md §6.21). For every partner
that subscribes, its customers' bill lines of the month that ended are written as CSV by the
5th (the invoices job, after the bill run) to ``<folder>/<partner>/consumption-<partner>-<cycle>.csv``
and listed over the API. The file is streamed from billing's export (memory does not grow with
the lines), written next to its final name and renamed into place, then recorded; a run that
finds the record writes nothing again."""

from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.billing.public import BillingService
from partner_center.domains.invoices.models import ConsumptionFile, InvoiceSettings
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.ids import new_id
from partner_center.kernel.pagination import Page, paginate


@dataclass(frozen=True, slots=True)
class ConsumptionFileView:
    id: str
    partner_id: str
    cycle: str
    name: str
    size: int
    sha256: str
    created_at: datetime


def _view(row: ConsumptionFile) -> ConsumptionFileView:
    return ConsumptionFileView(
        id=row.id,
        partner_id=row.tenant_id,
        cycle=row.cycle,
        name=row.name,
        size=row.size,
        sha256=row.sha256,
        created_at=row.created_at,
    )


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write(text)


class ConsumptionFiles:
    def __init__(
        self, session: AsyncSession, *, clock: Clock, folder: Path, billing: BillingService
    ) -> None:
        self.session = session
        self.clock = clock
        self.folder = folder
        self.billing = billing

    async def subscribed(self) -> list[str]:
        """The partners that subscribe, by id."""
        rows = await self.session.scalars(
            select(InvoiceSettings.tenant_id)
            .where(InvoiceSettings.consumption_file.is_(True))
            .order_by(InvoiceSettings.tenant_id)
        )
        return list(rows)

    async def write_cycle(self, cycle: str) -> int:
        """Write the file of ``cycle`` for every subscriber without one; how many were written."""
        written = 0
        for partner_id in await self.subscribed():
            if await self._file(partner_id, cycle) is None:
                await self._write(partner_id, cycle)
                written += 1
        return written

    async def _file(self, partner_id: str, cycle: str) -> ConsumptionFile | None:
        result: ConsumptionFile | None = await self.session.scalar(
            select(ConsumptionFile).where(
                ConsumptionFile.tenant_id == partner_id, ConsumptionFile.cycle == cycle
            )
        )
        return result

    def _path(self, partner_id: str, name: str) -> Path:
        return self.folder / partner_id / name

    async def _write(self, partner_id: str, cycle: str) -> ConsumptionFileView:
        name = f"consumption-{partner_id}-{cycle}.csv"
        final = self._path(partner_id, name)
        partial = final.with_suffix(".csv.partial")
        await asyncio.to_thread(final.parent.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(partial.write_text, "", "utf-8")
        digest = hashlib.sha256()
        size = 0
        async for chunk in self.billing.export_lines(partner_id, cycle):
            if chunk:
                data = chunk.encode("utf-8")
                digest.update(data)
                size += len(data)
                await asyncio.to_thread(_append, partial, chunk)
        await asyncio.to_thread(os.replace, partial, final)
        row = ConsumptionFile(
            id=new_id(),
            tenant_id=partner_id,
            cycle=cycle,
            name=name,
            size=size,
            sha256=digest.hexdigest(),
            created_at=self.clock.now(),
        )
        self.session.add(row)
        await self.session.flush()
        return _view(row)

    async def files(self, partner_id: str, page: Page) -> tuple[list[ConsumptionFileView], int]:
        """The partner's consumption files, newest cycle first."""
        stmt = select(ConsumptionFile).where(ConsumptionFile.tenant_id == partner_id)
        rows, total = await paginate(
            self.session, stmt, page, ConsumptionFile.cycle.desc(), ConsumptionFile.id
        )
        return [_view(r) for r in rows], total

    async def content(self, partner_id: str, cycle: str) -> tuple[str, bytes]:
        """A file's name and bytes (``CBC.0100`` when the partner has none for the cycle)."""
        row = await self._file(partner_id, cycle)
        if row is None:
            raise invalid_parameter("cycle", "No consumption file of yours for this cycle.")
        data = await asyncio.to_thread(self._path(partner_id, row.name).read_bytes)
        return row.name, data

    async def subscribe(self, partner_id: str, subscribed: bool) -> bool:
        """Subscribe to (or stop) the monthly file."""
        row = await self.session.get(InvoiceSettings, partner_id)
        if row is None:
            row = InvoiceSettings(id=partner_id, tenant_id=partner_id, email_zero_months=False)
            self.session.add(row)
        row.consumption_file = subscribed
        row.updated_at = self.clock.now()
        await self.session.flush()
        return subscribed
