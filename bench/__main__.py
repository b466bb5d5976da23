"""Nazar's benchmark: `./nazar bench demo [--layout 3x3] [--seconds 20]`.

`demo`: the bundled demo registry on the real wall (offscreen), first run with an empty demo
clip cache (clips are drawn on the spot) and then a warm run. Prints one table per run.
"""
from __future__ import annotations

import argparse
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

    cpus = len(__import__("os").sched_getaffinity(0))
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
    from app.layouts import LAYOUTS
    from app.registry import load_registry

    reg = load_registry(ROOT / "cameras.yaml")
    tiles = LAYOUTS[args.layout].tiles
    view = reg.default_view(tiles)
    with tempfile.TemporaryDirectory(prefix="nazar-bench-cache-") as cache:
        for label in ("first run: empty clip cache", "warm clip cache"):
            r = run_wall(reg, view, args.layout, seconds=args.seconds, warmup=args.warmup,
                         cache_dir=Path(cache))
            print_table(f"Demo wall {args.layout} ({tiles} demo cameras, 640x360 MJPEG "
                        f"12 fps), {label}", describe(r))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="scenario", required=True)
    d = sub.add_parser("demo", help="the demo registry on the wall")
    d.add_argument("--layout", default="3x3")
    d.add_argument("--seconds", type=float, default=20.0)
    d.add_argument("--warmup", type=float, default=5.0)
    args = p.parse_args(argv)
    print(f"machine: {machine()}")
    if args.scenario == "demo":
        bench_demo(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
