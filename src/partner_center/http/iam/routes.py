"""IAM-compatible endpoints (api-semantics.md §4.3–4.6): tokens by password or assume_role,
temporary AK/SK with a security token, the caller's domain for ``with_region`` clients, and the
caller's projects (``GET /v3/projects?name=<region>``, how ``BasicCredentials`` without a project
id finds one; ``GET /v3/auth/projects``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import Field
from starlette.responses import Response

from partner_center.domains.identity.public import Caller, IssuedToken
from partner_center.http.auth import CallerKind, client_address
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import Doc, QueryModel
from partner_center.http.wire import WireModel, WireResponse, same_named
from partner_center.kernel.clock import utc
from partner_center.kernel.errors import DomainError

router = APIRouter(tags=["iam"])


class DomainRef(WireModel):
    id: str | None = None
    name: str | None = None


class PasswordUser(WireModel):
    name: str
    password: str
    domain: DomainRef


class PasswordIdentity(WireModel):
    user: PasswordUser


class AssumeRole(WireModel):
    agency_name: str
    domain_name: str | None = None
    domain_id: str | None = None
    duration_seconds: int | None = None


class TokenIdentity(WireModel):
    id: str | None = None
    duration_seconds: int | None = None


class Identity(WireModel):
    methods: list[str] = Field(min_length=1)
    password: PasswordIdentity | None = None
    assume_role: AssumeRole | None = None
    token: TokenIdentity | None = None


class Auth(WireModel):
    identity: Identity
    scope: dict[str, Any] | None = None


class AuthRequest(WireModel):
    auth: Auth


class TokenUser(WireModel):
    id: str | None
    name: str | None
    domain: DomainRef


class TokenBody(WireModel):
    expires_at: str
    issued_at: str
    methods: list[str]
    user: TokenUser
    domain: DomainRef
    roles: list[dict[str, str]]
    catalog: list[Any]


class TokenResponse(WireModel):
    token: TokenBody


class Credential(WireModel):
    access: str
    secret: str
    securitytoken: str
    expires_at: str


class CredentialResponse(WireModel):
    credential: Credential


class DomainsResponse(WireModel):
    domains: list[dict[str, Any]]


def _iso(value: Any) -> str:
    return str(utc(value).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z")


def _token_response(issued: IssuedToken, methods: list[str]) -> Response:
    caller = issued.caller
    body = TokenResponse(
        token=TokenBody(
            **same_named(issued, "expires_at issued_at", via=_iso),
            methods=methods,
            user=TokenUser(
                id=caller.member_id,
                name=caller.member_name or caller.account_name,
                domain=DomainRef(id=caller.account_id, name=caller.account_name),
            ),
            domain=DomainRef(id=caller.account_id, name=caller.account_name),
            roles=[{"name": r.lower(), "id": r} for r in caller.roles],
            catalog=[],
        )
    )
    response = WireResponse(body, status_code=201)
    response.headers["X-Subject-Token"] = issued.token
    return response


@operation(
    router,
    "POST",
    "/v3/auth/tokens",
    kind=CallerKind.PUBLIC,
    status=201,
    response=TokenResponse,
    throttle=False,
)
async def keystone_create_token(ctx: OperationContext, body: AuthRequest) -> Response:
    """Obtain an IAM token (password, or assume_role with a partner token)"""
    identity = ctx.services.identity
    methods = body.auth.identity.methods
    if methods == ["password"]:
        pw = body.auth.identity.password
        if pw is None or not pw.user.domain.name:
            raise DomainError("IAM.0002", "password.user.domain.name is required.")
        issued = await identity.token_by_password(
            domain_name=pw.user.domain.name,
            user_name=pw.user.name,
            password=pw.user.password,
            source=client_address(ctx.request),
        )
    elif methods == ["assume_role"]:
        role = body.auth.identity.assume_role
        if role is None:
            raise DomainError("IAM.0002", "assume_role is required.")
        issued = await identity.assume_role(
            await ctx.authenticate(),
            agency_name=role.agency_name,
            domain_name=role.domain_name,
            domain_id=role.domain_id,
        )
    else:
        raise DomainError("IAM.0002", "Supported methods: password, assume_role.")
    return _token_response(issued, methods)


@operation(router, "POST", "/v3.0/OS-CREDENTIAL/securitytokens", kind=CallerKind.ANY, status=201)
async def create_temporary_access_key(
    ctx: OperationContext, body: AuthRequest
) -> CredentialResponse:
    """Exchange a token (or assume a role) for temporary AK/SK and a security token"""
    identity = ctx.services.identity
    ident = body.auth.identity
    caller: Caller = ctx.caller
    if ident.methods == ["token"]:
        if ident.token is not None and ident.token.id:
            caller = await identity.caller_for_token(ident.token.id)
        duration = (ident.token.duration_seconds if ident.token else None) or 900
    elif ident.methods == ["assume_role"]:
        if ident.assume_role is None:
            raise DomainError("IAM.0002", "assume_role is required.")
        role = ident.assume_role
        issued = await identity.assume_role(
            caller,
            agency_name=role.agency_name,
            domain_name=role.domain_name,
            domain_id=role.domain_id,
        )
        caller = issued.caller
        duration = role.duration_seconds or 900
    else:
        raise DomainError("IAM.0002", "Supported methods: token, assume_role.")
    key = await identity.temporary_credentials(caller, duration_seconds=duration)
    assert key.security_token is not None and key.expires_at is not None
    return CredentialResponse(
        credential=Credential(
            access=key.access_key,
            secret=key.secret_key,
            securitytoken=key.security_token,
            expires_at=_iso(key.expires_at),
        )
    )


@operation(router, "GET", "/v3/auth/domains", kind=CallerKind.ANY)
async def keystone_list_auth_domains(ctx: OperationContext) -> DomainsResponse:
    """The caller's account (used by SDK clients built with with_region)"""
    return DomainsResponse(
        domains=[
            {
                "id": ctx.caller.account_id,
                "name": ctx.caller.account_name,
                "enabled": True,
                "description": "",
            }
        ]
    )


