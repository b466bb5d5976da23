"""The feed engine (app/feeds.py) driven by small fake cameras: what mutation testing found
untested. The worker thread, the state machine, the frame slot and the manager are the real
ones; only the opener and the capture are fakes (a capture hands out real `BGRPicture`s),
so every test runs in well under a second and waits on conditions, never on the clock."""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

import numpy as np
import pytest

from app import decoders, feeds
from app.decoders import BGRPicture
from app.diagnose import REFUSED, UNAUTHORIZED, Diagnosis
from app.feeds import Feed, FeedManager, FrameSlot, Opened, SourceError, open_source
from app.streams import Backoff, State, StreamTimeouts
from app.urls import parse_source
from tests.support.rtsp import free_port
from tests.support.waiting import wait_for

RTSP = parse_source("rtsp://viewer:pw@10.0.0.9/ch1")


def picture(width: int = 8, height: int = 6, value: int = 0, keyframe: bool = False):
    return BGRPicture(np.full((height, width, 3), value, np.uint8), keyframe)


class FakeCapture:
    """A camera: hands out `script` (pictures; None is a failed read), then, if `forever`,
    a picture every few milliseconds until released."""

    decoder = "fake · test"

    def __init__(self, script=(), *, forever=False, error="", keyframe_s=None, rewind=False,
                 on_read: Callable[[], None] | None = None):
        self.script = list(script)
        self.forever = forever
        self.error = error
        self.keyframe_s = keyframe_s
        self.can_rewind = rewind
        self.on_read = on_read
        self.keyframes_only_wanted = False
        self.lane_wait_s = 0.0  # of the last read: waiting for a decode lane (on_read sets it)
        self.resume_not_before = 0.0
        self.rewinds = 0
        self.released = threading.Event()

    def read(self):
        if self.on_read is not None:
            self.on_read()
        if self.script:
            return self.script.pop(0)
        if self.forever and not self.released.is_set():
            time.sleep(0.005)  # the fake camera's frame interval
            return picture(value=7)
        return None

    def rewind(self) -> bool:
        self.rewinds += 1
        return self.can_rewind

    def keyframe_interval_s(self):
        return self.keyframe_s

    def leave(self) -> None:  # no decode lane: a fake decodes nothing
        pass

    def release(self) -> None:
        self.released.set()


class Opener:
    """Gives out the scripted results in turn (an Opened, None, or an exception to raise);
    after the script, captures that stay live."""

    def __init__(self, *results):
        self.results = list(results)
        self.calls = 0

    def __call__(self, source, timeouts, camera_id, title):
        self.calls += 1
        if self.results:
            r = self.results.pop(0)
            if isinstance(r, Exception):
                raise r
            return r
        return Opened(FakeCapture(forever=True), None, loop=False)


def live(*script, **kw) -> Opened:
    return Opened(FakeCapture(script, **kw), None, loop=False)


@pytest.fixture
def make_feed():
    made: list[Feed] = []

    def make(opener, source=RTSP, clock=time.monotonic, read_s=5.0, **kw) -> Feed:
        feed = Feed("CAM|x", source, "CAM", "Camera", StreamTimeouts(read_s=read_s, **kw),
                    opener, backoff=Backoff(base_s=0.005, factor=1.0, cap_s=0.005),
                    clock=clock)
        made.append(feed)
        return feed

    yield make
    for f in made:
        f.stop()
    for f in made:
        if f._thread.ident is not None:  # started
            assert f.join(5.0), "a feed did not stop"


def reasons(feed: Feed) -> list[tuple[str, str]]:
    return [(c.state, c.reason) for c in feed.status.history()]


# -- the frame slot -----------------------------------------------------------------------------
def test_the_slot_is_waiting_only_for_a_reader_that_has_not_taken_the_newest():
    slot = FrameSlot()
    img = np.zeros((2, 2, 4), np.uint8)
    assert slot.put(img, 1.0, (2, 2)) == 1 and slot.seq == 1
    assert not slot.waiting  # nobody has read from it yet
    slot.get()
    assert not slot.waiting
    assert slot.put(img, 2.0, (2, 2)) == 2
    assert slot.waiting
    assert slot.get().seq == 2 and not slot.waiting


# -- sizes, info ----------------------------------------------------------------------------------
def test_the_largest_tile_sets_the_size(make_feed):
    feed = make_feed(Opener())
    assert feed.target_size() is None
    feed.set_size(1, 320.7, 90)
    feed.set_size(2, 100, 180)
    feed.set_size(3, 0, -5)
    assert feed.target_size() == (320, 180)
    feed.drop_size(2)
    feed.drop_size(99)  # never set: nothing happens
    assert feed.target_size() == (320, 90)
    feed.drop_size(1)
    feed.drop_size(3)
    assert feed.target_size() is None


def test_info_before_the_stream_opens(make_feed):
    feed = make_feed(Opener())
    assert feed.info() == "not open yet"
    feed.set_standby(True)
    assert feed.info() == "not open yet, standby (keyframes only)"
    assert feed.reading().standby and feed.last_full_frame() is None


