"""The map panel's page and data, as plain Python (no Qt).

The page is a folium skeleton (Leaflet from the installed XStatic-Leaflet package, never a
CDN) plus `resources/map/nazar-map.js`, which draws everything from one JSON block: cameras
(as rows, not as thousands of folium markers), sites, police stations, divisions and their
approximate areas. Registry text reaches the page only inside that JSON block, and the page
only ever puts it into the DOM as text.

Also here, because they need no Qt: which cameras an area holds and in what order they go
to the wall, the one helper that builds Python-to-JavaScript calls, the merge of feed states
into one state per camera, a search index, and an MBTiles reader.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import sqlite3
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app import areas
from app.geometry import distance_m
from app.registry import Camera, MapConfig, Registry

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "resources" / "map"
QWEBCHANNEL_JS = "qrc:///qtwebchannel/qwebchannel.js"
MBTILES_SCHEME = "mbtiles"
MBTILES_URL = f"{MBTILES_SCHEME}://tiles/{{z}}/{{x}}/{{y}}"

AREA_KINDS = ("division", "station", "site")

# Several feeds can show one camera (main and sub stream): the map shows the best of them.
STATE_RANK = {"live": 0, "stalled": 1, "connecting": 2, "reconnecting": 3, "offline": 4,
              "error": 5, "closed": 6}

# Soft fills for the division areas of the built-in basemap (cycled).
DIVISION_COLOURS = ("#f2d7a7", "#cfe3c4", "#c9dcef", "#efc9c9", "#dccbe8", "#f5e6b3",
                    "#c4e4df", "#e8d3c0", "#d5d9b5", "#e3c8dd", "#c8d3e8", "#e9ddc4")


# ---------------------------------------------------------------------------------------------
# Escaping: the only ways registry text reaches the page
# ---------------------------------------------------------------------------------------------
def script_json(obj: Any) -> str:
    """JSON that is safe inside an HTML <script> element and as a JavaScript expression.

    `<`, `>` and `&` become \\u escapes, so no `</script>`, `<!--` or entity can end or
    change the script element, whatever the text (names may hold markup or Bengali script;
    ensure_ascii=False keeps Bengali readable). U+2028/U+2029 are escaped for old JS parsers.
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


_JS_NAME = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$")


def js_call(function: str, *args: Any) -> str:
    """`Nazar.highlight("KP-1", true)`: a call whose every argument is JSON-escaped data.

    The function name must be a plain dotted name (never built from data).
    """
    if not _JS_NAME.match(function):
        raise ValueError(f"not a plain JavaScript function name: {function!r}")
    return f"{function}({','.join(script_json(a) for a in args)});"


# ---------------------------------------------------------------------------------------------
# Camera states
# ---------------------------------------------------------------------------------------------
def camera_states(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """(camera id, feed state) pairs -> the best state per camera."""
    out: dict[str, str] = {}
    for cam, state in pairs:
        old = out.get(cam)
        if old is None or STATE_RANK.get(state, 9) < STATE_RANK.get(old, 9):
            out[cam] = state
    return out


def state_changes(old: dict[str, str], new: dict[str, str]) -> dict[str, str]:
    """What the page must be told: changed states, and "idle" for cameras no longer shown."""
    changes = {cam: st for cam, st in new.items() if old.get(cam) != st}
    changes.update({cam: "idle" for cam in old if cam not in new})
    return changes


# ---------------------------------------------------------------------------------------------
# Areas and the cameras in them
# ---------------------------------------------------------------------------------------------
def station_location(registry: Registry, station_id: str) -> tuple[float, float] | None:
    """The station's location, else the mean of its cameras' (for the area and the card)."""
    st = registry.stations.get(station_id)
    if st is not None and st.location is not None:
        return (st.location.lat, st.location.lon)
    cams = registry.cameras_of_station(station_id)
    if not cams:
        return None
    return (sum(c.location.lat for c in cams) / len(cams),
            sum(c.location.lon for c in cams) / len(cams))


def order_for_wall(cams: Iterable[Camera], centre: tuple[float, float] | None) -> list[str]:
    """Police cameras first, then private; each nearest the centre first (then by id)."""
    def key(c: Camera) -> tuple[int, float, str]:
        d = distance_m(centre[0], centre[1], c.location.lat, c.location.lon) if centre else 0.0
        return (0 if c.is_police else 1, round(d, 1), c.id)
    return [c.id for c in sorted(cams, key=key)]


def area_centre(registry: Registry, kind: str, area_id: str) -> tuple[float, float] | None:
    if kind == "site":
        s = registry.sites[area_id]
        return (s.location.lat, s.location.lon)
    if kind == "station":
        return station_location(registry, area_id)
    div = registry.divisions[area_id]
    pts = [p for p in (station_location(registry, s) for s in div.stations) if p]
    if not pts:
        return None
    return (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))


