"""A real relay hub (`python3 -m relay`, Debian's Python) for tests: start, kill, start again
at the same port."""
from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.rtsp import SYSTEM_PYTHON, _read_line, free_port

ROOT = Path(__file__).resolve().parents[2]


class RelayHub:
    def __init__(self, config: Path, relay_id: str, port: int, users: Path | None,
                 metrics_port: int | None = None):
        self.config, self.relay_id, self.port, self.users = config, relay_id, port, users
        self.metrics_port = metrics_port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile(prefix="relay-hub-", suffix=".log")  # noqa: SIM115

    def start(self, timeout: float = 30.0) -> RelayHub:
        cmd = [SYSTEM_PYTHON, "-m", "relay", "--id", self.relay_id, "--config",
               str(self.config), "--bind", f"127.0.0.1:{self.port}", "--metrics-port",
               str(self.metrics_port)]
        cmd += ["--users", str(self.users)] if self.users else ["--no-auth"]
        deadline = time.monotonic() + timeout
        while True:
            self.process = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                                            stderr=self._log, stdin=subprocess.DEVNULL,
                                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
            assert self.process.stdout is not None
            line = _read_line(self.process.stdout, deadline)
            if line == f"READY {self.port}":
                return self
            self.process.kill()
            code = self.process.wait()
            if code != 3 or time.monotonic() > deadline:  # 3: cannot listen (port held)
                raise RuntimeError(f"relay hub did not start: {line!r}\n{self.log()}")
            time.sleep(0.2)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read()[-8000:].decode(errors="replace")
