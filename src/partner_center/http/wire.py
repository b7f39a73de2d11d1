"""Wire encoding of the Huawei-compatible API: JSON bodies parsed with exact Decimals (never
floats), responses written with exact decimal digits, and the registry that puts every wire
schema into /openapi.json."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, TypeVar, get_args, get_origin

import simplejson
from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator
from pydantic.json_schema import (
    GenerateJsonSchema,
    JsonSchemaMode,
    JsonSchemaValue,
    models_json_schema,
)
from pydantic_core import CoreSchema, PydanticCustomError, core_schema
from starlette.requests import Request
from starlette.responses import Response

from partner_center.http import signing
from partner_center.kernel import jsontext
from partner_center.kernel.errors import DomainError
from partner_center.kernel.text import text_problem

M = TypeVar("M", bound=BaseModel)

#: Validation context of data that came from a client (request bodies, query strings): only
#: there are strings held to the text rule, so a response built from stored text never fails.
WIRE_INPUT: dict[str, bool] = {"wire_input": True}


class _MultiLine:
    """Metadata marking a wire string as free text a person writes (remarks, reasons)."""


#: A request string that may hold tabs and line breaks; every other wire string is single-line
#: (``kernel/text.py``).
MultiLineText = Annotated[str, _MultiLine()]


def _is_multiline(annotation: Any) -> bool:
    """Whether a field's annotation carries ``MultiLineText`` (also inside ``| None``)."""
    if get_origin(annotation) is Annotated and any(
        isinstance(item, _MultiLine) for item in annotation.__metadata__
    ):
        return True
    return any(_is_multiline(arg) for arg in get_args(annotation))


@cache
def _field_is_multiline(model: type[BaseModel], field: str) -> bool:
    info = model.model_fields[field]
    return any(isinstance(item, _MultiLine) for item in info.metadata) or _is_multiline(
        info.annotation
    )


def _first_problem(value: Any, *, multiline: bool) -> str | None:
    """The text rule over a field's value, strings inside lists and mappings included."""
    if isinstance(value, str):
        return text_problem(value, multiline=multiline)
    if isinstance(value, Mapping):
        for key, item in value.items():
            problem = _first_problem(key, multiline=False) or _first_problem(
                item, multiline=multiline
            )
            if problem is not None:
                return problem
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            problem = _first_problem(item, multiline=multiline)
            if problem is not None:
                return problem
    return None


class WireModel(BaseModel):
    """Base of request/response wire models: snake_case, unknown keys ignored (as the SDK does).

    Every string a client sends is held to the text rule of ``kernel/text.py`` (no NUL or other
    control characters; tabs and line breaks only in ``MultiLineText`` fields), so such input is
    a ``CBC.0100`` naming the field and nothing is stored.
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    @field_validator("*", mode="after")
    @classmethod
    def _plain_text(cls, value: Any, info: ValidationInfo) -> Any:
        if not (info.context or {}).get("wire_input") or info.field_name is None:
            return value
        problem = _first_problem(value, multiline=_field_is_multiline(cls, info.field_name))
        if problem is not None:
            raise PydanticCustomError("text", problem)
        return value


def same_named(
    source: object, names: str, via: Callable[[Any], Any] | None = None
) -> dict[str, Any]:
    """The attributes ``names`` (separated by spaces) of ``source`` (a domain view or a request),
    as the keyword arguments of the fields that carry them under the same names, each passed
    through ``via`` when given: ``Wire(**same_named(view, "a b"), **same_named(view, "c d",
    via=format_utc), e=convert(view.f))``."""
    values = {name: getattr(source, name) for name in names.split()}
    if via is None:
        return values
    return {name: via(value) for name, value in values.items()}


#: Every wire model referenced by a route, by the provisional ``$ref`` that ``schema_ref``
#: handed out: the model and whether it is read (a request) or written (a response).
SCHEMAS: dict[str, tuple[type[BaseModel], JsonSchemaMode]] = {}

_PROVISIONAL = "#/components/schemas/~"


def schema_ref(model: type[BaseModel], mode: JsonSchemaMode = "serialization") -> dict[str, str]:
    """A ``$ref`` to ``model``'s schema in ``/openapi.json``: as the server writes it
    (``"serialization"``, a response) or as it reads it (``"validation"``, a request body).

    The reference is provisional: ``openapi_components`` names the schemas (two models of the
    same name in different modules get different names) and ``resolve_refs`` points every
    provisional reference at its schema's final name."""
    ref = f"{_PROVISIONAL}{model.__module__}.{model.__qualname__}~{mode}"
    SCHEMAS[ref] = (model, mode)
    return {"$ref": ref}