def test_frames_are_scaled_to_the_largest_tile_and_the_full_frame_kept(make_feed):
    cap = FakeCapture([picture(8, 6, value=3)], keyframe_s=2.0, forever=True)
    feed = make_feed(Opener(Opened(cap, None, loop=False)))
    feed.set_size(1, 4, 4)
    feed.start()
    wait_for(lambda: feed.slot.seq >= 1, 5, "a frame")
    frame = feed.slot.get()
    assert frame.image.shape == (3, 4, 4) and frame.source_size == (8, 6)
    assert feed.info() == "fake · test, 8x6, a keyframe every 2.0 s"
    r = feed.reading()
    assert r.decoder == "fake · test" and r.keyframe_s == 2.0 and r.state is State.LIVE
    full = feed.last_full_frame()
    assert full.shape == (6, 8, 3) and full.dtype == np.uint8


def test_without_a_tile_size_or_at_the_same_size_frames_are_full_size(make_feed):
    feed = make_feed(Opener(live(picture(8, 6), forever=True)))
    feed.start()
    wait_for(lambda: feed.slot.seq >= 1, 5, "a frame")
    assert feed.slot.get().image.shape == (6, 8, 4)
    feed.set_size(1, 8, 6)
    seq = feed.slot.seq
    wait_for(lambda: feed.slot.get().seq > seq + 1, 5, "more frames")
    assert feed.slot.get().image.shape == (6, 8, 4)


def test_a_reader_that_falls_behind_gets_no_conversions_but_the_stream_is_live(make_feed):
    feed = make_feed(Opener(live(forever=True)))
    feed.start()
    wait_for(lambda: feed.slot.get() is not None, 5, "the first frame, read")
    wait_for(lambda: feed.skipped >= 3, 5, "pictures skipped")
    seq = feed.slot.seq
    r = feed.reading()
    assert r.state is State.LIVE and r.frames >= feed.skipped + seq
    assert feed.decoded >= feed.skipped + seq


# -- failures -----------------------------------------------------------------------------------
def test_a_stream_that_breaks_is_reopened_and_says_why(make_feed):
    first = FakeCapture([picture(), picture(), None], error="decoder error")
    opener = Opener(Opened(first, None, loop=False))
    feed = make_feed(opener)
    feed.start()
    wait_for(lambda: opener.calls >= 2 and feed.reading().state is State.LIVE, 5, "reopened")
    assert first.released.is_set()
    assert ("reconnecting", "connection lost (decoder error)") in reasons(feed)
    r = feed.reading()
    assert r.read_errors == 1 and r.reconnects >= 1 and feed.decoded >= 3


def test_a_read_that_says_no_frame_is_just_connection_lost(make_feed):
    feed = make_feed(Opener(live(picture(), None, error="no frame")))
    feed.start()
    wait_for(lambda: len(reasons(feed)) >= 3, 5, "the failure")
    assert reasons(feed)[2] == ("reconnecting", "connection lost")


def test_a_decoder_error_is_an_error_not_a_retry(make_feed):
    opener = Opener(SourceError("file not found: /srv/x.mp4"))
    feed = make_feed(opener)
    feed.start()
    assert feed.join(5.0)
    r = feed.reading()
    assert r.state is State.ERROR and r.message == "file not found: /srv/x.mp4"
    assert opener.calls == 1


def test_a_refused_login_is_tried_twice_then_left_alone(make_feed, monkeypatch):
    asked = []
    monkeypatch.setattr(feeds, "diagnose", lambda src: asked.append(src) or Diagnosis(
        UNAUTHORIZED, "unauthorized (401)"))
    opener = Opener(None, None, None)
    feed = make_feed(opener)
    feed.start()
    assert feed.join(5.0)
    r = feed.reading()
    assert opener.calls == 2 and asked == [RTSP, RTSP]
    assert r.state is State.ERROR
    assert r.message == ("unauthorized (401): stopped after 2 attempts so that the camera does "
                         "not lock the account; correct the user or password, then reopen "
                         "the camera")
    assert ("reconnecting", "unauthorized (401)") in reasons(feed)


def test_a_camera_that_cannot_be_reached_is_retried_with_the_diagnosis(make_feed, monkeypatch):
    answers = [Diagnosis(REFUSED, "connection refused by 10.0.0.9:554"), Diagnosis(None, "")]
    monkeypatch.setattr(feeds, "diagnose", lambda src: answers.pop(0) if answers
                        else Diagnosis(None, ""))
    opener = Opener(None, None)
    feed = make_feed(opener)
    feed.start()
    wait_for(lambda: feed.reading().state is State.LIVE, 5, "live after two failures")
    hist = reasons(feed)
    assert ("reconnecting", "connection refused by 10.0.0.9:554") in hist
    assert feed.status.changes().get("reconnecting") == 1  # the second is no new change
    assert feed.reading().message == ""


