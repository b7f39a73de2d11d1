"""Long work started from the console, run by the job machinery one step at a time.

``start`` stores the work and enqueues its first step (``tasks.STEP``) due now; each step is one
job, so one transaction: it does a bounded share of the work, records how far it got
(``done`` / ``total``, ``stage``) and enqueues the next step, so a page polling the work sees
it advance, and a crash loses at most the step in progress (its job is retried). The kinds:

* ``CATALOG_IMPORT`` (the operator): the uploaded catalogue file is checked (a dry run of the
  importer, whose counts are shown), then imported in one step: the importer is all or nothing
  (``catalog/importer.py``), so its stages, not its rows, are the progress.
* ``STATEMENT_EXPORT`` (a partner): the account statements of a date range as CSV, one page of
  ``EXPORT_PAGE`` lines per step, as the member who asked may see them; the file is the steps'
  parts joined. Lines posted to the range while the export runs may shift a page boundary.
* ``BILL_EXPORT`` (a partner): its customers' bill lines of a cycle as CSV, the file
  ``partner-center bills export`` writes (``BillingService.export_page``, the same query and
  writer), ``EXPORT_PAGE`` lines per step; the partner's own lines only.
* ``BILL_RUN`` (the operator): a cycle's bill run (any earlier incomplete run first), one batch
  of partners per step, the run's own batches being the progress (``billing/run.py``).

A step the services refuse (``DomainError``: a bad file, a cycle not ended) rolls back to its
savepoint and ends the work ``FAILED`` with the error's code and message; any other error fails
the job, which the machinery retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from partner_center.domains.background.errors import no_such_work
from partner_center.domains.background.models import (
    BackgroundWork,
    BackgroundWorkPart,
    WorkKind,
    WorkStatus,
)
from partner_center.domains.balances.public import StatementKind
from partner_center.domains.billing.public import BillingService, bill_reader, parse_cycle
from partner_center.domains.catalog.public import CatalogImporter, ImportReport, read_catalog
from partner_center.domains.customers.public import PartnerActor
from partner_center.domains.identity.public import IdentityService
from partner_center.domains.partners.public import PartnerService
from partner_center.domains.payments.public import AccountStatements, StatementRange
from partner_center.kernel.clock import Clock
from partner_center.kernel.errors import DomainError, invalid_parameter
from partner_center.kernel.jobs import schedule
from partner_center.kernel.pagination import Page, paginate

STEP = "background.step"
EXPORT_PAGE = 1000
MAX_EXPORT_LINES = 100_000
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
"""The largest catalogue file the console accepts."""


@dataclass(frozen=True, slots=True)
class WorkView:
    work_id: str
    kind: WorkKind
    status: WorkStatus
    stage: str
    done: int
    total: int | None
    params: dict[str, Any]
    summary: dict[str, Any]
    error_code: str | None
    error_msg: str | None
    created_at: datetime
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in (WorkStatus.DONE, WorkStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.status == WorkStatus.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, self.done * 100 // self.total)

    @property
    def file_name(self) -> str | None:
        """The result file's name (an export), None for work without a file."""
        if self.kind == WorkKind.BILL_EXPORT:
            return f"customer-bill-lines-{self.params['cycle']}.csv"
        if self.kind != WorkKind.STATEMENT_EXPORT:
            return None
        return f"account-statements-{self.params['begin']}-{self.params['end']}.csv"


@dataclass(frozen=True, slots=True)
class StepOutcome:
    done: int
    total: int | None
    stage: str
    finished: bool
    summary: dict[str, Any] | None = None


