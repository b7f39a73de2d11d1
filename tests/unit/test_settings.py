"""Settings: each is read from its environment variable (or given by its field name), keeps
its bounds, and has a row in README.md's configuration table."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from partner_center.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def _env_names() -> dict[str, str]:
    return {name: str(field.validation_alias) for name, field in Settings.model_fields.items()}


def test_every_setting_has_its_row_in_the_readme_table() -> None:
    rows = [
        line.split("|")[1] for line in README.read_text().splitlines() if line.startswith("| `")
    ]
    documented = set(re.findall(r"`([A-Z0-9_]+)`", " ".join(rows)))
    assert set(_env_names().values()) == documented


def test_environment_variables_set_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTNER_CENTER_RATE_LIMIT", "3")
    monkeypatch.setenv("PARTNER_CENTER_SANDBOX", "true")
    monkeypatch.setenv("PARTNER_CENTER_BILL_TAX_RATE", "0.06")
    monkeypatch.setenv("SMTP_PORT", "465")
    settings = Settings()
    assert settings.rate_limit_per_second == 3
    assert settings.sandbox is True
    assert settings.bill_tax_rate == Decimal("0.06")
    assert settings.smtp_port == 465
    assert Settings(rate_limit_per_second=7).rate_limit_per_second == 7


def test_defaults_and_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _env_names().values():
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert (settings.currency, settings.billing_timezone) == ("USD", "Asia/Shanghai")
    assert (settings.max_body_bytes, settings.online_payment_limit) == (1_048_576, 40000)
    assert settings.db_pool_size is None and settings.data_dir == Path("var")
    monkeypatch.setenv("PARTNER_CENTER_MAX_BODY_BYTES", "10")
    with pytest.raises(ValidationError, match="PARTNER_CENTER_MAX_BODY_BYTES"):
        Settings()
    monkeypatch.delenv("PARTNER_CENTER_MAX_BODY_BYTES")
    with pytest.raises(ValidationError, match="bill_tax_rate"):
        Settings(bill_tax_rate=Decimal(1))
