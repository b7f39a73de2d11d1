"""A cross-tenant matrix generated from ``/openapi.json``: every operation that takes an id of
a tenant-owned object (in its path, its query string or its JSON body) is tried with a foreign
partner's, a sibling reseller's and another customer's credentials against real objects owned
by someone else (``world.py``). Nothing leaks: no read answers 2xx with a victim's data, no
write answers 2xx without refusing the victim's object.

The matrix is read from the live document, so operations added later are covered without a
change here, as long as their id parameters use the names below. An id-like name that is in
neither ``KIND_OF`` (a tenant-owned object this world owns) nor ``NOT_TENANT_OWNED`` (with the
reason) fails the test: classify it. Ids nested below the body's top level are not tried.

Each read is also sent with the victims' own credentials: at least ``MIN_CONTROLS`` reads must
show the victims' data to their owners, so the matrix cannot pass by sending requests that
nobody could answer.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from partner_center.provisioning import Credentials
from tests.outside.world import World

#: Parameter name -> the kind of tenant-owned object it names (``World.objects``).
KIND_OF: dict[str, str] = {
    "customer_id": "customer",
    "customer_ids": "customer",
    "indirect_partner_id": "reseller",
    "indirect_partner_ids": "reseller",
    "reseller_id": "reseller",
    "reseller_ids": "reseller",
    "partner_id": "partner",
    "order_id": "order",
    "resource_id": "resource",
    "resource_ids": "resource",
    "coupon_id": "coupon",
    "coupon_ids": "coupon",
    "quota_id": "quota",
    "quota_ids": "quota",
    "parent_quota_id": "quota",
    "member_id": "member",
    "invitation_id": "invitation",
    "recipient_id": "recipient",
    "request_id": "request",
    "authorization_id": "authorization",
    "sub_customer_id": "customer",
    "domain_id": "customer",
    "sub_coupon_id": "coupon",
    "ticket_id": "ticket",
    "payer_account_id": "customer",
    "res_instance_id": "resource",
    "account_manager_id": "member",
    "attachment_id": "attachment",
    "attachment_ids": "attachment",
    "party_id": "enterprise party",
    "parent_id": "enterprise organisation",
    "org_id": "enterprise organisation",
    "invoice_id": "invoice",
    "discount_id": "partner discount",
    "prospect_id": "pre-registration",
    "free_resource_id": "free resource package",
    "free_resource_ids": "free resource package",
}

#: Id-like names that are not tried, and why.
NOT_TENANT_OWNED: dict[str, str] = {
    "xaccount_id": "the new customer's id at the partner's own system, chosen by the caller",
    "product_id": "a catalogue product: public",
    "product_ids": "catalogue products: public",
    "package_id": "a catalogue package: public",
    "size_measure_id": "a unit of measure",
    "measure_id": "a unit of measure",
    "project_id": "a cloud project: not modelled",
    "enterprise_project_id": "a cloud project: not modelled",
    "promotion_plan_id": "a promotion: not modelled",
    "source_id": "the source of a coupon: a free-form filter",
    "payment_channel_id": "a payment channel: public",
    "trade_id": "a filter on the caller's own records",
    "trans_id": "a filter on the caller's own records",
    "card_id": "a stored-value card: none can exist (partner-center sells none, rules.md §7.20)",
    "token": "an invitation link's secret: whoever holds it may read it (public)",
    "permission_ids": "names of permissions: public",
    "cycle": "a billing month (yyyy-MM); the file read is always the caller's own",
}

ATTACKERS = ("foreign partner", "sibling reseller", "another customer")
MIN_CONTROLS = 20
_ID_LIKE = re.compile(r"(^|_)ids?$|^token$")
_READ_PREFIXES = ("list_", "show_", "check_", "ext_show_", "ext_list_")


@dataclass(frozen=True)
class Slot:
    location: str  # "path" | "query" | "body"
    name: str
    array: bool


@dataclass(frozen=True)
class Op:
    method: str
    path: str
    op_id: str
    slots: tuple[Slot, ...]
    query_required: dict[str, Any]
    body_schema: dict[str, Any] | None

    @property
    def reads(self) -> bool:
        return (
            self.method == "GET"
            or self.op_id.startswith(_READ_PREFIXES)
            or self.path.endswith("/query")
        )


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"][2:].split("/"):
            node = node[part]
        schema = node
    return schema


def _plain(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The schema without ``$ref`` and without the null branch of an ``anyOf``."""
    schema = _resolve(document, schema)
    branches = [b for b in schema.get("anyOf", []) if b.get("type") != "null"]
    return _resolve(document, branches[0]) if branches else schema


