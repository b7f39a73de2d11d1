"""The dashboard's charts carry no script: the console's Content-Security-Policy blocks inline
scripts, and pygal's embedded one made the browser report an error on every dashboard load."""

from __future__ import annotations

from decimal import Decimal

from partner_center.http.console.dashboard import charts


def test_charts_are_svg_without_script() -> None:
    drawn = [
        charts.pie([("Reseller model", 5), ("Referral model", 2)]),
        charts.bars(["c1", "c2"], [("Budget", [Decimal("500"), Decimal("250.50")])]),
        charts.line(["2026-10", "2026-11"], [("Spend", [Decimal("117.34"), Decimal("1")])]),
    ]
    for svg in drawn:
        assert svg is not None
        assert "<svg" in svg
        assert "<script" not in svg
        assert "</svg>" in svg
