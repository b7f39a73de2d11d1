"""Apply Alembic migrations programmatically (CLI ``db upgrade``, tests, ``make run``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("partner_center") / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url``; safe to call from inside a running event loop's thread
    only via ``upgrade_async``."""
    command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, url, revision)


def include_object_for(dialect_name: str) -> Callable[..., bool]:
    """Alembic's ``include_object`` for autogenerate on ``dialect_name``: leaves out the model
    indexes meant for another database only (``Index(...).ddl_if(dialect="postgresql")``, such
    as trigram indexes), which that database's migrations never create."""

    def include_object(
        obj: Any, _name: str | None, type_: str, _reflected: bool, _compare_to: Any
    ) -> bool:
        ddl_if = getattr(obj, "_ddl_if", None)
        if type_ != "index" or ddl_if is None or ddl_if.dialect is None:
            return True
        wanted = ddl_if.dialect
        return dialect_name in ((wanted,) if isinstance(wanted, str) else tuple(wanted))

    return include_object
