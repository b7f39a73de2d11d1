"""Database triggers that make ``ledger_transfers`` append-only.

The service never updates or deletes a transfer; these triggers make the database refuse it too,
so a stray ``UPDATE`` in a migration, a console or a psql session cannot rewrite history.
The Alembic migration runs :func:`immutable_transfers_ddl`; ``metadata.create_all`` installs the
same statements through the ``after_create`` listeners in :mod:`.models`.

The statements contain no ``%`` so they pass unchanged through ``sqlalchemy.DDL`` and DB-API
drivers with ``pyformat`` parameters.
"""

from __future__ import annotations

TRANSFERS_TABLE = "ledger_transfers"
IMMUTABLE_MESSAGE = "ledger_transfers is append-only: transfers are never updated or deleted"

_SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS ledger_transfers_no_update
BEFORE UPDATE ON {TRANSFERS_TABLE}
BEGIN
    SELECT RAISE(ABORT, '{IMMUTABLE_MESSAGE}');
END""",
    f"""CREATE TRIGGER IF NOT EXISTS ledger_transfers_no_delete
BEFORE DELETE ON {TRANSFERS_TABLE}
BEGIN
    SELECT RAISE(ABORT, '{IMMUTABLE_MESSAGE}');
END""",
]

_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS ledger_transfers_no_update",
    "DROP TRIGGER IF EXISTS ledger_transfers_no_delete",
]

_POSTGRES_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION ledger_transfers_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'restrict_violation',
        MESSAGE = '{IMMUTABLE_MESSAGE}',
        DETAIL = TG_OP || ' refused on ' || TG_TABLE_NAME;
END;
$$""",
    f"""CREATE TRIGGER ledger_transfers_no_update_delete
BEFORE UPDATE OR DELETE ON {TRANSFERS_TABLE}
FOR EACH ROW EXECUTE FUNCTION ledger_transfers_immutable()""",
    f"""CREATE TRIGGER ledger_transfers_no_truncate
BEFORE TRUNCATE ON {TRANSFERS_TABLE}
FOR EACH STATEMENT EXECUTE FUNCTION ledger_transfers_immutable()""",
]

_POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS ledger_transfers_no_truncate ON {TRANSFERS_TABLE}",
    f"DROP TRIGGER IF EXISTS ledger_transfers_no_update_delete ON {TRANSFERS_TABLE}",
    "DROP FUNCTION IF EXISTS ledger_transfers_immutable()",
]

SUPPORTED_DIALECTS = ("sqlite", "postgresql")


def immutable_transfers_ddl(dialect: str) -> list[str]:
    """SQL statements, in order, that install the append-only triggers on ``dialect``.

    Args:
        dialect: ``"sqlite"`` or ``"postgresql"`` (SQLAlchemy dialect names).
    """
    if dialect == "sqlite":
        return list(_SQLITE_INSTALL)
    if dialect == "postgresql":
        return list(_POSTGRES_INSTALL)
    raise ValueError(f"no ledger triggers for dialect {dialect!r}; expected {SUPPORTED_DIALECTS}")


def drop_immutable_transfers_ddl(dialect: str) -> list[str]:
    """SQL statements that remove the triggers again (for a migration's downgrade)."""
    if dialect == "sqlite":
        return list(_SQLITE_DROP)
    if dialect == "postgresql":
        return list(_POSTGRES_DROP)
    raise ValueError(f"no ledger triggers for dialect {dialect!r}; expected {SUPPORTED_DIALECTS}")
