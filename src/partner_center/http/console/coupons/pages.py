"""Coupons and coupon quotas, with the services of the API's ``http/bss/coupons`` and
``http/ext/coupons.py``.

* A CSP or a distributor (Sales > Customers > Coupons): its coupon quotas and what is left of
  each, issuing one coupon of a face value to each of up to 100 reseller-model customers within
  a quota (``create_partner_coupons``: the customers that cannot receive one are listed with
  the reason), the coupons it issued, and reclaiming an available one (its balance returns to
  the quota).
* A reseller: the same page, with the quotas its distributor gave it (rules.md §1.17a) and
  coupons to its own customers within them (the services decide, as for a CSP).
* The operator (Operations > Coupon Quotas): every partner's quotas, granting a new one to a
  CSP or distributor, and disabling, freezing or restoring one.

Dates are whole days of the billing time zone: a coupon or quota is valid from the start of its
first day to the end of its last.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from fastapi import APIRouter
from starlette.responses import Response

from partner_center.domains.coupons.public import (
    CouponFilter,
    CouponStatus,
    IssueRequest,
    QuotaFilter,
    QuotaStatus,
    QuotaType,
    Restrictions,
)
from partner_center.http.auth import CallerKind
from partner_center.http.console.kit.forms import decimal_field
from partner_center.http.console.kit.page import Page, action, view
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.pagination import page as page_window

pages = APIRouter()
COUPONS = "/console/coupons"
QUOTAS = "/console/operator/coupon-quotas"
LIMIT = 20
QUOTA_CHOICES = 50


def _day(page: Page, name: str) -> date | None:
    text = page.field(name)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise invalid_parameter(name, "Use YYYY-MM-DD.") from exc


def _start_of(page: Page, day: date | None) -> datetime | None:
    """The first instant of ``day`` in the billing time zone."""
    if day is None:
        return None
    return datetime.combine(day, time(0), tzinfo=page.services.settings.zone)


def _end_of(page: Page, day: date | None) -> datetime | None:
    """The first instant after ``day`` in the billing time zone."""
    return _start_of(page, day + timedelta(days=1)) if day is not None else None


def _ids(text: str) -> tuple[str, ...]:
    return tuple(i for i in text.replace(",", " ").split() if i)


# -- partners -------------------------------------------------------------------------------


@view(pages, COUPONS, kind=CallerKind.ANY_PARTNER)
async def coupons(page: Page) -> Response:
    return await _render(page)


async def _render(page: Page, result: object | None = None) -> Response:
    offset = page.int_query("offset", 0)
    service = page.services.coupons
    quotas, _count = await service.quotas.list_quotas(
        page.actor, QuotaFilter(), page_window(0, QUOTA_CHOICES), indirect_partner_id=None
    )
    issued, total = await service.list_issued(
        page.actor, CouponFilter(), page_window(offset, LIMIT), indirect_partner_id=None
    )
    return page.render(
        "coupons/partner.html",
        quotas=quotas,
        usable=[q for q in quotas if q.status == QuotaStatus.NORMAL],
        coupons=issued,
        total=total,
        offset=offset,
        limit=LIMIT,
        result=result,
        available=CouponStatus.AVAILABLE,
        customer_ids=page.field("customer_ids") or page.query("customer_id"),
    )


@action(
    pages,
    COUPONS + "/issue",
    form=coupons,
    fields=("quota_id", "customer_ids", "face_value", "valid_time", "expire_time", "memo"),
)
async def issue(page: Page) -> Response:
    result = await page.services.coupons.issue(
        page.actor,
        IssueRequest(
            quota_id=page.field("quota_id"),
            customer_ids=_ids(page.field("customer_ids")),
            face_value=decimal_field(page.field("face_value"), "face_value"),
            valid_time=_start_of(page, _day(page, "valid_time")),
            expire_time=_end_of(page, _day(page, "expire_time")),
            memo=page.field("memo") or None,
        ),
        idempotency_key=page.field("idempotency_key") or None,
    )
    if result.errors:
        return await _render(page, result)
    return page.redirect(COUPONS, notice="coupons_issued")


@action(pages, COUPONS + "/reclaim", form=coupons)
async def reclaim(page: Page) -> Response:
    await page.services.coupons.reclaim(
        page.actor, coupon_id=page.field("coupon_id"), indirect_partner_id=None
    )
    return page.redirect(COUPONS, notice="coupon_reclaimed")


# -- the operator ---------------------------------------------------------------------------


@view(pages, QUOTAS, kind=CallerKind.OPERATOR)
async def coupon_quotas(page: Page) -> Response:
    offset = page.int_query("offset", 0)
    partner_id = page.query("partner_id") or page.field("partner_id")
    rows, total = await page.services.coupons.quotas.list_all(
        partner_id=partner_id or None, page=page_window(offset, LIMIT)
    )
    return page.render(
        "coupons/operator.html",
        rows=rows,
        total=total,
        offset=offset,
        limit=LIMIT,
        partner_id=partner_id,
        types=list(QuotaType),
        statuses=[QuotaStatus.NORMAL, QuotaStatus.INVALID, QuotaStatus.FROZEN],
    )


@action(
    pages,
    QUOTAS,
    form=coupon_quotas,
    fields=("partner_id", "quota_type", "quota_value", "effective_time", "expire_time", "remark"),
)
async def grant_quota(page: Page) -> Response:
    type_text = page.field("quota_type", "0")
    if type_text not in ("0", "1"):
        raise invalid_parameter("quota_type", "Use 0 (cash coupon) or 1 (flexi-purchase).")
    expire = _end_of(page, _day(page, "expire_time"))
    if expire is None:
        raise invalid_parameter("expire_time", "Required.")
    partner_id = page.field("partner_id")
    await page.services.coupons.quotas.grant(
        operator_id=page.caller.account_id,
        partner_id=partner_id,
        quota_type=QuotaType(int(type_text)),
        quota_value=decimal_field(page.field("quota_value"), "quota_value"),
        currency=page.services.settings.currency,
        effective_time=_start_of(page, _day(page, "effective_time")),
        expire_time=expire,
        restrictions=Restrictions(),
        remark=page.field("remark") or None,
    )
    return page.redirect(f"{QUOTAS}?partner_id={partner_id}", notice="quota_granted")


@action(pages, QUOTAS + "/status", form=coupon_quotas)
async def set_quota_status(page: Page) -> Response:
    text = page.field("quota_status")
    if text not in {str(int(s)) for s in QuotaStatus}:
        raise invalid_parameter("quota_status", "Use 0, 3, 4 or 5.")
    view_ = await page.services.coupons.quotas.set_status(
        quota_id=page.field("quota_id"), status=QuotaStatus(int(text))
    )
    return page.redirect(f"{QUOTAS}?partner_id={view_.owner_id}", notice="quota_status_set")
