"""The one way to write an API operation: ``@operation`` declares it next to its handler.

    router = APIRouter(tags=["budgets"])

    class BudgetQuery(QueryModel):
        customer_id: Annotated[str | None, Doc("The customer", required=True)] = None

    @operation(router, "GET", "/v2/partners/sub-customers/budget", kind=CallerKind.PARTNER)
    async def show_sub_customer_budget(
        ctx: OperationContext, query: BudgetQuery
    ) -> ShowSubCustomerBudgetResponse:
        '''Show a reseller-model customer's budget (the summary in /openapi.json)

        What the operation does, who may call it, the rule that matters (its description).
        '''
        view = await ctx.services.budgets.show_budget(ctx.actor, ...)
        return ShowSubCustomerBudgetResponse(...)

An operation whose path lies under ``OPERATOR_PREFIX`` is the operator's own tool: the path says
who may call it (``OPERATOR``), so it takes no ``kind``, and it may declare no other. Everywhere
else ``kind`` is required, so an operator-only operation outside that prefix (the coupon-quota
grants, usage records, the sandbox clock) says so itself.

The function's name is the operation's name: its ``operationId`` in ``/openapi.json`` and its
throttling key. Its docstring is the operation's summary (first paragraph) and description.
Its parameters say what it takes: the ``OperationContext`` first; ``body``, a wire model, the
JSON body; a ``QueryModel`` the query string (``http/query.py``); a parameter named like a
``{path}`` segment that segment; ``Annotated[str | None, Header("X-Name")]`` a header;
``bytes`` the raw body. Its return annotation is the response model documented for ``status``
(``None``: no content, status 204). ``UNDOCUMENTED`` in a header's annotation keeps it out of
``/openapi.json``; every ``{path}`` segment is a parameter of the handler, always documented.

Every operation runs the same way (``run_operation``): authenticate the caller first (401 beats
400), check the declared caller kind (``CallerKind``, 403), throttle per caller and operation
(429), validate the body and the query string (400), then run the handler in one unit of work
that commits before the response is written with exact decimals (``WireResponse``).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin, get_type_hints

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from partner_center.domains.identity.public import Caller
from partner_center.http.auth import (
    Admitted,
    CallerKind,
    HeaderCredentials,
    Served,
    authenticate,
    authenticate_and_read_body,
    require_kind,
    verify_body,
)
from partner_center.http.query import UNDOCUMENTED, QueryModel, parse_query, query_parameters
from partner_center.http.state import app_state
from partner_center.http.wire import (
    JSON_PAYLOAD,
    Payload,
    WireResponse,
    parse_model,
    read_body,
    require_media_type,
    wire_body,
    wire_responses,
)
from partner_center.kernel.errors import DomainError
from partner_center.kernel.logging import caller_var
from partner_center.kernel.text import check_text
from partner_center.services import Services
from partner_center.state import AppState

H = TypeVar("H", bound=Callable[..., Awaitable[Any]])
Method = Literal["GET", "POST", "PUT", "DELETE"]
_PATH_PARAMETER = re.compile(r"{(\w+)}")
OPERATOR_PREFIX = "/v1/partner-center/operator/"
"""Paths under it serve the operator alone: their operations are ``OPERATOR`` by their path."""


def caller_kind(route: str, kind: CallerKind | None) -> CallerKind:
    """Who may call the operation at ``route`` (the router's prefix included): ``OPERATOR``
    under ``OPERATOR_PREFIX``, where another kind is refused; elsewhere ``kind``, which must
    be given. Raised when the operation is declared, that is when its module is imported."""
    if route.startswith(OPERATOR_PREFIX):
        if kind not in (None, CallerKind.OPERATOR):
            raise TypeError(f"{route}: a path under {OPERATOR_PREFIX} is the operator's only")
        return CallerKind.OPERATOR
    if kind is None:
        raise TypeError(f"{route}: say who may call it (kind=); only {OPERATOR_PREFIX} implies it")
    return kind


class OperationContext(Served):
    """Everything a handler needs: the caller, its partner profile, the request and the
    services of its unit of work (``Served``)."""

    def __init__(
        self,
        admitted: Admitted,
        *,
        state: AppState,
        services: Services,
        request: Request,
        raw: bytes,
    ) -> None:
        super().__init__(admitted, request=request, state=state, services=services)
        self._raw = raw

    async def authenticate(self) -> Caller:
        """Authenticate the request's credentials now: for a ``PUBLIC`` operation that needs
        them for some of its uses (sign-in by ``assume_role``)."""
        return await authenticate(self.request, self._raw, self.state, self.services.identity)


@dataclass(frozen=True)
class Header:
    """A request header a handler takes: ``Annotated[str | None, Header("X-Language")]``."""

    name: str
    description: str | None = None
    max_length: int | None = None

    def openapi(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string"}
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        out: dict[str, Any] = {"name": self.name, "in": "header", "required": False}
        out["schema"] = schema
        if self.description:
            out["description"] = self.description
        return out


@dataclass(frozen=True)
class Parameters:
    """What a handler takes, read from its signature once, when it is declared."""

    body: type[BaseModel] | None
    query: tuple[str, type[QueryModel]] | None
    path: tuple[str, ...]
    headers: tuple[tuple[str, Header], ...]
    raw_body: str | None
    documented_headers: tuple[Header, ...]
    response: type[BaseModel] | None
    """The model the return annotation names, if any."""
    no_content: bool
    """The return annotation is ``None``: the operation answers 204 with no body."""

    @property
    def default_status(self) -> int:
        """204 (no content) for a handler annotated to return ``None``, 200 otherwise."""
        return 204 if self.no_content else 200

    @classmethod
    def of(cls, handler: Callable[..., Awaitable[Any]], route: str) -> Parameters:
        hints = get_type_hints(handler, include_extras=True)
        parameters = list(inspect.signature(handler).parameters.values())
        if not parameters or hints.get(parameters[0].name) is not OperationContext:
            raise TypeError(f"{handler.__name__}: the first parameter is the OperationContext")
        segments = set(_PATH_PARAMETER.findall(route))
        body: type[BaseModel] | None = None
        query: tuple[str, type[QueryModel]] | None = None
        raw_body: str | None = None
        path: list[str] = []
        headers: list[tuple[str, Header, bool]] = []
        for parameter in parameters[1:]:
            name, hint = parameter.name, hints[parameter.name]
            metadata: tuple[Any, ...] = ()
            if get_origin(hint) is Annotated:
                hint, *rest = get_args(hint)
                metadata = tuple(rest)
            documented = UNDOCUMENTED not in metadata
            header = next((m for m in metadata if isinstance(m, Header)), None)
            if header is not None:
                headers.append((name, header, documented))
            elif name in segments:
                path.append(name)
            elif hint is bytes:
                raw_body = name
            elif isinstance(hint, type) and issubclass(hint, QueryModel):
                query = (name, hint)
            elif isinstance(hint, type) and issubclass(hint, BaseModel) and name == "body":
                body = hint
            else:
                raise TypeError(f"{handler.__name__}: what is parameter {name!r}?")
        if missing := segments - set(path):
            raise TypeError(f"{handler.__name__}: no parameter for {sorted(missing)} in {route}")
        returned = hints.get("return")
        return cls(
            body=body,
            query=query,
            path=tuple(path),
            headers=tuple((name, header) for name, header, _ in headers),
            raw_body=raw_body,
            documented_headers=tuple(header for _, header, documented in headers if documented),
            response=returned
            if isinstance(returned, type) and issubclass(returned, BaseModel)
            else None,
            no_content=returned is type(None),
        )

    def arguments(self, request: Request, raw: bytes) -> dict[str, Any]:
        """Validate the body and the query string (``CBC.0100``) and collect the arguments."""
        args: dict[str, Any] = {}
        if self.body is not None:
            args["body"] = parse_model(self.body, raw)
        if self.query is not None:
            name, model = self.query
            args[name] = parse_query(model, request.query_params)
        for name in self.path:
            args[name] = str(request.path_params[name])
        for name, header in self.headers:
            args[name] = request.headers.get(header.name)
        if self.raw_body is not None:
            args[self.raw_body] = raw
        return args

    def openapi_extra(self, *, body_required: bool) -> dict[str, Any]:
        """The request body and the query and header parameters for ``/openapi.json`` (path
        parameters FastAPI documents from the endpoint's signature)."""
        extra: dict[str, Any] = {}
        if self.body is not None:
            extra |= wire_body(self.body, required=body_required)
        parameters = query_parameters(self.query[1]) if self.query is not None else []
        parameters += [header.openapi() for header in self.documented_headers]
        if parameters:
            extra["parameters"] = parameters
        return extra

    def endpoint_signature(self) -> inspect.Signature:
        """``(request, *, <path parameters>)``, which FastAPI reads."""
        request = inspect.Parameter(
            "request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request
        )
        path = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=str)
            for name in self.path
        ]
        return inspect.Signature([request, *path], return_annotation=Response)


