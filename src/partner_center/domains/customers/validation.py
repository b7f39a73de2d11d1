"""Field rules for creating customers and checking identities (rules.md §2.4,
api-semantics.md §3.2). Each function raises a DomainError with the reference code."""

from __future__ import annotations

import re
from collections.abc import Mapping

from partner_center.domains.customers.errors import CustomerErrorCode
from partner_center.kernel.errors import DomainError, invalid_parameter
from partner_center.kernel.text import check_text, check_texts

# Login name: 5–32 characters, letters/digits/_/-, starting with a letter, '_' or '-'.
_DOMAIN_NAME = re.compile(r"^[a-zA-Z_-][a-zA-Z0-9_-]*$")
# check_user_identity's name rule is a little stricter: it may not start with '_'.
_CHECK_NAME = re.compile(r"^[a-zA-Z-][a-zA-Z0-9_-]{4,31}$")
_FORBIDDEN_PREFIXES = ("op_", "shadow_")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MOBILE = re.compile(r"^\d{4}-\d+$")
_CN_MOBILE = re.compile(r"^(0086-)?1\d{10}$")
_AREA = re.compile(r"^[A-Z]{2}$")
_SPECIALS = set("~`!@#$%^&*()-_=+\\|[{}];:'\",<.>/? ")

#: ISO 3166-1 alpha-2 codes accepted for ``domain_area``.
ISO_COUNTRIES = frozenset(
    [
        "AD",
        "AE",
        "AF",
        "AG",
        "AI",
        "AL",
        "AM",
        "AO",
        "AQ",
        "AR",
        "AS",
        "AT",
        "AU",
        "AW",
        "AX",
        "AZ",
        "BA",
        "BB",
        "BD",
        "BE",
        "BF",
        "BG",
        "BH",
        "BI",
        "BJ",
        "BL",
        "BM",
        "BN",
        "BO",
        "BQ",
        "BR",
        "BS",
        "BT",
        "BV",
        "BW",
        "BY",
        "BZ",
        "CA",
        "CC",
        "CD",
        "CF",
        "CG",
        "CH",
        "CI",
        "CK",
        "CL",
        "CM",
        "CN",
        "CO",
        "CR",
        "CU",
        "CV",
        "CW",
        "CX",
        "CY",
        "CZ",
        "DE",
        "DJ",
        "DK",
        "DM",
        "DO",
        "DZ",
        "EC",
        "EE",
        "EG",
        "EH",
        "ER",
        "ES",
        "ET",
        "FI",
        "FJ",
        "FK",
        "FM",
        "FO",
        "FR",
        "GA",
        "GB",
        "GD",
        "GE",
        "GF",
        "GG",
        "GH",
        "GI",
        "GL",
        "GM",
        "GN",
        "GP",
        "GQ",
        "GR",
        "GS",
        "GT",
        "GU",
        "GW",
        "GY",
        "HK",
        "HM",
        "HN",
        "HR",
        "HT",
        "HU",
        "ID",
        "IE",
        "IL",
        "IM",
        "IN",
        "IO",
        "IQ",
        "IR",
        "IS",
        "IT",
        "JE",
        "JM",
        "JO",
        "JP",
        "KE",
        "KG",
        "KH",
        "KI",
        "KM",
        "KN",
        "KP",
        "KR",
        "KW",
        "KY",
        "KZ",
        "LA",
        "LB",
        "LC",
        "LI",
        "LK",
        "LR",
        "LS",
        "LT",
        "LU",
        "LV",
        "LY",
        "MA",
        "MC",
        "MD",
        "ME",
        "MF",
        "MG",
        "MH",
        "MK",
        "ML",
        "MM",
        "MN",
        "MO",
        "MP",
        "MQ",
        "MR",
        "MS",
        "MT",
        "MU",
        "MV",
        "MW",
        "MX",
        "MY",
        "MZ",
        "NA",
        "NC",
        "NE",
        "NF",
        "NG",
        "NI",
        "NL",
        "NO",
        "NP",
        "NR",
        "NU",
        "NZ",
        "OM",
        "PA",
        "PE",
        "PF",
        "PG",
        "PH",
        "PK",
        "PL",
        "PM",
        "PN",
        "PR",
        "PS",
        "PT",
        "PW",
        "PY",
        "QA",
        "RE",
        "RO",
        "RS",
        "RU",
        "RW",
        "SA",
        "SB",
        "SC",
        "SD",
        "SE",
        "SG",
        "SH",
        "SI",
        "SJ",
        "SK",
        "SL",
        "SM",
        "SN",
        "SO",
        "SR",
        "SS",
        "ST",
        "SV",
        "SX",
        "SY",
        "SZ",
        "TC",
        "TD",
        "TF",
        "TG",
        "TH",
        "TJ",
        "TK",
        "TL",
        "TM",
        "TN",
        "TO",
        "TR",
        "TT",
        "TV",
        "TW",
        "TZ",
        "UA",
        "UG",
        "UM",
        "US",
        "UY",
        "UZ",
        "VA",
        "VC",
        "VE",
        "VG",
        "VI",
        "VN",
        "VU",
        "WF",
        "WS",
        "YE",
        "YT",
        "ZA",
        "ZM",
        "ZW",
    ]
)


