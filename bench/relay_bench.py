"""Relay benchmark: what a relay hub costs, against a direct connection in the same run.

    .venv/bin/python -m bench.relay_bench [--streams 64] [--clients 4] [--seconds 20]

One RTSP test camera server (GStreamer) serves `--streams` mounts of a 640x360 15 fps H.264
clip; a real hub (`python3 -m relay`, consoles log in) relays all of them. Measured:

1. Load: `--clients` clients per stream (GStreamer `rtspsrc ! fakesink` in one process,
   bench/relay_clients.py: network reading only, no decoding) first through the hub, then
   straight to the camera server. Reported: the hub's CPU (per relayed stream), the camera
   server's CPU in both runs (the hub takes the fan-out off the camera), sessions at the
   camera, and that every client received data.
2. Added delivery delay: the same stream read directly and through the hub at once, frames
   matched by their pixels (bench/relay_latency.py): how much later a frame arrives via hub.
3. The wall: 4 tiles (the same 4 cameras) direct and through the hub, one after the other,
   capture-to-paint latency p50 / p99 and CPU (bench/wall_child.py).

Limits printed beside the figures: every client received data; one camera session per stream
through the hub; added delay p99 <= 100 ms.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.rtsp_bench import _child, default_clip_dir  # noqa: E402

DELAY_LIMIT_MS = 100.0


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def registry(cams: list[str], hub_port: int) -> str:
    out = ["version: 1", "divisions:", "  - id: central", "    name: Central", "    stations:",
           "      - {id: park-street, name: Park Street}", "cameras:"]
    for i, url in enumerate(cams, 1):
        out += [f"  - id: R{i:02d}", f"    name: Relay bench {i}", "    ownership: police",
                "    station: park-street", "    location: {lat: 22.553, lon: 88.351}",
                f'    streams: {{main: "{url}"}}']
    out += ["relays:", "  - id: bench-hub", "    name: Bench hub",
            f"    address: rtsp://127.0.0.1:{hub_port}", "    user: wall-1",
            "    password: bench-pass", "    serves: {divisions: [central]}"]
    return "\n".join(out) + "\n"


def load(urls: list[str], seconds: float, warmup: float, pids: dict[str, int],
         camera) -> dict:  # noqa: ANN001 - tests.support.rtsp.RtspServer
    proc = subprocess.Popen(["/usr/bin/python3", str(ROOT / "bench" / "relay_clients.py"),
                             "--seconds", str(seconds + warmup + 2), *urls],
                            stdout=subprocess.PIPE, text=True)
    time.sleep(warmup)  # a benchmark's warm-up, not a test's wait
    before = {k: cpu_s(p) for k, p in pids.items()}
    t0 = time.monotonic()
    sessions = []
    while time.monotonic() - t0 < seconds:
        sessions.append(camera.connections())
        time.sleep(1.0)
    after = {k: cpu_s(p) for k, p in pids.items()}
    elapsed = time.monotonic() - t0
    out, _ = proc.communicate(timeout=120)
    got = json.loads(out.strip().splitlines()[-1])
    return {"cpu_pct": {k: 100.0 * (after[k] - before[k]) / elapsed for k in pids},
            "sessions_max": max(sessions), "sessions_min": min(sessions),
            "clients": got["clients"], "clients_with_data": sum(1 for b in got["bytes"] if b),
            "mbit_per_client": sum(got["bytes"]) * 8 / 1e6 / max(1, got["clients"])
            / got["seconds"]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench relay", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--streams", type=int, default=64)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--warmup", type=float, default=5.0)
    p.add_argument("--wall-seconds", type=float, default=10.0)
    p.add_argument("--delay-seconds", type=float, default=15.0,
                   help="how long to match frames for the added delay")
    p.add_argument("--size", default="640x360", help="the camera's picture, WxH")
    p.add_argument("--fps", type=int, default=15)
    args = p.parse_args(argv)

    from tests.support.clips import make_clip
    from tests.support.relay import RelayHub
    from tests.support.rtsp import RtspServer, free_port

    width, height = (int(x) for x in args.size.lower().split("x"))
    clip = make_clip(default_clip_dir(), width, height, fps=args.fps, seconds=20)
    work = Path(tempfile.mkdtemp(prefix="nazar-relay-bench-"))
    mounts = {f"/cam{i}": clip for i in range(1, args.streams + 1)}
    results: dict = {}
    with RtspServer(mounts, ready_timeout=60.0) as camera:
        hub_port = free_port()
        config = work / "cameras.yaml"
        config.write_text(registry([camera.url(m) for m in mounts], hub_port))
        users = work / "users"
        users.write_text("wall-1:bench-pass\n")
        users.chmod(0o600)
        hub = RelayHub(config, "bench-hub", hub_port, users).start()
        try:
            assert hub.process is not None and camera.pid is not None
            pids = {"hub": hub.process.pid, "camera": camera.pid}
            via = [f"rtsp://wall-1:bench-pass@127.0.0.1:{hub_port}/R{i:02d}/main"
                   for i in range(1, args.streams + 1)] * args.clients
            print(f"  load via the hub: {args.streams} streams x {args.clients} clients, "
                  f"{args.seconds:g} s ...", flush=True)
            results["hub"] = load(via, args.seconds, args.warmup, pids, camera)
            deadline = time.monotonic() + 30  # the hub drops the camera sessions after the
            while camera.connections() > 0 and time.monotonic() < deadline:  # last client
                time.sleep(0.2)
            direct = [camera.url(m) for m in mounts] * args.clients
            print("  the same load straight to the camera server ...", flush=True)
            results["direct"] = load(direct, args.seconds, args.warmup,
                                     {"camera": camera.pid}, camera)
            print("  added delivery delay (frames matched) ...", flush=True)
            out = subprocess.run([sys.executable, "-m", "bench.relay_latency",
                                  camera.url("/cam1"), via[0], "--seconds",
                                  str(args.delay_seconds)],
                                 cwd=ROOT, capture_output=True, text=True, timeout=120)
            results["delay"] = json.loads(out.stdout.strip().splitlines()[-1])
            for label in ("direct", "hub"):
                print(f"  wall, 4 tiles, {label} ...", flush=True)
                cfg = config if label == "hub" else work / "direct.yaml"
                if label == "direct":
                    text = config.read_text().split("relays:")[0]
                    cfg.write_text(text)
                results[f"wall_{label}"] = _child("bench.wall_child", {
                    "config": str(cfg), "layout": "2x2",
                    "view": [f"R{i:02d}" for i in range(1, min(4, args.streams) + 1)],
                    "seconds": args.wall_seconds,
                    "warmup": 3.0, "wait_live_s": 60.0, "size": [1280, 720]}, 300)
        finally:
            hub.stop()

    h, d, dl = results["hub"], results["direct"], results["delay"]
    n = args.streams
    title = (f"Relay hub: {n} streams ({args.size} H.264 {args.fps} fps) x {args.clients} "
             f"clients, {args.seconds:g} s")
    print(title)
    print("-" * len(title))
    print(f"  via the hub     hub CPU {h['cpu_pct']['hub']:.1f} % of a core "
          f"({h['cpu_pct']['hub'] / n:.2f} % per relayed stream), camera server "
          f"{h['cpu_pct']['camera']:.1f} %, camera sessions {h['sessions_min']}-"
          f"{h['sessions_max']}, clients with data {h['clients_with_data']}/{h['clients']}, "
          f"{h['mbit_per_client']:.2f} Mbit/s each")
    print(f"  direct          camera server {d['cpu_pct']['camera']:.1f} %, camera sessions "
          f"{d['sessions_min']}-{d['sessions_max']}, clients with data "
          f"{d['clients_with_data']}/{d['clients']}, {d['mbit_per_client']:.2f} Mbit/s each")
    if "p50_ms" in dl:
        print(f"  added delay     p50 {dl['p50_ms']:.1f} ms, p99 {dl['p99_ms']:.1f} ms, max "
              f"{dl['max_ms']:.1f} ms over {dl['matched']} matched frames")
    for label in ("direct", "hub"):
        w = results[f"wall_{label}"]
        lat = w["latency"]
        print(f"  wall 2x2 {label:<7}capture-to-paint p50 {lat.get('p50', float('nan')):.1f}"
              f" / p99 {lat.get('p99', float('nan')):.1f} ms, "
              f"CPU {100 * w['cpu_s'] / w['seconds']:.0f} % of a core, "
              f"fps min {min(w['tile_fps']):.1f}")
    print("TARGETS")
    checks = [
        ("every client received data (hub)", h["clients_with_data"] == h["clients"],
         f"{h['clients_with_data']}/{h['clients']}"),
        ("one camera session per stream via hub", h["sessions_max"] <= n,
         f"max {h['sessions_max']} for {n} streams"),
        (f"added delay p99 <= {DELAY_LIMIT_MS:.0f} ms",
         dl.get("p99_ms", 1e9) <= DELAY_LIMIT_MS, f"{dl.get('p99_ms', float('nan')):.1f} ms"),
    ]
    ok = True
    for what, passed, value in checks:
        ok &= passed
        print(f"  {what:<42} {value:<24} {'PASS' if passed else 'MISS'}")
    (work / "result.json").write_text(json.dumps(results, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
