"""The gateway's authentication: AK/SK signatures (SDK-HMAC-SHA256), temporary credentials with
``X-Security-Token``, and IAM tokens in ``X-Auth-Token``; then the caller-kind rules of
api-semantics.md §2.

Order: everything the headers alone can prove is checked before a byte of the body is read
(``authenticate_headers``), so an unauthenticated client cannot make the server buffer
anything; then the body is read within its size limit; then the signature is verified over
the body received (``verify_body``)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from starlette.requests import Request

from partner_center.domains.customers.public import PartnerActor
from partner_center.domains.identity.public import (
    AccountKind,
    Caller,
    IdentityService,
    hash_token,
    same_secret,
)
from partner_center.domains.partners.public import PartnerService, PartnerType, PartnerView
from partner_center.http import signing
from partner_center.http.wire import JSON_PAYLOAD, Payload, read_body
from partner_center.kernel.errors import DomainError
from partner_center.services import Services
from partner_center.state import AppState


def _unauthorized(message: str) -> DomainError:
    return DomainError("APIG.0301", f"Incorrect IAM authentication information: {message}")


def client_address(request: Request) -> str | None:
    """The client's address as the server sees it (uvicorn takes it from ``X-Forwarded-For``
    only when the peer is in ``FORWARDED_ALLOW_IPS``, by default 127.0.0.1)."""
    return request.client.host if request.client is not None else None


@dataclass(frozen=True, slots=True)
class PendingSignature:
    """An AK/SK signature whose headers checked out; the body it covers is still to come."""

    authorization: signing.AuthorizationHeader
    sdk_date: str
    secret: str


@dataclass(frozen=True, slots=True)
class HeaderCredentials:
    """The caller the request's headers prove, as far as headers alone can: an IAM token
    completely, an AK/SK signature up to the body it signs (``signature``)."""

    caller: Caller
    signature: PendingSignature | None


def _received_headers(request: Request) -> tuple[dict[str, str], set[str]]:
    """Lower-case header names → values as received, and the names that came more than once."""
    headers: dict[str, str] = {}
    repeated: set[str] = set()
    for name, value in request.scope["headers"]:
        key = name.decode("latin-1").lower()
        if key in headers:
            repeated.add(key)
        headers[key] = value.decode("latin-1")
    return headers, repeated


async def authenticate_headers(
    request: Request, state: AppState, identity: IdentityService
) -> HeaderCredentials:
    """Everything that can be checked before the body is read (401 with a reference code):
    the Authorization header's form, a known and usable access key, X-Sdk-Date within the skew
    window, the security token of temporary credentials, X-Domain-Id; or a valid IAM token."""
    headers, repeated = _received_headers(request)
    authorization = headers.get("authorization")
    token = headers.get("x-auth-token")
    if authorization:
        credentials = await _check_signature_headers(
            state, identity, authorization, headers, repeated
        )
    elif token:
        credentials = HeaderCredentials(await identity.caller_for_token(token), None)
    else:
        raise _unauthorized("no Authorization or X-Auth-Token header.")
    domain_ids = request.headers.getlist("x-domain-id")
    if any(domain_id != credentials.caller.account_id for domain_id in domain_ids):
        raise _unauthorized("X-Domain-Id does not match the credentials.")
    return credentials


async def _check_signature_headers(
    state: AppState,
    identity: IdentityService,
    value: str,
    headers: dict[str, str],
    repeated: set[str],
) -> HeaderCredentials:
    try:
        header = signing.parse_authorization(value)
        sdk_date_text = headers.get("x-sdk-date", "")
        sdk_date = signing.parse_sdk_date(sdk_date_text)
    except signing.SignatureFormatError as exc:
        raise _unauthorized(str(exc)) from exc
    if "host" not in header.signed_headers or "x-sdk-date" not in header.signed_headers:
        raise _unauthorized("host and x-sdk-date must be signed.")
    # A signed header sent twice would be read one way by the signature and another way by the
    # operation (an idempotency key, say): refused, as the SDK never does it.
    twice = sorted(repeated.intersection(header.signed_headers))
    if twice:
        raise _unauthorized(f"signed header {twice[0]} appears more than once.")
    skew = abs((state.wall.now() - sdk_date).total_seconds())
    if skew > state.settings.signature_skew_seconds:
        raise _unauthorized("the request has expired (X-Sdk-Date is too far from server time).")
    material = await identity.key_material(header.access_key)
    if material.security_token_hash is not None:
        token = headers.get("x-security-token")
        if not token or "x-security-token" not in header.signed_headers:
            raise _unauthorized("temporary credentials need a signed X-Security-Token.")
        if not same_secret(material.security_token_hash, hash_token(token)):
            raise _unauthorized("the security token does not match the access key.")
    elif "x-security-token" in headers:
        raise _unauthorized("X-Security-Token sent with a permanent access key.")
    return HeaderCredentials(
        material.caller, PendingSignature(header, sdk_date_text, material.secret)
    )


def verify_body(
    request: Request, credentials: HeaderCredentials, body: bytes, payload: Payload
) -> Caller:
    """Finish authentication with the body received: the AK/SK signature over it (the payload
    hash rules in ``signing``), or nothing more for an IAM token."""
    pending = credentials.signature
    if pending is None:
        return credentials.caller
    headers, _ = _received_headers(request)
    try:
        valid = signing.signature_valid(
            authorization=pending.authorization,
            secret_key=pending.secret,
            sdk_date=pending.sdk_date,
            method=request.method,
            raw_path=request.scope.get("raw_path", b"").decode("latin-1") or request.url.path,
            raw_query=request.scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
            unsigned_allowed=payload.accepts_unsigned(headers.get("content-type")),
        )
    except signing.PayloadNotAuthenticated as exc:
        raise _unauthorized(str(exc)) from exc
    if not valid:
        raise _unauthorized("verify aksk signature fail.")
    return credentials.caller


async def authenticate(
    request: Request,
    body: bytes,
    state: AppState,
    identity: IdentityService,
    payload: Payload = JSON_PAYLOAD,
) -> Caller:
    """Headers and body at once, for a route that had to read its body before it knew how the
    caller authenticates (IAM sign-in). Everywhere else ``authenticate_and_read_body``."""
    credentials = await authenticate_headers(request, state, identity)
    return verify_body(request, credentials, body, payload)


async def authenticate_and_read_body(
    request: Request, state: AppState, payload: Payload = JSON_PAYLOAD
) -> tuple[HeaderCredentials, bytes]:
    """Authenticate from the headers (401 before any body byte is read), then read the body
    within the operation's size limit (413 as soon as it is exceeded). The header checks run in
    a short transaction of their own: no database transaction stays open while a client
    sends its body, however slowly. ``verify_body`` then checks the signature over it."""
    async with state.db.unit_of_work(read_only=True) as uow:
        credentials = await authenticate_headers(
            request, state, state.services(uow.session).identity
        )
    settings = state.settings
    limit = payload.limit(settings.max_body_bytes, settings.max_upload_bytes)
    return credentials, await read_body(request, limit)


class CallerKind(enum.Enum):
    """Who may call an operation (api-semantics.md §2). The operation declares it; the gateway
    checks it before the body is validated, so no handler checks the caller's kind again."""

    PARTNER = "partner"
    """A CSP or a distributor with its own credentials (resellers have no reference API)."""
    DISTRIBUTOR = "distributor"
    CUSTOMER = "customer"
    """The customer itself, or a partner through the customer's agency."""
    OPERATOR = "operator"
    ANY_PARTNER = "any partner"
    """A CSP, a distributor or a reseller with its own credentials (our console extensions)."""
    PARTNER_OR_CUSTOMER = "partner or customer"
    """``PARTNER`` (then ``ctx.partner`` is set) or ``CUSTOMER`` (then it is None)."""
    ANY_PARTNER_OR_CUSTOMER = "any partner or customer"
    """``ANY_PARTNER`` (then ``ctx.partner`` is set) or ``CUSTOMER`` (then it is None)."""
    DISTRIBUTOR_OR_OPERATOR = "distributor or operator"
    """``DISTRIBUTOR`` (then ``ctx.partner`` is set) or the operator's own account."""
    ANY = "any"
    """Any authenticated account; the domain service decides what it may do."""
    PUBLIC = "public"
    """No credentials checked before the handler (health, sign-in, an invitation link)."""


