"""Restrictions of quotas and coupons (the reference's ``limit_infos`` / ``use_limits``).

A quota carries restrictions; the coupons issued from it inherit them and may only narrow the
scope (rules.md §7.2). Wire form: ``{limit_key, limit_values: [{value1, value2}]}``, one value per
allowed item; the keys are the camelCase names below.

Scope keys (``cloudServiceType``, ``regionCode``, ``productId``, ``subscribeType``): absent means
"any". Quota-only keys steer issuing: ``minFaceValue`` / ``maxFaceValue`` (per coupon),
``maxCouponCount`` (coupons the quota may issue in total), ``firstTimeAssociatedOnly`` ("1": only
customers in their first association, associated after the quota took effect). Use keys travel to
coupons: ``usageTimes`` (orders one coupon may pay; 0 = unlimited), ``minConsumeDiscount`` (an order
line discounted below this ratio of its list price cannot use the coupon),
``simultaneousUseWithDiscount`` ("0": not on discounted lines), ``maxDeductionRatio`` (share of
a yearly/monthly order the coupon may pay, rules.md §7.10).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from partner_center.domains.coupons.errors import CouponErrorCode, coupon_error
from partner_center.kernel.errors import invalid_parameter
from partner_center.kernel.money import decimal_places

#: At most this many cloud service types / product ids on one coupon (rules.md §7.2).
MAX_SCOPE_ITEMS = 10
#: Longest value of one restriction item (service type codes, region codes, product ids).
MAX_VALUE_LENGTH = 64
#: At most this many values under one limit key of a quota.
MAX_VALUES_PER_KEY = 100


class LimitKey(enum.StrEnum):
    CLOUD_SERVICE_TYPE = "cloudServiceType"
    REGION = "regionCode"
    PRODUCT = "productId"
    SUBSCRIBE_TYPE = "subscribeType"
    USAGE_TIMES = "usageTimes"
    MIN_FACE_VALUE = "minFaceValue"
    MAX_FACE_VALUE = "maxFaceValue"
    MAX_COUPON_COUNT = "maxCouponCount"
    FIRST_ASSOCIATION_ONLY = "firstTimeAssociatedOnly"
    MIN_DISCOUNT_RATIO = "minConsumeDiscount"
    COMBINABLE_WITH_DISCOUNT = "simultaneousUseWithDiscount"
    MAX_DEDUCTION_RATIO = "maxDeductionRatio"


class SubscribeType(enum.StrEnum):
    """What an order does, as the reference's ``order_type`` codes."""

    NEW = "1"
    RENEW = "2"
    CHANGE = "3"


@dataclass(frozen=True, slots=True)
class LimitInfo:
    """One ``limit_info``: a key and its values (``value1``, optional ``value2``)."""

    limit_key: str
    limit_values: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True, slots=True)