def test_failures_go_offline(make_feed, monkeypatch):
    monkeypatch.setattr(feeds, "diagnose", lambda src: Diagnosis(None, ""))
    opener = Opener(None, None, None, None)
    feed = make_feed(opener, offline_after=3)
    feed.start()
    wait_for(lambda: ("offline", "cannot connect to rtsp://viewer:***@10.0.0.9/ch1")
             in reasons(feed), 5, "offline")


class StepClock:
    """A clock the fake capture moves on: a read that takes `step` seconds."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.mark.parametrize("took, times_out", [(4.5, True), (4.4, False)])
def test_a_picture_after_a_read_timeout_is_not_shown(make_feed, took, times_out):
    clock = StepClock()

    def slow() -> None:
        clock.t += took

    cap = FakeCapture([picture(), picture()], on_read=slow)
    opener = Opener(Opened(cap, None, loop=False), SourceError("gone"))
    feed = make_feed(opener, clock=clock, read_s=5.0)
    feed.start()
    assert feed.join(5.0)
    if times_out:
        assert reasons(feed)[1:] == [
            ("reconnecting", f"no new frame for {took:.0f} s (read timeout)"), ("error", "gone")]
        assert feed.decoded == 0
    else:
        assert feed.decoded == 2
        assert reasons(feed)[1:] == [("live", ""), ("reconnecting", "connection lost"),
                                     ("error", "gone")]


def test_a_read_slowed_by_a_busy_console_is_not_a_camera_timeout(make_feed):
    """Each read takes 4.8 s, 4.6 s of it waiting for a decode lane (other cameras
    decoding): the camera itself answered at once, so its pictures are shown. The same
    read without the lane wait is a timeout (the test above)."""
    clock = StepClock()
    cap = FakeCapture([picture(), picture()])

    def busy_console() -> None:
        clock.t += 4.8
        cap.lane_wait_s = 4.6

    cap.on_read = busy_console
    opener = Opener(Opened(cap, None, loop=False), SourceError("gone"))
    feed = make_feed(opener, clock=clock, read_s=5.0)
    feed.start()
    assert feed.join(5.0)
    assert feed.decoded == 2
    assert reasons(feed)[1] == ("live", "")  # then the script ends: the stream is gone


def test_a_silent_stream_that_ends_says_how_long_it_was_silent(make_feed):
    clock = StepClock()

    def silent() -> None:
        clock.t += 6.0

    opener = Opener(Opened(FakeCapture([None], on_read=silent), None, loop=False),
                    SourceError("gone"))
    feed = make_feed(opener, clock=clock, read_s=5.0)
    feed.start()
    assert feed.join(5.0)
    assert reasons(feed)[1] == ("reconnecting", "no frame for 6 s (read timeout)")


# -- files ----------------------------------------------------------------------------------------
def test_a_file_loops_by_rewinding(make_feed):
    cap = FakeCapture([picture(), None, picture(), None, picture()], rewind=True)
    opener = Opener(Opened(cap, 1000.0, loop=True))
    feed = make_feed(opener)
    feed.start()
    wait_for(lambda: feed.decoded >= 3, 5, "three frames over two rewinds")
    assert cap.rewinds >= 2 and opener.calls == 1
    assert "reconnecting" not in [s for s, _ in reasons(feed)]


def test_a_file_that_cannot_rewind_has_ended(make_feed):
    cap = FakeCapture([picture(), None], rewind=False)
    opener = Opener(Opened(cap, 1000.0, loop=True))
    feed = make_feed(opener)
    feed.start()
    wait_for(lambda: opener.calls >= 2, 5, "reopened")
    assert ("reconnecting", "stream ended") in reasons(feed) and cap.rewinds == 1


def test_an_empty_file_is_not_rewound_forever(make_feed):
    cap = FakeCapture([None], rewind=True)
    opener = Opener(Opened(cap, 1000.0, loop=True))
    feed = make_feed(opener)
    feed.start()
    wait_for(lambda: opener.calls >= 2, 5, "reopened")
    assert cap.rewinds == 0 and ("reconnecting", "stream ended") in reasons(feed)


def test_the_keyframe_interval_is_kept_over_a_reopen(make_feed):
    first = FakeCapture([picture(), None], keyframe_s=1.5)
    opener = Opener(Opened(first, None, loop=False), live(picture(), forever=True))
    feed = make_feed(opener)
    feed.start()
    wait_for(lambda: opener.calls >= 2 and feed.decoded >= 3, 5, "frames after the reopen")
    assert feed.keyframe_s == 1.5 and feed.reading().keyframe_s == 1.5


def test_keyframes_are_counted(make_feed):
    opener = Opener(live(picture(keyframe=True), picture(), picture(keyframe=True),
                         picture(keyframe=True)))
    feed = make_feed(opener)
    feed.start()
    wait_for(lambda: feed.decoded >= 4, 5, "four frames")
    assert feed.keyframes == 3


# -- standby and stopping -----------------------------------------------------------------------
def test_standby_reaches_the_open_capture_with_a_resume_delay(make_feed):
    cap = FakeCapture(forever=True)
    feed = make_feed(Opener(Opened(cap, None, loop=False)))
    feed.set_standby(True)
    feed.start()
    wait_for(lambda: feed.decoded >= 1, 5, "a frame")
    assert cap.keyframes_only_wanted is True  # taken at the open
    before = time.monotonic()
    feed.set_standby(False)
    assert cap.keyframes_only_wanted is False
    assert before + 0.1 <= cap.resume_not_before <= time.monotonic() + feeds.RESUME_DELAY_S
    assert not feed.reading().standby


def test_stop_closes_the_stream_and_releases_the_capture(make_feed):
    cap = FakeCapture(forever=True)
    feed = make_feed(Opener(Opened(cap, None, loop=False)))
    feed.start()
    wait_for(lambda: feed.decoded >= 1, 5, "a frame")
    assert feed.alive
    feed.stop()
    assert feed.join(5.0) and not feed.alive
    assert cap.released.is_set() and feed.reading().state is State.CLOSED


def test_a_capture_opened_after_stop_is_released_at_once(make_feed):
    cap = FakeCapture(forever=True)
    holder: list[Feed] = []

    def opener(*_args):
        holder[0].stop()  # stopped while the camera was being opened
        return Opened(cap, None, loop=False)

    feed = make_feed(opener)
    holder.append(feed)
    feed.start()
    assert feed.join(5.0)
    assert cap.released.is_set() and feed.decoded == 0


def test_a_crash_in_the_worker_is_an_error_on_the_tile(make_feed):
    def broken(*_args):
        raise RuntimeError("boom")

    feed = make_feed(broken)
    feed.start()
    assert feed.join(5.0)
    assert feed.reading().state is State.ERROR
    assert feed.reading().message == "internal error: boom"


# -- the manager ----------------------------------------------------------------------------------
@pytest.fixture
def manager():
    made: list[FeedManager] = []

    def make(**kw) -> FeedManager:
        mgr = FeedManager(StreamTimeouts(), opener=Opener(), **kw)
        made.append(mgr)
        return mgr

    yield make
    for mgr in made:
        assert mgr.stop_all(timeout=5.0) == []


def test_one_feed_per_camera_stream_shared_and_counted(manager):
    mgr = manager()
    other = parse_source("rtsp://10.0.0.9/sub")
    a = mgr.acquire("CAM", RTSP, "Camera")
    b = mgr.acquire("CAM", RTSP)
    c = mgr.acquire("CAM", other)
    d = mgr.acquire("CAM-2", RTSP)
    assert a is b and len({id(a), id(c), id(d)}) == 3
    assert a.key == "CAM|rtsp://viewer:pw@10.0.0.9/ch1" and a.title == "Camera"
    assert sorted(f.key for f in mgr.feeds()) == sorted({a.key, c.key, d.key})
    mgr.release(a)
    assert a in mgr.feeds()  # still shown by the other tile
    mgr.release(a)
    assert a not in mgr.feeds() and a.join(5.0)
    assert a.reading().state is State.CLOSED
    mgr.release(a)  # released once too often: nothing happens
    assert len(mgr.feeds()) == 2


def test_standby_only_while_every_holder_is_on_standby(manager):
    mgr = manager()
    feed = mgr.acquire("CAM", RTSP, standby=True)
    assert feed.reading().standby
    mgr.acquire("CAM", RTSP, standby=True)
    assert feed.reading().standby
    mgr.acquire("CAM", RTSP)
    assert not feed.reading().standby
    mgr.release(feed)  # the tile that showed it
    assert feed.reading().standby
    mgr.release(feed, standby=True)
    assert feed.reading().standby
    mgr.acquire("CAM", RTSP)
    mgr.release(feed, standby=True)
    assert not feed.reading().standby  # the one left shows it


def test_a_released_stream_lingers_on_standby_and_is_taken_up_again(manager):
    mgr = manager(linger_s=30.0)
    feed = mgr.acquire("CAM", RTSP)
    wait_for(lambda: feed.decoded >= 1, 5, "a frame")
    mgr.release(feed)
    assert mgr.feeds() == [] and mgr.lingering() == [feed]
    assert feed.reading().standby and feed.alive
    again = mgr.acquire("CAM", RTSP)
    assert again is feed and mgr.lingering() == [] and not feed.reading().standby
    mgr.release(again)
    mgr.release(again)  # a lingering feed is not released twice
    assert mgr.lingering() == [feed]
    assert mgr.stop_all(timeout=5.0) == []
    assert mgr.lingering() == [] and not feed.alive


def test_a_lingering_stream_closes_when_its_time_is_up(manager):
    mgr = manager(linger_s=0.05)
    feed = mgr.acquire("CAM", RTSP)
    wait_for(lambda: feed.decoded >= 1, 5, "a frame")
    mgr.release(feed)
    wait_for(lambda: not feed.alive, 5, "the lingering stream to close")
    assert mgr.lingering() == [] and mgr.feeds() == []
    assert feed.reading().state is State.CLOSED


def test_frames_of_closed_feeds_are_still_counted(manager):
    mgr = manager()
    a = mgr.acquire("A", RTSP)
    b = mgr.acquire("B", RTSP)
    wait_for(lambda: a.decoded >= 2 and b.decoded >= 2, 5, "frames")
    mgr.release(a)
    assert a.join(5.0)
    total = mgr.decoded_total()
    assert total >= a.decoded + 2
    mgr.release(b)
    assert b.join(5.0)
    assert mgr.decoded_total() == a.decoded + b.decoded
    assert mgr.decoded_total() == a.decoded + b.decoded  # counted once, not at every look


def test_stop_all_stops_everything_once(manager):
    mgr = manager(linger_s=30.0)
    a = mgr.acquire("A", RTSP)
    b = mgr.acquire("B", RTSP)
    mgr.release(b)  # lingering
    assert mgr.stop_all(timeout=5.0) == []
    assert not a.alive and not b.alive
    assert mgr.feeds() == [] and mgr.lingering() == []
    c = mgr.acquire("A", RTSP)  # a fresh one, not the stopped one
    assert c is not a and c.alive


# -- opening sources ------------------------------------------------------------------------------
def test_a_missing_file_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="^file not found: "):
        open_source(parse_source(str(tmp_path / "nope.mp4")), StreamTimeouts())


@pytest.mark.parametrize("decoder", ["pyav", "opencv"])
def test_a_file_that_is_not_video_is_a_source_error(tmp_path, monkeypatch, decoder):
    monkeypatch.setenv("NAZAR_DECODER", decoder)
    path = tmp_path / "notes.mp4"
    path.write_text("not a video" * 100)
    with pytest.raises(SourceError, match="^cannot decode "):
        open_source(parse_source(str(path)), StreamTimeouts(open_s=2, read_s=2))


def test_a_bad_demo_address_is_a_source_error():
    with pytest.raises(SourceError, match="^demo size 'huge' is not main, sub or WIDTHxHEIGHT$"):
        open_source(parse_source("demo://junction?size=huge"), StreamTimeouts())


@pytest.mark.parametrize("decoder", ["pyav", "opencv"])
def test_a_camera_that_refuses_is_retried_later_not_an_error(monkeypatch, decoder):
    monkeypatch.setenv("NAZAR_DECODER", decoder)
    src = parse_source(f"rtsp://127.0.0.1:{free_port()}/x")
    assert open_source(src, StreamTimeouts(open_s=2, read_s=2), "CAM") is None


def test_without_an_opener_the_manager_opens_sources_itself(tmp_path):
    from app import demo

    cache = tmp_path / "demo-cache"
    mgr = FeedManager(StreamTimeouts(), cache_dir=cache)
    try:
        missing = mgr.acquire("F", parse_source(str(tmp_path / "none.mp4")))
        assert missing.join(10.0)
        assert missing.reading().message == f"file not found: {tmp_path / 'none.mp4'}"
        src = parse_source("demo://junction?size=32x32&fps=5")
        feed = mgr.acquire("D", src, "Gate")
        wait_for(lambda: feed.decoded >= 1, 30, "a demo frame")
        spec = demo.DemoSpec.from_params(*src.demo_params())
        assert demo.clip_path(cache, spec, "D", "Gate").is_file()  # drawn into cache_dir
    finally:
        assert mgr.stop_all(timeout=5.0) == []


# -- recordings -----------------------------------------------------------------------------------
class FakeRecording:
    def __init__(self) -> None:
        self.stopped = 0
        self.sessions_ended = 0

    def stop(self) -> None:
        self.stopped += 1

    def session_ended(self) -> None:
        self.sessions_ended += 1


def test_recordings_are_told_when_a_session_ends_and_stopped_when_removed(make_feed):
    rec, other = FakeRecording(), FakeRecording()
    feed = make_feed(Opener(live(picture(), None), live(picture(), None), SourceError("gone")))
    feed.add_recording(rec)
    feed.add_recording(other)
    assert feed.recordings == [rec, other]
    feed.remove_recording(other)
    assert feed.recordings == [rec] and other.stopped == 1 and rec.stopped == 0
    feed.remove_recording(other)  # not there any more: only stopped again
    assert feed.recordings == [rec] and other.stopped == 2
    feed.recordings.clear()  # a copy
    feed.start()
    assert feed.join(5.0)
    assert rec.sessions_ended == 2 and other.sessions_ended == 0


# -- relay hubs -----------------------------------------------------------------------------------
class FakeHub:
    def __init__(self) -> None:
        self.up = True
        self.downs = 0
        self.wants = 0

    def mark_down(self) -> None:
        self.downs += 1

    def want(self) -> None:
        self.wants += 1


# The tests move the fake clock on while the worker reads: with the usual 5 s read timeout
# that would look like a camera gone silent.
NO_READ_TIMEOUT = StreamTimeouts(read_s=1e6)


def hub_route():
    from app.relay import RelayRoute
    return RelayRoute("hub-1", "Lalbazar-1", "10.20.0.5", 8654, "/CAM/main",
                      parse_source("rtsp://10.20.0.5:8654/CAM/main"))


class RoutingOpener:
    """Opens the hub's stream or the camera's, as scripted for each."""

    def __init__(self, hub_results, camera_results):
        self.hub_results, self.camera_results = list(hub_results), list(camera_results)
        self.opened: list[str] = []

    def __call__(self, source, timeouts, camera_id, title):
        via_hub = source.url.startswith("rtsp://10.20.0.5")
        self.opened.append("hub" if via_hub else "camera")
        results = self.hub_results if via_hub else self.camera_results
        r = results.pop(0) if results else live(forever=True)
        if isinstance(r, Exception):
            raise r
        return r


def test_a_hub_that_cannot_open_the_stream_is_tried_again_later(make_feed, monkeypatch):
    monkeypatch.setattr(feeds, "why_not", lambda route: f"{route.name} down")
    clock, hub = StepClock(), FakeHub()
    direct = FakeCapture(forever=True)
    opener = RoutingOpener([None], [Opened(direct, None, loop=False)])
    feed = Feed("CAM|x", RTSP, "CAM", "Camera", NO_READ_TIMEOUT, opener,
                backoff=Backoff(0.005, 1.0, 0.005), clock=clock, route=hub_route(), hub=hub)
    feed.start()
    try:
        wait_for(lambda: feed.reading().path == "direct · Lalbazar-1 down"
                 and feed.decoded >= 1, 5, "the camera directly")
        assert opener.opened == ["hub", "camera"] and hub.downs == 1 and hub.wants == 0
        assert feed.reading().state is State.LIVE
        clock.t += 4.9  # not yet time to return
        decoded = feed.decoded
        wait_for(lambda: feed.decoded >= decoded + 3, 5, "more frames")
        assert hub.wants == 0
        hub.up = False
        clock.t += 0.1  # time to return, but the hub is still down: ask the watch
        wait_for(lambda: hub.wants >= 1, 5, "the hub to be watched")
        assert opener.opened == ["hub", "camera"]
        hub.up = True  # back: return to it
        wait_for(lambda: feed.reading().path == "via Lalbazar-1", 5, "the stream via the hub")
        assert opener.opened == ["hub", "camera", "hub"] and direct.released.is_set()
    finally:
        feed.stop()
        assert feed.join(5.0)


def test_a_hub_stream_that_breaks_goes_direct_and_waits_longer_each_time(make_feed,
                                                                        monkeypatch):
    monkeypatch.setattr(feeds, "why_not", lambda route: f"{route.name} refused")
    clock, hub = StepClock(), FakeHub()
    opener = RoutingOpener([SourceError("no such path"), live(picture(), None)], [])
    feed = Feed("CAM|x", RTSP, "CAM", "Camera", NO_READ_TIMEOUT, opener,
                backoff=Backoff(0.005, 1.0, 0.005), clock=clock, route=hub_route(), hub=hub)
    hub.up = False
    feed.start()
    try:
        wait_for(lambda: feed.reading().path == "direct · Lalbazar-1 refused", 5, "direct")
        assert feed.reading().state is not State.ERROR  # a hub's refusal is not the camera's
        assert opener.opened == ["hub", "camera"] and hub.downs == 1
        clock.t += 5.0  # RETURN_FIRST_S: due again; the watch says down
        wait_for(lambda: hub.wants >= 1, 5, "the hub to be watched")
        hub.up = True
        wait_for(lambda: opener.opened.count("hub") == 2 and hub.downs == 2
                 and opener.opened[-1] == "camera", 5, "the hub stream to break and go direct")
        assert feed.decoded >= 1
        wants = hub.wants
        hub.up = False
        clock.t += 4.9  # after a frame from the hub the wait is short again: 5 s, not 10
        decoded = feed.decoded
        wait_for(lambda: feed.decoded >= decoded + 3, 5, "frames directly")
        assert hub.wants == wants
        clock.t += 0.1
        wait_for(lambda: hub.wants > wants, 5, "the hub to be watched again")
    finally:
        feed.stop()
        assert feed.join(5.0)


def test_without_a_hub_watch_a_feed_stays_direct(make_feed, monkeypatch):
    monkeypatch.setattr(feeds, "why_not", lambda route: f"{route.name} down")
    clock = StepClock()
    opener = RoutingOpener([None], [])
    feed = Feed("CAM|x", RTSP, "CAM", "Camera", NO_READ_TIMEOUT, opener,
                backoff=Backoff(0.005, 1.0, 0.005), clock=clock, route=hub_route(), hub=None)
    feed.start()
    try:
        wait_for(lambda: feed.decoded >= 1, 5, "frames directly")
        clock.t += 1000.0
        decoded = feed.decoded
        wait_for(lambda: feed.decoded >= decoded + 3, 5, "more frames")
        assert opener.opened == ["hub", "camera"]
    finally:
        feed.stop()
        assert feed.join(5.0)


def write_avi(path, fps: float, frames: int = 3, size=(32, 24)):
    import cv2
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    for i in range(frames):
        out.write(np.full((size[1], size[0], 3), 40 * i, np.uint8))
    out.release()
    return path


@pytest.mark.parametrize("decoder", ["pyav", "opencv"])
@pytest.mark.parametrize("fps, paced", [(10.0, 10.0), (1.0, 1.0), (120.0, 120.0), (200.0, 25.0),
                                       (0.5, 25.0)])
def test_a_file_plays_looped_at_its_own_rate(tmp_path, monkeypatch, decoder, fps, paced):
    monkeypatch.setenv("NAZAR_DECODER", decoder)
    path = write_avi(tmp_path / f"clip-{fps:g}.avi", fps)
    opened = open_source(parse_source(str(path)), StreamTimeouts(open_s=2, read_s=2), "F")
    try:
        assert opened.loop is True and opened.paced_fps == pytest.approx(paced)
        pic = opened.capture.read()
        assert pic is not None and pic.size == (32, 24)
    finally:
        opened.capture.release()


# -- process set-up, lingering timers, retries ------------------------------------------------------
@pytest.mark.parametrize("decoder", ["pyav", "opencv"])
def test_decoding_is_configured_once_per_process(monkeypatch, caplog, decoder):
    import logging

    import av
    import av.logging
    import cv2

    monkeypatch.setenv("NAZAR_DECODER", decoder)
    monkeypatch.setattr(feeds, "_configured", False)
    for var in ("OPENCV_FFMPEG_CAPTURE_OPTIONS", "OPENCV_FFMPEG_IS_THREAD_SAFE",
                "OPENCV_FFMPEG_LOGLEVEL"):
        monkeypatch.delenv(var, raising=False)
    threads = cv2.getNumThreads()
    level = av.logging.get_level()
    try:
        cv2.setNumThreads(4)
        with caplog.at_level(logging.INFO, logger="app.feeds"):
            feeds.configure_decoding()
        assert os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] == \
            "rtsp_transport;tcp|analyzeduration;500000"  # TCP for RTSP, a short probe
        assert os.environ["OPENCV_FFMPEG_IS_THREAD_SAFE"] == "1"
        assert os.environ["OPENCV_FFMPEG_LOGLEVEL"] == "-8"
        assert cv2.getNumThreads() == 1
        lines = [r.getMessage() for r in caplog.records if r.name == "app.feeds"]
        if decoder == "pyav":
            assert av.logging.get_level() == av.logging.PANIC
            lanes = len(decoders.decode_lanes())
            assert lines and lines[0].startswith(f"decoder: PyAV {av.__version__} (FFmpeg's "
                                                 f"libraries), {lanes} decode lanes; ")
        else:
            assert lines == [f"decoder: OpenCV {cv2.__version__} VideoCapture "
                             "(NAZAR_DECODER=opencv)"]
        cv2.setNumThreads(3)
        feeds.configure_decoding()  # once: the second call changes nothing
        assert cv2.getNumThreads() == 3
    finally:
        cv2.setNumThreads(threads)
        av.logging.set_level(level)


def test_a_value_already_in_the_environment_is_kept(monkeypatch):
    monkeypatch.setattr(feeds, "_configured", False)
    monkeypatch.setenv("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;udp")
    feeds.configure_decoding()
    assert os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] == "rtsp_transport;udp"


class FakeTimer:
    """threading.Timer that the test fires by hand."""

    made: list[FakeTimer] = []

    def __init__(self, interval, function, args=()):
        self.interval, self.function, self.args = interval, function, args
        self.daemon = False
        self.started = False
        FakeTimer.made.append(self)

    def start(self) -> None:
        self.started = True

    def fire(self) -> None:
        self.function(*self.args)


def test_only_the_newest_release_closes_a_lingering_stream(manager, monkeypatch):
    FakeTimer.made = []
    monkeypatch.setattr(feeds.threading, "Timer", FakeTimer)
    mgr = manager(linger_s=7.5)
    feed = mgr.acquire("CAM", RTSP)
    mgr.release(feed)
    first = FakeTimer.made[0]
    assert (first.interval, first.daemon, first.started) == (7.5, True, True)
    assert mgr.acquire("CAM", RTSP) is feed
    first.fire()  # the first release's time is up, but the stream is shown again
    assert mgr.feeds() == [feed] and feed.alive
    mgr.release(feed)
    second = FakeTimer.made[1]
    first.fire()
    assert mgr.lingering() == [feed] and feed.alive
    second.fire()
    assert mgr.lingering() == [] and feed.join(5.0)
    assert feed.reading().state is State.CLOSED


class FixedRandom:
    def __init__(self, value: float):
        self.value = value

    def random(self) -> float:
        return self.value


def test_a_retry_says_when_and_why(make_feed, caplog, monkeypatch):
    import logging

    monkeypatch.setattr(feeds, "diagnose", lambda src: Diagnosis(REFUSED, "refused by h:554"))
    opener = Opener(None)
    clock = StepClock()  # frozen: the retry stays 15 s away
    feed = Feed("CAM|x", RTSP, "CAM", "Camera", StreamTimeouts(), opener,
                backoff=Backoff(30.0, 1.0, 30.0, rng=FixedRandom(0.0)), clock=clock)
    with caplog.at_level(logging.INFO, logger="app.feeds"):
        feed.start()
        try:
            wait_for(lambda: feed.reading().state is State.RECONNECTING, 5, "the first failure")
            r = feed.reading()
            assert r.retry_in_s == 15.0 and r.message == "refused by h:554"
            assert opener.calls == 1  # waiting to retry, not trying yet
        finally:
            feed.stop()  # the wait for the retry ends at once
            assert feed.join(5.0)
    assert "camera CAM: refused by h:554; retrying in 15.0 s" in \
        [rec.getMessage() for rec in caplog.records]


def test_a_tile_too_small_to_see_still_asks_for_one_pixel(make_feed):
    feed = make_feed(Opener())
    feed.set_size(1, 0.4, -3)
    assert feed.target_size() == (1, 1)


def test_packets_of_a_pyav_stream_are_buffered_and_recorded(make_feed, tmp_path):
    from app.decoders import PyAVCapture

    path = write_avi(tmp_path / "rec.avi", 10.0, frames=6)
    written: list = []

    class Recording(FakeRecording):
        def write(self, p, template, buffer) -> None:
            written.append((p, template, buffer))

    def opener(*_args):
        if opener.calls:
            raise SourceError("done")
        opener.calls += 1
        return Opened(PyAVCapture(str(path), 2.0, 2.0), None, loop=False)

    opener.calls = 0
    feed = make_feed(opener)
    rec = Recording()
    feed.add_recording(rec)
    feed.start()
    assert feed.join(5.0)
    template, packets = feed.packets.last(3600.0)
    assert template is not None and (template.session, template.width, template.height) == \
        (1, 32, 24)
    assert template.codec == "mjpeg"
    assert len(packets) == 6 and all(p.session == 1 and p.data for p in packets)
    assert all(p.keyframe for p in packets)  # MJPEG: every picture is a keyframe
    assert [w[0] for w in written] == packets
    assert all(t is template and b is feed.packets for _, t, b in written)
    assert feed.decoder.startswith("mjpeg · PyAV") and rec.sessions_ended == 1


def test_standby_counts_only_standby_holders(manager):
    mgr = manager()
    feed = mgr.acquire("CAM", RTSP)
    mgr.acquire("CAM", RTSP)
    mgr.release(feed, standby=True)  # it was not held on standby: nothing to count down
    assert not feed.reading().standby and feed in mgr.feeds()
    mgr.release(feed)
    assert feed.join(5.0)
    again = mgr.acquire("CAM", RTSP, standby=True)
    mgr.release(again)  # let go without saying standby: its standby count goes with it
    fresh = mgr.acquire("CAM", RTSP)
    assert fresh is not again and not fresh.reading().standby


def test_without_lingering_a_released_stream_closes_at_once(manager, monkeypatch):
    FakeTimer.made = []
    monkeypatch.setattr(feeds.threading, "Timer", FakeTimer)
    mgr = manager()
    feed = mgr.acquire("CAM", RTSP)
    mgr.release(feed)
    assert mgr.lingering() == [] and FakeTimer.made == [] and feed.join(5.0)
    mgr = manager(linger_s=0.5)
    feed = mgr.acquire("CAM", RTSP)
    mgr.release(feed)
    assert mgr.lingering() == [feed] and FakeTimer.made[0].interval == 0.5


def test_going_direct_is_logged_with_the_reason(make_feed, monkeypatch, caplog):
    import logging

    monkeypatch.setattr(feeds, "why_not", lambda route: f"{route.name} down")
    opener = RoutingOpener([None], [])
    feed = Feed("CAM|x", RTSP, "CAM", "Camera", NO_READ_TIMEOUT, opener,
                backoff=Backoff(0.005, 1.0, 0.005), clock=StepClock(), route=hub_route(),
                hub=FakeHub())
    with caplog.at_level(logging.INFO, logger="app.feeds"):
        feed.start()
        try:
            wait_for(lambda: feed.decoded >= 1, 5, "frames directly")
        finally:
            feed.stop()
            assert feed.join(5.0)
    assert ("camera CAM: cannot open the stream via Lalbazar-1 (Lalbazar-1 down); opening it "
            "directly") in [r.getMessage() for r in caplog.records]
