"""Run the real wall (real widgets, real feeds, offscreen) for a while and measure it.

The wall runs in a real Qt event loop (`QEventLoop.exec`, as `app.exec()` does in main.py);
the benchmark only adds three timers of its own to that loop: a 10 ms probe for event-loop lag,
a 1 s sampler (per-tile frames and states, RSS) and the timer that ends the run.
"""
from __future__ import annotations

import os
import statistics
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.metrics import (CpuWindow, Histogram, cpu_seconds, os_threads,  # noqa: F401
                           percentile, rss_mb)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@dataclass
class WallResult:
    tiles: int
    seconds: float
    first_frame_s: list[float]  # per stream: from open to first frame (the feed's own clock)
    tiles_live_s: dict[int, float]  # wall-clock time from start until N tiles were live
    tile_fps: list[float]  # displayed frames per second, per tile
    decoded: int
    displayed: int
    cpu_s: float
    latency: Histogram  # capture-to-paint, every frame painted in the window
    lag: Histogram  # how late a 10 ms timer fired in the GUI thread
    rss_start_mb: float
    rss_end_mb: float
    threads: int
    states: dict[str, int] = field(default_factory=dict)
    # Added for the RTSP benchmark (bench/rtsp_bench.py).
    rss_warm_mb: float = 0.0  # after the warm-up, when the measurement window starts
    main_thread_cpu_s: float | None = None  # the GUI thread alone
    server_cpu_s: float | None = None  # another process (the RTSP server), same window
    machine_busy_s: float | None = None  # the whole machine, same window, all CPUs
    tile_size: tuple[int, int] = (0, 0)  # device pixels of tile 0
    tile_sizes: list[tuple[int, int]] = field(default_factory=list)
    streams: list[dict] = field(default_factory=list)  # per tile: stream, url, decoded size
    stream_changes: int = 0  # tiles whose stream changed during the window
    live_throughout: int = 0  # tiles live with a new frame in every 1 s of the window
    worst_second_fps: float = 0.0  # fewest new frames any tile showed in one 1 s sample
    samples: list[dict] = field(default_factory=list)  # 1 s samples: t, rss
    all_live_after_s: float | None = None  # start until every tile was live (wait_live)
    # Per stream: how far its pictures' timestamps advanced per second of the window. 1.0: it
    # keeps up (frames not decoded were dropped, not queued); below 1: it falls behind.
    stream_rate: list[float] = field(default_factory=list)
    cpu_detail: dict = field(default_factory=dict)  # user/sys s, page faults, switches
    events: list[dict] = field(default_factory=list)  # what each scripted action did
    decoder: str = ""  # NAZAR_DECODER as the wall's process resolved it (pyav, opencv)
    page_turns: dict = field(default_factory=dict)  # the tour's page turns (_PageTurns)

    @property
    def cpu_percent(self) -> float:
        return 100.0 * self.cpu_s / self.seconds

    @property
    def cpu_per_frame_ms(self) -> float:
        return 1000.0 * self.cpu_s / max(1, self.displayed)


def _stream_time(feed) -> float | None:
    """The timestamp (s) of the feed's newest decoded picture (PyAV only; the benchmark reads
    the feed's private last picture: the wall itself has no use for it)."""
    frame = getattr(getattr(feed, "_last_picture", None), "frame", None)
    if frame is None or frame.pts is None or not frame.time_base:
        return None
    return float(frame.pts * frame.time_base)


def _tile_streams(win) -> list[dict]:
    out = []
    for i, t in enumerate(win.wall.tiles):
        if t.content is None:
            continue
        feed = t.content.source
        frame = feed.slot.get() if feed is not None else None
        out.append({"tile": i, "camera": t.content.camera_id,
                    "stream": win.wall.stream_of(i) or t.content.stream,
                    "url": feed.source.url if feed is not None else None,
                    "key": feed.key if feed is not None else None,
                    "tile_size": list(t.device_size()),
                    "decoded_size": list(frame.source_size) if frame is not None else None,
                    "shown_size": ([int(frame.image.shape[1]), int(frame.image.shape[0])]
                                   if frame is not None else None)})
    return out


