"""Local wall-clock times in a city's zone: conversion to UTC and back, around DST changes."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from app.services import localtime
from app.services.localtime import LocalTimeError


@pytest.fixture(autouse=True)
def _app_context(app):
    """These tests touch no database: an app context without conftest's per-test emptying.

    (Emptying every table costs about 0.1 s a test on PostgreSQL, and there is nothing to empty.)
    """
    with app.app_context():
        yield


@pytest.mark.parametrize(
    "local, zone_name, expected_utc",
    [
        # Helsinki: UTC+2 in winter, UTC+3 in summer.
        (datetime(2026, 1, 15, 19, 0), "Europe/Helsinki", datetime(2026, 1, 15, 17, 0, tzinfo=UTC)),
        (datetime(2026, 7, 15, 19, 0), "Europe/Helsinki", datetime(2026, 7, 15, 16, 0, tzinfo=UTC)),
        # Toronto: UTC-5 in winter (crossing midnight into the next UTC day), UTC-4 in summer.
        (datetime(2026, 1, 15, 19, 0), "America/Toronto", datetime(2026, 1, 16, 0, 0, tzinfo=UTC)),
        (datetime(2026, 7, 15, 19, 30), "America/Toronto",
         datetime(2026, 7, 15, 23, 30, tzinfo=UTC)),
        (datetime(2026, 4, 12, 18, 0), "Europe/Kyiv", datetime(2026, 4, 12, 15, 0, tzinfo=UTC)),
        (datetime(2026, 6, 1, 12, 0), "UTC", datetime(2026, 6, 1, 12, 0, tzinfo=UTC)),
    ],
)
def test_local_to_utc_converts_a_normal_time(local, zone_name, expected_utc):
    result = localtime.local_to_utc(local, zone_name)
    assert result == expected_utc
    assert result.utcoffset() == timedelta(0)
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    "local, zone_name, expected_utc",
    [
        # The first minute after the spring change exists.
        (datetime(2026, 3, 29, 4, 0), "Europe/Helsinki", datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        (datetime(2026, 3, 29, 2, 59), "Europe/Helsinki",
         datetime(2026, 3, 29, 0, 59, tzinfo=UTC)),
        (datetime(2026, 3, 8, 3, 0), "America/Toronto", datetime(2026, 3, 8, 7, 0, tzinfo=UTC)),
    ],
)
def test_times_either_side_of_the_spring_gap_exist(local, zone_name, expected_utc):
    assert localtime.local_to_utc(local, zone_name) == expected_utc


@pytest.mark.parametrize(
    "local, zone_name",
    [
        (datetime(2026, 3, 29, 3, 30), "Europe/Helsinki"),
        (datetime(2026, 3, 29, 3, 0), "Europe/Helsinki"),
        (datetime(2026, 3, 29, 3, 59), "Europe/Helsinki"),
        (datetime(2026, 3, 8, 2, 30), "America/Toronto"),
        (datetime(2026, 3, 8, 2, 0), "America/Toronto"),
    ],
)
def test_a_time_in_the_spring_forward_gap_is_refused_clearly(local, zone_name):
    with pytest.raises(LocalTimeError) as excinfo:
        localtime.local_to_utc(local, zone_name)
    message = str(excinfo.value)
    assert f"{local:%Y-%m-%d %H:%M}" in message
    assert zone_name in message
    assert "does not exist" in message
    assert "daylight saving" in message


@pytest.mark.parametrize(
    "local, zone_name, first_utc",
    [
        # Helsinki falls back from 04:00 EEST to 03:00 EET: 03:30 happens twice.
        (datetime(2026, 10, 25, 3, 30), "Europe/Helsinki",
         datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        # Toronto falls back from 02:00 EDT to 01:00 EST: 01:30 happens twice.
        (datetime(2026, 11, 1, 1, 30), "America/Toronto", datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
    ],
)
def test_the_repeated_autumn_hour_takes_the_first_occurrence(local, zone_name, first_utc):
    assert localtime.local_to_utc(local, zone_name) == first_utc
    # The second occurrence is an hour later; the first one was chosen.
    second = local.replace(tzinfo=ZoneInfo(zone_name), fold=1).astimezone(UTC)
    assert second - first_utc == timedelta(hours=1)


def test_a_fold_on_the_input_does_not_change_the_choice():
    local = datetime(2026, 10, 25, 3, 30, fold=1)
    assert localtime.local_to_utc(local, "Europe/Helsinki") == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


@pytest.mark.parametrize("zone_name", ["Mars/Olympus_Mons", "", "Europe/Atlantis",
                                       "../../etc/passwd", "Not a zone"])
def test_an_unknown_zone_is_refused(zone_name):
    with pytest.raises(LocalTimeError, match="Unknown time zone"):
        localtime.local_to_utc(datetime(2026, 5, 1, 19, 0), zone_name)
    with pytest.raises(LocalTimeError, match="Unknown time zone"):
        localtime.zone(zone_name)


def test_to_local_refuses_an_unknown_zone():
    with pytest.raises(LocalTimeError):
        localtime.to_local(datetime(2026, 5, 1, 19, 0, tzinfo=UTC), "Mars/Olympus_Mons")


def test_local_time_error_is_a_value_error():
    assert issubclass(LocalTimeError, ValueError)


@pytest.mark.parametrize(
    "aware",
    [
        datetime(2026, 12, 5, 19, 30, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 12, 5, 12, 30, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2026, 12, 5, 17, 30, tzinfo=UTC),
        datetime(2026, 12, 5, 19, 30, tzinfo=ZoneInfo("Europe/Helsinki")),
    ],
)
def test_aware_input_is_converted_to_the_same_moment_in_utc(aware):
    result = localtime.local_to_utc(aware, "America/Toronto")
    assert result == datetime(2026, 12, 5, 17, 30, tzinfo=UTC)
    assert result.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "moment, zone_name, wall_clock, offset_hours",
    [
        (datetime(2026, 1, 15, 17, 0, tzinfo=UTC), "Europe/Helsinki",
         datetime(2026, 1, 15, 19, 0), 2),
        (datetime(2026, 7, 15, 16, 0, tzinfo=UTC), "Europe/Helsinki",
         datetime(2026, 7, 15, 19, 0), 3),
        (datetime(2026, 1, 16, 0, 0, tzinfo=UTC), "America/Toronto",
         datetime(2026, 1, 15, 19, 0), -5),
        (datetime(2026, 7, 15, 23, 30, tzinfo=UTC), "America/Toronto",
         datetime(2026, 7, 15, 19, 30), -4),
    ],
)
def test_to_local_gives_the_aware_wall_clock_time(moment, zone_name, wall_clock, offset_hours):
    local = localtime.to_local(moment, zone_name)
    assert local.replace(tzinfo=None) == wall_clock
    assert local.utcoffset() == timedelta(hours=offset_hours)
    assert local == moment


@pytest.mark.parametrize("zone_name", ["Europe/Helsinki", "America/Toronto", "Europe/Lisbon",
                                       "Europe/Kyiv"])
def test_local_to_utc_and_to_local_round_trip_over_a_year(zone_name):
    local = datetime(2026, 1, 1, 19, 30)
    while local.year == 2026:
        utc = localtime.local_to_utc(local, zone_name)
        assert localtime.to_local(utc, zone_name).replace(tzinfo=None) == local
        local += timedelta(days=7)