def is_known_area(registry: Registry, kind: str, area_id: str) -> bool:
    table = {"division": registry.divisions, "station": registry.stations,
             "site": registry.sites}.get(kind)
    return table is not None and isinstance(area_id, str) and area_id in table


def cameras_in_area(registry: Registry, kind: str, area_id: str) -> list[str]:
    """The cameras of a division, police station (its police cameras and the private cameras
    at sites in its area) or site, in wall order. Unknown kind or id: ValueError."""
    if not is_known_area(registry, kind, area_id):
        raise ValueError(f"unknown {kind} {area_id!r}")
    if kind == "site":
        cams = registry.cameras_of_site(area_id)
    elif kind == "station":
        cams = registry.cameras_of_station(area_id)
    else:
        stations = set(registry.divisions[area_id].stations)
        cams = [c for c in registry.cameras.values() if c.station in stations]
    return order_for_wall(cams, area_centre(registry, kind, area_id))


def cameras_in_rect(registry: Registry, south: float, west: float, north: float,
                    east: float) -> list[str]:
    """The cameras inside a rectangle drawn on the map, in wall order (from its centre)."""
    vals = (south, west, north, east)
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in vals):
        raise ValueError("a rectangle needs four finite numbers")
    s, n = sorted((south, north))
    w, e = sorted((west, east))
    cams = [c for c in registry.cameras.values()
            if s <= c.location.lat <= n and w <= c.location.lon <= e]
    return order_for_wall(cams, ((s + n) / 2, (w + e) / 2))


def area_label(registry: Registry, kind: str, area_id: str) -> str:
    if kind == "division":
        return f"{registry.divisions[area_id].name} Division"
    if kind == "station":
        return f"{registry.stations[area_id].name} PS"
    return registry.sites[area_id].name


# ---------------------------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------------------------
def fold(text: str) -> str:
    """For matching: NFC (Bengali has two spellings of some letters) and case-folded."""
    return unicodedata.normalize("NFC", text).casefold().strip()


SEARCH_ORDER = {"division": 0, "station": 1, "site": 2, "camera": 3}


@dataclass(frozen=True)
class SearchEntry:
    kind: str  # "camera", "site", "station", "division"
    id: str
    label: str  # what the list shows
    text: str  # folded text to match


def search_entries(registry: Registry) -> list[SearchEntry]:
    """Areas first (divisions, stations, sites), then cameras; every one with its label."""
    out: list[SearchEntry] = []
    for d in registry.divisions.values():
        label = f"{d.name} Division"
        out.append(SearchEntry("division", d.id, label, fold(f"{label} {d.id}")))
    for s in registry.stations.values():
        div = registry.divisions.get(s.division)
        label = f"{s.name} PS ({div.name if div else s.division})"
        out.append(SearchEntry("station", s.id, label, fold(f"{label} {s.id}")))
    for s in registry.sites.values():
        label = f"{s.name} [{s.kind.replace('_', ' ')}]"
        out.append(SearchEntry("site", s.id, label, fold(f"{label} {s.id}")))
    for c in registry.cameras.values():
        label = f"{c.name} ({c.id})"
        out.append(SearchEntry("camera", c.id, label, fold(f"{label} {c.number}")))
    return out


def search(entries: list[SearchEntry], query: str, limit: int = 50) -> list[SearchEntry]:
    """Entries containing every word of the query; those whose label starts with it first."""
    words = fold(query).split()
    if not words:
        return []
    hits = [e for e in entries if all(w in e.text for w in words)]
    first = fold(query)
    hits.sort(key=lambda e: (not e.text.startswith(first), SEARCH_ORDER.get(e.kind, 9)))
    return hits[:limit]



# ---------------------------------------------------------------------------------------------
# Basemap
# ---------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------
# The page data
# ---------------------------------------------------------------------------------------------
def _r(x: float) -> float:
    return round(x, 6)


def _ll(lat: float, lon: float) -> list[float]:
    return [_r(lat), _r(lon)]


