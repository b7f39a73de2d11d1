"""Sign-in with a password for members of every account kind (operator, partners, customers),
through the same sign-in and lockout as ``POST /v3/auth/tokens``; sign-out; the language
switch; ``/`` and the home page of each kind."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from partner_center.domains.identity.public import AccountKind, Caller, Permission
from partner_center.domains.partners.public import PartnerType
from partner_center.http.auth import CallerKind
from partner_center.http.console.kit.i18n import LANGUAGE_COOKIE, LANGUAGES
from partner_center.http.console.kit.page import (
    SIGN_IN_PATH,
    Page,
    action,
    client_of,
    see_other,
    view,
)
from partner_center.http.console.kit.session import (
    ACTING_COOKIE,
    SESSION_COOKIE,
    SIGN_IN_CSRF_COOKIE,
    clear_cookie,
    new_sign_in_csrf,
    set_cookie,
)

pages = APIRouter()

HOME = {
    AccountKind.PARTNER: "/console/dashboard",
    AccountKind.CUSTOMER: "/console/my",
    AccountKind.OPERATOR: "/console/operator/partners",
}


async def _home(page: Page, caller: Caller) -> str:
    """Where a member lands: a reseller (whose distributor manages its customers' budgets and
    freezing) on Customer Development."""
    if caller.kind == AccountKind.PARTNER:
        partner = await page.services.partners.get(caller.account_id)
        if partner is not None and partner.partner_type == PartnerType.RESELLER:
            return "/console/customers/invitations"
        if not caller.has(Permission.LIST_CUSTOMERS):
            return "/console/account/keys"  # what every member may use
    return HOME[caller.kind]


def _safe_next(target: str) -> str | None:
    """Only a console path of this site (never ``//host`` or a scheme)."""
    if target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@view(pages, "/", kind=None)
async def root(page: Page) -> Response:
    """``/`` leads to sign-in (or home when signed in)."""
    if page.caller_or_none is not None:
        return page.redirect(await _home(page, page.caller))
    return page.redirect(SIGN_IN_PATH)


@view(pages, "/console", kind=CallerKind.ANY)
async def home(page: Page) -> Response:
    return page.redirect(await _home(page, page.caller))


@view(pages, SIGN_IN_PATH, kind=None)
async def sign_in_form(page: Page) -> Response:
    token = page.request.cookies.get(SIGN_IN_CSRF_COOKIE) or new_sign_in_csrf()
    response = page.render(
        "signin/sign_in.html",
        csrf=token,
        next=page.field("next") or page.query("next"),
        account_name=page.field("account_name"),
        user_name=page.field("user_name"),
    )
    set_cookie(page.request, response, SIGN_IN_CSRF_COOKIE, token, max_age=3600)
    return response


@action(pages, SIGN_IN_PATH, form=sign_in_form, fields="account_name user_name password")
async def sign_in(page: Page) -> Response:
    account_name = page.field("account_name")
    issued = await page.services.identity.token_by_password(
        domain_name=account_name,
        user_name=page.field("user_name") or account_name,
        password=page.form.get("password", "") if page.form else "",  # type: ignore[arg-type]
        source=client_of(page),
    )
    target = _safe_next(page.field("next")) or await _home(page, issued.caller)
    response = see_other(page.request, target)
    max_age = int((issued.expires_at - issued.issued_at).total_seconds())
    set_cookie(page.request, response, SESSION_COOKIE, issued.token, max_age=max_age)
    clear_cookie(page.request, response, SIGN_IN_CSRF_COOKIE)
    return response


@action(pages, "/console/sign-out", kind=CallerKind.ANY)
async def sign_out(page: Page) -> Response:
    if page.token is not None:
        await page.services.identity.revoke_token(page.token)
    response = page.redirect(SIGN_IN_PATH)
    clear_cookie(page.request, response, SESSION_COOKIE)
    if acting := page.request.cookies.get(ACTING_COOKIE):
        await page.services.identity.revoke_token(acting)
        clear_cookie(page.request, response, ACTING_COOKIE)
    return response


@view(pages, "/console/language", kind=None)
async def switch_language(page: Page) -> Response:
    language = page.query("lang")
    response = page.redirect(_safe_next(page.query("next")) or "/")
    if language in LANGUAGES:
        set_cookie(page.request, response, LANGUAGE_COOKIE, language, max_age=365 * 86400)
    return response
