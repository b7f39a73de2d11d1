"""Every table carries its owner (``tenant_id``) unless it is declared global with a reason."""

from __future__ import annotations

from partner_center.domains import all_models  # noqa: F401
from partner_center.kernel.db import GLOBAL_TABLES, UNINDEXED_TENANT, Base


def test_every_table_has_a_tenant_or_a_reason() -> None:
    missing = [
        name
        for name, table in Base.metadata.tables.items()
        if "tenant_id" not in table.columns and name not in GLOBAL_TABLES
    ]
    assert missing == []
    for name, reason in GLOBAL_TABLES.items():
        assert reason.strip(), name


def test_tenant_columns_are_indexed_and_required() -> None:
    for name, table in Base.metadata.tables.items():
        if "tenant_id" in table.columns and name not in GLOBAL_TABLES:
            column = table.columns["tenant_id"]
            assert not column.nullable, name
            if name in UNINDEXED_TENANT:
                assert UNINDEXED_TENANT[name].strip(), name
                continue
            assert column.index or any("tenant_id" in idx.columns for idx in table.indexes), name