class Restrictions:
    """What a quota or coupon allows. ``None`` scope sets mean "no restriction"."""

    cloud_service_types: frozenset[str] | None = None
    regions: frozenset[str] | None = None
    product_ids: frozenset[str] | None = None
    subscribe_types: frozenset[SubscribeType] | None = None
    usage_times: int = 0
    """Orders one coupon may pay; 0 = unlimited."""
    min_face_value: Decimal | None = None
    max_face_value: Decimal | None = None
    max_coupon_count: int | None = None
    first_association_only: bool = False
    min_discount_ratio: Decimal | None = None
    """In (0, 1]: a line paid at less than this share of its list price cannot use the coupon."""
    combinable_with_discount: bool = True
    max_deduction_ratio: Decimal | None = None
    """In (0, 1]: the coupon pays at most this share of a yearly/monthly order's net amount."""

    # -- wire form ---------------------------------------------------------------------------

    @classmethod
    def parse(cls, infos: Sequence[LimitInfo]) -> Restrictions:
        """Validate ``limit_infos`` (``CBC.0100`` naming the key at fault)."""
        seen: set[str] = set()
        found = cls()
        for info in infos:
            try:
                key = LimitKey(info.limit_key)
            except ValueError as exc:
                raise invalid_parameter(
                    "limit_infos.limit_key",
                    f"Unknown key {info.limit_key!r}; use one of "
                    f"{', '.join(k.value for k in LimitKey)}.",
                ) from exc
            if key.value in seen:
                raise invalid_parameter("limit_infos.limit_key", f"{key.value} is given twice.")
            seen.add(key.value)
            values = [v1 for v1, _ in info.limit_values]
            if not values or len(values) > MAX_VALUES_PER_KEY:
                raise invalid_parameter(
                    f"limit_infos.{key.value}", f"Give 1 to {MAX_VALUES_PER_KEY} values."
                )
            found = _with_key(found, key, values)
        if (
            found.min_face_value is not None
            and found.max_face_value is not None
            and found.min_face_value > found.max_face_value
        ):
            raise invalid_parameter("limit_infos.minFaceValue", "Must not exceed maxFaceValue.")
        return found

    def limit_infos(self, *, for_coupon: bool = False) -> list[LimitInfo]:
        """The wire form; ``for_coupon`` leaves out the keys that only steer issuing."""
        out: list[LimitInfo] = []

        def add(key: LimitKey, values: Iterable[str]) -> None:
            out.append(LimitInfo(key.value, tuple((v, None) for v in values)))

        for key, scope in (
            (LimitKey.CLOUD_SERVICE_TYPE, self.cloud_service_types),
            (LimitKey.REGION, self.regions),
            (LimitKey.PRODUCT, self.product_ids),
        ):
            if scope is not None:
                add(key, sorted(scope))
        if self.subscribe_types is not None:
            add(LimitKey.SUBSCRIBE_TYPE, sorted(t.value for t in self.subscribe_types))
        if self.usage_times:
            add(LimitKey.USAGE_TIMES, [str(self.usage_times)])
        if not for_coupon:
            if self.min_face_value is not None:
                add(LimitKey.MIN_FACE_VALUE, [f"{self.min_face_value:f}"])
            if self.max_face_value is not None:
                add(LimitKey.MAX_FACE_VALUE, [f"{self.max_face_value:f}"])
            if self.max_coupon_count is not None:
                add(LimitKey.MAX_COUPON_COUNT, [str(self.max_coupon_count)])
            if self.first_association_only:
                add(LimitKey.FIRST_ASSOCIATION_ONLY, ["1"])
        if self.min_discount_ratio is not None:
            add(LimitKey.MIN_DISCOUNT_RATIO, [f"{self.min_discount_ratio:f}"])
        if not self.combinable_with_discount:
            add(LimitKey.COMBINABLE_WITH_DISCOUNT, ["0"])
        if self.max_deduction_ratio is not None:
            add(LimitKey.MAX_DEDUCTION_RATIO, [f"{self.max_deduction_ratio:f}"])
        return out

    # -- storage -----------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            info.limit_key: [value for value, _ in info.limit_values] for info in self.limit_infos()
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Restrictions:
        found = cls()
        for key, values in (data or {}).items():
            found = _with_key(found, LimitKey(key), [str(v) for v in values])
        return found

    # -- issuing -----------------------------------------------------------------------------

    def check_face_value(self, face_value: Decimal) -> None:
        """``CBC.99000018`` / ``CBC.99000019`` outside the quota's per-coupon bounds."""
        if self.min_face_value is not None and face_value < self.min_face_value:
            raise coupon_error(
                CouponErrorCode.FACE_VALUE_BELOW_MIN,
                f"The face value {face_value:f} is below the quota's minimum "
                f"{self.min_face_value:f}.",
            )
        if self.max_face_value is not None and face_value > self.max_face_value:
            raise coupon_error(
                CouponErrorCode.FACE_VALUE_ABOVE_MAX,
                f"The face value {face_value:f} is above the quota's maximum "
                f"{self.max_face_value:f}.",
            )

    def narrowed(
        self,
        *,
        cloud_service_types: Sequence[str] | None,
        product_ids: Sequence[str] | None,
        subscribe_types: Sequence[str] | None,
    ) -> Restrictions:
        """A coupon's restrictions: the quota's, narrowed by what the issuer asked for.

        Raises:
            DomainError: ``CBC.0100`` malformed lists; ``CBC.99000023`` service types or
                products outside the quota's; ``CBC.99000024`` subscribe types outside them.
        """
        result = replace(
            self,
            min_face_value=None,
            max_face_value=None,
            max_coupon_count=None,
            first_association_only=False,
        )
        if cloud_service_types:
            result = replace(
                result,
                cloud_service_types=_narrow(
                    "cloud_service_types", cloud_service_types, self.cloud_service_types
                ),
            )
        if product_ids:
            result = replace(
                result, product_ids=_narrow("product_ids", product_ids, self.product_ids)
            )
        if subscribe_types:
            wanted = _subscribe_types("subscribe_types", subscribe_types)
            if self.subscribe_types is not None and not wanted <= self.subscribe_types:
                raise coupon_error(
                    CouponErrorCode.SUBSCRIBE_TYPE_WIDER_THAN_QUOTA,
                    "The coupon's subscribe types exceed the quota's restriction.",
                    field="subscribe_types",
                )
            result = replace(result, subscribe_types=wanted)
        return result