class Admitted:
    """Who the caller kind admitted, for an API operation (``OperationContext``) and a console
    page (``Page``) alike: the caller (None where no credentials were checked) and, when a partner
    kind admitted it, its partner profile."""

    def __init__(self, caller: Caller | None, partner: PartnerView | None) -> None:
        self.caller_or_none = caller
        self.partner = partner
        """The calling partner's profile when a partner kind admitted the caller."""

    @property
    def caller(self) -> Caller:
        assert self.caller_or_none is not None, "no credentials were checked: no caller"
        return self.caller_or_none

    @property
    def actor(self) -> PartnerActor:
        """The calling partner: where the caller kind admits only partners."""
        assert self.partner is not None, "the caller kind admits more than partners"
        return PartnerActor(caller=self.caller, partner=self.partner)

    @property
    def partner_actor(self) -> PartnerActor | None:
        """The calling partner, or None when a ``..._OR_CUSTOMER`` kind admitted a customer
        (or ``DISTRIBUTOR_OR_OPERATOR`` the operator)."""
        return None if self.partner is None else self.actor


class Served(Admitted):
    """An admitted caller with what serving its request takes: the request, the application
    state and ``services``, the domain services of the request's unit of work (built by the
    composition root). An API handler's ``OperationContext`` and a console ``Page`` are both
    one."""

    def __init__(
        self, admitted: Admitted, *, request: Request, state: AppState, services: Services
    ) -> None:
        super().__init__(admitted.caller_or_none, admitted.partner)
        self.request = request
        """The HTTP request (for what no parameter declares, such as the client's address)."""
        self.state = state
        self.services = services


