"""The map page and its data, built without a view: escaping, offline assets, areas, picks,
states, search and the MBTiles reader. No Qt here."""
from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.streams import State, StatusReading
from app import areas, health, mappage, mbtiles, places, search as search_mod
from app.geometry import distance_m
from app.registry import MapConfig, load_registry
from tests.conftest import DEMO_REGISTRY, registry_text

EVIL_CAMERA = '<img src=x onerror="window.__pwned=1">'
EVIL_SCRIPT = "</script><script>window.__pwned=2</script><!--"
# "Howrah bridge", with quotes; ড় written precomposed (U+09DC), as some keyboards do.
BENGALI = ("\u09b9\u09be\u0993\u09dc\u09be \u09ac\u09cd\u09b0\u09bf\u099c \u2014 "
           "\"\u09aa\u09c2\u09b0\u09cd\u09ac\"")


def evil_registry_text() -> str:
    """Cameras and a site whose text is markup, script, quotes and Bengali."""
    def cam(cam_id: str, name: str, extra: str = "") -> str:
        return (f"  - id: {cam_id}\n    name: {json.dumps(name)}\n    ownership: police\n"
                f"    station: park-street\n    location: {{lat: 22.553, lon: 88.351}}\n"
                f"    coverage: {{bearing: 45, fov: 60, range_m: 80}}\n"
                f"    streams: {{main: \"demo://junction?size=320x180&fps=5\"}}\n{extra}")
    cams = (cam("EVIL-1", EVIL_CAMERA) + cam("EVIL-2", EVIL_SCRIPT) + cam("BN-1", BENGALI)
            + "  - id: SCM-1\n    name: \"Mall 'atrium' & <b>bold</b>\"\n"
              "    ownership: private\n    site: south-city-mall\n"
              "    location: {lat: 22.5015, lon: 88.3617}\n"
              "    streams: {main: \"demo://atrium?size=320x180&fps=5\"}\n")
    sites = f"""\
  - id: south-city-mall
    name: {json.dumps("South City <Mall> " + EVIL_SCRIPT)}
    kind: mall
    station: jadavpur
    owner: {json.dumps(EVIL_CAMERA)}
    contact: {{name: "Security <b>room</b>", phone: "+91 98300 00000"}}
    address: "375 Prince Anwar Shah Rd & 'more'"
    location: {{lat: 22.5014, lon: 88.3616}}
    recorder: {{room: {json.dumps("B1 " + BENGALI)}, retention_days: 30}}
"""
    return registry_text(cams, sites=sites)


@pytest.fixture
def evil_registry(write_yaml):
    reg = load_registry(write_yaml(evil_registry_text()))
    assert not reg.problems, reg.problems
    return reg


@pytest.fixture(scope="module")
def demo():
    return load_registry(DEMO_REGISTRY)


def data_block(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="nazar-data">(.*?)</script>', html,
                  re.DOTALL)
    assert m, "no data block"
    return json.loads(m.group(1))


# -- escaping ----------------------------------------------------------------------------------
def test_script_json_cannot_end_the_script_element_and_keeps_the_text():
    text = mappage.script_json({"n": EVIL_SCRIPT, "b": BENGALI, "amp": "a & b", "ls": "x\u2028y"})
    for bad in ("<", ">", "&", "\u2028"):
        assert bad not in text
    assert BENGALI[:5] in text  # Bengali stays readable, not \u-escaped
    assert json.loads(text) == {"n": EVIL_SCRIPT, "b": BENGALI, "amp": "a & b", "ls": "x\u2028y"}


def test_js_call_escapes_arguments_and_refuses_names_built_from_data():
    call = mappage.js_call("Nazar.highlight", EVIL_SCRIPT, True, None)
    assert call.startswith("Nazar.highlight(") and call.endswith(");")
    assert "</script" not in call and "<" not in call
    args = json.loads("[" + call[len("Nazar.highlight("):-2] + "]")
    assert args == [EVIL_SCRIPT, True, None]
    for bad in ("alert(1);x", "Nazar.highlight()", "a b", "Nazar[0]", ""):
        with pytest.raises(ValueError):
            mappage.js_call(bad)


