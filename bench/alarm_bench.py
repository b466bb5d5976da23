"""Alarm-mode benchmark: how fast an incident reaches the wall.

    .venv/bin/python -m bench.alarm_bench [--raises 50] [--points 300]

Registries of 1,200 and 10,000 cameras are generated (the demo registry's places; see
bench/registries.py). Measured, each against its limit in the same run:

- selection alone: `app.incidents.select` (every camera within R = 250 m plus the site's,
  ranked in tiers) at seeded random points near cameras; limit 50 ms (p95);
- raise to alarm wall: the real main window offscreen, from the raise command to the alarm
  layout applied and the banner painted (the wall and banner repainted synchronously), then
  cleared; limit 300 ms (p95). Streams do not connect here (an opener that never opens): what
  is measured is the wall's own work, not the cameras; time to eyes-on is another benchmark.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.incidents import Incident, select  # noqa: E402
from app.registry import Registry  # noqa: E402
from bench.registries import big_registry  # noqa: E402

SELECT_LIMIT_MS = 50.0
RAISE_LIMIT_MS = 300.0


def _points(reg: Registry, n: int, seed: int) -> list[tuple[float, float, str | None]]:
    """Incident points: near a random camera (within ~150 m), a fifth of them at a site."""
    rng = random.Random(seed)
    cams = sorted(reg.cameras.values(), key=lambda c: c.id)
    sites = sorted(reg.sites.values(), key=lambda s: s.id)
    out: list[tuple[float, float, str | None]] = []
    for i in range(n):
        if i % 5 == 0 and sites:
            s = rng.choice(sites)
            out.append((s.location.lat, s.location.lon, s.id))
        else:
            c = rng.choice(cams)
            out.append((c.location.lat + rng.uniform(-0.0013, 0.0013),
                        c.location.lon + rng.uniform(-0.0013, 0.0013), None))
    return out


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def measure_select(reg: Registry, n: int) -> dict:
    times, counts = [], []
    for k, (lat, lon, site) in enumerate(_points(reg, n, seed=11)):
        inc = Incident(id=f"B-{k}", lat=lat, lon=lon, radius_m=250, site_id=site)
        t0 = time.perf_counter()
        picks = select(reg, inc)
        times.append((time.perf_counter() - t0) * 1000)
        counts.append(len(picks))
    return {"p50": statistics.median(times), "p95": _pct(times, 0.95), "max": max(times),
            "cameras_median": statistics.median(counts), "cameras_max": max(counts)}


def measure_raise(reg: Registry, n: int) -> dict:
    from PySide6.QtWidgets import QApplication

    from app.feeds import FeedManager
    from app.layouts import LAYOUTS, WallModel
    from app.settings import SettingsStore
    from widgets.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    import tempfile
    settings = Path(tempfile.mkdtemp(prefix="nazar-alarm-bench-"))
    store = SettingsStore(settings)
    win = MainWindow(reg, WallModel(layout=LAYOUTS["3x3"], view=list(reg.cameras)[:9]),
                     FeedManager(opener=lambda *_a: None), store=store)
    win.resize(1920, 1080)
    win.show()
    app.processEvents()
    times, tiles = [], []
    for lat, lon, site in _points(reg, n, seed=23):
        t0 = time.perf_counter()
        res = win.wall.execute("raise_incident", lat, lon, site_id=site, join=False)
        app.processEvents()
        win.wall.repaint()
        win.banner.repaint()
        times.append((time.perf_counter() - t0) * 1000)
        assert res is not None and win.banner.isVisible(), "the alarm wall did not show"
        tiles.append(sum(1 for c in win.model.visible() if c))
        win.wall.execute("clear_incident", confirmed=True)
        app.processEvents()
    win.close()
    win.feeds.stop_all(timeout=2.0)
    store.close()
    return {"p50": statistics.median(times), "p95": _pct(times, 0.95), "max": max(times),
            "tiles_median": statistics.median(tiles)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench alarm", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--raises", type=int, default=50)
    p.add_argument("--points", type=int, default=300)
    p.add_argument("--sizes", default="1200,10000")
    args = p.parse_args(argv)
    rows = []
    for n in (int(x) for x in args.sizes.split(",")):
        reg = big_registry(n)
        sel = measure_select(reg, args.points)
        rai = measure_raise(reg, args.raises)
        rows.append((n, sel, rai))
    title = "Alarm mode: selection and raise to alarm wall (offscreen, streams not connecting)"
    print(title)
    print("-" * len(title))
    for n, sel, rai in rows:
        print(f"{n} cameras")
        print(f"  select(): p50 / p95 / max              {sel['p50']:.2f} / {sel['p95']:.2f} / "
              f"{sel['max']:.2f} ms over {args.points} points "
              f"(cameras selected: median {sel['cameras_median']:.0f}, max {sel['cameras_max']})")
        print(f"  raise -> alarm wall + banner painted   {rai['p50']:.1f} / {rai['p95']:.1f} / "
              f"{rai['max']:.1f} ms over {args.raises} raises "
              f"(tiles on page 1: median {rai['tiles_median']:.0f})")
    print("TARGETS")
    ok = True
    for n, sel, rai in rows:
        for what, value, limit in ((f"select() p95, {n} cameras", sel["p95"], SELECT_LIMIT_MS),
                                   (f"raise p95, {n} cameras", rai["p95"], RAISE_LIMIT_MS)):
            verdict = "PASS" if value <= limit else "MISS"
            ok &= verdict == "PASS"
            print(f"  {what:<40} {value:8.1f} ms <= {limit:.0f} ms   {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
