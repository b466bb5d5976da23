"""CI smoke test of the benchmark: the documented command runs a tiny RTSP scenario end to
end (server, wall, bare-decode limit) and reports sane numbers. Not the targets: those are
for the full scenarios on a quiet machine (`./nazar bench all`, see BENCHMARKS.md)."""
from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.wall_child import make_layout

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.rtsp


def test_bench_layouts_for_the_scenarios():
    assert make_layout("4x4").tiles == 16
    assert make_layout("6x6").tiles == 36
    assert make_layout("8x8").tiles == 64
    big = make_layout("1+15")
    assert big.tiles == 16
    rects = big.rects(1920, 1080)
    assert rects[0][3] > 6 * max(h for _, _, _, h in rects[1:])  # one large, 15 small
    with pytest.raises(ValueError):
        make_layout("3x5")


def test_tiny_rtsp_scenario_runs_and_reports_sane_numbers(tmp_path, clip_dir):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "tiny", "--seconds", "3", "--warmup", "1",
         "--clip-dir", str(clip_dir), "--json", str(out), "--decompose"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    table = proc.stdout
    for row in ("displayed fps per tile: min / median", "frames decoded / displayed",
                "CPU per displayed frame", "process CPU", "capture-to-paint latency p50 / p99",
                "GUI event-loop lag p50 / p99", "RSS start / after warm-up / end",
                "threads (OS)", "THE LIMIT: bare decode of the same streams",
                "THE FLOOR: PyAV decode only, same streams", "wall / bare cv2 decode: CPU",
                "wall / PyAV floor: CPU", "wall / bare: fps", "RTSP server (own process",
                "DECODE PATH", "bare cv2.VideoCapture.read (THE LIMIT)",
                "PyAV decode only (THE FLOOR)", "TARGETS"):
        assert row in table, f"{row!r} missing from the table:\n{table}"
    assert "PASS" in table or "MISS" in table
    # --decompose: decode + conversion at tile size alone, against the bare decode.
    low = re.search(r"lower bound: decode \+ convert, nothing else / bare\s+([0-9.]+) x", table)
    assert low and 0.2 < float(low.group(1)) < 10, table

    (run,) = json.loads(out.read_text())
    s = run["summary"]
    assert s["tiles"] == 4
    assert s["fps_min"] > 0 and s["fps_median"] > 0
    assert s["decoded"] > 0 and s["displayed"] > 0
    assert s["wall_cpu_pct"] > 0 and s["bare_cpu_pct"] > 0
    assert s["cpu_per_frame_ms"] > 0
    for key in ("latency_p50_ms", "latency_p99_ms", "lag_p50_ms", "lag_p99_ms"):
        assert math.isfinite(s[key]) and 0 <= s[key] < 3000, (key, s[key])
    assert math.isfinite(s["cpu_ratio"]) and s["cpu_ratio"] > 0
    assert s["floor_cpu_pct"] > 0 and s["floor_fps_total"] > 0  # THE FLOOR, same streams
    assert math.isfinite(s["floor_ratio"]) and s["floor_ratio"] > 0
    assert s["decoder"] in ("pyav", "opencv") and run["floor"]["mode"] == "floor"
    assert run["bare"]["mode"] == "cv2"
    assert math.isfinite(s["fps_ratio"]) and s["fps_ratio"] > 0
    assert s["bare_fps_total"] > 0
    assert s["rss_start_mb"] > 0 and s["rss_end_mb"] > 0 and s["threads"] > 1
    assert math.isfinite(s["server_cpu_wall_pct"])
    assert {t[2] for t in run["targets"]} <= {"PASS", "MISS"} and run["targets"]
    # The scripted operator actions ran and were measured.
    events = run["wall"]["events"]
    assert [e["action"] for e in events] == ["maximise", "restore"]
    assert events[0]["streams_open"] == 1 and events[1]["streams_open"] == 4
    assert "at 1 s: maximise 1" in table


def test_rounds_interleave_and_the_decode_options_reach_the_scenario():
    from types import SimpleNamespace

    from bench.rtsp_bench import SCENARIOS, round_order, scenario_from_args

    args = SimpleNamespace(compare_opencv=True, rounds=3, no_floor=False, seconds=None,
                           tour_seconds=None)
    sc = scenario_from_args("16x720p", args)
    assert sc.compare_opencv and sc.rounds == 3 and sc.floor
    assert sc.cpu_vs_bare == 1.0 and sc.cpu_vs_floor == 1.3
    assert round_order(sc, 0) == ["wall", "wall_opencv", "bare", "floor"]
    assert round_order(sc, 1) == ["floor", "bare", "wall_opencv", "wall"]
    assert SCENARIOS["2x2main"].cpu_vs_bare == 1.1
    short = scenario_from_args("pageturn", SimpleNamespace(seconds=6.0, tour_seconds=2.0))
    assert short.bare_seconds == 6.0 and short.script == ((1, "tour", 2.0),)


