"""Soak with faults, and exit time with hung cameras: the real wall (`main.py`, offscreen, in
a process of its own, bench/wall_proc.py) against real GStreamer RTSP servers, while a fault
script breaks them on a schedule.

    ./nazar bench soak-faults [--minutes 30] [--warmup 60] [--down 10]
    ./nazar bench exit [--reps 5] [--cameras 8]

soak-faults: 12 cameras (640x360 H.264, 15 fps, a keyframe every second) on a 4x4 wall:

    KILL-1..4   on RTSP server A, which is SIGKILLed, kept down --down s, and started again
                (same port)
    STALL-1..4  on RTSP server B, which is SIGSTOPped for --down s, then SIGCONTinued: the
                connections stay open but nothing comes (a hung camera or recorder)
    LINK-1..3   on RTSP server C through a loopback TCP proxy (bench/faultproxy.py), which
                first adds 300 ms of delay for 20 s (the tiles must stay live), then
                throttles the link to 2 kB/s for --down s, then lets it go
    GARBAGE-1   a port that answers random bytes: the tile must show a failure, never live

One cycle is kill, stall, delay, throttle, a quiet spell; cycles repeat until --minutes
have passed. The wall's tile states come from its own dispatch API (`GET /api/state`, 4
polls a second), its threads and RSS from /proc. Measured and printed beside the limits:

- detection: from the fault until each affected tile is no longer live (a stall must show
  within the wall's stall_after of 2 s, plus 1 s);
- recovery: from the server's return (started again and listening; SIGCONT; the link let
  go) until each affected tile is live again;
- threads: the wall's OS threads, back to the count after warm-up after every fault;
- RSS: from the first measurement after the warm-up (every stream's 35 s packet buffer
  full) to the end, growth below 5 %. Also printed, for comparison: from the start of the
  second cycle to the end. The first time each kind of fault happens costs the wall a few
  MB once (measured apart, 4 cameras: the first server kill +3.9 MB, then +0.4 MB over 5
  more; the first stall +3 MB, then flat; not glibc's malloc arenas: the same with
  MALLOC_ARENA_MAX=2);
- the garbage camera: never live, its failure said (state and the log's reason).

exit: the wall on --cameras cameras whose server is SIGSTOPped (hung): once while every
stream is blocked in a read (the server stopped after all tiles were live, SIGTERM as soon
as every tile shows the stall) and once while every stream is blocked opening (the server
stopped before the wall started). From SIGTERM until the process has exited, --reps times
each; median and max beside the limit of 1 s.
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.wall_proc import WallProcess  # noqa: E402

POLL_S = 0.25
STALL_LIMIT_S = 3.0  # StreamTimeouts.stall_after_s (2 s) + 1 s
RECOVERY_LIMIT_S = 5.0  # from the server's return (listening; SIGCONT; the link let go) to live
# The thread count is back to its baseline within this after a fault. Not 0: while tiles
# reconnect, Qt's global thread pool (QImage's smooth scaling of a picture painted at another
# size) starts up to one thread per CPU, and QThreadPool keeps an idle thread for 30 s.
THREADS_BACK_S = 45.0
RSS_LIMIT_PCT = 5.0
EXIT_LIMIT_S = 1.0
DELAY_S = 0.3
THROTTLE_BPS = 2000.0


def say(line: str) -> None:
    print(line, flush=True)


def registry_text(cams: list[tuple[str, str]]) -> str:
    out = []
    for i, (cam_id, url) in enumerate(cams):
        out.append(f"""\
  - id: {cam_id}
    name: Soak camera {cam_id}
    ownership: police
    station: park-street
    location: {{lat: {22.55 + 0.001 * i:.4f}, lon: 88.35}}
    streams: {{main: "{url}"}}
