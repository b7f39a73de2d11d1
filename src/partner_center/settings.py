"""All configuration, from the environment (documented in README.md, "Configuration")."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def env(name: str, default: Any, *, doc: str | None = None, **bounds: Any) -> Any:
    """A setting read from the environment variable ``name``, else ``default``; ``doc`` says
    what it means (README.md's table says it at length), ``bounds`` are ``Field``'s checks
    (``ge``, ``le``, ``max_length`` …). Like every field it may also be given by its own name
    (``Settings(sandbox=True)``; ``populate_by_name``)."""
    return Field(default=default, validation_alias=name, description=doc, **bounds)


class Settings(BaseSettings):
    """Environment-driven settings: each declared by ``env`` with its environment variable."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database_url: str = env(
        "DATABASE_URL",
        "",
        doc="SQLAlchemy URL; empty means SQLite at <data dir>/partner-center.db. "
        "postgresql:// URLs are served by asyncpg.",
    )
    sandbox: bool = env(
        "PARTNER_CENTER_SANDBOX",
        False,
        doc="Sandbox mode: a persisted, movable business clock and time-travel endpoints.",
    )
    billing_timezone: str = env("BILLING_TIMEZONE", "Asia/Shanghai")
    currency: str = env("CURRENCY", "USD")
    secret_key: str | None = env(
        "PARTNER_CENTER_SECRET_KEY",
        None,
        doc="Key that encrypts secret access keys at rest. If unset, a random key is "
        "created once in <data dir>/secret.key.",
    )
    data_dir: Path = env("PARTNER_CENTER_DATA_DIR", Path("var"))
    host: str = env("HOST", "127.0.0.1")
    port: int = env("PORT", 8000)
    rate_limit_per_second: int = env(
        "PARTNER_CENTER_RATE_LIMIT",
        10,
        doc="Requests per second per (caller, API); 0 disables limiting.",
    )
    signature_skew_seconds: int = env("PARTNER_CENTER_SIGNATURE_SKEW", 900)
    max_body_bytes: int = env(
        "PARTNER_CENTER_MAX_BODY_BYTES",
        1_048_576,
        ge=1024,
        doc="Largest request body of an API operation, bytes; a larger one is refused "
        "with 413 APIG.0201 as soon as it is known (Content-Length) or read (chunked).",
    )
    max_upload_bytes: int = env(
        "PARTNER_CENTER_MAX_UPLOAD_BYTES",
        104_857_600,
        ge=1024,
        doc="Largest body of a bulk upload (the usage ingest), bytes.",
    )
    key_cache_seconds: float = env(
        "PARTNER_CENTER_KEY_CACHE",
        5.0,
        ge=0,
        le=60,
        doc="How long a process keeps a permanent access key's verified material in memory, "
        "seconds (0: read it on every request). A change made by this process applies at once; "
        "one made by another process within this time.",
    )
    token_ttl_seconds: int = env("PARTNER_CENTER_TOKEN_TTL", 86_400)
    sign_in_max_failures: int = env(
        "PARTNER_CENTER_SIGNIN_MAX_FAILURES",
        5,
        ge=1,
        le=1000,
        doc="Failed password sign-ins of one account + user that lock it.",
    )
    sign_in_source_max_failures: int = env(
        "PARTNER_CENTER_SIGNIN_SOURCE_MAX_FAILURES",
        30,
        ge=0,
        le=100_000,
        doc="Failed password sign-ins from one client address that block it; 0: no limit.",
    )
    sign_in_window_minutes: int = env(
        "PARTNER_CENTER_SIGNIN_WINDOW_MINUTES",
        15,
        ge=1,
        le=24 * 60,
        doc="A failure this long after the previous one starts the count again.",
    )
    sign_in_lockout_minutes: int = env(
        "PARTNER_CENTER_SIGNIN_LOCKOUT_MINUTES",
        15,
        ge=1,
        le=24 * 60,
        doc="How long a locked account + user, or a blocked address, is refused.",
    )
    job_interval_seconds: float = env(
        "PARTNER_CENTER_JOB_INTERVAL",
        30.0,
        gt=0,
        doc="How often the in-process runner looks for due jobs, seconds.",
    )
    workers: int = env(
        "PARTNER_CENTER_WORKERS",
        1,
        ge=1,
        le=64,
        doc="Server processes of `serve` (PostgreSQL only; SQLite serves from one).",
    )
    db_pool_size: int | None = env(
        "PARTNER_CENTER_DB_POOL_SIZE",
        None,
        ge=1,
        le=1000,
        doc="Database connections each process keeps open (default 8 on PostgreSQL, 32 on SQLite).",
    )
    db_max_overflow: int | None = env(
        "PARTNER_CENTER_DB_MAX_OVERFLOW",
        None,
        ge=0,
        le=1000,
        doc="Connections a process may open beyond its pool under load, closed when "
        "returned (default 8 on PostgreSQL, 32 on SQLite).",
    )
    redis_url: str | None = env(
        "PARTNER_CENTER_REDIS_URL",
        None,
        doc="Redis for the shared rate limiter (else PostgreSQL's, or process memory).",
    )
    metrics_dir: Path | None = env(
        "PROMETHEUS_MULTIPROC_DIR",
        None,
        doc="prometheus-client's multiprocess directory (set by `serve --workers N`).",
    )
    run_jobs_in_process: bool = env(
        "PARTNER_CENTER_INPROCESS_JOBS",
        True,
        doc="Run due jobs inside the server; turn off when a procrastinate worker runs.",
    )
    disassociation_limit: int = env(
        "PARTNER_CENTER_DISASSOCIATION_LIMIT",
        3,
        ge=1,
        doc="Disassociation requests a party may start per window (rules.md §2.6.4).",
    )
    disassociation_window_months: int = env("PARTNER_CENTER_DISASSOCIATION_WINDOW_MONTHS", 3, ge=1)
    pre_registration_days: int = env(
        "PARTNER_CENTER_PRE_REGISTRATION_DAYS",
        90,
        ge=1,
        doc="How long a pre-registration reserves a prospect for its partner (§2.1.1).",
    )
    usage_late_window_hours: int = env(
        "PARTNER_CENTER_USAGE_LATE_HOURS",
        72,
        ge=0,
        le=24 * 90,
        doc="Hours after the end of its hour that a usage record is still accepted.",
    )
    bill_due_days: int = env(
        "PARTNER_CENTER_BILL_DUE_DAYS",
        15,
        ge=0,
        le=90,
        doc="Days after issue a partner bill is due; unpaid after that it is overdue.",
    )
    bill_overdue_restrict_days: int = env(
        "PARTNER_CENTER_BILL_OVERDUE_RESTRICT_DAYS",
        15,
        ge=0,
        le=365,
        doc="Days a bill may stay overdue before the partner's reseller-model "
        "customers are restricted from purchasing.",
    )
    bill_tax_rate: Decimal = env(
        "PARTNER_CENTER_BILL_TAX_RATE",
        Decimal(0),
        ge=0,
        lt=1,
        doc="Default tax rate of partner bills (a fraction; per-partner rates override).",
    )
    bill_batch_size: int = env(
        "PARTNER_CENTER_BILL_BATCH_SIZE",
        100,
        ge=1,
        le=10_000,
        doc="Directly billed partners per bill-run batch (one transaction, one job).",
    )
    order_payment_days: int = env(
        "PARTNER_CENTER_ORDER_PAYMENT_DAYS",
        7,
        ge=1,
        le=30,
        doc="Days a pending yearly/monthly order may be paid (then CBC.99003110).",
    )
    period_grace_days: int = env(
        "PARTNER_CENTER_PERIOD_GRACE_DAYS",
        15,
        ge=0,
        le=365,
        doc="Grace period of an expired yearly/monthly resource, days.",
    )
    period_retention_days: int = env(
        "PARTNER_CENTER_PERIOD_RETENTION_DAYS",
        15,
        ge=0,
        le=365,
        doc="Retention period after the grace period, days; then the resource is released.",
    )
    on_demand_grace_days: int = env(
        "PARTNER_CENTER_ON_DEMAND_GRACE_DAYS",
        15,
        ge=0,
        le=365,
        doc="Pay-per-use grace period in arrears (days) of a customer without its own.",
    )
    on_demand_retention_days: int = env(
        "PARTNER_CENTER_ON_DEMAND_RETENTION_DAYS",
        15,
        ge=0,
        le=365,
        doc="Days pay-per-use resources stay frozen after the grace period, then released.",
    )
    full_refund_days: int = env(
        "PARTNER_CENTER_FULL_REFUND_DAYS",
        5,
        ge=0,
        le=30,
        doc="Days after a new purchase in which unsubscribing refunds everything paid.",
    )
    smtp_host: str | None = env(
        "SMTP_HOST",
        None,
        doc="Mail server for the notification outbox; unset keeps messages queued "
        "(readable in the sandbox outbox).",
    )
    smtp_port: int = env("SMTP_PORT", 25)
    smtp_user: str | None = env("SMTP_USER", None)
    smtp_password: str | None = env("SMTP_PASSWORD", None)
    smtp_starttls: bool = env("SMTP_STARTTLS", False)
    mail_from: str = env("MAIL_FROM", "partner-center@localhost")
    public_url: str = env(
        "PARTNER_CENTER_PUBLIC_URL",
        "http://127.0.0.1:8000",
        doc="Base URL used in links sent to people (invitations).",
    )
    log_level: str = env("PARTNER_CENTER_LOG_LEVEL", "INFO")
    online_payment_limit: int = env(
        "PARTNER_CENTER_ONLINE_PAYMENT_LIMIT",
        40000,
        ge=1,
        le=100_000_000,
        doc="Largest single online repayment by card, in the site currency (rules.md "
        "§6.12: 40,000 USD).",
    )
    invoice_issuer: str = env(
        "PARTNER_CENTER_INVOICE_ISSUER",
        "Partner Center",
        max_length=64,
        doc="The issuer printed on invoices; invoice numbers run without gaps per issuer.",
    )
    invoice_issuer_address: str = env(
        "PARTNER_CENTER_INVOICE_ISSUER_ADDRESS", "", doc="The issuer's address printed on invoices."
    )
    invoice_prefix: str = env(
        "PARTNER_CENTER_INVOICE_PREFIX",
        "PC-",
        max_length=16,
        doc="Invoice numbers are this prefix and 8 digits (PC-00000001).",
    )
    consumption_files_dir: Path | None = env(
        "PARTNER_CENTER_CONSUMPTION_FILES_DIR",
        None,
        doc="Folder of the monthly consumption detail files (default: "
        "<PARTNER_CENTER_DATA_DIR>/consumption-files).",
    )
    holidays: str = env(
        "PARTNER_CENTER_HOLIDAYS",
        "",
        doc="Public holidays (YYYY-MM-DD, comma-separated) that are not working days: "
        "the bank-transfer confirmation deadline skips them and weekends.",
    )

    def order_policy(self) -> dict[str, int]:
        """The order and resource durations, as ``OrderPolicy`` keyword arguments."""
        return {
            "payment_days": self.order_payment_days,
            "grace_days": self.period_grace_days,
            "retention_days": self.period_retention_days,
            "unconditional_refund_days": self.full_refund_days,
        }

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise ValueError("CURRENCY must be an ISO-4217 code such as USD or CNY")
        return value.upper()

    @field_validator("holidays")
    @classmethod
    def _holidays(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                date.fromisoformat(part.strip())
        return value

    @property
    def consumption_folder(self) -> Path:
        """Where the consumption detail files are written."""
        return self.consumption_files_dir or self.data_dir / "consumption-files"

    @property
    def holiday_dates(self) -> frozenset[date]:
        """The configured holidays."""
        return frozenset(
            date.fromisoformat(p.strip()) for p in self.holidays.split(",") if p.strip()
        )

    @field_validator("billing_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @property
    def usage_late_window(self) -> timedelta:
        """How long after the end of its hour a usage record is still accepted."""
        return timedelta(hours=self.usage_late_window_hours)

    @property
    def resolved_database_url(self) -> str:
        """The async SQLAlchemy URL actually used."""
        url = self.database_url.strip()
        if not url:
            return f"sqlite+aiosqlite:///{(self.data_dir / 'partner-center.db').resolve()}"
        for prefix in ("postgresql://", "postgres://", "postgresql+psycopg://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url[len(prefix) :]
        if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
            return "sqlite+aiosqlite://" + url[len("sqlite://") :]
        return url

    @property
    def is_postgres(self) -> bool:
        return self.resolved_database_url.startswith("postgresql")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.billing_timezone)

    @cached_property
    def encryption_key(self) -> bytes:
        """A Fernet key derived from the configured secret (or the generated key file)."""
        secret = self.secret_key
        if not secret:
            key_file = self.data_dir / "secret.key"
            if key_file.exists():
                secret = key_file.read_text().strip()
            else:
                key_file.parent.mkdir(parents=True, exist_ok=True)
                secret = secrets.token_urlsafe(32)
                fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as handle:
                    handle.write(secret)
        return base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())


def load_settings() -> Settings:
    return Settings()
