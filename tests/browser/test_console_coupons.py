"""Coupons in the console: the operator grants a CSP a coupon quota (and freezes and restores
it), the CSP issues coupons to its customers within it — a customer that cannot receive one is
listed with the API's error code — and reclaims one, whose balance returns to the quota."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from playwright.sync_api import Page

from partner_center.domains.coupons.public import QuotaType, Restrictions
from partner_center.domains.partners.public import PartnerType
from partner_center.state import AppState
from tests.browser.conftest import PASSWORD, check_page, error_code, field_error, sign_in
from tests.browser.test_console import _operator_password
from tests.harness import LiveServer, Partner, unique
from tests.sdk.test_orders import signed


def notice(page: Page, text: str) -> None:
    page.wait_for_selector(f".notice:has-text({text!r})")


def test_coupon_quotas_and_coupons(page: Page, server: LiveServer) -> None:
    csp = server.partner(password=PASSWORD)
    first, second = (server.customer(csp, name=unique("cc")) for _ in range(2))
    server._call(_operator_password)
    sign_in(page, "operator")
    page.wait_for_url("**/console/operator/partners")
    page.click("nav.side >> text=Coupon Quotas")
    page.wait_for_selector("h1:has-text('Coupon Quotas')")
    page.click("summary:has-text('Grant a coupon quota')")
    page.fill("#partner_id", csp.id)
    page.fill("#quota_value", "-10")
    page.fill("#expire_time", "2099-12-31")
    page.click("button:has-text('Grant quota')")
    page.wait_for_selector("#quota_value-error")
    assert error_code(field_error(page, "quota_value")) == "CBC.0100"
    page.fill("#quota_value", "1000")
    page.click("button:has-text('Grant quota')")
    notice(page, "The coupon quota was granted.")
    quota_row = f"tr:has-text('{csp.creds.domain_name}')"
    assert "1,000.00" in page.inner_text(quota_row)
    page.click(f"{quota_row} >> button:has-text('Freeze')")
    notice(page, "The coupon quota's status was changed.")
    assert "Frozen" in page.inner_text(quota_row)
    page.click(f"{quota_row} >> button:has-text('Restore')")
    page.wait_for_selector(f"{quota_row}:has-text('Normal')")
    check_page(page, "operator-coupon-quotas")
    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/console/sign-in")

    sign_in(page, csp.creds.domain_name)
    page.wait_for_url("**/console/dashboard")
    page.click("nav.side >> text=Coupons")
    page.wait_for_selector("h1:has-text('Coupons')")
    assert "1,000.00" in page.inner_text("#quotas")
    page.fill("#customer_ids", f"{first.account_id}, {second.account_id} nobody-{csp.id[:8]}")
    page.fill("#face_value", "25")
    page.click("button:has-text('Issue coupons')")
    page.wait_for_selector("#issue-errors")
    assert "CBC.99000035" in page.inner_text("#issue-errors")
    assert "2 coupons were issued" in page.inner_text("#issue-errors")
    assert "950.00" in page.inner_text("#quotas")
    issued = page.inner_text("#issued")
    assert first.account_id in issued and second.account_id in issued
    check_page(page, "partner-coupons")

    page.click(f"#issued tr:has-text('{first.account_id}') >> button:has-text('Reclaim')")
    notice(page, "The coupon was reclaimed")
    assert "Reclaimed" in page.inner_text(f"#issued tr:has-text('{first.account_id}')")
    assert "975.00" in page.inner_text("#quotas")

    page.fill("#customer_ids", first.account_id)
    page.fill("#face_value", "5000")
    page.click("button:has-text('Issue coupons')")
    page.wait_for_selector(".alert")
    assert "CBC.990000" in page.inner_text(".alert")
    # The language switch after the refused form: the coupons page (GET) in Chinese, no 405.
    assert page.url.endswith("/console/coupons/issue")
    with page.expect_response(
        lambda r: r.request.method == "GET" and "/language" not in r.url
    ) as to:
        page.click("nav.langs >> text=中文")
    assert (to.value.status, to.value.url) == (200, f"{server.url}/console/coupons")
    page.wait_for_selector("html[lang=zh-CN] h1:has-text('代金券')")
    page.click("nav.langs >> text=English")
    page.wait_for_selector("h1:has-text('Coupons')")


def signed_in_at(page: Page, partner: Partner, landing: str, entry: str) -> Page:
    """The partner's administrator signs in (landing on ``/console/<landing>``) and opens the
    menu entry ``entry``, whose page is headed by the same words."""
    sign_in(page, partner.creds.domain_name)
    page.wait_for_url(f"**/console/{landing}")
    page.click(f"nav.side >> text={entry}")
    page.wait_for_selector(f"h1:has-text({entry!r})")
    return page


async def _quota_for(state: AppState, *, partner_id: str, value: str) -> str:
    async with state.work() as services:
        now = services.clock.now()
        view = await services.coupons.quotas.grant(
            operator_id="operator",
            partner_id=partner_id,
            quota_type=QuotaType.CASH,
            quota_value=Decimal(value),
            currency=services.settings.currency,
            effective_time=now - timedelta(days=1),
            expire_time=now + timedelta(days=365),
            restrictions=Restrictions(),
        )
        return view.quota_id


def test_a_distributor_allocates_coupon_quota_to_its_resellers(
    new_page: Callable[..., Page], server: LiveServer
) -> None:
    """rules.md §1.17a: a distributor gives resellers part of its coupon quota and reclaims
    what is left; a reseller sees only its own quota and issues coupons within it."""
    distributor = server.partner(PartnerType.DISTRIBUTOR, password=PASSWORD)
    first, second = (
        server.partner(PartnerType.RESELLER, distributor=distributor, password=PASSWORD)
        for _ in range(2)
    )
    stranger = server.partner(
        PartnerType.RESELLER, distributor=server.partner(PartnerType.DISTRIBUTOR)
    )
    customer = server.customer(distributor, reseller=first, name=unique("rcc"))
    quota_id = server._call(_quota_for, partner_id=distributor.id, value="1000")

    page = signed_in_at(new_page(), distributor, "dashboard", "Resellers' Coupon Quotas")
    offered = page.inner_text("#allocate")
    assert first.creds.domain_name in offered and second.creds.domain_name in offered
    assert stranger.creds.domain_name not in offered
    page.fill("#quota_amount", "300")
    page.click("button:has-text('Allocate quota')")  # no reseller chosen
    page.wait_for_selector("#indirect_partner_ids-error")
    api = signed(
        server,
        distributor.creds,
        "POST",
        "/v2/partners/coupon-quotas/indirect-partner-adjust",
        {"quota_id": quota_id, "indirect_partner_ids": [], "quota_amount": Decimal("300")},
    )
    assert error_code(field_error(page, "indirect_partner_ids")) == api.json()["error_code"]
    for reseller in (first, second):
        page.check(f"input[name=indirect_partner_ids][value='{reseller.id}']")
    page.fill("#quota_amount", "600")
    page.click("button:has-text('Allocate quota')")  # 2 x 600 > 1,000: nothing is allocated
    page.wait_for_selector(".alert:has-text('CBC.99000013')")  # as the API answers (SDK tests)
    assert page.locator("#allocated >> text=600.00").count() == 0
    page.fill("#quota_amount", "300")
    page.click("button:has-text('Allocate quota')")
    notice(page, "The quota was allocated to the resellers.")
    for reseller in (first, second):
        assert "300.00" in page.inner_text(
            f"#allocated tr:has-text('{reseller.creds.domain_name}')"
        )
    assert quota_id in page.inner_text("#allocated")
    assert "400.00" in page.inner_text("#quota_id")  # what the distributor has left
    check_page(page, "distributor-reseller-coupon-quotas")

    second_row = f"#allocated tr:has-text('{second.creds.domain_name}')"
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"{second_row} >> button:has-text('Reclaim')")
    notice(page, "What was left of the reseller's quota was reclaimed.")
    assert "Reclaimed" in page.inner_text(second_row)
    assert page.locator(f"{second_row} >> button:has-text('Reclaim')").count() == 0
    assert "700.00" in page.inner_text("#quota_id")
    assert "Reclaimed" in page.inner_text("#records")
    page.click("nav.langs >> text=中文")
    page.wait_for_selector("h1:has-text('经销商代金券额度')")
    assert "分配额度" in page.inner_text("main")
    check_page(page, "distributor-reseller-coupon-quotas-zh")
    page.click("nav.langs >> text=English")
    page.wait_for_selector("h1:has-text('Coupon Quotas')")

    # The reseller: its own quota (never its sibling's), coupons to its customer within it.
    mine = signed_in_at(new_page(), first, "customers/invitations", "Coupons")
    quotas = mine.inner_text("#quotas")
    assert "300.00" in quotas and quota_id not in quotas
    assert mine.locator("#quotas tbody tr").count() == 1
    mine.fill("#customer_ids", customer.account_id)
    mine.fill("#face_value", "50")
    mine.click("button:has-text('Issue coupons')")
    notice(mine, "The coupons were issued.")
    assert "250.00" in mine.inner_text("#quotas")
    assert customer.account_id in mine.inner_text("#issued")
    check_page(mine, "reseller-coupons")
    answer = mine.goto("/console/coupons/reseller-quotas")
    assert answer is not None and answer.status == 403
    page.reload()
    assert "250.00" in page.inner_text(f"#allocated tr:has-text('{first.creds.domain_name}')")
