"""Killed mid-burst: a real ``partner-center serve`` process on a fresh database (SQLite or
PostgreSQL, whichever the suite runs on) takes concurrent money writes (operator top-ups of the
partner and the partner's allocations to its customers, each with its own
``X-Idempotency-Key``) and is killed with SIGKILL while they are in flight. Restarted on the
same database: ``partner-center reconcile`` is clean, every acknowledged (2xx) write is there
(its replay answers the same transfer), and retrying every write, acknowledged or not, with
its key moves each amount exactly once (the unacknowledged ones are retried twice).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from partner_center.domains.partners.public import PartnerType
from partner_center.provisioning import Credentials
from tests.dbutil import create_fresh_database, drop_database, migrate
from tests.harness import LiveServer, free_port
from tests.outside.world import EXT, operator_credentials, send

PARTNER_CENTER = str(Path(sys.executable).with_name("partner-center"))
SECRET = "test-secret-key-not-for-production"
WORKERS = 8
ACKNOWLEDGED_BEFORE_KILL = 20
TOP_UP = "/operator/partners/{}/top-ups"
ALLOCATE = "/v2/accounts/partner-accounts/adjust-amount"


@dataclass
class Write:
    """One money write: who sends it, where, with which key; what came back."""

    key: str
    creds: Credentials
    path: str
    body: dict[str, Any]
    amount: Decimal
    customer: str | None = None
    transfer: str | None = None
    """The transfer id of the acknowledged (2xx) answer; None: not acknowledged."""


class Process:
    """``partner-center serve`` on ``url`` as a child process."""

    def __init__(self, url: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "PARTNER_CENTER_SECRET_KEY": SECRET,
            "PARTNER_CENTER_RATE_LIMIT": "0",
            "PARTNER_CENTER_LOG_LEVEL": "WARNING",
            "PARTNER_CENTER_INPROCESS_JOBS": "false",
        }
        self.log = log
        self.child: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.child = subprocess.Popen(
                [PARTNER_CENTER, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=out,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.child.poll() is None, self.log.read_text()[-2000:]
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the server did not start: " + self.log.read_text()[-2000:])

    def kill(self) -> None:
        assert self.child is not None
        self.child.send_signal(signal.SIGKILL)
        self.child.wait(timeout=30)

    def stop(self) -> None:
        if self.child is not None and self.child.poll() is None:
            self.child.terminate()
            try:
                self.child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def reconcile(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PARTNER_CENTER, "reconcile"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


@contextmanager
def fresh_database() -> Iterator[str]:
    url, pg_name = asyncio.run(create_fresh_database())
    migrate(url)
    try:
        yield url
    finally:
        asyncio.run(drop_database(pg_name))


def _send(client: httpx.Client, url: str, write: Write) -> httpx.Response:
    return send(
        client,
        url,
        write.creds,
        "POST",
        write.path,
        body=write.body,
        headers={"X-Idempotency-Key": write.key},
    )


def _transfer(response: httpx.Response) -> str | None:
    if not 200 <= response.status_code < 300:
        return None
    transfer: str = response.json()["transfer_id"]
    return transfer


def _cash(client: httpx.Client, url: str, creds: Credentials) -> Decimal:
    answer = send(client, url, creds, "GET", "/v2/accounts/partner-accounts/balances")
    assert answer.status_code == 200, answer.text
    rows = answer.json()["account_balances"]
    return sum((Decimal(str(r["amount"])) for r in rows if r["account_type"] == 1), Decimal(0))


def _customer_balances(
    client: httpx.Client, url: str, creds: Credentials, customers: list[str]
) -> dict[str, Decimal]:
    answer = send(
        client,
        url,
        creds,
        "POST",
        "/v2/accounts/customer-accounts/balances/batch-query",
        body={"customer_infos": [{"customer_id": c} for c in customers]},
    )
    assert answer.status_code == 200, answer.text
    return {
        row["customer_id"]: Decimal(str(row["amount"]))
        for row in answer.json()["customer_balances"]
    }


def test_acknowledged_money_writes_survive_a_kill_and_retries_never_double(
    tmp_path: Path,
) -> None:
    with fresh_database() as url:
        provisioning = LiveServer(url)
        operator = operator_credentials(provisioning)
        partner = provisioning.partner(PartnerType.CSP)
        customers = [provisioning.customer(partner).account_id for _ in range(4)]

        writes: list[Write] = []
        for i in range(60):
            if i % 3 == 0:
                amount = Decimal(100 + i) / 100
                writes.append(
                    Write(
                        f"top-up-{i}",
                        operator,
                        EXT + TOP_UP.format(partner.id),
                        {"amount": amount, "channel": "BANK_TRANSFER"},
                        amount,
                    )
                )
            else:
                amount = Decimal(i) / 100
                customer = customers[i % len(customers)]
                writes.append(
                    Write(
                        f"allocate-{i}",
                        partner.creds,
                        ALLOCATE,
                        {"customer_id": customer, "amount": amount},
                        amount,
                        customer,
                    )
                )

        server = Process(url, tmp_path / "server.log")
        server.start()
        try:
            with httpx.Client(timeout=60) as client:
                funding = Decimal("100000.00")
                answer = send(
                    client,
                    server.url,
                    operator,
                    "POST",
                    EXT + TOP_UP.format(partner.id),
                    body={"amount": funding, "channel": "BANK_TRANSFER"},
                )
                assert answer.status_code == 200, answer.text
            attempted = burst(server, writes)
            acknowledged = [w for w in attempted if w.transfer]
            assert len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL
            assert len(acknowledged) < len(writes), "the kill came after the burst"

            server.start()
            checked = server.reconcile()
            assert checked.returncode == 0, checked.stdout + checked.stderr

            with httpx.Client(timeout=60) as client:
                for write in acknowledged:  # each acknowledged write is there: its replay
                    assert _transfer(_send(client, server.url, write)) == write.transfer, write
                unacknowledged = [w for w in writes if w.transfer is None]
                for batch in (writes, unacknowledged):  # retried with its key: moved once
                    for write in batch:
                        transfer = _transfer(_send(client, server.url, write))
                        assert transfer is not None, write
                        assert write.transfer in (None, transfer), write
                        write.transfer = transfer
                topped = sum((w.amount for w in writes if w.customer is None), Decimal(0))
                given = {c: Decimal(0) for c in customers}
                for w in writes:
                    if w.customer is not None:
                        given[w.customer] += w.amount
                assert _customer_balances(client, server.url, partner.creds, customers) == given
                assert _cash(client, server.url, partner.creds) == (
                    funding + topped - sum(given.values())
                )
            assert len({w.transfer for w in writes}) == len(writes)
            print(
                f"\nrestart: {len(attempted)} writes in flight or done at the kill, "
                f"{len(acknowledged)} acknowledged; all {len(writes)} retried, "
                f"{len(unacknowledged)} of them twice"
            )
        finally:
            server.stop()


def burst(server: Process, writes: list[Write]) -> list[Write]:
    """Send ``writes`` from ``WORKERS`` threads; SIGKILL the server once
    ``ACKNOWLEDGED_BEFORE_KILL`` have been acknowledged. Returns the writes attempted."""
    lock = threading.Lock()
    pending = iter(writes)
    attempted: list[Write] = []
    acknowledged = [0]
    killed = threading.Event()

    def work() -> None:
        with httpx.Client(timeout=30) as client:
            while not killed.is_set():
                with lock:
                    write = next(pending, None)
                    if write is None:
                        return
                    attempted.append(write)
                try:
                    write.transfer = _transfer(_send(client, server.url, write))
                except httpx.HTTPError:
                    return
                with lock:
                    acknowledged[0] += write.transfer is not None
                    if acknowledged[0] >= ACKNOWLEDGED_BEFORE_KILL and not killed.is_set():
                        killed.set()
                        server.kill()

    with ThreadPoolExecutor(WORKERS) as pool:
        for future in [pool.submit(work) for _ in range(WORKERS)]:
            future.result()
    if not killed.is_set():
        pytest.fail("every write was answered before the kill")
    return attempted
