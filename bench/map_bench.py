"""Map panel benchmark: how long 10,000 cameras take to reach the screen.

    .venv/bin/python -m bench.map_bench [--cameras 10000] [--runs 3]

Generates a registry in memory (the demo registry's divisions, stations and sites, plus N
cameras scattered around the police stations, a fifth of them private at the sites), then in a
real QWebEngineView (offscreen) measures:

- build: `app.mappage.build_page` in Python (page data, approximate areas, folium, JSON);
- load: from creating the panel (build, write, load) until the page reports every pin painted
  (the first animation frame after the pins were added to the canvas); the very first load of
  the process also starts Chromium's renderer;
- in-page: from the page script's start to that paint (parse JSON, areas, pins);
- pan: one 200 px pan redrawn (pins: the next animation frame; vector basemap: until every
  tile of the new view is painted); states: 1,000 state changes pushed and redrawn.

Each registry is measured on the built-in basemap and on a vector basemap (the demo's
hand-drawn layer, built by tilemaker with Nazar's schema and drawn by protomaps-leaflet).
Targets: a load in 2 s and a 200 px pan in 50 ms for 10,000 cameras; the 436-camera demo
registry is measured after them.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "")
if os.geteuid() == 0 and "--no-sandbox" not in os.environ["QTWEBENGINE_CHROMIUM_FLAGS"]:
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] += " --no-sandbox"

from app import mappage  # noqa: E402
from app.registry import Registry, load_registry  # noqa: E402
from bench.registries import big_registry  # noqa: E402
from widgets.map_panel import MapPanel, register_schemes  # noqa: E402

TARGET_S = 2.0
PAN_TARGET_MS = 50.0


def measure_build(reg: Registry, runs: int) -> tuple[list[float], int]:
    times, size = [], 0
    mappage.build_page(reg)  # imports folium once, outside the figures
    for _ in range(runs):
        t0 = time.perf_counter()
        html = mappage.build_page(reg)
        times.append(time.perf_counter() - t0)
        size = len(html.encode("utf-8"))
    return times, size


def measure_load(app, reg: Registry) -> dict:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    result: dict = {}
    timeout = QTimer()
    timeout.setSingleShot(True)
    timeout.timeout.connect(loop.quit)

    t0 = time.perf_counter()
    panel = MapPanel(reg)
    result["construct_s"] = time.perf_counter() - t0
    panel.resize(900, 900)
    panel.show()

    def drawn(pins: int, ms: float) -> None:
        result["load_s"] = time.perf_counter() - t0
        result["in_page_ms"] = ms
        result["pins"] = pins
        loop.quit()

    panel.pinsDrawn.connect(drawn)
    timeout.start(60_000)
    loop.exec()
    if "load_s" not in result:
        raise RuntimeError(f"the page did not report its pins within 60 s: {panel.page.errors}")

    def js(expr: str):
        """The value of a JavaScript expression, through JSON (null -> None)."""
        box: list = []
        panel.page.runJavaScript(f"JSON.stringify({expr})", 0,
                                 lambda v: (box.append(v), loop.quit()))
        timeout.start(30_000)
        loop.exec()
        return json.loads(box[0]) if box and box[0] else None

    result["pins_js"] = js("Nazar.drawnPins()")
    result["phases"] = js("Nazar.status.phases")
    vector = reg.map.mbtiles is not None
    if vector:  # the basemap's first view, every tile painted
        t_end = time.perf_counter() + 30
        while time.perf_counter() < t_end:
            st = js("Nazar.basemapStats()")
            if st and st["tilesDrawn"] > 0 and st["pending"] == 0:
                result["basemap_s"] = time.perf_counter() - t0
                result["basemap"] = st
                break
    # One pan, redrawn: the time of the next animation frame after it, and with a vector
    # basemap, until every tile of the new view is painted (checked on every frame).
    js("(window.__t = null, window.__tb = null, (function(){ var m = Nazar.map();"
       " Nazar.stopAutoFit(); var before = Nazar.basemapStats().tilesDrawn;"
       " var t0 = performance.now(); m.panBy([200, 0], {animate: false});"
       " requestAnimationFrame(function(){ window.__t = performance.now() - t0; });"
       " function basemapDone() { var s = Nazar.basemapStats();"
       "   if (s.kind !== 'vector' || (s.pending === 0 && s.tilesDrawn > before)) {"
       "     window.__tb = performance.now() - t0; } else { requestAnimationFrame(basemapDone); } }"
       " requestAnimationFrame(basemapDone); })())")
    t_end = time.perf_counter() + 10
    while time.perf_counter() < t_end:
        v = js("[window.__t, window.__tb]")
        if v and v[0] is not None and v[1] is not None:
            result["pan_ms"] = v[0]
            result["pan_all_ms"] = max(v)
            break
    # 1,000 state changes in one call, redrawn.
    ids = list(reg.cameras)[:1000]
    states = {cid: ("live" if i % 3 else "offline") for i, cid in enumerate(ids)}
    script = mappage.js_call("Nazar.setStates", states)
    js("(window.__s = null)")
    js("(function(){ var t0 = performance.now(); " + script +
       " requestAnimationFrame(function(){ window.__s = performance.now() - t0; }); })()")
    t_end = time.perf_counter() + 10
    while time.perf_counter() < t_end:
        v = js("window.__s")
        if v is not None:
            result["states_ms"] = v
            break
    result["errors"] = list(panel.page.errors)
    result["blocked"] = list(panel.guard.blocked)
    panel.close()
    panel.deleteLater()
    app.processEvents()
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="map_bench", description=__doc__.splitlines()[0])
    p.add_argument("--cameras", type=int, default=10_000)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    register_schemes()  # the tile scheme, before the QApplication
    app = QApplication.instance() or QApplication(sys.argv[:1])
    import PySide6
    cpus = len(os.sched_getaffinity(0))
    print(f"Map panel benchmark: {cpus} CPU(s), Python {sys.version.split()[0]}, "
          f"PySide6 {PySide6.__version__}, offscreen, software rendering")

    from app import basemap
    try:
        vector_file = basemap.demo_basemap()
    except basemap.BasemapBuildError as exc:
        print(f"(no vector basemap: {exc})")
        vector_file = None
    first = True
    variants = [(n, kind) for n in (args.cameras, 436)
                for kind in (("builtin", "vector") if vector_file else ("builtin",))]
    for n, kind in variants:
        reg = load_registry(ROOT / "cameras.yaml") if n == 436 else big_registry(n)
        if kind == "vector":
            reg.map = dataclasses.replace(reg.map, tiles=None, mbtiles=vector_file)
        builds, size = measure_build(reg, args.runs)
        loads = [measure_load(app, reg) for _ in range(args.runs)]
        for r in loads:
            assert r["pins"] == r["pins_js"] == n, r
            assert not r["errors"] and not r["blocked"], r
        med = statistics.median
        print()
        print(f"{n:,} cameras ({'demo registry' if n == 436 else 'generated'}), "
              f"{kind} basemap, page {size / 1e6:.2f} MB, {args.runs} runs")
        print(f"  build page (Python)            median {med(builds) * 1000:7.0f} ms")
        print(f"  load until all pins painted    first  {loads[0]['load_s'] * 1000:7.0f} ms"
              + ("  (also starts Chromium's renderer)" if first else ""))
        first = False
        if len(loads) > 1:
            warm = [r["load_s"] for r in loads[1:]]
            print(f"                                 later  {med(warm) * 1000:7.0f} ms (median)")
        in_page = med(r["in_page_ms"] for r in loads)
        print(f"    of which in the page (JS)    median {in_page:7.0f} ms: "
              + ", ".join(f"{k} {med(r['phases'][k] for r in loads):.0f}"
                          for k in ("data", "areas", "layers"))
              + ", then the first paint")
        if kind == "vector":
            print(f"  basemap first view painted     median "
                  f"{med(r.get('basemap_s', float('nan')) for r in loads) * 1000:7.0f} ms"
                  " (from creating the panel)")
        print(f"  pan 200 px, pins redrawn       median "
              f"{med(r.get('pan_ms', float('nan')) for r in loads):7.0f} ms")
        pan_all = med(r.get("pan_all_ms", float("nan")) for r in loads)
        if kind == "vector":
            print(f"  pan 200 px, basemap too        median {pan_all:7.0f} ms")
        print(f"  1,000 state changes, redrawn   median "
              f"{med(r.get('states_ms', float('nan')) for r in loads):7.0f} ms")
        if n != 436:
            worst = max(max(r["load_s"], r.get("basemap_s", 0.0)) for r in loads)
            verdict = "meets" if worst <= TARGET_S else "MISSES"
            print(f"  target {TARGET_S:.1f} s for {n:,} cameras: slowest load {worst:.2f} s, "
                  f"{verdict} the target")
            verdict = "meets" if pan_all <= PAN_TARGET_MS else "MISSES"
            print(f"  target {PAN_TARGET_MS:.0f} ms for a 200 px pan: median {pan_all:.0f} ms, "
                  f"{verdict} the target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
