"""Schedules of periodic jobs: month/day/hour rollovers, billing time zones and DST."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partner_center.kernel.jobs import Daily, Hourly, JobContext, JobRegistry, Monthly, Schedule

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
UTC_ZONE = ZoneInfo("UTC")
KOLKATA = ZoneInfo("Asia/Kolkata")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")


def z(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def occurrences(schedule: Schedule, start: datetime, zone: ZoneInfo, count: int) -> list[datetime]:
    result = []
    at = start
    for _ in range(count):
        at = schedule.next_after(at, zone)
        result.append(at)
    return result


def local(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


# --- Monthly ---------------------------------------------------------------------------------


def test_first_of_month_in_shanghai_is_1600_utc_on_the_previous_day() -> None:
    assert occurrences(Monthly(1), z("2026-11-29T08:00Z"), SHANGHAI, 3) == [
        z("2026-11-30T16:00Z"),
        z("2026-12-31T16:00Z"),
        z("2027-01-31T16:00Z"),
    ]


def test_first_of_month_in_utc() -> None:
    assert occurrences(Monthly(1), z("2026-11-29T08:00Z"), UTC_ZONE, 3) == [
        z("2026-12-01T00:00Z"),
        z("2027-01-01T00:00Z"),
        z("2027-02-01T00:00Z"),
    ]


def test_monthly_day_hour_and_minute_roll_over_the_year() -> None:
    assert occurrences(Monthly(5, 12, 30), z("2026-11-05T04:30Z"), SHANGHAI, 3) == [
        z("2026-12-05T04:30Z"),
        z("2027-01-05T04:30Z"),
        z("2027-02-05T04:30Z"),
    ]


def test_monthly_is_strictly_after_and_not_before() -> None:
    # An occurrence is not "after" itself; one microsecond earlier it is.
    occurrence = z("2026-11-30T16:00Z")
    assert Monthly(1).next_after(occurrence, SHANGHAI) == z("2026-12-31T16:00Z")
    assert Monthly(1).next_after(occurrence - timedelta(microseconds=1), SHANGHAI) == occurrence
    # Late on the 1st in Shanghai is still the 1st locally: the next one is a month away.
    assert Monthly(1).next_after(z("2026-11-30T17:00Z"), SHANGHAI) == z("2026-12-31T16:00Z")


def test_monthly_follows_new_york_daylight_saving() -> None:
    assert occurrences(Monthly(1), z("2026-02-15T00:00Z"), NEW_YORK, 3) == [
        z("2026-03-01T05:00Z"),  # EST, UTC-5
        z("2026-04-01T04:00Z"),  # EDT, UTC-4
        z("2026-05-01T04:00Z"),
    ]
    assert occurrences(Monthly(1), z("2026-10-15T00:00Z"), NEW_YORK, 2) == [
        z("2026-11-01T04:00Z"),  # midnight before the 02:00 fall-back: still EDT
        z("2026-12-01T05:00Z"),
    ]


def test_monthly_time_in_a_dst_gap_moves_later_by_the_gap() -> None:
    # 2026-03-08 02:30 does not exist in New York (02:00 EST -> 03:00 EDT): it runs at 03:30 EDT.
    at = Monthly(8, 2, 30).next_after(z("2026-03-01T00:00Z"), NEW_YORK)
    assert at == z("2026-03-08T07:30Z")
    assert local(at, NEW_YORK) == "2026-03-08 03:30 EDT"


@pytest.mark.parametrize("day", [0, 29, 30, 31, -1])
def test_monthly_day_must_be_1_to_28(day: int) -> None:
    with pytest.raises(ValueError, match=r"1\.\.28"):
        Monthly(day)


@pytest.mark.parametrize(("hour", "minute"), [(24, 0), (-1, 0), (0, 60), (0, -1)])
def test_time_of_day_is_validated(hour: int, minute: int) -> None:
    with pytest.raises(ValueError):
        Monthly(1, hour, minute)
    with pytest.raises(ValueError):
        Daily(hour, minute)


def test_hourly_minute_is_validated() -> None:
    with pytest.raises(ValueError):
        Hourly(60)


# --- Daily -----------------------------------------------------------------------------------


def test_daily_rolls_over_month_and_year_in_shanghai() -> None:
    assert occurrences(Daily(9, 0), z("2026-12-30T02:00Z"), SHANGHAI, 3) == [
        z("2026-12-31T01:00Z"),
        z("2027-01-01T01:00Z"),
        z("2027-01-02T01:00Z"),
    ]


def test_daily_midnight_in_shanghai_is_the_previous_utc_day() -> None:
    assert Daily(0, 0).next_after(z("2026-11-29T08:00Z"), SHANGHAI) == z("2026-11-29T16:00Z")
    assert Daily(0, 0).next_after(z("2026-11-29T16:00Z"), SHANGHAI) == z("2026-11-30T16:00Z")


def test_daily_across_spring_forward_in_new_york() -> None:
    runs = occurrences(Daily(2, 30), z("2026-03-06T12:00Z"), NEW_YORK, 3)
    assert [local(run, NEW_YORK) for run in runs] == [
        "2026-03-07 02:30 EST",
        "2026-03-08 03:30 EDT",  # 02:30 skipped by the clocks: moved later by the one-hour gap
        "2026-03-09 02:30 EDT",
    ]
    assert runs == [z("2026-03-07T07:30Z"), z("2026-03-08T07:30Z"), z("2026-03-09T06:30Z")]


def test_daily_across_fall_back_in_new_york_runs_once_at_the_first_0130() -> None:
    runs = occurrences(Daily(1, 30), z("2026-10-30T12:00Z"), NEW_YORK, 3)
    assert runs == [z("2026-10-31T05:30Z"), z("2026-11-01T05:30Z"), z("2026-11-02T06:30Z")]
    assert [local(run, NEW_YORK) for run in runs] == [
        "2026-10-31 01:30 EDT",
        "2026-11-01 01:30 EDT",
        "2026-11-02 01:30 EST",
    ]
    # Between the two 01:30s of 1 November there is no second run that day.
    assert Daily(1, 30).next_after(z("2026-11-01T06:00Z"), NEW_YORK) == z("2026-11-02T06:30Z")


# --- Hourly ----------------------------------------------------------------------------------


def test_hourly_rolls_over_the_day() -> None:
    assert occurrences(Hourly(15), z("2026-12-31T22:15Z"), SHANGHAI, 3) == [
        z("2026-12-31T23:15Z"),
        z("2027-01-01T00:15Z"),
        z("2027-01-01T01:15Z"),
    ]
    assert Hourly(15).next_after(z("2026-12-31T22:14:59.999999Z"), UTC_ZONE) == z(
        "2026-12-31T22:15Z"
    )


def test_hourly_follows_the_zone_minute_for_half_hour_offsets() -> None:
    # India is UTC+5:30: the top of its hour is half past in UTC.
    assert Hourly(0).next_after(z("2026-06-01T10:00Z"), KOLKATA) == z("2026-06-01T10:30Z")


def test_hourly_runs_every_real_hour_across_new_york_dst() -> None:
    fall = occurrences(Hourly(0), z("2026-11-01T03:30Z"), NEW_YORK, 5)
    assert fall == [z(f"2026-11-01T0{h}:00Z") for h in range(4, 9)]
    assert [local(run, NEW_YORK) for run in fall] == [
        "2026-11-01 00:00 EDT",
        "2026-11-01 01:00 EDT",
        "2026-11-01 01:00 EST",  # the repeated hour is a real hour too
        "2026-11-01 02:00 EST",
        "2026-11-01 03:00 EST",
    ]
    spring = occurrences(Hourly(0), z("2026-03-08T04:30Z"), NEW_YORK, 4)
    assert [local(run, NEW_YORK) for run in spring] == [
        "2026-03-08 00:00 EST",
        "2026-03-08 01:00 EST",
        "2026-03-08 03:00 EDT",  # 02:00 does not exist
        "2026-03-08 04:00 EDT",
    ]


def test_hourly_across_a_half_hour_dst_shift() -> None:
    # Lord Howe Island moves from UTC+10:30 to UTC+11 at 02:00 local on 2026-10-04.
    at = Hourly(0).next_after(z("2026-10-03T14:30Z"), LORD_HOWE)  # 01:00 local
    assert at == z("2026-10-03T16:00Z")
    assert local(at, LORD_HOWE).endswith("03:00 +11")


# --- Properties ------------------------------------------------------------------------------

ZONES = [UTC_ZONE, SHANGHAI, NEW_YORK, KOLKATA, LORD_HOWE, ZoneInfo("Europe/London")]
SCHEDULES: list[Schedule] = [
    Monthly(1),
    Monthly(28, 23, 59),
    Monthly(8, 2, 30),
    Daily(0, 0),
    Daily(2, 30),
    Daily(1, 30),
    Hourly(0),
    Hourly(45),
]


@settings(max_examples=300, deadline=None)
@given(
    instant=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(ZONES),
    schedule=st.sampled_from(SCHEDULES),
)
def test_next_after_is_the_first_occurrence_after(
    instant: datetime, zone: ZoneInfo, schedule: Schedule
) -> None:
    nxt = schedule.next_after(instant, zone)
    assert nxt.tzinfo == UTC
    assert nxt > instant
    # No occurrence is skipped: asking from just before it gives the same answer...
    assert schedule.next_after(nxt - timedelta(microseconds=1), zone) == nxt
    # ...and asking from anywhere between the instant and it gives it too.
    assert schedule.next_after(instant + (nxt - instant) / 2, zone) == nxt
    after = schedule.next_after(nxt, zone)
    gap = after - nxt
    shown = nxt.astimezone(zone)
    if isinstance(schedule, Hourly):
        assert shown.minute == schedule.minute
        assert timedelta(minutes=30) <= gap <= timedelta(minutes=90)
    elif isinstance(schedule, Daily):
        assert timedelta(hours=22) <= gap <= timedelta(hours=26)
        if (shown.hour, shown.minute) != (schedule.hour, schedule.minute):
            # Only when the wall time does not exist that day: then it is moved later by the gap.
            wanted = datetime.combine(shown.date(), time(schedule.hour, schedule.minute))
            shown_back = wanted.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
            assert shown_back.replace(tzinfo=None) != wanted
            assert shown.replace(tzinfo=None) > wanted
    else:
        assert isinstance(schedule, Monthly)
        assert shown.day == schedule.day
        assert timedelta(days=27) <= gap <= timedelta(days=32)


def test_registry_refuses_duplicate_and_bad_names() -> None:
    async def job(ctx: JobContext, payload: dict[str, Any]) -> None:
        return None

    registry = JobRegistry()
    registry.register("resources.expire", job)
    with pytest.raises(ValueError, match="already registered"):
        registry.register_periodic("resources.expire", Daily(), job)
    with pytest.raises(ValueError):
        registry.register("", job)
    registry.register_periodic("budgets.restore", Monthly(1), job)
    assert registry.one_off_names == {"resources.expire"}
    assert set(registry.periodic_jobs) == {"budgets.restore"}
