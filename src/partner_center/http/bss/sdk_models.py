"""Wire models generated from the official SDK's shapes (``api_surface.json``, a copy of
../shared/spec/api-surface.json): the one source of truth for the names and types of the fields
the SDK's request, response and nested model classes carry.

A wire model is still a class statement, named after the SDK model class it mirrors, so that
mypy and readers see it; ``sdk_model`` fills in its fields from the surface. The class body
declares only what the surface cannot say: a constraint, a description, a type other than the
SDK's (an exact ``Decimal`` amount, a nested model of our own name), a field the SDK lacks::

    @sdk_model(required="*")
    class ListPartnerAdjustRecordsResponse(WireModel):
        pass  # records: list[AdjustRecordV3], total_count: int, both always written


    @sdk_model()
    class AdjustRecordV3(WireModel):
        operation_time: str | None = Field(default=None, description="UTC")

How a field not declared in the body is built from its SDK type:

* ``str``, ``int``, ``bool`` as they are; ``float`` and ``Decimal`` as ``Decimal`` (money is exact
  here, never a float); ``list[X]`` as a list; a nested SDK model ``X`` as the class of that name
  in the decorated class's module (or the one declared there with ``sdk="X"``), else as the one
  wire model of that name elsewhere, else as a class ``X`` declared further down the module.
* optional (``T | None = None``) unless ``required`` names it (``"*"``: every field).

Which fields, in which order: the SDK model's, in its order, unless ``fields`` lists them (a
subset we write, or another order) or ``omit`` names those we do not write. Fields inherited from
a base class count as declared in the body, so a model that differs from another by a field or
two states only that. A class that reads its own fields (a request body a handler reads) keeps
them declared, so that mypy sees them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import astuple, dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, ForwardRef, Optional, TypeVar, cast

from pydantic import BaseModel, create_model
from pydantic.fields import FieldInfo

W = TypeVar("W", bound=BaseModel)


_SCALARS: Mapping[str, type] = {
    "str": str,
    "int": int,
    "bool": bool,
    "float": Decimal,
    "decimal.Decimal": Decimal,
    "object": object,
}


def _response_type(field: Mapping[str, Any]) -> str:
    """An operation's response field's type, spelled as the models' types are."""
    if field["type"] == "array":
        items = field["items"]
        return f"list[{items.get('model') or items['py_type']}]"
    if field["type"] == "object" and field.get("model"):
        return str(field["model"])
    return str(field.get("py_type") or "object")


@cache
def surface() -> Mapping[str, Any]:
    """The SDK surface: operations and models of both clients (``bss``, ``bssintl``)."""
    text = resources.files(__package__).joinpath("api_surface.json").read_text(encoding="utf-8")
    loaded: Mapping[str, Any] = json.loads(text)
    return loaded


@cache
def sdk_fields() -> Mapping[str, Mapping[str, str]]:
    """Every SDK model's fields and their types, in the SDK's order: request bodies and nested
    models from both clients (``bss`` first; a field only ``bssintl`` has comes after), response
    models from the operations."""
    models: dict[str, dict[str, str]] = {}
    for client in ("bss", "bssintl"):
        for name, fields in surface()["models"][client].items():
            into = models.setdefault(name, {})
            for field, described in fields.items():
                into.setdefault(field, described["type"])
    for op in surface()["operations"]:
        models.setdefault(
            op["response_model"], {f["name"]: _response_type(f) for f in op["response"]}
        )
    return models


def _subclasses(base: type[BaseModel]) -> list[type[BaseModel]]:
    found = []
    for sub in base.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def _sdk_name(model: type) -> str | None:
    """The SDK model a class mirrors: the one it was generated from, else its name; none for
    a class a generated one replaced."""
    own = vars(model)
    if "__sdk_replaced__" in own:
        return None
    return str(own.get("__sdk_name__", model.__name__))


