"""Health and the sandbox controls (operator only): read and move the business clock, read the
notification outbox. Extensions of ours, not part of the reference API."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import Field

from partner_center.http.auth import CallerKind
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import UNDOCUMENTED, QueryModel
from partner_center.http.wire import WireModel, same_named
from partner_center.kernel.clock import format_utc, parse_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.metrics import exposition
from partner_center.kernel.sandbox import move_sandbox_clock

router = APIRouter()


class Health(WireModel):
    status: str
    sandbox: bool
    now: str


@operation(router, "GET", "/health", kind=CallerKind.PUBLIC, tags=["system"], throttle=False)
async def health(ctx: OperationContext) -> Health:
    """Health

    Liveness of the server and its database: answers ok with the business time (the sandbox
    clock in sandbox mode). No credentials, not throttled.
    """
    state = ctx.state
    return Health(status="ok", sandbox=state.settings.sandbox, now=format_utc(state.clock.now()))


@operation(
    router,
    "GET",
    "/metrics",
    kind=CallerKind.PUBLIC,
    tags=["system"],
    throttle=False,
    transaction="read_only",
    response=None,
    responses={200: {"content": {"text/plain": {}}}},
)
async def metrics(ctx: OperationContext) -> Response:
    """Metrics

    The server's metrics in Prometheus' text format: requests and their latency by operation,
    job runs and their lag, ledger postings. With several server processes (`serve --workers
    N`) the figures of every process together. No credentials, not throttled.
    """
    body, content_type = exposition()
    return Response(content=body, media_type=content_type)


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


def _clock_view(ctx: OperationContext) -> ClockView:
    sandbox = ctx.state.sandbox_clock
    frozen = bool(sandbox and sandbox.state.frozen_at_us is not None)
    offset = sandbox.state.offset_us // 1_000_000 if sandbox and not frozen else 0
    return ClockView(now=format_utc(ctx.state.clock.now()), frozen=frozen, offset_seconds=offset)


@operation(
    router, "GET", "/v1/sandbox/clock", kind=CallerKind.ANY, tags=["sandbox"], sandbox_only=True
)
async def sandbox_show_clock(ctx: OperationContext) -> ClockView:
    """Business time (sandbox)

    The business time every API call, job and CLI command uses, whether it is frozen, and how
    far it runs ahead of real time. Any authenticated account; sandbox mode only (CBC.0151
    otherwise).
    """
    return _clock_view(ctx)


class OutboxItem(WireModel):
    channel: str
    recipient: str
    subject: str
    body: str
    created_at: str


class OutboxResponse(WireModel):
    messages: list[OutboxItem]


class OutboxQuery(QueryModel):
    recipient: Annotated[str | None, UNDOCUMENTED] = None


@operation(
    router, "GET", "/v1/sandbox/outbox", kind=CallerKind.ANY, tags=["sandbox"], sandbox_only=True
)
async def sandbox_read_outbox(ctx: OperationContext, query: OutboxQuery) -> OutboxResponse:
    """Messages queued for a recipient (sandbox): read verification codes here

    The e-mails and SMS queued for `recipient` (required) on behalf of the calling account, so
    that a sandbox user can read verification codes and invitation links. Sandbox mode only.
    """
    recipient = (query.recipient or "").lower()
    if not recipient:
        raise invalid_parameter("recipient", "Required.")
    messages = await ctx.services.notifications.messages_for(
        recipient, tenant_id=ctx.caller.account_id
    )
    return OutboxResponse(
        messages=[
            OutboxItem(
                **same_named(m, "recipient subject body"),
                channel=m.channel.value,
                created_at=format_utc(m.created_at),
            )
            for m in messages
        ]
    )


@operation(
    router,
    "POST",
    "/v1/sandbox/clock",
    kind=CallerKind.OPERATOR,
    tags=["sandbox"],
    sandbox_only=True,
    transaction=False,
)
async def sandbox_move_clock(ctx: OperationContext, body: ClockMove) -> ClockMoveResult:
    """Move business time forward (operator, sandbox); due jobs run on the way

    Moves business time forward to `to`, or by `days` and `hours` (never back), optionally
    freezing it there; the scheduled jobs that fall due on the way (bill runs, renewals,
    expiries) run in order, each in its own unit of work, and are listed with their outcome.
    Operator credentials; sandbox mode only.
    """
    state = ctx.state
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
    return ClockMoveResult(
        now=format_utc(now.now),
        frozen=now.frozen,
        offset_seconds=now.offset_seconds,
        jobs_run=[
            {"name": r.name, "due_at": format_utc(r.due_at), "outcome": r.outcome.value}
            for r in records
        ],
    )