def wire_body(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """``openapi_extra`` for a JSON request body validated by ``model``."""
    return {
        "requestBody": {
            "required": required,
            "content": {"application/json": {"schema": schema_ref(model, "validation")}},
        }
    }


def number_only(value: Any) -> Any:
    """Amounts are JSON numbers: a string, boolean or float is refused (never coerced)."""
    if isinstance(value, bool | str | float):
        raise ValueError("must be a JSON number")
    return value


def _unwrapped(schema: CoreSchema) -> CoreSchema:
    """A field's core schema without the defaults and validators wrapped around its type."""
    while schema["type"] in ("default", "function-after", "function-before", "function-wrap"):
        schema = schema["schema"]
    return schema


class WireJsonSchema(GenerateJsonSchema):
    """JSON schemas of what the wire carries, as opposed to pydantic's defaults.

    * Decimals are written as exact JSON numbers (``dumps``), never strings; an amount
      (``formats.WireAmount``) is read only as a number. A plain ``Decimal`` request field
      also takes a string.
    * A response omits ``None`` fields (``WireResponse``): a nullable field is never
      required in a response schema.
    """

    def decimal_schema(self, schema: core_schema.DecimalSchema) -> JsonSchemaValue:
        if self.mode == "serialization":
            return {"type": "number"}
        return super().decimal_schema(schema)

    def function_before_schema(
        self, schema: core_schema.BeforeValidatorFunctionSchema
    ) -> JsonSchemaValue:
        generated = super().function_before_schema(schema)
        if schema["function"]["function"] is number_only and "anyOf" in generated:
            numbers: list[JsonSchemaValue] = [
                s for s in generated["anyOf"] if s.get("type") == "number"
            ]
            if len(numbers) == 1:
                return {k: v for k, v in generated.items() if k != "anyOf"} | numbers[0]
        return generated

    def field_is_required(
        self,
        field: core_schema.ModelField | core_schema.DataclassField | core_schema.TypedDictField,
        total: bool,
    ) -> bool:
        if self.mode == "serialization" and _unwrapped(field["schema"])["type"] == "nullable":
            return False
        return super().field_is_required(field, total)


def openapi_components() -> tuple[dict[str, Any], dict[str, str]]:
    """The schemas of every model ``schema_ref`` handed out (with the models they nest), and
    each provisional reference's final one."""
    refs, defs = models_json_schema(
        list(SCHEMAS.values()),
        ref_template="#/components/schemas/{model}",
        schema_generator=WireJsonSchema,
    )
    final = {ref: refs[key]["$ref"] for ref, key in SCHEMAS.items()}
    return defs.get("$defs", {}), final


def resolve_refs(node: Any, final: Mapping[str, str]) -> Any:
    """``node`` with every provisional ``$ref`` replaced by its final one."""
    if isinstance(node, dict):
        return {
            key: final.get(value, value)
            if key == "$ref" and isinstance(value, str)
            else resolve_refs(value, final)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [resolve_refs(item, final) for item in node]
    return node


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


@dataclass(frozen=True, slots=True)
class Payload:
    """The request body an operation takes."""

    media_types: tuple[str, ...] = ("application/json",)
    """Accepted Content-Types (without parameters) of a non-empty body."""
    upload: bool = False
    """A bulk upload: read up to the larger upload limit, and signed as the SDK signs a
    non-JSON body (``X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD``) when sent as one."""
    max_bytes: int | None = None
    """This operation's own body limit (a file upload's), instead of the configured one."""

    def limit(self, max_body_bytes: int, max_upload_bytes: int) -> int:
        """The largest body this operation reads."""
        if self.max_bytes is not None:
            return self.max_bytes
        return max_upload_bytes if self.upload else max_body_bytes

    def accepts_unsigned(self, content_type: str | None) -> bool:
        """Whether a signature may leave this body unsigned (never for a JSON operation)."""
        return self.upload and signing.sdk_marks_unsigned(content_type)


#: Every operation of the reference API: a JSON body (or none), signed.
JSON_PAYLOAD = Payload()


def body_too_large(limit: int) -> DomainError:
    return DomainError(
        "APIG.0201", f"Request entity too large: this API takes at most {limit} bytes."
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413 ``APIG.0201``) as soon as it is known to exceed ``limit``
    bytes: from its Content-Length before any byte is read, else (chunked) while it streams.
    Afterwards ``request.body()`` returns it without reading again."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise body_too_large(limit)
    chunks: list[bytes] = []
    received = 0
    async with aclosing(request.stream()) as stream:
        async for chunk in stream:
            received += len(chunk)
            if received > limit:
                raise body_too_large(limit)
            chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # Starlette's own cache, which request.body() and stream() answer from
    return body


def require_media_type(request: Request, raw: bytes, payload: Payload) -> None:
    """A non-empty body must be declared as one of the operation's media types: a JSON
    operation does not guess at a body sent as ``text/plain`` or a form (400 ``CBC.0100``)."""
    if not raw.strip():
        return
    declared = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if declared not in payload.media_types:
        raise DomainError(
            "CBC.0100",
            f"Invalid parameter: Content-Type. This API takes {' or '.join(payload.media_types)}"
            f", not {declared or 'a body without a Content-Type'}.",
            {"field": "Content-Type"},
        )


def validation_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first.get("loc", ())) or "body"
    return f"Invalid parameter: {field}. {first.get('msg', 'invalid value')}."


def parse_model(model: type[M], raw: bytes) -> M:
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise DomainError("CBC.0100", "Invalid parameter: the body must be a JSON object.")
    try:
        return model.model_validate(data, context=WIRE_INPUT)
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
