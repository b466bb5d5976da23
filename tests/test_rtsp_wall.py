"""The wall against a real RTSP server (Debian's GStreamer RTSP server, started by the test).

A tile goes live; when the server dies the tile leaves "live" within the read timeout and
says so; when the server comes back the tile is live again with no user action; a hung
server (SIGSTOP) shows as stalled and does not delay closing the window.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import time

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QPlainTextEdit

from app.feeds import FeedManager
from app.layouts import LAYOUTS, WallModel
from app.registry import load_registry
from app.snapshots import SnapshotWriter
from app.streams import State, StreamTimeouts
from app.styles import STATE_STYLES
from tests.conftest import camera_yaml, registry_text
from tests.support.clips import make_clip
from tests.support.waiting import wait_for
from widgets.main_window import MainWindow

pytestmark = pytest.mark.rtsp

TIMEOUTS = StreamTimeouts(open_s=3.0, read_s=3.0, stall_after_s=1.5, offline_after=3)


@pytest.fixture
def rtsp_wall(qtbot, write_yaml, clip_dir, rtsp_server_factory):
    clips = {f"/cam{i}": make_clip(clip_dir, 640, 360, fps=15, seconds=4, label=f"cam{i}")
             for i in (1, 2)}
    server = rtsp_server_factory(clips)
    reg = load_registry(write_yaml(registry_text(
        camera_yaml("RTSP-1", server.url("/cam1")) + camera_yaml("RTSP-2", server.url("/cam2")))))
    assert reg.problems == []
    feeds = FeedManager(TIMEOUTS)
    win = MainWindow(reg, WallModel(layout=LAYOUTS["2x2"], view=["RTSP-1", "RTSP-2"]), feeds)
    qtbot.addWidget(win)
    win.resize(1000, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win, server
    if server.running:
        os.kill(server.pid, signal.SIGCONT)
    win.close()
    assert feeds.stop_all(timeout=10.0) == []


STALLED_BGR = [int(STATE_STYLES["stalled"].colour[i:i + 2], 16) for i in (5, 3, 1)]


def tile_pixels(tile) -> np.ndarray:
    """The tile as painted now (its paintEvent, into an image): BGRA rows."""
    img = tile.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes())
    return arr.reshape(img.height(), img.bytesPerLine())[:, : img.width() * 4] \
        .reshape(img.height(), img.width(), 4).copy()


def live_tiles(win):
    return [t for t in win.wall.tiles[:2]]


def test_tile_goes_live_dies_with_the_server_and_comes_back(rtsp_wall, qtbot):
    win, server = rtsp_wall
    tiles = live_tiles(win)
    qtbot.waitUntil(lambda: all(t.state is State.LIVE and t.frame_seq > 5 for t in tiles),
                    timeout=15_000)
    for t in tiles:
        snap = t.content.source.reading()
        assert snap.first_frame_latency_s is not None and snap.first_frame_latency_s < 5
        assert t._frame.source_size == (640, 360)
    # After the burst of buffered frames that follows connecting, the rate settles at 15 fps.
    qtbot.waitUntil(lambda: all(12 <= t.content.source.reading().fps <= 18 for t in tiles),
                    timeout=10_000)

    server.kill()
    killed = time.monotonic()
    qtbot.waitUntil(lambda: all(t.state is not State.LIVE for t in tiles),
                    timeout=int((TIMEOUTS.read_s + 2) * 1000))
    left_live = time.monotonic() - killed
    assert left_live <= TIMEOUTS.read_s + 1.0
    for t in tiles:
        assert t.state in (State.STALLED, State.RECONNECTING, State.OFFLINE)
        assert t._snap.message  # the tile says why
    assert any("connection lost" in t._snap.message for t in tiles)
    # The picture on the tile is not presented as live: the state is painted over it.
    img = tiles[0].grab().toImage()
    assert img.pixelColor(3, img.height() // 2).red() > 150  # the state-coloured frame

    seq_before = [t.frame_seq for t in tiles]
    server.start()  # same port, same URLs: nobody touches the wall
    qtbot.waitUntil(lambda: all(t.state is State.LIVE for t in tiles),
                    timeout=int((2 * TIMEOUTS.open_s + 35) * 1000))
    qtbot.waitUntil(lambda: all(t.frame_seq > s + 10 for t, s in zip(tiles, seq_before)),
                    timeout=10_000)
    # The officer asks what happened to this camera (Ctrl+Shift+H): when, and why.
    win.wall.execute("select_tile", 0)
    win.wall.execute("stream_history")
    text = win.history_box.findChild(QPlainTextEdit).toPlainText()
    head, _, history = text.partition("\n\n")  # the camera, its decoder facts; then history
    assert "h264 · PyAV software, 640x360" in head, head
    lines = history.splitlines()  # newest first
    states = [line.split()[1] for line in lines]
    assert states[0] == "live" and "connecting" == states[-1], text
    assert "reconnecting" in states or "offline" in states, text
    assert any("connection" in line or "no frame" in line or "refused" in line
               for line in lines if "reconnecting" in line or "offline" in line), text
    assert all(re.match(r"\d\d:\d\d:\d\d  ", line) for line in lines), text


def test_hung_server_shows_stalled_and_does_not_block_closing(rtsp_wall, qtbot):
    win, server = rtsp_wall
    tiles = live_tiles(win)
    qtbot.waitUntil(lambda: all(t.state is State.LIVE for t in tiles), timeout=15_000)
    seen: list[tuple[State, int]] = []  # tile 1's state and frame count at every poll
    feed = next(f for f in win.feeds.feeds() if f.camera_id == tiles[0].content.camera_id)
    win.poller.polled.connect(lambda: seen.append((tiles[0].state, feed.reading().frames)))
    live = tile_pixels(tiles[0])  # live: the picture, no amber frame
    assert live[live.shape[0] // 2, 3, :3].tolist() != pytest.approx(STALLED_BGR, abs=40)
    os.kill(server.pid, signal.SIGSTOP)  # the camera hangs: TCP stays open, no data
    # Stalled first (how soon is the benchmark's business: a guard limit here).
    qtbot.waitUntil(lambda: all(t.state is State.STALLED for t in tiles),
                    timeout=int((TIMEOUTS.stall_after_s + 10) * 1000))
    assert "no new frame" in tiles[0]._snap.message
    # The frozen picture is painted over, not left looking live: an amber frame all round
    # and the picture dimmed under the reason (README: "A stalled ... camera is painted
    # over in amber").
    stalled = tile_pixels(tiles[0])
    h, w = stalled.shape[:2]
    for y, x in ((h // 2, 3), (h // 2, w - 4), (h // 3, 3)):
        assert stalled[y, x, :3].tolist() == pytest.approx(STALLED_BGR, abs=40), (y, x)
    body = (slice(h // 4, h // 3), slice(w // 10, w - w // 10))  # above the headline
    assert stalled[body][..., :3].mean() < 0.7 * live[body][..., :3].mean()
    # The read timeout then turns "stalled" into "reconnecting".
    qtbot.waitUntil(lambda: tiles[0].state in (State.RECONNECTING, State.OFFLINE),
                    timeout=int((TIMEOUTS.read_s + 3) * 1000))
    assert "read timeout" in tiles[0]._snap.message
    # A hung camera never looks live again: no frame counted after the hang, no LIVE after
    # STALLED (FFmpeg flushes one old picture out of its decoder when the read times out).
    stalled_at = next(i for i, (state, _) in enumerate(seen) if state is State.STALLED)
    assert State.LIVE not in [state for state, _ in seen[stalled_at:]], seen
    assert len({frames for _, frames in seen[stalled_at:]}) == 1, seen
    # Wait until the worker is inside an open (no retry pending): blocked on the camera.
    qtbot.waitUntil(lambda: feed.reading().state in (State.RECONNECTING, State.OFFLINE)
                    and feed.reading().retry_in_s is None, timeout=20_000)
    workers = win.feeds.feeds()
    win.close()  # every worker is blocked on the hung server right now
    # Closing returned while workers were still blocked on the camera: it did not wait for
    # them (they are daemon threads; main.py then leaves with os._exit).
    assert any(f.alive for f in workers), "closing waited for the hung cameras"


def test_a_stream_shown_on_two_tiles_stays_open_while_one_still_shows_it(rtsp_wall, qtbot):
    """README: a stream is opened once per camera however many tiles show it. Clearing one
    of two tiles leaves the other's picture running on the same connection; clearing the
    second closes it."""
    win, server = rtsp_wall
    tiles = win.wall.tiles
    win.model.put("RTSP-1", 2)  # RTSP-1 on tiles 0 and 2
    qtbot.waitUntil(lambda: tiles[2].state is State.LIVE and tiles[0].state is State.LIVE,
                    timeout=15_000)
    feed = tiles[0].content.source
    assert tiles[2].content.source is feed
    assert sorted(f.camera_id for f in win.feeds.feeds()) == ["RTSP-1", "RTSP-2"]
    wait_for(lambda: server.connections() == 2, 10, "one connection per camera")

    win.model.clear(0)  # one of the two tiles lets go
    assert tiles[0].content is None
    assert feed in win.feeds.feeds() and feed.alive
    seq = tiles[2].frame_seq
    qtbot.waitUntil(lambda: tiles[2].frame_seq > seq + 15, timeout=10_000)  # still moving
    assert tiles[2].content.source is feed and tiles[2].state is State.LIVE
    assert feed.reading().reconnects == 0 and server.connections() == 2  # never reopened

    win.model.clear(2)  # nobody shows it now: closed
    assert feed not in win.feeds.feeds()
    assert feed.join(10.0)
    wait_for(lambda: server.connections() == 1, 10, "RTSP-1's connection to close")


def _sidecar(win, tmp_path, before: set) -> dict:
    """Alt+S on the selected tile; the new snapshot's JSON sidecar, and its text."""
    result = win.wall.execute("snapshot")
    assert result is not None and result.value is not None, "no snapshot saved"
    png = result.value
    assert png.name not in before and png.is_file()
    text = png.with_suffix(".json").read_text(encoding="utf-8")
    assert "s3cret" not in text  # the password never reaches the sidecar
    meta = json.loads(text)
    when = dt.datetime.fromisoformat(meta.pop("time"))
    assert when.tzinfo is not None and abs(time.time() - when.timestamp()) < 3600
    assert png.name.startswith("DUAL-1_" + when.strftime("%Y%m%d-%H%M%S"))
    assert meta.pop("image") == png.name
    return meta


