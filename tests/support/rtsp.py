"""Start and stop the looping RTSP test server (``rtsp_server.py``) from tests and benchmarks.

The server runs in Debian's ``/usr/bin/python3`` (GStreamer's Python bindings come from
``python3-gi``, not from the virtualenv), as a subprocess of the test::

    with RtspServer({"/cam1": clip}) as server:
        capture = cv2.VideoCapture(server.url("/cam1"), cv2.CAP_FFMPEG)
        ...
        server.kill()    # abrupt death: clients' reads fail
        server.start()   # back on the same port
"""

from __future__ import annotations

import functools
import os
import selectors
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO

__all__ = ["RtspServer", "RtspServerError", "free_port", "rtsp_server_available"]

SYSTEM_PYTHON = "/usr/bin/python3"
SERVER_SCRIPT = Path(__file__).with_name("rtsp_server.py")
_EXIT_CANNOT_LISTEN = 3  # rtsp_server.py's exit status when the port is taken

_PROBE = """
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtspServer
Gst.init(None)
missing = [n for n in ("multifilesrc", "tsdemux", "h264parse", "rtph264pay")
           if Gst.ElementFactory.find(n) is None]
if missing:
    raise SystemExit("missing GStreamer elements: " + ", ".join(missing))
"""


class RtspServerError(RuntimeError):
    """The server did not come up (its stderr is part of the message)."""


@functools.cache
def rtsp_server_available() -> tuple[bool, str]:
    """Whether this machine can run the test server; the reason when it cannot."""
    if shutil.which("ffmpeg") is None:
        return False, "ffmpeg is not installed (Debian package 'ffmpeg')"
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return False, f"{SYSTEM_PYTHON} not found"
    try:
        probe = subprocess.run(
            [SYSTEM_PYTHON, "-c", _PROBE], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, f"{SYSTEM_PYTHON} cannot import GStreamer: {error}"
    if probe.returncode != 0:
        detail = probe.stderr.strip().splitlines()[-1:] or [f"exit status {probe.returncode}"]
        return False, (
            f"{SYSTEM_PYTHON} cannot run the GStreamer RTSP server ({detail[0]}); needs Debian "
            "packages python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-{good,bad}"
        )
    return True, "ok"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class RtspServer:
    """One ``rtsp_server.py`` process serving ``mounts`` (``{"/path": clip_file}``).

    The port is chosen once (``free_port()`` unless given) and kept across ``start()`` calls,
    so a test can kill the server and bring it back at the same URLs.
    """

    def __init__(
        self,
        mounts: Mapping[str, str | os.PathLike[str]],
        port: int | None = None,
        host: str = "127.0.0.1",
        ready_timeout: float = 20.0,
    ) -> None:
        if not mounts:
            raise ValueError("at least one mount is needed")
        for mount in mounts:
            if not mount.startswith("/") or "=" in mount:
                raise ValueError(f"mount must look like '/path', got {mount!r}")
        self.mounts = {mount: Path(clip) for mount, clip in mounts.items()}
        self.host = host
        self.port = port or free_port(host)
        self.ready_timeout = ready_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> RtspServer:
        """Start the server and wait until it listens; raise ``RtspServerError`` otherwise.

        The previous process's port may still be held for a moment after ``kill()`` or
        ``stop()`` (the server binds with SO_REUSEADDR, so TIME_WAIT is no obstacle); a
        start that fails only because the port is taken is retried until ``ready_timeout``.
        """
        if self.running:
            raise RtspServerError(f"server already running (pid {self.pid})")
        deadline = time.monotonic() + self.ready_timeout
        while True:
            try:
                self._launch(deadline)
                return self
            except RtspServerError:
                address_in_use = self._discard() == _EXIT_CANNOT_LISTEN
                if not address_in_use or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, then SIGKILL if the server has not exited after ``timeout`` seconds."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._discard()

    def kill(self) -> None:
        """SIGKILL: the server dies at once, as on a crash or power loss."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
        self._discard()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def connections(self) -> int:
        """TCP connections established at the server's port, counted on the server's side
        (its accepted sockets, from the kernel: `ss`). The RTSP server's own "closed" signal
        was found to miss a client killed while streaming, so it is not used."""
        out = subprocess.run(["ss", "-tnH", "state", "established", "(", "sport", "=",
                              f":{self.port}", ")"], capture_output=True, text=True,
                             check=True).stdout
        return sum(1 for line in out.splitlines() if line.strip())

    def url(self, mount: str) -> str:
        """``rtsp://HOST:PORT/mount`` (``mount`` with or without its leading slash)."""
        return f"rtsp://{self.host}:{self.port}/{mount.lstrip('/')}"

    def __enter__(self) -> RtspServer:
        return self if self.running else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self.running else "stopped"
        return f"<RtspServer {self.host}:{self.port} {sorted(self.mounts)} {state}>"

    # -- internals -------------------------------------------------------------------------

    def _launch(self, deadline: float) -> None:
        command = [SYSTEM_PYTHON, str(SERVER_SCRIPT), "--host", self.host, "--port", str(self.port)]
        command.append("--exit-on-stdin-eof")  # no server outlives a crashed test process
        for mount, clip in self.mounts.items():
            command += ["--mount", f"{mount}={clip}"]
        # stderr goes to a file, not a pipe nobody reads (GStreamer warnings could fill it).
        self._stderr = tempfile.TemporaryFile(prefix="rtsp-server-", suffix=".log")  # noqa: SIM115
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr
        )
        assert self._process.stdout is not None
        line = _read_line(self._process.stdout, deadline)
        if line != f"READY {self.port}":
            status = self._process.poll()
            reason = f"exited with status {status}" if status is not None else "timed out"
            raise RtspServerError(
                f"RTSP test server on {self.host}:{self.port} did not become ready ({reason}; "
                f"stdout {line!r}).\n--- server stderr ---\n{self._stderr_text()}"
            )

    def _stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read()[-8000:].decode(errors="replace")

    def _discard(self) -> int | None:
        """Reap the process and close our ends of its pipes; return its exit status."""
        status = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            status = self._process.wait()
            for pipe in (self._process.stdin, self._process.stdout):
                if pipe is not None:
                    pipe.close()
        if self._stderr is not None:
            self._stderr.close()
        self._process, self._stderr = None, None
        return status


def _read_line(stream: IO[bytes], deadline: float) -> str:
    """The first line of ``stream`` (without newline), or what came before EOF or the deadline."""
    data = b""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        while b"\n" not in data:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                break
            chunk = os.read(stream.fileno(), 4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\n", 1)[0].decode(errors="replace").strip()