def _denied(message: str) -> DomainError:
    return DomainError("CBC.0151", message)


async def require_kind(
    caller: Caller, kind: CallerKind, partners: PartnerService
) -> PartnerView | None:
    """Enforce the caller kind; returns the partner profile when a partner kind admits the
    caller, None otherwise."""
    if kind in (CallerKind.ANY, CallerKind.PUBLIC):
        return None
    if kind == CallerKind.CUSTOMER or (
        kind in (CallerKind.PARTNER_OR_CUSTOMER, CallerKind.ANY_PARTNER_OR_CUSTOMER)
        and caller.kind == AccountKind.CUSTOMER
    ):
        if caller.kind != AccountKind.CUSTOMER:
            raise _denied("Access denied: this API is called with the customer's credentials.")
        return None
    if kind == CallerKind.OPERATOR or (
        kind == CallerKind.DISTRIBUTOR_OR_OPERATOR
        and caller.kind == AccountKind.OPERATOR
        and caller.delegated_by is None
    ):
        if caller.kind != AccountKind.OPERATOR:
            raise _denied("Access denied: only the operator may call this API.")
        return None
    if kind in (CallerKind.ANY_PARTNER, CallerKind.ANY_PARTNER_OR_CUSTOMER):
        if caller.kind != AccountKind.PARTNER or caller.delegated_by is not None:
            raise _denied("Access denied: this operation is called with partner credentials.")
        any_partner = await partners.get(caller.account_id, account_name=caller.account_name)
        if any_partner is None:
            raise _denied("Access denied: the account is not a partner.")
        return any_partner
    if kind == CallerKind.PARTNER_OR_CUSTOMER and caller.kind != AccountKind.PARTNER:
        raise _denied("Access denied: call with partner or customer credentials.")
    if caller.kind != AccountKind.PARTNER or caller.delegated_by is not None:
        raise _denied("Access denied: this API is called with partner credentials.")
    partner = await partners.get(caller.account_id, account_name=caller.account_name)
    if partner is None or partner.partner_type == PartnerType.RESELLER:
        raise _denied(
            "Access denied: only a cloud solution provider or a distributor may call this API."
        )
    if (
        kind in (CallerKind.DISTRIBUTOR, CallerKind.DISTRIBUTOR_OR_OPERATOR)
        and partner.partner_type != PartnerType.DISTRIBUTOR
    ):
        raise _denied("Access denied: only a distributor may call this API.")
    return partner
