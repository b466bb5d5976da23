"""End to end: `main.py` as a subprocess on a real X server (Xvfb), checked by screenshots."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.support.xvfb import Xvfb, grid_cells, live_marker, wait

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[1]


def start_app(display: str, tmp_path: Path, *args: str) -> subprocess.Popen:
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb",
               NAZAR_CACHE_DIR=str(tmp_path / "cache"))  # a first run: no demo clips yet
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), *args], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_demo_wall_shows_live_changing_tiles(tmp_path):
    with Xvfb(1920, 1080) as x:
        started = time.monotonic()
        proc = start_app(x.display, tmp_path, "--fullscreen", "--layout", "3x3")
        try:
            shots: list[np.ndarray] = []

            def enough_live() -> int:
                shot = x.screenshot()
                shots.append(shot)
                if len(shots) < 2:
                    return 0
                live = 0
                for now, before in zip(grid_cells(shot, 3, 3), grid_cells(shots[-2], 3, 3)):
                    moved = np.abs(now.astype(int) - before.astype(int)).mean() > 0.3
                    live += live_marker(now) and moved
                return live if live >= 4 else 0

            # A first run draws the demo clips before any picture (seconds on a cold, busy
            # machine): wait on the condition with a generous limit; how fast it is belongs
            # to the benchmark (`./nazar bench demo`), not to a test.
            live = wait(enough_live, timeout=120, interval=0.5)
            elapsed = time.monotonic() - started
            cv2.imwrite(str(tmp_path / "wall.png"), shots[-1])
            out = os.environ.get("NAZAR_SCREENSHOT")
            if out:
                cv2.imwrite(out, shots[-1])
            assert proc.poll() is None, proc.communicate()[0]
            assert live >= 4, f"only {live} live, changing tiles; see {tmp_path / 'wall.png'}"
            print(f"{live} live tiles after {elapsed:.1f} s (first run: clips drawn)")
            # The whole screen is the wall: nine tiles, none of them black.
            assert all(cell.mean() > 15 for cell in grid_cells(shots[-1], 3, 3))

            # SIGTERM (as a service manager sends): a clean, prompt exit.
            proc.send_signal(signal.SIGTERM)
            log = proc.communicate(timeout=30)[0]  # prompt exit: measured by `bench`
            assert proc.returncode == 0, log
            assert "Traceback" not in log
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
            proc.stdout.close()


def test_unparseable_registry_exits_with_a_clear_message(tmp_path):
    bad = tmp_path / "cameras.yaml"
    bad.write_text("version: 1\ncameras:\n  - id: x\n   name: broken indent\n")
    res = subprocess.run([sys.executable, str(ROOT / "main.py"), "--config", str(bad)],
                         capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert res.returncode == 2
    assert f"{bad}:4:" in res.stderr and "not valid YAML" in res.stderr
    assert "Traceback" not in res.stderr + res.stdout


def test_help_lists_every_option():
    res = subprocess.run([sys.executable, str(ROOT / "main.py"), "--help"], capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0
    for option in ("--config", "--layout", "--fullscreen", "--cameras", "--cache-dir",
                   "--log-level"):
        assert option in res.stdout


def _run_until_ready_then_stop(args: list[str], tmp_path: Path) -> str:
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), *args], cwd=tmp_path,
                            env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        for line in proc.stdout:  # blocks until the app says it is ready: no fixed sleep
            lines.append(line)
            if "wall ready" in line:
                break
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=15)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, "".join(lines) + rest
    return "".join(lines)


def test_last_wall_is_restored_after_a_restart(tmp_path):
    settings = tmp_path / "settings"
    first = _run_until_ready_then_stop(
        ["--settings-dir", str(settings), "--layout", "2x2",
         "--cameras", "SCM-04,KP-STH-0001,ACR-03"], tmp_path)
    assert "layout 2x2, 3 camera(s)" in first
    second = _run_until_ready_then_stop(["--settings-dir", str(settings)], tmp_path)
    assert "layout 2x2, 3 camera(s)" in second  # not the 3x3 default
    import sqlite3
    db = sqlite3.connect(settings / "nazar.sqlite3")
    state = json.loads(db.execute("SELECT value FROM state WHERE key='wall:1'").fetchone()[0])
    db.close()
    assert state["layout"] == "2x2" and state["view"][:3] == ["SCM-04", "KP-STH-0001", "ACR-03"]
