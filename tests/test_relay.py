"""[relay]: the real relay hub (GStreamer's RTSP server, Debian's Python) between the real
RTSP test camera and several consoles (FeedManagers decoding with OpenCV, as walls do)."""
from __future__ import annotations

import os
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.feeds import FeedManager
from app.registry import load_registry, parse_registry
from app.relay import route_for, rtsp_request
from app.streams import State
from tests.conftest import camera_yaml, registry_text
from tests.support.clips import make_clip
from tests.support.relay import RelayHub
from tests.support.rtsp import free_port
from tests.support.xvfb import wait

pytestmark = pytest.mark.rtsp

RELAY = """\
relays:
  - id: lalbazar-1
    name: Lalbazar-1
    address: rtsp://127.0.0.1:{port}
    user: "${{RELAY_USER}}"
    password: "${{RELAY_PASSWORD}}"
    serves: {{cameras: [CAM-1]}}
"""


@pytest.fixture
def setup(tmp_path, clip_dir, rtsp_server_factory):
    """A camera (its connections counted at its port), a registry whose relay serves it, a
    users file."""
    clip = make_clip(clip_dir, 640, 360, 15, 4, gop=15)
    camera = rtsp_server_factory({"/cam1": clip})
    hub_port = free_port()
    path = tmp_path / "cameras.yaml"
    path.write_text(registry_text(camera_yaml("CAM-1", camera.url("/cam1")))
                    + RELAY.format(port=hub_port), encoding="utf-8")
    users = tmp_path / "relay-users"
    users.write_text("# consoles\nwall-1:s3cret-one\nwall-2:s3cret-two\n")
    os.chmod(users, 0o600)
    hubs: list[RelayHub] = []
    managers: list[FeedManager] = []

    def hub() -> RelayHub:
        h = RelayHub(path, "lalbazar-1", hub_port, users)
        hubs.append(h)
        return h.start()

    def console(user: str = "wall-1", password: str = "s3cret-one"):
        reg = load_registry(path, env={"RELAY_USER": user, "RELAY_PASSWORD": password})
        assert not reg.problems, reg.problems
        cam = reg.cameras["CAM-1"]
        fm = FeedManager()
        managers.append(fm)
        return fm.acquire(cam.id, cam.main, cam.name, route=route_for(reg, cam, "main"))

    yield camera, hub, console, path
    for fm in managers:
        fm.stop_all(timeout=5.0)
    for h in hubs:
        h.stop()


def brief(feeds) -> list[tuple]:
    return [(r.state.value, r.path, r.reconnects, r.frames, round(r.frame_age_s or -1, 2))
            for r in (f.reading() for f in feeds)]


def who_is_connected(camera) -> str:
    """The TCP connections to the camera server's port, with their processes (diagnostics)."""
    import subprocess

    out = subprocess.run(["ss", "-tnpH", f"dport = :{camera.port}"], capture_output=True,
                         text=True).stdout
    return out.strip()


def live(feed) -> bool:
    return feed.reading().state is State.LIVE


def test_four_consoles_one_camera_session_and_fallback_and_return(setup):
    camera, hub, console, _path = setup
    h = hub()
    feeds = [console() for _ in range(4)]
    assert wait(lambda: all(live(f) for f in feeds), timeout=30), \
        [f.reading() for f in feeds]
    assert all(f.reading().path == "via Lalbazar-1" for f in feeds)
    # The camera sees exactly one session: the hub's.
    assert wait(lambda: camera.connections() == 1, timeout=10), camera.connections()

    # The hub's own metrics: one upstream, four consoles playing, bytes flowing.
    def metrics() -> dict:
        text = urllib.request.urlopen(f"http://127.0.0.1:{h.metrics_port}/metrics",
                                      timeout=5).read().decode()
        return {(s.name, s.labels.get("camera"), s.labels.get("stream")): s.value
                for f in text_string_to_metric_families(text) for s in f.samples}

    m = metrics()
    assert m[("nazar_relay_upstream", "CAM-1", "main")] == 1
    assert m[("nazar_relay_clients", "CAM-1", "main")] == 4
    assert m[("nazar_relay_bytes_total", "CAM-1", "main")] > 10_000
    assert m[("nazar_relay_upstream_starts_total", "CAM-1", "main")] == 1
    assert camera.connections() == 1  # still one, a while later

    # The hub dies: every console goes to the camera directly, and says so.
    h.kill()
    assert wait(lambda: all(live(f) and f.reading().path.startswith("direct")
                            for f in feeds), timeout=30), [f.reading() for f in feeds]
    assert all("Lalbazar-1 down" in f.reading().path for f in feeds)
    assert wait(lambda: camera.connections() == 4, timeout=10), \
        (camera.connections(), brief(feeds), who_is_connected(camera))

    # The hub comes back: the consoles return to it, the direct sessions close.
    h = hub()
    assert wait(lambda: all(live(f) and f.reading().path == "via Lalbazar-1"
                            for f in feeds), timeout=60), [f.reading() for f in feeds]
    assert wait(lambda: camera.connections() == 1, timeout=30), \
        (camera.connections(), brief(feeds), who_is_connected(camera))

    # The last console leaves: the hub closes the camera's session.
    for f in feeds:
        f.stop()
    assert wait(lambda: camera.connections() == 0, timeout=30), camera.connections()
    assert wait(lambda: metrics()[("nazar_relay_upstream", "CAM-1", "main")] == 0
                and metrics()[("nazar_relay_clients", "CAM-1", "main")] == 0, timeout=30)


