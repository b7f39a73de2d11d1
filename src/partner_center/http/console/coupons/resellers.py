"""A distributor's coupon quotas for its resellers (rules.md §1.17a; the API's
``update_coupon_quotas``, ``reclaim_coupon_quotas``, ``list_issued_coupon_quotas`` and
``list_coupon_quotas_records``, with the same services): it gives chosen resellers a quota of
an amount each, split from one of its own quotas; sees what each reseller has left; reclaims
what is left of one (the balance returns to the quota it came from); and reads the records of
both. Only its own resellers are offered and listed: the services filter by the distributor.
A reseller sees the quota it received on its Coupons page (``pages.py``).
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from partner_center.domains.coupons.public import (
    ItemError,
    QuotaFilter,
    QuotaRecordFilter,
    QuotaStatus,
)
from partner_center.domains.partners.public import IndirectPartnerFilter
from partner_center.http.auth import CallerKind
from partner_center.http.console.kit.confirm import confirm_first
from partner_center.http.console.kit.forms import decimal_field
from partner_center.http.console.kit.page import Page, action, view
from partner_center.kernel.errors import DomainError
from partner_center.kernel.ids import new_id
from partner_center.kernel.pagination import page as page_window

pages = APIRouter()
DISTRIBUTOR = CallerKind.DISTRIBUTOR
RESELLER_QUOTAS = "/console/coupons/reseller-quotas"
LIMIT = 20
CHOICES = 100
"""The allocation form offers this many of the distributor's quotas and resellers."""
RECORDS = 20


@view(pages, RESELLER_QUOTAS, kind=DISTRIBUTOR)
async def reseller_quotas(page: Page) -> Response:
    return await _render(page)


async def _render(
    page: Page, failures: list[ItemError] | None = None, allocated: int = 0
) -> Response:
    quotas = page.services.coupons.quotas
    offset = page.int_query("offset", 0)
    reseller_id = page.query("reseller_id")
    usable, _count = await quotas.list_quotas(
        page.actor,
        QuotaFilter(statuses=frozenset({QuotaStatus.NORMAL})),
        page_window(0, CHOICES),
        indirect_partner_id=None,
    )
    resellers, _count = await page.services.partners.list_indirect_partners(
        page.actor.partner_id, IndirectPartnerFilter(), page_window(0, CHOICES)
    )
    issued, total = await quotas.list_issued(
        page.actor,
        quota_id=None,
        reseller_id=reseller_id or None,
        parent_quota_id=None,
        page=page_window(offset, LIMIT),
    )
    records, _count = await quotas.list_records(
        page.actor, QuotaRecordFilter(reseller_id=reseller_id or None), page_window(0, RECORDS)
    )
    return page.render(
        "coupons/reseller_quotas.html",
        usable=usable,
        resellers=resellers,
        chosen=set(page.fields("indirect_partner_ids")),
        reseller_id=reseller_id,
        issued=issued,
        total=total,
        offset=offset,
        limit=LIMIT,
        records=records,
        failures=failures or [],
        allocated=allocated,
        reclaimed=QuotaStatus.RECLAIMED,
        # A retried submission (a double click, a reload) is answered from the first one.
        idempotency_key=page.field("idempotency_key") or new_id(),
    )


@action(
    pages,
    RESELLER_QUOTAS,
    form=reseller_quotas,
    fields=("quota_id", "indirect_partner_ids", "quota_amount"),
)
async def allocate(page: Page) -> Response:
    """Give each chosen reseller a quota of the amount, as ``update_coupon_quotas``; the
    resellers that cannot receive one are listed with the API's error code."""
    issued, failures, _replayed = await page.services.coupons.issue_quotas(
        page.actor,
        quota_id=page.field("quota_id"),
        reseller_ids=tuple(page.fields("indirect_partner_ids")),
        amount=decimal_field(page.field("quota_amount"), "quota_amount"),
        idempotency_key=page.field("idempotency_key") or None,
    )
    if failures:
        return await _render(page, failures, allocated=len(issued))
    return page.redirect(RESELLER_QUOTAS, notice="coupons.quota_allocated")


@action(pages, RESELLER_QUOTAS + "/reclaim", form=reseller_quotas)
@confirm_first(lambda page: "reclaim_quota")
async def reclaim(page: Page) -> Response:
    """Take back what is left of one reseller quota, as ``reclaim_coupon_quotas``."""
    _done, failures = await page.services.coupons.quotas.reclaim_from_resellers(
        page.actor, quota_ids=(page.field("quota_id"),), remark=page.field("remark") or None
    )
    if failures:
        raise DomainError(failures[0].code, failures[0].message)
    return page.redirect(RESELLER_QUOTAS, notice="coupons.quota_reclaimed")