@dataclass(frozen=True)
class Operation:
    """One declared operation: what ``run_operation`` needs to run it."""

    name: str
    kind: CallerKind
    status: int
    handler: Callable[..., Awaitable[Any]]
    parameters: Parameters
    throttle: bool
    sandbox_only: bool
    transaction: bool | Literal["read_only"]
    payload: Payload

    def respond(self, result: Any) -> Response:
        if isinstance(result, Response):
            return result
        if result is None and self.status == 204:
            return Response(status_code=204)
        return WireResponse(result if result is not None else {}, status_code=self.status)


_NOT_GIVEN: Any = object()


def operation(
    router: APIRouter,
    method: Method,
    path: str,
    *,
    kind: CallerKind | None = None,
    summary: str | None = None,
    description: str | None = None,
    status: int | None = None,
    tags: list[str] | None = None,
    body_required: bool = True,
    response: type[BaseModel] | None = _NOT_GIVEN,
    responses: dict[int | str, Any] | None = None,
    openapi_extra: dict[str, Any] | None = None,
    throttle: bool = True,
    sandbox_only: bool = False,
    transaction: bool | Literal["read_only"] = True,
    payload: Payload = JSON_PAYLOAD,
) -> Callable[[H], H]:
    """Declare the decorated handler as the operation ``method path`` on ``router``.

    Args:
        kind: who may call it; checked before the body is validated. Left out under
            ``OPERATOR_PREFIX`` (the path says ``OPERATOR``), required elsewhere.
        summary, description: its documentation in ``/openapi.json``; by default the first
            paragraph of the handler's docstring and the rest of it.
        status: the success status: by default 200, or 204 (an empty response) for a handler
            annotated to return ``None``.
        tags: OpenAPI tags in addition to the router's.
        body_required: whether ``/openapi.json`` marks the JSON body required.
        response: the documented success model when the handler returns a ``Response``
            (the return annotation's model otherwise).
        responses, openapi_extra: OpenAPI overrides for what models cannot say (a PNG, a
            JSON-lines body).
        throttle: ``False`` for an operation the reference does not throttle (health,
            sign-in); a ``PUBLIC`` operation is throttled per client address.
        sandbox_only: refuse it (``CBC.0151``) unless the server runs in sandbox mode.
        transaction: ``False`` runs the handler after the unit of work that authorized the
            caller has committed, for a handler that opens its own (``ctx.services`` is then
            closed); ``"read_only"`` for an operation that only reads: its unit of work then
            never queues behind writers (on SQLite a plain ``BEGIN`` beside the writer).
        payload: what the body may be (``wire.Payload``): JSON by default; the bulk upload
            declares its own media types, size limit and unsigned payload.
    """

    admits = caller_kind(router.prefix + path, kind)

    def register(handler: H) -> H:
        parameters = Parameters.of(handler, path)
        success = status if status is not None else parameters.default_status
        op = Operation(
            name=handler.__name__,
            kind=admits,
            status=success,
            handler=handler,
            parameters=parameters,
            throttle=throttle,
            sandbox_only=sandbox_only,
            transaction=transaction,
            payload=payload,
        )

        async def endpoint(request: Request, **_path: str) -> Response:
            return await run_operation(request, op)

        endpoint.__name__ = endpoint.__qualname__ = op.name
        endpoint.__signature__ = parameters.endpoint_signature()  # type: ignore[attr-defined]
        head, _, rest = (inspect.getdoc(handler) or "").partition("\n\n")
        model = parameters.response if response is _NOT_GIVEN else response
        router.add_api_route(
            path,
            endpoint,
            methods=[method],
            operation_id=op.name,
            summary=summary if summary is not None else " ".join(head.split()) or None,
            description=description if description is not None else _prose(rest) or None,
            tags=list(tags) if tags else None,
            status_code=success if success != 200 else None,
            responses=responses if responses is not None else wire_responses(model, success),
            openapi_extra=parameters.openapi_extra(body_required=body_required)
            | (openapi_extra or {})
            or None,
        )
        return handler

    return register