class ProjectLinks(WireModel):
    self: str


class Project(WireModel):
    id: str
    name: str
    domain_id: str
    parent_id: str
    enabled: bool
    is_domain: bool
    description: str
    links: ProjectLinks


class ProjectsLinks(WireModel):
    self: str
    previous: str | None = None
    next: str | None = None


class ProjectsResponse(WireModel):
    projects: list[Project]
    links: ProjectsLinks


class ProjectsQuery(QueryModel):
    name: Annotated[str | None, Doc("a region code: its project only")] = None
    domain_id: Annotated[str | None, Doc("the caller's account id (another matches nothing)")] = (
        None
    )
    enabled: Annotated[str | None, Doc("true | false")] = None


async def _projects(ctx: OperationContext, path: str, query: ProjectsQuery) -> ProjectsResponse:
    """The caller's projects (one per catalogue region, named after it) that match ``query``."""
    if query.enabled not in (None, "true", "false"):
        raise DomainError("IAM.0002", "enabled: use true or false.")
    account_id = ctx.caller.account_id
    base = str(ctx.request.base_url).rstrip("/")
    matches = [
        p
        for p in await ctx.services.inquiry.projects(account_id)
        if (query.name is None or p.name == query.name)
        and query.domain_id in (None, account_id)
        and query.enabled != "false"
    ]
    return ProjectsResponse(
        projects=[
            Project(
                id=p.project_id,
                name=p.name,
                domain_id=account_id,
                parent_id=account_id,
                enabled=True,
                is_domain=False,
                description="",
                links=ProjectLinks(self=f"{base}/v3/projects/{p.project_id}"),
            )
            for p in matches
        ],
        links=ProjectsLinks(self=f"{base}{path}"),
    )


@operation(router, "GET", "/v3/projects", kind=CallerKind.ANY)
async def keystone_list_projects(ctx: OperationContext, query: ProjectsQuery) -> ProjectsResponse:
    """The caller's projects, by region name (how BasicCredentials finds its project id)"""
    return await _projects(ctx, "/v3/projects", query)


@operation(router, "GET", "/v3/auth/projects", kind=CallerKind.ANY)
async def keystone_list_auth_projects(ctx: OperationContext) -> ProjectsResponse:
    """The projects the caller may use: one per catalogue region"""
    return await _projects(ctx, "/v3/auth/projects", ProjectsQuery())