def run_wall(registry, view: list[str], layout, seconds: float, warmup: float = 3.0,
             timeouts=None, size=(1920, 1080), cache_dir=None, wait_live_s: float = 0.0,
             server_pid: int | None = None, progress_every_s: float = 0.0,
             progress: Callable[[str], None] | None = None,
             display_ms: int | None = None, profile_to: str | None = None,
             script: list | None = None) -> WallResult:
    """Show `view` on the wall, warm up, then measure `seconds`.

    `layout` is a name in app.layouts.LAYOUTS or a Layout. With `wait_live_s`, the warm-up
    first waits (at most that long) until every tile is live, then `warmup` more seconds.
    `progress` gets a line every `progress_every_s` of the measurement window (RSS, fps).
    `display_ms` (an experiment, not what the wall does): another display timer interval.
    `profile_to`: write cProfile statistics of the GUI thread over the window to this file.
    `script`: operator actions during the window, [[at_s, action, arg], ...] with action
    "maximise" (arg: tile), "restore", "page" (arg: page), "minimise" or "show" (the
    window); see `_Script`.
    """
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from app.decoders import decoder_name
    from app.feeds import FeedManager
    from app.layouts import LAYOUTS, WallModel
    from app.streams import State
    from widgets.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    lay = LAYOUTS[layout] if isinstance(layout, str) else layout
    feeds = FeedManager(timeouts, cache_dir=cache_dir)
    model = WallModel(layout=lay, view=list(view))
    rss_start = rss_mb()
    t_start = time.monotonic()
    win = MainWindow(registry, model, feeds)
    win.tree_dock.hide()
    win.resize(*size)
    win.show()
    if display_ms:
        win.wall.timer.setInterval(display_ms)
    tiles = [t for t in win.wall.tiles if t.content is not None]
    live_at: dict[int, float] = {}

    def watch_live() -> None:
        n = sum(1 for t in tiles if t.state is State.LIVE)
        for k in range(1, n + 1):
            live_at.setdefault(k, time.monotonic() - t_start)

    watcher = QTimer()
    watcher.timeout.connect(watch_live)
    watcher.start(20)

    def run_loop(duration: float, until: Callable[[], bool] | None = None) -> None:
        """The real event loop for `duration` seconds (or until `until()` holds)."""
        loop = QEventLoop()
        end = QTimer()
        end.setSingleShot(True)
        end.setTimerType(Qt.TimerType.PreciseTimer)
        end.timeout.connect(loop.quit)
        end.start(max(0, int(duration * 1000)))
        poll = None
        if until is not None:
            poll = QTimer()
            poll.timeout.connect(lambda: until() and loop.quit())
            poll.start(50)
        loop.exec()
        end.stop()
        if poll is not None:
            poll.stop()

    all_live_after = None
    if wait_live_s > 0:
        run_loop(wait_live_s, lambda: all(t.state is State.LIVE for t in tiles))
        if all(t.state is State.LIVE for t in tiles):
            all_live_after = time.monotonic() - t_start
    run_loop(warmup)
    watch_live()
    if len(live_at) >= len(tiles):
        watcher.stop()  # only for "start until N tiles live": no bench work in the window

    # Event-loop lag: a 10 ms timer that measures how late it fires. Lags and latencies go
    # into fixed-size histograms, so that measuring does not grow the RSS being measured.
    lags = Histogram()
    latencies = Histogram()
    clock = QElapsedTimer()
    lag_timer = QTimer()
    lag_timer.setTimerType(Qt.TimerType.PreciseTimer)
    lag_timer.setInterval(10)

    def on_lag() -> None:
        elapsed = clock.nsecsElapsed() / 1e6
        lags.append_ms(max(0.0, elapsed - 10.0))
        clock.restart()

    lag_timer.timeout.connect(on_lag)

    # 1 s samples: per tile, a new frame since the last sample and state live; RSS.
    n = len(tiles)
    series_t, series_rss = array("d"), array("d")
    first: dict = {}
    prev: dict = {}
    live_ok = [True] * n
    worst = [float("inf")]
    progress_marks: list[float] = []

    def sample() -> None:
        t_now = time.monotonic() - t0
        rss = rss_mb()
        frames = [t.frames_shown for t in tiles]
        live = [t.state is State.LIVE for t in tiles]
        series_t.append(t_now)
        series_rss.append(rss)
        if not first:
            first.update(t=t_now, frames=frames)
        elif t_now - prev["t"] >= 0.5:  # the last sample may come right after the previous
            dt = t_now - prev["t"]
            for i in range(n):
                new_frames = frames[i] - prev["frames"][i]
                worst[0] = min(worst[0], new_frames / dt)
                if new_frames == 0:
                    live_ok[i] = False
        for i in range(n):
            if not live[i]:
                live_ok[i] = False
        prev.update(t=t_now, frames=frames)
        if progress and progress_every_s:
            due = progress_every_s * (len(progress_marks) + 1)
            if t_now + 0.5 >= due:
                progress_marks.append(t_now)
                span = max(1e-9, t_now - first["t"])
                fps = [(b - a) / span for a, b in zip(first["frames"], frames)]
                progress(f"  t = {t_now:5.0f} s   RSS {rss:6.1f} MB   "
                         f"fps min {min(fps):.1f}   live {sum(live)}/{n}")

    sampler = QTimer()
    sampler.setTimerType(Qt.TimerType.PreciseTimer)
    sampler.setInterval(1000)
    sampler.timeout.connect(sample)

    # Measurement window.
    for t in tiles:
        t.paint_latencies = latencies  # the tile appends capture-to-paint seconds
    streams_start = _tile_streams(win)
    rss_warm = rss_mb()
    shown0 = [t.frames_shown for t in tiles]
    # Feeds opened and closed in the window count too; holding on to them here would keep
    # their frame buffers alive and make the RSS figures the benchmark's own.
    decoded0 = feeds.decoded_total()
    clock0 = {f.key: _stream_time(f) for f in feeds.feeds()}
    window = CpuWindow(server_pid)
    window.start()
    t0 = time.monotonic()
    clock.start()
    lag_timer.start()
    sample()
    sampler.start()
    profiler = None
    if profile_to:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    scripted = _Script(script, win.wall, feeds, t0, seconds) if script else None
    run_loop(seconds)
    page_turns: dict = {}
    if scripted is not None:
        scripted.stop()
        if scripted.page_turns is not None:
            page_turns = scripted.page_turns.summary()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile_to)
    sampler.stop()
    lag_timer.stop()
    sample()
    elapsed = time.monotonic() - t0
    cpu = window.stop()
    rss_end = rss_mb()
    for t in tiles:
        t.paint_latencies = None
    shown = [t.frames_shown - s for t, s in zip(tiles, shown0)]
    decoded = feeds.decoded_total() - decoded0
    stream_rate = []
    for f in feeds.feeds():
        a, b = clock0.get(f.key), _stream_time(f)
        if a is not None and b is not None and b >= a:  # (a looped file starts again: left out)
            stream_rate.append((b - a) / elapsed)
    states: dict[str, int] = {}
    for t in tiles:
        key = t.state.value if t.state else "none"
        states[key] = states.get(key, 0) + 1
    first_frames = [f.reading().first_frame_latency_s for f in feeds.feeds()]
    streams_end = _tile_streams(win)
    changes = sum(1 for a, b in zip(streams_start, streams_end) if a["key"] != b["key"])
    tile_sizes = [t.device_size() for t in tiles]
    result = WallResult(
        tiles=len(tiles), seconds=elapsed,
        first_frame_s=[x for x in first_frames if x is not None],
        tiles_live_s=dict(live_at), tile_fps=[n / elapsed for n in shown],
        decoded=decoded, displayed=sum(shown), cpu_s=cpu["process_cpu_s"] or cpu_seconds(),
        latency=latencies, lag=lags, rss_start_mb=rss_start, rss_end_mb=rss_end,
        threads=os_threads(), states=states, rss_warm_mb=rss_warm,
        main_thread_cpu_s=cpu["main_thread_cpu_s"], server_cpu_s=cpu["server_cpu_s"],
        machine_busy_s=cpu["machine_busy_s"],
        tile_size=tile_sizes[0] if tile_sizes else (0, 0), tile_sizes=tile_sizes,
        streams=streams_end, stream_changes=changes, live_throughout=sum(live_ok),
        stream_rate=stream_rate,
        worst_second_fps=worst[0] if worst[0] != float("inf") else 0.0,
        samples=[{"t": a, "rss_mb": b} for a, b in zip(series_t, series_rss)],
        all_live_after_s=all_live_after, cpu_detail=cpu,
        events=scripted.events if scripted is not None else [],
        decoder=decoder_name(), page_turns=page_turns)
    watcher.stop()
    win.close()
    feeds.stop_all(timeout=5.0)
    app.processEvents()
    return result


