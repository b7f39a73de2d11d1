"""An operation's success status comes from its handler's signature unless declared: 204 with
no body for a handler annotated to return ``None``, 200 otherwise."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute

from partner_center.http.auth import CallerKind
from partner_center.http.operations import OperationContext, operation
from partner_center.http.wire import WireModel


class Thing(WireModel):
    thing_id: str


def _routes() -> dict[str, APIRoute]:
    router = APIRouter()

    @operation(router, "DELETE", "/things/{thing_id}", kind=CallerKind.PARTNER)
    async def remove_thing(ctx: OperationContext, thing_id: str) -> None:
        """Remove a thing"""

    @operation(router, "GET", "/things/{thing_id}", kind=CallerKind.PARTNER)
    async def show_thing(ctx: OperationContext, thing_id: str) -> Thing:
        """Show a thing"""
        return Thing(thing_id=thing_id)

    @operation(router, "POST", "/things", kind=CallerKind.PARTNER, status=201)
    async def create_thing(ctx: OperationContext) -> Thing:
        """Create a thing"""
        return Thing(thing_id="new")

    return {r.name: r for r in router.routes if isinstance(r, APIRoute)}


def test_a_handler_returning_none_answers_204_without_content() -> None:
    route = _routes()["remove_thing"]
    assert route.status_code == 204
    assert 204 in route.responses
    assert 200 not in route.responses


def test_a_handler_returning_a_model_answers_200_or_the_declared_status() -> None:
    routes = _routes()
    assert routes["show_thing"].status_code is None  # FastAPI's default, 200
    assert 200 in routes["show_thing"].responses
    assert routes["create_thing"].status_code == 201
