from datetime import UTC, datetime

import pytest
from clusterlab.observe.logs import LogLine, parse_docker_logs, parse_timestamp, select

JOB = ':"job_svc@job_svc.msvc_default"'
RAW = "\n".join([
    f"2024-05-01T05:04:47.313012345Z 05:04:47.313 [warning] [epmd] unable to connect to {JOB}",
    f"2024-05-01T05:04:51.651234567Z 05:04:51.651 [info] [epmd] connected to {JOB}",
    "2024-05-01T05:04:52.000000000Z ",  # an empty line: Docker still writes the stamp
    "not a stamped line",
    '2024-05-01T05:04:53Z ** Node :"user_svc@user_svc.msvc_default" not responding **',
])


def test_parse_timestamp_keeps_microseconds_and_utc():
    assert parse_timestamp("2024-05-01T05:04:51.651234567Z") == \
        datetime(2024, 5, 1, 5, 4, 51, 651234, tzinfo=UTC)
    assert parse_timestamp("2024-05-01T07:04:51.5+02:00") == \
        datetime(2024, 5, 1, 5, 4, 51, 500000, tzinfo=UTC)


def test_parse_timestamp_rejects_other_text():
    with pytest.raises(ValueError):
        parse_timestamp("05:04:51.651 [info] hello")


def test_parse_docker_logs_splits_stamp_and_text():
    lines = parse_docker_logs(RAW)
    assert [line.text for line in lines] == [
        f"05:04:47.313 [warning] [epmd] unable to connect to {JOB}",
        f"05:04:51.651 [info] [epmd] connected to {JOB}",
        "",
        '** Node :"user_svc@user_svc.msvc_default" not responding **',
    ]
    assert lines[3].at == datetime(2024, 5, 1, 5, 4, 53, tzinfo=UTC)


def test_select_filters_by_all_needles_and_time():
    lines = parse_docker_logs(RAW)
    since = datetime(2024, 5, 1, 5, 4, 50, tzinfo=UTC)
    hits = select(lines, "connected to", "job_svc", since=since)
    assert [h.text.split("] ", 1)[1] for h in hits] == \
        [f"[epmd] connected to {JOB}"]
    assert hits[0].seconds_after(since) == pytest.approx(1.651234)
    assert select(lines, "unable") and not select(lines, "unable", since=since)


def test_log_line_str_shows_time_to_the_millisecond():
    line = LogLine(datetime(2024, 5, 1, 5, 4, 51, 651234, tzinfo=UTC), "hello")
    assert str(line) == "05:04:51.651  hello"
