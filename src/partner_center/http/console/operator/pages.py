"""The operator's console: partners and resellers; in sandbox mode the business clock, moved
forward with the list of the jobs that will run on the way (the same implementation as
``POST /v1/sandbox/clock`` and ``partner-center clock``)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from starlette.responses import Response

from partner_center.domains.partners.public import PartnerType
from partner_center.http.auth import CallerKind
from partner_center.http.console.kit.page import Page, action, view
from partner_center.kernel.errors import DomainError, invalid_parameter
from partner_center.kernel.pagination import page as page_window
from partner_center.kernel.sandbox import move_sandbox_clock, upcoming_jobs

pages = APIRouter()
OPERATOR = CallerKind.OPERATOR
MAX_DAYS = 400


@view(pages, "/console/operator/partners", kind=OPERATOR)
async def partners(page: Page) -> Response:
    offset = page.int_query("offset", 0)
    kind = page.query("partner_type")
    partner_type = PartnerType(kind) if kind in PartnerType.__members__ else None
    rows, total = await page.services.partners.list_partners(
        page_window(offset, 20), partner_type=partner_type
    )
    # The distributor column names the distributor (at most 20 look-ups, one per page row).
    names = {row.partner_id: row.name for row in rows}
    for distributor_id in {row.distributor_id for row in rows if row.distributor_id}:
        if distributor_id not in names:
            found = await page.services.partners.get(distributor_id)
            names[distributor_id] = found.name if found else distributor_id
    return page.render(
        "operator/partners.html",
        rows=rows,
        names=names,
        total=total,
        offset=offset,
        limit=20,
        partner_type=kind,
        types=list(PartnerType),
    )


def _days(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) <= MAX_DAYS:
        raise invalid_parameter("days", f"Whole days, 1 to {MAX_DAYS}.")
    return int(text)


def _require_sandbox(page: Page) -> None:
    if page.state.sandbox_clock is None:
        raise DomainError("CBC.0151", "Sandbox endpoints are available only in sandbox mode.")


@view(pages, "/console/operator/clock", kind=OPERATOR)
async def clock(page: Page) -> Response:
    _require_sandbox(page)
    text = page.field("days") or "1"
    days = _days(text) if text.isdigit() and 0 < int(text) <= MAX_DAYS else 1
    now = page.services.clock.now()
    state = page.state
    jobs = await upcoming_jobs(
        page.services.session,
        state.jobs,
        zone=state.settings.zone,
        start=now,
        until=now + timedelta(days=days),
    )
    # The days field asks for the list alone as you type (htmx, target #jobs).
    partial = page.request.headers.get("hx-target") == "jobs"
    template = "operator/jobs.html" if partial else "operator/clock.html"
    return page.render(template, days=days, jobs=jobs, ran=None)


@action(pages, "/console/operator/clock", form=clock, fields="days", own_transactions=True)
async def advance_clock(page: Page) -> Response:
    _require_sandbox(page)
    days = _days(page.field("days"))
    state = page.state
    moved, records = await move_sandbox_clock(
        state.db,
        state.jobs,
        zone=state.settings.zone,
        wall=state.wall,
        delta=timedelta(days=days),
    )
    return page.render("operator/clock.html", days=days, jobs=[], ran=records, now=moved.now)