class _Script:
    """Operator actions at given times of the window, and what each one did to the wall.

    For each action, a 10 ms probe over the next `watch_s` seconds follows the acted-on tile
    (the selected one; for "page", every tile): how long until it shows a frame of the stream
    it should now show, the longest time without a new frame, and whether it was ever without
    a picture (black) or not live. Then, `settle_s` after the action, how many streams are
    open and how many frames per second the wall decodes.
    """

    def __init__(self, script: list, wall, feeds, t0: float, window_s: float,
                 watch_s: float = 4.0, settle_s: float = 3.0):
        from PySide6.QtCore import Qt, QTimer

        self.wall, self.feeds, self.t0 = wall, feeds, t0
        self.watch_s, self.settle_s = watch_s, settle_s
        self.events: list[dict] = []
        self._timers = []
        self._probe = QTimer()
        self._probe.setTimerType(Qt.TimerType.PreciseTimer)
        self._probe.setInterval(10)
        self._probe.timeout.connect(self._on_probe)
        self._current: dict | None = None
        self.page_turns: _PageTurns | None = None
        times = sorted(a[0] for a in script) + [window_s]
        # Settle and measure before the next action (or the window's end) when it comes soon.
        self._gap = {at: nxt - at for at, nxt in zip(times, times[1:])}
        for at_s, action, *arg in script:
            t = QTimer()
            t.setSingleShot(True)
            t.setTimerType(Qt.TimerType.PreciseTimer)
            t.timeout.connect(lambda a=action, x=(arg[0] if arg else None), g=self._gap[at_s]:
                              self._act(a, x, g))
            t.start(int(at_s * 1000))
            self._timers.append(t)

    def stop(self) -> None:
        for t in self._timers:
            t.stop()
        self._probe.stop()
        if self._current is not None:
            self._finish()
        if self.page_turns is not None:
            self.page_turns.stop()

    def _watched(self) -> list:
        ev = self._current
        tiles = self.wall.tiles
        return tiles if ev["action"] in ("page", "minimise", "show") else [tiles[ev["tile"]]]

    def _act(self, action: str, arg, gap_s: float) -> None:
        if self._current is not None:
            self._finish()
        model = self.wall.model
        before = {id(t): (t.content.source if t.content else None) for t in self.wall.tiles}
        now = time.monotonic()
        ev = {"at_s": now - self.t0, "action": action, "arg": arg, "tile": model.selected}
        if action == "maximise":
            model.select(int(arg))
            ev["tile"] = model.selected
            if not model.maximised:
                model.toggle_maximised()
        elif action == "restore":
            model.restore()
        elif action == "page":
            model.go_page(int(arg))
        elif action == "minimise":
            self.wall.window().showMinimized()
        elif action == "show":
            self.wall.window().showNormal()
        elif action == "tour":  # the wall's own tour: pages turn on its timer (arg: seconds)
            if arg:
                self.wall.commands.tour_seconds = float(arg)
            self.page_turns = _PageTurns(self.wall, self.feeds,
                                         self.wall.commands.tour_seconds)
            self.wall.execute("tour")
            if self.wall.tour is None:
                raise RuntimeError("the wall did not start its tour")
            ev["tour_seconds"] = self.wall.commands.tour_seconds
            self.events.append(ev)  # measured by _PageTurns, not by the probe
            self._measure_s = min(1.0, 0.3 * gap_s)
            self._timers.append(_single_shot(int(min(self.settle_s, 0.6 * gap_s) * 1000),
                                             self._settle))
            return
        else:
            raise ValueError(f"unknown action {action!r}")
        if action in ("maximise", "restore"):
            cam_id = model.visible()[ev["tile"]]
            cam = self.wall.registry.cameras.get(cam_id) if cam_id else None
            has_sub = cam is not None and cam.sub is not None
            ev["expect"] = "sub" if action == "restore" and has_sub else "main"
        self._current = ev
        self._t_act = now
        watched = self._watched()
        self._before = [before.get(id(t)) for t in watched]
        self._last_new = [now] * len(watched)
        self._seen = [t.frames_shown for t in watched]
        ev.update(black_probes=0, not_live_probes=0, max_gap_ms=0.0, switched_after_s=None,
                  probes=0, streams=[self.wall.stream_of(i) for i in range(len(self.wall.tiles))])
        self._probe.start()
        settle_s = min(self.settle_s, 0.6 * gap_s)
        self._measure_s = min(1.0, 0.3 * gap_s)
        self._timers.append(_single_shot(int(settle_s * 1000), self._settle))

    def _on_probe(self) -> None:
        from app.streams import State

        ev = self._current
        if ev is None:
            return
        now = time.monotonic()
        watched = self._watched()
        ev["probes"] += 1
        done = True
        black = not_live = False
        for i, t in enumerate(watched):
            if t.content is None:
                continue
            if t.frames_shown != self._seen[i]:
                ev["max_gap_ms"] = max(ev["max_gap_ms"], 1000 * (now - self._last_new[i]))
                self._seen[i], self._last_new[i] = t.frames_shown, now
            if getattr(t, "_image", None) is None:
                black = True
            if t.state is not State.LIVE:
                not_live = True
            feed = t.content.source
            frame = feed.slot.get() if feed is not None else None
            shown = getattr(t, "_frame", None)
            on_feed = (frame is not None and shown is not None
                       and shown.source_size == frame.source_size)
            if ev["action"] in ("page", "show"):  # a (re)opened stream: its first picture
                shows_new = feed is not self._before[i] and on_feed
            elif ev["action"] == "minimise":
                shows_new = False
            else:  # the stream the tile's new size calls for, and its picture
                shows_new = (self.wall.stream_of(ev["tile"]) == ev["expect"]) and on_feed
            if not shows_new:
                done = False
        ev["black_probes"] += black  # probes (every 10 ms) with a watched tile black
        ev["not_live_probes"] += not_live
        if done and ev["switched_after_s"] is None:
            ev["switched_after_s"] = now - self._t_act
        if now - self._t_act >= self.watch_s:
            self._finish()

    def _settle(self) -> None:
        ev = self._current if self._current is not None else (self.events[-1] if self.events
                                                               else None)
        if ev is None:
            return
        feeds = self.feeds.feeds()
        ev["streams_open"] = len(feeds)
        ev["streams_open_kinds"] = sorted(f.source.url.rsplit("_", 1)[-1] for f in feeds)
        d0 = {f.key: f.decoded for f in feeds}
        t0 = time.monotonic()

        def measure() -> None:
            fs = self.feeds.feeds()
            dt = time.monotonic() - t0
            ev["decoded_fps"] = sum(f.decoded - d0.get(f.key, 0) for f in fs) / max(dt, 1e-9)

        self._timers.append(_single_shot(int(self._measure_s * 1000), measure))

    def _finish(self) -> None:
        ev = self._current
        self._probe.stop()
        self._current = None
        now = time.monotonic()
        watched_last = [now - x for x in self._last_new]
        ev["max_gap_ms"] = max([ev["max_gap_ms"]] + [1000 * x for x in watched_last])
        ev["streams_after"] = [self.wall.stream_of(i) for i in range(len(self.wall.tiles))]
        self.events.append(ev)


