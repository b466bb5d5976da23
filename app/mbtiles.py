"""Basemaps (no Qt): an MBTiles reader, and which basemap the registry asks for (an intranet
tile server, an MBTiles file served by Nazar itself, or the built-in offline one)."""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from app.registry import MapConfig

MBTILES_SCHEME = "mbtiles"
MBTILES_URL = f"{MBTILES_SCHEME}://tiles/{{z}}/{{x}}/{{y}}"

class MBTilesError(Exception):
    """The MBTiles file cannot be used (the message says why)."""


class MBTiles:
    """A read-only MBTiles file: tiles by XYZ (rows are stored with TMS y, flipped here)."""

    MIME = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
            "webp": "image/webp"}

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                       check_same_thread=False)
            rows = self._db.execute("SELECT name, value FROM metadata").fetchall()
        except sqlite3.Error as exc:
            raise MBTilesError(f"{self.path}: not a readable MBTiles file ({exc})") from exc
        self.metadata = {str(k): str(v) for k, v in rows}
        fmt = self.metadata.get("format", "png").lower()
        if fmt not in self.MIME:
            raise MBTilesError(f"{self.path}: tile format '{fmt}' cannot be shown (raster "
                               f"png, jpg or webp only; vector 'pbf' tiles are not supported)")
        self.mime = self.MIME[fmt]

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        if z < 0 or z > 30 or not (0 <= x < 2 ** z and 0 <= y < 2 ** z):
            return None
        row = self._db.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
            (z, x, 2 ** z - 1 - y)).fetchone()
        return bytes(row[0]) if row else None

    def zoom_range(self) -> tuple[int, int]:
        try:
            lo = int(self.metadata["minzoom"])
            hi = int(self.metadata["maxzoom"])
            return lo, hi
        except (KeyError, ValueError):
            row = self._db.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
            return (int(row[0] or 0), int(row[1] or 0))

    def bounds(self) -> tuple[float, float, float, float] | None:
        """(south, west, north, east), from the metadata's "west,south,east,north"."""
        try:
            w, s, e, n = (float(v) for v in self.metadata["bounds"].split(","))
            return (s, w, n, e)
        except (KeyError, ValueError):
            return None

    def close(self) -> None:
        self._db.close()


@dataclass
class Basemap:
    kind: str  # "tiles" (intranet server), "mbtiles" (served by Nazar), "builtin"
    url: str | None = None
    attribution: str = ""
    min_zoom: int = 0
    max_native_zoom: int = 19
    note: str = ""  # shown on the map, e.g. why a configured basemap is not used

    def to_json(self) -> dict:
        return {"kind": self.kind, "url": self.url, "attribution": self.attribution,
                "minZoom": self.min_zoom, "maxNativeZoom": self.max_native_zoom,
                "note": self.note}


def basemap_for(config: MapConfig, mbtiles: MBTiles | None = None,
                mbtiles_problem: str = "") -> Basemap:
    """The basemap the configuration asks for: intranet tiles, else MBTiles, else built-in.

    The built-in areas are drawn under any basemap too; a configured basemap that cannot be
    used falls back to the built-in one, with a note saying why (never a blank page).
    """
    if config.tiles:
        return Basemap("tiles", config.tiles, config.attribution)
    if config.mbtiles is not None:
        if mbtiles is not None:
            lo, hi = mbtiles.zoom_range()
            attribution = config.attribution or mbtiles.metadata.get("attribution", "")
            return Basemap("mbtiles", MBTILES_URL, attribution, lo, hi)
        return Basemap("builtin", note=mbtiles_problem or "MBTiles basemap not available")
    return Basemap("builtin")


def tile_host(config: MapConfig) -> tuple[str, str, int] | None:
    """(scheme, host, port) of the intranet tile server: the only network address the page
    may reach."""
    if not config.tiles:
        return None
    m = re.match(r"^(https?)://([^/:{}]+|\[[^\]]+\])(?::(\d+))?(/|$)", config.tiles)
    if not m:
        return None
    scheme = m.group(1)
    port = int(m.group(3)) if m.group(3) else (443 if scheme == "https" else 80)
    return (scheme, m.group(2).lower(), port)

