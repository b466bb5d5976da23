"""The feed engine without Qt: real sources, real decoding (files, HTTP MJPEG, demo clips)."""
from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from app.decoders import BufferPool
from app.feeds import FeedManager, FrameSlot
from app.streams import State, StreamTimeouts
from app.urls import parse_source
from tests.support.clips import make_clip
from tests.support.rtsp import free_port
from tests.support.waiting import wait_for


@pytest.fixture
def manager():
    mgr = FeedManager(StreamTimeouts(open_s=3, read_s=3, stall_after_s=1.5))
    yield mgr
    assert mgr.stop_all(timeout=10.0) == []


def test_frame_slot_keeps_only_the_newest():
    import numpy as np
    slot = FrameSlot()
    assert slot.get() is None
    a, b = np.zeros((2, 2, 4), np.uint8), np.ones((2, 2, 4), np.uint8)
    slot.put(a, 1.0, (2, 2))
    slot.put(b, 2.0, (2, 2))
    frame = slot.get()
    assert frame.image is b and frame.seq == 2 and frame.captured == 2.0


def test_buffer_pool_never_hands_out_a_buffer_someone_holds():
    pool = BufferPool(keep=3)
    a = pool.take((4, 4, 4))
    b = pool.take((4, 4, 4))
    assert b is not a  # a is still held (by this test, as a tile would hold it)
    del b
    c = pool.take((4, 4, 4))
    assert c is not a and pool.allocated == 2  # the free one came back
    held = [pool.take((4, 4, 4)) for _ in range(5)]  # all held: new ones, none shared
    assert len({id(x) for x in held + [a, c]}) == 7
    del held, c
    assert pool.take((8, 8, 4)).shape == (8, 8, 4)  # a new size: a new buffer


def test_frames_handed_to_the_wall_are_never_written_again(manager, clip_dir):
    """The worker reuses its buffers; a frame someone still holds must keep its pixels."""
    import numpy as np
    clip = make_clip(clip_dir, 320, 240, fps=25, seconds=1)
    feed = manager.acquire("FILE-2", parse_source(str(clip)))
    feed.set_size(1, 160, 120)
    wait_for(lambda: feed.slot.seq >= 1, 10, "the first frame")
    held = []
    for _ in range(6):  # hold six frames, as slow tiles would, while the feed runs on
        seq = feed.slot.seq
        wait_for(lambda: feed.slot.seq > seq, 5, "a new frame")
        frame = feed.slot.get()
        held.append((frame, frame.image.copy()))
    # Read on as the wall's display timer does (a wall that stops reading gets no new
    # conversions: see test_a_wall_that_falls_behind_is_not_buried).
    last = held[-1][0].seq
    wait_for(lambda: feed.slot.get().seq >= last + 10, 5, "ten more frames")
    for frame, pixels in held:
        assert np.array_equal(frame.image, pixels), f"frame {frame.seq} was overwritten"
    assert len({id(f.image) for f, _ in held}) == len(held)
    del held, frame
    seq = feed.slot.seq
    wait_for(lambda: feed.slot.get().seq >= seq + 10, 5, "ten frames with nothing held")
    assert feed._paint_ready.allocated < feed.slot.seq / 2  # buffers are reused, not new
    full = feed.last_full_frame()
    assert full.shape == (240, 320, 3) and full is not feed.last_full_frame()  # a copy


def test_closed_feeds_are_forgotten_but_their_frames_counted(manager, clip_dir):
    import weakref
    clip = make_clip(clip_dir, 320, 240, fps=25, seconds=1)
    feed = manager.acquire("FILE-3", parse_source(str(clip)))
    wait_for(lambda: feed.decoded >= 5, 10, "five frames")  # noqa: F821 (runs before del)
    manager.release(feed)
    assert feed.join(5.0)
    decoded, gone = feed.decoded, weakref.ref(feed)
    del feed
    assert manager.decoded_total() == decoded
    assert gone() is None, "the manager still holds a closed feed (and its frame buffers)"


def test_file_source_is_paced_looped_and_scaled(manager, clip_dir):
    clip = make_clip(clip_dir, 320, 240, fps=10, seconds=1)
    feed = manager.acquire("FILE-1", parse_source(str(clip)))
    feed.set_size(1, 160, 160)
    wait_for(lambda: feed.slot.seq >= 1, 10, "the first frame")
    t0, n0 = time.monotonic(), feed.slot.seq
    wait_for(lambda: feed.slot.seq >= n0 + 25, 10, "25 more frames (past the 1 s clip's end)")
    rate = (feed.slot.seq - n0) / (time.monotonic() - t0)
    assert 7 <= rate <= 13, f"a 10 fps file played at {rate:.1f} fps"
    frame = feed.slot.get()
    assert frame.image.shape == (120, 160, 4)  # fitted into 160x160, aspect kept
    assert frame.source_size == (320, 240)
    assert feed.reading().state is State.LIVE