def _prose(text: str) -> str:
    """Docstring paragraphs without their line wrapping."""
    return "\n\n".join(" ".join(p.split()) for p in text.split("\n\n") if p.strip())


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def authorize(
    request: Request,
    credentials: HeaderCredentials | None,
    raw: bytes,
    state: AppState,
    services: Services,
    *,
    op: Operation,
) -> Admitted:
    """Load the shared sandbox time, verify the signature over the body received, check the
    caller kind and throttle (a ``PUBLIC`` operation per client address)."""
    await state.refresh_clock(services.session)
    if credentials is None:
        if op.throttle:
            await state.limiter.acquire(f"ip:{_client(request)}", op.name)
        return Admitted(None, None)
    caller = verify_body(request, credentials, raw, op.payload)
    caller_var.set(f"{caller.account_id}/{caller.member_name or '-'}")
    partner = await require_kind(caller, op.kind, services.partners)
    if op.throttle:
        await state.limiter.acquire(caller.account_id, op.name)
    return Admitted(caller, partner)


def check_url_text(request: Request) -> None:
    """Query-string and path parameters follow the text rule (``kernel/text.py``) like body
    strings do, whichever handler reads them: ``CBC.0100`` before anything is looked up."""
    for name, value in request.query_params.multi_items():
        check_text("query parameter name", name)
        check_text(name, value)
    for name, value in request.path_params.items():
        if isinstance(value, str):
            check_text(name, value)