""")
    return ("version: 1\ndivisions:\n  - id: central\n    name: Central\n    stations:\n"
            "      - {id: park-street, name: Park Street}\ncameras:\n" + "".join(out))


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))] if s else float("nan")


class Monitor:
    """Polls the wall's tile states; samples its threads and RSS as it goes."""

    def __init__(self, wall: WallProcess, log: Callable[[str], None]):
        self.wall = wall
        self.log = log
        self.samples: list[tuple[float, float, int]] = []  # (t, rss MB, threads)
        self.t_start = time.monotonic()
        self.polls = 0
        self.garbage_states: dict[str, int] = {}
        self.missed = 0  # polls the API did not answer

    def poll(self) -> dict[str, str]:
        states = self.wall.states()
        self.polls += 1
        if not states:
            self.missed += 1
        for cam, st in states.items():
            if cam.startswith("GARBAGE"):
                self.garbage_states[st] = self.garbage_states.get(st, 0) + 1
        now = time.monotonic()
        if not self.samples or now - self.samples[-1][0] >= 5.0:
            self.samples.append((now, self.wall.rss_mb(), self.wall.threads()))
        return states

    def watch(self, cams: list[str], cond: Callable[[str], bool], since: float,
              timeout: float) -> tuple[dict[str, float | None], dict[str, str]]:
        """Per camera: seconds from `since` until `cond(state)` first held (None: never
        within `timeout`), and the first state that met it."""
        got: dict[str, float | None] = {c: None for c in cams}
        how: dict[str, str] = {}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            states = self.poll()
            now = time.monotonic()
            for c in cams:
                if got[c] is None and c in states and cond(states[c]):
                    got[c] = now - since
                    how[c] = states[c]
            if all(v is not None for v in got.values()):
                break
            time.sleep(POLL_S)
        return got, how

    def hold(self, until: float) -> list[dict[str, str]]:
        """Keep polling until `until` (monotonic); every poll's states."""
        seen = []
        while time.monotonic() < until:
            seen.append(self.poll())
            time.sleep(POLL_S)
        return seen

    def threads_back(self, baseline: int, timeout: float = THREADS_BACK_S) -> tuple[int, float | None]:
        """(threads right now - baseline, seconds until back to the baseline or None)."""
        t0 = time.monotonic()
        first = self.wall.threads() - baseline
        while time.monotonic() - t0 < timeout:
            self.poll()
            if self.wall.threads() <= baseline:
                return first, time.monotonic() - t0
            time.sleep(POLL_S)
        return first, None