def _narrow(field: str, asked: Iterable[str], allowed: frozenset[str] | None) -> frozenset[str]:
    """``asked`` as a scope set; ``CBC.99000023`` if it reaches beyond ``allowed``."""
    items = _scope_values(field, asked, max_items=MAX_SCOPE_ITEMS)
    if allowed is not None and not items <= allowed:
        outside = ", ".join(sorted(items - allowed))
        raise coupon_error(
            CouponErrorCode.SCOPE_WIDER_THAN_QUOTA,
            f"The coupon's {field} ({outside}) exceed the quota's restrictions.",
            field=field,
        )
    return items


def _scope_values(field: str, values: Iterable[str], *, max_items: int) -> frozenset[str]:
    items = [v.strip() for v in values]
    if len(items) > max_items:
        raise invalid_parameter(field, f"At most {max_items} items.")
    if any(not v or len(v) > MAX_VALUE_LENGTH for v in items):
        raise invalid_parameter(field, f"Items are 1 to {MAX_VALUE_LENGTH} characters.")
    if len(set(items)) != len(items):
        raise invalid_parameter(field, "Items must not repeat.")
    return frozenset(items)


def _subscribe_types(field: str, values: Iterable[str]) -> frozenset[SubscribeType]:
    try:
        return frozenset(SubscribeType(v) for v in values)
    except ValueError as exc:
        raise invalid_parameter(field, "Use 1 (new), 2 (renew) or 3 (change).") from exc


def _single(field: str, values: list[str]) -> str:
    if len(values) != 1:
        raise invalid_parameter(field, "Takes exactly one value.")
    return values[0]


def _count(field: str, values: list[str], *, minimum: int) -> int:
    text = _single(field, values)
    if not text.isdigit() or int(text) < minimum or int(text) > 2_147_483_647:
        raise invalid_parameter(field, f"Use a whole number of at least {minimum}.")
    return int(text)


def _decimal(field: str, values: list[str]) -> Decimal:
    text = _single(field, values)
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise invalid_parameter(field, "Not a number.") from exc
    if not value.is_finite():
        raise invalid_parameter(field, "Not a number.")
    return value


def _ratio(field: str, values: list[str]) -> Decimal:
    value = _decimal(field, values)
    if value <= 0 or value > 1 or decimal_places(value) > 4:
        raise invalid_parameter(field, "Use a ratio in (0, 1] with at most 4 decimals.")
    return value


def _amount(field: str, values: list[str]) -> Decimal:
    value = _decimal(field, values)
    if value <= 0 or decimal_places(value) > 2:
        raise invalid_parameter(field, "Use an amount > 0 with at most 2 decimals.")
    return value


def _flag(field: str, values: list[str]) -> bool:
    text = _single(field, values)
    if text not in ("0", "1"):
        raise invalid_parameter(field, "Use 1 (yes) or 0 (no).")
    return text == "1"


def _with_key(found: Restrictions, key: LimitKey, values: list[str]) -> Restrictions:
    field = f"limit_infos.{key.value}"
    if key is LimitKey.CLOUD_SERVICE_TYPE:
        return replace(
            found,
            cloud_service_types=_scope_values(field, values, max_items=MAX_VALUES_PER_KEY),
        )
    if key is LimitKey.REGION:
        return replace(found, regions=_scope_values(field, values, max_items=MAX_VALUES_PER_KEY))
    if key is LimitKey.PRODUCT:
        return replace(
            found, product_ids=_scope_values(field, values, max_items=MAX_VALUES_PER_KEY)
        )
    if key is LimitKey.SUBSCRIBE_TYPE:
        return replace(found, subscribe_types=_subscribe_types(field, values))
    if key is LimitKey.USAGE_TIMES:
        return replace(found, usage_times=_count(field, values, minimum=0))
    if key is LimitKey.MIN_FACE_VALUE:
        return replace(found, min_face_value=_amount(field, values))
    if key is LimitKey.MAX_FACE_VALUE:
        return replace(found, max_face_value=_amount(field, values))
    if key is LimitKey.MAX_COUPON_COUNT:
        return replace(found, max_coupon_count=_count(field, values, minimum=1))
    if key is LimitKey.FIRST_ASSOCIATION_ONLY:
        return replace(found, first_association_only=_flag(field, values))
    if key is LimitKey.MIN_DISCOUNT_RATIO:
        return replace(found, min_discount_ratio=_ratio(field, values))
    if key is LimitKey.COMBINABLE_WITH_DISCOUNT:
        return replace(found, combinable_with_discount=_flag(field, values))
    return replace(found, max_deduction_ratio=_ratio(field, values))