def page_data(registry: Registry, basemap: Basemap) -> dict:
    """Everything the page draws, as one JSON-able dict."""
    st_ids = list(registry.stations)
    st_index = {sid: i for i, sid in enumerate(st_ids)}
    div_ids = list(registry.divisions)
    div_index = {did: i for i, did in enumerate(div_ids)}
    site_ids = list(registry.sites)
    site_index = {sid: i for i, sid in enumerate(site_ids)}

    # Approximate areas from station locations (or their cameras' centre).
    st_points = []
    for sid in st_ids:
        loc = station_location(registry, sid)
        if loc is not None:
            st_points.append((sid, registry.stations[sid].division, loc))
    all_points = [p[2] for p in st_points] + [
        (c.location.lat, c.location.lon) for c in registry.cameras.values()]
    box = areas.box_for([p[2] for p in st_points]) if st_points else areas.box_for(all_points)
    st_areas, div_areas = areas.build_areas(st_points, box) if st_points else ([], [])
    cell_of = {a.id: a.cell for a in st_areas}
    div_area = {a.id: a for a in div_areas}

    counts_st: dict[str, list[int]] = {sid: [0, 0] for sid in st_ids}
    counts_site: dict[str, int] = {sid: 0 for sid in site_ids}
    for c in registry.cameras.values():
        if c.station in counts_st:
            counts_st[c.station][0 if c.is_police else 1] += 1
        if c.site in counts_site:
            counts_site[c.site] += 1

    divisions = []
    for i, did in enumerate(div_ids):
        d = registry.divisions[did]
        a = div_area.get(did)
        divisions.append({
            "id": did, "name": d.name, "colour": DIVISION_COLOURS[i % len(DIVISION_COLOURS)],
            "rings": [[_ll(*p) for p in ring] for ring in a.rings] if a else [],
            "label": _ll(*a.label) if a else None,
            "cameras": sum(sum(counts_st.get(s, [0, 0])) for s in d.stations)})
    stations = []
    first_at: dict[tuple[float, float], int] = {}
    for i, sid in enumerate(st_ids):
        s = registry.stations[sid]
        loc = station_location(registry, sid)
        # A station at the same address as an earlier one (a women's police station beside
        # the station) shares its area: the page labels the place once.
        same_as = first_at.setdefault((_r(loc[0]), _r(loc[1])), i) if loc else i
        stations.append({
            "sameAs": same_as if same_as != i else -1,
            "id": sid, "name": s.name, "division": div_index.get(s.division, -1),
            "phone": s.phone or "", "loc": _ll(*loc) if loc else None,
            "approx": s.location is None,
            "cell": [_ll(*p) for p in cell_of.get(sid, [])],
            "police": counts_st[sid][0], "private": counts_st[sid][1]})

    recorders: list[list] = []
    rec_index: dict[tuple, int] = {}

    def recorder_ref(room: str, days: int, place: str) -> int:
        key = (room, days, place)
        if key not in rec_index:
            rec_index[key] = len(recorders)
            recorders.append([room, days, place])
        return rec_index[key]

    def place_of_recorder(site: str | None, station: str | None) -> str:
        if site and site in registry.sites:
            return registry.sites[site].name
        if station and station in registry.stations:
            return f"{registry.stations[station].name} PS"
        return ""

    sites = []
    for sid in site_ids:
        s = registry.sites[sid]
        rec = s.recorder
        sites.append({
            "id": sid, "name": s.name, "kind": s.kind, "station": st_index.get(s.station, -1),
            "owner": s.owner, "contact": s.contact.name, "phone": s.contact.phone,
            "address": s.address, "loc": _ll(s.location.lat, s.location.lon),
            "recorder": rec.room if rec else "", "retention": rec.retention_days if rec else None,
            "cameras": counts_site[sid]})

    rows = []
    for c in registry.cameras.values():
        cov = c.coverage
        rec = c.recorder
        rows.append([
            c.id, c.name, 1 if c.is_police else 0, _r(c.location.lat), _r(c.location.lon),
            st_index.get(c.station, -1), site_index.get(c.site, -1) if c.site else -1,
            round(cov.bearing, 1) if cov else None, round(cov.fov, 1) if cov else None,
            round(cov.range_m, 1) if cov else None,
            recorder_ref(rec.room, rec.retention_days, place_of_recorder(rec.site, rec.station))
            if rec else -1,
            c.number, c.floor or ""])

    # Where the map opens: the configured centre and zoom, else fitted to the cameras.
    cfg = registry.map
    fit = None
    if cfg.center is not None:
        centre = (cfg.center.lat, cfg.center.lon)
    else:
        pts = [(c.location.lat, c.location.lon) for c in registry.cameras.values()] or \
            [p[2] for p in st_points]
        if pts:
            fit = [_ll(min(p[0] for p in pts), min(p[1] for p in pts)),
                   _ll(max(p[0] for p in pts), max(p[1] for p in pts))]
            centre = ((fit[0][0] + fit[1][0]) / 2, (fit[0][1] + fit[1][1]) / 2)
            if fit[1][0] - fit[0][0] < 0.002 and fit[1][1] - fit[0][1] < 0.002:
                fit = None  # one place: centre on it at the configured zoom
        else:
            centre = (22.5726, 88.3639)  # Kolkata
    return {
        "version": 1,
        "centre": _ll(*centre), "zoom": cfg.zoom, "fit": fit, "box": [_r(v) for v in box],
        "basemap": basemap.to_json(),
        "divisions": divisions, "stations": stations, "sites": sites,
        "recorders": recorders,
        "cameraFields": ["id", "name", "police", "lat", "lon", "station", "site", "bearing",
                         "fov", "range", "recorder", "number", "floor"],
        "cameras": rows,
    }


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PageAssets:
    """Where the page loads its code from: local files and Qt's built-in resources only."""

    leaflet_js: str
    leaflet_css: str
    nazar_js: str
    nazar_css: str
    qwebchannel_js: str = QWEBCHANNEL_JS

    @classmethod
    def local(cls) -> PageAssets:
        leaflet = leaflet_dir()
        return cls(leaflet_js=(leaflet / "leaflet.js").as_uri(),
                   leaflet_css=(leaflet / "leaflet.css").as_uri(),
                   nazar_js=(RESOURCES / "nazar-map.js").as_uri(),
                   nazar_css=(RESOURCES / "nazar-map.css").as_uri())

    def urls(self) -> list[str]:
        return [self.leaflet_js, self.leaflet_css, self.nazar_js, self.nazar_css,
                self.qwebchannel_js]


