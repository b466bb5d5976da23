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
6. THE FLOOR, in another process (bench/bare.py, mode "floor"): PyAV decode only
   (`app.decoders.PyAVCapture.read()`, no conversion), the same streams, the same time;
7. optionally (`--compare-opencv`) the wall again with NAZAR_DECODER=opencv, and `--rounds N`
   of all of them, interleaved (every other round in reverse order);
8. one table with the figures, the ratios wall / bare and wall / floor with their limits
   beside them, and the targets with PASS / MISS.

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
TARGET_LATENCY_P50_MS = 40.0
TARGET_LATENCY_P99_MS = 100.0
TARGET_LAG_P99_MS = 25.0
TARGET_RSS_GROWTH_PCT = 5.0
TARGET_PAGETURN_MS = 100.0  # a tour's page turn: every tile of the new page has a picture

# The wall's CPU against the decoders (issue [decode]); per scenario, see Scenario.
WALL_KINDS = ("wall", "wall_opencv", "bare", "floor")  # what one round measures


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
    cpu_vs_bare: float | None = None  # target: wall CPU <= this x the bare cv2 decode
    cpu_vs_floor: float | None = None  # target: wall CPU <= this x the PyAV decode-only floor
    floor: bool = True  # also measure THE FLOOR (PyAV decode only) on the same streams
    compare_opencv: bool = False  # also the wall with NAZAR_DECODER=opencv, same run
    rounds: int = 1  # wall, [opencv wall], bare, floor; interleaved, every other reversed
    standby_cost: bool = False  # also: the CPU of the shown streams in keyframe standby
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
    Scenario("16x720p", 16, "4x4", P720, P360, 25,
             targets=("fps24", "cpu_ratio", "floor_ratio", "latency", "live"),
             cpu_vs_bare=1.0, cpu_vs_floor=1.3),
    Scenario("2x2main", 4, "2x2", P720, P360, 25, window=(1600, 900),
             targets=("fps24", "cpu_ratio", "main", "latency", "live"), cpu_vs_bare=1.1,
             note="4 cameras with a 640x360 sub stream, but 2x2 tiles of a 1600x900 window "
                  "are taller than app.layouts.SUB_STREAM_BELOW_PX: the wall shows the "
                  "1280x720 main streams, scaled to ~800 px wide tiles"),
    Scenario("16x1080p", 16, "4x4", P1080, P360, 25, bare_main=True,
             note="the wall has to adapt: 16 x 1080p x 25 fps is the machine's whole decode "
                  "budget"),
    Scenario("36x360p", 36, "6x6", P360, None, 15, targets=("live", "lag", "latency")),
    Scenario("64x360p", 64, "8x8", P360, None, 15, targets=("live", "lag", "latency")),
    Scenario("pageturn", 32, "4x4", P720, P360, 25, seconds=60.0, bare_seconds=20.0,
             targets=("pageturn", "latency"), script=((1, "tour", 5),), standby_cost=True,
             note="32 cameras on two pages of a 4x4 wall, the wall's own tour turning the "
                  "page every 5 s: per turn, the time until every tile of the new page "
                  "paints a picture; then the CPU of the shown streams in keyframe-only "
                  "standby against none open (bench/standby.py, no GUI)"),
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
ALL = ("16x720p", "2x2main", "16x1080p", "36x360p", "64x360p", "1+15", "pageturn")


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
    # One dict per round: "wall" (the wall as configured, PyAV by default), "wall_opencv"
    # (NAZAR_DECODER=opencv, with --compare-opencv), "bare" (THE LIMIT), "floor" (THE FLOOR).
    rounds: list[dict] = field(default_factory=list)
    bare_main: dict | None = None
    bare_scaled: dict | None = None  # decomposition: cv2 read + resize + BGRA, no Qt
    floor_scaled: dict | None = None  # decomposition: PyAV + yuv_to_bgra at tile size, no Qt
    standby: dict | None = None  # mode -> bench.standby result
    server_start_cpu_s: float | None = None

    @property
    def wall(self) -> dict:
        return self.rounds[0]["wall"]

    @property
    def bare(self) -> dict:
        return self.rounds[0]["bare"]

    @property
    def floor(self) -> dict | None:
        return self.rounds[0].get("floor")

    @property
    def wall_opencv(self) -> dict | None:
        return self.rounds[0].get("wall_opencv")

    def to_json(self) -> dict:
        d = {"scenario": self.scenario.__dict__, "machine": self.machine, "clips": self.clips,
             "wall": self.wall, "bare": self.bare, "floor": self.floor,
             "wall_opencv": self.wall_opencv, "rounds": self.rounds,
             "bare_main": self.bare_main, "bare_scaled": self.bare_scaled,
             "floor_scaled": self.floor_scaled, "standby": self.standby,
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


def round_order(sc: Scenario, index: int) -> list[str]:
    """What round `index` measures, in order: the wall first in round 0 (the others decode
    the streams it showed), every other round reversed so that a drift in the machine's
    load does not always favour the same one."""
    order = ["wall"] + (["wall_opencv"] if sc.compare_opencv else []) + ["bare"] \
        + (["floor"] if sc.floor else [])
    return order[::-1] if index % 2 else order


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
        bare_s = sc.bare_seconds or sc.seconds
        wall_spec = {
            "config": str(config), "layout": sc.layout, "view": view, "seconds": sc.seconds,
            "warmup": sc.warmup, "wait_live_s": 60.0, "size": list(sc.window),
            "server_pid": server.pid, "progress_every_s": sc.progress_every_s,
            "display_ms": sc.display_ms, "profile_to": sc.profile_to,
            "script": [list(a) for a in sc.script]}
        shown: list[str] = []
        for r in range(max(1, sc.rounds)):
            res: dict = {}
            tag = f" (round {r + 1}/{sc.rounds})" if sc.rounds > 1 else ""
            for kind in round_order(sc, r):
                if kind in ("wall", "wall_opencv"):
                    env = sc.child_env + (("NAZAR_DECODER=opencv",)
                                          if kind == "wall_opencv" else ())
                    label = "wall, NAZAR_DECODER=opencv" if kind == "wall_opencv" else "wall"
                    log(f"  {label}: {sc.cameras} tiles, {sc.seconds:g} s{tag} ...")
                    spec = dict(wall_spec)
                    if r or kind == "wall_opencv":  # the profile is of the first wall only
                        spec["profile_to"] = None
                    res[kind] = _child("bench.wall_child", spec, budget, env)
                    if kind == "wall" and not shown:
                        shown = [s["url"] for s in res[kind]["streams"] if s["url"]]
                else:
                    what = ("bare cv2 decode (THE LIMIT)" if kind == "bare"
                            else "PyAV decode only (THE FLOOR)")
                    log(f"  {what}: the same {len(shown)} streams, {bare_s:g} s{tag} ...")
                    res[kind] = _child("bench.bare", {
                        "urls": shown, "seconds": bare_s, "warmup": sc.warmup,
                        "wait_live_s": 60.0, "server_pid": server.pid,
                        "mode": "cv2" if kind == "bare" else "floor"}, budget, sc.child_env)
            run.rounds.append(res)
        tile_sizes = [s["tile_size"] for s in run.wall["streams"] if s["url"]]
        if sc.decompose:
            for mode in ("cv2", "floor"):
                what = ("cv2 read + resize + BGRA" if mode == "cv2"
                        else "PyAV decode + yuv_to_bgra")
                log(f"  decomposition: {what} at tile size, no Qt, {bare_s:g} s ...")
                result = _child("bench.bare", {
                    "urls": shown, "seconds": bare_s, "warmup": sc.warmup, "wait_live_s": 60.0,
                    "server_pid": server.pid, "mode": mode, "scale_to": tile_sizes}, budget,
                    sc.child_env)
                if mode == "cv2":
                    run.bare_scaled = result
                else:
                    run.floor_scaled = result
        if sc.bare_main:
            mains = [m for m, _ in urls]
            log(f"  bare decode: all {len(mains)} main streams, {bare_s:g} s ...")
            run.bare_main = _child("bench.bare", {
                "urls": mains, "seconds": bare_s, "warmup": sc.warmup,
                "wait_live_s": 60.0, "server_pid": server.pid}, budget, sc.child_env)
        if sc.standby_cost:
            run.standby = {}
            for mode in ("none", "standby", "shown"):
                log(f"  standby cost: the same {len(shown)} streams, {mode}, {bare_s:g} s ...")
                run.standby[mode] = _child("bench.standby", {
                    "urls": [] if mode == "none" else shown, "mode": mode, "seconds": bare_s,
                    "warmup": sc.warmup, "wait_live_s": 60.0, "server_pid": server.pid,
                    "tile_size": tile_sizes[0] if tile_sizes else None}, budget, sc.child_env)
    return run


def _pct(cpu_s: float | None, seconds: float) -> float:
    return float("nan") if cpu_s is None else 100.0 * cpu_s / seconds


def _mean_cpu(run: Run, kind: str) -> float:
    """CPU % of one core of `kind` over every round (total CPU / total time)."""
    rs = [r[kind] for r in run.rounds if r.get(kind)]
    if not rs or any(x["cpu_s"] is None for x in rs):
        return float("nan")
    return 100.0 * sum(x["cpu_s"] for x in rs) / sum(x["seconds"] for x in rs)


def _ratio(a: float, b: float) -> float:
    return a / b if finite(a) and finite(b) and b > 0 else float("nan")


def round_ratios(run: Run, num: str, den: str) -> list[float]:
    """Per round: CPU of `num` / CPU of `den` (paired, measured minutes apart)."""
    return [_ratio(_pct(r[num]["cpu_s"], r[num]["seconds"]),
                   _pct(r[den]["cpu_s"], r[den]["seconds"]))
            for r in run.rounds if r.get(num) and r.get(den)]


def summary(run: Run) -> dict:
    """The headline figures of one run (also what the CI smoke test checks). CPU figures are
    over every round; the others are the first round's wall."""
    w, b = run.wall, run.bare
    fps = w["tile_fps"]
    wall_cpu = _mean_cpu(run, "wall")
    bare_cpu = _mean_cpu(run, "bare")
    floor_cpu = _mean_cpu(run, "floor")
    ocv_cpu = _mean_cpu(run, "wall_opencv")
    shown_fps = w["displayed"] / w["seconds"]
    bare_fps = b["decoded"] / b["seconds"]
    rss_series = [s["rss_mb"] for s in w["samples"]]
    growth = (100.0 * (rss_series[-1] - rss_series[0]) / rss_series[0]) if rss_series else None
    half = rss_series[len(rss_series) // 2] if len(rss_series) >= 3 else None
    half_growth = 100.0 * (rss_series[-1] - half) / half if half else None
    walls = [r["wall"] for r in run.rounds]
    out = {
        "tiles": w["tiles"], "fps_min": min(fps), "fps_median": statistics.median(fps),
        "worst_second_fps": w["worst_second_fps"], "live_throughout": w["live_throughout"],
        "decoded": w["decoded"], "displayed": w["displayed"], "decoder": w.get("decoder"),
        "wall_cpu_pct": wall_cpu, "gui_cpu_pct": _pct(w["main_thread_cpu_s"], w["seconds"]),
        "cpu_per_frame_ms": 1000.0 * sum(x["cpu_s"] for x in walls)
        / max(1, sum(x["displayed"] for x in walls)),
        "latency_p50_ms": w["latency"]["p50"], "latency_p99_ms": w["latency"]["p99"],
        "lag_p50_ms": w["lag"]["p50"], "lag_p99_ms": w["lag"]["p99"],
        "rss_start_mb": w["rss_start_mb"], "rss_warm_mb": w["rss_warm_mb"],
        "rss_end_mb": w["rss_end_mb"], "rss_growth_pct": growth,
        "rss_second_half_growth_pct": half_growth, "threads": w["threads"],
        "bare_fps_total": bare_fps, "bare_fps_min": min(b["fps"]) if b["fps"] else 0.0,
        "bare_fps_median": statistics.median(b["fps"]) if b["fps"] else 0.0,
        "bare_cpu_pct": bare_cpu,
        "cpu_ratio": _ratio(wall_cpu, bare_cpu),
        "cpu_ratio_rounds": round_ratios(run, "wall", "bare"),
        "fps_ratio": shown_fps / bare_fps if bare_fps > 0 else float("nan"),
        "wall_fps_total": shown_fps,
        "floor_cpu_pct": floor_cpu,
        "floor_ratio": _ratio(wall_cpu, floor_cpu),
        "floor_ratio_rounds": round_ratios(run, "wall", "floor"),
        "floor_vs_bare": _ratio(floor_cpu, bare_cpu),
        "floor_fps_total": (run.floor["decoded"] / run.floor["seconds"]) if run.floor else None,
        "opencv_wall_cpu_pct": ocv_cpu,
        "opencv_cpu_ratio": _ratio(ocv_cpu, bare_cpu),
        "opencv_floor_ratio": _ratio(ocv_cpu, floor_cpu),
        "wall_vs_opencv_wall": _ratio(wall_cpu, ocv_cpu),
        "rounds": len(run.rounds),
        "server_cpu_wall_pct": _pct(w["server_cpu_s"], w["seconds"]),
        "server_cpu_bare_pct": _pct(b["server_cpu_s"], b["seconds"]),
        "other_load_wall_pct": _other(w["machine_busy_s"], w["cpu_s"], w["server_cpu_s"],
                                      w["seconds"]),
        "other_load_bare_pct": _other(b["machine_busy_s"], b["cpu_s"], b["server_cpu_s"],
                                      b["seconds"]),
    }
    others = [_other(x["machine_busy_s"], x["cpu_s"], x["server_cpu_s"], x["seconds"])
              for r in run.rounds for x in r.values() if x]
    out["other_load_max_pct"] = max((x for x in others if finite(x)), default=float("nan"))
    ow = run.wall_opencv
    if ow:
        ofps = ow["tile_fps"]
        out.update({"opencv_fps_min": min(ofps), "opencv_latency_p50_ms": ow["latency"]["p50"],
                    "opencv_latency_p99_ms": ow["latency"]["p99"],
                    "opencv_lag_p99_ms": ow["lag"]["p99"], "opencv_decoder": ow.get("decoder"),
                    "opencv_cpu_ratio_rounds": round_ratios(run, "wall_opencv", "bare")})
    pt = w.get("page_turns") or {}
    if pt:
        out.update({"pageturn_turns": pt["turns"], "pageturn_page_ms": pt["page_first_ms"],
                    "pageturn_tile_ms": pt["tile_first_ms"],
                    "pageturn_fresh_page_ms": pt["page_fresh_ms"],
                    "pageturn_moving_page_ms": pt.get("page_moving_ms"),
                    "pageturn_first_age_ms": pt["first_age_ms"]})
    if run.standby:
        none, sb, sh = (run.standby.get(k) for k in ("none", "standby", "shown"))
        n = max(1, sb["streams"]) if sb else 1
        base = _pct(none["cpu_s"], none["seconds"]) if none else 0.0
        out.update({
            "standby_streams": sb["streams"] if sb else 0,
            "standby_available": bool(sb and sb["has_set_standby"]),
            "standby_cpu_pct": _pct(sb["cpu_s"], sb["seconds"]) if sb else float("nan"),
            "standby_none_cpu_pct": base,
            "standby_shown_cpu_pct": _pct(sh["cpu_s"], sh["seconds"]) if sh else float("nan"),
            "standby_per_camera_pct": (_pct(sb["cpu_s"], sb["seconds"]) - base) / n
            if sb else float("nan"),
            "shown_per_camera_pct": (_pct(sh["cpu_s"], sh["seconds"]) - base) / n
            if sh else float("nan"),
            "standby_decoded_fps_per_stream": (statistics.median(
                sb["decoded_fps_per_stream"]) if sb and sb["decoded_fps_per_stream"] else 0.0),
        })
    return out


def _other(busy, own, server, seconds) -> float:
    if busy is None or own is None:
        return float("nan")
    return max(0.0, 100.0 * (busy - own - (server or 0.0)) / seconds)


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _vs(ratio: float, limit: float | None) -> str:
    """A ratio with its limit beside it."""
    if not finite(ratio):
        return "-"
    if limit is None:
        return f"{ratio:.2f} x  (no target in this scenario)"
    return f"{ratio:.2f} x  (limit <= {limit:g} x: {_verdict(ratio <= limit)})"


def _ms3(st: dict | None) -> str:
    if not st or not st.get("n"):
        return "-"
    miss = f", {st['missing']} of {st['n']} never" if st.get("missing") else ""
    return f"{st['p50']:.0f} / {st['p95']:.0f} / {st['max']:.0f} ms{miss}"


def targets(run: Run) -> list[tuple[str, str, str, str]]:
    """(target, figure, PASS/MISS, note) for each target of the scenario."""
    s = summary(run)
    sc = run.scenario
    out = []

    def add(label, figure, ok, note=""):
        out.append((label, figure, _verdict(ok), note))

    for key in sc.targets:
        if key == "fps24":
            add(f"every tile >= {TARGET_FPS:g} fps", f"min {s['fps_min']:.1f} fps",
                s["fps_min"] >= TARGET_FPS)
        elif key == "cpu_ratio" and sc.cpu_vs_bare is not None:
            add(f"wall CPU <= {sc.cpu_vs_bare:g} x bare cv2 decode", f"{s['cpu_ratio']:.2f} x",
                finite(s["cpu_ratio"]) and s["cpu_ratio"] <= sc.cpu_vs_bare,
                f"{s['wall_cpu_pct']:.0f} % / {s['bare_cpu_pct']:.0f} %"
                + (f", over {s['rounds']} rounds" if s["rounds"] > 1 else ""))
        elif key == "floor_ratio" and sc.cpu_vs_floor is not None:
            add(f"wall CPU <= {sc.cpu_vs_floor:g} x PyAV decode-only floor",
                f"{s['floor_ratio']:.2f} x",
                finite(s["floor_ratio"]) and s["floor_ratio"] <= sc.cpu_vs_floor,
                f"{s['wall_cpu_pct']:.0f} % / {s['floor_cpu_pct']:.0f} %")
        elif key == "main":
            mains = sum(1 for st in run.wall["streams"] if st["stream"] == "main")
            add("every tile on its main stream (the scenario's premise)",
                f"{mains} / {s['tiles']}", mains == s["tiles"])
        elif key == "latency":
            add(f"capture-to-paint p50 <= {TARGET_LATENCY_P50_MS:g} ms",
                f"{s['latency_p50_ms']:.1f} ms",
                finite(s["latency_p50_ms"]) and s["latency_p50_ms"] <= TARGET_LATENCY_P50_MS)
            add(f"capture-to-paint p99 <= {TARGET_LATENCY_P99_MS:g} ms",
                f"{s['latency_p99_ms']:.1f} ms",
                finite(s["latency_p99_ms"]) and s["latency_p99_ms"] <= TARGET_LATENCY_P99_MS,
                "with the standby keyframes painted at each page turn"
                if s.get("pageturn_turns") else "")
        elif key == "lag":
            add(f"event-loop lag p99 < {TARGET_LAG_P99_MS:g} ms", f"{s['lag_p99_ms']:.1f} ms",
                finite(s["lag_p99_ms"]) and s["lag_p99_ms"] < TARGET_LAG_P99_MS)
        elif key == "live":
            add("every tile live (a new frame every second)",
                f"{s['live_throughout']} / {s['tiles']}", s["live_throughout"] == s["tiles"])
        elif key == "pageturn":
            st = s.get("pageturn_page_ms")
            ok = bool(st and st["n"] and not st["missing"] and st["max"] <= TARGET_PAGETURN_MS)
            add(f"page turn: every new tile painted within {TARGET_PAGETURN_MS:g} ms",
                ("max " + f"{st['max']:.0f} ms" if st and st["n"] else "no turn measured"),
                ok, f"p50 / p95 / max {_ms3(st)} over {s.get('pageturn_turns', 0)} turns")
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
        ("  stream time per second: min / median (1.00: not behind)",
         f"{min(w['stream_rate']):.2f} / {statistics.median(w['stream_rate']):.2f}"
         if w.get("stream_rate") else "- (OpenCV: no timestamps)"),
        ("decoder (NAZAR_DECODER)", str(w.get("decoder") or "?")),
        ("process CPU (whole wall process)",
         f"{s['wall_cpu_pct']:.0f} % of one core ({w['cpu_s']:.1f} s in {w['seconds']:.1f} s; "
         f"{ncpu} cores = {100 * ncpu} %)"
         + (f"; over {len(run.rounds)} rounds" if len(run.rounds) > 1 else "")),
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
    ]
    fl = run.floor
    if fl:
        ffps = fl["fps"]
        out += [
            ("THE FLOOR: PyAV decode only, same streams", f"{fl['streams']} streams, no GUI, "
             f"one PyAVCapture.read() thread each, no conversion, {fl['seconds']:.1f} s"),
            ("  decoded fps per stream: min / median / total",
             f"{min(ffps):.1f} / {statistics.median(ffps):.1f} / {s['floor_fps_total']:.0f}"
             if ffps else "-"),
            ("  process CPU", f"{s['floor_cpu_pct']:.0f} % of one core ({fl['cpu_s']:.1f} s); "
             f"floor / bare {s['floor_vs_bare']:.2f} x"),
        ]
    out += [
        ("wall / bare cv2 decode: CPU", _vs(s["cpu_ratio"], run.scenario.cpu_vs_bare)),
    ]
    if fl:
        out += [("wall / PyAV floor: CPU", _vs(s["floor_ratio"], run.scenario.cpu_vs_floor))]
    if len(run.rounds) > 1:
        out += [("  per round: wall / bare, wall / floor", "; ".join(
            f"{a:.2f}, {c:.2f}" for a, c in zip(s["cpu_ratio_rounds"],
                                                 s["floor_ratio_rounds"] or
                                                 [float("nan")] * len(run.rounds))))]
    out += [
        ("wall / bare: fps (displayed / bare decoded)",
         f"{s['fps_ratio']:.3f} ({s['wall_fps_total']:.0f} / {s['bare_fps_total']:.0f} fps)"),
    ]
    ow = run.wall_opencv
    if ow:
        out += [
            ("SAME RUN, the wall with NAZAR_DECODER=opencv",
             f"CPU {s['opencv_wall_cpu_pct']:.0f} % of one core, tiles min "
             f"{s['opencv_fps_min']:.1f} fps, latency p50 / p99 "
             f"{s['opencv_latency_p50_ms']:.1f} / {s['opencv_latency_p99_ms']:.1f} ms, "
             f"lag p99 {s['opencv_lag_p99_ms']:.1f} ms"),
            ("  opencv wall / bare cv2 decode: CPU",
             _vs(s["opencv_cpu_ratio"], run.scenario.cpu_vs_bare)),
        ]
        if fl:
            out += [("  opencv wall / PyAV floor: CPU",
                     _vs(s["opencv_floor_ratio"], run.scenario.cpu_vs_floor))]
        out += [(f"  {s['decoder'] or 'this'} wall / opencv wall: CPU",
                 f"{s['wall_vs_opencv_wall']:.2f} x")]
    for e in w.get("events", []):
        arg = f" {e['arg']}" if e.get("arg") is not None else ""
        sw = e.get("switched_after_s")
        if e["action"] == "tour":
            out.append((f"at {e['at_s']:.0f} s: tour",
                        f"every {e.get('tour_seconds', 0):g} s (page turns below); then "
                        f"{e.get('streams_open')} streams open "
                        f"({_kinds(e.get('streams_open_kinds', []))})"))
            continue
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
    for label, c in (("decomposition: cv2 read + resize + BGRA (no Qt)", run.bare_scaled),
                     ("decomposition: PyAV + yuv_to_bgra (no Qt)", run.floor_scaled)):
        if c:
            cpu = _pct(c['cpu_s'], c['seconds'])
            out += [(label, f"CPU {cpu:.0f} % of one core, {c['decoded'] / c['seconds']:.0f} "
                            f"fps; {_ratio(cpu, s['bare_cpu_pct']):.2f} x bare cv2")]
    if run.floor_scaled:
        # Decoding and converting at tile size, with no GUI, no painting and no wall around
        # it, is the least a wall that converts on the CPU can cost: above the limit, no
        # such wall meets the limit (BENCHMARKS.md, "The lower bound").
        c, limit = run.floor_scaled, run.scenario.cpu_vs_bare
        low = _ratio(_pct(c["cpu_s"], c["seconds"]), s["bare_cpu_pct"])
        verdict = ("" if limit is None else f" (limit {limit:g} x: " + (
            "no wall converting on the CPU can meet it)" if low > limit
            else f"{limit - low:.2f} x left for the rest of the wall)"))
        out += [("lower bound: decode + convert, nothing else / bare", f"{low:.2f} x{verdict}")]
    out += [("CPU user / sys, page faults per frame: wall",
             _detail(w.get("cpu_detail", {}), w["decoded"])),
            ("  bare", _detail(b.get("cpu_detail", {}), b["decoded"]))]
    if fl:
        out += [("  floor", _detail(fl.get("cpu_detail", {}), fl["decoded"]))]
    for label, c in (("  cv2 + resize + BGRA", run.bare_scaled),
                     ("  PyAV + yuv_to_bgra", run.floor_scaled)):
        if c:
            out += [(label, _detail(c.get("cpu_detail", {}), c["decoded"]))]
    pt = w.get("page_turns") or {}
    if pt:
        opened = [x for x in pt["open_after_1s"] if x is not None]
        standby = [x for x in pt["standby_after_1s"] if x is not None]
        out += [
            ("page turns (the wall's tour)",
             f"{pt['turns']} turns of {max(pt['tiles_per_turn'], default=0)} tiles; 1 s after "
             f"a turn: {min(opened, default=0)}-{max(opened, default=0)} streams open, "
             f"{min(standby, default=0)}-{max(standby, default=0)} of them in standby"),
            ("  turn -> every new tile painted: p50 / p95 / max", _ms3(pt["page_first_ms"])),
            ("  turn -> a tile's first picture: p50 / p95 / max", _ms3(pt["tile_first_ms"])),
            ("  age of that first picture: p50 / p95 / max", _ms3(pt["first_age_ms"])),
            ("  turn -> every tile painted a frame captured after it",
             _ms3(pt["page_fresh_ms"])),
            ("  turn -> every tile moving (3 frames captured after it)",
             _ms3(pt.get("page_moving_ms"))),
        ]
    if run.standby:
        sb = run.standby.get("standby") or {}
        if not s.get("standby_available"):
            out += [("STANDBY COST", "not measured: Feed.set_standby is missing")]
        else:
            out += [
                (f"STANDBY COST: {s['standby_streams']} streams, wall's feeds, no GUI",
                 f"none open {s['standby_none_cpu_pct']:.1f} %, all in standby "
                 f"{s['standby_cpu_pct']:.1f} %, all shown {s['standby_shown_cpu_pct']:.1f} % "
                 f"of one core"),
                ("  per camera in standby", f"{s['standby_per_camera_pct']:.2f} % of one core "
                 f"(shown: {s['shown_per_camera_pct']:.2f} %); "
                 f"{s['standby_decoded_fps_per_stream']:.2f} decoded fps per stream; RTSP "
                 f"server {_pct(sb.get('server_cpu_s'), sb.get('seconds', 1)):.0f} %"),
            ]
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
         f"during bare decode; at most {s['other_load_max_pct']:.0f} % in any measurement"),
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
    for line in decode_table(run):
        out(line)
    if ts:
        out("TARGETS")
        fw = max(14, max(len(t[1]) for t in ts) + 2)
        for label, fig, verdict, note in ts:
            out(f"  {label:<{width - 2}}{fig:<{fw}}{verdict}" + (f"  ({note})" if note else ""))
    s = summary(run)
    if finite(s["other_load_max_pct"]) and s["other_load_max_pct"] > 15:
        out(f"NOTE: other programs used up to {s['other_load_max_pct']:.0f} % of a core during "
            "this run; its CPU figures may be off, re-run when the machine is quiet.")


