"""Imports every domain's models so ``Base.metadata`` is complete (Alembic, tests, tooling)."""

from partner_center.kernel import db as _kernel_db  # noqa: F401  (sandbox_clock)
