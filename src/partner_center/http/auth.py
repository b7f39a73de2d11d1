"""The gateway's authentication: AK/SK signatures (SDK-HMAC-SHA256), temporary credentials with
``X-Security-Token``, and IAM tokens in ``X-Auth-Token``; then the caller-kind rules of
api-semantics.md §2."""

from __future__ import annotations

import enum

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from partner_center.domains.identity.public import (
    AccountKind,
    Caller,
    IdentityService,
    hash_token,
    same_secret,
)
from partner_center.domains.partners.public import PartnerService, PartnerType, PartnerView
from partner_center.http import signing
from partner_center.kernel.errors import DomainError
from partner_center.state import AppState


def _unauthorized(message: str) -> DomainError:
    return DomainError("APIG.0301", f"Incorrect IAM authentication information: {message}")


def identity_service(state: AppState, session: AsyncSession) -> IdentityService:
    """TEMPORARY, for the route files written before ``ctx.services``: the identity service of
    ``session``'s unit of work, from the container (the lead removes it at merge)."""
    return state.services(session).identity


async def authenticate(
    request: Request, body: bytes, state: AppState, identity: IdentityService
) -> Caller:
    """Resolve the caller from the request, or raise 401 with a reference code."""
    authorization = request.headers.get("authorization")
    token = request.headers.get("x-auth-token")
    if authorization:
        caller = await _verify_signature(request, body, state, identity, authorization)
    elif token:
        caller = await identity.caller_for_token(token)
    else:
        raise _unauthorized("no Authorization or X-Auth-Token header.")
    domain_id = request.headers.get("x-domain-id")
    if domain_id and domain_id != caller.account_id:
        raise _unauthorized("X-Domain-Id does not match the credentials.")
    return caller


async def _verify_signature(
    request: Request, body: bytes, state: AppState, identity: IdentityService, value: str
) -> Caller:
    try:
        header = signing.parse_authorization(value)
        sdk_date_text = request.headers.get("x-sdk-date", "")
        sdk_date = signing.parse_sdk_date(sdk_date_text)
    except signing.SignatureFormatError as exc:
        raise _unauthorized(str(exc)) from exc
    if "host" not in header.signed_headers or "x-sdk-date" not in header.signed_headers:
        raise _unauthorized("host and x-sdk-date must be signed.")
    skew = abs((state.wall.now() - sdk_date).total_seconds())
    if skew > state.settings.signature_skew_seconds:
        raise _unauthorized("the request has expired (X-Sdk-Date is too far from server time).")
    material = await identity.key_material(header.access_key)
    headers = {
        k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.scope["headers"]
    }
    creq = signing.canonical_request(
        method=request.method,
        raw_path=request.scope.get("raw_path", b"").decode("latin-1") or request.url.path,
        raw_query=request.scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        signed_headers=header.signed_headers,
        body=body,
    )
    expected = signing.compute_signature(
        material.secret, signing.string_to_sign(sdk_date_text, creq)
    )
    if not signing.signature_matches(expected, header.signature):
        raise _unauthorized("verify aksk signature fail.")
    if material.security_token_hash is not None:
        token = headers.get("x-security-token")
        if not token or "x-security-token" not in header.signed_headers:
            raise _unauthorized("temporary credentials need a signed X-Security-Token.")
        if not same_secret(material.security_token_hash, hash_token(token)):
            raise _unauthorized("the security token does not match the access key.")
    elif "x-security-token" in headers:
        raise _unauthorized("X-Security-Token sent with a permanent access key.")
    return material.caller


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
        any_partner = await partners.get(caller.account_id)
        if any_partner is None:
            raise _denied("Access denied: the account is not a partner.")
        return any_partner
    if kind == CallerKind.PARTNER_OR_CUSTOMER and caller.kind != AccountKind.PARTNER:
        raise _denied("Access denied: call with partner or customer credentials.")
    if caller.kind != AccountKind.PARTNER or caller.delegated_by is not None:
        raise _denied("Access denied: this API is called with partner credentials.")
    partner = await partners.get(caller.account_id)
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
