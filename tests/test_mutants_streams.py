"""The stream state machine and backoff (app/streams.py): what mutation testing found
untested. The numbers asserted as defaults are the ones README "Stream states" promises."""
from __future__ import annotations

import re
import time

import pytest

from app.streams import (Backoff, Change, State, StreamStatus, StreamTimeouts, history_lines)


class FixedRandom:
    """A random source that returns the values given, in turn."""

    def __init__(self, *values: float):
        self.values = list(values)

    def random(self) -> float:
        return self.values.pop(0)


# -- backoff ------------------------------------------------------------------------------------
def test_the_documented_defaults():
    t = StreamTimeouts()
    assert (t.open_s, t.read_s, t.stall_after_s, t.offline_after) == (5.0, 5.0, 2.0, 3)
    b = Backoff(rng=FixedRandom(*[0.999999] * 7))
    ceilings = [1, 2, 4, 8, 16, 30, 30]  # "1 s doubling to 30 s"
    assert [round(b.next_delay(), 3) for _ in ceilings] == ceilings


def test_jitter_spans_the_upper_half_of_the_ceiling():
    b = Backoff(base_s=2.0, factor=3.0, cap_s=50.0, rng=FixedRandom(0.0, 0.5, 0.0, 0.0))
    assert b.next_delay() == pytest.approx(1.0)  # ceiling 2: lowest is half
    assert b.next_delay() == pytest.approx(4.5)  # ceiling 6, three quarters
    assert b.next_delay() == pytest.approx(9.0)  # ceiling 18
    assert b.next_delay() == pytest.approx(25.0)  # ceiling capped at 50
    assert b.attempt == 4


def test_reset_starts_again_from_the_base():
    b = Backoff(base_s=1.0, factor=2.0, cap_s=30.0, rng=FixedRandom(0.0, 0.0, 0.0, 0.0))
    b.next_delay()
    b.next_delay()
    b.reset()
    assert b.attempt == 0
    assert b.next_delay() == pytest.approx(0.5)


def test_without_a_random_source_delays_still_vary_within_the_bounds():
    b = Backoff(base_s=1.0, factor=1.0, cap_s=1.0)
    delays = {b.next_delay() for _ in range(20)}
    assert len(delays) > 1 and all(0.5 <= d <= 1.0 for d in delays)


@pytest.mark.parametrize("kwargs", [dict(base_s=0.0), dict(base_s=-1.0), dict(factor=0.99),
                                    dict(base_s=5.0, cap_s=4.99)])
def test_impossible_backoffs_are_refused(kwargs):
    with pytest.raises(ValueError, match="need base_s > 0"):
        Backoff(**kwargs)


def test_the_limits_themselves_are_allowed():
    b = Backoff(base_s=3.0, factor=1.0, cap_s=3.0, rng=FixedRandom(0.0, 0.0))
    assert b.next_delay() == pytest.approx(1.5) and b.next_delay() == pytest.approx(1.5)


# -- history ------------------------------------------------------------------------------------
def test_history_lines_newest_first_with_the_date_only_when_not_today():
    old = time.mktime((2024, 3, 5, 21, 42, 7, 0, 0, -1))
    now = time.time()
    lines = history_lines([Change(old, "offline", "connection refused"), Change(now, "live")])
    assert lines[1] == "2024-03-05 21:42:07  offline  connection refused"
    assert re.fullmatch(r"\d\d:\d\d:\d\d  live", lines[0]), lines[0]
    assert lines[0][:8] == time.strftime("%H:%M:%S", time.localtime(now))
    assert history_lines([]) == []


# -- the state machine --------------------------------------------------------------------------
def test_a_new_stream_is_connecting_and_says_so_once():
    st = StreamStatus()
    r = st.reading(0.0)
    assert (r.state, r.message, r.frame_age_s, r.fps, r.frames, r.retry_in_s) == \
        (State.CONNECTING, "", None, 0.0, 0, None)
    assert (r.reconnects, r.read_errors, r.path, r.first_frame_latency_s, r.connect_s) == \
        (0, 0, "", None, None)
    st.opening(0.0)
    assert [c.state for c in st.history()] == ["connecting"]
    assert st.changes() == {"connecting": 1}
    assert st.timeouts == StreamTimeouts()


