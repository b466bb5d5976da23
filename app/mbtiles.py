"""Basemaps (no Qt): MBTiles and PMTiles readers, and which basemap the registry asks for
(an intranet tile server, a raster or vector tile file served by Nazar itself, or the
built-in offline one)."""
from __future__ import annotations

import functools
import gzip
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from pmtiles.reader import (MmapSource, Reader, deserialize_directory, deserialize_header,
                            find_tile, zxy_to_tileid)

from app.registry import MapConfig

MBTILES_SCHEME = "mbtiles"
MBTILES_URL = f"{MBTILES_SCHEME}://tiles/{{z}}/{{x}}/{{y}}"

class MBTilesError(Exception):
    """The MBTiles file cannot be used (the message says why)."""


VECTOR_MIME = "application/x-protobuf"


def _plain(data: bytes) -> bytes:
    """Vector tiles are usually stored gzipped; the page gets them plain."""
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


class MBTiles:
    """A read-only MBTiles file: tiles by XYZ (rows are stored with TMS y, flipped here).
    Raster (png, jpg, webp) or vector (pbf: Mapbox Vector Tiles, served unzipped)."""

    MIME = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
            "webp": "image/webp", "pbf": VECTOR_MIME, "mvt": VECTOR_MIME}

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
                               f"png, jpg or webp, or vector pbf)")
        self.mime = self.MIME[fmt]
        self.vector = self.mime == VECTOR_MIME

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        if z < 0 or z > 30 or not (0 <= x < 2 ** z and 0 <= y < 2 ** z):
            return None
        row = self._db.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
            (z, x, 2 ** z - 1 - y)).fetchone()
        if not row:
            return None
        return _plain(bytes(row[0])) if self.vector else bytes(row[0])

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM tiles").fetchone()[0])

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


def _number(value: object) -> int:
    """The reader's header holds enums (TileType, Compression): their numbers."""
    return int(getattr(value, "value", value) or 0)  # type: ignore[call-overload]


class PMTiles:
    """A read-only PMTiles (v3) archive, read with the `pmtiles` package: the same interface
    as MBTiles. Directories are cached, so a tile costs one lookup after the first."""

    TYPES = {1: VECTOR_MIME, 2: "image/png", 3: "image/jpeg", 4: "image/webp"}

    def __init__(self, path: Path):
        self.path = Path(path)
        self._file = None
        try:
            self._file = open(self.path, "rb")  # noqa: SIM115 (closed in close())
            self._get = MmapSource(self._file)
            if self._get(0, 7) != b"PMTiles":
                raise ValueError("no PMTiles magic number")
            self.header = deserialize_header(self._get(0, 127))
            if self.header.get("version") != 3:
                raise ValueError(f"version {self.header.get('version')}, not 3")
        except Exception as exc:  # the reader raises its own exception types
            if self._file is not None:
                self._file.close()
            raise MBTilesError(f"{self.path}: not a readable PMTiles version 3 archive "
                               f"({exc or type(exc).__name__})") from exc
        tile_type = _number(self.header["tile_type"])
        if tile_type not in self.TYPES:
            raise MBTilesError(f"{self.path}: tile type {tile_type} cannot be shown")
        self.mime = self.TYPES[tile_type]
        self.vector = self.mime == VECTOR_MIME
        try:
            meta = Reader(self._get).metadata()
        except (ValueError, OSError):
            meta = {}
        self.metadata = {str(k): str(v) for k, v in meta.items()} if isinstance(meta, dict) \
            else {}

    @functools.lru_cache(maxsize=64)  # noqa: B019 (one archive per map panel)
    def _directory(self, offset: int, length: int) -> list:
        data = self._get(offset, length)
        if _number(self.header.get("internal_compression")) == 1:  # none
            data = gzip.compress(data)  # the reader expects gzip, the usual compression
        return deserialize_directory(data)

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        if z < 0 or z > 30 or not (0 <= x < 2 ** z and 0 <= y < 2 ** z):
            return None
        tile_id = zxy_to_tileid(z, x, y)
        h = self.header
        offset, length = h["root_offset"], h["root_length"]
        for _ in range(4):
            entry = find_tile(self._directory(offset, length), tile_id)
            if entry is None:
                return None
            if entry.run_length == 0:
                offset, length = h["leaf_directory_offset"] + entry.offset, entry.length
                continue
            data = self._get(h["tile_data_offset"] + entry.offset, entry.length)
            return _plain(data) if _number(h.get("tile_compression")) == 2 else data
        return None

    def count(self) -> int:
        return int(self.header.get("addressed_tiles_count") or 0)

    def zoom_range(self) -> tuple[int, int]:
        return int(self.header["min_zoom"]), int(self.header["max_zoom"])

    def bounds(self) -> tuple[float, float, float, float] | None:
        h = self.header
        return (h["min_lat_e7"] / 1e7, h["min_lon_e7"] / 1e7,
                h["max_lat_e7"] / 1e7, h["max_lon_e7"] / 1e7)

    def close(self) -> None:
        self._directory.cache_clear()
        if self._file is not None:
            self._file.close()


def open_tiles(path: Path) -> MBTiles | PMTiles:
    """An MBTiles or PMTiles file, by its name."""
    path = Path(path)
    return PMTiles(path) if path.suffix.lower() == ".pmtiles" else MBTiles(path)


@dataclass
class Basemap:
    # "tiles" (intranet server), "mbtiles" (raster, served by Nazar), "vector" (vector tiles
    # served by Nazar, drawn by the page), "builtin"
    kind: str
    url: str | None = None
    attribution: str = ""
    min_zoom: int = 0
    max_native_zoom: int = 19
    note: str = ""  # shown on the map, e.g. why a configured basemap is not used

    def to_json(self) -> dict:
        return {"kind": self.kind, "url": self.url, "attribution": self.attribution,
                "minZoom": self.min_zoom, "maxNativeZoom": self.max_native_zoom,
                "note": self.note}


def basemap_for(config: MapConfig, mbtiles: MBTiles | PMTiles | None = None,
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
            return Basemap("vector" if mbtiles.vector else "mbtiles", MBTILES_URL,
                           attribution, lo, hi)
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

