"""The wall as an officer starts it: `main.py` in a process of its own (offscreen, no map),
serving its dispatch API on 127.0.0.1 so that a benchmark can read each tile's state
(`GET /api/state`) while it runs. Threads and RSS come from /proc; SIGTERM ends it as a
service manager would, and `terminate()` times that.

Used by `./nazar bench soak-faults` and `./nazar bench exit` (bench/soak_faults.py).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.metrics import os_threads, rss_mb

ROOT = Path(__file__).resolve().parents[1]


class WallProcess:
    def __init__(self, config: Path, cameras: list[str], layout: str, work: Path,
                 extra: tuple[str, ...] = ()):
        from tests.support.rtsp import free_port

        self.work = work
        self.settings = work / "settings"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = work / "wall.log"
        self.command = [sys.executable, str(ROOT / "main.py"), "--config", str(config),
                        "--layout", layout, "--cameras", ",".join(cameras), "--no-map",
                        "--api", "--api-bind", f"127.0.0.1:{self.port}",
                        "--settings-dir", str(self.settings),
                        "--cache-dir", str(work / "cache"),
                        "--snapshot-dir", str(work / "pictures"), *extra]
        self.proc: subprocess.Popen[bytes] | None = None
        self._token = ""
        self._log = None

    def start(self, timeout: float = 60.0) -> WallProcess:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(self.command, cwd=ROOT, env=env,
                                     stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the wall exited with {self.proc.returncode}:\n"
                                   + self.log_text()[-3000:])
            if self._try_state() is not None:
                return self
            time.sleep(0.1)  # polling a condition: the API answering
        raise RuntimeError("the wall's API did not answer within "
                           f"{timeout:.0f} s:\n{self.log_text()[-3000:]}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def _try_state(self) -> dict | None:
        from app.client import ClientError, call

        if not self._token:
            token_file = self.settings / "api-token"
            if not token_file.is_file():
                return None
            self._token = token_file.read_text().strip()
        try:
            status, body = call(self.url, self._token, "GET", "/api/state", timeout=5.0,
                                operator="bench")
        except ClientError:
            return None
        return body if status == 200 and isinstance(body, dict) else None

    def states(self) -> dict[str, str]:
        """Each shown camera's state ("live", "stalled", "reconnecting", ...); {} when the
        API did not answer."""
        body = self._try_state()
        if body is None:
            return {}
        return {t["camera"]: t["state"] for t in body["tiles"] if t.get("camera")}

    def threads(self) -> int:
        return os_threads(self.pid)

    def rss_mb(self) -> float:
        return rss_mb(self.pid)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def terminate(self, timeout: float = 30.0) -> float:
        """SIGTERM; the seconds until the process has exited (inf: killed after timeout)."""
        assert self.proc is not None
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
            took = time.monotonic() - t0
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            took = float("inf")
        self._close_log()
        return took

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
