"""``/openapi.json`` is a valid OpenAPI 3.1 document that says what the server does: every
``$ref`` resolves, every ``{param}`` of a path is declared (and nothing else is), an amount is
documented as the JSON number the server requires, and a response schema never requires a
field the server leaves out (``WireResponse`` omits ``None``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

from tests.unit.test_openapi_snapshot import live_document

_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})


@pytest.fixture(scope="module")
async def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return await live_document(Path(tmp_path_factory.mktemp("openapi")))


def _walk(node: Any, where: str = "#") -> Iterator[tuple[str, Any]]:
    yield where, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{where}/{i}")


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref}: no {part!r}"
        node = node[part]
    return node


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, op in item.items():
            if method in _METHODS:
                yield path, method, op


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    try:
        errors = [str(e)[:300] for e in OpenAPIV31SpecValidator(document).iter_errors()]
    except Exception as exc:  # the validator raises on a reference that leads nowhere
        pytest.fail(f"{type(exc).__name__}: {str(exc)[:300]}")
    assert errors == []


def test_every_ref_resolves(document: dict[str, Any]) -> None:
    dangling = []
    for where, node in _walk(document):
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            try:
                _resolve(document, node["$ref"])
            except AssertionError as exc:
                dangling.append(f"{where}: {exc}")
    assert dangling == []


def test_every_path_parameter_is_declared_and_every_declared_one_is_in_the_path(
    document: dict[str, Any],
) -> None:
    problems = []
    for path, method, op in _operations(document):
        in_path = set(re.findall(r"{([^}]+)}", path))
        declared = {
            p["name"]
            for p in op.get("parameters", []) + document["paths"][path].get("parameters", [])
            if p.get("in") == "path"
        }
        if in_path != declared:
            problems.append(f"{method.upper()} {path}: path {in_path}, declared {declared}")
        for p in op.get("parameters", []):
            if p.get("in") == "path" and not p.get("required"):
                problems.append(f"{method.upper()} {path}: {p['name']} is not required")
    assert problems == []


def _admits_null(schema: dict[str, Any]) -> bool:
    if schema.get("type") == "null" or "null" in (schema.get("type") or []):
        return True
    return any(_admits_null(s) for s in schema.get("anyOf", []) + schema.get("oneOf", []))


def _success_schemas(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(operation id, component name) of every 2xx JSON response schema."""
    for _, _, op in _operations(document):
        for status, response in op.get("responses", {}).items():
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            if status.startswith("2") and "$ref" in schema:
                yield op["operationId"], schema["$ref"].rsplit("/", 1)[1]


def _response_components(document: dict[str, Any]) -> set[str]:
    """Names of the component schemas a 2xx JSON response uses, nested ones included."""
    components = document["components"]["schemas"]
    seen: set[str] = set()
    todo = [name for _, name in _success_schemas(document)]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += [
                node["$ref"].rsplit("/", 1)[1]
                for _, node in _walk(components[name])
                if isinstance(node, dict) and isinstance(node.get("$ref"), str)
            ]
    return seen


def test_a_response_never_requires_a_field_the_server_omits(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    names = _response_components(document)
    assert len(names) > 50
    problems = [
        f"{name}.{field}"
        for name in sorted(names)
        for field in components[name].get("required", [])
        if _admits_null(components[name]["properties"][field])
    ]
    assert problems == []


def test_the_customer_detail_response_does_not_require_its_nullable_fields(
    document: dict[str, Any],
) -> None:
    (op,) = [
        op for _, _, op in _operations(document) if op["operationId"] == "show_customer_detail"
    ]
    ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    schema = _resolve(document, ref)
    nullable = {f for f, s in schema["properties"].items() if _admits_null(s)}
    assert nullable, "the customer detail has nullable fields"
    assert nullable.isdisjoint(schema.get("required", []))


def test_amounts_are_documented_as_the_json_numbers_the_server_requires(
    document: dict[str, Any],
) -> None:
    """``formats.WireAmount`` refuses strings: no request schema offers one for it, and
    responses write decimals as numbers."""
    from partner_center.http.wire import SCHEMAS

    components = document["components"]["schemas"]
    amounts = 0
    for model, _mode in SCHEMAS.values():
        for name, field in model.model_fields.items():
            if not any(
                getattr(getattr(m, "func", None), "__name__", "") == "number_only"
                for m in field.metadata
            ):
                continue
            amounts += 1
            for schema in components.values():
                if schema.get("title") == model.__name__ and name in schema.get("properties", {}):
                    documented = schema["properties"][name]
                    assert "string" not in str(documented.get("type")), (model, name, documented)
                    assert not any(s.get("type") == "string" for s in documented.get("anyOf", []))
    assert amounts, "no WireAmount field found in the documented models"
    for name in _response_components(document):
        for where, node in _walk(components[name], name):
            if isinstance(node, dict) and "anyOf" in node:
                assert {"number", "string"} - {s.get("type") for s in node["anyOf"]}, where
