"""Run the real wall (real widgets, real feeds, offscreen) for a while and measure it."""
from __future__ import annotations

import os
import resource
import statistics
import threading
import time
from dataclasses import dataclass, field

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def os_threads() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return threading.active_count()


def cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


@dataclass
class WallResult:
    tiles: int
    seconds: float
    first_frame_s: list[float]  # per tile: from open to first frame (the feed's own clock)
    tiles_live_s: dict[int, float]  # wall-clock time from start until N tiles were live
    tile_fps: list[float]  # displayed frames per second, per tile
    decoded: int
    displayed: int
    cpu_s: float
    latency_ms: list[float]
    lag_ms: list[float]
    rss_start_mb: float
    rss_end_mb: float
    threads: int
    states: dict[str, int] = field(default_factory=dict)

    @property
    def cpu_percent(self) -> float:
        return 100.0 * self.cpu_s / self.seconds

    @property
    def cpu_per_frame_ms(self) -> float:
        return 1000.0 * self.cpu_s / max(1, self.displayed)


def run_wall(registry, view: list[str], layout_name: str, seconds: float, warmup: float = 3.0,
             timeouts=None, size=(1920, 1080), cache_dir=None) -> WallResult:
    """Show `view` on the wall for `warmup` + `seconds`; measure the last `seconds`."""
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from app.feeds import FeedManager
    from app.layouts import LAYOUTS, WallModel
    from app.streams import State
    from widgets.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    feeds = FeedManager(timeouts, cache_dir=cache_dir)
    model = WallModel(layout=LAYOUTS[layout_name], view=list(view))
    rss_start = rss_mb()
    t_start = time.monotonic()
    win = MainWindow(registry, model, feeds)
    win.tree_dock.hide()
    win.resize(*size)
    win.show()
    tiles = [t for t in win.wall.tiles if t.content is not None]
    live_at: dict[int, float] = {}

    def watch_live() -> None:
        n = sum(1 for t in tiles if t.state is State.LIVE)
        for k in range(1, n + 1):
            live_at.setdefault(k, time.monotonic() - t_start)

    watcher = QTimer()
    watcher.timeout.connect(watch_live)
    watcher.start(20)

    # Event-loop lag: a 10 ms timer that measures how late it fires.
    lags: list[float] = []
    clock = QElapsedTimer()
    lag_timer = QTimer()
    lag_timer.setInterval(10)

    def on_lag() -> None:
        elapsed = clock.nsecsElapsed() / 1e6
        lags.append(max(0.0, elapsed - 10.0))
        clock.restart()

    lag_timer.timeout.connect(on_lag)

    def spin(duration: float) -> None:
        end = time.monotonic() + duration
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.001)

    spin(warmup)
    # Measurement window.
    for t in tiles:
        t.paint_latencies = []
    shown0 = [t.frames_shown for t in tiles]
    decoded0 = sum(f.decoded for f in feeds.feeds())
    cpu0 = cpu_seconds()
    t0 = time.monotonic()
    clock.start()
    lag_timer.start()
    spin(seconds)
    lag_timer.stop()
    elapsed = time.monotonic() - t0
    cpu = cpu_seconds() - cpu0
    shown = [t.frames_shown - s for t, s in zip(tiles, shown0)]
    decoded = sum(f.decoded for f in feeds.feeds()) - decoded0
    latencies = [1000 * x for t in tiles for x in (t.paint_latencies or [])]
    states: dict[str, int] = {}
    for t in tiles:
        key = t.state.value if t.state else "none"
        states[key] = states.get(key, 0) + 1
    first = [f.snapshot().first_frame_latency_s for f in feeds.feeds()]
    result = WallResult(
        tiles=len(tiles), seconds=elapsed,
        first_frame_s=[x for x in first if x is not None],
        tiles_live_s=dict(live_at), tile_fps=[n / elapsed for n in shown],
        decoded=decoded, displayed=sum(shown), cpu_s=cpu, latency_ms=latencies,
        lag_ms=lags, rss_start_mb=rss_start, rss_end_mb=rss_mb(), threads=os_threads(),
        states=states)
    watcher.stop()
    win.close()
    feeds.stop_all(timeout=5.0)
    app.processEvents()
    return result


def describe(r: WallResult) -> list[tuple[str, str]]:
    fps = r.tile_fps
    rows = [
        ("tiles", f"{r.tiles} ({', '.join(f'{k} {v}' for k, v in sorted(r.states.items()))})"),
        ("displayed fps per tile: min / median", f"{min(fps):.1f} / {statistics.median(fps):.1f}"),
        ("frames decoded / displayed", f"{r.decoded} / {r.displayed}"),
        ("process CPU", f"{r.cpu_percent:.0f} % of one core ({r.cpu_s:.1f} s in {r.seconds:.1f} s)"),
        ("CPU per displayed frame", f"{r.cpu_per_frame_ms:.2f} ms"),
        ("capture-to-paint latency p50 / p99",
         f"{percentile(r.latency_ms, .5):.1f} / {percentile(r.latency_ms, .99):.1f} ms"),
        ("GUI event-loop lag p50 / p99",
         f"{percentile(r.lag_ms, .5):.1f} / {percentile(r.lag_ms, .99):.1f} ms"),
        ("time to first frame per stream: min / median / max",
         f"{min(r.first_frame_s):.2f} / {statistics.median(r.first_frame_s):.2f} / "
         f"{max(r.first_frame_s):.2f} s" if r.first_frame_s else "-"),
        ("start until 1 / 4 / all tiles live",
         " / ".join(f"{r.tiles_live_s[k]:.2f} s" if k in r.tiles_live_s else "never"
                    for k in (1, 4, r.tiles))),
        ("RSS start / end", f"{r.rss_start_mb:.0f} / {r.rss_end_mb:.0f} MB"),
        ("threads (OS)", str(r.threads)),
    ]
    return rows


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    width = max(len(k) for k, _ in rows)
    print(f"\n{title}\n" + "-" * len(title))
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
