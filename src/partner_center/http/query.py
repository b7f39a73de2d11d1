"""The one query-string parser: a pydantic model per operation's query string.

An operation takes its query string by declaring a parameter typed with a ``QueryModel``
subclass; ``parse_query`` fills it (a list field collects a repeated key, ``k=v1&k=v2``) and
answers a bad value with ``CBC.0100`` naming the field, and ``query_parameters`` documents the
fields in ``/openapi.json``.

What a value means is the field's type:

* ``str | None`` — the text as sent; ``""`` stays ``""`` (a handler decides whether an empty
  filter means "no filter" or is refused, api-semantics.md §1.4). ``TextFilter``: ``""`` is
  absent.
* ``Int`` — a whole number; ``""`` is refused. ``IntOrBlank`` — the same, ``""`` = absent.
* ``Annotated[Int, NOT_BLANK]`` — ``""`` refused with "An empty value is not allowed".
* ``Annotated[SomeEnum | None, CHOICE]`` — one of the enumeration's values; ``""`` = absent.
* plain pydantic types (``int | None``, ``list[str] | None``) — pydantic's own rules and
  messages.

How a field is documented: ``openapi_style = "plain"`` (the default) shows ``{"type": "string"}``
or ``{"type": "integer"}`` plus what ``Doc`` adds; ``"schema"`` shows the field's JSON schema.
``Doc(required=True)`` documents a parameter the handler requires with its own message;
``UNDOCUMENTED`` keeps a parameter out of ``/openapi.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal, TypeVar, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    WrapValidator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError
from pydantic_core.core_schema import ValidatorFunctionWrapHandler
from starlette.datastructures import QueryParams

from partner_center.http.wire import validation_message
from partner_center.kernel.errors import DomainError

Q = TypeVar("Q", bound="QueryModel")


class QueryModel(BaseModel):
    """Base of the query-string models: unknown keys are ignored (as the reference does)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    openapi_style: ClassVar[Literal["plain", "schema"]] = "plain"


@dataclass(frozen=True)
class Doc:
    """How ``/openapi.json`` shows a parameter: its description, whether it is required (the
    handler enforces it with its own message), and JSON-schema keywords for the ``plain`` style
    (``type`` overrides the type derived from the annotation)."""

    description: str | None = None
    required: bool = False
    schema: Mapping[str, Any] = field(default_factory=dict)


class _Undocumented:
    """Marks a parameter that ``/openapi.json`` does not list (yet)."""

    def __repr__(self) -> str:
        return "UNDOCUMENTED"


UNDOCUMENTED = _Undocumented()


# -- value types --------------------------------------------------------------------------------


def _whole_number(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        raise PydanticCustomError("integer", "Must be an integer") from None


def _blank_is_absent(value: Any) -> Any:
    return None if value == "" else value


BLANK_IS_ABSENT = BeforeValidator(_blank_is_absent)
"""On any field: ``""`` reads as absent."""

Int = Annotated[int | None, BeforeValidator(_whole_number)]
"""A whole number; ``""`` is refused ("Must be an integer")."""

IntOrBlank = Annotated[Int, BLANK_IS_ABSENT]
"""A whole number; ``""`` reads as absent."""

TextFilter = Annotated[str | None, BLANK_IS_ABSENT]
"""A free-text or id filter: ``""`` means no filter (api-semantics.md §1.4)."""


RowOffset = Annotated[IntOrBlank, Doc("Rows to skip, default 0", schema={"minimum": 0})]
"""The ``offset`` of the extension lists: rows to skip; ``""`` reads as absent."""

RowLimit = Annotated[
    IntOrBlank, Doc("Rows, 1–100, default 10", schema={"minimum": 1, "maximum": 100})
]
"""The ``limit`` of the extension lists: rows per page; ``""`` reads as absent."""


def _choice(value: Any, handler: ValidatorFunctionWrapHandler, _info: ValidationInfo) -> Any:
    if value is None or value == "":
        return None
    try:
        return handler(value)
    except ValidationError:
        raise PydanticCustomError("choice", "Not one of the documented values") from None


def _not_blank(value: Any) -> Any:
    if value == "":
        raise PydanticCustomError("blank", "An empty value is not allowed")
    return value


NOT_BLANK = BeforeValidator(_not_blank)
"""On any field: ``""`` is refused ("An empty value is not allowed")."""

CHOICE = WrapValidator(_choice)
"""On an enumeration field: ``""`` reads as absent; another value is "Not one of the
documented values"."""


# -- parsing ----------------------------------------------------------------------------------


def _is_list(annotation: Any) -> bool:
    """``list[...]`` or ``list[...] | None``."""
    if get_origin(annotation) is list:
        return True
    return any(get_origin(arg) is list for arg in get_args(annotation))


def parse_query(model: type[Q], params: QueryParams) -> Q:
    """The query string as ``model``; ``CBC.0100`` naming the first field at fault."""
    lists = {name for name, info in model.model_fields.items() if _is_list(info.annotation)}
    data: dict[str, Any] = {}
    for key, value in params.multi_items():
        if key in lists:
            data.setdefault(key, []).append(value)
        else:
            data[key] = value
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ()))
        raise DomainError("CBC.0100", validation_message(exc), {"field": loc}) from exc


# -- documentation ----------------------------------------------------------------------------


def _doc(info: FieldInfo) -> Doc:
    return next((m for m in info.metadata if isinstance(m, Doc)), Doc())


def _plain_type(annotation: Any) -> dict[str, Any]:
    """``integer`` for whole numbers, ``string`` for anything else."""
    args = [a for a in get_args(annotation) if a is not type(None)] or [annotation]
    return {"type": "integer" if args[0] is int else "string"}


def query_parameters(model: type[QueryModel]) -> list[dict[str, Any]]:
    """The OpenAPI ``parameters`` of ``model``'s fields, in their order."""
    properties = model.model_json_schema().get("properties", {})
    out: list[dict[str, Any]] = []
    for name, info in model.model_fields.items():
        if any(m is UNDOCUMENTED for m in info.metadata):
            continue
        doc = _doc(info)
        if model.openapi_style == "schema":
            schema = properties[name]
        else:
            schema = _plain_type(info.annotation) | dict(doc.schema)
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": doc.required,
            "schema": schema,
        }
        description = doc.description or info.description
        if description:
            parameter["description"] = description
        if _is_list(info.annotation) and model.openapi_style == "schema":
            parameter["explode"] = True
        out.append(parameter)
    return out


Offset = Annotated[Int, Doc("0-based row offset, default 0")]
Limit = Annotated[Int, Doc("page size 1-100, default 10")]


class PageQuery(QueryModel):
    """A query string of an offset/limit page only (``kernel.pagination.page`` checks them)."""

    offset: Offset = None
    limit: Limit = None