def test_missing_file_is_an_error_state_not_a_crash(manager, tmp_path):
    feed = manager.acquire("GONE", parse_source(str(tmp_path / "gone.mp4")))
    wait_for(lambda: feed.reading().state is State.ERROR, 5, "the error state")
    assert "file not found" in feed.reading().message
    assert feed.join(5)


def test_demo_source_decodes_like_a_recorded_file(manager):
    feed = manager.acquire("DEMO-1", parse_source("demo://atrium?size=sub"), "Demo atrium")
    wait_for(lambda: feed.slot.seq >= 5, 20, "demo frames")
    frame = feed.slot.get()
    assert frame.source_size == (640, 360)
    assert frame.image.mean() > 10
    assert feed.decoded >= 5


def test_one_stream_per_camera_and_closed_when_released(manager):
    src = parse_source("demo://junction?size=sub")
    a = manager.acquire("CAM", src)
    b = manager.acquire("CAM", src)
    assert a is b and len(manager.feeds()) == 1
    wait_for(lambda: a.slot.seq >= 2, 20, "frames")
    manager.release(a)  # one of the two tiles lets go: the other still shows it
    assert manager.feeds() == [a] and a.alive
    seq = a.slot.seq
    wait_for(lambda: a.slot.seq > seq + 2, 20, "frames still coming for the other tile")
    assert a.reading().state is not State.CLOSED
    manager.release(b)
    assert manager.feeds() == [] and a.reading().state is State.CLOSED
    assert a.join(10)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg (./nazar test installs it)")
def test_http_mjpeg_source_like_a_cheap_dvr(manager, clip_dir):
    clip = make_clip(clip_dir, 320, 240, fps=10, seconds=2)
    port = free_port()
    server = subprocess.Popen(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", str(clip),
         "-c:v", "mjpeg", "-q:v", "5", "-f", "mpjpeg", "-listen", "1",
         f"http://127.0.0.1:{port}/video.mjpg"])
    try:
        # Connecting before ffmpeg listens is fine: the feed retries, as with a DVR booting.
        feed = manager.acquire("DVR-1", parse_source(f"http://127.0.0.1:{port}/video.mjpg"))
        wait_for(lambda: feed.slot.seq >= 10, 20, "MJPEG frames over HTTP")
        assert feed.slot.get().source_size == (320, 240)
        assert feed.reading().state is State.LIVE
    finally:
        server.kill()
        server.wait()


def test_unreachable_camera_backs_off_and_goes_offline(manager):
    port = free_port()  # nothing listens here: connection refused at once
    feed = manager.acquire("DEAD", parse_source(f"rtsp://viewer:pw@127.0.0.1:{port}/x"))
    wait_for(lambda: feed.reading().state is State.RECONNECTING, 10, "reconnecting")
    snap = feed.reading()
    assert f"connection refused by 127.0.0.1:{port}" in snap.message  # why, specifically
    assert ":pw@" not in snap.message
    assert snap.retry_in_s is not None
    wait_for(lambda: feed.reading().state is State.OFFLINE, 20, "offline after 3 failures")
    t0 = time.monotonic()
    manager.release(feed)
    assert feed.join(2.0), "a stream waiting to retry must stop at once"
    assert time.monotonic() - t0 < 2.0



def test_a_hung_camera_is_waited_for_once_not_at_every_stop_all(monkeypatch):
    """Closing the window stops every feed (waiting up to 1 s); main.py then stops them again
    before it exits. A camera hung in a network read must not be waited for twice."""
    import threading

    from app.feeds import Feed

    release, opened = threading.Event(), threading.Event()

    def hangs(*_args):  # a camera that accepts the connection and then never answers
        opened.set()
        release.wait(30)
        return None

    joins: list[str] = []
    real_join = Feed.join

    def counting_join(self, timeout):
        joins.append(self.camera_id)
        return real_join(self, timeout)

    monkeypatch.setattr(Feed, "join", counting_join)
    mgr = FeedManager(StreamTimeouts(open_s=3, read_s=3), opener=hangs)
    mgr.acquire("HUNG-1", parse_source("rtsp://10.0.0.1/x"), "hung")
    try:
        wait_for(opened.is_set, 10, "the opener to hang")
        assert mgr.stop_all(timeout=0.2) == ["HUNG-1"]  # gave up on it, once
        assert mgr.stop_all(timeout=0.2) == []  # not waited for again
        assert joins == ["HUNG-1"]
    finally:
        release.set()


