"""Recording benchmark: what incident recording costs, measured against the same streams
not recorded, in the same process and run.

    .venv/bin/python -m bench.recording_bench [--cameras 16] [--res 1280x720] [--fps 25]
                                              [--seconds 20] [--rounds 2]

N real RTSP cameras (the GStreamer test server, looped H.264 clips, a keyframe a second) are
opened the way the recording desk opens a camera that is not on the wall: a feed on standby
(every packet read and buffered, keyframes decoded). Then, in alternating rounds of
`--seconds`, the process CPU is measured with the cameras recorded (packets copied into
Matroska segments on disk, hashed at each segment's close) and not recorded. The difference
per camera is the recording's own cost. Limit printed beside it: 1 % of a core per camera
(almost no CPU: nothing is decoded or encoded for it).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.feeds import FeedManager  # noqa: E402
from app.recording import RecordingStore  # noqa: E402
from app.urls import parse_source  # noqa: E402
from bench.metrics import cpu_seconds, rss_mb  # noqa: E402
from bench.rtsp_bench import default_clip_dir  # noqa: E402
from tests.support.clips import make_clip  # noqa: E402
from tests.support.rtsp import RtspServer  # noqa: E402

LIMIT_PCT_PER_CAMERA = 1.0


def measure(seconds: float) -> float:
    """Process CPU over `seconds`, in % of one core."""
    c0, t0 = cpu_seconds(), time.monotonic()
    time.sleep(seconds)
    return 100.0 * (cpu_seconds() - c0) / (time.monotonic() - t0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.recording_bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cameras", type=int, default=16)
    p.add_argument("--res", default="1280x720")
    p.add_argument("--fps", type=int, default=25)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    w, h = (int(v) for v in args.res.split("x"))
    clip = make_clip(default_clip_dir(), w, h, fps=args.fps, seconds=20, gop=args.fps)
    mounts = {f"/cam{i}": str(clip) for i in range(1, args.cameras + 1)}
    out: dict = {"cameras": args.cameras, "res": args.res, "fps": args.fps}
    with RtspServer(mounts, ready_timeout=60.0) as server, \
            tempfile.TemporaryDirectory(prefix="nazar-rec-bench-") as tmp:
        feeds = FeedManager()
        recorder = RecordingStore(Path(tmp), min_free_bytes=0)
        recorder.start()
        fs = [feeds.acquire(f"REC-{i:02d}", parse_source(server.url(m)), standby=True)
              for i, m in enumerate(mounts, 1)]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(f.packets.seconds >= 2 for f in fs):
            time.sleep(0.1)
        if not all(f.packets.seconds >= 2 for f in fs):
            print("not every camera delivered packets within 60 s", file=sys.stderr)
            return 1
        time.sleep(2.0)  # settle
        off, on = [], []
        written0 = 0
        incident = 0
        for _ in range(args.rounds):
            off.append(measure(args.seconds))
            incident += 1
            recs = [recorder.recording(f"BENCH-{incident}", f.camera_id) for f in fs]
            for f, r in zip(fs, recs):
                f.add_recording(r)
            on.append(measure(args.seconds))
            for f, r in zip(fs, recs):
                f.remove_recording(r)
            written0 += sum(r.bytes_written for r in recs)
        recorder.flush(30)
        files = sum(len(recorder.manifests.read(f"BENCH-{i}")["files"])
                    for i in range(1, incident + 1))
        out.update(cpu_off_pct=sum(off) / len(off), cpu_on_pct=sum(on) / len(on),
                   bytes_per_s=written0 / (args.seconds * args.rounds),
                   buffer_mb=sum(f.packets.nbytes for f in fs) / 2**20, rss_mb=rss_mb(),
                   files=files)
        feeds.stop_all()
        recorder.stop()
    per_cam = (out["cpu_on_pct"] - out["cpu_off_pct"]) / args.cameras
    out["per_camera_pct"] = per_cam
    title = (f"Recording {args.cameras} x {args.res} {args.fps} fps RTSP cameras "
             f"({args.rounds} rounds of {args.seconds:g} s each way)")
    print(title)
    print("-" * len(title))
    rows = [
        ("process CPU, cameras open on standby, not recorded", f"{out['cpu_off_pct']:.1f} %"),
        ("process CPU, the same cameras recorded", f"{out['cpu_on_pct']:.1f} %"),
        ("recording's cost per camera (limit 1 % of a core)",
         f"{per_cam:.2f} % {'PASS' if per_cam <= LIMIT_PCT_PER_CAMERA else 'MISS'}"),
        ("written to disk", f"{out['bytes_per_s'] / 2**20:.2f} MB/s "
                            f"({out['bytes_per_s'] * 8 / args.cameras / 1e6:.2f} Mbit/s per "
                            "camera)"),
        ("segments closed and hashed", str(out["files"])),
        ("packet buffers held (35 s per camera)", f"{out['buffer_mb']:.1f} MB"),
        ("process RSS", f"{out['rss_mb']:.0f} MB"),
    ]
    for k, v in rows:
        print(f"{k:<56}{v}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
