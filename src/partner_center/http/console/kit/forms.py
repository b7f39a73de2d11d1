"""Errors shown beside the field at fault: a ``DomainError`` becomes a ``FormErrors`` keyed by the
API's field name (the console names its inputs as the API names its fields), with the same
error code the API answers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from partner_center.kernel.errors import DomainError, invalid_parameter

_FIELD_IN_MESSAGE = re.compile(r"Invalid parameter: ([A-Za-z_][\w.\[\]]*)")


@dataclass(frozen=True, slots=True)
class FieldError:
    code: str
    message: str


@dataclass
class FormErrors:
    """Errors of one submitted form: per field, and ``general`` for the rest."""

    fields: dict[str, FieldError] = field(default_factory=dict)
    general: FieldError | None = None

    @classmethod
    def of(cls, exc: DomainError, *, known: frozenset[str] = frozenset()) -> FormErrors:
        """Place ``exc`` beside its field (``details["field"]`` or the field its ``CBC.0100``
        message names, ``emails[2]`` counting as ``emails``) when the form has that field."""
        error = FieldError(exc.code, exc.message)
        name = exc.details.get("field") if isinstance(exc.details.get("field"), str) else None
        if name is None and (match := _FIELD_IN_MESSAGE.search(exc.message)):
            name = match.group(1)
        if name is not None:
            plain = name.split("[")[0]
            for candidate in (plain, plain.split(".")[-1], plain.split(".")[0]):
                if candidate in known:
                    return cls(fields={candidate: error})
        return cls(general=error)

    def __bool__(self) -> bool:
        return bool(self.fields) or self.general is not None

    def get(self, name: str) -> FieldError | None:
        return self.fields.get(name)


def decimal_field(text: str, field: str) -> Decimal:
    """A number the person typed (``1,234.50`` too); the service checks its range and scale."""
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation as exc:
        raise invalid_parameter(field, "Enter a number, such as 1000 or 99.50.") from exc