def _standby(feed) -> bool:
    """Whether a feed is in keyframe-only standby (the wall's next tour page)."""
    on = getattr(feed, "standby", None)
    if on is None:
        on = getattr(feed, "_standby", False)
    return bool(on() if callable(on) else on)


class _PageTurns:
    """Every page turn of a tour: from the turn until each tile of the new page paints.

    Listens to the wall model's page event (after the wall's own listener, so the tiles have
    their new content) and to every tile's paint events (an event filter: the paint itself
    is not changed). Per tile of the new page: the time until it paints its first picture,
    the age of that picture (a standby keyframe may be old), the time until it paints a
    frame captured after the turn, and until it has painted MOVING_FRAMES such frames (the
    picture moves again; a standby feed's first new frame may be one more keyframe). One
    second after each turn: the streams open, and how many are in keyframe-only standby.
    """

    MOVING_FRAMES = 3  # "moving again": this many frames captured after the turn painted

    def __init__(self, wall, feeds, interval_s: float = 10.0):
        from PySide6.QtCore import QEvent, QObject

        self.wall, self.feeds = wall, feeds
        self.interval_s = interval_s
        self.turns: list[dict] = []
        self._cur: dict | None = None
        self._content = {id(t): t.content for t in wall.tiles}
        self._timers: list = []
        paint = QEvent.Type.Paint
        on_paint = self._on_paint

        class PaintFilter(QObject):
            def eventFilter(self, obj, event):  # noqa: N802 - Qt API
                if event.type() == paint:
                    on_paint(obj)
                return False

        self._filter = PaintFilter()
        for t in wall.tiles:
            t.installEventFilter(self._filter)
        wall.model.events.page.connect(self._on_page)

    def stop(self) -> None:
        self.wall.model.events.page.disconnect(self._on_page)
        for t in self.wall.tiles:
            t.removeEventFilter(self._filter)
        for t in self._timers:
            t.stop()
        self._close(by_turn=False)

    def _on_page(self) -> None:
        now = time.monotonic()
        self._close(by_turn=True)
        tiles = self.wall.tiles
        changed = [i for i, t in enumerate(tiles)
                   if t.content is not None and t.content is not self._content.get(id(t))]
        self._content = {id(t): t.content for t in tiles}
        cur = {"t": now, "page": self.wall.model.page, "tiles": changed,
               "first_ms": {}, "fresh_ms": {}, "age_ms": {}, "moving_ms": {},
               "fresh_seqs": {}}
        self._cur = cur
        self._timers.append(_single_shot(1000, lambda c=cur: self._count_open(c)))

    def _count_open(self, cur: dict) -> None:
        feeds = self.feeds.feeds()
        cur["open_after_1s"] = len(feeds)
        cur["standby_after_1s"] = sum(1 for f in feeds if _standby(f))

    def _on_paint(self, tile) -> None:
        cur = self._cur
        if cur is None or tile.index not in cur["tiles"]:
            return
        frame = getattr(tile, "_frame", None)
        if getattr(tile, "_image", None) is None or frame is None:
            return
        now = time.monotonic()
        i = tile.index
        if i not in cur["first_ms"]:
            cur["first_ms"][i] = 1000 * (now - cur["t"])
            cur["age_ms"][i] = 1000 * (now - frame.captured)
        if frame.captured >= cur["t"] and i not in cur["moving_ms"]:
            if i not in cur["fresh_ms"]:
                cur["fresh_ms"][i] = 1000 * (now - cur["t"])
            seqs = cur["fresh_seqs"].setdefault(i, set())
            seqs.add(frame.seq)
            if len(seqs) >= self.MOVING_FRAMES:
                cur["moving_ms"][i] = 1000 * (now - cur["t"])

    def _close(self, by_turn: bool) -> None:
        if self._cur is not None:
            cur = self._cur
            cur["t_end"] = time.monotonic()
            cur["complete"] = by_turn or cur["t_end"] - cur["t"] >= 0.9 * self.interval_s
            self.turns.append(cur)
            self._cur = None

    def summary(self) -> dict:
        """Figures over every complete turn (the last one, cut short by the window's end,
        is left out)."""
        turns = [c for c in self.turns if c.get("complete") and c["tiles"]]
        per_tile = [c["first_ms"].get(i) for c in turns for i in c["tiles"]]
        fresh = [c["fresh_ms"].get(i) for c in turns for i in c["tiles"]]
        ages = [c["age_ms"][i] for c in turns for i in c["tiles"] if i in c["age_ms"]]

        def every(c: dict, key: str) -> float | None:
            vals = [c[key].get(i) for i in c["tiles"]]
            return None if any(v is None for v in vals) else max(vals)

        all_first = [every(c, "first_ms") for c in turns]
        all_fresh = [every(c, "fresh_ms") for c in turns]
        all_moving = [every(c, "moving_ms") for c in turns]

        def stats(vals: list) -> dict:
            ok = [v for v in vals if v is not None]
            return {"n": len(vals), "missing": len(vals) - len(ok),
                    "p50": percentile(ok, 0.5), "p95": percentile(ok, 0.95),
                    "max": max(ok) if ok else float("nan")}

        return {"turns": len(turns), "tiles_per_turn": [len(c["tiles"]) for c in turns],
                "tile_first_ms": stats(per_tile), "page_first_ms": stats(all_first),
                "tile_fresh_ms": stats(fresh), "page_fresh_ms": stats(all_fresh),
                "page_moving_ms": stats(all_moving),
                "tile_moving_ms": stats([c["moving_ms"].get(i) for c in turns
                                         for i in c["tiles"]]),
                "first_age_ms": stats(ages),
                "open_after_1s": [c.get("open_after_1s") for c in turns],
                "standby_after_1s": [c.get("standby_after_1s") for c in turns],
                "raw": [{"t": c["t"], "page": c["page"], "tiles": c["tiles"],
                         "first_ms": c["first_ms"], "fresh_ms": c["fresh_ms"],
                         "moving_ms": c["moving_ms"], "age_ms": c["age_ms"]}
                        for c in turns]}