def run_soak(args: argparse.Namespace) -> int:
    from bench.faultproxy import GarbageServer, LinkProxy
    from bench.rtsp_bench import default_clip_dir
    from tests.support.clips import make_clip
    from tests.support.rtsp import RtspServer

    log = say
    clip_dir = Path(args.clip_dir) if args.clip_dir else default_clip_dir()
    clip = make_clip(clip_dir, 640, 360, fps=15, seconds=20, gop=15)
    groups = {"KILL": 4, "STALL": 4, "LINK": 3}
    servers = {g: RtspServer({f"/{g.lower()}{i}": clip for i in range(1, n + 1)},
                             ready_timeout=60.0).start() for g, n in groups.items()}
    proxy = LinkProxy((servers["LINK"].host, servers["LINK"].port))
    garbage = GarbageServer()
    cams: list[tuple[str, str]] = []
    for g, n in groups.items():
        for i in range(1, n + 1):
            url = servers[g].url(f"/{g.lower()}{i}")
            if g == "LINK":
                url = f"rtsp://127.0.0.1:{proxy.port}/{g.lower()}{i}"
            cams.append((f"{g}-{i}", url))
    cams.append(("GARBAGE-1", f"rtsp://127.0.0.1:{garbage.port}/stream"))
    ids = {g: [c for c, _ in cams if c.startswith(g + "-")] for g in groups}
    real = [c for c, _ in cams if not c.startswith("GARBAGE")]
    work = Path(tempfile.mkdtemp(prefix="nazar-soak-faults-"))
    config = work / "cameras.yaml"
    config.write_text(registry_text(cams))
    wall = WallProcess(config, [c for c, _ in cams], "4x4", work)
    end_at = time.monotonic() + 60 * args.minutes
    res: dict[str, list] = {k: [] for k in (
        "kill_detect", "kill_recover", "stall_detect", "stall_recover", "throttle_detect",
        "throttle_recover", "delay_live", "threads_excess", "threads_back", "never")}
    log(f"soak-faults: {len(cams)} cameras, {args.minutes:g} min, faults of {args.down:g} s; "
        f"work dir {work}")
    try:
        t0 = time.monotonic()
        wall.start()
        mon = Monitor(wall, log)
        live, _ = mon.watch(real, lambda s: s == "live", t0, 90)
        if any(v is None for v in live.values()):
            raise RuntimeError(f"not every camera went live: {live}")
        log(f"  every camera live {max(v or 0.0 for v in live.values()):.1f} s after start; "
            f"warm-up {args.warmup:g} s")
        mon.hold(time.monotonic() + args.warmup)
        baseline = wall.threads()
        rss0 = wall.rss_mb()
        log(f"  after warm-up: RSS {rss0:.1f} MB, {baseline} threads")
        t_warm = time.monotonic()
        mon.samples.append((t_warm, rss0, baseline))
        cycle = 0

        def after_fault(name: str) -> None:
            excess, back = mon.threads_back(baseline)
            res["threads_excess"].append(excess)
            res["threads_back"].append(back)
            log(f"    threads after {name}: {baseline + excess} (baseline {baseline}), "
                + (f"back in {back:.1f} s" if back is not None else "NOT back"))

        def record(kind: str, got: dict[str, float | None]) -> None:
            for c, v in got.items():
                if v is None:
                    res["never"].append(f"{kind} {c}")
                else:
                    res[kind].append(v)

        def enough(need: float) -> bool:
            return time.monotonic() + need < end_at

        rss_cycle2 = None
        while enough(30):
            cycle += 1
            if cycle == 2:
                rss_cycle2 = wall.rss_mb()
            log(f"  cycle {cycle}, t = {time.monotonic() - mon.t_start:.0f} s, "
                f"RSS {wall.rss_mb():.1f} MB, {wall.threads()} threads")
            # 1. Server A killed, down, started again at the same port.
            t = time.monotonic()
            servers["KILL"].kill()
            got, _ = mon.watch(ids["KILL"], lambda s: s != "live", t, args.down + 5)
            record("kill_detect", got)
            mon.hold(t + args.down)
            servers["KILL"].start()
            back = time.monotonic()
            got, _ = mon.watch(ids["KILL"], lambda s: s == "live", back, 90)
            record("kill_recover", got)
            log(f"    server killed: tiles not live after {_fmt(got_max(res, 'kill_detect'))}; "
                f"live again after {_fmt_all(got)} s")
            after_fault("kill")
            if not enough(30):
                break
            # 2. Server B stopped (SIGSTOP): connections open, nothing comes.
            pid = servers["STALL"].pid
            assert pid is not None
            t = time.monotonic()
            os.kill(pid, signal.SIGSTOP)
            try:
                got, how = mon.watch(ids["STALL"], lambda s: s != "live", t, args.down + 5)
                record("stall_detect", got)
                mon.hold(t + args.down)
            finally:
                os.kill(pid, signal.SIGCONT)
            back = time.monotonic()
            log(f"    server stalled: shown as {sorted(set(how.values()))} after "
                f"{_fmt_all(got)} s")
            got, _ = mon.watch(ids["STALL"], lambda s: s == "live", back, 90)
            record("stall_recover", got)
            log(f"    server continued: live again after {_fmt_all(got)} s")
            after_fault("stall")
            if not enough(40):
                break
            # 3. 300 ms more delay on the link: the tiles stay live.
            proxy.shape(delay_s=DELAY_S)
            polls = mon.hold(time.monotonic() + 20)
            proxy.shape()
            ok = sum(1 for p in polls if p and all(p.get(c) == "live" for c in ids["LINK"]))
            answered = sum(1 for p in polls if p)
            res["delay_live"].append(ok / max(1, answered))
            log(f"    +{DELAY_S * 1000:.0f} ms delay: every link tile live in {ok}/{answered} "
                "polls")
            # 4. The link throttled far below the stream's bit rate, then let go.
            t = time.monotonic()
            proxy.shape(rate_bps=THROTTLE_BPS)
            try:
                got, how = mon.watch(ids["LINK"], lambda s: s != "live", t, args.down + 5)
                record("throttle_detect", got)
                mon.hold(t + args.down)
            finally:
                proxy.shape()
            back = time.monotonic()
            log(f"    link throttled to {THROTTLE_BPS / 1000:g} kB/s: shown as "
                f"{sorted(set(how.values()))} after {_fmt_all(got)} s")
            got, _ = mon.watch(ids["LINK"], lambda s: s == "live", back, 90)
            record("throttle_recover", got)
            log(f"    link let go: live again after {_fmt_all(got)} s")
            after_fault("throttle")
            # 5. Quiet.
            mon.hold(min(end_at, time.monotonic() + args.quiet))
        # The end: every camera live again, settled, then the last RSS.
        mon.watch(real, lambda s: s == "live", time.monotonic(), 60)
        mon.hold(time.monotonic() + 5)
        rss_end = wall.rss_mb()
        threads_end = wall.threads()
        mon.samples.append((time.monotonic(), rss_end, threads_end))
        states_end = mon.poll()
        reason = _garbage_reason(wall.log_text())
        elapsed = time.monotonic() - mon.t_start
    finally:
        wall.stop()
        proxy.close()
        garbage.close()
        for s in servers.values():
            s.stop()
    rss_max = max(s[1] for s in mon.samples if s[0] >= t_warm)
    growth = 100.0 * (rss_end - rss0) / rss0
    print_soak(args, res, cycles=cycle, elapsed=elapsed, rss0=rss0, rss_end=rss_end,
               rss_max=rss_max, growth=growth, rss_cycle2=rss_cycle2, baseline=baseline,
               threads_end=threads_end,
               garbage=mon.garbage_states, garbage_end=states_end.get("GARBAGE-1", "?"),
               reason=reason, polls=mon.polls, missed=mon.missed,
               samples=mon.samples, t_start=mon.t_start)
    return 0


