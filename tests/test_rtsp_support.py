"""The RTSP test server, exercised with real OpenCV (FFmpeg) clients over TCP."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.support.clips import make_clip
from tests.support.fixtures import RtspServerFactory
from tests.support.rtsp import RtspServer

pytestmark = pytest.mark.rtsp

TIMEOUT_MS = 5000
FPS = 15


@pytest.fixture(autouse=True)
def _tcp_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read RTSP over TCP (interleaved), as the application does."""
    monkeypatch.setenv("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")


@pytest.fixture
def short_clip(clip_dir: Path) -> Path:
    return make_clip(clip_dir, 640, 360, fps=FPS, seconds=2)


def open_capture(url: str) -> cv2.VideoCapture:
    capture = cv2.VideoCapture(
        url,
        cv2.CAP_FFMPEG,
        [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, TIMEOUT_MS, cv2.CAP_PROP_READ_TIMEOUT_MSEC, TIMEOUT_MS],
    )
    assert capture.isOpened(), f"cannot open {url}"
    return capture


def read_frame(capture: cv2.VideoCapture) -> np.ndarray:
    ok, frame = capture.read()
    assert ok and frame is not None, "read() failed"
    return frame


def test_clients_get_frames_of_each_mount(
    rtsp_server_factory: RtspServerFactory, clip_dir: Path, short_clip: Path
) -> None:
    wide = make_clip(clip_dir, 1280, 720, fps=25, seconds=2, label="wide")
    server = rtsp_server_factory({"/small": short_clip, "/wide": wide})
    # Two clients share the "/small" media. (OpenCV serialises opens: no point in threads.)
    captures = [open_capture(server.url(mount)) for mount in ("/small", "/wide", "/small")]
    try:
        shapes = [read_frame(capture).shape for capture in captures]
    finally:
        for capture in captures:
            capture.release()
    assert shapes == [(360, 640, 3), (720, 1280, 3), (360, 640, 3)]


def test_stream_loops_endlessly_in_real_time(
    rtsp_server_factory: RtspServerFactory, short_clip: Path
) -> None:
    server = rtsp_server_factory({"/loop": short_clip})
    capture = open_capture(server.url("/loop"))
    try:
        # Opening buffers the frames FFmpeg read while probing the stream; read() hands those
        # out at once. Real-time delivery starts where read() has to wait for frames (twice in
        # a row, so that one slow read during the backlog does not count).
        arrivals: list[float] = []
        positions: list[float] = []
        previous = read_frame(capture)
        live_from: int | None = None
        while live_from is None or len(arrivals) - live_from < 3.5 * FPS:
            frame = read_frame(capture)
            arrivals.append(time.monotonic())
            positions.append(capture.get(cv2.CAP_PROP_POS_MSEC))
            assert frame.shape == (360, 640, 3)
            assert cv2.absdiff(frame, previous).any(), "frozen frame"
            previous = frame
            waited = np.diff(arrivals[-3:]) > 0.5 / FPS
            if live_from is None and len(waited) == 2 and waited.all():
                live_from = len(arrivals) - 2
    finally:
        capture.release()

    assert positions[-1] > 2000 + 1000, "the 2 s clip should have looped"
    gaps = np.diff(positions)
    assert (gaps > 0).all(), "timestamps must keep increasing"
    assert gaps.max() < 3 * 1000 / FPS, f"a gap of {gaps.max():.0f} ms in the stream"
    rate = (len(arrivals) - 1 - live_from) / (arrivals[-1] - arrivals[live_from])
    assert FPS * 0.7 <= rate <= FPS * 1.3, f"{rate:.1f} frames per second, expected ~{FPS}"


def test_killed_server_fails_reads_and_comes_back_on_same_port(
    rtsp_server_factory: RtspServerFactory, short_clip: Path
) -> None:
    server: RtspServer = rtsp_server_factory({"/cam": short_clip})
    url = server.url("/cam")
    capture = open_capture(url)
    try:
        read_frame(capture)
        server.kill()
        assert not server.running
        killed_at = time.monotonic()
        # Frames already buffered by the client may still come out; then read() must fail.
        while capture.read()[0]:
            assert time.monotonic() - killed_at < TIMEOUT_MS / 1000 + 2, "reads still succeed"
    finally:
        capture.release()

    server.start()
    assert server.url("/cam") == url
    capture = open_capture(url)
    try:
        assert read_frame(capture).shape == (360, 640, 3)
    finally:
        capture.release()