def test_connect_time_and_first_frame_latency_count_from_the_first_open():
    st = StreamStatus()
    st.opening(10.0)
    st.failed(11.0, "refused", 1.0)
    st.opening(12.0)
    st.opened(12.5)
    st.frame(13.0)
    st.failed(20.0, "lost", 1.0)
    st.opening(21.0)
    st.opened(25.0)
    st.frame(26.0)
    r = st.reading(26.0)
    assert r.connect_s == pytest.approx(2.5)
    assert r.first_frame_latency_s == pytest.approx(3.0)
    assert r.reconnects == 2


def test_opened_before_any_opening_measures_nothing():
    st = StreamStatus()
    st.opened(5.0)
    st.frame(6.0)
    r = st.reading(6.0)
    assert r.connect_s is None and r.first_frame_latency_s is None and r.state is State.LIVE


def test_a_read_error_is_a_failure_of_an_open_stream_counted_once():
    st = StreamStatus()
    st.opening(0.0)
    st.failed(1.0, "refused", 1.0)  # never opened: not a read error
    assert st.reading(1.0).read_errors == 0
    st.opening(2.0)
    st.opened(2.1)
    st.frame(2.2)
    st.failed(3.0, "lost", 1.0)
    st.failed(4.0, "refused", 1.0)  # not reopened since
    assert st.reading(4.0).read_errors == 1
    st.opening(5.0)
    st.opened(5.1)
    st.fatal("gone")
    st.failed(6.0, "lost", 1.0)  # even after an error, an open stream that fails is counted
    assert st.reading(6.0).read_errors == 2


def test_failures_count_up_to_offline_and_a_frame_resets_them():
    st = StreamStatus(StreamTimeouts(offline_after=2))
    st.opening(0.0)
    st.failed(1.0, "refused", 3.0)
    assert st.failures == 1
    r = st.reading(1.5)
    assert r.state is State.RECONNECTING and r.message == "refused"
    assert r.retry_in_s == pytest.approx(2.5)
    assert st.reading(9.0).retry_in_s == 0.0  # overdue: never negative
    st.opening(4.0)
    assert st.reading(4.0).retry_in_s is None  # trying now
    st.failed(5.0, "refused again", 1.0)
    assert st.failures == 2 and st.reading(5.0).state is State.OFFLINE
    st.opening(6.0)
    assert st.reading(6.0).state is State.OFFLINE
    st.frame(7.0)
    r = st.reading(7.0)
    assert st.failures == 0 and r.state is State.LIVE and r.message == ""


def test_reopening_after_a_stream_ended_is_reconnecting():
    st = StreamStatus()
    st.opening(0.0)
    st.frame(1.0)
    st.opening(2.0)  # the stream ended without a failure (a file looping, a hub switch)
    assert st.reading(2.0).state is State.RECONNECTING
    st.failed(3.0, "connection lost", 1.0)  # still reconnecting: not a new change
    st.opening(4.0)
    assert [(c.state, c.reason) for c in st.history()] == [
        ("connecting", ""), ("live", ""), ("reconnecting", "")]
    assert st.changes() == {"connecting": 1, "live": 1, "reconnecting": 1}


def test_a_retry_after_failures_logs_the_reason_it_retries():
    st = StreamStatus(StreamTimeouts(offline_after=5))
    st.opening(0.0)
    st.frame(0.5)
    st.failed(1.0, "connection lost", 1.0)
    st.frame(1.5)
    st.failed(2.0, "no frame for 5 s", 1.0)
    st.opening(3.0)
    assert [(c.state, c.reason) for c in st.history()] == [
        ("connecting", ""), ("live", ""), ("reconnecting", "connection lost"), ("live", ""),
        ("reconnecting", "no frame for 5 s")]