def got_max(res: dict, key: str) -> float | None:
    return max(res[key]) if res[key] else None


def _fmt(v: float | None) -> str:
    return "never" if v is None else f"{v:.1f} s"


def _fmt_all(got: dict[str, float | None]) -> str:
    return ", ".join("never" if v is None else f"{v:.1f}" for v in got.values())


def _garbage_reason(text: str) -> str:
    """The wall's own words for the garbage camera (its last 'retrying' line)."""
    last = ""
    for line in text.splitlines():
        if "camera GARBAGE-1:" in line:
            last = line.split("camera GARBAGE-1:", 1)[1].strip()
    return last.split("; retrying", 1)[0]


def print_soak(args, res, *, cycles, elapsed, rss0, rss_end, rss_max, growth, rss_cycle2,
               baseline,
               threads_end, garbage, garbage_end, reason, polls, missed, samples,
               t_start) -> None:
    title = (f"Soak with faults: 12 cameras (640x360 H.264 15 fps) on a 4x4 wall, "
             f"{elapsed / 60:.1f} min, {cycles} fault cycles (faults of {args.down:g} s)")
    print(f"\n{title}\n" + "-" * len(title))
    print("RSS / threads over the run (every 5 min):")
    mark = -1.0
    for t, rss, th in samples:
        if t - mark >= 300 or (t, rss, th) == samples[-1]:
            print(f"  t = {t - t_start:6.0f} s   RSS {rss:6.1f} MB   threads {th}")
            mark = t
    rows: list[tuple[str, str, str, bool | None]] = []

    def stat_row(what: str, key: str, limit: float) -> None:
        v = res[key]
        if not v:
            rows.append((what, "no samples", f"<= {limit:g} s", False))
            return
        fig = f"{statistics.median(v):.2f} / {pct(v, 0.95):.2f} / {max(v):.2f} s (n={len(v)})"
        rows.append((what + " p50 / p95 / max", fig, f"max <= {limit:g} s", max(v) <= limit))

    stat_row("server killed: tile not live", "kill_detect", STALL_LIMIT_S)
    stat_row("server back: tile live again", "kill_recover", RECOVERY_LIMIT_S)
    stat_row("server hung (SIGSTOP): stall shown", "stall_detect", STALL_LIMIT_S)
    stat_row("SIGCONT: tile live again", "stall_recover", RECOVERY_LIMIT_S)
    stat_row(f"link at {THROTTLE_BPS / 1000:g} kB/s: stall shown", "throttle_detect",
             STALL_LIMIT_S)
    stat_row("link let go: tile live again", "throttle_recover", RECOVERY_LIMIT_S)
    never = res["never"]
    rows.append(("affected tiles that never changed / came back", str(len(never))
                 + (f" ({', '.join(never[:4])})" if never else ""), "0", not never))
    dl = res["delay_live"]
    rows.append((f"+{DELAY_S * 1000:.0f} ms link delay: polls with every link tile live",
                 f"{100 * min(dl):.0f} % (worst of {len(dl)})" if dl else "no samples",
                 ">= 99 %", bool(dl) and min(dl) >= 0.99))
    back = res["threads_back"]
    worst_back = max((b for b in back if b is not None), default=0.0)
    rows.append(("threads back to baseline after each fault",
                 f"{sum(b is not None for b in back)}/{len(back)} faults, within "
                 f"{worst_back:.1f} s (baseline {baseline}, max +{max(res['threads_excess'], default=0)}, "
                 f"end {threads_end})",
                 f"all, <= {THREADS_BACK_S:g} s", bool(back) and all(b is not None for b in back)))
    rows.append(("RSS warm -> end (max)", f"{rss0:.1f} -> {rss_end:.1f} MB ({growth:+.1f} %; "
                 f"max {rss_max:.1f})", f"< +{RSS_LIMIT_PCT:g} %", growth < RSS_LIMIT_PCT))
    if rss_cycle2:  # each fault's first time costs a few MB once (bench/soak_faults.py doc)
        later = 100.0 * (rss_end - rss_cycle2) / rss_cycle2
        rows.append(("RSS after the first fault cycle -> end", f"{rss_cycle2:.1f} -> "
                     f"{rss_end:.1f} MB ({later:+.1f} %)", "(for comparison)", None))
    shown = ", ".join(f"{k} {v}" for k, v in sorted(garbage.items()))
    rows.append(("garbage port: tile states over the run", f"{shown}; says \"{reason}\"",
                 "never live, a reason", "live" not in garbage and bool(reason)))
    rows.append(("API polls unanswered", f"{missed}/{polls}", "0", missed == 0))
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    for what, fig, lim, ok in rows:
        verdict = "info" if ok is None else ("PASS" if ok else "MISS")
        print(f"{what:<{w0}}  {fig:<{w1}}  limit {lim:<22} {verdict}")
    print(f"command: ./nazar bench soak-faults --minutes {args.minutes:g} --warmup "
          f"{args.warmup:g} --down {args.down:g}")