def test_a_camera_going_down_reaches_every_console_as_its_state(setup):
    camera, hub, console, _path = setup
    hub()
    feeds = [console() for _ in range(2)]
    assert wait(lambda: all(live(f) for f in feeds), timeout=30)
    camera.kill()
    gone = (State.STALLED, State.RECONNECTING, State.OFFLINE)
    assert wait(lambda: all(f.reading().state in gone for f in feeds), timeout=30), \
        [f.reading() for f in feeds]
    assert wait(lambda: all(f.reading().state in (State.RECONNECTING, State.OFFLINE)
                            for f in feeds), timeout=30)
    camera.start()
    assert wait(lambda: all(live(f) for f in feeds), timeout=90), [f.reading() for f in feeds]


def test_a_wrong_console_login_is_refused_clearly(setup):
    camera, hub, console, path = setup
    h = hub()
    reg = load_registry(path, env={"RELAY_USER": "wall-1", "RELAY_PASSWORD": "nope"})
    r = route_for(reg, reg.cameras["CAM-1"], "main")
    assert r is not None
    assert rtsp_request(r.host, r.port, "DESCRIBE", r.path, "wall-1", "nope") == 401
    assert rtsp_request(r.host, r.port, "DESCRIBE", r.path) == 401  # no login at all
    feed = console(password="nope")
    assert wait(lambda: live(feed), timeout=30), feed.reading()
    assert feed.reading().path == "direct · Lalbazar-1 refused this console's credentials"
    assert "s3cret" not in feed.reading().path and "nope" not in feed.source.display
    assert h.process is not None and h.process.poll() is None


def test_relay_registry_section_is_validated():
    base = registry_text(camera_yaml("CAM-1", "rtsp://10.0.0.9/ch1")
                         + camera_yaml("CAM-2", "rtsp://10.0.0.9/ch2"))
    reg = parse_registry(base + """\
relays:
  - id: hub-a
    address: rtsp://10.1.0.5:8654
    serves: {divisions: [south], sites: [nowhere], cameras: [CAM-9]}
  - id: hub-a
    address: rtsp://10.1.0.6:8654
    serves: {cameras: [CAM-1]}
  - id: hub-b
    address: "rtsp://me:pw@10.1.0.7:8654"
    serves: {cameras: [CAM-1]}
  - id: hub-c
    address: http://10.1.0.8
    user: x
    serves: {}
  - id: hub-d
    address: rtsp://10.1.0.9:8654
    serves: {cameras: [CAM-2]}
    colour: red
""", file="cameras.yaml")
    text = "\n".join(str(p) for p in reg.problems)
    assert "relay hub-a field 'serves.sites': 'serves.sites': unknown site 'nowhere'" in text
    assert "unknown camera 'CAM-9'" in text
    assert "duplicate relay id 'hub-a'" in text
    assert "no user or password in the address" in text
    assert "is not rtsp://HOST:PORT" in text
    assert "give 'user' and 'password' together" in text
    assert "relay hub-d" in text and "colour" in text
    assert all(p.line > 0 and p.file == "cameras.yaml" for p in reg.problems)
    # hub-a (first) is kept without its unknown names; the others are left out.
    assert list(reg.relays) == ["hub-a"]
    a = reg.relays["hub-a"]
    assert (a.host, a.port, a.divisions, a.sites, a.cameras) == \
        ("10.1.0.5", 8654, ("south",), (), ())
    # Division south serves both cameras; the route carries the console's login, quoted.
    cam = reg.cameras["CAM-1"]
    r = route_for(reg, cam, "sub")
    assert r is not None and r.path == "/CAM-1/sub" and r.name == "hub-a"
    assert r.source.url == "rtsp://10.1.0.5:8654/CAM-1/sub"
    reg2 = parse_registry(base + """\
relays:
  - {id: h, name: "Lalbazar-1", address: "rtsp://[::1]:8654", user: "${U}",
     password: "${P}", serves: {cameras: [CAM-2]}}
""", env={"U": "wall 1", "P": "p@ss/w:rd"})
    assert not reg2.problems, reg2.problems
    assert route_for(reg2, reg2.cameras["CAM-1"], "main") is None  # not served: direct
    r2 = route_for(reg2, reg2.cameras["CAM-2"], "main")
    assert r2 is not None
    assert r2.source.url == "rtsp://wall%201:p%40ss%2Fw%3Ard@[::1]:8654/CAM-2/main"
    assert "p@ss" not in r2.source.display and "Lalbazar-1" in r2.source.display


def test_the_tile_says_which_way_the_picture_comes(qtbot, setup):
    from app.layouts import LAYOUTS, WallModel
    from widgets.main_window import MainWindow

    camera, hub, _console, path = setup
    h = hub()
    reg = load_registry(path, env={"RELAY_USER": "wall-2", "RELAY_PASSWORD": "s3cret-two"})
    win = MainWindow(reg, WallModel(layout=LAYOUTS["1"], view=["CAM-1"]), FeedManager())
    qtbot.addWidget(win)
    win.show()
    tile = win.wall.tiles[0]
    try:
        qtbot.waitUntil(lambda: "via Lalbazar-1" in tile.status_text
                        and tile.status_text.startswith("LIVE"), timeout=30000)
        h.kill()
        qtbot.waitUntil(lambda: "direct · Lalbazar-1 down" in tile.status_text
                        and tile.status_text.startswith("LIVE"), timeout=30000)
    finally:
        win.close()
        win.feeds.stop_all(timeout=5.0)