def test_pageturn_scenario_measures_turns_and_standby(tmp_path, clip_dir):
    """`./nazar bench pageturn`, tiny: the wall's tour turns pages of a 2x2 wall; the time
    until the new page's tiles paint, and the CPU of the streams on standby. Not the
    targets."""
    out = tmp_path / "pageturn.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "pageturn", "--cameras", "8", "--layout", "2x2",
         "--seconds", "6", "--warmup", "1", "--tour-seconds", "2", "--no-floor",
         "--clip-dir", str(clip_dir), "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    table = proc.stdout
    for row in ("page turns (the wall's tour)", "turn -> every new tile painted",
                "age of that first picture", "per camera in standby",
                "page turn: every new tile painted within 100 ms"):
        assert row in table, f"{row!r} missing from the table:\n{table}"
    (run,) = json.loads(out.read_text())
    s = run["summary"]
    assert s["pageturn_turns"] >= 1 and s["pageturn_page_ms"]["n"] >= 1
    assert s["standby_available"] and s["standby_streams"] == 4
    assert math.isfinite(s["standby_per_camera_pct"])
    assert run["standby"]["standby"]["in_standby"] == 4


def test_decoders_benchmark_prints_every_alternative(clip_dir):
    """`./nazar bench decoders`, tiny: one small clip, every alternative, one repetition."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "decoders", "--res", "320x180", "--sizes", "160x90",
         "--frames", "10", "--reps", "1", "--clip-dir", str(clip_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    out = proc.stdout
    assert proc.returncode == 0, out[-2000:] + proc.stderr[-2000:]
    for row in ("cv2.read(), full BGR (THE LIMIT)", "cv2.read + resize + BGR2BGRA, 160x90",
                "PyAV decode only (THE FLOOR)", "PyAV reformat(bgra), 160x90",
                "PyAV swscale kept (bgra, 1 thread), 160x90",
                "PyAV to_ndarray(bgr24) + resize + BGRA, 160x90",
                "PyAV + yuv_to_bgra, 160x90 (the wall)",
                "PyAV + yuv_to_bgra, full size (the wall)"):
        assert row in out, f"{row!r} missing:\n{out}"


def test_alarm_benchmarks_run_and_print_their_limits():
    """`./nazar bench alarm` and `./nazar bench eyes-on`, tiny: they run end to end (real
    window, real RTSP server) and print each figure beside its limit. Not the targets."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "alarm", "--sizes", "300", "--raises", "3",
         "--points", "20"], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert "select() p95, 300 cameras" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "raise p95, 300 cameras" in proc.stdout and proc.returncode in (0, 1)
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "eyes-on", "--raises", "1", "--gops", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    out = proc.stdout
    assert "every on-page tile live: p50 / p95 / max" in out, out[-2000:] + proc.stderr[-2000:]
    assert "TARGET every tile live p95 <= 2 s (keyframe 1 s)" in out
    assert "raise 1/1: 13/13 tiles live" in out  # every tile of the 1+12 wall came up
    assert "big tile on its main stream" in out  # the big tile showed its main stream


def test_dispatch_benchmark_runs_and_prints_its_limit():
    """`./nazar bench dispatch`, tiny: CAP alerts through the API and the drop folder to a
    real window, each figure beside its 1 s limit. Not the target itself."""
    proc = subprocess.run([sys.executable, "-m", "bench", "dispatch", "--alerts", "2"],
                          cwd=ROOT, capture_output=True, text=True, timeout=180)
    out = proc.stdout
    assert "CAP alert -> cameras on the wall p95, POST /api/cap" in out, \
        out[-2000:] + proc.stderr[-2000:]
    assert "CAP alert -> cameras on the wall p95, drop folder" in out
    assert "GET /api/state" in out and proc.returncode in (0, 1)


def test_relay_benchmark_runs_and_prints_its_limits():
    """`./nazar bench relay`, tiny: a real camera server, a real hub, GStreamer clients and
    the wall, each figure beside its limit. Not the targets themselves."""
    proc = subprocess.run([sys.executable, "-m", "bench", "relay", "--streams", "2",
                           "--clients", "2", "--seconds", "2", "--warmup", "1",
                           "--wall-seconds", "2", "--delay-seconds", "3"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    out = proc.stdout
    assert "via the hub     hub CPU" in out, out[-2000:] + proc.stderr[-2000:]
    assert "every client received data (hub)           4/4" in out
    assert "one camera session per stream via hub" in out and "added delay p99" in out
    assert "wall 2x2 hub" in out and proc.returncode in (0, 1)


def test_exit_benchmark_runs_and_prints_its_limit(clip_dir):
    """`./nazar bench exit`, tiny: main.py on 2 cameras whose server is SIGSTOPped, SIGTERM
    while the streams are blocked in a read and while they are blocked opening; the time to
    exit beside its 1 s limit. Not the target itself (that is for the benchmark)."""
    proc = subprocess.run([sys.executable, "-m", "bench", "exit", "--reps", "1",
                           "--cameras", "2", "--clip-dir", str(clip_dir)],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    out = proc.stdout
    assert "streams blocked in a read    median" in out, out[-2000:] + proc.stderr[-2000:]
    assert "streams blocked opening      median" in out and "limit max <= 1 s" in out
    assert "2 cameras stalled in a read" in out and "2 cameras opening" in out
    assert "(status 0)" in out and proc.returncode in (0, 1)
