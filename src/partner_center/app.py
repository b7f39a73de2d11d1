"""Composition root: builds the ASGI app from settings — database, clocks, cipher, routers."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy.orm import configure_mappers

from partner_center import __version__
from partner_center.http import system
from partner_center.http.bss import balances as bss_balances
from partner_center.http.bss import bills as bss_bills
from partner_center.http.bss import budgets as bss_budgets
from partner_center.http.bss import catalog as bss_catalog
from partner_center.http.bss import customers as bss_customers
from partner_center.http.bss import divisions as bss_divisions
from partner_center.http.bss import enterprises as bss_enterprises
from partner_center.http.bss import freezing as bss_freezing
from partner_center.http.bss import invoices as bss_invoices
from partner_center.http.bss import multi_accounts as bss_multi_accounts
from partner_center.http.bss import orders as bss_orders
from partner_center.http.bss import promotions as bss_promotions
from partner_center.http.bss import ratings as bss_ratings
from partner_center.http.bss import realname as bss_realname
from partner_center.http.bss import resellers as bss_resellers
from partner_center.http.bss import resources as bss_resources
from partner_center.http.bss import usage as bss_usage
from partner_center.http.bss.coupons import benefits as bss_coupon_benefits
from partner_center.http.bss.coupons import quotas as bss_coupon_quotas
from partner_center.http.console.site import install_console
from partner_center.http.errors import install_error_handlers
from partner_center.http.ext import arrears as ext_arrears
from partner_center.http.ext import balances as ext_balances
from partner_center.http.ext import bills as ext_bills
from partner_center.http.ext import coupons as ext_coupons
from partner_center.http.ext import customers as ext_customers
from partner_center.http.ext import discounts as ext_discounts
from partner_center.http.ext import finance as ext_finance
from partner_center.http.ext import notifications as ext_notifications
from partner_center.http.ext import orders as ext_orders
from partner_center.http.ext import prospects as ext_prospects
from partner_center.http.ext import realname as ext_realname
from partner_center.http.ext import resellers as ext_resellers
from partner_center.http.ext import tickets as ext_tickets
from partner_center.http.ext import usage as ext_usage
from partner_center.http.ext.associations import authorizations as ext_authorizations
from partner_center.http.ext.associations import disassociations as ext_disassociations
from partner_center.http.ext.associations import invitations as ext_invitations
from partner_center.http.ext.associations import members as ext_members
from partner_center.http.ext.associations import overview as ext_association_overview
from partner_center.http.ext.associations import type_changes as ext_type_changes
from partner_center.http.iam import routes as iam_routes
from partner_center.http.middleware import RequestContextMiddleware
from partner_center.http.wire import openapi_components, resolve_refs
from partner_center.kernel.logging import configure_logging
from partner_center.runtime import build_state
from partner_center.settings import Settings, load_settings
from partner_center.state import AppState
from partner_center.worker.runner import DueJobRunner

DESCRIPTION = """partner-center speaks the Huawei Cloud partner (BSS) API: point the official
`huaweicloudsdkbss` / `huaweicloudsdkbssintl` clients at this server with `with_endpoint(...)` and
`GlobalCredentials(ak, sk, domain_id)`. Every operation is signed with SDK-HMAC-SHA256 (or carries
an IAM `X-Auth-Token`). Errors are `{"error_code", "error_msg"}` with an `X-Request-Id` header.
Paths under `/v1/sandbox` are extensions of ours, available in sandbox mode."""


def create_app(settings: Settings | None = None, *, state: AppState | None = None) -> FastAPI:
    settings = settings or (state.settings if state else load_settings())
    state = state or build_state(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        runner = DueJobRunner(
            state.db,
            state.jobs,
            clock=state.clock,
            zone=settings.zone,
            interval_seconds=settings.job_interval_seconds,
        )
        # Mapper configuration otherwise falls on the first requests (hundreds of ms); the
        # objects made so far (modules, mappers, schemas) live as long as the process, so the
        # garbage collector stops walking them on every full collection.
        configure_mappers()
        gc.collect()
        gc.freeze()
        if settings.run_jobs_in_process:
            runner.start()
            state.wake_jobs = runner.wake
        try:
            yield
        finally:
            await runner.stop()
            await state.limiter.aclose()
            await state.db.dispose()

    app = FastAPI(
        title="partner-center",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.partner_center = state
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(system.router)
    app.include_router(iam_routes.router)
    for router in (
        bss_customers.router,
        bss_budgets.router,
        bss_freezing.router,
        bss_resellers.router,
        bss_catalog.router,
        bss_ratings.router,
        bss_coupon_quotas.router,
        bss_coupon_benefits.router,
        bss_balances.router,
        bss_orders.router,
        bss_resources.router,
        ext_orders.router,
        ext_balances.router,
        ext_coupons.router,
        ext_invitations.router,
        ext_type_changes.router,
        ext_disassociations.router,
        ext_authorizations.router,
        ext_members.router,
        ext_association_overview.router,
        ext_customers.router,
        ext_resellers.router,
        ext_notifications.router,
        bss_usage.router,
        bss_divisions.router,
        bss_promotions.router,
        bss_enterprises.router,
        bss_multi_accounts.router,
        bss_realname.router,
        ext_realname.router,
        ext_usage.router,
        ext_discounts.router,
        ext_prospects.router,
        ext_arrears.router,
        ext_bills.router,
        ext_tickets.router,
        ext_finance.router,
        bss_bills.router,
        bss_invoices.router,
    ):
        app.include_router(router)
    install_console(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        defs, final = openapi_components()
        schema = resolve_refs(schema, final)
        assert isinstance(schema, dict)
        schema.setdefault("components", {}).setdefault("schemas", {}).update(defs)
        schema["components"]["securitySchemes"] = {
            "sdkHmac": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "SDK-HMAC-SHA256 Access=AK, SignedHeaders=..., Signature=...",
            },
            "iamToken": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"},
        }
        schema["security"] = [{"sdkHmac": []}, {"iamToken": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    configure_logging(settings.log_level)
    return app
