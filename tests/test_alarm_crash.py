"""Alarm mode survives a crash: `kill -9` in the middle of an incident, then a new process on
the same settings finds the incident still open, and clearing it restores the wall exactly as
it was before the incident. The audit log of the killed process verifies."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from app.audit import AuditLog, rows, verify
from app.feeds import FeedManager
from app.layouts import LAYOUTS, WallModel
from app.registry import load_registry
from app.settings import SettingsStore
from tests.conftest import DEMO_REGISTRY
from widgets.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[1]

# The first process: a distinctive wall, an incident raised and edited, then SIGKILL.
CRASHING = r"""
import json, os, signal, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from PySide6.QtWidgets import QApplication
from app.audit import AuditLog
from app.feeds import FeedManager
from app.layouts import LAYOUTS, WallModel
from app.registry import load_registry
from app.settings import SettingsStore
from widgets.main_window import MainWindow

app = QApplication([])
settings = Path({settings!r})
reg = load_registry({registry!r})
store = SettingsStore(settings)
win = MainWindow(reg, WallModel(layout=LAYOUTS["3x3"], view=reg.default_view(14)),
                 FeedManager(opener=lambda *a: None), store=store,
                 audit=AuditLog(settings / "audit.sqlite3"))
store.save_view(4, "Night", "3x3", reg.default_view(14))
win.wall.execute("open_view", 4)
win.wall.execute("next_page")
win.wall.execute("select_tile", 2)
win.wall.execute("maximise")
Path({expected!r}).write_text(json.dumps(win.commands.wall_state()))
site = reg.sites["south-city-mall"]
assert win.wall.execute("raise_incident", site.location.lat, site.location.lon,
                        site_id=site.id, join=False) is not None
assert win.wall.execute("change_radius", 1) is not None
assert win.wall.execute("add_note", "smoke on level 3") is not None
print("RAISED", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_kill_9_mid_incident_then_restart_and_clear_restores_the_wall(qtbot, tmp_path):
    settings, expected = tmp_path / "settings", tmp_path / "expected.json"
    code = CRASHING.format(root=str(ROOT), settings=str(settings),
                           registry=str(DEMO_REGISTRY), expected=str(expected))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert proc.returncode == -9, proc.stderr[-3000:]  # killed, not a clean exit
    assert "RAISED" in proc.stdout
    assert verify(settings / "audit.sqlite3") == []  # every committed row intact
    before = json.loads(expected.read_text())

    # The restart, as main.py does it: no last wall was saved (the process was killed), the
    # open incident comes back over the default wall.
    reg = load_registry(DEMO_REGISTRY)
    store = SettingsStore(settings)
    audit = AuditLog(settings / "audit.sqlite3")
    win = MainWindow(reg, WallModel(layout=LAYOUTS["2x2"], view=reg.default_view(4)),
                     FeedManager(opener=lambda *a: None), store=store, audit=audit)
    qtbot.addWidget(win)
    win.alarm.resume()
    cur = win.alarm.current()
    assert cur is not None and cur.incident.site_id == "south-city-mall"
    assert cur.incident.radius_m == 500 and cur.notes  # the edits survived too
    assert win.banner.isVisibleTo(win)
    assert win.wall.execute("clear_incident", confirmed=True) is not None
    assert win.commands.wall_state() == before
    assert win.alarm.current() is None and not win.banner.isVisibleTo(win)
    events = [r.event for r in rows(settings / "audit.sqlite3")]
    assert events[0] == "raise" and "radius" in events and "note" in events
    assert events[-1] in ("clear", "view_stop")
    assert verify(settings / "audit.sqlite3") == []
    win.close()