def _view(row: BackgroundWork) -> WorkView:
    return WorkView(
        work_id=row.id,
        kind=WorkKind(row.kind),
        status=WorkStatus(row.status),
        stage=row.stage,
        done=row.done,
        total=row.total,
        params=dict(row.params),
        summary=dict(row.summary or {}),
        error_code=row.error_code,
        error_msg=row.error_msg,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


def _report(report: ImportReport) -> dict[str, Any]:
    return {
        "version": report.version,
        "unchanged": report.unchanged,
        "prices_added": report.prices_added,
        "prices_closed": report.prices_closed,
        "prices_kept": report.prices_kept,
        "specs_added": report.specs_added,
        "specs_updated": report.specs_updated,
        "structure_changes": report.structure_changes,
    }


class BackgroundWorkService:
    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        identity: IdentityService,
        partners: PartnerService,
        catalog_importer: CatalogImporter,
        statements: AccountStatements,
        billing: BillingService,
        currency: str,
    ) -> None:
        self.session = session
        self.clock = clock
        self.identity = identity
        self.partners = partners
        self.catalog_importer = catalog_importer
        self.statements = statements
        self.billing = billing
        self.currency = currency

    # -- starting and reading ------------------------------------------------------------

    async def start_catalog_import(
        self, *, operator_id: str, member_id: str | None, file_name: str, content: bytes
    ) -> WorkView:
        if not content:
            raise invalid_parameter("file", "Choose the catalogue file (JSON).")
        if len(content) > MAX_UPLOAD_BYTES:
            raise invalid_parameter("file", f"At most {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB.")
        return await self._start(
            operator_id,
            member_id,
            WorkKind.CATALOG_IMPORT,
            {"file_name": file_name[:255]},
            upload=content,
        )

    async def start_statement_export(self, actor: PartnerActor, window: StatementRange) -> WorkView:
        await self.statements.page(actor, window, Page(0, 1))  # the service checks the range
        params = {
            "begin": window.begin.isoformat(),
            "end": window.end.isoformat(),
            "kind": window.kind.value if window.kind else None,
        }
        return await self._start(
            actor.partner_id, actor.caller.member_id, WorkKind.STATEMENT_EXPORT, params
        )

    async def start_bill_export(self, actor: PartnerActor, cycle: str) -> WorkView:
        """Export the partner's customers' bill lines of ``cycle`` (``YYYY-MM``) as CSV
        (``CBC.0151`` for a member without the permission to view partner bills)."""
        bill_reader(actor)
        params = {"cycle": parse_cycle(cycle, "cycle")}
        return await self._start(
            actor.partner_id, actor.caller.member_id, WorkKind.BILL_EXPORT, params
        )

    async def start_bill_run(
        self, *, operator_id: str, member_id: str | None, cycle: str
    ) -> WorkView:
        return await self._start(
            operator_id, member_id, WorkKind.BILL_RUN, {"cycle": parse_cycle(cycle, "cycle")}
        )

    async def _start(
        self,
        owner_id: str,
        member_id: str | None,
        kind: WorkKind,
        params: dict[str, Any],
        *,
        upload: bytes | None = None,
    ) -> WorkView:
        row = BackgroundWork(
            tenant_id=owner_id,
            member_id=member_id,
            kind=kind.value,
            status=WorkStatus.QUEUED.value,
            params=params,
            upload=upload,
            stage="queued",
            done=0,
            summary={},
            created_at=self.clock.now(),
        )
        self.session.add(row)
        await self.session.flush()
        await self._enqueue(row)
        return _view(row)

    async def _enqueue(self, row: BackgroundWork) -> None:
        await schedule(
            self.session,
            name=STEP,
            due_at=self.clock.now(),
            payload={"work_id": row.id},
            tenant_id=row.tenant_id,
        )

    async def get(self, owner_id: str, work_id: str) -> WorkView:
        """The owner's work; another account's is not found (``CBC.0100``)."""
        return _view(await self._owned(owner_id, work_id))

    async def _owned(self, owner_id: str, work_id: str) -> BackgroundWork:
        row = await self.session.get(BackgroundWork, work_id) if work_id else None
        if row is None or row.tenant_id != owner_id:
            raise no_such_work(work_id)
        return row

    async def list(
        self, owner_id: str, kinds: tuple[WorkKind, ...], page: Page
    ) -> tuple[list[WorkView], int]:
        """The owner's work of ``kinds``, newest first."""
        stmt = select(BackgroundWork).where(
            BackgroundWork.tenant_id == owner_id,
            BackgroundWork.kind.in_([k.value for k in kinds]),
        )
        rows, total = await paginate(
            self.session, stmt, page, BackgroundWork.created_at.desc(), BackgroundWork.id.desc()
        )
        return [_view(r) for r in rows], int(total)

    async def result_file(self, owner_id: str, work_id: str) -> tuple[str, bytes]:
        """The finished export's name and content."""
        view = _view(await self._owned(owner_id, work_id))
        if view.status != WorkStatus.DONE or view.file_name is None:
            raise invalid_parameter("work_id", "This work has no file (yet).")
        parts = await self.session.scalars(
            select(BackgroundWorkPart.data)
            .where(BackgroundWorkPart.work_id == work_id)
            .order_by(BackgroundWorkPart.seq)
        )
        return view.file_name, b"".join(parts)

    # -- running -----------------------------------------------------------------------------

    async def step(self, work_id: str) -> None:
        """One step of the work (the ``STEP`` job); the next step is enqueued unless done."""
        row = await self.session.get(BackgroundWork, work_id, with_for_update=True)
        if row is None or row.status in (WorkStatus.DONE, WorkStatus.FAILED):
            return
        try:
            async with self.session.begin_nested():
                outcome = await self._advance(row)
        except DomainError as exc:
            row.status = WorkStatus.FAILED.value
            row.error_code = exc.code
            row.error_msg = exc.message[:1000]
            row.upload = None
            row.finished_at = self.clock.now()
            await self.session.execute(
                delete(BackgroundWorkPart).where(BackgroundWorkPart.work_id == work_id)
            )
            await self.session.flush()
            return
        row.done, row.total, row.stage = outcome.done, outcome.total, outcome.stage
        if outcome.summary is not None:
            row.summary = outcome.summary
        if outcome.finished:
            row.status = WorkStatus.DONE.value
            row.upload = None
            row.finished_at = self.clock.now()
        else:
            row.status = WorkStatus.RUNNING.value
            await self._enqueue(row)
        await self.session.flush()

    async def _advance(self, row: BackgroundWork) -> StepOutcome:
        kind = WorkKind(row.kind)
        if kind == WorkKind.CATALOG_IMPORT:
            return await self._catalog_step(row)
        if kind == WorkKind.STATEMENT_EXPORT:
            return await self._export_step(row)
        if kind == WorkKind.BILL_EXPORT:
            return await self._bill_export_step(row)
        return await self._bill_run_step(row)

    async def _catalog_step(self, row: BackgroundWork) -> StepOutcome:
        assert row.upload is not None
        try:
            text = row.upload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise invalid_parameter("file", "The catalogue file is not UTF-8 text.") from exc
        raw = read_catalog(text)
        checking = row.stage == "queued"
        report = await self.catalog_importer.import_document(
            raw,
            source=row.params["file_name"],
            dry_run=checking,
            expected_currency=self.currency,
        )
        if checking and not report.unchanged:
            return StepOutcome(1, 2, "checked", False, _report(report))
        return StepOutcome(2, 2, "imported", True, _report(report))

    async def _actor(self, row: BackgroundWork) -> PartnerActor:
        caller = await self.identity.caller_for(row.tenant_id, row.member_id, method="console")
        partner = await self.partners.get(row.tenant_id)
        assert partner is not None
        return PartnerActor(caller=caller, partner=partner)

    async def _export_step(self, row: BackgroundWork) -> StepOutcome:
        params = row.params
        window = StatementRange(
            begin=date.fromisoformat(params["begin"]),
            end=date.fromisoformat(params["end"]),
            kind=StatementKind(params["kind"]) if params.get("kind") else None,
        )
        lines, total = await self.statements.page(
            await self._actor(row), window, Page(row.done, EXPORT_PAGE)
        )
        total = min(total, MAX_EXPORT_LINES)
        seq = await self.session.scalar(
            select(func.count())
            .select_from(BackgroundWorkPart)
            .where(BackgroundWorkPart.work_id == row.id)
        )
        lines = lines[: max(0, total - row.done)]
        text = self.statements.csv_text(lines, header=not seq)
        self.session.add(
            BackgroundWorkPart(
                work_id=row.id, tenant_id=row.tenant_id, seq=int(seq or 0), data=text.encode()
            )
        )
        done = row.done + len(lines)
        return StepOutcome(done, total, "exporting", not lines or done >= total, {"lines": done})

    async def _bill_export_step(self, row: BackgroundWork) -> StepOutcome:
        cycle = row.params["cycle"]
        text, count, total = await self.billing.export_page(
            row.tenant_id, cycle, Page(row.done, EXPORT_PAGE), header=row.done == 0
        )
        self.session.add(
            BackgroundWorkPart(
                work_id=row.id,
                tenant_id=row.tenant_id,
                seq=row.done // EXPORT_PAGE,
                data=text.encode(),
            )
        )
        done = row.done + count
        finished = count < EXPORT_PAGE or done >= total
        return StepOutcome(done, total, "exporting", finished, {"lines": done})

    async def _bill_run_step(self, row: BackgroundWork) -> StepOutcome:
        cycle = row.params["cycle"]
        runner = self.billing.runner
        earlier = [c for c in await runner.incomplete_cycles() if c < cycle]
        for current in [*earlier, cycle]:
            await runner.plan(current)
            pending = await runner.pending_batches(current)
            if pending:
                await runner.bill_batch(current, pending[0])
                break
            await runner.complete(current)
        report = await runner.report(cycle)
        summary = {
            "partner_bills": report.partner_bills,
            "customer_bills": report.customer_bills,
        }
        return StepOutcome(
            report.batches_billed, report.batches, "billing", report.completed, summary
        )
