"""``BalanceService``: partner and customer money (issue "Transactions", part 7).

The operations are grouped by concern — ``movements.py`` (top-ups, credit line, allocations,
reclaims, disassociation returns), ``charges.py`` (charging, holds, refunds for the orders and
pay-per-use domains), ``queries.py`` (balances, statements, records, quotas) — over the shared
helpers of ``core.py`` and the chart of accounts in ``chart.py``. The service flushes but never
commits: the caller's unit of work owns the transaction.
"""

from __future__ import annotations

from partner_center.domains.balances.charges import ChargeOps
from partner_center.domains.balances.queries import QueryOps


class BalanceService(ChargeOps, QueryOps):
    """Every balances operation, bound to one session.

    Construct with ``BalanceService(session, clock=..., zone=..., currency=..., partners=...)``;
    ``sources=`` swaps the debt and expenditure providers (tests, or a composition root that
    does not use the process-wide registration).
    """
