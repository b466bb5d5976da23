"""The wall side of the RTSP benchmark, in a process of its own.

    python -m bench.wall_child SPEC.json RESULT.json

SPEC: {"config": registry path, "layout": layout spec (see `make_layout`), "view": [ids],
"seconds", "warmup", "wait_live_s", "size": [w, h], "server_pid", "progress_every_s"}.
Writes the measurements (`bench.harness.WallResult` as a dict) to RESULT. Progress lines go
to stdout as they happen (the soak scenario's RSS every 30 s).
"""
from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def make_layout(spec: str):
    """A layout by name: any in app.layouts.LAYOUTS; "NxN" (a grid, built here if the app has
    no such layout); "1+15" (an 8x8 grid whose cell 0 spans 7x7 units, with 15 small cells
    along the right and bottom edges)."""
    from app.layouts import LAYOUTS, Cell, grid, one_plus

    if spec in LAYOUTS:
        return LAYOUTS[spec]
    if spec == "1+15":
        return one_plus("1+15", 8, Cell(0, 0, 7, 7))
    cols, x, rows = spec.partition("x")
    if x and cols.isdigit() and cols == rows:
        return grid(int(cols))
    raise ValueError(f"unknown layout {spec!r}")


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    out = Path(argv[1])
    from app.registry import load_registry
    from app.streams import StreamTimeouts
    from bench.harness import run_wall

    reg = load_registry(Path(spec["config"]))
    if reg.problems:
        raise SystemExit(f"benchmark registry has problems: {reg.problems}")
    result = run_wall(
        reg, spec["view"], make_layout(spec["layout"]), seconds=spec["seconds"],
        warmup=spec["warmup"], timeouts=StreamTimeouts(**spec.get("timeouts", {})),
        size=tuple(spec.get("size", (1920, 1080))), wait_live_s=spec.get("wait_live_s", 30.0),
        server_pid=spec.get("server_pid"), progress_every_s=spec.get("progress_every_s", 0.0),
        progress=lambda line: print(line, flush=True), display_ms=spec.get("display_ms"),
        profile_to=spec.get("profile_to"), script=spec.get("script"))
    lat, lag = result.latency, result.lag
    result.latency = result.lag = None  # histograms: summarised below, not serialised
    data = dataclasses.asdict(result)
    data["latency"], data["lag"] = lat.summary(), lag.summary()
    data["tiles_live_s"] = {str(k): v for k, v in result.tiles_live_s.items()}
    data["env"] = {k: os.environ.get(k) for k in
                   ("OPENCV_FFMPEG_CAPTURE_OPTIONS", "OPENCV_FFMPEG_IS_THREAD_SAFE")}
    out.write_text(json.dumps(data))
    sys.stdout.flush()
    # The feeds are stopped; leave without waiting for daemon threads in a network read.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