def _sample(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A small value the schema admits."""
    schema = _plain(document, schema)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: _sample(document, sub)
            for name, sub in schema.get("properties", {}).items()
            if name in schema.get("required", [])
        }
    if kind == "array":
        count = schema.get("minItems", 0)
        return [_sample(document, schema.get("items", {})) for _ in range(count)]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    return "x" * max(1, schema.get("minLength", 1))


def operations(document: dict[str, Any]) -> Iterator[Op]:
    for path, item in document["paths"].items():
        for method, spec in item.items():
            if method not in ("get", "post", "put", "delete"):
                continue
            slots: list[Slot] = []
            query_required: dict[str, Any] = {}
            for p in spec.get("parameters", []):
                if p["in"] == "path" or (p["in"] == "query" and _ID_LIKE.search(p["name"])):
                    slots.append(Slot(p["in"], p["name"], False))
                elif p["in"] == "query" and p.get("required"):
                    query_required[p["name"]] = _sample(document, p.get("schema", {}))
            body = (
                spec.get("requestBody", {})
                .get("content", {})
                .get("application/json", {})
                .get("schema")
            )
            body_schema = _plain(document, body) if body else None
            for name, sub in (body_schema or {}).get("properties", {}).items():
                if _ID_LIKE.search(name):
                    array = _plain(document, sub).get("type") == "array"
                    slots.append(Slot("body", name, array))
            yield Op(
                method.upper(), path, spec["operationId"], tuple(slots), query_required, body_schema
            )


def request_for(
    document: dict[str, Any], op: Op, victims: dict[str, list[str]], round_: int
) -> dict[str, Any] | None:
    """The request aiming ``op`` at the victims' objects (the ``round_``-th of each kind), or
    None when it takes no id of an object they own."""
    chosen: dict[Slot, str] = {}
    for slot in op.slots:
        values = victims.get(KIND_OF.get(slot.name, ""), [])
        if values:
            chosen[slot] = values[round_ % len(values)]
    if not chosen:
        return None
    path = op.path
    for slot in op.slots:
        if slot.location == "path":
            path = path.replace(f"{{{slot.name}}}", chosen.get(slot, "x"))
    query = dict(op.query_required)
    query |= {s.name: v for s, v in chosen.items() if s.location == "query"}
    body: dict[str, Any] | None = None
    if op.body_schema is not None:
        body = _sample(document, op.body_schema)
        body |= {s.name: [v] if s.array else v for s, v in chosen.items() if s.location == "body"}
    return {"path": path, "query": query, "body": body}


def _without_refusals(node: Any) -> Any:
    """The answer without the per-item refusals (objects carrying an ``error_code``), which
    name the refused id by design."""
    if isinstance(node, dict):
        if "error_code" in node:
            return None
        return {k: _without_refusals(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_without_refusals(v) for v in node]
    return node


def _refuses(node: Any) -> bool:
    return "error_code" in json.dumps(node)


def bogus(value: str) -> str:
    """An id of the same shape that names nothing."""
    return value[::-1]


def verdict(
    op: Op, status: int, answer: Any, markers: list[str], unowned: tuple[int, Any]
) -> str | None:
    """Why this answer to an attacker is a leak, or None. ``unowned`` is the attacker's answer
    to the same request naming objects that do not exist (``bogus`` ids): a read whose answer
    depends on whether the victim's object exists, or on what it holds, shows it."""
    if not 200 <= status < 300:
        return None
    if not op.reads:
        if answer is None or not _refuses(answer):
            return f"{status}: a write on the victim's object was accepted"
        return None
    shown = json.dumps(_without_refusals(answer))
    found = [m for m in markers if m in shown]
    if found:
        return f"{status} shows {found}"
    if unowned[0] != status or json.dumps(_without_refusals(unowned[1])) != shown:
        return f"{status} differs from the answer about objects that do not exist: {shown[:300]}"
    return None


def attackers(world: World) -> dict[str, Credentials]:
    return {
        "foreign partner": world.p2.creds,
        "sibling reseller": world.r2.creds,
        "another customer": world.c2,
    }


def owners(world: World) -> dict[str, list[Credentials]]:
    return {"p1": [world.p1.creds, world.c1], "r1": [world.r1.creds, world.d1.creds]}


def _json(response: Any) -> Any:
    try:
        return response.json() if response.content else None
    except ValueError:
        return response.text


def test_no_operation_shows_or_changes_another_tenants_objects(world: World) -> None:
    document = world.client.get(world.server.url + "/openapi.json").json()
    ops = list(operations(document))
    unknown = sorted(
        {
            f"{op.op_id}: {s.name}"
            for op in ops
            for s in op.slots
            if s.name not in KIND_OF and s.name not in NOT_TENANT_OWNED
        }
    )
    assert not unknown, f"classify these id parameters in KIND_OF or NOT_TENANT_OWNED: {unknown}"
    owned = {kind for victims in world.objects.values() for kind, ids in victims.items() if ids}
    unmade = sorted(set(KIND_OF.values()) - owned)
    assert not unmade, f"world.py makes no object of these kinds, so nothing attacks them: {unmade}"

    leaks: list[str] = []
    tried: Counter[str] = Counter()
    covered: set[str] = set()
    controls: set[str] = set()
    for scenario, victims in world.objects.items():
        markers = sorted({v for values in victims.values() for v in values} | set(world.names))
        unreal = {kind: [bogus(v) for v in values] for kind, values in victims.items()}
        for op in ops:
            kinds = {KIND_OF.get(slot.name, "") for slot in op.slots}
            rounds = max((len(victims.get(kind, [])) for kind in kinds), default=0)
            for round_ in range(rounds):
                request = request_for(document, op, victims, round_)
                if request is None:
                    break
                fake = request_for(document, op, unreal, round_)
                assert fake is not None
                covered.add(op.op_id)
                for who, creds in attackers(world).items():
                    response = world.call(creds, op.method, **request)
                    tried[who] += 1
                    unowned = (0, None)
                    if op.reads and 200 <= response.status_code < 300:
                        other = world.call(creds, op.method, **fake)
                        unowned = (other.status_code, _json(other))
                    unknown_to_them = [m for m in markers if m not in world.known_to(creds)]
                    problem = verdict(
                        op, response.status_code, _json(response), unknown_to_them, unowned
                    )
                    if problem:
                        leaks.append(f"{op.op_id} as {who} on {scenario}'s {request}: {problem}")
                for creds in owners(world)[scenario] if op.reads else []:
                    if op.op_id in controls:
                        break
                    response = world.call(creds, op.method, **request)
                    other = world.call(creds, op.method, **fake)
                    unowned = (other.status_code, _json(other))
                    if verdict(op, response.status_code, _json(response), markers, unowned):
                        controls.add(op.op_id)
    print(
        f"\ncross-tenant matrix: {sum(tried.values())} attempts ({dict(tried)}) on "
        f"{len(covered)} of {len(ops)} operations; owners saw their data through "
        f"{len(controls)} reads"
    )
    assert not leaks, "\n".join(leaks)
    assert len(controls) >= MIN_CONTROLS, sorted(controls)
