"""[harden] 2 and 3: a stream that will not open says why, specifically, and a camera that
refuses the login is not retried until the recorder locks the account. Real servers: the
GStreamer RTSP test server, a relay hub that demands a login, local sockets."""
from __future__ import annotations

import http.server
import os
import socket
import threading

import pytest

from app.diagnose import (NO_ANSWER, NO_NAME, NOT_FOUND, NOT_PROTOCOL, NOT_VIDEO, REFUSED,
                          UNAUTHORIZED, diagnose)
from app.feeds import UNAUTHORIZED_ATTEMPTS, FeedManager
from app.streams import State, StreamTimeouts
from app.urls import parse_source
from tests.conftest import camera_yaml, registry_text
from tests.support.clips import make_clip
from tests.support.relay import RelayHub
from tests.support.rtsp import free_port
from tests.support.xvfb import wait

pytestmark = pytest.mark.rtsp


@pytest.fixture
def silent_port():
    """A port that accepts connections and never says a word."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    yield srv.getsockname()[1]
    srv.close()


@pytest.fixture
def web_page():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            if self.path == "/missing":
                self.send_error(404)
                return
            body = b"<html><body>Login</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def kind(url: str) -> str | None:
    return diagnose(parse_source(url), timeout=1.5).kind


def test_each_failure_has_its_own_reason(clip_dir, rtsp_server_factory, silent_port,
                                         web_page):
    clip = make_clip(clip_dir, 640, 360, 15, 4)
    server = rtsp_server_factory({"/cam1": clip})
    assert kind(server.url("/cam1")) is None  # it works: nothing to say
    assert kind(server.url("/nope")) == NOT_FOUND
    assert kind(f"rtsp://127.0.0.1:{free_port()}/x") == REFUSED
    assert kind("rtsp://camera.nazar-test.invalid/x") == NO_NAME
    assert kind(f"rtsp://127.0.0.1:{silent_port}/x") == NO_ANSWER
    assert kind(f"rtsp://127.0.0.1:{web_page}/x") == NOT_PROTOCOL
    assert kind(f"http://127.0.0.1:{web_page}/video.mjpg") == NOT_VIDEO
    assert kind(f"http://127.0.0.1:{web_page}/missing") == NOT_FOUND
    d = diagnose(parse_source("rtsp://admin:hunter22@camera.nazar-test.invalid/x"))
    assert "hunter22" not in d.text


def test_a_refused_login_stops_after_two_attempts(tmp_path, clip_dir, rtsp_server_factory):
    """The "camera" is a relay hub that demands a login (RTSP 401, GStreamer's auth)."""
    clip = make_clip(clip_dir, 640, 360, 15, 4)
    upstream = rtsp_server_factory({"/cam1": clip})
    port = free_port()
    cfg = tmp_path / "cameras.yaml"
    cfg.write_text(registry_text(camera_yaml("CAM-1", upstream.url("/cam1"))) + f"""\
relays:
  - {{id: hub, address: "rtsp://127.0.0.1:{port}", serves: {{cameras: [CAM-1]}}}}
""")
    users = tmp_path / "users"
    users.write_text("mall-viewer:right-password\n")
    os.chmod(users, 0o600)
    hub = RelayHub(cfg, "hub", port, users).start()
    try:
        url = f"rtsp://mall-viewer:wrong-password@127.0.0.1:{port}/CAM-1/main"
        assert kind(url) == UNAUTHORIZED
        assert kind(f"rtsp://127.0.0.1:{port}/CAM-1/main") == UNAUTHORIZED  # no login
        assert kind(f"rtsp://mall-viewer:right-password@127.0.0.1:{port}/CAM-1/main") is None
        attempts: list[str] = []

        def opener(source, timeouts, camera_id, title):
            attempts.append(camera_id)
            return None  # OpenCV could not open it; diagnose() says why

        fm = FeedManager(StreamTimeouts(open_s=2, read_s=2), opener=opener)
        feed = fm.acquire("CAM-1", parse_source(url), "mall")
        assert wait(lambda: feed.reading().state is State.ERROR, timeout=60), feed.reading()
        r = feed.reading()
        assert len(attempts) == UNAUTHORIZED_ATTEMPTS == 2
        assert "unauthorized" in r.message and "stopped after 2 attempts" in r.message
        assert "wrong-password" not in r.message
        fm.stop_all(timeout=5)
    finally:
        hub.stop()


@pytest.mark.parametrize("decoder", ["pyav", "opencv"])
def test_the_5_s_timeouts_reach_the_decoder_and_a_silent_camera_is_given_up_on(
        silent_port, monkeypatch, decoder):
    """README: network streams are opened with 5 s open and read timeouts. The feed manager
    as main.py makes it (default timeouts) hands exactly those to the decoder (PyAV's open
    timeout and FFmpeg's socket timeout, OpenCV's open/read timeout properties), and a
    camera that accepts the connection and never answers is given up on: "reconnecting",
    saying it did not answer, with a retry planned."""
    import av
    import cv2

    monkeypatch.setenv("NAZAR_DECODER", decoder)
    seen: list = []
    real_open, real_capture = av.open, cv2.VideoCapture

    def recording_open(*args, **kwargs):  # the real av.open, its arguments noted
        seen.append(kwargs)
        return real_open(*args, **kwargs)

    def recording_capture(*args):  # the real cv2.VideoCapture, its arguments noted
        seen.append(args)
        return real_capture(*args)

    monkeypatch.setattr(av, "open", recording_open)
    monkeypatch.setattr(cv2, "VideoCapture", recording_capture)
    fm = FeedManager()  # as main.py: the default timeouts
    assert (fm.timeouts.open_s, fm.timeouts.read_s) == (5.0, 5.0)
    url = f"rtsp://127.0.0.1:{silent_port}/x"
    try:
        feed = fm.acquire("SILENT", parse_source(url), "silent camera")
        assert wait(lambda: feed.reading().state in (State.RECONNECTING, State.OFFLINE),
                    timeout=60), feed.reading()
        r = feed.reading()
        assert r.frames == 0 and r.retry_in_s is not None
        assert f"127.0.0.1:{silent_port} accepted the connection but did not answer" \
            in r.message, r.message
        assert seen, "the decoder was never asked to open the stream"
        if decoder == "pyav":
            assert seen[0]["timeout"] == (5.0, None)  # PyAV's: the open only
            assert seen[0]["options"]["timeout"] == "5000000"  # FFmpeg's socket timeout, µs
            assert seen[0]["options"]["rtsp_transport"] == "tcp"
        else:
            target, backend, params = seen[0]
            assert target == url and backend == cv2.CAP_FFMPEG
            props = dict(zip(params[::2], params[1::2]))
            assert props[cv2.CAP_PROP_OPEN_TIMEOUT_MSEC] == 5000
            assert props[cv2.CAP_PROP_READ_TIMEOUT_MSEC] == 5000
    finally:
        assert fm.stop_all(timeout=10) == []
