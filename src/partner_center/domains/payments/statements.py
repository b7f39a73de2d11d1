"""The Account Statements page (rules.md §6.16): every line of the partner's cash statement —
top-ups, repayments, allocations, reclaims, refunds, adjustments — with the balance after each,
over any range of days up to a year (older statements are asked for by ticket), by kind, a
page at a time or as a CSV export whose sensitive fields are masked."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from partner_center.domains.balances.public import (
    CHANNEL_BANK_TRANSFER,
    CHANNEL_ONLINE,
    STATEMENT_KIND_FILTERS,
    BalanceService,
    Direction,
    StatementKind,
    StatementLine,
    StatementQuery,
    statement_kind,
)
from partner_center.domains.billing.public import bill_reader
from partner_center.domains.customers.public import PartnerActor
from partner_center.kernel.clock import format_utc
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.money import to_cents
from partner_center.kernel.pagination import Page

#: Longest range one query covers, days (older statements by ticket, rules.md §6.16).
MAX_RANGE_DAYS = 366
#: Most lines one CSV export carries.
MAX_EXPORT_LINES = 100_000
_EXPORT_PAGE = 1000

CSV_COLUMNS = (
    "trade_time",
    "type",
    "trade_id",
    "direction",
    "amount",
    "balance_after",
    "currency",
    "counterparty_id",
    "counterparty_account_name",
    "payment_channel",
    "payment_channel_no",
)

#: How the money of a top-up reached the operator, by the ledger's payment channel id.
CHANNEL_NAMES = {CHANNEL_BANK_TRANSFER: "bank_transfer", CHANNEL_ONLINE: "online_payment"}


def payment_channel(line: StatementLine) -> str:
    """``bank_transfer``, ``online_payment``, or empty for a line that moved no outside money."""
    return CHANNEL_NAMES.get(line.payment_channel_id or "", "")


@dataclass(frozen=True, slots=True)
class StatementRange:
    begin: date
    end: date
    kind: StatementKind | None = None


def mask(value: str | None, *, keep: int = 4) -> str:
    """``value`` with all but its last ``keep`` characters masked (short values fully)."""
    if not value:
        return ""
    if len(value) <= keep:
        return "*" * len(value)
    return "*" * (len(value) - keep) + value[-keep:]


def mask_name(value: str | None) -> str:
    """A person's or account's name: its first character, then asterisks."""
    if not value:
        return ""
    return value[0] + "*" * max(3, len(value) - 1)


class AccountStatements:
    """Reads the partner's cash statement through the balances domain's public service."""

    def __init__(self, balances: BalanceService, *, currency: str) -> None:
        self.balances = balances
        self.currency = currency

    @staticmethod
    def _query(window: StatementRange) -> StatementQuery:
        if window.begin > window.end:
            raise invalid_parameter("begin_date", "Must not be after end_date.")
        if (window.end - window.begin).days >= MAX_RANGE_DAYS:
            raise invalid_parameter(
                "end_date",
                f"At most {MAX_RANGE_DAYS} days at once; older statements by service ticket.",
            )
        types, details = STATEMENT_KIND_FILTERS[window.kind] if window.kind else ((), ())
        return StatementQuery(
            begin=window.begin, end=window.end, trade_types=types, trade_detail_types=details
        )

    async def page(
        self, actor: PartnerActor, window: StatementRange, page: Page
    ) -> tuple[list[StatementLine], int]:
        """One page of the lines in the range, newest first, and how many match."""
        bill_reader(actor)
        return await self.balances.partner_statement(
            actor, credit=False, query=self._query(window), page=page
        )

    async def export_csv(self, actor: PartnerActor, window: StatementRange) -> str:
        """Every line in the range as CSV, newest first, sensitive fields masked."""
        bill_reader(actor)
        query = self._query(window)
        lines: list[StatementLine] = []
        while len(lines) < MAX_EXPORT_LINES:
            batch, total = await self.balances.partner_statement(
                actor, credit=False, query=query, page=Page(len(lines), _EXPORT_PAGE)
            )
            lines.extend(batch)
            if not batch or len(lines) >= total:
                break
        return self.csv_text(lines)

    def csv_text(self, lines: Iterable[StatementLine], *, header: bool = True) -> str:
        """``lines`` as CSV rows; ``header`` False continues a file in parts (an export in
        the background writes one part per page)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        if header:
            writer.writerow(CSV_COLUMNS)
        for line in lines:
            writer.writerow(
                [
                    format_utc(line.trade_time),
                    statement_kind(line.trade_type, line.trade_detail_type).value,
                    line.trade_id,
                    "income" if line.direction == Direction.INCOME else "expense",
                    f"{to_cents(line.amount):f}",
                    f"{to_cents(line.balance_after):f}",
                    self.currency,
                    mask(line.counterparty_id),
                    mask_name(line.counterparty_account_name),
                    payment_channel(line),
                    mask(line.payment_channel_no),
                ]
            )
        return out.getvalue()