def leaflet_dir() -> Path:
    """Leaflet's files from the XStatic-Leaflet package (a declared dependency)."""
    import xstatic.pkg.leaflet as xl
    return Path(xl.BASE_DIR)


def build_html(data: dict, assets: PageAssets, title: str = "Nazar map") -> str:
    """The whole page: folium's Leaflet skeleton with local assets and the data block."""
    import folium  # imported here: ~0.3 s, only the map needs it

    fmap = folium.Map(location=data["centre"], zoom_start=data["zoom"], tiles=None,
                      prefer_canvas=True, control_scale=True, zoom_control=True,
                      attribution_control=False, box_zoom=False, double_click_zoom=True,
                      max_zoom=20, min_zoom=3, fade_animation=False)
    # Never a CDN: Leaflet from the installed package, nothing else of folium's defaults.
    fmap.default_js = [("leaflet", assets.leaflet_js)]
    fmap.default_css = [("leaflet_css", assets.leaflet_css)]
    root = fmap.get_root()
    root.title = title
    root.header.add_child(folium.CssLink(assets.nazar_css), name="nazar_css")
    root.header.add_child(folium.JavascriptLink(assets.qwebchannel_js), name="qwebchannel")
    root.header.add_child(folium.JavascriptLink(assets.nazar_js), name="nazar_js")
    root.header.add_child(folium.Element(_CSP_PLACEHOLDER), name="csp")
    root.html.add_child(folium.Element(
        f'<script type="application/json" id="nazar-data">{script_json(data)}</script>'),
        name="nazar_data")
    root.html.add_child(folium.Element(
        "<script>document.addEventListener('DOMContentLoaded', function () {"
        f" Nazar.start({fmap.get_name()}, 'nazar-data'); }});</script>"), name="nazar_start")
    return _with_csp(root.render(), data)


_CSP_PLACEHOLDER = "<!--nazar-csp-->"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _with_csp(html: str, data: dict) -> str:
    """Add a Content-Security-Policy: scripts only from local files, Qt's resources and the
    page's own inline scripts (by hash, so an injected inline handler such as `onerror=` would
    not run), no connections, images only from local files, MBTiles and the intranet tile
    server."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1).encode("utf-8")).digest())
        .decode("ascii") + "'" for m in _INLINE_SCRIPT.finditer(html))
    csp = ("default-src 'none'; "
           f"script-src file: qrc: {hashes}; style-src file: 'unsafe-inline'; "
           f"img-src file: data: {MBTILES_SCHEME}: {_csp_tiles(data)}; "
           "font-src file:; connect-src 'none'")
    meta = f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
    return html.replace(_CSP_PLACEHOLDER, meta, 1)


def _csp_tiles(data: dict) -> str:
    """The intranet tile server's origin for the page's Content-Security-Policy, if any."""
    url = data.get("basemap", {}).get("url") or ""
    m = re.match(r"^(https?://[^/{}]+)", url)
    return m.group(1) if m and data["basemap"]["kind"] == "tiles" else ""


def build_page(registry: Registry, basemap: Basemap | None = None,
               assets: PageAssets | None = None) -> str:
    basemap = basemap or basemap_for(registry.map)
    return build_html(page_data(registry, basemap), assets or PageAssets.local())
