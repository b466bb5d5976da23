"""Shared test set-up. Tests never read or write the user's real settings or caches."""
from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Before anything imports Qt: a private, throw-away home for every user-level path.
_HOME = Path(tempfile.mkdtemp(prefix="nazar-test-home-"))
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
for var, sub in (("HOME", ""), ("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache"),
                 ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state")):
    os.environ[var] = str(_HOME / sub)
# No test reaches a real keyring: keyring's own "fail" backend unless a test sets up its own
# (tests/support/keyrings.py).
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
os.environ["NAZAR_CACHE_DIR"] = str(_HOME / "nazar-cache")  # demo clips: shared by the run
# Qt's offscreen platform with two screens (1920x1080 and 1280x1024), for the second wall.
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = (
        f"offscreen:configfile={ROOT / 'tests' / 'support' / 'screens.json'}")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

# What main.py sets up explicitly before the QApplication exists (no import side effects).
from widgets.map_panel import register_schemes  # noqa: E402

register_schemes()

pytest_plugins = ["tests.support.fixtures", "tests.support.http", "tests.support.keyrings"]

DEMO_REGISTRY = ROOT / "cameras.yaml"


@pytest.fixture
def write_yaml(tmp_path: Path):
    """Write a registry text to a file and return its path."""
    def write(text: str, name: str = "cameras.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return write


def camera_yaml(cam_id: str, main: str, sub: str | None = None, name: str | None = None) -> str:
    """One police camera at Park Street for `registry_text(cameras=...)`."""
    streams = f'main: "{main}"' + (f', sub: "{sub}"' if sub else "")
    return f"""\
  - id: {cam_id}
    name: {name or f"Camera {cam_id}"}
    ownership: police
    station: park-street
    location: {{lat: 22.553, lon: 88.351}}
    streams: {{{streams}}}
"""


def demo_cameras(n: int) -> str:
    """CAM-1 .. CAM-n, small cheap demo feeds (320x180, 15 fps)."""
    return "".join(camera_yaml(f"CAM-{i}", "demo://junction?size=320x180&fps=15",
                               name=f"Demo camera {i}") for i in range(1, n + 1))


def registry_text(cameras: str = "", sites: str | None = None, extra_top: str = "") -> str:
    """A small valid registry with one division, two stations and one site, plus `cameras`."""
    if sites is None:
        sites = """\
  - id: south-city-mall
    name: South City Mall
    kind: mall
    station: jadavpur
    owner: Demo Owner Pvt Ltd
    contact: {name: Security control room, phone: "+91 98300 00000"}
    address: 375 Prince Anwar Shah Rd
    location: {lat: 22.5014, lon: 88.3616}
    recorder: {room: B1 security room, retention_days: 30}
"""
    return f"""\
version: 1
{extra_top}divisions:
  - id: south
    name: South
    stations:
      - {{id: park-street, name: Park Street, location: {{lat: 22.553, lon: 88.351}}}}
      - {{id: jadavpur, name: Jadavpur}}
sites:
{sites}cameras:
{cameras}"""
