"""The one way to write a console page: ``@view`` for a page, ``@action`` for the form that
posts to it.

    pages = APIRouter()

    @view(pages, "/console/customers", kind=CallerKind.ANY_PARTNER)
    async def customer_list(page: Page) -> Response:
        rows, total = await page.services.customers.list_sub_customers(page.actor, ...)
        return page.render("customers/list.html", rows=rows, total=total)

    @action(pages, "/console/customers/budget", kind=CallerKind.ANY_PARTNER, form=customer_list)
    async def set_budget(page: Page) -> Response:
        await page.services.budgets.set_budgets(page.actor, ...)
        return page.redirect("/console/customers", notice="budget_set")

Each request: read the session cookie (none, or expired: to the sign-in page), check the caller
kind as the API does (``require_kind``), check the CSRF token of a POST, then run the handler in
one unit of work at the current (sandbox) business time. When an action's service refuses the
input (``DomainError``) its unit of work rolls back, nothing is stored, and the ``form`` page is
rendered again (status 400) with the submitted values and the error beside its field.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import APIRouter
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from partner_center.domains.customers.public import CustomerFilter, CustomerView
from partner_center.domains.identity.public import AccountKind, MemberView, Role
from partner_center.http.auth import Admitted, CallerKind, Served, client_address, require_kind
from partner_center.http.console.kit.forms import FormErrors
from partner_center.http.console.kit.i18n import LANGUAGE_COOKIE, LANGUAGES, choose_language
from partner_center.http.console.kit.session import (
    CSRF_FIELD,
    SESSION_COOKIE,
    SIGN_IN_CSRF_COOKIE,
    clear_cookie,
    csrf_for_session,
    csrf_matches,
)
from partner_center.http.console.kit.templating import render_template
from partner_center.http.state import app_state
from partner_center.kernel.errors import DomainError, invalid_parameter
from partner_center.kernel.pagination import page as page_window
from partner_center.services import Services
from partner_center.state import AppState

Handler = Callable[["Page"], Awaitable[Response]]
H = TypeVar("H", bound=Handler)
_VIEW_KINDS: dict[Handler, CallerKind | None] = {}
"""Who may open each declared page, and so post the actions whose form it is."""
_FROM_FORM: Any = object()

# The GET address of each page (``view``): where a page rendered from a POST — a refused
# form shown again — leads the menu and the language switch, never the POST-only path.
_VIEW_PATHS: dict[Handler, str] = {}

SIGN_IN_PATH = "/console/sign-in"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class Page(Served):
    """One console request: who is signed in, the services of its unit of work (``Served``),
    the submitted form, and how to answer (``render``, ``redirect``)."""

    def __init__(
        self,
        request: Request,
        admitted: Admitted,
        *,
        state: AppState,
        services: Services,
        token: str | None,
        form: FormData | None,
    ) -> None:
        super().__init__(admitted, request=request, state=state, services=services)
        self.token = token
        self.form = form
        self.errors = FormErrors()
        self.view_path: str | None = None  # the page's GET path when it answers a POST
        self.language = choose_language(
            request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
        )

    def again(self, services: Services) -> Page:
        """The same request in a new unit of work (to show a refused form again)."""
        page = Page(
            self.request,
            self,
            state=self.state,
            services=services,
            token=self.token,
            form=self.form,
        )
        page.view_path = self.view_path
        return page

    @property
    def address(self) -> str:
        """The page's GET address with its query: what a reload or the language switch
        opens (after a POST, the form's page rather than the POST-only path)."""
        query = self.request.url.query
        return (self.view_path or self.request.url.path) + (f"?{query}" if query else "")

    @property
    def csrf(self) -> str:
        if self.token is not None:
            return csrf_for_session(self.token)
        return self.request.cookies.get(SIGN_IN_CSRF_COOKIE, "")

    # -- the submitted form ------------------------------------------------------------

    def field(self, name: str, default: str = "") -> str:
        """A submitted text field (stripped), or the query parameter of a GET."""
        source = self.form if self.form is not None else self.request.query_params
        value = source.get(name)
        return value.strip() if isinstance(value, str) else default

    def fields(self, name: str) -> list[str]:
        source = self.form if self.form is not None else self.request.query_params
        return [v.strip() for v in source.getlist(name) if isinstance(v, str) and v.strip()]

    def upload(self, name: str) -> UploadFile | None:
        value = self.form.get(name) if self.form is not None else None
        return value if isinstance(value, UploadFile) and value.filename else None

    def query(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default).strip()

    def int_query(self, name: str, default: int) -> int:
        text = self.query(name)
        return int(text) if text.isdigit() else default

    # -- answers ------------------------------------------------------------------------

    def context(self, **extra: Any) -> dict[str, Any]:
        caller = self.caller_or_none
        return {
            "page": self,
            "me": caller,
            "kind": caller.kind.value if caller else None,
            "partner": self.partner,
            "lang": self.language,
            "languages": LANGUAGES,
            "csrf": self.csrf,
            "csrf_field": CSRF_FIELD,
            "errors": self.errors,
            "path": self.view_path or self.request.url.path,
            "here": self.address,
            "notice": self.request.query_params.get("notice"),
            "sandbox": self.state.sandbox_clock is not None,
            "now": self.services.clock.now(),
            "currency": self.state.settings.currency,
            **extra,
        }

    def render(self, template: str, *, http_status: int = 200, **extra: Any) -> Response:
        html = render_template(self.language, template, self.context(**extra))
        return HTMLResponse(html, status_code=400 if self.errors else http_status)

    def redirect(self, url: str, *, notice: str | None = None) -> Response:
        if notice:
            url += ("&" if "?" in url else "?") + urlencode({"notice": notice})
        return see_other(self.request, url)


def see_other(request: Request, url: str) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Location": url})
    return RedirectResponse(url, status_code=303)


def _with_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def to_sign_in(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = see_other(request, f"{SIGN_IN_PATH}?next={quote(target, safe='')}")
    if request.cookies.get(SESSION_COOKIE):
        clear_cookie(request, response, SESSION_COOKIE)
    return response


def error_page(request: Request, exc: DomainError) -> Response:
    language = choose_language(
        request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
    )
    html = render_template(
        language,
        "error.html",
        {"code": exc.code, "message": exc.message, "lang": language, "languages": LANGUAGES},
    )
    return HTMLResponse(html, status_code=exc.status)


async def _open(
    request: Request, state: AppState, services: Services, kind: CallerKind | None
) -> Page | Response:
    """Authenticate the session (when the page is not public), check the caller kind and the
    CSRF token of a POST."""
    await state.refresh_clock(services.session)
    token = request.cookies.get(SESSION_COOKIE) or None
    caller = partner = None
    if kind is not None:
        if token is None:
            return to_sign_in(request)
        try:
            caller = await services.identity.caller_for_token(token)
        except DomainError:
            return to_sign_in(request)
        partner = await require_kind(caller, kind, services.partners)
        if partner is None and caller.kind == AccountKind.PARTNER:
            partner = await services.partners.get(caller.account_id)  # for the navigation
    elif token is not None:
        try:
            caller = await services.identity.caller_for_token(token)
        except DomainError:
            token = None
    form = None
    if request.method == "POST":
        form = await request.form()
        expected = csrf_for_session(token) if token else request.cookies.get(SIGN_IN_CSRF_COOKIE)
        presented = form.get(CSRF_FIELD)
        if not csrf_matches(expected, presented if isinstance(presented, str) else None):
            raise DomainError("CBC.0151", "The form has expired or did not come from this site.")
    admitted = Admitted(caller, partner)
    return Page(request, admitted, state=state, services=services, token=token, form=form)


async def _run(
    request: Request,
    kind: CallerKind | None,
    handler: Handler,
    *,
    on_error: Handler | None = None,
    known_fields: frozenset[str] = frozenset(),
    own_transactions: bool = False,
) -> Response:
    state = app_state(request)
    submitted: Page | None = None
    try:
        async with state.db.unit_of_work() as uow:
            opened = await _open(request, state, state.services(uow.session), kind)
            if isinstance(opened, Response):
                return _with_headers(opened)
            submitted = opened
            if on_error is not None:
                opened.view_path = _VIEW_PATHS.get(on_error)
            if not own_transactions:
                return _with_headers(await handler(opened))
        # The handler opens its own units of work (moving the sandbox clock runs each due
        # job in one): none of ours may stay open meanwhile.
        return _with_headers(await handler(opened))
    except DomainError as exc:
        if on_error is None or submitted is None:
            return _with_headers(error_page(request, exc))
        refused = exc
    # The action's unit of work rolled back; render its form again, with the error (or, when
    # the member may not see the form's page either, the refusal of that page).
    try:
        async with state.db.unit_of_work() as uow:
            services = state.services(uow.session)
            await state.refresh_clock(uow.session)
            page = submitted.again(services)
            page.errors = FormErrors.of(refused, known=known_fields)
            return _with_headers(await on_error(page))
    except DomainError as exc:
        return _with_headers(error_page(request, exc))


def view(pages: APIRouter, path: str, *, kind: CallerKind | None) -> Callable[[H], H]:
    """Declare a page (GET). ``kind`` None: public (the sign-in page)."""

    def register(handler: H) -> H:
        async def endpoint(request: Request) -> Response:
            return await _run(request, kind, handler)

        endpoint.__name__ = f"console_{handler.__name__}"
        pages.add_api_route(path, endpoint, methods=["GET"], include_in_schema=False)
        _VIEW_KINDS[handler] = kind
        _VIEW_PATHS[handler] = path
        return handler

    return register


def action(
    pages: APIRouter,
    path: str,
    *,
    kind: CallerKind | None = _FROM_FORM,
    form: Handler | None = None,
    fields: str | tuple[str, ...] = (),
    own_transactions: bool = False,
) -> Callable[[H], H]:
    """Declare a form's target (POST, CSRF-checked). On a ``DomainError`` the ``form`` page is
    rendered again with the error beside the field it names (one of ``fields``: the form's
    field names, space-separated like ``same_named``'s, or a tuple).
    ``kind``: who may post it; by default its ``form``'s, a page declared before it, since
    whoever may open the form may post it and no one else (a different ``kind`` is refused
    when the module is imported). An action without a form names it.
    ``own_transactions``: the handler runs after the unit of work that authenticated the
    member has committed and opens its own (``page.services`` is then closed)."""
    admits = _action_kind(path, kind, form)

    def register(handler: H) -> H:
        async def endpoint(request: Request) -> Response:
            return await _run(
                request,
                admits,
                handler,
                on_error=form,
                known_fields=frozenset(fields.split() if isinstance(fields, str) else fields),
                own_transactions=own_transactions,
            )

        endpoint.__name__ = f"console_{handler.__name__}"
        pages.add_api_route(path, endpoint, methods=["POST"], include_in_schema=False)
        return handler

    return register


def _action_kind(path: str, kind: CallerKind | None, form: Handler | None) -> CallerKind | None:
    """The kind an action admits: its form page's (``action``)."""
    if form is not None and form in _VIEW_KINDS:
        shown = _VIEW_KINDS[form]
        if kind is not _FROM_FORM and kind != shown:
            raise TypeError(f"{path}: whoever may open {form.__name__} may post it ({shown})")
        return shown
    if kind is _FROM_FORM:
        raise TypeError(f"{path}: say who may post it (kind=), or name the page of its form")
    return kind


def client_of(page: Page) -> str | None:
    return client_address(page.request)


T = TypeVar("T")


async def if_permitted(call: Awaitable[T]) -> T | None:
    """The result of a read the member may lack the permission for (``CBC.0151``: None), so
    a page shows the parts it may see; the service decides, as it does for the API."""
    try:
        return await call
    except DomainError as exc:
        if exc.code != "CBC.0151":
            raise
        return None


async def own_customer(page: Page, customer_id: str) -> CustomerView | None:
    """The caller's own customer ``customer_id``; None when it is not one of them."""
    rows, _one = await page.services.customers.list_own_customers(
        page.actor, CustomerFilter(customer_id=customer_id or "-"), page_window(0, 1)
    )
    return rows[0] if rows else None


async def one_of_your_customers(page: Page, customer_id: str) -> CustomerView:
    """The caller's own customer ``customer_id``, refused (``customer_id``) when it is not."""
    customer = await own_customer(page, customer_id)
    if customer is None:
        raise invalid_parameter("customer_id", "Not one of your customers.")
    return customer


async def account_managers(page: Page) -> list[MemberView]:
    """The active members of the caller's account who hold the Account Manager role (the
    choices of an account-manager field or filter); none when the member may not list members."""
    members = await if_permitted(page.services.members.list_members(page.actor))
    return [
        m
        for m in members or []
        if Role.ACCOUNT_MANAGER.value in m.roles and m.status.value == "ACTIVE"
    ]
