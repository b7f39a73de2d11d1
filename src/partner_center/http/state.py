"""How an HTTP handler reaches the state the composition root built (``partner_center.state``)."""

from __future__ import annotations

from starlette.requests import Request

from partner_center.state import AppState

__all__ = ["AppState", "app_state"]


def app_state(request: Request) -> AppState:
    state = request.app.state.partner_center
    assert isinstance(state, AppState)
    return state
