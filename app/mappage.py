"""The map panel's page and its data (no Qt).

The page is a folium skeleton (Leaflet from the installed XStatic-Leaflet package, never a
CDN) plus `resources/map/nazar-map.js`, which draws everything from one JSON block: cameras
(as rows, not as thousands of folium markers), sites, police stations, divisions and their
approximate areas, and the state-style table (app/styles.py). Registry text reaches the page
only inside that JSON block, and the page only ever puts it into the DOM as text. Python
calls the page only through `js_call`, which JSON-escapes every argument.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app import areas, labels
from app.mbtiles import MBTILES_SCHEME, Basemap, basemap_for
from app.places import station_location
from app.registry import Registry
from app.styles import styles_for_page

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "resources" / "map"
QWEBCHANNEL_JS = "qrc:///qtwebchannel/qwebchannel.js"

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
            "id": did, "name": d.name, "title": labels.division_label(d),
            "colour": DIVISION_COLOURS[i % len(DIVISION_COLOURS)],
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
            "id": sid, "name": s.name, "label": labels.station_label(s),
            "division": div_index.get(s.division, -1),
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
            return labels.station_of(registry, station)
        return ""

    sites = []
    for sid in site_ids:
        site = registry.sites[sid]
        rec = site.recorder
        sites.append({
            "id": sid, "name": site.name, "kind": site.kind,
            "station": st_index.get(site.station, -1), "owner": site.owner,
            "contact": site.contact.name, "phone": site.contact.phone,
            "address": site.address, "loc": _ll(site.location.lat, site.location.lon),
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
        "styles": styles_for_page(),
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
    # Vector basemaps only: the vendored renderer and Nazar's style for it.
    vector_js: tuple[str, ...] = ()

    @classmethod
    def local(cls) -> PageAssets:
        leaflet = leaflet_dir()
        return cls(leaflet_js=(leaflet / "leaflet.js").as_uri(),
                   leaflet_css=(leaflet / "leaflet.css").as_uri(),
                   nazar_js=(RESOURCES / "nazar-map.js").as_uri(),
                   nazar_css=(RESOURCES / "nazar-map.css").as_uri(),
                   vector_js=((RESOURCES / "vendor" / "protomaps-leaflet.js").as_uri(),
                              (RESOURCES / "nazar-basemap.js").as_uri()))

    def urls(self) -> list[str]:
        return [self.leaflet_js, self.leaflet_css, self.nazar_js, self.nazar_css,
                self.qwebchannel_js, *self.vector_js]


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
    root: Any = fmap.get_root()  # a folium Figure (typed as a plain Element)
    root.title = title
    root.header.add_child(folium.CssLink(assets.nazar_css), name="nazar_css")
    root.header.add_child(folium.JavascriptLink(assets.qwebchannel_js), name="qwebchannel")
    root.header.add_child(folium.JavascriptLink(assets.nazar_js), name="nazar_js")
    if data["basemap"]["kind"] == "vector":
        for i, url in enumerate(assets.vector_js):
            root.header.add_child(folium.JavascriptLink(url), name=f"nazar_vector_{i}")
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
    server. A vector basemap's renderer may fetch from the page's own tile scheme only."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1).encode("utf-8")).digest())
        .decode("ascii") + "'" for m in _INLINE_SCRIPT.finditer(html))
    csp = ("default-src 'none'; "
           f"script-src file: qrc: {hashes}; style-src file: 'unsafe-inline'; "
           f"img-src file: data: {MBTILES_SCHEME}: {_csp_tiles(data)}; "
           "font-src file:; connect-src "
           + (f"{MBTILES_SCHEME}:" if data["basemap"]["kind"] == "vector" else "'none'"))
    meta = f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
    return html.replace(_CSP_PLACEHOLDER, meta, 1)


_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$")


def _csp_tiles(data: dict) -> str:
    """The intranet tile server's origin for the page's Content-Security-Policy, if any:
    rebuilt from its parsed scheme, host and port, never copied from the text, so nothing in
    the registry can add a directive (`; script-src *`) or leave the attribute."""
    basemap = data.get("basemap", {})
    url = basemap.get("url") or ""
    if basemap.get("kind") != "tiles":
        return ""
    m = re.match(r"^(https?)://([^/?#]*)", url)
    if m is None:
        return ""
    host, _, port = m.group(2).rpartition(":") if not m.group(2).endswith("]") \
        else (m.group(2), "", "")
    if not host:
        host, port = m.group(2), ""
    if not _HOST.match(host) or (port and not port.isdigit()):
        return ""
    return f"{m.group(1)}://{host}" + (f":{int(port)}" if port else "")


def build_page(registry: Registry, basemap: Basemap | None = None,
               assets: PageAssets | None = None) -> str:
    basemap = basemap or basemap_for(registry.map)
    return build_html(page_data(registry, basemap), assets or PageAssets.local())
