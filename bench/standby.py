"""What a camera in keyframe-only standby costs: the wall's feeds, no GUI, in a process of
their own.

    python -m bench.standby SPEC.json RESULT.json

SPEC: {"urls": [...], "mode", "seconds", "warmup", "wait_live_s", "server_pid",
"tile_size": [w, h]}. Modes:

- "none": nothing open (the same process, the same modules imported): the baseline;
- "standby": every url opened by the wall's `FeedManager` as the binder opens a tour's next
  page (`acquire(..., standby=True)`: FFmpeg decodes keyframes only), with the tile size the
  wall gives it;
- "shown": the same feeds decoding every frame, converted at the tile size (what a shown
  tile's feed does, without Qt): for comparison.

Per camera in standby: (standby - none) / N, % of one core. The RTSP server's CPU over the
same window is reported on its own (a standby camera still receives its whole stream).
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.feeds import FeedManager  # noqa: E402
from app.streams import StreamTimeouts  # noqa: E402
from app.urls import parse_source  # noqa: E402
from bench.metrics import CpuWindow, os_threads, rss_mb  # noqa: E402

MODES = ("none", "standby", "shown")


def run_standby(urls: list[str], mode: str, seconds: float, warmup: float,
                wait_live_s: float = 30.0, server_pid: int | None = None,
                tile_size: tuple[int, int] | None = None) -> dict:
    if mode not in MODES:
        raise ValueError(f"mode {mode!r}: one of {MODES}")
    manager = FeedManager(StreamTimeouts())
    feeds = []
    has_standby = True
    if mode != "none":
        for i, url in enumerate(urls):
            cam, source = f"STANDBY-{i:02d}", parse_source(url)
            if mode == "standby":
                try:  # as the wall's binder does for a tour's next page
                    feed = manager.acquire(cam, source, f"standby {i}", standby=True)
                except TypeError:  # an older FeedManager: the feed's own switch, if any
                    feed = manager.acquire(cam, source, f"standby {i}")
                    if hasattr(feed, "set_standby"):
                        feed.set_standby(True)
                    else:
                        has_standby = False
            else:
                feed = manager.acquire(cam, source, f"standby {i}")
            if tile_size:
                feed.set_size(1, *tile_size)
            feeds.append(feed)
    t_open = time.monotonic()
    deadline = t_open + wait_live_s
    while time.monotonic() < deadline and any(f.slot.get() is None for f in feeds):
        time.sleep(0.05)
    first_s = [None if f.slot.get() is None else time.monotonic() - t_open for f in feeds]
    time.sleep(warmup)
    d0 = [f.decoded for f in feeds]
    window = CpuWindow(server_pid)
    window.start()
    t0 = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - t0
    cpu = window.stop()
    decoded = [f.decoded - a for f, a in zip(feeds, d0)]
    result = {
        "mode": mode, "streams": len(feeds), "seconds": elapsed,
        "cpu_s": cpu["process_cpu_s"], "server_cpu_s": cpu["server_cpu_s"],
        "machine_busy_s": cpu["machine_busy_s"], "decoded": sum(decoded),
        "decoded_fps_per_stream": [n / elapsed for n in decoded],
        "all_had_picture": all(f.slot.get() is not None for f in feeds),
        "first_picture_s_max": max((x for x in first_s if x is not None), default=None),
        "has_set_standby": has_standby,
        "in_standby": sum(1 for f in feeds if getattr(f, "_standby", False)),
        "rss_mb": rss_mb(), "threads": os_threads(),
        "cpu_detail": cpu, "tile_size": list(tile_size) if tile_size else None,
    }
    manager.stop_all(timeout=3.0)
    return result


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    size = spec.get("tile_size")
    result = run_standby(spec["urls"], spec["mode"], spec["seconds"], spec["warmup"],
                         spec.get("wait_live_s", 30.0), spec.get("server_pid"),
                         tuple(size) if size else None)
    Path(argv[1]).write_text(json.dumps(result))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
