"""Address data (api-semantics.md §3.13): China's provinces, cities and counties, from the
administrative-division data set shipped with partner-center (see
``domains/catalog/divisions.py`` for its source). Any authenticated account may read it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from partner_center.domains.catalog.public import Division, divisions
from partner_center.http.auth import CallerKind
from partner_center.http.bss.sdk_models import sdk_model
from partner_center.http.headers import XLanguage, language_of
from partner_center.http.operations import OperationContext, operation
from partner_center.http.query import Doc, PageQuery
from partner_center.http.wire import WireModel
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.pagination import page

router = APIRouter(tags=["address data"])

ProvincesQuery = PageQuery


class CitiesQuery(PageQuery):
    province_code: Annotated[str | None, Doc("six-digit code, e.g. 110000", required=True)] = None


class CountiesQuery(PageQuery):
    city_code: Annotated[str | None, Doc("six-digit code, e.g. 110100", required=True)] = None


class DivisionInfo(WireModel):
    code: str
    name: str


@sdk_model(required="*")
class ListProvincesResponse(WireModel):
    provinces: list[DivisionInfo]


@sdk_model(required="*")
class ListCitiesResponse(WireModel):
    cities: list[DivisionInfo]


@sdk_model(required="*")
class ListCountiesResponse(WireModel):
    counties: list[DivisionInfo]


def _listed(
    rows: list[Division], query: ProvincesQuery | CitiesQuery | CountiesQuery
) -> tuple[int, list[DivisionInfo]]:
    """How many divisions there are, and the page ``query`` asks for."""
    window = page(query.offset, query.limit)
    chosen = rows[window.offset : window.offset + window.limit]
    return len(rows), [DivisionInfo(code=d.code, name=d.name) for d in chosen]


def _children(
    ctx: OperationContext, x_language: str | None, name: str, code: str | None
) -> list[Division]:
    """The divisions directly under the one ``code`` names (``name``: the query key)."""
    language_of(x_language, ctx.state.site)
    if not code:
        raise invalid_parameter(name, "Required: a six-digit division code.")
    if len(code) != 6 or not code.isdigit():
        raise invalid_parameter(name, "Give a six-digit division code.")
    data = divisions()
    return data.cities_of(code) if name == "province_code" else data.counties_of(code)


@operation(router, "GET", "/v2/systems/configs/provinces", kind=CallerKind.ANY)
async def list_provinces(
    ctx: OperationContext, query: ProvincesQuery, x_language: XLanguage
) -> ListProvincesResponse:
    """List China's provinces (GB/T 2260 codes)"""
    language_of(x_language, ctx.state.site)
    count, rows = _listed(list(divisions().provinces), query)
    return ListProvincesResponse(count=count, provinces=rows)


@operation(router, "GET", "/v2/systems/configs/cities", kind=CallerKind.ANY)
async def list_cities(
    ctx: OperationContext, query: CitiesQuery, x_language: XLanguage
) -> ListCitiesResponse:
    """List the cities of a province (GB/T 2260 codes); an unknown province has none"""
    rows = _children(ctx, x_language, "province_code", query.province_code)
    count, cities = _listed(rows, query)
    return ListCitiesResponse(count=count, cities=cities)


@operation(router, "GET", "/v2/systems/configs/counties", kind=CallerKind.ANY)
async def list_counties(
    ctx: OperationContext, query: CountiesQuery, x_language: XLanguage
) -> ListCountiesResponse:
    """List the counties of a city (GB/T 2260 codes); an unknown city has none"""
    rows = _children(ctx, x_language, "city_code", query.city_code)
    count, counties = _listed(rows, query)
    return ListCountiesResponse(count=count, counties=counties)
