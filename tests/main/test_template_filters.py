"""The filters pages print dates and times with."""

from datetime import UTC, datetime

import pytest


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 7, 15, 59, 59, tzinfo=UTC),  # 23:59:59 in Beijing
        datetime(2026, 12, 7, 16, 0, 0, tzinfo=UTC),  # midnight in Beijing, the next day
        datetime(2026, 12, 7, 1, 2, 3, 999999),  # stored without a zone: UTC
    ],
)
def test_clocktime_prints_the_local_time_of_day_as_localdatetime_does(app, moment):
    filters = app.jinja_env.filters
    with app.test_request_context("/"):
        assert filters["clocktime"](moment) == filters["localdatetime"](moment, "HH:mm:ss")
        assert filters["clocktime"](None) == ""
