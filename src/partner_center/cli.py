"""The ``partner-center`` command: serve, migrate, seed, provision, move the sandbox clock,
run due jobs, reconcile the ledger."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Coroutine
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from partner_center.kernel.clock import SystemClock, format_utc, parse_utc
from partner_center.kernel.errors import DomainError
from partner_center.settings import Settings, load_settings

if TYPE_CHECKING:
    from partner_center.state import AppState

app = typer.Typer(help="partner-center: a self-hostable Partner Center.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
partners_app = typer.Typer(help="Partners (operator actions).", no_args_is_help=True)
customers_app = typer.Typer(help="Customers.", no_args_is_help=True)
credentials_app = typer.Typer(help="Access keys.", no_args_is_help=True)
clock_app = typer.Typer(help="The sandbox business clock.", no_args_is_help=True)
jobs_app = typer.Typer(help="Scheduled jobs.", no_args_is_help=True)
catalog_app = typer.Typer(help="The product catalogue and list prices.", no_args_is_help=True)
usage_app = typer.Typer(help="Pay-per-use usage (metering).", no_args_is_help=True)
bills_app = typer.Typer(help="Monthly bills (the bill run).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(partners_app, name="partners")
app.add_typer(customers_app, name="customers")
app.add_typer(credentials_app, name="credentials")
app.add_typer(clock_app, name="clock")
app.add_typer(jobs_app, name="jobs")
app.add_typer(catalog_app, name="catalog")
app.add_typer(usage_app, name="usage")
app.add_typer(bills_app, name="bills")

console = Console()
err = Console(stderr=True)
T = TypeVar("T")


def _run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coro)
    except DomainError as exc:
        err.print(f"[red]{exc.code}[/red] {exc.message}")
        raise typer.Exit(2) from exc


async def _with_state(settings: Settings, work: Any) -> Any:
    # Imported here: building the full state loads every domain, which `usage import` and
    # `--help` do not need (start-up time counts for the operator's scripts).
    from partner_center.runtime import build_state

    state = build_state(settings)
    try:
        return await work(state)
    finally:
        await state.db.dispose()


def _emit(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data) + "\n")
        return
    table = Table(show_header=False)
    for key, value in data.items():
        table.add_row(key, str(value))
    console.print(table)


@app.command()
def serve(
    host: str = typer.Option(None, help="Bind address (default HOST or 127.0.0.1)"),
    port: int = typer.Option(None, help="Port (default PORT or 8000)"),
    workers: int = typer.Option(
        None, help="Server processes (default PARTNER_CENTER_WORKERS or 1; PostgreSQL only)"
    ),
) -> None:
    """Serve the API and the console (several processes with ``--workers N`` on PostgreSQL:
    the rate limit is shared through the database or Redis, metrics through
    prometheus-client's multiprocess directory)."""
    import uvicorn

    settings = load_settings()
    processes = workers or settings.workers
    if processes > 1:
        if not settings.resolved_database_url.startswith("postgresql"):
            err.print("[red]--workers needs PostgreSQL[/red]; SQLite serves from one process.")
            raise typer.Exit(2)
        _metrics_directory(settings)
        _check_connection_budget(settings, processes)
        uvicorn.run(
            "partner_center.app:create_app",
            factory=True,
            workers=processes,
            host=host or settings.host,
            port=port or settings.port,
            log_config=None,
            access_log=False,
        )
        return
    from partner_center.app import create_app

    bind_host, bind_port = host or settings.host, port or settings.port
    shown = "127.0.0.1" if bind_host in ("0.0.0.0", "::") else bind_host
    console.print(f"[bold]console[/bold] http://{shown}:{bind_port}/  (API at the same address)")
    _print_console_accounts(settings)
    uvicorn.run(
        create_app(settings),
        host=bind_host,
        port=bind_port,
        log_config=None,
        access_log=False,
    )


def connections_per_process(settings: Settings) -> int:
    """The most PostgreSQL connections one server process opens: its pool, the pool's
    overflow and the rate limiter's own small pool."""
    from partner_center.kernel.db import PG_MAX_OVERFLOW, PG_POOL_SIZE
    from partner_center.kernel.ratelimit import LIMITER_MAX_OVERFLOW, LIMITER_POOL_SIZE

    pool = PG_POOL_SIZE if settings.db_pool_size is None else settings.db_pool_size
    overflow = PG_MAX_OVERFLOW if settings.db_max_overflow is None else settings.db_max_overflow
    limiter = LIMITER_POOL_SIZE + LIMITER_MAX_OVERFLOW if not settings.redis_url else 0
    return pool + overflow + limiter


def _check_connection_budget(settings: Settings, processes: int) -> None:
    """Warn when ``processes`` servers at their busiest would open more connections than
    PostgreSQL accepts (``max_connections`` less the superusers' reserve): requests would then
    fail under load instead of queueing on their process's pool."""
    from sqlalchemy import text

    from partner_center.kernel.db import Database

    async def available() -> int:
        db = Database(settings.resolved_database_url, pool=False)
        try:
            async with db.engine.connect() as conn:
                most = int(await conn.scalar(text("SHOW max_connections")) or 0)
                reserved = int(await conn.scalar(text("SHOW superuser_reserved_connections")) or 0)
            return most - reserved
        finally:
            await db.dispose()

    wanted = processes * connections_per_process(settings)
    limit = asyncio.run(available())
    if wanted > limit:
        err.print(
            f"[yellow]warning[/yellow]: {processes} processes may open {wanted} PostgreSQL "
            f"connections and the server accepts {limit}: lower PARTNER_CENTER_DB_POOL_SIZE / "
            "PARTNER_CENTER_DB_MAX_OVERFLOW (leave room for workers and the CLI)."
        )


def _metrics_directory(settings: Settings) -> None:
    """Point prometheus-client's multiprocess mode at an empty directory before the server
    processes start (they inherit the environment)."""
    import os
    import shutil
    import tempfile

    from partner_center.kernel.metrics import MULTIPROCESS_ENV

    directory = settings.metrics_dir or Path(tempfile.mkdtemp(prefix="partner-center-metrics-"))
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ[MULTIPROCESS_ENV] = str(directory)


def _print_console_accounts(settings: Any) -> None:
    """The demo's console sign-ins, when this data directory holds the demo."""
    from partner_center.demo import DEMO_PASSWORD, demo_console_accounts, saved_credentials

    if saved_credentials(settings) is None:
        return
    names = ", ".join(demo_console_accounts())
    console.print(f"  sign in as any of {names} with the password {DEMO_PASSWORD}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to the configured database."""
    from partner_center.kernel.migrate import upgrade

    settings = load_settings()
    if not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    console.print(f"database at head: {settings.resolved_database_url.split('@')[-1]}")


@demo_app.command("seed")
def demo_seed(
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing if partners exist"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Create demo partners, resellers and customers, and print the demo credentials."""
    from partner_center.demo import saved_credentials, seed_demo

    settings = load_settings()
    with contextlib.ExitStack() as stack:
        if not as_json and settings.sandbox:
            stack.enter_context(
                console.status(
                    "Seeding the demo and playing its history up to now (about a minute)"
                )
            )
        result = _run(_with_state(settings, lambda s: seed_demo(s, if_empty=if_empty)))
    if result is None:
        result = saved_credentials(settings)
        if result is None:
            console.print("demo data already present (no saved demo credentials)")
            return
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    console.print("[bold]Demo credentials[/bold] (secret keys are shown only now):")
    for role, creds in result.items():
        _emit({"role": role, **creds}, False)


@partners_app.command("create")
def partners_create(
    name: str = typer.Option(..., "--name"),
    partner_type: str = typer.Option(..., "--type", help="csp | distributor | reseller"),
    distributor: str | None = typer.Option(
        None, "--distributor", help="Distributor id (resellers)"
    ),
    password: str | None = typer.Option(None, "--password", help="Console password for the admin"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Onboard a partner and print its id and the administrator's AK/SK."""
    from partner_center.provisioning import create_partner

    try:
        from partner_center.domains.partners.public import PartnerType

        kind = PartnerType(partner_type.upper())
    except ValueError as exc:
        raise typer.BadParameter("use csp, distributor or reseller", param_hint="--type") from exc

    async def work(state: AppState) -> dict[str, str]:
        creds, xaccount_type = await create_partner(
            state, name=name, partner_type=kind, distributor_id=distributor, password=password
        )
        return {
            "partner_id": creds.account_id,
            "domain_id": creds.account_id,
            "domain_name": creds.domain_name,
            "xaccount_type": xaccount_type,
            "access_key": creds.access_key,
            "secret_key": creds.secret_key,
        }

    _emit(_run(_with_state(load_settings(), work)), as_json)


@partners_app.command("review-prospect")
def partners_review_prospect(
    prospect_id: str = typer.Argument(..., help="A pre-registration waiting for review"),
    approve: bool = typer.Option(..., "--approve/--reject", help="The decision"),
    opinion: str | None = typer.Option(None, "--opinion", help="The reason (to reject)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Approve or reject a partner's pre-registration that went to review (rules.md §2.1.4);
    the partner is e-mailed either way."""

    async def work(state: AppState) -> dict[str, str]:
        async with state.work() as services:
            view = await services.prospects.review(prospect_id, approve=approve, opinion=opinion)
        return {
            "prospect_id": view.prospect_id,
            "partner_id": view.partner_id,
            "email": view.email,
            "state": view.state.value,
            "expires_at": format_utc(view.expires_at),
        }

    _emit(_run(_with_state(load_settings(), work)), as_json)


@customers_app.command("create")
def customers_create(
    partner: str = typer.Option(..., "--partner", help="Owning partner id"),
    xaccount_id: str = typer.Option(..., "--xaccount-id"),
    name: str | None = typer.Option(None, "--name", help="Login name (random if omitted)"),
    area: str | None = typer.Option(None, "--area", help="ISO country code"),
    reseller: str | None = typer.Option(None, "--reseller", help="Reseller id (distributors)"),
    password: str | None = typer.Option(None, "--password"),
    authorize: bool = typer.Option(
        False,
        "--authorize",
        help="The customer authorizes its partner (the reseller with --reseller) through the "
        "API's authorization flow: the customer can list and revoke it",
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Create a customer of a partner (as the partner's administrator) with an AK/SK."""
    from partner_center.provisioning import create_customer

    async def work(state: AppState) -> dict[str, str]:
        creds = await create_customer(
            state,
            partner_id=partner,
            xaccount_id=xaccount_id,
            domain_name=name,
            domain_area=area,
            indirect_partner_id=reseller,
            password=password,
            authorize_partner=authorize,
        )
        return {
            "customer_id": creds.account_id,
            "domain_id": creds.account_id,
            "domain_name": creds.domain_name,
            "access_key": creds.access_key,
            "secret_key": creds.secret_key,
        }

    _emit(_run(_with_state(load_settings(), work)), as_json)


@customers_app.command("register")
def customers_register(
    name: str = typer.Option(..., "--name", help="Login name"),
    email: str | None = typer.Option(None, "--email"),
    password: str | None = typer.Option(None, "--password"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Register a customer account of no partner (it can accept invitations) with an AK/SK."""
    from partner_center.provisioning import create_customer_account

    async def work(state: AppState) -> dict[str, str]:
        creds = await create_customer_account(state, name=name, email=email, password=password)
        return {
            "domain_id": creds.account_id,
            "domain_name": creds.domain_name,
            "access_key": creds.access_key,
            "secret_key": creds.secret_key,
        }

    _emit(_run(_with_state(load_settings(), work)), as_json)


@credentials_app.command("create")
def credentials_create(
    account: str | None = typer.Option(None, "--account", help="Account (domain) id"),
    operator: bool = typer.Option(False, "--operator", help="For the operator account"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Create an AK/SK for an account's administrator; the secret is shown only now."""
    from partner_center.provisioning import create_credentials, ensure_operator

    if bool(account) == operator:
        raise typer.BadParameter("give --account ID or --operator")

    async def work(state: AppState) -> dict[str, str]:
        account_id = account or await ensure_operator(state)
        creds = await create_credentials(state, account_id=account_id)
        return {
            "domain_id": creds.account_id,
            "domain_name": creds.domain_name,
            "access_key": creds.access_key,
            "secret_key": creds.secret_key,
        }

    _emit(_run(_with_state(load_settings(), work)), as_json)


def _require_sandbox(settings: Settings) -> None:
    if not settings.sandbox:
        err.print(
            "[red]The clock can be moved only in sandbox mode[/red] (PARTNER_CENTER_SANDBOX=true)."
        )
        raise typer.Exit(2)


def _print_time(now: Any) -> None:
    mode = "frozen" if now.frozen else f"running, {now.offset_seconds:+d} s from real time"
    console.print(f"business time {format_utc(now.now)} ({mode})")


def _move(settings: Settings, **kwargs: Any) -> None:
    from partner_center.kernel.sandbox import move_sandbox_clock

    _require_sandbox(settings)

    async def work(state: AppState) -> Any:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=err) as progress:
            progress.add_task("moving the clock and running due jobs", total=None)
            return await move_sandbox_clock(
                state.db, state.jobs, zone=settings.zone, wall=state.wall, **kwargs
            )

    now, records = _run(_with_state(settings, work))
    for record in records:
        console.print(
            f"  ran {record.name} due {format_utc(record.due_at)}: {record.outcome.value}"
        )
    _print_time(now)


@clock_app.command("show")
def clock_show() -> None:
    """Print the business time."""
    from partner_center.kernel.clock import WallClock
    from partner_center.kernel.sandbox import sandbox_time

    settings = load_settings()
    if not settings.sandbox:
        console.print(f"business time {format_utc(SystemClock().now())} (system clock)")
        return
    _print_time(_run(_with_state(settings, lambda s: sandbox_time(s.db, WallClock()))))


@clock_app.command("set")
def clock_set(
    when: str = typer.Argument(..., help="Target time, UTC, e.g. 2027-01-05T04:00:00Z"),
    freeze: bool | None = typer.Option(None, "--freeze/--run", help="Stop time there, or run on"),
) -> None:
    """Move the sandbox clock forward to a time, running every job due on the way."""
    try:
        target = parse_utc(when)
    except ValueError as exc:
        raise typer.BadParameter("use yyyy-MM-ddTHH:mm:ssZ") from exc
    _move(load_settings(), to=target, freeze=freeze)


@clock_app.command("advance")
def clock_advance(
    days: int = typer.Option(0, "--days", min=0),
    hours: int = typer.Option(0, "--hours", min=0),
    minutes: int = typer.Option(0, "--minutes", min=0),
) -> None:
    """Move the sandbox clock forward, running every job due on the way, in time order."""
    _move(load_settings(), delta=timedelta(days=days, hours=hours, minutes=minutes))


@jobs_app.command("run-due")
def jobs_run_due() -> None:
    """Run every job due at the current business time (what the server does every few seconds)."""
    from partner_center.kernel.jobs import run_due

    settings = load_settings()

    async def work(state: AppState) -> Any:
        async with state.db.unit_of_work() as uow:
            await state.refresh_clock(uow.session)
        return await run_due(state.db, state.jobs, until=state.clock.now(), zone=settings.zone)

    records = _run(_with_state(settings, work))
    for record in records:
        console.print(f"ran {record.name} due {format_utc(record.due_at)}: {record.outcome.value}")
    console.print(f"{len(records)} job(s) run")


@catalog_app.command("import")
def catalog_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and report; write nothing"),
) -> None:
    """Import a version of the catalogue data file (JSON). Re-importing the same version changes
    nothing; a new version closes changed prices at its effective_from instead of editing them."""
    from partner_center.domains.catalog.public import read_catalog
    from partner_center.provisioning import import_catalog

    settings = load_settings()
    text = file.read_text(encoding="utf-8")

    async def work(state: AppState) -> Any:
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), console=err
        ) as progress:
            task = progress.add_task("checking the file", total=None)

            def on_progress(stage: str, done: int, total: int) -> None:
                progress.update(task, description=stage, completed=done, total=total)

            return await import_catalog(
                state,
                read_catalog(text),
                source=file.name,
                dry_run=dry_run,
                on_progress=on_progress,
            )

    report = _run(_with_state(settings, work))
    if report.unchanged:
        console.print(f"catalogue version {report.version} is already imported: nothing changed")
        return
    verb = "would import" if report.dry_run else "imported"
    console.print(
        f"{verb} catalogue version {report.version}, effective {format_utc(report.effective_from)}:"
        f" {report.prices_added} price(s) added, {report.prices_closed} closed,"
        f" {report.prices_kept} unchanged; {report.specs_added} spec(s) added,"
        f" {report.specs_updated} updated; {report.structure_changes} other change(s)"
    )
    for note in report.notes:
        console.print(f"  {note}")


@catalog_app.command("discount-grant")
def catalog_discount_grant(
    customer: str = typer.Option(..., "--customer", help="Customer (account) id"),
    percent: str = typer.Option(..., "--percent", help="Percent off the list price, e.g. 12.5"),
    name: str = typer.Option(..., "--name"),
    service_type: str | None = typer.Option(None, "--service-type", help="Only this service"),
    starts: str | None = typer.Option(None, "--from", help="UTC start (default now)"),
    ends: str | None = typer.Option(None, "--to", help="UTC end (default none)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Grant a business (contract) discount, type 605, to a referral-model customer."""
    from decimal import Decimal, InvalidOperation

    from partner_center.provisioning import ensure_operator

    try:
        percent_off = Decimal(percent)
        window = [parse_utc(t) if t else None for t in (starts, ends)]
    except (InvalidOperation, ValueError) as exc:
        raise typer.BadParameter("give a decimal percent and yyyy-MM-ddTHH:mm:ssZ times") from exc

    async def work(state: AppState) -> dict[str, str]:
        operator_id = await ensure_operator(state)
        async with state.work() as services:
            granted = await services.discounts.grant_business_discount(
                operator_id=operator_id,
                customer_id=customer,
                percent_off=percent_off,
                name=name,
                service_type=service_type,
                effective_from=window[0],
                effective_to=window[1],
            )
        return {
            "discount_id": granted.discount_id,
            "discount_type": str(granted.discount_type.value),
            "customer_id": granted.customer_id,
            "percent_off": str(granted.percent_off.normalize()),
            "effective_from": format_utc(granted.effective_from),
        }

    _emit(_run(_with_state(load_settings(), work)), as_json)


@catalog_app.command("discount-revoke")
def catalog_discount_revoke(discount_id: str = typer.Argument(...)) -> None:
    """End a business discount the operator granted, from now on."""
    from partner_center.provisioning import ensure_operator

    async def work(state: AppState) -> Any:
        operator_id = await ensure_operator(state)
        async with state.work() as services:
            return await services.discounts.revoke(discount_id, by=operator_id)

    ended = _run(_with_state(load_settings(), work))
    assert ended.effective_to is not None
    console.print(f"discount {ended.discount_id} ends {format_utc(ended.effective_to)}")


@app.command()
def reconcile() -> None:
    """Prove every cached ledger balance against the transfers; exits 1 on any difference."""
    from partner_center.domains.ledger.public import format_report
    from partner_center.domains.ledger.public import reconcile as reconcile_ledger

    async def work(state: AppState) -> Any:
        async with state.db.unit_of_work() as uow:
            return await reconcile_ledger(uow.session)

    report = _run(_with_state(load_settings(), work))
    for line in format_report(report):
        console.print(line)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def worker() -> None:
    """Run due jobs under procrastinate (PostgreSQL); on SQLite the server runs them itself."""
    from partner_center.worker.procrastinate_app import (
        ProcrastinateBillDispatcher,
        build_procrastinate_app,
    )
    from partner_center.worker.runner import DueJobRunner

    settings = load_settings()
    if not settings.is_postgres:
        err.print("[red]procrastinate needs PostgreSQL[/red]; on SQLite `serve` runs due jobs.")
        raise typer.Exit(2)

    async def work(state: AppState) -> None:
        runner = DueJobRunner(state.db, state.jobs, clock=state.clock, zone=settings.zone)
        procrastinate = build_procrastinate_app(
            settings.resolved_database_url,
            runner=runner,
            bill_batch=lambda cycle, batch_no: bill_batch(state, cycle, batch_no),
        )
        state.wiring.bill_fanout.dispatcher = ProcrastinateBillDispatcher(procrastinate)
        async with procrastinate.open_async():
            await procrastinate.schema_manager.apply_schema_async()
            await procrastinate.run_worker_async()

    _run(_with_state(settings, work))


def _count_records(file: Path, fmt: str) -> int:
    """Lines holding records (the progress bar's total): a fast pass over the bytes."""
    with file.open("rb") as raw:
        lines = sum(1 for line in raw if line.strip())
    return max(lines - 1, 0) if fmt == "csv" else lines


@usage_app.command("import")
def usage_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    fmt: str | None = typer.Option(
        None, "--format", help="csv or jsonl (default: from the file name; jsonl otherwise)"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON"),
) -> None:
    """Import metered usage records (CSV with a header, or JSON lines) in one transaction.

    Columns/fields: record_id, resource_id, usage_type, usage_hour (UTC start of the hour),
    quantity, measure_id. Re-importing a file changes nothing (records are idempotent by
    record_id); records more than PARTNER_CENTER_USAGE_LATE_HOURS after their hour, or for
    unknown resources or usage types, are rejected and reported one by one.
    """
    import gc

    from partner_center.domains.usage.public import read_records

    settings = load_settings()
    kind = (fmt or ("csv" if file.suffix.lower() == ".csv" else "jsonl")).lower()
    if kind not in ("csv", "jsonl"):
        raise typer.BadParameter("use --format csv or --format jsonl")
    total = _count_records(file, kind)

    async def work(state: AppState) -> Any:
        with (
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed:,}/{task.total:,} records"),
                console=err,
            ) as progress,
            file.open(encoding="utf-8", newline="") as stream,
        ):
            task = progress.add_task("importing usage", total=total)

            def advance(done: int) -> None:
                progress.update(task, completed=min(done, total))

            async with state.work() as services:
                return await services.usage_ingest.ingest(
                    read_records(stream, fmt=kind), on_progress=advance
                )

    # Millions of short-lived, acyclic objects (rows, strings) pass through: reference
    # counting frees them, and the cyclic collector would only rescan them. The process
    # ends after the report.
    gc.disable()
    report = _run(_with_state(settings, work))
    data = {
        "received": report.received,
        "accepted": report.accepted,
        "duplicates": report.duplicates,
        "rejected": report.rejected,
        "rejections": [
            {
                "line": r.line,
                "record_id": r.record_id,
                "reason": r.reason.value,
                "message": r.message,
            }
            for r in report.rejections
        ],
    }
    if as_json:
        sys.stdout.write(json.dumps(data) + "\n")
        return
    console.print(
        f"{report.received:,} record(s): {report.accepted:,} accepted, "
        f"{report.duplicates:,} already imported, {report.rejected:,} rejected"
    )
    for rejection in report.rejections[:20]:
        console.print(
            f"  record {rejection.line} ({rejection.record_id or '-'}): "
            f"{rejection.reason.value} — {rejection.message}"
        )
    if report.rejected > 20:
        console.print(f"  … and {report.rejected - 20:,} more (use --json for the first 1,000)")


async def bill_batch(state: AppState, cycle: str, batch_no: int) -> bool:
    """One batch of a planned bill run in its own transaction, then the run's completion (a
    worker's task); False when the batch is not planned (yet)."""
    async with state.work() as services:
        if not await services.bill_runner.batch_planned(cycle, batch_no):
            return False
        await services.bill_runner.bill_batch(cycle, batch_no)
    async with state.work() as services:
        await services.bill_runner.complete(cycle)
    return True


async def run_bills(state: AppState, cycle: str, on_batch: Any = None) -> Any:
    """The bill run of ``cycle`` one batch per transaction (as the jobs do), after finishing
    any earlier incomplete run; returns the cycle's ``RunReport``. Idempotent."""
    from partner_center.domains.billing.public import parse_cycle

    parse_cycle(cycle, "cycle")
    async with state.work() as services:
        cycles = [c for c in await services.bill_runner.incomplete_cycles() if c < cycle]
    for current in [*cycles, cycle]:
        async with state.work() as services:
            await services.bill_runner.plan(current)
            pending = await services.bill_runner.pending_batches(current)
            total = await services.bill_runner.batch_count(current)
        for batch_no in pending:
            async with state.work() as services:
                await services.bill_runner.bill_batch(current, batch_no)
            if on_batch is not None:
                on_batch(current, total - len(pending) + pending.index(batch_no) + 1, total)
        async with state.work() as services:
            await services.bill_runner.complete(current)
    async with state.work() as services:
        return await services.bill_runner.report(cycle)


@bills_app.command("run")
def bills_run(
    cycle: str = typer.Option(..., "--cycle", help="The billing cycle, YYYY-MM (it must be over)"),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON"),
) -> None:
    """Issue the bills of a cycle now: the scheduled run's code path, one transaction per batch
    of partners. Re-running changes nothing; an interrupted run is completed."""

    async def work(state: AppState) -> Any:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} batches"),
            console=err,
            disable=as_json,
        ) as progress:
            task = progress.add_task(f"billing {cycle}", total=None)

            def advance(current: str, done: int, total: int) -> None:
                progress.update(task, description=f"billing {current}", completed=done, total=total)

            return await run_bills(state, cycle, advance)

    report = _run(_with_state(load_settings(), work))
    _emit(
        {
            "cycle": report.cycle,
            "batches": report.batches,
            "batches_billed": report.batches_billed,
            "partner_bills": report.partner_bills,
            "customer_bills": report.customer_bills,
            "completed": report.completed,
        },
        as_json,
    )


@bills_app.command("adjust")
def bills_adjust(
    adjustment_id: str = typer.Option(..., "--id", help="Your id for it (a retry is a no-op)"),
    customer: str = typer.Option(..., "--customer", help="The reseller-model customer"),
    amount: str = typer.Option(..., "--amount", help="Signed, 2 decimals: -5.00 credits back"),
    reason: str = typer.Option(..., "--reason", help="Why (shown with the adjustment)"),
    service_type: str = typer.Option("", "--service-type", help="The product it corrects"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Append an adjustment to a customer's bill: an ADJUSTMENT line of the bill of the current
    cycle (issued bills never change), owed by its partner through the ledger at once."""
    from decimal import Decimal, InvalidOperation

    from partner_center.domains.billing.public import NewAdjustment
    from partner_center.provisioning import ensure_operator

    try:
        value = Decimal(amount)
    except InvalidOperation as exc:
        raise typer.BadParameter("give a decimal amount, e.g. -5.00") from exc

    async def work(state: AppState) -> dict[str, str]:
        operator_id = await ensure_operator(state)
        async with state.work() as services:
            done = await services.billing.adjust(
                NewAdjustment(adjustment_id, customer, value, reason, service_type),
                actor_id=operator_id,
            )
        return {
            "adjustment_id": done.id,
            "customer_id": done.customer_id,
            "bill_cycle": done.cycle,
            "billed_partner_id": done.billed_partner_id,
            "amount": f"{done.amount:.2f}",
            "replayed": str(done.replayed).lower(),
        }

    _emit(_run(_with_state(load_settings(), work)), as_json)


@bills_app.command("tax-rate")
def bills_tax_rate(
    partner: str = typer.Option(..., "--partner", help="A directly billed partner's account id"),
    rate: str = typer.Option(..., "--rate", help="A fraction: 0.06 is 6 %"),
    tax_type: str | None = typer.Option(None, "--type", help="VAT, GST, ... (display only)"),
) -> None:
    """Set a partner's own tax rate for the bills issued from now on (overrides
    PARTNER_CENTER_BILL_TAX_RATE)."""
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(rate)
    except InvalidOperation as exc:
        raise typer.BadParameter("give a decimal fraction, e.g. 0.06") from exc

    async def work(state: AppState) -> None:
        async with state.work() as services:
            if await services.partners.get(partner) is None:
                raise typer.BadParameter(f"no partner {partner}")
            await services.billing.set_tax_rate(partner, value, tax_type)

    _run(_with_state(load_settings(), work))


def _utc_option(value: str | None, option: str) -> Any:
    if value is None:
        return None
    try:
        return parse_utc(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{option}: use yyyy-MM-ddTHH:mm:ssZ") from exc


@bills_app.command("partner-coupon")
def bills_partner_coupon(
    partner: str = typer.Option(..., "--partner", help="A CSP or distributor (billed partner)"),
    amount: str = typer.Option(..., "--amount", help="Face value, > 0, 2 decimals"),
    expires: str = typer.Option(..., "--expires", help="UTC, e.g. 2027-12-31T16:00:00Z"),
    valid_from: str | None = typer.Option(None, "--valid-from", help="UTC; default now"),
    customer: str | None = typer.Option(
        None, "--customer", help="Tie it to one reseller-model customer of the partner"
    ),
    source: str = typer.Option("operator", "--source", help="operator | incentive | test"),
    key: str | None = typer.Option(None, "--id", help="Your id for it (a retry is a no-op)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Issue a partner a cash coupon of its own, deducted from its next bills at the bill run
    (customer-tied coupons first, then the one expiring first; rules.md §7.8)."""
    from decimal import Decimal, InvalidOperation

    from partner_center.domains.coupons.public import PartnerCouponSource
    from partner_center.provisioning import ensure_operator

    try:
        value = Decimal(amount)
    except InvalidOperation as exc:
        raise typer.BadParameter("give a decimal amount, e.g. 100.00") from exc
    try:
        kind = PartnerCouponSource(source)
    except ValueError as exc:
        raise typer.BadParameter("use operator, incentive or test") from exc
    expire_time = _utc_option(expires, "--expires")
    valid_time = _utc_option(valid_from, "--valid-from")

    async def work(state: AppState) -> dict[str, str]:
        operator_id = await ensure_operator(state)
        async with state.work() as services:
            issued = await services.partner_coupons.issue(
                operator_id=operator_id,
                partner_id=partner,
                amount=value,
                currency=state.settings.currency,
                expire_time=expire_time,
                valid_time=valid_time,
                customer_id=customer,
                source=kind,
                issue_key=key,
            )
        return {
            "coupon_id": issued.coupon_id,
            "partner_id": issued.partner_id,
            "customer_id": issued.customer_id or "",
            "balance": f"{issued.balance:.2f}",
            "valid_time": format_utc(issued.valid_time),
            "expire_time": format_utc(issued.expire_time),
        }

    _emit(_run(_with_state(load_settings(), work)), as_json)


@bills_app.command("export")
def bills_export(
    cycle: str = typer.Option(..., "--cycle", help="The billing cycle, YYYY-MM"),
    partner: str = typer.Option(..., "--partner", help="The partner's account id"),
) -> None:
    """Write the partner's customer bill lines of a cycle as CSV to standard output."""

    async def work(state: AppState) -> None:
        async with state.work() as services:
            async for chunk in services.billing.export_lines(partner, cycle):
                sys.stdout.write(chunk)

    _run(_with_state(load_settings(), work))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
