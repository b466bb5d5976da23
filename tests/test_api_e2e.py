"""[dispatch] end to end: `main.py --api --cap-drop` as its own process (the demo registry),
driven by the command line (`./nazar incident ...`, `./nazar cap send`) and the drop folder."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from prometheus_client.parser import text_string_to_metric_families

from app.client import call
from tests.support.xvfb import wait

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[1]
CAP_DIR = ROOT / "tests" / "data" / "cap"


def test_the_command_line_and_the_drop_folder_drive_a_running_wall(tmp_path):
    settings, drop = tmp_path / "settings", tmp_path / "drop"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "cfg"),
               NAZAR_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "--settings-dir", str(settings), "--no-map",
         "--api", "--api-bind", "127.0.0.1:0", "--cap-drop", str(drop), "--layout", "2x2"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def nazar(*args: str, via_script: bool = False) -> subprocess.CompletedProcess:
        cmd = [str(ROOT / "nazar")] if via_script else [sys.executable, "-m", "app.client"]
        return subprocess.run([*cmd, *args, "--settings-dir", str(settings)], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=120)

    try:
        address = settings / "api-address"
        wait(lambda: address.exists() or proc.poll() is not None, timeout=120, interval=0.2)
        assert proc.poll() is None and address.exists(), proc.communicate(timeout=10)[0]

        r = nazar("incident", "raise", "--site", "South City Mall", "--type", "fire",
                  "--priority", "4", "--note", "smoke on level 3")
        assert r.returncode == 0, r.stderr
        assert "FIRE" in r.stdout and "South City Mall" in r.stdout
        picked = [line.split()[1] for line in r.stdout.splitlines()
                  if line.strip()[:1].isdigit() and "." in line.split()[0]]
        assert picked and any(c.startswith("SCM-") for c in picked), r.stdout
        incident_id = r.stdout.split("\n")[1].split()[0]
        assert incident_id.startswith("INC-")

        state = json.loads(nazar("--json", "wall", "state").stdout)
        shown = [t["camera"] for t in state["tiles"] if t["camera"]]
        assert state["incident_on_wall"] == incident_id and set(shown) <= set(picked)

        # Monitoring: once every tile of the alarm wall is live (demo clips, really decoded),
        # /metrics has one time-to-eyes-on observation and the tiles' live states.
        url, token = address.read_text().strip(), (settings / "api-token").read_text().strip()

        def metrics() -> dict:
            _status, text = call(url, token, "GET", "/metrics")
            return {s.name + json.dumps(s.labels, sort_keys=True): s.value
                    for f in text_string_to_metric_families(text) for s in f.samples}

        got = wait(lambda: (m := metrics()).get("nazar_time_to_eyes_on_seconds_count{}", 0)
                   >= 1 and m, timeout=180, interval=0.5)
        assert got, metrics()
        assert got['nazar_wall_tiles{"state": "live"}'] >= 1
        assert got['nazar_feeds{"state": "live"}'] >= 1

        r = nazar("cap", "send", str(CAP_DIR / "exercise-quest-mall.xml"))
        assert r.returncode == 0 and "EXERCISE" in r.stdout, (r.stdout, r.stderr)
        r = nazar("incident", "list", via_script=True)  # through ./nazar itself
        assert r.returncode == 0 and len(r.stdout.strip().splitlines()) == 2, r.stdout
        assert incident_id in r.stdout and "EXERCISE CROWD" in r.stdout

        r = nazar("incident", "ack", "INC-nope")
        assert r.returncode == 1 and "No open incident INC-nope" in r.stderr
        r = nazar("incident", "raise", "--at", "95,88")
        assert r.returncode == 2 and "latitude" in r.stderr

        assert nazar("incident", "ack", incident_id).returncode == 0
        assert nazar("incident", "note", incident_id, "brigade on site").returncode == 0
        cap = nazar("incident", "cap", incident_id)
        assert cap.returncode == 0 and "<circle>22.501400,88.361600" in cap.stdout
        r = nazar("incident", "clear", incident_id)
        assert r.returncode == 0 and "cleared" in r.stdout

        # The drop folder: a CAP alert written as a file raises the mall fire again.
        tmp = drop / ".fire.xml.part"
        tmp.write_bytes((CAP_DIR / "south-city-mall-fire.xml").read_bytes())
        tmp.rename(drop / "fire.xml")
        wait(lambda: (drop / "done" / "fire.xml").exists(), timeout=60, interval=0.2)
        listed = nazar("incident", "list").stdout
        assert "FIRE" in listed and "South City Mall" in listed and "P5" in listed

        proc.send_signal(signal.SIGTERM)
        log = proc.communicate(timeout=60)[0]
        assert proc.returncode == 0, log
        assert "Traceback" not in log
        assert not address.exists()  # the API said goodbye
        verify = subprocess.run([sys.executable, "-m", "app.audit", "verify",
                                 str(settings / "audit.sqlite3")], capture_output=True,
                                text=True, timeout=60)
        assert verify.returncode == 0, verify.stdout + verify.stderr
        r = nazar("incident", "list")
        assert r.returncode == 2 and "cannot reach the wall" in r.stderr
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        if proc.stdout:
            proc.stdout.close()
