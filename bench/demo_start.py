"""The demo as a new user starts it: `main.py` in its own process, with a fresh settings
directory (so the first-start layout, 3x3) and a given demo-clip cache, on a 1920x1080 virtual
screen (Xvfb, as `./nazar demo` uses without a display; Qt's offscreen platform if there is no
Xvfb). The child reports, on the system's monotonic clock: when the main window was shown, and
when 1, 4, ... tiles were live (a frame painted) and moving (a second, newer frame painted).

    python -m bench.demo_start [--cache-dir DIR] [--runs 2]   (also part of `./nazar bench demo`)
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TAG = "NAZAR-BENCH "


@dataclass
class StartRun:
    display: str
    window_shown_s: float | None = None  # process start until the main window was shown
    live_s: dict[int, float] = field(default_factory=dict)  # window shown until N tiles live
    moving_s: dict[int, float] = field(default_factory=dict)  # ... until N tiles moving
    tiles: int = 0
    clips: int = 0  # clips in the cache afterwards
    cache_mb: float = 0.0
    error: str = ""

    def row(self, key: str, k: int) -> str:
        got = (self.live_s if key == "live" else self.moving_s).get(k)
        return f"{got:.2f} s" if got is not None else "never"


def run_start(cache_root: Path, timeout_s: float = 90.0, linger_s: float = 1.0,
              env: dict[str, str] | None = None) -> StartRun:
    """Start the real wall once with `cache_root` (main.py --cache-dir) and a fresh settings
    directory; wait until every tile on the first page is moving (or timeout_s)."""
    xvfb = shutil.which("xvfb-run") and not os.environ.get("DISPLAY")
    cmd = [sys.executable, "-m", "bench.demo_start", "child", "--cache-dir", str(cache_root),
           "--linger", str(linger_s)]
    child_env = dict(os.environ, **(env or {}))
    if xvfb:
        child_env.pop("QT_QPA_PLATFORM", None)
    else:
        child_env.setdefault("QT_QPA_PLATFORM", "offscreen")
    if xvfb:
        cmd = ["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24", *cmd]
    run = StartRun(display="Xvfb 1920x1080" if xvfb else
                   f"Qt {child_env.get('QT_QPA_PLATFORM', 'default')} platform")
    with tempfile.TemporaryDirectory(prefix="nazar-bench-settings-") as settings:
        cmd += ["--settings-dir", settings]
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        shown: float | None = None
        tail: list[str] = []
        try:
            deadline = t0 + timeout_s
            assert proc.stdout is not None
            for line in proc.stdout:
                if not line.startswith(TAG):
                    tail = (tail + [line.rstrip()])[-20:]
                    continue
                ev = json.loads(line[len(TAG):])
                if ev["event"] == "shown":
                    shown = ev["t"]
                    run.window_shown_s = shown - t0
                    run.tiles = ev["tiles"]
                elif ev["event"] in ("live", "moving") and shown is not None:
                    target = run.live_s if ev["event"] == "live" else run.moving_s
                    target[ev["n"]] = ev["t"] - shown
                if time.monotonic() > deadline:
                    run.error = f"timed out after {timeout_s:.0f} s"
                    break
        finally:
            if proc.poll() is None:
                proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
    if run.window_shown_s is None and not run.error:
        run.error = "the window never showed: " + " | ".join(tail[-5:])
    clips = [p for p in (cache_root / "demo").glob("*") if not p.name.startswith(".")]
    run.clips = len(clips)
    run.cache_mb = sum(p.stat().st_size for p in clips) / 1e6
    return run


def _child(argv: list[str]) -> int:
    """Run main.py in this process, reporting the window and its tiles on stdout."""
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("--cache-dir", required=True)
    p.add_argument("--settings-dir", required=True)
    p.add_argument("--linger", type=float, default=1.0)
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))

    from PySide6.QtCore import QTimer

    import main as nazar_main
    from app.streams import State
    from widgets.main_window import MainWindow

    def report(**ev: object) -> None:
        print(TAG + json.dumps(ev), flush=True)

    original_show = MainWindow.showEvent
    watch: dict[str, object] = {}

    def show_event(self, event) -> None:  # type: ignore[no-untyped-def]
        original_show(self, event)
        if watch or type(self) is not MainWindow:
            return
        tiles = [t for t in self.wall.tiles if t.content is not None]
        report(event="shown", t=time.monotonic(), tiles=len(tiles))
        first_seen: dict[int, int] = {}  # tile index -> frames_shown at its first frame
        live_n, moving_n = [0], [0]

        def poll() -> None:
            now = time.monotonic()
            live = moving = 0
            for t in tiles:
                if t.state is State.LIVE and t.frames_shown > 0:
                    live += 1
                    first_seen.setdefault(t.index, t.frames_shown)
                    if t.frames_shown > first_seen[t.index]:
                        moving += 1
            for n in range(live_n[0] + 1, live + 1):
                report(event="live", n=n, t=now)
            for n in range(moving_n[0] + 1, moving + 1):
                report(event="moving", n=n, t=now)
            live_n[0], moving_n[0] = max(live_n[0], live), max(moving_n[0], moving)
            if tiles and moving >= len(tiles):
                timer.stop()
                QTimer.singleShot(int(args.linger * 1000), self.close)

        timer = QTimer(self)
        timer.timeout.connect(poll)
        timer.start(10)
        watch["timer"] = timer

    MainWindow.showEvent = show_event  # type: ignore[method-assign]
    return nazar_main.main(["--cache-dir", args.cache_dir, "--settings-dir", args.settings_dir,
                            "--log-level", "WARNING"])


def print_runs(runs: list[tuple[str, StartRun]], target_s: float = 5.0) -> None:
    from bench.harness import print_table

    for label, r in runs:
        four = r.moving_s.get(4)
        verdict = ("PASS" if four is not None and four <= target_s else "MISS")
        rows = [
            ("display", r.display),
            ("process start until window shown",
             f"{r.window_shown_s:.2f} s" if r.window_shown_s is not None else "never"),
            ("window shown until 1 / 4 / all tiles live",
             " / ".join(r.row("live", k) for k in (1, 4, r.tiles))),
            ("window shown until 1 / 4 / all tiles moving",
             " / ".join(r.row("moving", k) for k in (1, 4, r.tiles))),
            (f"target: 4 moving tiles within {target_s:g} s of the window", verdict),
            ("clips in the cache afterwards", f"{r.clips} ({r.cache_mb:.1f} MB)"),
        ]
        if r.error:
            rows.append(("problem", r.error))
        print_table(f"Demo start as a user sees it (main.py, {r.tiles} tiles), {label}", rows)


def main(argv: list[str] | None = None) -> int:
    import argparse

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["child"]:
        return _child(argv[1:])
    p = argparse.ArgumentParser(prog="bench.demo_start", description=__doc__)
    p.add_argument("--cache-dir", default=None, help="default: a new temporary directory")
    p.add_argument("--runs", type=int, default=2, help="the first with an empty cache")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nazar-bench-cache-") as tmp:
        cache = Path(args.cache_dir) if args.cache_dir else Path(tmp)
        runs = []
        for i in range(args.runs):
            label = "first run: empty clip cache" if i == 0 else "warm clip cache"
            runs.append((label, run_start(cache)))
        print_runs(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
