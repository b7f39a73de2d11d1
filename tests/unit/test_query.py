"""The one query-string parser: what a field's type makes of a value, the error it answers, and
how the model documents itself in /openapi.json."""

from __future__ import annotations

import enum
from typing import Annotated

import pytest
from starlette.datastructures import QueryParams

from partner_center.http.query import (
    CHOICE,
    NOT_BLANK,
    UNDOCUMENTED,
    Doc,
    Int,
    IntOrBlank,
    QueryModel,
    TextFilter,
    parse_query,
    query_parameters,
)
from partner_center.kernel.errors import DomainError


class Status(enum.Enum):
    OPEN = "OPEN"
    DONE = "DONE"


class Sample(QueryModel):
    name: str | None = None
    text: TextFilter = None
    offset: Int = None
    limit: IntOrBlank = None
    kind: Annotated[Int, NOT_BLANK] = None
    status: Annotated[Status | None, CHOICE] = None
    ids: list[str] | None = None
    hidden: Annotated[str | None, UNDOCUMENTED] = None


def parse(query: str) -> Sample:
    return parse_query(Sample, QueryParams(query))


def error(query: str) -> str:
    with pytest.raises(DomainError) as caught:
        parse(query)
    assert caught.value.code == "CBC.0100"
    return caught.value.message


def test_values_by_type() -> None:
    got = parse("name=&text=&offset=3&limit=&status=DONE&ids=a&ids=b&hidden=x&other=1")
    assert got == Sample(
        name="", text=None, offset=3, limit=None, status=Status.DONE, ids=["a", "b"], hidden="x"
    )
    assert parse("status=") == Sample()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("offset=", "Invalid parameter: offset. Must be an integer."),
        ("offset=1.5", "Invalid parameter: offset. Must be an integer."),
        ("limit=ten", "Invalid parameter: limit. Must be an integer."),
        ("kind=", "Invalid parameter: kind. An empty value is not allowed."),
        ("kind=x", "Invalid parameter: kind. Must be an integer."),
        ("status=CLOSED", "Invalid parameter: status. Not one of the documented values."),
    ],
)
def test_bad_values_name_the_field(query: str, message: str) -> None:
    assert error(query) == message


def test_plain_documentation() -> None:
    class Documented(QueryModel):
        customer_id: Annotated[str | None, Doc("The customer", required=True)] = None
        offset: Annotated[IntOrBlank, Doc(schema={"minimum": 0})] = None
        limit: Annotated[IntOrBlank, Doc(schema={"type": "string"})] = None
        hidden: Annotated[str | None, UNDOCUMENTED] = None

    assert query_parameters(Documented) == [
        {
            "name": "customer_id",
            "in": "query",
            "required": True,
            "schema": {"type": "string"},
            "description": "The customer",
        },
        {
            "name": "offset",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 0},
        },
        {"name": "limit", "in": "query", "required": False, "schema": {"type": "string"}},
    ]


def test_schema_documentation_repeats_list_keys() -> None:
    class Listed(QueryModel):
        openapi_style = "schema"
        ids: list[str] | None = None

    (parameter,) = query_parameters(Listed)
    assert parameter["explode"] is True
    assert parameter["schema"]["anyOf"][0] == {"items": {"type": "string"}, "type": "array"}