def test_registry_text_reaches_the_page_only_as_json_data(evil_registry):
    html = mappage.build_page(evil_registry)
    # Nothing from the registry became markup: the only <img or <b is none at all.
    assert "<img" not in html and "<b>" not in html
    assert html.count("</script>") == html.count("<script")  # no early end of a script
    data = data_block(html)
    names = {row[0]: row[1] for row in data["cameras"]}
    assert names["EVIL-1"] == EVIL_CAMERA
    assert names["EVIL-2"] == EVIL_SCRIPT
    assert names["BN-1"] == BENGALI
    assert data["sites"][0]["owner"] == EVIL_CAMERA
    assert data["sites"][0]["name"].startswith("South City <Mall>")


def test_the_page_has_inline_script_hashes_and_no_unsafe_inline(evil_registry):
    html = mappage.build_page(evil_registry)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "connect-src 'none'" in csp
    n_inline = len(re.findall(r"<script>", html))
    assert n_inline >= 2 and csp.count("'sha256-") == n_inline


@pytest.mark.parametrize("url, origin", [
    ("http://tiles.kp.local:8080/{z}/{x}/{y}.png", "http://tiles.kp.local:8080"),
    ("https://10.1.2.3/{z}/{x}/{y}", "https://10.1.2.3"),
    ("http://[fd00::5]:81/{z}/{x}/{y}", "http://[fd00::5]:81"),
    ("http://evil.example;script-src * 'unsafe-inline'/{z}/{x}/{y}", ""),
    ('http://a"><script>alert(1)</script>/{z}/{x}/{y}', ""),
    ("http://host:99x/{z}/{x}/{y}", ""),
])
def test_the_csp_takes_only_the_tile_servers_parsed_origin(demo, url, origin):
    """[harden] 14: the tile URL went into the page's Content-Security-Policy as written, so
    a crafted value could add a directive or leave the attribute."""
    from app.mbtiles import Basemap

    html = mappage.build_page(demo, Basemap("tiles", url))
    metas = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    assert len(metas) == 1
    csp = metas[0]
    img = csp.split("img-src")[1].split(";")[0].split()
    assert img == ["file:", "data:", "mbtiles:"] + ([origin] if origin else [])
    script = csp.split("script-src")[1].split(";")[0].split()
    assert script[:2] == ["file:", "qrc:"] and all(s.startswith("'sha256-") for s in script[2:])
    assert csp.count(";") == 5  # default, script, style, img, font, connect: nothing added


def test_a_tile_url_with_csp_or_html_characters_is_a_registry_problem(write_yaml):
    from tests.conftest import registry_text

    text = registry_text(extra_top='map: {tiles: "http://x;script-src */{z}/{x}/{y}"}\n')
    reg = load_registry(write_yaml(text))
    problem = next(p for p in reg.problems if p.field == "map.tiles")
    assert "cannot contain" in problem.message and "';'" in problem.message
    assert reg.map.tiles is None  # not used: the built-in basemap instead


# -- offline -----------------------------------------------------------------------------------
def test_the_page_loads_nothing_from_the_network(demo):
    html = mappage.build_page(demo)
    assert not re.search(r"https?://", html), re.findall(r"https?://[^\s\"'<>]+", html)[:5]
    srcs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert srcs, "no assets?"
    for url in srcs:
        assert url.startswith(("file:///", "qrc:///")), url
        if url.startswith("file:///"):
            assert Path(url[len("file://"):]).is_file(), url
    assert any(u.endswith("/leaflet.js") for u in srcs)
    assert "jquery" not in html.lower() and "bootstrap" not in html.lower()


