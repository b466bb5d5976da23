"""[harden]: a known camera password, given through ${ENV} as the registry asks or read from
the OS keyring (`credentials:`, a real keyring backend in a temp directory), is found nowhere
a person or another program can read it: the log, the window's texts and tooltips, the warning
strip, snapshot sidecars, the settings and audit files, the temp directory and the dispatch
API's answers. The real window, a real RTSP camera, real failures."""
from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import pytest
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QPlainTextEdit, QWidget

from app.audit import AuditLog
from app.feeds import FeedManager
from app.layouts import LAYOUTS, WallModel
from app.registry import load_registry
from app.settings import SettingsStore
from app.snapshots import SnapshotWriter
from app.streams import State
from tests.conftest import camera_yaml, registry_text
from tests.support.clips import make_clip
from tests.support.http import Client
from tests.support.rtsp import free_port
from widgets.api_host import start_api
from widgets.main_window import MainWindow

pytestmark = pytest.mark.rtsp

SECRET = "Zq7#s3cr/et@x9"  # every character that once broke masking: '#', '/', '@'
LIVE_SECRET = "Lv9-s3cret-live"  # a password the camera is really opened with
QUERY_SECRET = "Qv4loginpas88"
KEYRING_SECRET = "Kr8@ring/s3cr#t:x"  # from the keyring; '@', '/', '#', ':' percent-encoded


def texts_of(window: QWidget) -> list[str]:
    out = [window.windowTitle()]
    for w in window.findChildren(QWidget):
        out.append(w.toolTip())
        if isinstance(w, (QLabel, QAbstractButton, QLineEdit)):
            out.append(w.text())
        elif isinstance(w, QPlainTextEdit):
            out.append(w.toPlainText())
    return out


def test_a_camera_password_is_found_nowhere(qtbot, tmp_path, clip_dir, rtsp_server_factory,
                                            caplog, monkeypatch, file_keyring):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("CAM_PW", SECRET)
    monkeypatch.setenv("LIVE_PW", LIVE_SECRET)
    monkeypatch.setenv("DVR_PW", QUERY_SECRET)
    file_keyring.set_password("nazar-test-nvr", "viewer", KEYRING_SECRET)
    keyed = "    credentials: {keyring: nazar-test-nvr, username: viewer}\n"
    clip = make_clip(clip_dir, 640, 360, 15, 4)
    server = rtsp_server_factory({"/cam1": clip})
    live_url = server.url("/cam1").replace("rtsp://", "rtsp://viewer:${LIVE_PW}@")
    dead = free_port()
    cams = (camera_yaml("LIVE-1", live_url)
            + camera_yaml("DEAD-1", f"rtsp://viewer:${{LIVE_PW}}@127.0.0.1:{dead}/x")
            + camera_yaml("DVR-1", f"http://127.0.0.1:{dead}/video.cgi?user=a&loginpas=${{DVR_PW}}")
            + camera_yaml("RAW-1", "rtsp://admin:${CAM_PW}@10.0.0.5:554/ch1")
            + camera_yaml("KEY-1", server.url("/cam1")) + keyed
            + camera_yaml("KEY-DEAD", f"rtsp://127.0.0.1:{dead}/k") + keyed
            + camera_yaml("KEY-NONE", "rtsp://10.0.0.5:554/ch2")
            + "    credentials: {keyring: nazar-test-nvr, username: nobody}\n")
    path = tmp_path / "cameras.yaml"
    path.write_text(registry_text(cams))
    reg = load_registry(path)
    # RAW-1's password splits its URL apart: refused, with a message that quotes none of it.
    assert "RAW-1" in reg.skipped and "KEY-NONE" in reg.skipped  # no such keyring entry
    assert list(reg.cameras) == ["LIVE-1", "DEAD-1", "DVR-1", "KEY-1", "KEY-DEAD"]
    assert reg.cameras["KEY-1"].main.url.startswith("rtsp://viewer:Kr8%40ring%2Fs3cr%23t%3Ax@")
    settings = tmp_path / "settings"
    store = SettingsStore(settings)
    audit = AuditLog(settings / "audit.sqlite3")
    snaps = tmp_path / "pictures"
    win = MainWindow(reg, WallModel(layout=LAYOUTS["3x3"], view=list(reg.cameras)),
                     FeedManager(), store=store, snapshots=SnapshotWriter(snaps), audit=audit)
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    win.show_registry_problems()
    api = start_api(win, bind=("127.0.0.1", 0), token_file=None, drop_dir=None,
                    settings_dir=settings)
    client = Client(qtbot, api.url or "", (settings / "api-token").read_text().strip())
    before = set(Path(tempfile.gettempdir()).iterdir())
    try:
        tiles = win.wall.tiles
        qtbot.waitUntil(lambda: tiles[0].state is State.LIVE and tiles[3].state is State.LIVE,
                        timeout=20_000)
        qtbot.waitUntil(lambda: all(tiles[i].state in (State.RECONNECTING, State.OFFLINE)
                                    for i in (1, 2, 4)), timeout=20_000)
        for tile in (0, 3):  # sidecars with the (masked) sources: ${ENV} and keyring
            win.wall.execute("select_tile", tile)
            win.wall.execute("snapshot")
        seen = texts_of(win) + [t.status_text for t in tiles]
        seen += [t._snap.message for t in tiles if t._snap is not None]
        seen += [f.reading().message for f in win.feeds.feeds()]
        seen += [f.source.display for f in win.feeds.feeds()]
        answers = [client.get(p).body for p in ("/api/state", "/api/cameras", "/metrics",
                                                 "/api/incidents")]
        raised = client.post("/api/incidents", {"lat": 22.553, "lon": 88.351})
        answers += [raised.body, client.get("/api/state").body]
        seen += texts_of(win)
    finally:
        win.close()
        win.feeds.stop_all(timeout=5.0)
    files = [p for p in [*snaps.rglob("*"), *settings.rglob("*")] if p.is_file()]
    files += [p for p in set(Path(tempfile.gettempdir()).iterdir()) - before if p.is_file()]
    assert any(p.suffix == ".json" for p in snaps.rglob("*"))  # the snapshot was taken
    assert any("connection refused" in m for m in seen)  # the failures were said
    assert any("RAW-1" in t and "percent-encoded" in t for t in seen)  # the warning strip
    assert any("KEY-NONE" in t and "no password in the keyring" in t for t in seen)
    assert any("viewer:***@127.0.0.1" in t for t in seen)  # the keyring camera, masked
    blobs = [s.encode() for s in seen] + answers + [caplog.text.encode()]
    blobs += [p.read_bytes() for p in files]
    encoded = "Kr8%40ring%2Fs3cr%23t%3Ax"  # as it is in the address
    for secret in (SECRET, LIVE_SECRET, QUERY_SECRET, "s3cr/et", "Zq7#", "et@x9",
                   KEYRING_SECRET, encoded, "Kr8@", "s3cr#t", "ring%2F"):
        leaks = [b[:200] for b in blobs if secret.encode() in b]
        assert not leaks, (secret, leaks)
    assert os.environ["LIVE_PW"] == LIVE_SECRET  # (the camera did get it: LIVE-1 was live)