# -- exit ------------------------------------------------------------------------------------

def run_exit(args: argparse.Namespace) -> int:
    from bench.rtsp_bench import default_clip_dir
    from tests.support.clips import make_clip
    from tests.support.rtsp import RtspServer

    log = say
    clip_dir = Path(args.clip_dir) if args.clip_dir else default_clip_dir()
    clip = make_clip(clip_dir, 640, 360, fps=15, seconds=20, gop=15)
    n = args.cameras
    server = RtspServer({f"/cam{i}": clip for i in range(1, n + 1)}, ready_timeout=60.0)
    cams = [(f"HUNG-{i}", server.url(f"/cam{i}")) for i in range(1, n + 1)]
    ids = [c for c, _ in cams]
    root = Path(tempfile.mkdtemp(prefix="nazar-exit-bench-"))
    config = root / "cameras.yaml"
    config.write_text(registry_text(cams))
    results: dict[str, list[float]] = {"read": [], "open": []}
    layout = "4x4" if n > 9 else ("3x3" if n > 4 else "2x2")
    try:
        for rep in range(args.reps):
            for case in ("read", "open"):
                server.start()
                work = root / f"{case}-{rep}"
                work.mkdir()
                wall = WallProcess(config, ids, layout, work)
                try:
                    if case == "open":  # hung before the wall starts: every open blocks
                        os.kill(server.pid, signal.SIGSTOP)  # type: ignore[arg-type]
                        wall.start()
                        mon = Monitor(wall, log)
                        t = time.monotonic()
                        mon.watch(ids, lambda s: s in ("connecting", "reconnecting"), t, 10)
                        mon.hold(time.monotonic() + 1.0)  # inside the open (5 s timeout)
                        what = "opening"
                    else:  # live first, then hung: every stream blocks in a read
                        wall.start()
                        mon = Monitor(wall, log)
                        t = time.monotonic()
                        got, _ = mon.watch(ids, lambda s: s == "live", t, 60)
                        if any(v is None for v in got.values()):
                            raise RuntimeError(f"not every camera went live: {got}")
                        os.kill(server.pid, signal.SIGSTOP)  # type: ignore[arg-type]
                        t = time.monotonic()
                        mon.watch(ids, lambda s: s == "stalled", t, 10)
                        what = "stalled in a read"
                    threads = wall.threads()
                    took = wall.terminate()
                    results[case].append(took)
                    log(f"  rep {rep + 1}, {n} cameras {what} ({threads} threads): "
                        f"SIGTERM -> exit {took:.3f} s (status {wall.proc.returncode})")
                finally:
                    wall.stop()
                    if server.pid is not None:
                        os.kill(server.pid, signal.SIGCONT)
                    server.kill()
    finally:
        server.stop()
    title = (f"Exit with hung cameras: {n} RTSP cameras whose server is SIGSTOPped; "
             f"SIGTERM to process exit, {args.reps} reps each")
    print(f"\n{title}\n" + "-" * len(title))
    ok = True
    for case, label in (("read", "streams blocked in a read"),
                        ("open", "streams blocked opening")):
        v = results[case]
        if not v:
            continue
        verdict = max(v) <= EXIT_LIMIT_S
        ok &= verdict
        print(f"{label:<28} median {statistics.median(v):.3f} s   max {max(v):.3f} s   "
              f"limit max <= {EXIT_LIMIT_S:g} s   {'PASS' if verdict else 'MISS'}")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="bench soak-faults", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    s = sub.add_parser("soak-faults")
    s.add_argument("--minutes", type=float, default=30.0)
    s.add_argument("--warmup", type=float, default=60.0,
                   help="seconds after every tile is live before the first RSS figure")
    s.add_argument("--down", type=float, default=10.0, help="seconds each fault lasts")
    s.add_argument("--quiet", type=float, default=20.0, help="quiet seconds ending a cycle")
    s.add_argument("--clip-dir", default=None)
    e = sub.add_parser("exit")
    e.add_argument("--reps", type=int, default=5)
    e.add_argument("--cameras", type=int, default=8)
    e.add_argument("--clip-dir", default=None)
    args = p.parse_args(argv)
    # SIGTERM (a background run stopped): the servers are continued and stopped, the wall too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return run_soak(args) if args.what == "soak-faults" else run_exit(args)


if __name__ == "__main__":
    sys.exit(main())
