"""A console action admits whoever may open its form: ``action`` takes the kind of the page
named as its ``form`` and refuses, when it is declared, a kind that differs from it."""

from __future__ import annotations

import inspect

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.responses import Response

from partner_center.http.auth import CallerKind
from partner_center.http.console.kit.page import Page, action, view


async def _form(page: Page) -> Response:
    return Response()


async def _post(page: Page) -> Response:
    return Response()


def _admitted(router: APIRouter, path: str) -> object:
    (route,) = [r for r in router.routes if isinstance(r, APIRoute) and r.path == path]
    return inspect.getclosurevars(route.endpoint).nonlocals["admits"]


@pytest.mark.parametrize("kind", [CallerKind.PARTNER, CallerKind.OPERATOR, None])
def test_an_action_admits_whoever_may_open_its_form(kind: CallerKind | None) -> None:
    pages = APIRouter()
    form = view(pages, "/form", kind=kind)(_form)
    action(pages, "/form/post", form=form)(_post)
    action(pages, "/form/again", kind=kind, form=form)(_post)
    assert _admitted(pages, "/form/post") is kind
    assert _admitted(pages, "/form/again") is kind


def test_an_action_refuses_a_kind_its_form_does_not_admit() -> None:
    pages = APIRouter()
    form = view(pages, "/form", kind=CallerKind.PARTNER)(_form)
    with pytest.raises(TypeError, match="may open"):
        action(pages, "/form/post", kind=CallerKind.CUSTOMER, form=form)(_post)
    assert [r.path for r in pages.routes] == ["/form"]


def test_an_action_without_a_form_says_who_may_post_it() -> None:
    pages = APIRouter()
    with pytest.raises(TypeError, match="kind="):
        action(pages, "/sign-out")(_post)
    action(pages, "/sign-out", kind=CallerKind.ANY)(_post)
    assert _admitted(pages, "/sign-out") is CallerKind.ANY
