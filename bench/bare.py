"""THE LIMIT and THE FLOOR: plain decoding of the wall's streams with no GUI, each in a process
of its own.

    python -m bench.bare SPEC.json RESULT.json

One Python thread per stream reading in a loop, nothing else: no scaling, no colour
conversion, no Qt. Two modes (SPEC "mode"):

- "cv2" (THE LIMIT, the default): `cv2.VideoCapture.read()`, full-size BGR, opened exactly as
  the wall's OpenCV path opens a stream (`app.feeds.open_source` with NAZAR_DECODER=opencv:
  the same OPENCV_FFMPEG_CAPTURE_OPTIONS from `configure_decoding`, the same open and read
  timeouts, one decoder thread per stream), reading into one reused buffer as that path does;
- "floor" (THE FLOOR): `app.decoders.PyAVCapture(...).read()` and nothing else: PyAV demux and
  decode, the picture left in its YUV planes (the same options as the wall's PyAV path: TCP
  for RTSP, the same timeouts, one decoder thread, the same hardware-decoding choice).

The difference between the wall and either is what the wall adds to decoding.

SPEC: {"urls": [...], "seconds", "warmup", "wait_live_s", "server_pid", "mode",
"scale_to"}. `scale_to` (decomposition only, not THE LIMIT): per url, also convert each frame
to BGRA at that tile size the way the wall's worker does for that decoder.
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.feeds import configure_decoding, open_source  # noqa: E402
import cv2  # noqa: E402
from app.decoders import BufferPool, PyAVCapture, hwaccel_choice  # noqa: E402
from app.geometry import fit_size  # noqa: E402
from app.streams import StreamTimeouts  # noqa: E402
from app.urls import parse_source  # noqa: E402
from bench.metrics import CpuWindow, os_threads, rss_mb  # noqa: E402

MODES = ("cv2", "floor")

configure_decoding()  # the same capture options and OpenCV threads as the wall


def _open_cv2(url: str, timeouts: StreamTimeouts):
    """The wall's OpenCV path's open (app.feeds), unwrapped to the bare cv2.VideoCapture."""
    saved = os.environ.get("NAZAR_DECODER")
    os.environ["NAZAR_DECODER"] = "opencv"
    try:
        opened = open_source(parse_source(url), timeouts)
    finally:
        if saved is None:
            os.environ.pop("NAZAR_DECODER", None)
        else:
            os.environ["NAZAR_DECODER"] = saved
    if opened is None:
        return None
    cap = opened.capture
    return getattr(cap, "_cap", cap)  # OpenCVCapture wraps the cv2.VideoCapture


class Reader(threading.Thread):
    def __init__(self, url: str, stop: threading.Event, timeouts: StreamTimeouts,
                 mode: str = "cv2", scale_to: tuple[int, int] | None = None,
                 hwaccel: str | None = None):
        super().__init__(daemon=True, name=f"bare:{url.rsplit('/', 1)[-1]}")
        self.url, self.stop, self.timeouts = url, stop, timeouts
        self.mode, self.hwaccel = mode, hwaccel
        self.scale_to = scale_to  # decomposition only: also do the wall worker's conversion
        self.newest = None
        self.frames = 0
        self.failures = 0
        self.first_frame_s: float | None = None
        self.size: tuple[int, int] | None = None
        self.pool = BufferPool()

    def run(self) -> None:
        t0 = time.monotonic()
        while not self.stop.is_set():
            ok = self._run_cv2(t0) if self.mode == "cv2" else self._run_floor(t0)
            if not ok:
                self.failures += 1
                self.stop.wait(0.5)

    def _count(self, t0: float, width: int, height: int) -> None:
        if self.first_frame_s is None:
            self.first_frame_s = time.monotonic() - t0
            self.size = (width, height)
        self.frames += 1

    def _run_cv2(self, t0: float) -> bool:
        cap = _open_cv2(self.url, self.timeouts)
        if cap is None:
            return False
        frame = None
        try:
            while not self.stop.is_set():
                ok, frame = cap.read(frame)
                if not ok or frame is None:
                    return False
                h, w = frame.shape[:2]
                self._count(t0, w, h)
                if self.scale_to is not None:  # the old wall worker: resize, then BGRA
                    tw, th = fit_size(w, h, *self.scale_to)
                    small = cv2.resize(frame, (tw, th), interpolation=cv2.INTER_LINEAR)
                    self.newest = cv2.cvtColor(small, cv2.COLOR_BGR2BGRA)
        finally:
            cap.release()
        return True

    def _run_floor(self, t0: float) -> bool:
        try:
            cap = PyAVCapture(self.url, self.timeouts.open_s, self.timeouts.read_s,
                              hwaccel=self.hwaccel)
        except Exception:  # noqa: BLE001 - could not open: count it, try again
            return False
        try:
            while not self.stop.is_set():
                picture = cap.read()
                if picture is None:
                    return False
                w, h = picture.size
                self._count(t0, w, h)
                if self.scale_to is not None:  # the wall's PyAV worker: YUV planes, then BGRA
                    size = fit_size(w, h, *self.scale_to)
                    self.newest = picture.to_bgra(None if size == (w, h) else size, self.pool)
        finally:
            cap.release()
        return True


def run_bare(urls: list[str], seconds: float, warmup: float, wait_live_s: float = 30.0,
             server_pid: int | None = None,
             scale_to: list[tuple[int, int]] | None = None, mode: str = "cv2") -> dict:
    """Decode `urls` for `seconds` in `mode` ("cv2": THE LIMIT; "floor": PyAV decode only).
    `scale_to` (decomposition only): per url, also convert each frame to BGRA at that tile
    size as the wall's worker does for that decoder."""
    if mode not in MODES:
        raise ValueError(f"mode {mode!r}: one of {MODES}")
    timeouts = StreamTimeouts()
    hw = hwaccel_choice().kind if mode == "floor" else None
    stop = threading.Event()
    rss_start = rss_mb()
    readers = [Reader(u, stop, timeouts, mode, tuple(scale_to[i]) if scale_to else None, hw)
               for i, u in enumerate(urls)]
    for r in readers:
        r.start()
    deadline = time.monotonic() + wait_live_s
    while time.monotonic() < deadline and any(r.first_frame_s is None for r in readers):
        time.sleep(0.05)
    time.sleep(warmup)
    n0 = [r.frames for r in readers]
    window = CpuWindow(server_pid)
    window.start()
    t0 = time.monotonic()
    per_second: list[list[int]] = []
    last = n0
    while time.monotonic() - t0 < seconds:
        time.sleep(min(1.0, max(0.0, seconds - (time.monotonic() - t0))))
        now = [r.frames for r in readers]
        per_second.append([b - a for a, b in zip(last, now)])
        last = now
    elapsed = time.monotonic() - t0
    cpu = window.stop()
    frames = [r.frames - a for r, a in zip(readers, n0)]
    result = {
        "mode": mode, "hwaccel": hw,
        "streams": len(urls), "seconds": elapsed, "frames": frames,
        "fps": [n / elapsed for n in frames], "decoded": sum(frames),
        "cpu_s": cpu["process_cpu_s"], "server_cpu_s": cpu["server_cpu_s"],
        "machine_busy_s": cpu["machine_busy_s"],
        "first_frame_s": [r.first_frame_s for r in readers],
        "sizes": [list(r.size) if r.size else None for r in readers],
        "failures": sum(r.failures for r in readers),
        "rss_start_mb": rss_start, "rss_end_mb": rss_mb(), "threads": os_threads(),
        "env": {k: os.environ.get(k) for k in
                ("OPENCV_FFMPEG_CAPTURE_OPTIONS", "OPENCV_FFMPEG_IS_THREAD_SAFE")},
        "cpu_detail": cpu, "scale_to": scale_to,
    }
    stop.set()
    for r in readers:
        r.join(2.0)
    return result


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    result = run_bare(spec["urls"], spec["seconds"], spec["warmup"],
                      spec.get("wait_live_s", 30.0), spec.get("server_pid"),
                      spec.get("scale_to"), spec.get("mode", "cv2"))
    Path(argv[1]).write_text(json.dumps(result))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