def test_page_data_has_every_camera_station_site_and_division(demo):
    data = mappage.page_data(demo, mbtiles.basemap_for(demo.map))
    assert len(data["cameras"]) == len(demo.cameras) == 436
    assert len(data["stations"]) == 84 and len(data["sites"]) == 24
    assert len(data["divisions"]) == 10
    assert all(len(s["cell"]) >= 3 for s in data["stations"])
    assert all(d["rings"] and d["label"] for d in data["divisions"])
    fields = data["cameraFields"]
    row = dict(zip(fields, data["cameras"][0]))
    cam = next(iter(demo.cameras.values()))
    assert (row["id"], row["lat"], row["lon"]) == (cam.id, cam.location.lat, cam.location.lon)
    site = data["sites"][0]
    reg_site = next(iter(demo.sites.values()))
    assert site["cameras"] == len(demo.cameras_of_site(reg_site.id)) > 0
    assert site["retention"] == reg_site.recorder.retention_days
    assert site["contact"] == reg_site.contact.name and site["phone"] == reg_site.contact.phone


def test_the_map_opens_on_the_cameras_or_the_configured_centre(demo, write_yaml):
    data = mappage.page_data(demo, mbtiles.basemap_for(demo.map))
    (s, w), (n, e) = data["fit"]
    lats = [c.location.lat for c in demo.cameras.values()]
    assert (s, n) == (pytest.approx(min(lats)), pytest.approx(max(lats)))
    # One place only (nothing to fit): centred on it.
    one = load_registry(write_yaml(registry_text()))
    data = mappage.page_data(one, mbtiles.basemap_for(one.map))
    assert data["fit"] is None and data["centre"] == [22.553, 88.351]
    fixed = load_registry(write_yaml(registry_text(
        extra_top="map: {center: {lat: 22.6, lon: 88.4}, zoom: 15}\n")))
    data = mappage.page_data(fixed, mbtiles.basemap_for(fixed.map))
    assert (data["fit"], data["centre"], data["zoom"]) == (None, [22.6, 88.4], 15)


def test_basemap_choice_and_tile_host(tmp_path):
    assert mbtiles.basemap_for(MapConfig()).kind == "builtin"
    tiles = MapConfig(tiles="http://10.1.2.3:8080/osm/{z}/{x}/{y}.png", attribution="© OSM")
    b = mbtiles.basemap_for(tiles)
    assert (b.kind, b.url, b.attribution) == ("tiles", tiles.tiles, "© OSM")
    assert mbtiles.tile_host(tiles) == ("http", "10.1.2.3", 8080)
    assert mbtiles.tile_host(MapConfig(tiles="https://Tiles.KP.local/{z}/{x}/{y}")) == \
        ("https", "tiles.kp.local", 443)
    missing = mbtiles.basemap_for(MapConfig(mbtiles=tmp_path / "x.mbtiles"), None, "gone")
    assert (missing.kind, missing.note) == ("builtin", "gone")


# -- areas -------------------------------------------------------------------------------------
def test_station_areas_are_nearest_station_cells_and_cover_the_box(demo):
    pts = [(s.id, s.division, (s.location.lat, s.location.lon)) for s in demo.stations.values()]
    st_areas, div_areas = areas.build_areas(pts)
    assert len(st_areas) == 84
    s, w, n, e = areas.KOLKATA_BOX
    owners = {(a.site, a.division) for a in st_areas}
    # Areas of distinct stations tile the box exactly.
    cells = {a.site: a.cell for a in st_areas}
    total = sum(areas.polygon_area_centroid(c)[0] for c in cells.values())
    assert total == pytest.approx((n - s) * (e - w), rel=1e-9)
    proj = areas._Projection((s + n) / 2, (w + e) / 2)
    rng = np.random.default_rng(1)
    for lat, lon in zip(rng.uniform(s, n, 400), rng.uniform(w, e, 400)):
        x, y = proj.fwd(lat, lon)
        nearest = min(owners, key=lambda o: (proj.fwd(*o[0])[0] - x) ** 2
                      + (proj.fwd(*o[0])[1] - y) ** 2)
        inside = [site for site, cell in cells.items() if areas.point_in_ring(lat, lon, cell)]
        assert inside == [nearest[0]]
        # ... and the division area holding the point is the nearest station's division.
        divs = [d.id for d in div_areas
                if sum(areas.point_in_ring(lat, lon, r) for r in d.rings) % 2 == 1]
        assert divs == [nearest[1]]


