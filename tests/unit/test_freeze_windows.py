"""Freezes of a customer's pay-per-use resources merge into disjoint windows, so the rating
marks every usage record of a frozen hour exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from partner_center.domains.usage.rating import merged_windows

T = datetime(2026, 1, 1, tzinfo=UTC)


def at(hours: int) -> datetime:
    return T + timedelta(hours=hours)


def test_disjoint_windows_stay_apart_in_order() -> None:
    assert merged_windows([(at(10), at(12)), (at(1), at(3))]) == [(at(1), at(3)), (at(10), at(12))]


def test_overlapping_and_touching_windows_merge() -> None:
    assert merged_windows([(at(1), at(5)), (at(4), at(8)), (at(8), at(9))]) == [(at(1), at(9))]


def test_an_open_window_swallows_what_follows() -> None:
    assert merged_windows([(at(5), None), (at(6), at(7)), (at(1), at(2))]) == [
        (at(1), at(2)),
        (at(5), None),
    ]
    assert merged_windows([(at(1), at(3)), (at(2), None)]) == [(at(1), None)]