def test_small_tiles_use_the_sub_stream_and_maximise_switches_without_a_gap(
        qtbot, write_yaml, clip_dir, rtsp_server_factory, tmp_path, monkeypatch):
    """A small tile shows the sub stream and says `· sub`; maximised, the main stream takes
    over only once it has a picture: while the main camera hangs, the sub stream stays on
    the tile (live, moving, labelled). Each snapshot's sidecar names the stream shown and its
    address without the password."""
    main = make_clip(clip_dir, 1280, 720, fps=15, seconds=4, label="main")
    sub = make_clip(clip_dir, 640, 360, fps=15, seconds=4, label="sub")
    main_server = rtsp_server_factory({"/cam1/main": main})
    sub_server = rtsp_server_factory({"/cam1/sub": sub})

    def with_login(url: str) -> str:
        return url.replace("rtsp://", "rtsp://viewer:s3cret@")

    main_url, sub_url = with_login(main_server.url("/cam1/main")), with_login(
        sub_server.url("/cam1/sub"))
    cam = camera_yaml("DUAL-1", main_url, sub_url, name="Dual stream camera")
    reg = load_registry(write_yaml(registry_text(cam)))
    feeds = FeedManager(TIMEOUTS)
    monkeypatch.setenv("NAZAR_OPERATOR", "SI R. Sen")
    snaps = tmp_path / "snapshots"
    win = MainWindow(reg, WallModel(layout=LAYOUTS["3x3"], view=["DUAL-1"]), feeds,
                     snapshots=SnapshotWriter(snaps))
    qtbot.addWidget(win)
    win.resize(1200, 800)  # 3x3: tiles about 260 px tall, below the sub-stream threshold
    win.show()
    qtbot.waitExposed(win)
    try:
        tile = win.wall.tiles[0]
        qtbot.waitUntil(lambda: tile.state is State.LIVE and tile.frames_shown > 3,
                        timeout=15_000)
        assert win.wall.stream_of(0) == "sub" and tile._frame.source_size == (640, 360)
        assert [f.source.url for f in feeds.feeds()] == [sub_url]
        qtbot.waitUntil(lambda: re.fullmatch(r"LIVE  <1 s ago  \d+ fps  · sub",
                                             tile.status_text) is not None, timeout=5_000)
        expected = {
            "camera": {"id": "DUAL-1", "number": 1, "name": "Dual stream camera",
                       "ownership": "police", "station": "park-street", "site": None},
            "operator": "SI R. Sen", "stream": "sub",
            "source": f"rtsp://viewer:***@127.0.0.1:{sub_server.port}/cam1/sub",
            "width": 640, "height": 360}
        assert _sidecar(win, tmp_path, set()) == expected

        os.kill(main_server.pid, signal.SIGSTOP)  # the main stream will not answer yet
        win.model.toggle_maximised()  # as Enter does; the tile is now the whole wall
        main_feed = next(f for f in feeds.feeds() if f.source.url == main_url)
        shown = tile.frames_shown

        def sub_stays() -> bool:
            assert tile._image is not None, "black gap while the main stream connects"
            assert tile._frame.source_size == (640, 360) and win.wall.stream_of(0) == "sub"
            assert main_feed.reading().frames == 0
            return main_feed.reading().state is State.RECONNECTING  # one open gave up

        qtbot.waitUntil(sub_stays, timeout=20_000)
        assert tile.frames_shown > shown + 10 and tile.state is State.LIVE  # still moving
        assert tile.status_text.endswith("· sub")
        assert "did not answer" in main_feed.reading().message

        os.kill(main_server.pid, signal.SIGCONT)  # the main stream answers
        sizes = []

        def switched() -> bool:
            assert tile._image is not None, "black gap while switching to the main stream"
            sizes.append(tile._frame.source_size)
            return tile._frame.source_size == (1280, 720)

        qtbot.waitUntil(switched, timeout=30_000)
        assert sizes[0] == (640, 360)  # the sub stream stayed on screen meanwhile
        assert win.wall.stream_of(0) == "main"
        qtbot.waitUntil(lambda: [f.source.url for f in feeds.feeds()] == [main_url],
                        timeout=3000)  # sub closed
        # The main stream is scaled in the worker to the (large) tile, not to 640x360.
        assert tile._frame.image.shape[0] > 360
        qtbot.waitUntil(lambda: re.fullmatch(r"LIVE  <1 s ago  \d+ fps", tile.status_text)
                        is not None, timeout=5_000)  # no "· sub" any more
        assert _sidecar(win, tmp_path, {p.name for p in snaps.glob("*.png")}) == {
            **expected, "stream": "main", "width": 1280, "height": 720,
            "source": f"rtsp://viewer:***@127.0.0.1:{main_server.port}/cam1/main"}

        win.model.restore()
        qtbot.waitUntil(lambda: win.wall.stream_of(0) == "sub" and
                        tile._frame.source_size == (640, 360), timeout=15_000)
    finally:
        if main_server.running:
            os.kill(main_server.pid, signal.SIGCONT)
        win.close()
        assert feeds.stop_all(timeout=10.0) == []
