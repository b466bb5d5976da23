"""THE LIMIT: plain decoding of the wall's streams with no GUI, in a process of its own.

    python -m bench.bare SPEC.json RESULT.json

One Python thread per stream running `cv2.VideoCapture.read()` in a loop, nothing else: no
scaling, no colour conversion, no Qt. The captures are opened exactly as the wall opens them
(`app.feeds.open_source`: the same OPENCV_FFMPEG_CAPTURE_OPTIONS, timeouts and one decoder
thread per stream), so the difference between the two is what the wall adds to decoding.

SPEC: {"urls": [...], "seconds", "warmup", "wait_live_s", "server_pid"}.
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
from app.geometry import fit_size  # noqa: E402
from app.streams import StreamTimeouts  # noqa: E402
from app.urls import parse_source  # noqa: E402
from bench.metrics import CpuWindow, os_threads, rss_mb  # noqa: E402

configure_decoding()  # the same capture options and OpenCV threads as the wall


class Reader(threading.Thread):
    def __init__(self, url: str, stop: threading.Event, timeouts: StreamTimeouts,
                 scale_to: tuple[int, int] | None = None):
        super().__init__(daemon=True, name=f"bare:{url.rsplit('/', 1)[-1]}")
        self.url, self.stop, self.timeouts = url, stop, timeouts
        self.scale_to = scale_to  # decomposition only: also do the wall worker's scaling
        self.newest = None
        self.frames = 0
        self.failures = 0
        self.first_frame_s: float | None = None
        self.size: tuple[int, int] | None = None

    def run(self) -> None:
        t0 = time.monotonic()
        while not self.stop.is_set():
            opened = open_source(parse_source(self.url), self.timeouts)
            if opened is None:
                self.failures += 1
                self.stop.wait(0.5)
                continue
            cap = opened.capture
            while not self.stop.is_set():
                ok, frame = cap.read()
                if not ok:
                    self.failures += 1
                    break
                if self.first_frame_s is None:
                    self.first_frame_s = time.monotonic() - t0
                    self.size = (frame.shape[1], frame.shape[0])
                self.frames += 1
                if self.scale_to is not None:
                    tw, th = fit_size(frame.shape[1], frame.shape[0], *self.scale_to)
                    small = cv2.resize(frame, (tw, th), interpolation=cv2.INTER_LINEAR)
                    self.newest = cv2.cvtColor(small, cv2.COLOR_BGR2BGRA)
            cap.release()


def run_bare(urls: list[str], seconds: float, warmup: float, wait_live_s: float = 30.0,
             server_pid: int | None = None,
             scale_to: list[tuple[int, int]] | None = None) -> dict:
    """Decode `urls` for `seconds`. `scale_to` (decomposition only, not THE LIMIT): per url,
    also scale each frame to fit that tile size and convert it to BGRA, as the wall's worker
    does."""
    timeouts = StreamTimeouts()
    stop = threading.Event()
    rss_start = rss_mb()
    readers = [Reader(u, stop, timeouts, tuple(scale_to[i]) if scale_to else None)
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
                      spec.get("scale_to"))
    Path(argv[1]).write_text(json.dumps(result))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
