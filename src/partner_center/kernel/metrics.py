"""Prometheus metrics for operators (``GET /metrics``), with prometheus-client.

* ``partner_center_http_requests_total{operation,status}`` and
  ``partner_center_http_request_duration_seconds{operation}``: every answered request;
* ``partner_center_job_runs_total{job,outcome}`` and ``partner_center_job_lag_seconds{job}``:
  each job attempt, and how far behind the runner's business time its due time was;
* ``partner_center_ledger_postings_total{kind}``: ledger transfers written (counted when the
  transfer is flushed; a transaction that rolls back afterwards still counted it).

Several server processes (``serve --workers N``) share the values through prometheus-client's
multiprocess mode: the command sets ``PROMETHEUS_MULTIPROC_DIR`` before the workers start, and
the exposition then aggregates every process's files.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "partner_center_http_requests",
    "Requests answered, by operation and status.",
    ["operation", "status"],
)
REQUEST_SECONDS = Histogram(
    "partner_center_http_request_duration_seconds",
    "Time to answer a request, by operation (seconds).",
    ["operation"],
)
JOB_RUNS = Counter(
    "partner_center_job_runs", "Job attempts, by job and outcome.", ["job", "outcome"]
)
JOB_LAG = Histogram(
    "partner_center_job_lag_seconds",
    "How far the job's due time was behind the runner's business time when it ran (seconds).",
    ["job"],
    buckets=(0, 1, 5, 30, 60, 300, 900, 3600, 6 * 3600, 86400, float("inf")),
)
LEDGER_POSTINGS = Counter(
    "partner_center_ledger_postings", "Ledger transfers written, by kind.", ["kind"]
)


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format (every process's, in multiprocess mode)."""
    if os.environ.get(MULTIPROCESS_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