def test_stations_at_the_same_place_share_one_area():
    pts = [("a", "d1", (22.50, 88.30)), ("a-w", "d1", (22.50, 88.30)), ("b", "d2", (22.55, 88.40))]
    st_areas, div_areas = areas.build_areas(pts)
    cell = {a.id: a.cell for a in st_areas}
    assert cell["a"] == cell["a-w"] and len(cell["a"]) >= 3
    assert {d.id: len(d.rings) for d in div_areas} == {"d1": 1, "d2": 1}


def test_box_grows_for_points_outside_kolkata():
    assert areas.box_for([(22.5, 88.4)]) == areas.KOLKATA_BOX
    s, w, n, e = areas.box_for([(28.6, 77.2), (28.7, 77.3)])
    assert s < 28.6 and n > 28.7 and w < 77.2 and e > 77.3


# -- picking cameras ---------------------------------------------------------------------------
def test_cameras_of_an_area_police_first_nearest_first(demo):
    site = next(s for s in demo.sites.values() if len(demo.cameras_of_site(s.id)) > 3)
    ids = places.cameras_in_area(demo, "site", site.id)
    assert sorted(ids) == sorted(c.id for c in demo.cameras_of_site(site.id))
    st_id = demo.sites[site.id].station
    ids = places.cameras_in_area(demo, "station", st_id)
    cams = [demo.cameras[i] for i in ids]
    assert set(ids) == {c.id for c in demo.cameras_of_station(st_id)}
    kinds = [c.is_police for c in cams]
    assert kinds == sorted(kinds, reverse=True)  # police first
    centre = places.area_centre(demo, "station", st_id)
    police = [c for c in cams if c.is_police]
    d = [distance_m(*centre, c.location.lat, c.location.lon) for c in police]
    assert d == sorted(d) and len(d) > 2
    div = demo.stations[st_id].division
    div_ids = places.cameras_in_area(demo, "division", div)
    assert set(div_ids) == {c.id for c in demo.cameras.values()
                            if demo.stations[c.station].division == div}
    for kind, bad in (("station", "nope"), ("site", "<script>"), ("camera", site.id),
                      ("division", None)):
        with pytest.raises(ValueError):
            places.cameras_in_area(demo, kind, bad)


def test_cameras_in_a_rectangle(demo):
    s, w, n, e = 22.54, 88.34, 22.56, 88.37
    ids = places.cameras_in_rect(demo, n, e, s, w)  # corners in any order
    expect = {c.id for c in demo.cameras.values()
              if s <= c.location.lat <= n and w <= c.location.lon <= e}
    assert set(ids) == expect and len(ids) > 5
    with pytest.raises(ValueError):
        places.cameras_in_rect(demo, float("nan"), 0, 1, 1)


# -- states and search -------------------------------------------------------------------------
def test_camera_state_is_the_best_of_its_feeds_and_only_changes_are_sent():
    class FakeFeed:
        def __init__(self, cam, state):
            self.key, self.camera_id = f"{cam}|{state}", cam
            reading = StatusReading(State(state), "", None, 0.0, 0)
            self.status = type("S", (), {"reading": lambda _self, _now: reading})()

    pairs = [("A", "offline"), ("A", "live"), ("B", "stalled"), ("C", "reconnecting"),
             ("C", "error")]
    poller = health.StatusPoller(type("M", (), {"feeds": lambda _s: [FakeFeed(*p) for p in pairs]})())
    polled = []
    poller.polled.connect(lambda: polled.append(1))
    poller.poll()
    now = poller.camera_states
    assert polled == [1] and poller.live_count() == (1, 5)
    assert now == {"A": "live", "B": "stalled", "C": "reconnecting"}
    later = {"A": "live", "B": "offline"}
    assert health.state_changes(now, later) == {"B": "offline", "C": "idle"}
    assert health.state_changes(later, later) == {}


