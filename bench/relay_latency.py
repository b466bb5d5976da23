"""How much later a frame arrives through the relay hub than straight from the camera.

Two OpenCV readers in one process, one direct and one through the hub, read the same live
stream for `seconds`. The hub does not transcode, so both decode identical pictures: each
frame is recognised by a hash of its pixels, and its arrival times are compared.

    .venv/bin/python -m bench.relay_latency DIRECT_URL HUB_URL [--seconds 15]
Prints one JSON line: {"matched": N, "p50_ms": ..., "p99_ms": ..., "max_ms": ...}.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import threading
import time

import cv2


def read(url: str, until: float, out: list[tuple[float, bytes]]) -> None:
    cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG)
    while time.monotonic() < until:
        ok, frame = cap.read()
        now = time.monotonic()
        if not ok:
            time.sleep(0.05)
            continue
        out.append((now, hashlib.sha1(frame.tobytes()).digest()))  # the whole picture
    cap.release()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("direct")
    p.add_argument("hub")
    p.add_argument("--seconds", type=float, default=15.0)
    p.add_argument("--warmup", type=float, default=2.0,
                   help="frames of the first seconds after each reader's first frame (the "
                        "burst of a new connection) are not counted")
    args = p.parse_args(argv)
    cv2.setNumThreads(1)
    until = time.monotonic() + args.warmup + args.seconds + 3.0  # + connecting
    direct: list[tuple[float, bytes]] = []
    hub: list[tuple[float, bytes]] = []
    threads = [threading.Thread(target=read, args=(args.direct, until, direct)),
               threading.Thread(target=read, args=(args.hub, until, hub))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    by_hash: dict[bytes, list[float]] = {}
    for t, h in direct:
        by_hash.setdefault(h, []).append(t)
    delays = []
    settled = max(direct[0][0], hub[0][0]) + args.warmup if direct and hub else until
    for t, h in hub:
        if t < settled:
            continue
        times = by_hash.get(h)
        if times:
            nearest = min(times, key=lambda d: abs(d - t))
            if abs(nearest - t) < 2.0:  # the clip loops: the same picture comes again later
                delays.append((t - nearest) * 1000.0)
    delays.sort()
    out = {"matched": len(delays), "direct_frames": len(direct), "hub_frames": len(hub)}
    if delays:
        out.update(p50_ms=statistics.median(delays),
                   p99_ms=delays[min(len(delays) - 1, int(0.99 * (len(delays) - 1)))],
                   max_ms=delays[-1], min_ms=delays[0])
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
