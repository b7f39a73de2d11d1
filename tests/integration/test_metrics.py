"""``GET /metrics``: Prometheus' text format with the requests by operation and their latency,
job runs and lag, ledger postings (issue 10, item 4)."""

from __future__ import annotations

import httpx

from partner_center.kernel.metrics import JOB_LAG, JOB_RUNS, LEDGER_POSTINGS
from tests.harness import fresh_server


def test_metrics_count_requests_in_prometheus_format() -> None:
    JOB_RUNS.labels("example.job", "DONE").inc()
    JOB_LAG.labels("example.job").observe(2.0)
    LEDGER_POSTINGS.labels("POST").inc()
    with fresh_server() as server:
        for _ in range(3):
            assert httpx.get(f"{server.url}/health").status_code == 200
        answer = httpx.get(f"{server.url}/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    lines = {
        line.rsplit(" ", 1)[0]: line.rsplit(" ", 1)[1]
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert float(lines['partner_center_http_requests_total{operation="health",status="200"}']) >= 3
    assert (
        'partner_center_http_request_duration_seconds_bucket{le="0.005",operation="health"}'
        in lines
    )
    assert float(lines['partner_center_job_runs_total{job="example.job",outcome="DONE"}']) >= 1
    assert 'partner_center_job_lag_seconds_count{job="example.job"}' in lines
    assert float(lines['partner_center_ledger_postings_total{kind="POST"}']) >= 1
