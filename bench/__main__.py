"""Nazar's benchmark: `./nazar bench SCENARIO [options]` (runs `python -m bench`).

Scenarios:
  demo       the bundled demo registry on the wall (offscreen), first with an empty demo-clip
             cache, then warm. Options: --layout 3x3 --seconds 20 --warmup 5
  16x720p    16 RTSP cameras, 1280x720 main + 640x360 sub, 25 fps, layout 4x4
  2x2main    4 RTSP cameras, 1280x720 main + 640x360 sub, 25 fps, layout 2x2 on a 1600x900
             window: tiles big enough that the wall shows the main streams
  16x1080p   16 RTSP cameras, 1920x1080 main + 640x360 sub, 25 fps, layout 4x4
             (plus the bare decode of all 16 main streams, for comparison)
  36x360p    36 RTSP cameras, 640x360, 15 fps, layout 6x6
  64x360p    64 RTSP cameras, 640x360, 15 fps, layout 8x8
  1+15       16 RTSP cameras, 1920x1080 main + 640x360 sub, 25 fps: one large tile (7x7 of an
             8x8 grid) and 15 small ones
  soak       16 RTSP cameras, 640x360, 25 fps, layout 4x4, 600 s: RSS every 30 s
  switch     32 RTSP cameras (1080p main + 360p sub) on two pages of a 4x4 wall; maximise a
             tile, restore it, change pages: time to the new stream, gaps, streams left open
  tour       32 RTSP cameras, 640x360, 25 fps, two pages of a 4x4 wall, the wall's tour
             turning the page every 10 s for 600 s: RSS every 30 s (streams opened and closed)
  pageturn   32 RTSP cameras (720p main + 360p sub) on two pages of a 4x4 wall, the wall's
             tour turning the page every 5 s for 60 s: time from a turn until every tile of
             the new page paints; then the CPU of a camera in keyframe-only standby
  all        16x720p, 2x2main, 16x1080p, 36x360p, 64x360p, 1+15 and pageturn, one after another
  rtsp       your own: --cameras N --res WxH --fps F --layout L
  tiny       4 cameras, 640x360, 15 fps, 3 s (what CI runs)
  map        the map panel with 10,000 cameras (bench/map_bench.py; --cameras N --runs R)
  alarm      alarm mode with 1,200 and 10,000 cameras: selection, and raise to the alarm wall
             with its banner (bench/alarm_bench.py; --raises N --points N)
  relay      a relay hub: 64 streams x 4 clients through it and direct, hub CPU per stream,
             added delay, a 2x2 wall direct and via the hub (bench/relay_bench.py)
  decoders   the decode path's alternatives on one 720p and one 1080p clip, one thread, no Qt:
             CPU per frame of cv2.read, the old worker, PyAV decode only, PyAV reformat,
             PyAV bgr24 + resize, PyAV + yuv_to_bgra (bench/decoders.py; --res --sizes
             --frames --reps). Also: `decode`
  recording  incident recording: 16 RTSP cameras (720p25) recorded vs the same not recorded,
             CPU per camera (bench/recording_bench.py; --cameras --res --fps --seconds)
  evidence   the evidence bundle of 100 selected cameras, PDF included: seconds, limit 5 s
             (bench/evidence_bench.py)
  soak-faults  the real wall (main.py, offscreen, its own process) on 12 RTSP cameras for 30
             minutes while a fault script kills and restarts an RTSP server, stalls another
             (SIGSTOP/SIGCONT), delays and throttles a link through a loopback proxy, and one
             camera's port answers garbage: time to show each fault, time until each tile is
             live again, threads back to baseline, RSS growth < 5 % (bench/soak_faults.py;
             --minutes 30 --warmup 60 --down 10)
  exit       exit with hung cameras: SIGTERM to main.py while every stream is blocked in a
             read, and while every stream is blocked opening (server SIGSTOPped); time to
             process exit, median and max of --reps, limit 1 s (bench/soak_faults.py;
             --reps 5 --cameras 8)
  eyes-on    time to eyes-on: 13 RTSP cameras on a 1+12 alarm wall, raised 20 times with 1 s
             and 2 s keyframe spacing (bench/eyes_on.py; --raises N --gops 1,2)

Every RTSP scenario starts the GStreamer test server in its own process, runs the real wall
offscreen in another, then the bare cv2 decode (THE LIMIT) and PyAV decode only (THE FLOOR)
over the same streams, each in a process of its own (no GUI), and prints one table with the
ratios wall / bare and wall / floor, the targets and PASS / MISS. Options for them: --seconds,
--warmup, --sub WxH|none (the cameras' sub stream), --layout, --window WxH, --cameras N,
--clip-dir DIR, --json FILE (all figures, machine-readable), --compare-opencv (the wall again
with NAZAR_DECODER=opencv, same streams, same run), --rounds N (all of them N times,
interleaved), --no-floor, --tour-seconds S (pageturn, tour).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import describe, print_table, run_wall  # noqa: E402


def machine() -> str:
    import cv2
    import PySide6

    cpus = len(os.sched_getaffinity(0))
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpus} CPU(s) ({model}), Python {platform.python_version()}, "
            f"PySide6 {PySide6.__version__}, OpenCV {cv2.__version__}")


def bench_demo(args: argparse.Namespace) -> None:
    from app import demo
    from app.layouts import LAYOUTS
    from app.registry import load_registry
    from bench.demo_start import print_runs, run_start

    # Experiments: the clip codec and the helper processes, for main.py and this process.
    if args.codec:
        os.environ["NAZAR_DEMO_CODEC"] = args.codec
    if args.workers is not None:
        os.environ["NAZAR_DEMO_WORKERS"] = str(args.workers)
    codec = demo.clip_codec()
    print(f"demo clips: {codec}, {demo.workers()} helper process(es), cache cap "
          f"{demo.cache_cap_bytes() / 1e6:.0f} MB", flush=True)
    # 1. As a user starts it: main.py in its own process, a fresh settings directory (the
    #    first-start layout), an empty clip cache, then the same cache warm.
    if args.start_runs:
        with tempfile.TemporaryDirectory(prefix="nazar-bench-cache-") as cache:
            runs = [(("first run: empty clip cache" if i == 0 else "warm clip cache"),
                     run_start(Path(cache))) for i in range(args.start_runs)]
            print_runs(runs)
    # 2. The wall in this process (bench/harness.py), measured over --seconds.
    reg = load_registry(ROOT / "cameras.yaml")
    tiles = LAYOUTS[args.layout].tiles
    view = reg.default_view(tiles)
    kind = "H.264" if codec == "h264" else "MJPEG"
    with tempfile.TemporaryDirectory(prefix="nazar-bench-cache-") as cache:
        for label in ("first run: empty clip cache", "warm clip cache"):
            r = run_wall(reg, view, args.layout, seconds=args.seconds, warmup=args.warmup,
                         cache_dir=Path(cache))
            print_table(f"Demo wall {args.layout} ({tiles} demo cameras, 640x360 {kind} "
                        f"12 fps), {label}", describe(r))


def bench_rtsp(args: argparse.Namespace) -> int:
    from bench.rtsp_bench import ALL, print_run, run_scenario, scenario_from_args

    names = list(ALL) if args.scenario == "all" else [args.scenario]
    clip_dir = Path(args.clip_dir) if args.clip_dir else None
    runs = []
    for name in names:
        sc = scenario_from_args(name, args)
        print(f"\n== {sc.name}: {sc.title}", flush=True)
        run = run_scenario(sc, clip_dir=clip_dir, machine=machine(),
                           log=lambda line: print(line, flush=True))
        print_run(run)
        sys.stdout.flush()
        runs.append(run)
    if args.json:
        Path(args.json).write_text(json.dumps([r.to_json() for r in runs], indent=1,
                                              default=str))
    return 0


def main(argv: list[str] | None = None) -> int:
    from bench.rtsp_bench import SCENARIOS

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["map"]:  # its own process: it sets QtWebEngine's flags before Qt loads
        import subprocess
        return subprocess.call([sys.executable, "-m", "bench.map_bench", *argv[1:]], cwd=ROOT)
    modules = {"alarm": "bench.alarm_bench", "eyes-on": "bench.eyes_on",
               "dispatch": "bench.dispatch_bench", "relay": "bench.relay_bench",
               "decoders": "bench.decoders", "decode": "bench.decoders",
               "recording": "bench.recording_bench", "evidence": "bench.evidence_bench"}
    if argv[:1] and argv[0] in ("soak-faults", "exit"):  # one module, both scenarios
        import subprocess
        return subprocess.call([sys.executable, "-m", "bench.soak_faults", *argv], cwd=ROOT)
    if argv[:1] and argv[0] in modules:
        import subprocess
        module = modules[argv[0]]
        return subprocess.call([sys.executable, "-m", module, *argv[1:]], cwd=ROOT)

    p = argparse.ArgumentParser(prog="bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="scenario", required=True)
    d = sub.add_parser("demo", help="the demo registry on the wall")
    d.add_argument("--layout", default="3x3")
    d.add_argument("--seconds", type=float, default=20.0)
    d.add_argument("--warmup", type=float, default=5.0)
    d.add_argument("--start-runs", type=int, default=2,
                   help="main.py started as a user would: the first with an empty clip cache "
                        "(0: skip)")
    d.add_argument("--codec", choices=["h264", "mjpeg"], default=None,
                   help="experiment: the demo clips' codec (NAZAR_DEMO_CODEC)")
    d.add_argument("--workers", type=int, default=None,
                   help="experiment: helper processes drawing clips, 0: in the feed's thread "
                        "(NAZAR_DEMO_WORKERS)")
    for name in [*SCENARIOS, "all", "rtsp"]:
        s = sub.add_parser(name, help=f"RTSP scenario {name}")
        s.add_argument("--seconds", type=float, default=None,
                       help="measured seconds (default: the scenario's)")
        s.add_argument("--warmup", type=float, default=None,
                       help="seconds after every tile is live, before measuring")
        s.add_argument("--sub", default=None, help="the cameras' sub stream: WxH or none")
        s.add_argument("--layout", default=None, help="e.g. 4x4, 6x6, 8x8, 1+15, 1+12")
        s.add_argument("--window", default=None, help="wall window size, default 1920x1080")
        s.add_argument("--cameras", type=int, default=16 if name == "rtsp" else None)
        s.add_argument("--res", default="640x360", help="(rtsp) main stream WxH")
        s.add_argument("--fps", type=int, default=15, help="(rtsp) frames per second")
        s.add_argument("--clip-dir", default=None,
                       help="where test clips are cached (default ~/.cache/nazar/bench-clips)")
        s.add_argument("--json", default=None, help="also write all figures to this file")
        s.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                       help="experiment: extra environment for the wall and bare processes")
        s.add_argument("--display-ms", type=int, default=None,
                       help="experiment: set the wall's display timer interval (ms)")
        s.add_argument("--profile", default=None, metavar="FILE",
                       help="cProfile the wall's GUI thread over the window into FILE")
        s.add_argument("--decompose", action="store_true",
                       help="also run each decoder + the worker's scaling and BGRA (no Qt)")
        s.add_argument("--compare-opencv", action="store_true",
                       help="also run the wall with NAZAR_DECODER=opencv (same run)")
        s.add_argument("--rounds", type=int, default=None,
                       help="measure wall(s), bare and floor N times, interleaved")
        s.add_argument("--no-floor", action="store_true",
                       help="skip THE FLOOR (PyAV decode only)")
        s.add_argument("--tour-seconds", type=float, default=None,
                       help="(pageturn, tour) seconds between the tour's page turns")
    args = p.parse_args(argv)
    print(f"machine: {machine()}", flush=True)
    if args.scenario == "demo":
        bench_demo(args)
        return 0
    return bench_rtsp(args)


if __name__ == "__main__":
    sys.exit(main())
