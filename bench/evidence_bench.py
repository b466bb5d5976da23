"""Evidence-sheet benchmark: the whole bundle of an incident with 100 selected cameras.

    .venv/bin/python -m bench.evidence_bench [--cameras 100] [--recorders 10] [--runs 3]

A registry is generated: one mall (with a footprint) whose N cameras are spread over R
recorders (with make, model, serial; some inside the footprint, some outside, verified and
not), so that a raise at the mall selects all N. The incident is raised through the real
AlarmDesk with a SettingsStore and an audit log (N view rows), and 20 snapshots of its cameras
are in the snapshot directory. Measured: `app.evidence.export_bundle` end to end (reading the
incident and the audit log, selection, the sheet, HTML, CSV, JSON, the snapshots copied and
hashed, the manifest, and the PDF printed by Qt in its own process), the median of the runs;
limit 5 s. Also shown: the same without the PDF. Exit status 1 over the limit.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app import audit, evidence  # noqa: E402
from app.alarm import AlarmDesk  # noqa: E402
from app.commands import WallCommands  # noqa: E402
from app.layouts import LAYOUTS, WallModel  # noqa: E402
from app.registry import Registry, load_registry  # noqa: E402
from app.settings import SettingsStore  # noqa: E402

LIMIT_S = 5.0
LAT, LON = 22.5014, 88.3616
MAKES = (("Hikvision", "DS-7732NI-K4"), ("CP Plus", "CP-UVR-1601E1-HC"),
         ("Dahua", "DHI-NVR4216-4KS2/L"))


def registry_yaml(cameras: int, recorders: int) -> str:
    """One division, one station, one mall with a footprint, `cameras` cameras at the mall
    on `recorders` recorders."""
    def at(dx: float, dy: float) -> str:
        lat = LAT + dy / 111_320.0
        lon = LON + dx / (111_320.0 * math.cos(math.radians(LAT)))
        return f"{{lat: {lat:.6f}, lon: {lon:.6f}}}"

    out = ["version: 1", "divisions:", "  - id: south", "    name: South", "    stations:",
           f"      - {{id: golf-green, name: Golf Green, location: {at(-900, 400)}, "
           'phone: "+91 98300 01066"}', "sites:", "  - id: bench-mall",
           "    name: Bench Mall", "    kind: mall", "    station: golf-green",
           "    owner: Bench Mall management",
           '    contact: {name: Security control room (24x7), phone: "+91 98300 00101"}',
           "    address: 1 Bench Rd, Kolkata", f"    location: {at(0, 0)}",
           "    footprint:"]
    out += [f"      - {at(dx, dy)}" for dx, dy in ((-60, 60), (60, 60), (60, -60), (-60, -60))]
    out.append("cameras:")
    for i in range(cameras):
        r = i % recorders
        make, model = MAKES[r % len(MAKES)]
        inside = r % 3 != 2
        verified = f'      retention_verified_at: "2024-12-{r % 28 + 1:02d}"\n' if r % 2 else ""
        ang = 2 * math.pi * i / cameras
        out.append(
            f"  - id: BM-{i + 1:03d}\n"
            f"    name: Bench Mall camera {i + 1}\n"
            "    ownership: private\n"
            "    site: bench-mall\n"
            f"    location: {at(40 * math.cos(ang), 40 * math.sin(ang))}\n"
            f"    coverage: {{bearing: {(i * 37) % 360}, fov: 80, range_m: 40}}\n"
            '    streams: {main: "demo://atrium"}\n'
            f"    level: L{i % 5}\n"
            "    recorder:\n"
            f"      id: bm-nvr-{r + 1:02d}\n"
            "      site: bench-mall\n"
            f"      room: Recorder room {r + 1}\n"
            f"      location: {at(-30 + 10 * r, -20) if inside else at(200, 200 + 10 * r)}\n"
            f"      retention_days: {(7, 15, 30, 45, 60)[r % 5]}\n"
            f"{verified}"
            f"      make: {make}\n"
            f"      model: {model}\n"
            f"      serial: BENCH{r + 1:04d}X\n")
    return "\n".join(out) + "\n"


def setup(work: Path, cameras: int, recorders: int) -> tuple[Registry, Path, Path, str]:
    path = work / "cameras.yaml"
    path.write_text(registry_yaml(cameras, recorders), encoding="utf-8")
    reg = load_registry(path)
    if reg.problems:
        raise SystemExit("bench registry has problems:\n" + "\n".join(map(str, reg.problems)))
    settings = work / "settings"
    store = SettingsStore(settings)
    log = audit.AuditLog(settings / audit.FILE_NAME)
    cmds = WallCommands(WallModel(layout=LAYOUTS["3x3"]), reg, store=store)
    desk = AlarmDesk(cmds, reg, store, log)
    inc = cmds.run("raise_incident", LAT, LON, kind="fire", site_id="bench-mall").value
    cmds.run("acknowledge")
    store.close()
    log.close()
    picks = len(desk.current().picks)  # type: ignore[union-attr]
    if picks != cameras:
        raise SystemExit(f"the raise selected {picks} cameras, not {cameras}")
    snaps = work / "snapshots"
    snaps.mkdir()
    raised = desk.current().incident.raised_at  # type: ignore[union-attr]
    for i in range(20):
        stem = f"BM-{i + 1:03d}_snapshot"
        (snaps / f"{stem}.png").write_bytes(os.urandom(200_000))  # a 1080p PNG's order
        (snaps / f"{stem}.json").write_text(json.dumps({
            "camera": {"id": f"BM-{i + 1:03d}"}, "time": raised.isoformat(),
            "operator": "bench", "image": f"{stem}.png"}), encoding="utf-8")
    return reg, settings, snaps, inc


def run(cameras: int, recorders: int, runs: int) -> int:
    with tempfile.TemporaryDirectory(prefix="nazar-evidence-bench-") as tmp:
        work = Path(tmp)
        reg, settings, snaps, inc = setup(work, cameras, recorders)
        full, bare = [], []
        for i in range(runs):
            t = time.perf_counter()
            b = evidence.export_bundle(inc, work / f"full-{i}", registry=reg,
                                       settings_dir=settings, snapshot_dir=snaps,
                                       recordings_dir=work / "recordings")
            full.append(time.perf_counter() - t)
            if "sheet.pdf" not in b.files:
                print(f"the PDF was not printed: {b.problems}", file=sys.stderr)
                return 1
            t = time.perf_counter()
            evidence.export_bundle(inc, work / f"bare-{i}", registry=reg,
                                   settings_dir=settings, snapshot_dir=snaps,
                                   recordings_dir=work / "recordings", pdf_writer=None)
            bare.append(time.perf_counter() - t)
        pages = len(re.findall(rb"/Type\s*/Page[^s]", (work / "full-0" / "sheet.pdf").read_bytes()))
        med = statistics.median(full)
        ok = med <= LIMIT_S
        print(f"evidence bundle, {cameras} selected cameras on {recorders} recorders, "
              f"20 snapshots: {med:.2f} s (limit {LIMIT_S:g} s) {'OK' if ok else 'OVER'}")
        print(f"  runs: {', '.join(f'{x:.2f}' for x in full)} s; without the PDF: "
              f"{statistics.median(bare):.2f} s; the PDF: {pages} pages, "
              f"{(work / 'full-0' / 'sheet.pdf').stat().st_size // 1024} KiB; "
              f"{os.cpu_count()} CPUs")
        return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.evidence_bench",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--cameras", type=int, default=100)
    p.add_argument("--recorders", type=int, default=10)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args(argv)
    return run(args.cameras, args.recorders, max(1, args.runs))


if __name__ == "__main__":
    sys.exit(main())
