"""Wire encoding of the Huawei-compatible API: JSON bodies parsed with exact Decimals (never
floats), responses written with exact decimal digits, and the registry that puts every wire
schema into /openapi.json."""

from __future__ import annotations

from typing import Any, TypeVar

import simplejson
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.responses import Response

from partner_center.kernel import jsontext
from partner_center.kernel.errors import DomainError

M = TypeVar("M", bound=BaseModel)


class WireModel(BaseModel):
    """Base of request/response wire models: snake_case, unknown keys ignored (as the SDK does)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


#: Every wire model referenced by a route; merged into the OpenAPI components.
SCHEMAS: dict[str, type[BaseModel]] = {}


def schema_ref(model: type[BaseModel]) -> dict[str, str]:
    SCHEMAS[model.__name__] = model
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def wire_body(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """``openapi_extra`` for a JSON request body validated by ``model``."""
    return {
        "requestBody": {
            "required": required,
            "content": {"application/json": {"schema": schema_ref(model)}},
        }
    }


def wire_responses(model: type[BaseModel] | None, status: int = 200) -> dict[int | str, Any]:
    """``responses`` for the success model and the common error body."""
    error = schema_ref(ErrorBody)
    out: dict[int | str, Any] = {
        code: {"description": text, "content": {"application/json": {"schema": error}}}
        for code, text in (
            (400, "Invalid parameter or business rule"),
            (401, "Missing or invalid credentials"),
            (403, "Not allowed for this caller"),
            (429, "Throttled"),
        )
    }
    if model is None:
        out[status] = {"description": "Success"}
    else:
        out[status] = {
            "description": "Success",
            "content": {"application/json": {"schema": schema_ref(model)}},
        }
    return out


class ErrorBody(WireModel):
    error_code: str
    error_msg: str


def parse_json(raw: bytes) -> Any:
    """Decode a JSON body (UTF-8), numbers with a fraction as Decimal. Empty body = empty
    object. Nesting deeper than ``jsontext.MAX_DEPTH`` is refused before decoding."""
    if not raw.strip():
        return {}
    try:
        return jsontext.loads(raw)
    except jsontext.TooDeeplyNested as exc:
        raise DomainError("CBC.0100", f"Invalid parameter: the body's {exc}.") from exc
    except ValueError as exc:
        raise DomainError(
            "CBC.0100", f"Invalid parameter: the body is not valid JSON ({exc})."
        ) from exc


def validation_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first.get("loc", ())) or "body"
    return f"Invalid parameter: {field}. {first.get('msg', 'invalid value')}."


def parse_model(model: type[M], raw: bytes) -> M:
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise DomainError("CBC.0100", "Invalid parameter: the body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ()))
        raise DomainError("CBC.0100", validation_message(exc), {"field": loc}) from exc


def dumps(data: Any) -> bytes:
    """JSON with Decimals written as exact numbers."""
    return simplejson.dumps(
        data, use_decimal=True, ensure_ascii=False, separators=(",", ":")
    ).encode()


class WireResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        if isinstance(content, BaseModel):
            content = content.model_dump(mode="python", exclude_none=True)
        return dumps(content)
