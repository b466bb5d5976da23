"""The RTSP benchmark: N real RTSP cameras on the real wall, against the bare-decode limit.

For one scenario:
1. H.264 test clips (tests/support/clips.py) at the main (and sub) resolution, cached in
   `--clip-dir` (default ~/.cache/nazar/bench-clips);
2. the GStreamer RTSP server (tests/support/rtsp.py) in its own process, two mounts per
   camera: /camN_main and /camN_sub;
3. a temporary cameras.yaml with `streams: {main: rtsp://.../camN_main, sub: .../camN_sub}`;
4. the wall, in a process of its own (bench/wall_child.py): real MainWindow offscreen, warm-up
   until every tile is live plus `warmup` s, then `seconds` s measured;
5. THE LIMIT, in another process (bench/bare.py): a bare cv2.VideoCapture read loop, one
   thread per stream, over exactly the streams the wall was showing, for the same time;
6. one table with the figures, the ratio wall / bare and the targets with PASS / MISS.

The server's CPU is measured over the same windows and reported on its own line; it is not
part of either process's figure. "other load" is the rest of the machine over the same
window (other programs, e.g. someone's test run), to tell a noisy figure from a real one.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench.metrics import cpu_count, finite

ROOT = Path(__file__).resolve().parents[1]

Size = tuple[int, int]

# Targets from the performance issue. Each: (key, label).
TARGET_FPS = 24.0
TARGET_CPU_RATIO = 1.15
TARGET_LATENCY_P50_MS = 40.0
TARGET_LAG_P99_MS = 25.0
TARGET_RSS_GROWTH_PCT = 5.0


@dataclass
class Scenario:
    name: str
    cameras: int
    layout: str  # see bench.wall_child.make_layout
    main: Size
    sub: Size | None
    fps: int
    seconds: float = 30.0
    warmup: float = 5.0
    bare_seconds: float | None = None  # THE LIMIT's window (default: `seconds`)
    targets: tuple[str, ...] = ("live", "latency")
    bare_main: bool = False  # also measure bare decode of every camera's main stream
    decompose: bool = False  # also: bare decode + the worker's scaling and BGRA, no Qt
    # Experiments only (not what the wall does): extra environment for both measured
    # processes, and another interval for the wall's display timer.
    child_env: tuple[str, ...] = ()
    display_ms: int | None = None
    profile_to: str | None = None  # cProfile of the wall's GUI thread over the window
    script: tuple = ()  # operator actions during the window: (at_s, action[, arg])
    progress_every_s: float = 0.0
    window: Size = (1920, 1080)
    note: str = ""

    @property
    def title(self) -> str:
        sub = f" + sub {_res(self.sub)}" if self.sub else ", no sub stream"
        return (f"{self.cameras} cameras x {_res(self.main)} H.264 {self.fps} fps{sub}, "
                f"layout {self.layout}, window {self.window[0]}x{self.window[1]}, "
                f"{self.seconds:g} s (after warm-up)")


def _res(size: Size | None) -> str:
    return f"{size[0]}x{size[1]}" if size else "-"


P360, P720, P1080 = (640, 360), (1280, 720), (1920, 1080)

SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("16x720p", 16, "4x4", P720, P360, 25, targets=("fps24", "cpu_ratio", "latency", "live")),
    Scenario("16x1080p", 16, "4x4", P1080, P360, 25, bare_main=True,
             note="the wall has to adapt: 16 x 1080p x 25 fps is the machine's whole decode "
                  "budget"),
    Scenario("36x360p", 36, "6x6", P360, None, 15, targets=("live", "lag", "latency")),
    Scenario("64x360p", 64, "8x8", P360, None, 15, targets=("live", "lag", "latency")),
    Scenario("1+15", 16, "1+15", P1080, P360, 25,
             note="layout 1+15: an 8x8 grid whose first cell spans 7x7 units (one large tile, "
                  "camera 1) and 15 small tiles along the right and bottom edges"),
    Scenario("soak", 16, "4x4", P360, None, 25, seconds=600.0, targets=("rss", "live"),
             progress_every_s=30.0, bare_seconds=30.0),
    Scenario("switch", 32, "4x4", P1080, P360, 25, seconds=36.0,
             targets=("no_black", "hidden_closed", "latency"),
             script=((3, "maximise", 5), (9, "restore"), (15, "page", 1), (21, "page", 0),
                     (26, "minimise"), (31, "show")),
             note="32 cameras on two pages of a 4x4 wall; during the window: maximise tile 6 "
                  "at 3 s, restore at 9 s, page 2 at 15 s, page 1 at 21 s, minimise the window "
                  "at 26 s, show it at 31 s. Per-tile fps, 'live throughout' and RSS growth "
                  "include those changes"),
    Scenario("tour", 32, "4x4", P360, None, 25, seconds=600.0, targets=("rss_half",),
             progress_every_s=30.0, bare_seconds=30.0, script=((1, "tour"),),
             note="32 cameras on two pages of a 4x4 wall and the wall's own tour (Alt+T) "
                  "turning the page every 10 s for 10 minutes: 16 streams closed and 16 "
                  "opened at every turn. 'live throughout' cannot hold here"),
    # The CI smoke test's scenario.
    Scenario("tiny", 4, "2x2", P360, None, 15, seconds=3.0, warmup=1.0,
             script=((1, "maximise", 1), (2, "restore"))),
)}
ALL = ("16x720p", "16x1080p", "36x360p", "64x360p", "1+15")


def default_clip_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "nazar" / "bench-clips"


def registry_yaml(urls: list[tuple[str, str | None]]) -> str:
    cams = []
    for i, (main, sub) in enumerate(urls, 1):
        streams = f'main: "{main}"' + (f', sub: "{sub}"' if sub else "")
        cams.append(f"""\
  - id: BENCH-{i:02d}
    number: {i}
    name: Bench camera {i}
    ownership: police
    station: park-street
    location: {{lat: 22.553, lon: 88.351}}
    streams: {{{streams}}}
