"""[dispatch]: schemathesis fuzzes the running wall's API from its own OpenAPI document: no
answer is a 5xx, and the wall keeps running (its GUI thread turns, its audit log verifies)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app import audit as audit_mod
from app.api import ApiLimits


def test_schemathesis_finds_no_server_error_and_the_wall_keeps_running(qtbot, api_wall,
                                                                       tmp_path):
    wall = api_wall(limits=ApiLimits(rate=10_000, burst=10_000))  # fuzz, not the limiter
    ticks = wall.api.lag_probe.ticks
    st = Path(sys.executable).with_name("schemathesis")
    report = tmp_path / "fuzz.txt"
    with report.open("w") as out:
        proc = subprocess.Popen(
            [str(st), "run", f"{wall.client.url}/openapi.json",
             "-H", f"Authorization: Bearer {wall.client.token}",
             "--checks", "not_a_server_error", "--max-examples", "25", "--seed", "20261201",
             "--workers", "1", "--request-timeout", "20", "--no-color"],
            stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path,
            env=dict(os.environ, SCHEMATHESIS_HOOKS=""))
        # The wall serves the fuzzer from this (the GUI) thread: keep its event loop turning.
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=600_000)
    text = report.read_text()
    assert proc.returncode == 0, text[-4000:]
    assert "passed" in text and "failed" not in text.lower(), text[-2000:]
    # It reached the wall's logic, not only the validation: incidents were raised, and
    # acknowledged or cleared through the OpenAPI links from the raise.
    events = {r.event for r in audit_mod.rows(wall.audit.path)}
    assert {"raise", "cap"} <= events and events & {"acknowledge", "note", "clear"}, events
    # The wall is still there and still itself.
    assert wall.win.isVisible()
    assert wall.client.get("/api/state").status == 200
    assert wall.api.lag_probe.ticks > ticks  # the GUI thread kept running its timers
    assert audit_mod.verify(wall.audit.path) == []