def test_a_camera_back_after_refusing_is_reopened_without_waiting_out_the_backoff(
        clip_dir, rtsp_server_factory, caplog):
    """[harden] a camera whose server restarts (rebooting: connections refused meanwhile) is
    opened again as soon as its port listens, not at the next backoff attempt, which may be
    up to 30 s away (./nazar bench soak-faults measured up to 14 s after a 10 s outage)."""
    import logging

    from app.feeds import Feed, open_source
    from app.streams import Backoff

    caplog.set_level(logging.INFO, logger="app.feeds")
    clip = make_clip(clip_dir, 320, 240, fps=10, seconds=4)
    server = rtsp_server_factory({"/cam": clip})
    server.kill()  # rebooting: nothing listens at its port
    feed = Feed("BACK-1|x", parse_source(server.url("/cam")), "BACK-1", "",
                StreamTimeouts(open_s=3, read_s=3), open_source,
                backoff=Backoff(base_s=60.0, factor=1.0, cap_s=60.0))  # 30-60 s between tries
    feed.start()
    try:
        wait_for(lambda: "connection refused" in feed.reading().message, 10, "refused")
        assert feed.reading().retry_in_s > 25  # the backoff alone would wait that long
        server.start()
        wait_for(lambda: feed.reading().state is State.LIVE, 20,
                 "live again well before the backoff's next attempt")
        assert "accepts connections again; reconnecting now" in caplog.text
    finally:
        feed.stop()
        assert feed.join(5.0)


def test_closing_waits_for_the_live_streams_not_for_the_hung_ones(clip_dir, caplog):
    """[harden] exit with hung cameras within 1 s (./nazar bench exit): the window's close
    and main.py's exit wait for the streams that deliver frames (they close cleanly), not
    for a stream blocked in an open or read until its own timeout."""
    import logging
    import threading

    from app.feeds import open_source

    caplog.set_level(logging.INFO, logger="app.feeds")
    release, opened = threading.Event(), threading.Event()

    def opener(source, timeouts, camera_id, title):
        if camera_id == "HUNG-1":  # accepts the connection, then never answers
            opened.set()
            release.wait(60)
            return None
        return open_source(source, timeouts, camera_id, title)

    clip = make_clip(clip_dir, 320, 240, fps=10, seconds=4)
    mgr = FeedManager(StreamTimeouts(open_s=3, read_s=3), opener=opener)
    live = mgr.acquire("FILE-1", parse_source(str(clip)))
    hung = mgr.acquire("HUNG-1", parse_source("rtsp://10.0.0.1/x"), "hung")
    try:
        wait_for(lambda: opened.is_set() and live.delivering(), 10, "one live, one hung")
        assert not hung.delivering()
        assert mgr.stop_all(timeout=60.0, wait_hung=False) == ["HUNG-1"]
        assert not live.alive  # waited for: closed cleanly
        assert hung.alive and not release.is_set()  # returned while it was still blocked
        assert "not waiting for streams without a fresh frame" in caplog.text
        assert "still closing" not in caplog.text  # not given up on: a later call waits
    finally:
        release.set()
    assert mgr.stop_all(timeout=10.0) == []  # and it does, once it is released


def test_standby_decodes_keyframes_only_until_someone_shows_it(manager, clip_dir):
    """A tour's next page: open, keyframes only (a picture ready at the turn); shown: every
    frame again, from a keyframe."""
    clip = make_clip(clip_dir, 320, 240, fps=10, seconds=4, gop=5)
    src = parse_source(str(clip))
    feed = manager.acquire("NEXT", src, standby=True)
    assert feed.reading().standby
    wait_for(lambda: feed.keyframes >= 2, 20, "keyframes on standby")
    others = feed.decoded - feed.keyframes
    keys = feed.keyframes
    wait_for(lambda: feed.keyframes >= keys + 3, 20, "three more keyframes")
    assert feed.decoded - feed.keyframes == others, "a frame that is not a key was decoded"
    assert feed.latest_frame() is not None  # the picture the turn shows at once
    shown = manager.acquire("NEXT", src)  # the page turned: a tile shows it
    assert shown is feed and not feed.reading().standby
    wait_for(lambda: feed.decoded - feed.keyframes >= others + 5, 20, "every frame again")
    assert "a keyframe every 0.5 s" in feed.info()
    manager.release(feed, standby=True)  # the standby holder lets go: still shown
    assert manager.feeds() == [feed] and not feed.reading().standby
    manager.release(feed)
    assert manager.feeds() == []