def _single_shot(ms: int, fn):
    from PySide6.QtCore import Qt, QTimer

    t = QTimer()
    t.setSingleShot(True)
    t.setTimerType(Qt.TimerType.PreciseTimer)
    t.timeout.connect(fn)
    t.start(ms)
    return t


def describe(r: WallResult) -> list[tuple[str, str]]:
    fps = r.tile_fps
    rows = [
        ("tiles", f"{r.tiles} ({', '.join(f'{k} {v}' for k, v in sorted(r.states.items()))})"),
        ("displayed fps per tile: min / median", f"{min(fps):.1f} / {statistics.median(fps):.1f}"),
        ("frames decoded / displayed", f"{r.decoded} / {r.displayed}"),
        ("process CPU", f"{r.cpu_percent:.0f} % of one core ({r.cpu_s:.1f} s in {r.seconds:.1f} s)"),
        ("CPU per displayed frame", f"{r.cpu_per_frame_ms:.2f} ms"),
        ("capture-to-paint latency p50 / p99",
         f"{r.latency.percentile(.5):.1f} / {r.latency.percentile(.99):.1f} ms"),
        ("GUI event-loop lag p50 / p99",
         f"{r.lag.percentile(.5):.1f} / {r.lag.percentile(.99):.1f} ms"),
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