def decode_table(run: Run) -> list[str]:
    """The same streams, the same run: each wall and each bare decoder, CPU and its ratios
    to THE LIMIT and THE FLOOR, with the scenario's limits."""
    s = summary(run)
    sc = run.scenario
    lines = []
    head = (f"{'same streams, same run':<40}{'CPU %':>7}{'/ bare':>8}{'/ floor':>9}"
            f"{'tile fps min':>14}{'latency p50/p99':>18}{'lag p99':>9}")
    lines += ["DECODE PATH", "  " + head]

    def row(label: str, kind: str) -> None:
        rs = [r[kind] for r in run.rounds if r.get(kind)]
        if not rs:
            return
        cpu = _mean_cpu(run, kind)
        vb = _ratio(cpu, s["bare_cpu_pct"])
        vf = _ratio(cpu, s["floor_cpu_pct"])
        x = rs[0]
        if "tile_fps" in x:
            extra = (f"{min(x['tile_fps']):>14.1f}"
                     f"{x['latency']['p50']:>10.1f} /{x['latency']['p99']:>5.0f}"
                     f"{x['lag']['p99']:>9.1f}")
        else:
            extra = f"{min(x['fps']) if x['fps'] else 0:>14.1f}{'(decoded)':>18}"
        lines.append(f"  {label:<40}{cpu:>7.0f}{vb:>8.2f}"
                     + (f"{vf:>9.2f}" if finite(vf) else f"{'-':>9}") + extra)

    decoder = s["decoder"] or "?"
    row(f"wall, NAZAR_DECODER={decoder}", "wall")
    row("wall, NAZAR_DECODER=opencv", "wall_opencv")
    row("bare cv2.VideoCapture.read (THE LIMIT)", "bare")
    row("PyAV decode only (THE FLOOR)", "floor")
    limits = []
    if sc.cpu_vs_bare is not None:
        limits.append(f"wall / bare <= {sc.cpu_vs_bare:g}")
    if sc.cpu_vs_floor is not None:
        limits.append(f"wall / floor <= {sc.cpu_vs_floor:g}")
    lines.append("  limits: " + (", ".join(limits) if limits else "none in this scenario")
                 + (f"; CPU over {len(run.rounds)} interleaved rounds" if len(run.rounds) > 1
                    else ""))
    return lines


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
    if getattr(args, "compare_opencv", False):
        changes["compare_opencv"] = True
    if getattr(args, "rounds", None):
        changes["rounds"] = max(1, args.rounds)
    if getattr(args, "no_floor", False):
        changes["floor"] = False
    if getattr(args, "tour_seconds", None):
        changes["script"] = tuple((a[0], "tour", args.tour_seconds) if a[1] == "tour" else a
                                  for a in sc.script)
    if getattr(args, "seconds", None):
        changes["seconds"] = args.seconds
        if sc.bare_seconds:
            changes["bare_seconds"] = min(sc.bare_seconds, args.seconds)
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