def test_search_by_camera_site_or_station_name_any_bengali_spelling(evil_registry, demo):
    entries = search_mod.search_entries(evil_registry)
    decomposed = BENGALI.replace("\u09dc", "\u09a1\u09bc")  # ড় as ড + nukta
    assert decomposed != BENGALI
    for query in (BENGALI[:5], decomposed[:6], "bn-1"):
        assert [e.id for e in search_mod.search(entries, query)] == ["BN-1"]
    hits = search_mod.search(search_mod.search_entries(demo), "park street")
    assert hits[0].kind == "station" and hits[0].id == "park-street"
    assert search_mod.search(entries, "   ") == []


# -- MBTiles -----------------------------------------------------------------------------------
def make_mbtiles(path: Path, tiles: dict[tuple[int, int, int], tuple[int, int, int]],
                 fmt: str = "png") -> Path:
    """An MBTiles file with solid-colour 256 px tiles at XYZ (z, x, y) -> BGR colour."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
               "tile_data BLOB)")
    zooms = [z for z, _x, _y in tiles] or [0]
    db.executemany("INSERT INTO metadata VALUES (?, ?)", [
        ("name", "test"), ("format", fmt), ("minzoom", str(min(zooms))),
        ("maxzoom", str(max(zooms))), ("attribution", "Test tiles <i>x</i>")])
    for (z, x, y), bgr in tiles.items():
        img = np.zeros((256, 256, 3), np.uint8)
        img[:] = bgr
        ok, png = cv2.imencode(".png", img)
        assert ok
        db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, 2 ** z - 1 - y, png.tobytes()))
    db.commit()
    db.close()
    return path


def test_mbtiles_reader_flips_rows_and_checks_the_format(tmp_path):
    path = make_mbtiles(tmp_path / "t.mbtiles", {(3, 5, 1): (0, 0, 255), (3, 5, 6): (255, 0, 0)})
    mb = mbtiles.MBTiles(path)
    red = cv2.imdecode(np.frombuffer(mb.tile(3, 5, 1), np.uint8), cv2.IMREAD_COLOR)
    blue = cv2.imdecode(np.frombuffer(mb.tile(3, 5, 6), np.uint8), cv2.IMREAD_COLOR)
    assert tuple(red[0, 0]) == (0, 0, 255) and tuple(blue[0, 0]) == (255, 0, 0)
    assert mb.tile(3, 5, 2) is None and mb.tile(3, 8, 1) is None and mb.tile(-1, 0, 0) is None
    assert mb.mime == "image/png" and mb.zoom_range() == (3, 3)
    b = mbtiles.basemap_for(MapConfig(mbtiles=path), mb)
    assert (b.kind, b.url, b.max_native_zoom) == ("mbtiles", mbtiles.MBTILES_URL, 3)
    mb.close()
    with pytest.raises(mbtiles.MBTilesError, match="'svg' cannot be shown"):
        mbtiles.MBTiles(make_mbtiles(tmp_path / "v.mbtiles", {}, fmt="svg"))
    vector = mbtiles.MBTiles(make_mbtiles(tmp_path / "vec.mbtiles", {}, fmt="pbf"))
    assert vector.vector and mbtiles.basemap_for(MapConfig(mbtiles=tmp_path / "vec.mbtiles"),
                                                 vector).kind == "vector"
    vector.close()
    (tmp_path / "junk.mbtiles").write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(mbtiles.MBTilesError):
        mbtiles.MBTiles(tmp_path / "junk.mbtiles")
