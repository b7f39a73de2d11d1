"""Health and the sandbox controls (operator only): read and move the business clock, read the
notification outbox. Extensions of ours, not part of the reference API."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response

from partner_center.http.auth import CallerKind
from partner_center.http.operations import OperationContext, authorize, run_legacy_operation
from partner_center.http.state import app_state
from partner_center.http.wire import (
    WireModel,
    WireResponse,
    parse_model,
    wire_body,
    wire_responses,
)
from partner_center.kernel.clock import format_utc, parse_utc
from partner_center.kernel.errors import DomainError, invalid_parameter
from partner_center.kernel.sandbox import move_sandbox_clock

router = APIRouter()


class Health(WireModel):
    status: str
    sandbox: bool
    now: str


@router.get("/health", tags=["system"], operation_id="health", responses=wire_responses(Health))
async def health(request: Request) -> Response:
    state = app_state(request)
    async with state.db.unit_of_work() as uow:
        await state.refresh_clock(uow.session)
    return WireResponse(
        Health(status="ok", sandbox=state.settings.sandbox, now=format_utc(state.clock.now()))
    )


class ClockView(WireModel):
    now: str = Field(description="Business time, UTC")
    frozen: bool
    offset_seconds: int = Field(description="How far business time runs ahead of real time")


class ClockMove(WireModel):
    to: str | None = Field(default=None, description="Target time, UTC (yyyy-MM-ddTHH:mm:ssZ)")
    days: int | None = Field(default=None, ge=0, le=3660)
    hours: int | None = Field(default=None, ge=0, le=87840)
    freeze: bool | None = Field(default=None, description="Stop time at the target")


class ClockMoveResult(ClockView):
    jobs_run: list[dict[str, str]]


def _require_sandbox(ctx: OperationContext) -> None:
    if ctx.state.sandbox_clock is None:
        raise DomainError("CBC.0151", "Sandbox endpoints are available only in sandbox mode.")


def _clock_view(ctx: OperationContext) -> ClockView:
    sandbox = ctx.state.sandbox_clock
    frozen = bool(sandbox and sandbox.state.frozen_at_us is not None)
    offset = sandbox.state.offset_us // 1_000_000 if sandbox and not frozen else 0
    return ClockView(now=format_utc(ctx.state.clock.now()), frozen=frozen, offset_seconds=offset)


@router.get(
    "/v1/sandbox/clock",
    tags=["sandbox"],
    operation_id="sandbox_show_clock",
    summary="Business time (sandbox)",
    responses=wire_responses(ClockView),
)
async def show_clock(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> ClockView:
        _require_sandbox(ctx)
        return _clock_view(ctx)

    return await run_legacy_operation(
        request, api="sandbox_show_clock", kind=CallerKind.ANY, body_model=None, handler=handle
    )


class OutboxItem(WireModel):
    channel: str
    recipient: str
    subject: str
    body: str
    created_at: str


class OutboxResponse(WireModel):
    messages: list[OutboxItem]


@router.get(
    "/v1/sandbox/outbox",
    tags=["sandbox"],
    operation_id="sandbox_read_outbox",
    summary="Messages queued for a recipient (sandbox): read verification codes here",
    responses=wire_responses(OutboxResponse),
)
async def read_outbox(request: Request) -> Response:
    async def handle(ctx: OperationContext, _body: None) -> OutboxResponse:
        _require_sandbox(ctx)
        recipient = request.query_params.get("recipient", "").lower()
        if not recipient:
            raise invalid_parameter("recipient", "Required.")
        messages = await ctx.services.notifications.messages_for(
            recipient, tenant_id=ctx.caller.account_id
        )
        return OutboxResponse(
            messages=[
                OutboxItem(
                    channel=m.channel.value,
                    recipient=m.recipient,
                    subject=m.subject,
                    body=m.body,
                    created_at=format_utc(m.created_at),
                )
                for m in messages
            ]
        )

    return await run_legacy_operation(
        request, api="sandbox_read_outbox", kind=CallerKind.ANY, body_model=None, handler=handle
    )


@router.post(
    "/v1/sandbox/clock",
    tags=["sandbox"],
    operation_id="sandbox_move_clock",
    summary="Move business time forward (operator, sandbox); due jobs run on the way",
    openapi_extra=wire_body(ClockMove),
    responses=wire_responses(ClockMoveResult),
)
async def move_clock(request: Request) -> Response:
    state = app_state(request)
    raw = await request.body()
    async with state.db.unit_of_work() as uow:
        await authorize(
            request,
            raw,
            state,
            state.services(uow.session),
            api="sandbox_move_clock",
            kind=CallerKind.OPERATOR,
        )
    if state.sandbox_clock is None:
        raise DomainError("CBC.0151", "Sandbox endpoints are available only in sandbox mode.")
    body = parse_model(ClockMove, raw)
    delta = None
    if body.days is not None or body.hours is not None:
        delta = timedelta(days=body.days or 0, hours=body.hours or 0)
    to = None
    if body.to is not None:
        try:
            to = parse_utc(body.to)
        except ValueError as exc:
            raise invalid_parameter("to", "Use yyyy-MM-ddTHH:mm:ssZ.") from exc
    now, records = await move_sandbox_clock(
        state.db,
        state.jobs,
        zone=state.settings.zone,
        wall=state.wall,
        to=to,
        delta=delta,
        freeze=body.freeze,
    )
    return WireResponse(
        ClockMoveResult(
            now=format_utc(now.now),
            frozen=now.frozen,
            offset_seconds=now.offset_seconds,
            jobs_run=[
                {"name": r.name, "due_at": format_utc(r.due_at), "outcome": r.outcome.value}
                for r in records
            ],
        )
    )