def test_fps_counts_the_frames_of_the_last_two_seconds():
    st = StreamStatus(StreamTimeouts(stall_after_s=10.0))
    st.opening(0.0)
    for i in range(41):  # 20 fps for 4 s: 0.0 .. 4.0
        st.frame(i * 0.1)
    assert st.reading(4.0).fps == pytest.approx(21 / 2.0)  # 2.0 .. 4.0, both ends counted
    assert st.reading(5.0).fps == pytest.approx(11 / 2.0)  # 3.0 .. 4.0
    assert st.reading(7.0).fps == 0.0
    st.frame(9.0)  # the old frames leave the window
    assert st.reading(9.0).fps == pytest.approx(0.5)


def test_frames_after_a_failure_start_a_new_fps_window():
    st = StreamStatus()
    st.opening(0.0)
    for i in range(10):
        st.frame(i * 0.1)
    st.failed(1.0, "lost", 0.0)
    st.frame(1.1)
    assert st.reading(1.1).fps == pytest.approx(0.5)


def test_stalled_strictly_after_the_stall_time_and_logged_once():
    st = StreamStatus(StreamTimeouts(stall_after_s=2.0))
    st.opening(0.0)
    st.frame(1.0)
    assert st.reading(3.0).state is State.LIVE  # exactly 2 s: not yet
    r = st.reading(3.6)
    assert r.state is State.STALLED and r.message == "no new frame for 3 s" and r.fps == 0.0
    assert r.frame_age_s == pytest.approx(2.6)
    st.reading(4.0)
    assert [(c.state, c.reason) for c in st.history()][-1] == ("stalled", "no new frame")
    assert st.changes() == {"connecting": 1, "live": 1, "stalled": 1}
    st.frame(4.5)
    assert st.changes()["live"] == 2


def test_a_clock_slightly_behind_the_last_frame_gives_age_zero():
    st = StreamStatus()
    st.frame(5.0)
    assert st.reading(4.9).frame_age_s == 0.0


def test_error_is_final_and_keeps_its_message_and_counts():
    st = StreamStatus()
    st.opening(0.0)
    st.frame(0.5)
    st.failed(1.0, "lost", 5.0)
    st.fatal("unauthorized (401)")
    st.opening(2.0)
    st.frame(2.5)
    st.failed(3.0, "other", 1.0)
    r = st.reading(3.0)
    assert r.state is State.ERROR and r.message == "unauthorized (401)"
    assert r.retry_in_s is None and r.frames == 1 and st.failures == 1
    assert r.reconnects == 1  # the open was still counted
    assert st.history()[-1].state == "error" and st.history()[-1].reason == "unauthorized (401)"


def test_closed_is_final_even_for_fatal():
    st = StreamStatus()
    st.opening(0.0)
    st.failed(1.0, "lost", 5.0)
    st.closed()
    st.fatal("late error")
    st.opening(2.0)
    st.frame(3.0)
    r = st.reading(3.0)
    assert r.state is State.CLOSED and r.retry_in_s is None and r.message == "lost"
    assert r.frames == 0
    assert st.changes() == {"connecting": 1, "reconnecting": 1, "closed": 1}


def test_path_is_shown():
    st = StreamStatus()
    st.set_path("via Lalbazar-1")
    assert st.reading(0.0).path == "via Lalbazar-1"


def test_history_keeps_the_last_hundred_changes():
    st = StreamStatus(StreamTimeouts(offline_after=1000))
    t = 0.0
    for _ in range(80):
        st.frame(t)
        st.failed(t + 0.5, "lost", 0.1)
        t += 1.0
    hist = st.history()
    assert len(hist) == StreamStatus.HISTORY_KEEP == 100
    assert hist[-1].state == "reconnecting" and hist[0].state == "live"
    assert st.changes() == {"connecting": 1, "live": 80, "reconnecting": 80}
    hist.clear()  # a copy: the stream's own history is unchanged
    assert len(st.history()) == 100