def test_the_opencv_decoder_is_still_there(manager, clip_dir, monkeypatch):
    """NAZAR_DECODER=opencv: the older path, for comparison and as a way back."""
    monkeypatch.setenv("NAZAR_DECODER", "opencv")
    clip = make_clip(clip_dir, 320, 240, fps=25, seconds=1)
    feed = manager.acquire("CV", parse_source(str(clip)))
    feed.set_size(1, 160, 120)
    wait_for(lambda: feed.slot.seq >= 3, 10, "frames from OpenCV")
    assert feed.slot.get().image.shape == (120, 160, 4)
    assert feed.reading().decoder == "OpenCV"
    assert feed.last_full_frame().shape == (240, 320, 3)


@pytest.mark.rtsp
def test_paging_back_and_forth_reuses_one_connection(clip_dir, rtsp_server_factory):
    """[harden] 4: 100 quick acquire/release cycles (page flips) opened 100 connections to one
    camera. A released stream lingers (on standby) and is taken up again: one session."""
    clip = make_clip(clip_dir, 640, 360, fps=15, seconds=4)
    server = rtsp_server_factory({"/cam1": clip})
    mgr = FeedManager(StreamTimeouts(open_s=3, read_s=3), linger_s=2.0)
    try:
        src = parse_source(server.url("/cam1"))
        first = mgr.acquire("CAM", src)
        wait_for(lambda: first.slot.seq >= 1, 20, "the first frame")
        most = 0
        for _ in range(100):  # page flips: released by one page, shown again by the next
            mgr.release(first)
            assert mgr.feeds() == [] and mgr.lingering() == [first]
            assert mgr.acquire("CAM", src) is first
            most = max(most, server.connections())
        assert most == 1 and server.connections() == 1
        assert not first.reading().standby  # shown again: every frame decoded
        mgr.release(first)
        assert first.reading().standby  # lingering: keyframes only
        wait_for(lambda: not first.alive, 20, "the stream to close after lingering")
        assert mgr.lingering() == [] and mgr.feeds() == []
        wait_for(lambda: server.connections() == 0, 20, "the connection to close")
    finally:
        mgr.stop_all()


def test_a_wall_that_falls_behind_is_not_buried(manager, clip_dir):
    """While the wall has not taken the newest picture, the worker decodes on but does not
    convert the next ones; as soon as the wall reads again, pictures come again."""
    clip = make_clip(clip_dir, 320, 240, fps=25, seconds=2)
    feed = manager.acquire("SLOW", parse_source(str(clip)))
    feed.set_size(1, 160, 120)
    wait_for(lambda: feed.slot.get() is not None, 10, "the first picture")  # the wall reads
    seq = feed.slot.seq
    wait_for(lambda: feed.slot.seq > seq, 5, "the next picture")
    stuck, decoded = feed.slot.seq, feed.decoded
    wait_for(lambda: feed.decoded >= decoded + 10, 5, "ten more frames decoded")
    assert feed.slot.seq == stuck and feed.skipped >= 9  # not converted: nobody took them
    assert feed.reading().state is State.LIVE  # the stream is live all the same
    wait_for(lambda: feed.slot.get().seq > stuck, 5, "pictures again once the wall reads")


def test_retries_back_off_from_1_s_doubling_to_a_30_s_cap():
    """README: reconnecting retries with exponential backoff, 1 s doubling to 30 s, with
    jitter; offline still retries every 30 s at most. The backoff a feed is made with."""
    from app.feeds import Feed
    feed = Feed("K", parse_source("rtsp://10.0.0.1/x"), "K", "k", StreamTimeouts(),
                opener=lambda *_a: None)  # never started: only its backoff is used here
    backoff = feed._backoff
    delays = [backoff.next_delay() for _ in range(40)]
    ceilings = [1, 2, 4, 8, 16] + [30] * 35
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings)), delays
    assert max(delays) > 25 and len(set(delays)) > 30  # reaches the cap; jittered