""")
    return ("version: 1\ndivisions:\n  - id: central\n    name: Central\n    stations:\n"
            "      - {id: park-street, name: Park Street}\ncameras:\n" + "".join(cams))


@dataclass
class Run:
    scenario: Scenario
    machine: str
    clips: dict[str, dict] = field(default_factory=dict)
    wall: dict = field(default_factory=dict)
    bare: dict = field(default_factory=dict)
    bare_main: dict | None = None
    bare_scaled: dict | None = None
    server_start_cpu_s: float | None = None

    def to_json(self) -> dict:
        d = {"scenario": self.scenario.__dict__, "machine": self.machine, "clips": self.clips,
             "wall": self.wall,
             "bare": self.bare, "bare_main": self.bare_main, "bare_scaled": self.bare_scaled,
             "summary": summary(self),
             "targets": [list(t) for t in targets(self)]}
        return d


def _child(module: str, spec: dict, timeout: float, extra_env: tuple[str, ...] = ()) -> dict:
    with tempfile.TemporaryDirectory(prefix="nazar-bench-") as tmp:
        spec_path, out_path = Path(tmp) / "spec.json", Path(tmp) / "result.json"
        spec_path.write_text(json.dumps(spec))
        env = dict(os.environ)
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        for item in extra_env:
            k, _, v = item.partition("=")
            env[k] = v
        with open(Path(tmp) / "stderr.log", "w+") as err:
            proc = subprocess.run([sys.executable, "-m", module, str(spec_path), str(out_path)],
                                  cwd=ROOT, env=env, stderr=err, timeout=timeout, check=False)
            if proc.returncode != 0 or not out_path.is_file():
                err.seek(0)
                raise RuntimeError(f"{module} failed (exit {proc.returncode}):\n"
                                   f"{err.read()[-4000:]}")
        return json.loads(out_path.read_text())


def run_scenario(sc: Scenario, clip_dir: Path | None = None, machine: str = "",
                 log=print) -> Run:
    """Run one scenario end to end and return its figures (see `summary`, `targets`)."""
    from tests.support.clips import make_clip
    from tests.support.rtsp import RtspServer, rtsp_server_available

    ok, why = rtsp_server_available()
    if not ok:
        raise RuntimeError(f"the RTSP test server cannot run here: {why}")
    clip_dir = clip_dir or default_clip_dir()
    run = Run(sc, machine)
    clip_seconds = 20
    t = time.monotonic()
    main_clip = make_clip(clip_dir, *sc.main, fps=sc.fps, seconds=clip_seconds)
    sub_clip = make_clip(clip_dir, *sc.sub, fps=sc.fps, seconds=clip_seconds) if sc.sub else None
    for kind, clip, size in (("main", main_clip, sc.main), ("sub", sub_clip, sc.sub)):
        if clip is not None:
            run.clips[kind] = {"path": str(clip), "size": list(size),
                               "kbps": clip.stat().st_size * 8 / 1000 / clip_seconds}
    if time.monotonic() - t > 1:
        log(f"  clips ready in {time.monotonic() - t:.1f} s ({clip_dir})")
    mounts = {}
    for i in range(1, sc.cameras + 1):
        mounts[f"/cam{i}_main"] = main_clip
        if sub_clip is not None:
            mounts[f"/cam{i}_sub"] = sub_clip
    with RtspServer(mounts, ready_timeout=60.0) as server, \
            tempfile.TemporaryDirectory(prefix="nazar-bench-reg-") as tmp:
        urls = [(server.url(f"/cam{i}_main"), server.url(f"/cam{i}_sub") if sub_clip else None)
                for i in range(1, sc.cameras + 1)]
        config = Path(tmp) / "cameras.yaml"
        config.write_text(registry_yaml(urls))
        view = [f"BENCH-{i:02d}" for i in range(1, sc.cameras + 1)]
        budget = sc.seconds + sc.warmup + 180
        log(f"  wall: {sc.cameras} tiles, {sc.seconds:g} s ...")
        run.wall = _child("bench.wall_child", {
            "config": str(config), "layout": sc.layout, "view": view, "seconds": sc.seconds,
            "warmup": sc.warmup, "wait_live_s": 60.0, "size": list(sc.window),
            "server_pid": server.pid, "progress_every_s": sc.progress_every_s,
            "display_ms": sc.display_ms, "profile_to": sc.profile_to,
            "script": [list(a) for a in sc.script]}, budget, sc.child_env)
        shown = [s["url"] for s in run.wall["streams"] if s["url"]]
        bare_s = sc.bare_seconds or sc.seconds
        log(f"  bare decode: the same {len(shown)} streams, {bare_s:g} s ...")
        run.bare = _child("bench.bare", {
            "urls": shown, "seconds": bare_s, "warmup": sc.warmup, "wait_live_s": 60.0,
            "server_pid": server.pid}, budget, sc.child_env)
        if sc.decompose:
            log(f"  decomposition: bare decode + scale to tile + BGRA, {bare_s:g} s ...")
            run.bare_scaled = _child("bench.bare", {
                "urls": shown, "seconds": bare_s, "warmup": sc.warmup, "wait_live_s": 60.0,
                "server_pid": server.pid,
                "scale_to": [s["tile_size"] for s in run.wall["streams"] if s["url"]]}, budget,
                sc.child_env)
        if sc.bare_main:
            mains = [m for m, _ in urls]
            log(f"  bare decode: all {len(mains)} main streams, {bare_s:g} s ...")
            run.bare_main = _child("bench.bare", {
                "urls": mains, "seconds": bare_s, "warmup": sc.warmup,
                "wait_live_s": 60.0, "server_pid": server.pid}, budget, sc.child_env)
    return run


def _pct(cpu_s: float | None, seconds: float) -> float:
    return float("nan") if cpu_s is None else 100.0 * cpu_s / seconds


def summary(run: Run) -> dict:
    """The headline figures of one run (also what the CI smoke test checks)."""
    w, b = run.wall, run.bare
    fps = w["tile_fps"]
    wall_cpu = _pct(w["cpu_s"], w["seconds"])
    bare_cpu = _pct(b["cpu_s"], b["seconds"])
    shown_fps = w["displayed"] / w["seconds"]
    bare_fps = b["decoded"] / b["seconds"]
    rss_series = [s["rss_mb"] for s in w["samples"]]
    growth = (100.0 * (rss_series[-1] - rss_series[0]) / rss_series[0]) if rss_series else None
    half = rss_series[len(rss_series) // 2] if len(rss_series) >= 3 else None
    half_growth = 100.0 * (rss_series[-1] - half) / half if half else None
    return {
        "tiles": w["tiles"], "fps_min": min(fps), "fps_median": statistics.median(fps),
        "worst_second_fps": w["worst_second_fps"], "live_throughout": w["live_throughout"],
        "decoded": w["decoded"], "displayed": w["displayed"],
        "wall_cpu_pct": wall_cpu, "gui_cpu_pct": _pct(w["main_thread_cpu_s"], w["seconds"]),
        "cpu_per_frame_ms": 1000.0 * w["cpu_s"] / max(1, w["displayed"]),
        "latency_p50_ms": w["latency"]["p50"], "latency_p99_ms": w["latency"]["p99"],
        "lag_p50_ms": w["lag"]["p50"], "lag_p99_ms": w["lag"]["p99"],
        "rss_start_mb": w["rss_start_mb"], "rss_warm_mb": w["rss_warm_mb"],
        "rss_end_mb": w["rss_end_mb"], "rss_growth_pct": growth,
        "rss_second_half_growth_pct": half_growth, "threads": w["threads"],
        "bare_fps_total": bare_fps, "bare_fps_min": min(b["fps"]) if b["fps"] else 0.0,
        "bare_fps_median": statistics.median(b["fps"]) if b["fps"] else 0.0,
        "bare_cpu_pct": bare_cpu,
        "cpu_ratio": wall_cpu / bare_cpu if bare_cpu > 0 else float("nan"),
        "fps_ratio": shown_fps / bare_fps if bare_fps > 0 else float("nan"),
        "wall_fps_total": shown_fps,
        "server_cpu_wall_pct": _pct(w["server_cpu_s"], w["seconds"]),
        "server_cpu_bare_pct": _pct(b["server_cpu_s"], b["seconds"]),
        "other_load_wall_pct": _other(w["machine_busy_s"], w["cpu_s"], w["server_cpu_s"],
                                      w["seconds"]),
        "other_load_bare_pct": _other(b["machine_busy_s"], b["cpu_s"], b["server_cpu_s"],
                                      b["seconds"]),
    }


def _other(busy, own, server, seconds) -> float:
    if busy is None or own is None:
        return float("nan")
    return max(0.0, 100.0 * (busy - own - (server or 0.0)) / seconds)


def targets(run: Run) -> list[tuple[str, str, str, str]]:
    """(target, figure, PASS/MISS, note) for each target of the scenario."""
    s = summary(run)
    out = []

    def add(label, figure, ok, note=""):
        out.append((label, figure, "PASS" if ok else "MISS", note))

    for key in run.scenario.targets:
        if key == "fps24":
            add(f"every tile >= {TARGET_FPS:g} fps", f"min {s['fps_min']:.1f} fps",
                s["fps_min"] >= TARGET_FPS)
        elif key == "cpu_ratio":
            add(f"wall CPU <= {TARGET_CPU_RATIO:g} x bare decode", f"{s['cpu_ratio']:.2f} x",
                finite(s["cpu_ratio"]) and s["cpu_ratio"] <= TARGET_CPU_RATIO)
        elif key == "latency":
            add(f"capture-to-paint p50 <= {TARGET_LATENCY_P50_MS:g} ms",
                f"{s['latency_p50_ms']:.1f} ms",
                finite(s["latency_p50_ms"]) and s["latency_p50_ms"] <= TARGET_LATENCY_P50_MS)
        elif key == "lag":
            add(f"event-loop lag p99 < {TARGET_LAG_P99_MS:g} ms", f"{s['lag_p99_ms']:.1f} ms",
                finite(s["lag_p99_ms"]) and s["lag_p99_ms"] < TARGET_LAG_P99_MS)
        elif key == "live":
            add("every tile live (a new frame every second)",
                f"{s['live_throughout']} / {s['tiles']}", s["live_throughout"] == s["tiles"])
        elif key == "no_black":
            evs = [e for e in run.wall.get("events", []) if e["action"] in ("maximise", "restore")]
            black = sum(e["black_probes"] for e in evs)
            add("no black or frozen gap when a tile grows or shrinks",
                f"{black} black probes, longest gap "
                f"{max((e['max_gap_ms'] for e in evs), default=float('nan')):.0f} ms",
                bool(evs) and black == 0 and all(e["max_gap_ms"] < 1000 for e in evs),
                "10 ms probes; gap: longest time without a new frame")
        elif key == "hidden_closed":
            evs = run.wall.get("events", [])
            want = {"maximise": 1, "restore": 16, "page": 16, "minimise": 0, "show": 16}
            bad = [e for e in evs if e.get("streams_open") is not None
                   and e["streams_open"] > want.get(e["action"], 10**6)]
            add("hidden tiles, pages and minimised window: not decoded",
                ", ".join(f"{e['action']}: {e.get('streams_open')}" for e in evs) + " open",
                bool(evs) and not bad, "streams open 3 s after each action")
        elif key in ("rss", "rss_half"):
            whole = key == "rss"
            g = s["rss_growth_pct" if whole else "rss_second_half_growth_pct"]
            add(f"RSS growth < {TARGET_RSS_GROWTH_PCT:g} % over the "
                + ("run" if whole else "second half"),
                f"{g:+.1f} %" if g is not None else "-",
                g is not None and g < TARGET_RSS_GROWTH_PCT,
                "from the end of the warm-up to the end" if whole else
                "after the first half of streams opened and closed: no steady growth")
    return out


def _streams_text(run: Run) -> str:
    counts: dict[tuple[str, str], int] = {}
    for st in run.wall["streams"]:
        size = "x".join(map(str, st["decoded_size"])) if st["decoded_size"] else "no frame"
        counts[(st["stream"], size)] = counts.get((st["stream"], size), 0) + 1
    return ", ".join(f"{n} {kind} ({size})" for (kind, size), n in sorted(counts.items()))


def _sizes_text(run: Run) -> str:
    sizes = [tuple(x) for x in run.wall["tile_sizes"]]
    uniq = sorted(set(sizes), key=lambda s: -s[0] * s[1])
    return ", ".join(f"{sizes.count(s)} x {s[0]}x{s[1]}" for s in uniq) + " px"


def rows(run: Run) -> list[tuple[str, str]]:
    s, w, b = summary(run), run.wall, run.bare
    ncpu = cpu_count()
    clips = ", ".join(f"{k} {_res(tuple(c['size']))} {c['kbps'] / 1000:.1f} Mbit/s"
                      for k, c in run.clips.items())
    out = [
        ("clips (H.264 Main, GOP 2 s, looped)", clips),
        ("tiles (device px)", _sizes_text(run)),
        ("streams shown (decoded size)", _streams_text(run)
         + (f"; {w['stream_changes']} changed during the window" if w["stream_changes"] else "")),
        ("tiles live throughout / states at end",
         f"{s['live_throughout']} / {s['tiles']}; "
         + ", ".join(f"{k} {v}" for k, v in sorted(w["states"].items()))),
        ("displayed fps per tile: min / median", f"{s['fps_min']:.1f} / {s['fps_median']:.1f}"),
        ("  fewest frames of any tile in one 1 s sample", f"{s['worst_second_fps']:.0f}"),
        ("frames decoded / displayed", f"{s['decoded']} / {s['displayed']}"),
        ("process CPU (whole wall process)",
         f"{s['wall_cpu_pct']:.0f} % of one core ({w['cpu_s']:.1f} s in {w['seconds']:.1f} s; "
         f"{ncpu} cores = {100 * ncpu} %)"),
        ("  of which the GUI thread", f"{s['gui_cpu_pct']:.0f} %"),
        ("CPU per displayed frame", f"{s['cpu_per_frame_ms']:.2f} ms"),
        ("capture-to-paint latency p50 / p99",
         f"{s['latency_p50_ms']:.1f} / {s['latency_p99_ms']:.1f} ms"),
        ("GUI event-loop lag p50 / p99", f"{s['lag_p50_ms']:.1f} / {s['lag_p99_ms']:.1f} ms"),
        ("RSS start / after warm-up / end",
         f"{s['rss_start_mb']:.0f} / {s['rss_warm_mb']:.0f} / {s['rss_end_mb']:.0f} MB"),
        ("RSS growth over the window", f"{s['rss_growth_pct']:+.1f} %"
         if s["rss_growth_pct"] is not None else "-"),
        ("threads (OS)", str(s["threads"])),
        ("THE LIMIT: bare decode of the same streams", f"{b['streams']} streams, no GUI, "
         f"one cv2.VideoCapture.read() thread each, {b['seconds']:.1f} s"),
        ("  decoded fps per stream: min / median / total",
         f"{s['bare_fps_min']:.1f} / {s['bare_fps_median']:.1f} / {s['bare_fps_total']:.0f}"),
        ("  process CPU", f"{s['bare_cpu_pct']:.0f} % of one core ({b['cpu_s']:.1f} s)"),
        ("wall / bare: CPU", f"{s['cpu_ratio']:.2f} x"),
        ("wall / bare: fps (displayed / bare decoded)",
         f"{s['fps_ratio']:.3f} ({s['wall_fps_total']:.0f} / {s['bare_fps_total']:.0f} fps)"),
    ]
    for e in w.get("events", []):
        arg = f" {e['arg']}" if e.get("arg") is not None else ""
        sw = e.get("switched_after_s")
        if e["action"] == "minimise":
            out.append((f"at {e['at_s']:.0f} s: minimise",
                        f"then {e.get('streams_open')} streams open, "
                        f"{e.get('decoded_fps', float('nan')):.0f} decoded fps"))
            continue
        out.append((f"at {e['at_s']:.0f} s: {e['action']}{arg}",
                    ((f"new stream's picture after {sw:.2f} s"
                      if e["action"] not in ("page", "show")
                      else f"all new pictures after {sw:.2f} s") if sw is not None
                     else "new picture: not within 4 s")
                    + f"; longest gap {e['max_gap_ms']:.0f} ms; black probes "
                      f"{e['black_probes']} ({e['black_probes'] * 10} ms), not live "
                      f"{e['not_live_probes'] * 10} ms; then "
                      f"{e.get('streams_open')} streams open "
                      f"({_kinds(e.get('streams_open_kinds', []))}), "
                      f"{e.get('decoded_fps', float('nan')):.0f} decoded fps"))
    every = run.scenario.progress_every_s
    if every:
        series = [x["rss_mb"] for x in w["samples"]
                  if x["t"] + 0.5 >= every * round(x["t"] / every)
                  and abs(x["t"] - every * round(x["t"] / every)) < 0.6]
        out.insert(out.index(("threads (OS)", str(s["threads"]))),
                   (f"RSS every {every:g} s from the window's start",
                    " ".join(f"{v:.0f}" for v in series) + " MB"))
    if run.bare_scaled:
        c = run.bare_scaled
        out += [("decomposition: bare + scale + BGRA (no Qt)",
                 f"CPU {_pct(c['cpu_s'], c['seconds']):.0f} % of one core, "
                 f"{c['decoded'] / c['seconds']:.0f} fps")]
    out += [("CPU user / sys, page faults per frame: wall",
             _detail(w.get("cpu_detail", {}), w["decoded"])),
            ("  bare", _detail(b.get("cpu_detail", {}), b["decoded"]))]
    if run.bare_scaled:
        out += [("  bare + scale + BGRA", _detail(run.bare_scaled.get("cpu_detail", {}),
                                                   run.bare_scaled["decoded"]))]
    if run.bare_main:
        m = run.bare_main
        mfps = m["fps"]
        out += [("bare decode of every MAIN stream instead",
                 f"{m['streams']} x {_res(run.scenario.main)}: fps per stream min / median "
                 f"{min(mfps):.1f} / {statistics.median(mfps):.1f}, total "
                 f"{m['decoded'] / m['seconds']:.0f} fps (source: "
                 f"{m['streams'] * run.scenario.fps}), CPU {_pct(m['cpu_s'], m['seconds']):.0f} %")]
    out += [
        ("RTSP server (own process, not counted above)",
         f"{s['server_cpu_wall_pct']:.0f} % during the wall, {s['server_cpu_bare_pct']:.0f} % "
         "during bare decode"),
        ("other load on the machine (not ours)",
         f"{s['other_load_wall_pct']:.0f} % during the wall, {s['other_load_bare_pct']:.0f} % "
         "during bare decode"),
        ("capture options (wall = bare)", str(w.get("env", {}).get(
            "OPENCV_FFMPEG_CAPTURE_OPTIONS"))
         + ("" if w.get("env") == b.get("env") else "  (DIFFERENT in bare run!)")),
    ]
    return out


def _kinds(kinds: list[str]) -> str:
    return ", ".join(f"{kinds.count(k)} {k}" for k in sorted(set(kinds))) or "-"


def _detail(cpu: dict, frames: int) -> str:
    if not cpu or cpu.get("user_s") is None:
        return "-"
    return (f"{cpu['user_s']:.1f} / {cpu['sys_s']:.1f} s, "
            f"{cpu['page_faults'] / max(1, frames):.0f} faults, "
            f"{cpu['context_switches'] / max(1, frames):.1f} switches")


def print_run(run: Run, out=print) -> None:
    sc = run.scenario
    title = f"{sc.name}: {sc.title}"
    if sc.child_env or sc.display_ms:
        title += "  [EXPERIMENT:" + "".join(f" {e}" for e in sc.child_env) + (
            f" display timer {sc.display_ms} ms" if sc.display_ms else "") + "]"
    rs = rows(run)
    ts = targets(run)
    width = max(len(k) for k, _ in rs + [(t[0] + "  ", "") for t in ts]) + 2
    out(f"\n{title}\n" + "-" * len(title))
    if sc.note:
        out(f"({sc.note})")
    for k, v in rs:
        out(f"{k:<{width}}{v}")
    if ts:
        out("TARGETS")
        fw = max(14, max(len(t[1]) for t in ts) + 2)
        for label, fig, verdict, note in ts:
            out(f"  {label:<{width - 2}}{fig:<{fw}}{verdict}" + (f"  ({note})" if note else ""))
    s = summary(run)
    noisy = [x for x in (s["other_load_wall_pct"], s["other_load_bare_pct"])
             if finite(x) and x > 15]
    if noisy:
        out(f"NOTE: other programs used up to {max(noisy):.0f} % of a core during this run; "
            "its CPU figures may be off, re-run when the machine is quiet.")


def scenario_from_args(name: str, args) -> Scenario:
    if name == "rtsp":
        sc = Scenario("rtsp", args.cameras, args.layout or "4x4", _size(args.res),
                      None, args.fps, targets=("live", "latency"))
    else:
        sc = SCENARIOS[name]
    changes = {}
    if getattr(args, "env", None):
        changes["child_env"] = tuple(args.env)
    if getattr(args, "display_ms", None):
        changes["display_ms"] = args.display_ms
    if getattr(args, "profile", None):
        changes["profile_to"] = str(Path(args.profile).resolve())
    if getattr(args, "decompose", False):
        changes["decompose"] = True
    if getattr(args, "seconds", None):
        changes["seconds"] = args.seconds
    if getattr(args, "warmup", None) is not None:
        changes["warmup"] = args.warmup
    if getattr(args, "sub", None):
        changes["sub"] = None if args.sub == "none" else _size(args.sub)
    if getattr(args, "layout", None) and name != "rtsp":
        changes["layout"] = args.layout
    if getattr(args, "window", None):
        changes["window"] = _size(args.window)
    if getattr(args, "cameras", None) and name != "rtsp":
        changes["cameras"] = args.cameras
    return replace(sc, **changes) if changes else sc


def _size(text: str) -> Size:
    named = {"360p": P360, "720p": P720, "1080p": P1080}
    if text in named:
        return named[text]
    w, _, h = text.partition("x")
    return int(w), int(h)