def _python_type(sdk_type: str, module: Mapping[str, Any], base: type[BaseModel]) -> Any:
    """The Python type of an SDK type, a nested model being (in this order) the class of that
    name (or declared with that SDK name) in ``module``, the one ``base`` model elsewhere with
    that name, or a forward reference to a class declared further down ``module``."""
    if sdk_type.startswith("list[") and sdk_type.endswith("]"):
        return list[_python_type(sdk_type[5:-1], module, base)]  # type: ignore[misc]
    if sdk_type in _SCALARS:
        return _SCALARS[sdk_type]
    named = module.get(sdk_type)
    if isinstance(named, type) and issubclass(named, BaseModel):
        return named
    for value in module.values():
        if isinstance(value, type) and _sdk_name(value) == sdk_type:
            return value
    elsewhere = {model for model in _subclasses(base) if _sdk_name(model) == sdk_type}
    if len(elsewhere) == 1:
        return elsewhere.pop()
    return ForwardRef(sdk_type)


def _decorators(cls: type[BaseModel]) -> set[str]:
    """The names of ``cls``'s validators, serializers and computed fields."""
    found = cls.__pydantic_decorators__
    return {name for kind in astuple(found) for name in kind}


def _fieldless_base(cls: type[BaseModel]) -> type[BaseModel]:
    """The nearest base of ``cls`` that declares no field: the generated model's base. The
    classes between contribute fields only (a validator there would be lost)."""
    for base in cls.__mro__[1:]:
        if issubclass(base, BaseModel) and not base.model_fields:
            if _decorators(cls) != _decorators(base):
                raise TypeError(f"{cls.__qualname__}: only fields may be declared with sdk_model")
            return base
    raise TypeError(f"{cls.__qualname__}: no field-less wire base")


@dataclass(frozen=True)
class SdkModel:
    """The decorator ``sdk_model`` returns: what it was told, applied to a class."""

    sdk: str | None
    fields: str | None
    omit: str
    required: str

    def __call__(self, cls: type[W]) -> type[W]:
        sdk_name = self.sdk or cls.__name__
        shape = sdk_fields().get(sdk_name)
        if shape is None:
            raise TypeError(f"{cls.__qualname__}: the SDK has no model {sdk_name}")
        declared = cls.model_fields
        if self.fields is not None:
            names = self.fields.split()
        else:
            names = [n for n in shape if n not in self.omit.split()]
            names += [n for n in declared if n not in shape]
        if unused := declared.keys() - set(names):
            raise TypeError(f"{cls.__qualname__}: {sorted(unused)} declared but not listed")
        always = set(shape) if self.required == "*" else set(self.required.split())
        module = vars(sys.modules[cls.__module__])
        base = _fieldless_base(cls)
        setattr(cls, "__sdk_replaced__", True)  # noqa: B010 (a self-reference is to the new one)
        definitions: dict[str, Any] = {}
        for name in names:
            if name in declared:
                info: FieldInfo = declared[name]
                definitions[name] = (info.annotation, info)
            elif name not in shape:
                raise TypeError(f"{cls.__qualname__}: the SDK's {sdk_name} has no {name}")
            elif name in always:
                definitions[name] = (_python_type(shape[name], module, base), ...)
            else:
                nullable: Any = Optional[_python_type(shape[name], module, base)]  # noqa: UP045
                definitions[name] = (nullable, None)
        generated = create_model(
            cls.__name__,
            __base__=base,
            __module__=cls.__module__,
            __doc__=cls.__doc__,
            **definitions,
        )
        generated.__qualname__ = cls.__qualname__
        setattr(generated, "__sdk_name__", sdk_name)  # noqa: B010 (read by _sdk_name)
        return cast(type[W], generated)


def sdk_model(
    *,
    sdk: str | None = None,
    fields: str | None = None,
    omit: str = "",
    required: str = "",
) -> SdkModel:
    """Fill the decorated class's fields from the SDK model ``sdk`` (by default the class's own
    name): ``fields`` (names separated by spaces) picks and orders them, or ``omit`` leaves some
    of the SDK's out; ``required`` names the ones that are always there (``"*"``: all). See the
    module's docstring."""
    return SdkModel(sdk=sdk, fields=fields, omit=omit, required=required)