@pytest.mark.rtsp
def test_the_backoff_starts_again_at_1_s_once_frames_flow(clip_dir, rtsp_server_factory):
    """After failed attempts the delay grows; once the camera gives frames again, the next
    loss is retried within a second, not after the grown delay."""
    clip = make_clip(clip_dir, 640, 360, fps=15, seconds=4)
    server = rtsp_server_factory({"/cam1": clip})
    server.kill()  # the camera is down when the wall opens it: connection refused
    mgr = FeedManager(StreamTimeouts(open_s=3, read_s=3))
    try:
        feed = mgr.acquire("CAM", parse_source(server.url("/cam1")))
        wait_for(lambda: feed._backoff.attempt >= 3, 30, "three failed attempts")
        server.start()  # same port: the camera is back
        wait_for(lambda: feed.reading().state is State.LIVE, 40, "frames again")
        assert feed._backoff.attempt == 0  # frames flow: the backoff is reset
        server.kill()  # lost again
        retry = wait_for(lambda: feed.reading().retry_in_s, 20, "the first retry planned")
        assert retry <= 1.0, f"retrying in {retry:.1f} s: the backoff was not reset"
    finally:
        assert mgr.stop_all(timeout=10.0) == []


@pytest.mark.rtsp
def test_a_camera_whose_decoding_crashes_frees_its_lane_for_the_others(
        clip_dir, rtsp_server_factory, monkeypatch):
    """One lane for both cameras: when one camera's worker dies inside the lane (a bug in
    converting its pictures), its tile says so and the other camera goes on being decoded,
    instead of half the wall freezing behind a lane nobody leaves."""
    from app import decoders
    lanes = decoders.DecodeLanes(1)
    monkeypatch.setattr(decoders, "_lanes", lanes)
    real = decoders.yuv_to_bgra

    def convert(frame, size, pool):
        if frame.width == 320:
            raise RuntimeError("a converter bug")
        return real(frame, size, pool)

    monkeypatch.setattr(decoders, "yuv_to_bgra", convert)
    mgr = FeedManager(StreamTimeouts(open_s=3, read_s=3, stall_after_s=1.5))
    try:
        server = rtsp_server_factory({"/bad": make_clip(clip_dir, 320, 240, fps=10, seconds=2),
                                      "/good": make_clip(clip_dir, 352, 288, fps=10, seconds=2)})
        # RTSP, not files: a file's pacing wait leaves the lane before the picture is
        # handed over; a camera's picture is converted inside it.
        bad = mgr.acquire("BAD", parse_source(server.url("/bad")))
        good = mgr.acquire("GOOD", parse_source(server.url("/good")))
        wait_for(lambda: bad.status.reading(time.monotonic()).state is State.ERROR, 15,
                 "the crash shown")
        assert "a converter bug" in bad.status.reading(time.monotonic()).message
        seen = good.slot.seq
        wait_for(lambda: good.slot.seq >= seen + 10, 15, "the other camera's frames")
    finally:
        assert mgr.stop_all(timeout=10.0) == []
    assert lanes.busy() == 0


@pytest.mark.rtsp
def test_a_camera_the_console_fell_behind_on_catches_up_instead_of_showing_the_past(
        clip_dir, rtsp_server_factory, monkeypatch, caplog):
    """The console stops decoding a live camera for a while (its decode lane held, as other
    cameras hold it on a console with too few cores): the camera's packets queue up in the
    connection. When it can decode again it is that far behind: it skips the queue to catch
    up, says so, and shows current pictures again, not the queued past as live."""
    import logging

    from app import decoders
    lanes = decoders.DecodeLanes(1)
    monkeypatch.setattr(decoders, "_lanes", lanes)
    server = rtsp_server_factory({"/cam1": make_clip(clip_dir, 320, 240, fps=15, seconds=4,
                                                     gop=15)})
    mgr = FeedManager(StreamTimeouts(open_s=3, read_s=8, stall_after_s=1.5))
    try:
        with caplog.at_level(logging.INFO, logger="app.feeds"):
            feed = mgr.acquire("CAM-LATE", parse_source(server.url("/cam1")))
            wait_for(lambda: feed.reading().state is State.LIVE, 20, "live")
            lane = lanes._locks[0]
            lane.acquire()  # the console busy with other cameras
            try:
                wait_for(lambda: feed.reading().state is State.STALLED, 10, "its tile stalled")
            finally:
                lane.release()
            wait_for(lambda: "CAM-LATE: caught up" in caplog.text, 20, "caught up")
            assert "camera CAM-LATE: its pictures queue up" in caplog.text
            seq = feed.slot.seq
            wait_for(lambda: feed.slot.seq >= seq + 10, 20, "every frame again")
            cap = feed._capture
            assert cap is not None and cap.dropped > 0  # the queue was skipped, not decoded
            assert cap.pace.behind_s < decoders.CAUGHT_UP_S and not feed.reading().catching_up
    finally:
        assert mgr.stop_all(timeout=10.0) == []
