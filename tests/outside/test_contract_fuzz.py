"""A contract fuzz run over every operation of ``/openapi.json`` with schemathesis: requests
generated from the document, signed as the official SDK signs them, sent with a partner's, a
distributor's, a customer's and the operator's credentials. No answer is a server error, and
every answer has a documented status, content type and schema.

Bounded for CI: ``OUTSIDE_FUZZ_EXAMPLES`` examples per operation (default 8) of valid data
and ``OUTSIDE_FUZZ_NEGATIVE_EXAMPLES`` (default 0: schemathesis needs about a second per
operation to make one) of invalid data, each sent with the next of the four kinds of caller in
turn (every operation meets all four; ``OUTSIDE_FUZZ_ALL_CALLERS=1`` sends each case with all
four); derandomized (the same requests every run), no example database. A deeper run:
``OUTSIDE_FUZZ_EXAMPLES=50 OUTSIDE_FUZZ_NEGATIVE_EXAMPLES=5``.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from partner_center.provisioning import Credentials
from tests.outside.world import World

EXAMPLES = {
    GenerationMode.POSITIVE: int(os.environ.get("OUTSIDE_FUZZ_EXAMPLES", "8")),
    GenerationMode.NEGATIVE: int(os.environ.get("OUTSIDE_FUZZ_NEGATIVE_EXAMPLES", "0")),
}
#: Each case with every kind of caller (``1``), or with the next kind in turn (default: more
#: distinct cases for the same number of requests; each operation still meets all four).
ALL_CALLERS = os.environ.get("OUTSIDE_FUZZ_ALL_CALLERS", "") == "1"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def callers(world: World) -> dict[str, Credentials]:
    return {
        "partner": world.p1.creds,
        "distributor": world.d1.creds,
        "customer": world.c1,
        "operator": world.operator,
    }


def _path(template: str, parameters: dict[str, Any] | None) -> str:
    """The path with each parameter percent-encoded as the SDK encodes it (never a dot
    segment, which a client would resolve away)."""
    path = template
    for name, value in (parameters or {}).items():
        text = str(value)
        path = path.replace(f"{{{name}}}", quote(text, safe="") if text.strip(".") else "x")
    return path


def _body(case: Any) -> tuple[bytes, str]:
    media = case.media_type or "application/json"
    if case.body is None or type(case.body).__name__ == "NotSet":
        return b"", "application/json"
    if isinstance(case.body, bytes):
        return case.body, media
    if media == "application/x-ndjson":
        records = case.body if isinstance(case.body, list) else [case.body]
        return b"\n".join(json.dumps(r).encode() for r in records), media
    return json.dumps(case.body).encode(), media


#: Headers of the security schemes: the run authenticates each request itself.
_CREDENTIAL_HEADERS = frozenset({"authorization", "x-auth-token", "content-type"})


def _headers(case: Any) -> dict[str, str]:
    """Documented headers the case sets, as HTTP carries them (no surrounding blanks: a
    server strips those, so a signature over them could never match)."""
    headers = {k: str(v).strip() for k, v in (case.headers or {}).items()}
    return {
        k: v
        for k, v in headers.items()
        if v.isascii() and v.isprintable() and k.lower() not in _CREDENTIAL_HEADERS
    }


@dataclass
class Run:
    """What the fuzz run sent and what failed, over all operations."""

    world: World
    failures: dict[str, list[str]] = field(default_factory=dict)
    sent: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    unsatisfiable: list[str] = field(default_factory=list)
    waited: float = 0.0
    cases: Counter[str] = field(default_factory=Counter)
    last: dict[str, Case] = field(default_factory=dict)

    def send(self, operation: APIOperation, mode: GenerationMode, case: Case) -> None:
        """``case`` with the next kind of caller (every kind with ``ALL_CALLERS``); a failed
        check is recorded, not raised, so that one run reports every failure."""
        raw, media = _body(case)
        path = _path(operation.path, case.path_parameters)
        everyone = list(callers(self.world).items())
        turn = self.cases[operation.label]
        self.cases[operation.label] += 1
        self.last[operation.label] = case
        for kind, creds in everyone if ALL_CALLERS else [everyone[turn % len(everyone)]]:
            before = time.monotonic()
            response = self.world.call(
                creds,
                case.method.upper(),
                path,
                query=case.query,
                raw=raw,
                content_type=media,
                headers=_headers(case),
            )
            self.waited += time.monotonic() - before
            self.sent[kind] += 1
            self.statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS)
            except (Exception, BaseExceptionGroup) as exc:
                problem = f"{kind} {mode.value}: {response.status_code} {str(exc)[:400]}"
                self.failures.setdefault(operation.label, []).append(problem)

    def fuzz(self, operation: APIOperation, mode: GenerationMode, examples: int) -> None:
        @settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Case) -> None:
            self.send(operation, mode, case)

        try:
            run()
        except Unsatisfiable:  # nothing to make invalid: an operation without parameters
            self.unsatisfiable.append(f"{operation.label} {mode.value}")
        # An operation with fewer possible requests than kinds of caller meets them all too.
        while operation.label in self.last and self.cases[operation.label] < 4:
            self.send(operation, mode, self.last[operation.label])


def test_every_operation_holds_its_contract_for_every_kind_of_caller(world: World) -> None:
    document = world.client.get(world.server.url + "/openapi.json").json()
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == sum(
        1
        for item in document["paths"].values()
        for m in item
        if m in ("get", "post", "put", "delete")
    )
    started = time.monotonic()
    run = Run(world)
    for operation in operations:
        for mode, examples in EXAMPLES.items():
            if examples:
                run.fuzz(operation, mode, examples)
    print(
        f"\ncontract fuzz: {sum(run.sent.values())} requests over {len(operations)} operations "
        f"({dict(run.sent)}) in {time.monotonic() - started:.0f} s ({run.waited:.0f} s waiting "
        f"for answers); statuses {dict(sorted(run.statuses.items()))}; nothing to generate for "
        f"{run.unsatisfiable}"
    )
    report = {label: problems[:3] for label, problems in run.failures.items()}
    assert not report, json.dumps(report, indent=1)
