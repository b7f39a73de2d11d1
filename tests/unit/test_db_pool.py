"""The per-process pool settings reach the engine, and ``serve`` counts them against
PostgreSQL's ``max_connections``."""

from __future__ import annotations

import asyncio

import pytest

from partner_center.cli import connections_per_process
from partner_center.kernel.db import PG_MAX_OVERFLOW, PG_POOL_SIZE, Database
from partner_center.runtime import build_state
from partner_center.settings import Settings

PG_URL = "postgresql://nobody@127.0.0.1:1/none"


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(database_url=PG_URL, secret_key="k" * 32)


def test_pool_settings_reach_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(
        monkeypatch, PARTNER_CENTER_DB_POOL_SIZE="3", PARTNER_CENTER_DB_MAX_OVERFLOW="2"
    )
    state = build_state(settings)
    try:
        pool = state.db.engine.pool
        assert pool.size() == 3  # type: ignore[attr-defined]
        assert pool._max_overflow == 2  # type: ignore[attr-defined]
    finally:
        asyncio.run(state.db.dispose())


def test_default_pool_fits_several_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PARTNER_CENTER_DB_POOL_SIZE", raising=False)
    monkeypatch.delenv("PARTNER_CENTER_DB_MAX_OVERFLOW", raising=False)
    db = Database(PG_URL)
    try:
        assert db.engine.pool.size() == PG_POOL_SIZE  # type: ignore[attr-defined]
    finally:
        asyncio.run(db.dispose())
    per_process = connections_per_process(Settings(database_url=PG_URL, secret_key="k" * 32))
    assert per_process == PG_POOL_SIZE + PG_MAX_OVERFLOW + 8
    # Three servers and room for a worker and the CLI in the CI's max_connections of 100
    # (3 reserved for superusers).
    assert 3 * per_process + 20 <= 97


def test_budget_follows_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(
        monkeypatch,
        PARTNER_CENTER_DB_POOL_SIZE="4",
        PARTNER_CENTER_DB_MAX_OVERFLOW="0",
        PARTNER_CENTER_REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert connections_per_process(settings) == 4


def test_pool_size_must_be_positive(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match=r"PARTNER_CENTER_DB_POOL_SIZE|db_pool_size"):
        _settings(monkeypatch, PARTNER_CENTER_DB_POOL_SIZE="0")