def check_plain_text(record: Mapping[str, object]) -> None:
    """``CBC.0100`` for a NUL or other control character in any text input of ``record`` (the
    fields of a request as a mapping): the same rule the API applies to every body string, for
    the paths that do not come through HTTP (CLI, provisioning, demo)."""
    check_texts(record)


def check_domain_name(name: str) -> None:
    """``CBC.99000031`` unless 5–32 chars, the allowed alphabet, no reserved prefix, not digits."""
    lowered = name.lower()
    if (
        not 5 <= len(name) <= 32
        or not _DOMAIN_NAME.fullmatch(name)
        or lowered.startswith(_FORBIDDEN_PREFIXES)
        or name.isdigit()
    ):
        raise DomainError(
            CustomerErrorCode.ACCOUNT_NAME_INVALID,
            "The account name is invalid: use 5 to 32 letters, digits, '_' or '-', start with a "
            "letter, '_' or '-', not all digits, and not starting with 'op_' or 'shadow_'.",
        )


def check_password(
    password: str, *, account_name: str, email: str | None, mobile: str | None
) -> None:
    """``CBC.99000036`` unless the password policy of rules.md §2.4.4 holds."""
    classes = sum(
        [
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(c in _SPECIALS for c in password),
        ]
    )
    reasons = []
    if not 8 <= len(password) <= 32:
        reasons.append("8 to 32 characters")
    if classes < 2:
        reasons.append("at least two of upper-case, lower-case, digits and special characters")
    if password.lower() in (account_name.lower(), account_name[::-1].lower()):
        reasons.append("not the account name or the account name reversed")
    if email and email.lower() in password.lower():
        reasons.append("not containing the e-mail address")
    digits = (mobile or "").split("-")[-1]
    if digits and digits in password:
        reasons.append("not containing the mobile number")
    if reasons:
        raise DomainError(
            CustomerErrorCode.PASSWORD_INVALID,
            "The password format is invalid: it must be " + "; ".join(reasons) + ".",
        )


def check_email(email: str, field: str = "email") -> None:
    check_text(field, email)
    if len(email) > 255 or not _EMAIL.fullmatch(email):
        raise invalid_parameter(field, "Not a valid e-mail address.")


def check_cn_mobile(mobile: str) -> str:
    """China-site mobile numbers; ``CBC.5017`` otherwise. Returns the bare 11-digit number."""
    if len(mobile) > 32 or not _CN_MOBILE.fullmatch(mobile):
        raise DomainError(
            CustomerErrorCode.MOBILE_INVALID,
            "The mobile number format is invalid: use a Chinese mobile number.",
        )
    return mobile.split("-")[-1]


def check_domain_area(area: str) -> None:
    if not _AREA.fullmatch(area) or area not in ISO_COUNTRIES:
        raise invalid_parameter("domain_area", "Use an ISO 3166-1 alpha-2 code such as MX.")


def check_identity_value(search_type: str, value: str, *, site: str) -> str:
    """Validate a check_user_identity value; returns it normalised for lookup."""
    if not value or len(value) > 64:
        raise invalid_parameter("search_value", "Required, at most 64 characters.")
    if search_type == "email":
        check_email(value, "search_value")
        return value.lower()
    if search_type == "mobile":
        if not _MOBILE.fullmatch(value):
            raise invalid_parameter("search_value", "Mobile numbers look like 0086-13800000000.")
        if site == "cn" and not value.startswith("0086-"):
            raise invalid_parameter("search_value", "Only the country code 0086 is supported.")
        return value
    if search_type == "name":
        lowered = value.lower()
        if (
            not _CHECK_NAME.fullmatch(value)
            or lowered.startswith(_FORBIDDEN_PREFIXES)
            or value.isdigit()
        ):
            raise invalid_parameter(
                "search_value",
                "Names are 5-32 letters, digits, '_' or '-', start with a letter or '-', are not "
                "all digits and do not start with 'op_' or 'shadow_'.",
            )
        return value
    raise invalid_parameter("search_type", "Use email, mobile or name.")
