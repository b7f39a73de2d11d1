"""Long work in the console (``domains/background``): the form that starts it commits the work
and its first job, wakes the job runner, and leads to the work's page, whose progress bar asks
for itself again every second (HTMX ``hx-trigger="every 1s"``) until the work is done, then
shows its result — the file of an export, what an import or a bill run did — or the error, with
the code the API would give. Without JavaScript the page's Refresh link does the same.

Starting it: the operator uploads a catalogue file (the file ``partner-center catalog import``
takes) on Catalog Import or starts a cycle's run on Bill Runs; a partner exports its account
statements of a period as CSV, or a cycle's customer bill lines from Partner Bills (the file
``partner-center bills export`` writes)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from starlette.responses import Response

from partner_center.domains.background.public import WorkKind, WorkView
from partner_center.domains.balances.public import StatementKind
from partner_center.domains.payments.public import StatementRange
from partner_center.http.auth import CallerKind
from partner_center.http.console.finance.pages import bill_runs, day_field, partner_bills
from partner_center.http.console.kit.page import Handler, Page, action, view
from partner_center.kernel.pagination import page as page_window

pages = APIRouter()
WORK = "/console/work"
CATALOG = "/console/operator/catalog"
LISTED = 10


def _work_page(work: WorkView) -> str:
    return f"{WORK}?work_id={work.work_id}"


async def _listed(page: Page, kinds: tuple[WorkKind, ...], template: str) -> Response:
    """The form that starts work of ``kinds``, above the caller's latest such work."""
    rows, total = await page.services.background.list(
        page.caller.account_id, kinds, page_window(0, LISTED)
    )
    return page.render(template, rows=rows, total=total)


def _starts_work(
    path: str, kind: CallerKind, *, form: Handler, fields: tuple[str, ...]
) -> Callable[[Handler], Handler]:
    """A form that starts work: it commits the work itself (``_started``), so the job runner
    it wakes finds it."""
    return action(pages, path, kind=kind, form=form, fields=fields, own_transactions=True)


async def _started(page: Page, work: WorkView) -> Response:
    page.state.wake_jobs()
    return page.redirect(_work_page(work))


@view(pages, WORK, kind=CallerKind.ANY)
async def work_page(page: Page) -> Response:
    work = await page.services.background.get(page.caller.account_id, page.query("work_id"))
    return page.render("work/work.html", work=work)


@view(pages, WORK + "/progress", kind=CallerKind.ANY)
async def work_progress(page: Page) -> Response:
    """The progress element alone (what the page polls)."""
    work = await page.services.background.get(page.caller.account_id, page.query("work_id"))
    return page.render("work/progress.html", work=work)


@view(pages, WORK + "/file", kind=CallerKind.ANY)
async def work_file(page: Page) -> Response:
    name, content = await page.services.background.result_file(
        page.caller.account_id, page.query("work_id")
    )
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# -- the operator: catalogue import and bill runs ------------------------------------------------


@view(pages, CATALOG, kind=CallerKind.OPERATOR)
async def catalog_import(page: Page) -> Response:
    return await _listed(page, (WorkKind.CATALOG_IMPORT,), "work/catalog.html")


@_starts_work(CATALOG, CallerKind.OPERATOR, form=catalog_import, fields=("file",))
async def start_catalog_import(page: Page) -> Response:
    upload = page.upload("file")
    content = await upload.read() if upload is not None else b""
    async with page.state.work() as services:
        work = await services.background.start_catalog_import(
            operator_id=page.caller.account_id,
            member_id=page.caller.member_id,
            file_name=upload.filename or "catalog.json" if upload is not None else "",
            content=content,
        )
    return await _started(page, work)


@_starts_work(
    "/console/operator/bill-runs/run", CallerKind.OPERATOR, form=bill_runs, fields=("cycle",)
)
async def start_bill_run(page: Page) -> Response:
    async with page.state.work() as services:
        work = await services.background.start_bill_run(
            operator_id=page.caller.account_id,
            member_id=page.caller.member_id,
            cycle=page.field("cycle"),
        )
    return await _started(page, work)


# -- partners: account statements and a cycle's bill lines as CSV ------------------------------------------------------


@view(pages, "/console/finance/exports", kind=CallerKind.PARTNER)
async def exports(page: Page) -> Response:
    return await _listed(
        page, (WorkKind.STATEMENT_EXPORT, WorkKind.BILL_EXPORT), "work/exports.html"
    )


@_starts_work(
    "/console/finance/exports", CallerKind.PARTNER, form=exports, fields=("begin_date", "end_date")
)
async def start_statement_export(page: Page) -> Response:
    kind_text = page.field("type")
    window = StatementRange(
        begin=day_field(page.field("begin_date"), "begin_date"),
        end=day_field(page.field("end_date"), "end_date"),
        kind=StatementKind(kind_text) if kind_text in {k.value for k in StatementKind} else None,
    )
    async with page.state.work() as services:
        work = await services.background.start_statement_export(page.actor, window)
    return await _started(page, work)


@_starts_work(
    "/console/finance/bills/export", CallerKind.PARTNER, form=partner_bills, fields=("cycle",)
)
async def start_bill_export(page: Page) -> Response:
    """A cycle's customer bill lines, the file ``partner-center bills export`` writes."""
    async with page.state.work() as services:
        work = await services.background.start_bill_export(page.actor, page.field("cycle"))
    return await _started(page, work)
