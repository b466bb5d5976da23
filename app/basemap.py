"""Offline vector basemaps (no Qt): `./nazar basemap build EXTRACT.osm.pbf` and the demo's
hand-drawn layer.

A control room has no internet, but OpenStreetMap extracts are open data. Debian's
`osmium-tool` cuts an extract to the registry's bounding box plus a margin, and Debian's
`tilemaker` turns it into vector MBTiles with Nazar's own small schema
(`resources/basemap/process.lua`, `config.json`): water, waterways, parks, rail, roads,
buildings and place names in English and Bengali. The map page draws those tiles itself
(`resources/map/nazar-basemap.js`, with the vendored protomaps-leaflet renderer).

The demo ships no extract: `resources/basemap/demo-kolkata.osm` is a small hand-drawn,
approximate layer (the Hooghly and its bridges, the main roads, the Maidan, the stations and
Lalbazar) built into tiles by the same pipeline and cached.
"""
from __future__ import annotations

import argparse
import hashlib
import math
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.registry import Registry

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_DIR = ROOT / "resources" / "basemap"
CONFIG = SCHEMA_DIR / "config.json"
PROCESS = SCHEMA_DIR / "process.lua"
DEMO_OSM = SCHEMA_DIR / "demo-kolkata.osm"
DEMO_ATTRIBUTION = "Approximate demo map, hand-drawn for Nazar: not for navigation"
OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"
TOOLS = {"osmium": "osmium-tool", "tilemaker": "tilemaker"}
MARGIN_KM = 3.0


class BasemapBuildError(Exception):
    """The basemap could not be built (the message says why and what to do)."""


@dataclass(frozen=True)
class BBox:
    west: float
    south: float
    east: float
    north: float

    def text(self) -> str:
        return f"{self.west:.6f},{self.south:.6f},{self.east:.6f},{self.north:.6f}"

    def grown(self, km: float) -> BBox:
        dlat = km / 111.32
        mid = math.radians((self.south + self.north) / 2)
        dlon = km / (111.32 * max(math.cos(mid), 0.01))
        return BBox(max(self.west - dlon, -180.0), max(self.south - dlat, -85.0),
                    min(self.east + dlon, 180.0), min(self.north + dlat, 85.0))


def registry_bbox(registry: Registry) -> BBox | None:
    """The box around every camera, site and police station of a registry."""
    from app.places import station_location
    pts = [(c.location.lat, c.location.lon) for c in registry.cameras.values()]
    pts += [(s.location.lat, s.location.lon) for s in registry.sites.values()]
    for sid in registry.stations:
        loc = station_location(registry, sid)
        if loc is not None:
            pts.append(loc)
    if not pts:
        return None
    return BBox(min(p[1] for p in pts), min(p[0] for p in pts),
                max(p[1] for p in pts), max(p[0] for p in pts))


def missing_tools() -> list[str]:
    """The Debian packages whose commands are not on PATH."""
    return [pkg for cmd, pkg in TOOLS.items() if shutil.which(cmd) is None]


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise BasemapBuildError(f"{what} failed (exit {proc.returncode}): " + " | ".join(tail))


def build(extract: Path, out: Path, bbox: BBox | None = None,
          margin_km: float = MARGIN_KM) -> Path:
    """Build a vector MBTiles file from an OSM extract (.osm.pbf, or .osm XML).

    With a bbox, the extract is first cut to it, grown by `margin_km`. The output is written
    beside `out` and renamed into place, so a failed build never leaves half a file.
    """
    extract = Path(extract)
    out = Path(out)
    if not extract.is_file():
        raise BasemapBuildError(f"{extract}: no such file")
    missing = missing_tools()
    if missing:
        raise BasemapBuildError("the basemap tools are missing: install the Debian packages "
                                + " ".join(missing) + " (./nazar basemap build installs them)")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nazar-basemap-") as tmp:
        work = Path(tmp)
        source = work / "in.osm.pbf"
        if bbox is not None:
            box = bbox.grown(margin_km)
            _run(["osmium", "extract", "--overwrite", "-b", box.text(), "-s", "complete_ways",
                  "-o", str(source), str(extract)], f"osmium extract of {extract}")
        else:
            _run(["osmium", "cat", "--overwrite", "-o", str(source), str(extract)],
                 f"osmium cat of {extract}")
        built = work / "out.mbtiles"
        cmd = ["tilemaker", "--input", str(source), "--output", str(built),
               "--config", str(CONFIG), "--process", str(PROCESS), "--threads", "2"]
        if bbox is not None:
            cmd += ["--bbox", bbox.grown(margin_km).text()]
        _run(cmd, f"tilemaker on {extract}")
        if not built.is_file():
            raise BasemapBuildError(f"tilemaker wrote no tiles for {extract}")
        partial = out.with_name(out.name + ".partial")
        shutil.copyfile(built, partial)
        os.replace(partial, out)
    return out


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nazar" / "basemap"


def demo_basemap(directory: Path | None = None) -> Path:
    """The demo's hand-drawn layer as vector MBTiles, built once and cached by content
    (a changed drawing or schema builds a new file)."""
    digest = hashlib.sha256()
    for f in (DEMO_OSM, CONFIG, PROCESS):
        digest.update(f.read_bytes())
    directory = directory or cache_dir()
    out = directory / f"demo-kolkata-{digest.hexdigest()[:12]}.mbtiles"
    if out.is_file():
        return out
    built = build(DEMO_OSM, out)
    for old in directory.glob("demo-kolkata-*.mbtiles"):
        if old != out:
            old.unlink(missing_ok=True)
    return built


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="nazar basemap", description=(
        "Build an offline vector basemap (MBTiles) from an OpenStreetMap extract, clipped "
        "to the registry's cameras plus a margin. Point cameras.yaml's map.mbtiles at it."))
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build from EXTRACT.osm.pbf")
    b.add_argument("extract", type=Path)
    b.add_argument("--config", type=Path, default=ROOT / "cameras.yaml",
                   help="the registry whose cameras set the box (default: cameras.yaml)")
    b.add_argument("--out", type=Path, default=None,
                   help="output file (default: basemap.mbtiles beside the registry)")
    b.add_argument("--margin-km", type=float, default=MARGIN_KM)
    b.add_argument("--no-clip", action="store_true", help="keep the whole extract")
    sub.add_parser("demo", help="build (or find) the demo's hand-drawn layer; print its path")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "demo":
            print(demo_basemap())
            return 0
        bbox = None
        if not args.no_clip:
            from app.registry import RegistryFileError, load_registry
            try:
                reg = load_registry(args.config)
            except (OSError, RegistryFileError) as exc:
                print(f"nazar basemap: {exc}", file=sys.stderr)
                return 2
            bbox = registry_bbox(reg)
        out = args.out or args.config.resolve().parent / "basemap.mbtiles"
        build(args.extract, out, bbox, args.margin_km)
    except BasemapBuildError as exc:
        print(f"nazar basemap: {exc}", file=sys.stderr)
        return 1
    from app.mbtiles import open_tiles
    tiles = open_tiles(out)
    lo, hi = tiles.zoom_range()
    n = tiles.count()
    tiles.close()
    print(f"nazar basemap: wrote {out} ({n} vector tiles, zoom {lo}-{hi}"
          + (f", box {bbox.grown(args.margin_km).text()}" if bbox else "") + ")")
    print("Use it: in cameras.yaml, under map:, set  mbtiles: "
          + os.path.relpath(out, args.config.resolve().parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
