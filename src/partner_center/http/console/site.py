"""Mount the console on the ASGI app: every area's pages and the static files."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from partner_center.http.console.account import pages as account
from partner_center.http.console.acting import pages as acting
from partner_center.http.console.associations import mine as my_association
from partner_center.http.console.associations import pages as associations
from partner_center.http.console.coupons import pages as coupons
from partner_center.http.console.coupons import resellers as reseller_coupons
from partner_center.http.console.customers import pages as customers
from partner_center.http.console.dashboard import pages as dashboard
from partner_center.http.console.finance import cycles as finance_cycles
from partner_center.http.console.finance import pages as finance
from partner_center.http.console.finance import tickets as finance_tickets
from partner_center.http.console.mine import pages as mine
from partner_center.http.console.operator import pages as operator
from partner_center.http.console.resellers import pages as resellers
from partner_center.http.console.signin import pages as signin
from partner_center.http.console.work import pages as work

STATIC = Path(__file__).resolve().parent / "static"
AREAS = (
    signin,
    customers,
    associations,
    my_association,
    acting,
    account,
    mine,
    operator,
    dashboard,
    finance,
    finance_cycles,
    finance_tickets,
    resellers,
    coupons,
    reseller_coupons,
    work,
)


def install_console(app: FastAPI) -> None:
    for area in AREAS:
        app.include_router(area.pages)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