async def _credentials_and_body(
    request: Request, state: AppState, op: Operation
) -> tuple[HeaderCredentials | None, bytes]:
    """Authenticate from the headers before a byte of the body is read (401), then read the
    body within its size limit (413). A ``PUBLIC`` operation only reads its body."""
    if op.kind != CallerKind.PUBLIC:
        return await authenticate_and_read_body(request, state, op.payload)
    settings = state.settings
    limit = op.payload.limit(settings.max_body_bytes, settings.max_upload_bytes)
    return None, await read_body(request, limit)


async def run_operation(request: Request, op: Operation) -> Response:
    """Authenticate first (401 beats 413 beats 403 beats 400), then check the caller kind and
    throttle, then validate the body and the query string, then run the handler in one unit
    of work."""
    state = app_state(request)
    credentials, raw = await _credentials_and_body(request, state, op)
    async with state.db.unit_of_work(read_only=op.transaction == "read_only") as uow:
        services = state.services(uow.session)
        admitted = await authorize(request, credentials, raw, state, services, op=op)
        if op.sandbox_only and state.sandbox_clock is None:
            raise DomainError("CBC.0151", "Sandbox endpoints are available only in sandbox mode.")
        require_media_type(request, raw, op.payload)
        check_url_text(request)
        arguments = op.parameters.arguments(request, raw)
        ctx = OperationContext(admitted, state=state, services=services, request=request, raw=raw)
        if op.transaction:
            return op.respond(await op.handler(ctx, **arguments))
    return op.respond(await op.handler(ctx, **arguments))
