"""Vector basemaps, offline: `./nazar basemap build` from an OSM extract the test writes
itself (Debian's osmium and tilemaker, for real), MBTiles and PMTiles readers, the tiles drawn
by the vendored protomaps-leaflet in a real QWebEngineView with no network, the demo's
hand-drawn layer, and coordinates at the cursor."""
from __future__ import annotations

import argparse
import hashlib
import logging
import shutil
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

import main as nazar_main
from app import basemap, mappage, mbtiles
from app.registry import load_registry
from tests.conftest import DEMO_REGISTRY, camera_yaml, registry_text
from tests.test_map_view import js, make_panel, wait_ready  # noqa: F401 (fixture)

needs_tools = pytest.mark.skipif(
    basemap.missing_tools() != [],
    reason="tilemaker and osmium-tool are installed by ./nazar test (Debian packages)")

# Two roads near Park Street, a lake and a place; one road 60 km away (clipped off).
ROAD = [(22.5530, 88.3510), (22.5525, 88.3560), (22.5505, 88.3610)]
FAR_ROAD = [(23.0800, 88.9000), (23.0850, 88.9100)]


def write_extract(tmp_path: Path) -> Path:
    """A small OSM extract: XML written here, converted to .osm.pbf by osmium."""
    nodes, ways, nid = [], [], [0]

    def node(lat, lon, tags=""):
        nid[0] += 1
        nodes.append(f'<node id="{nid[0]}" version="1" lat="{lat}" lon="{lon}">{tags}</node>')
        return nid[0]

    def way(wid, pts, tags, closed=False):
        refs = [node(*p) for p in pts]
        if closed:
            refs.append(refs[0])
        nd = "".join(f'<nd ref="{r}"/>' for r in refs)
        ways.append(f'<way id="{wid}" version="1">{nd}{tags}</way>')

    way(1, ROAD, '<tag k="highway" v="primary"/><tag k="name" v="Park Street"/>'
                 '<tag k="name:bn" v="পার্ক স্ট্রিট"/>')
    way(2, [(22.5560, 88.3500), (22.5480, 88.3500)],
        '<tag k="highway" v="residential"/><tag k="name" v="Middleton Row"/>')
    way(3, FAR_ROAD, '<tag k="highway" v="primary"/><tag k="name" v="Far Away Road"/>')
    way(4, [(22.5470, 88.3540), (22.5470, 88.3580), (22.5440, 88.3580), (22.5440, 88.3540)],
        '<tag k="natural" v="water"/><tag k="name" v="Test Tank"/>', closed=True)
    node(22.5520, 88.3530, '<tag k="place" v="suburb"/><tag k="name" v="Park Street"/>')
    xml = tmp_path / "extract.osm"
    xml.write_text("<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\">\n"
                   + "\n".join(nodes + ways) + "\n</osm>\n", encoding="utf-8")
    pbf = tmp_path / "extract.osm.pbf"
    subprocess.run(["osmium", "cat", "--overwrite", "-o", str(pbf), str(xml)], check=True)
    return pbf


def camera_text(extra_top: str = "") -> str:
    cams = "".join(camera_yaml(f"KP-{i}", "demo://x").replace(
        "{lat: 22.553, lon: 88.351}", f"{{lat: {lat}, lon: {lon}}}")
        for i, (lat, lon) in enumerate([(22.5530, 88.3510), (22.5505, 88.3610)]))
    return registry_text(cams, extra_top=extra_top)


def camera_registry(tmp_path: Path) -> Path:
    path = tmp_path / "cameras.yaml"
    path.write_text(camera_text(), encoding="utf-8")
    return path


def tile_of(lat: float, lon: float, z: int) -> tuple[int, int]:
    import math
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """(registry, vector MBTiles) built once by the real command."""
    if basemap.missing_tools():
        pytest.skip("tilemaker and osmium-tool missing")
    tmp = tmp_path_factory.mktemp("basemap")
    extract = write_extract(tmp)
    reg = camera_registry(tmp)
    out = tmp / "city.mbtiles"
    assert basemap.main(["build", str(extract), "--config", str(reg), "--out", str(out)]) == 0
    return reg, out


# -- building ----------------------------------------------------------------------------------
@needs_tools
def test_build_clips_the_extract_to_the_registry_and_writes_vector_tiles(built):
    _reg, out = built
    tiles = mbtiles.open_tiles(out)
    assert tiles.vector and tiles.mime == mbtiles.VECTOR_MIME
    assert tiles.zoom_range() == (8, 14)
    x, y = tile_of(*ROAD[1], 14)
    data = tiles.tile(14, x, y)
    assert data is not None and data[:2] != b"\x1f\x8b"  # served unzipped
    assert b"Park Street" in data and "পার্ক স্ট্রিট".encode() in data
    # The far road is outside the registry's box plus its margin: cut off.
    fx, fy = tile_of(*FAR_ROAD[0], 14)
    assert tiles.tile(14, fx, fy) is None
    db = sqlite3.connect(out)
    assert b"Far Away Road" not in b"".join(
        mbtiles._plain(bytes(r[0])) for r in db.execute("SELECT tile_data FROM tiles"))
    db.close()
    tiles.close()


@needs_tools
def test_a_failed_build_names_the_problem_and_leaves_no_file(tmp_path):
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(b"not an OSM file at all")
    out = tmp_path / "out.mbtiles"
    with pytest.raises(basemap.BasemapBuildError, match="broken.osm.pbf"):
        basemap.build(bad, out)
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


def test_missing_tools_are_named(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on it
    assert set(basemap.missing_tools()) == {"tilemaker", "osmium-tool"}
    src = tmp_path / "x.osm.pbf"
    src.write_bytes(b"x")
    with pytest.raises(basemap.BasemapBuildError, match="tilemaker"):
        basemap.build(src, tmp_path / "o.mbtiles")


@needs_tools
def test_pmtiles_serves_the_same_tiles_as_the_mbtiles(built, tmp_path):
    from pmtiles.convert import mbtiles_to_pmtiles
    _reg, out = built
    pm_path = tmp_path / "city.pmtiles"
    mbtiles_to_pmtiles(str(out), str(pm_path), 14)
    mb, pm = mbtiles.open_tiles(out), mbtiles.open_tiles(pm_path)
    assert isinstance(pm, mbtiles.PMTiles) and pm.vector
    db = sqlite3.connect(out)
    rows = db.execute("SELECT zoom_level, tile_column, tile_row FROM tiles").fetchall()
    db.close()
    assert len(rows) > 5
    for z, x, tms_y in rows:
        y = 2 ** z - 1 - tms_y
        assert pm.tile(z, x, y) == mb.tile(z, x, y)
    assert pm.tile(14, 0, 0) is None
    assert pm.zoom_range() == (8, 14)
    mb.close()
    pm.close()


def test_a_pmtiles_file_that_is_not_one_is_refused(tmp_path):
    f = tmp_path / "fake.pmtiles"
    f.write_bytes(b"\x00" * 200)
    with pytest.raises(mbtiles.MBTilesError, match="fake.pmtiles"):
        mbtiles.open_tiles(f)


def test_the_vendored_renderer_is_the_pinned_release():
    vendor = mappage.RESOURCES / "vendor"
    digest = hashlib.sha256((vendor / "protomaps-leaflet.js").read_bytes()).hexdigest()
    assert digest == "26af014f7b1af308ec120b791cff76657bb9c3383633b52033e6edf9e5e4cdb5"
    assert "BSD" in (vendor / "README.md").read_text() + (
        vendor / "protomaps-leaflet.LICENSE").read_text()
    assert "Protomaps LLC" in (vendor / "protomaps-leaflet.LICENSE").read_text()


def test_the_page_loads_the_renderer_and_may_fetch_only_its_own_tiles(tmp_path):
    reg = load_registry(DEMO_REGISTRY)
    vector = mbtiles.Basemap("vector", mbtiles.MBTILES_URL, "x", 8, 14)
    html = mappage.build_page(reg, vector)
    assert "protomaps-leaflet.js" in html and "nazar-basemap.js" in html
    assert "connect-src mbtiles:;" in html.replace('">', ";")
    plain = mappage.build_page(reg, mbtiles.Basemap("builtin"))
    assert "protomaps-leaflet.js" not in plain and "connect-src 'none'" in plain


# -- drawing, in a real QWebEngineView ---------------------------------------------------------
def colour_pixels(img: QImage, rgb: tuple[int, int, int], tol: int = 12) -> int:
    img = img.convertToFormat(QImage.Format.Format_RGB888)
    w, h = img.width(), img.height()
    a = np.frombuffer(img.constBits(), np.uint8, img.bytesPerLine() * h).reshape(h, -1)
    a = a[:, :w * 3].reshape(h, w, 3).astype(int)
    return int((np.abs(a - np.array(rgb)).max(axis=2) <= tol).sum())


def hex_rgb(text: str) -> tuple[int, int, int]:
    return int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16)


def wait_basemap(qtbot, panel, layers=("roads",)):
    def done():
        s = js(qtbot, panel, "Nazar.basemapStats()")
        return s["tilesDrawn"] > 0 and s["pending"] == 0 and all(
            s["painted"].get(k, 0) > 0 for k in layers)
    qtbot.waitUntil(done, timeout=30_000)
    return js(qtbot, panel, "Nazar.basemapStats()")


@needs_tools
def test_a_built_vector_basemap_draws_roads_with_no_network(built, make_panel, qtbot):  # noqa: F811
    _reg, out = built
    text = camera_text(extra_top=f"map: {{mbtiles: {out}, center: {{lat: 22.552, "
                                 "lon: 88.355}, zoom: 15}\n")
    panel = make_panel(text, size=(700, 700))
    assert panel.mbtiles_handler is not None
    stats = wait_basemap(qtbot, panel, ("roads", "water"))
    assert stats["kind"] == "vector"
    assert stats["labels"].get("roads", 0) + stats["labels"].get("places", 0) > 0
    assert panel.mbtiles_handler.served, "the page fetched no tile"
    # Drawn, not only counted: the major road's colour is on the screen, near the road.
    major = hex_rgb(js(qtbot, panel, "NazarBasemap.colours.major"))
    qtbot.waitUntil(lambda: colour_pixels(panel.view.grab().toImage(), major) > 30,
                    timeout=10_000)
    # Nothing left the machine, nothing broke the page's policy.
    assert panel.guard.blocked == [] and panel.guard.allowed_http == 0
    assert js(qtbot, panel, "Nazar.status.violations") == []


@needs_tools
def test_the_demo_layer_loads_is_marked_approximate_and_stays_on_the_machine(
        make_panel, qtbot, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    demo = basemap.demo_basemap()
    assert demo.parent == tmp_path / "cache" / "nazar" / "basemap"
    assert basemap.demo_basemap() == demo  # cached
    text = DEMO_REGISTRY.read_text(encoding="utf-8")
    assert "\nmap:" not in text
    text += (f"\nmap:\n  mbtiles: {demo}\n  attribution: '{basemap.DEMO_ATTRIBUTION}'\n"
             "  center: {lat: 22.565, lon: 88.345}\n  zoom: 14\n")
    path = tmp_path / "cameras.yaml"
    path.write_text(text, encoding="utf-8")
    panel = make_panel(path, size=(800, 800))
    stats = wait_basemap(qtbot, panel, ("roads", "water"))
    # The Hooghly, its bridges and the landmarks are labelled.
    assert stats["labels"].get("places", 0) > 0 and stats["labels"].get("roads", 0) > 0
    # The division and station names are obstacles to the basemap's own labels.
    assert stats["obstacles"] > 0
    attribution = js(qtbot, panel,
                     "document.querySelector('.nz-attribution').textContent")
    assert "Approximate" in attribution and "not for navigation" in attribution
    assert panel.guard.blocked == [] and panel.guard.allowed_http == 0
    assert js(qtbot, panel, "Nazar.status.violations") == []
    # The demo's pins still sit over the basemap.
    assert js(qtbot, panel, "Nazar.drawnPins()") > 0


def test_the_bundled_demo_gets_the_demo_layer_and_builtin_turns_it_off(monkeypatch, tmp_path):
    made = tmp_path / "demo.mbtiles"
    made.write_bytes(b"")
    monkeypatch.setattr(basemap, "demo_basemap", lambda: made)
    log = logging.getLogger("test")

    def run(config: Path, choice):
        reg = load_registry(config)
        nazar_main.choose_basemap(reg, argparse.Namespace(config=config, basemap=choice), log)
        return reg.map

    m = run(nazar_main.DEFAULT_CONFIG, None)
    assert m.mbtiles == made and m.attribution == basemap.DEMO_ATTRIBUTION
    assert run(nazar_main.DEFAULT_CONFIG, "builtin").mbtiles is None
    other = tmp_path / "cameras.yaml"
    shutil.copyfile(DEMO_REGISTRY, other)
    assert run(other, None).mbtiles is None  # somebody else's registry: as configured
    assert run(other, str(made)).mbtiles == made


def test_demo_build_failure_leaves_the_builtin_areas(monkeypatch, caplog):
    def fail():
        raise basemap.BasemapBuildError("tilemaker missing")
    monkeypatch.setattr(basemap, "demo_basemap", fail)
    reg = load_registry(nazar_main.DEFAULT_CONFIG)
    with caplog.at_level(logging.WARNING):
        nazar_main.choose_basemap(reg, argparse.Namespace(config=nazar_main.DEFAULT_CONFIG,
                                                          basemap=None),
                                  logging.getLogger("nazar"))
    assert reg.map.mbtiles is None
    assert "tilemaker missing" in caplog.text


# -- coordinates at the cursor -----------------------------------------------------------------
def test_the_coordinates_under_the_pointer_are_shown_and_copied(make_panel, qtbot):  # noqa: F811
    from PySide6.QtCore import QEvent, QPoint, Qt
    from PySide6.QtGui import QGuiApplication

    from tests.test_map_view import _mouse, click, element_centre, target
    panel = make_panel(size=(800, 800))
    cam = next(iter(panel.registry.cameras.values()))
    js(qtbot, panel, f"(Nazar.stopAutoFit(), Nazar.map().setView([{cam.location.lat}, "
                     f"{cam.location.lon}], 16, {{animate: false}}), 1)")
    # Where the camera itself is (its pin may sit a few pixels off, see spreadGroups).
    x, y = js(qtbot, panel, f"Nazar.cameraPoints()[{mappage.script_json(cam.id)}]")
    none = Qt.MouseButton.NoButton
    _mouse(target(panel), QEvent.Type.MouseMove, QPoint(round(x), round(y)), none, none)
    # The box says "lat, lon" until the pointer's first move is drawn (next animation frame).
    qtbot.waitUntil(lambda: js(qtbot, panel, "Nazar.cursorCoordinates()") not in (None, "lat, lon"),
                    timeout=10_000)
    lat, lon = (float(v) for v in js(qtbot, panel, "Nazar.cursorCoordinates()").split(","))
    # One pixel at zoom 16 is about 2 m: the text is the camera's place to within a few metres.
    assert abs(lat - cam.location.lat) < 5e-5 and abs(lon - cam.location.lon) < 5e-5
    # Right-click: the menu offers to copy them; the clipboard gets "lat, lon".
    right = Qt.MouseButton.RightButton
    w, pos = target(panel), QPoint(round(x) + 40, round(y) + 40)
    _mouse(w, QEvent.Type.MouseMove, pos, none, none)
    _mouse(w, QEvent.Type.MouseButtonPress, pos, right, right)
    _mouse(w, QEvent.Type.MouseButtonRelease, pos, right, none)
    qtbot.waitUntil(lambda: js(qtbot, panel, "!!document.querySelector("
                                             "'[data-action=copy-coordinates]')"),
                    timeout=10_000)
    where = js(qtbot, panel, f"(function(){{var l=Nazar.map().containerPointToLatLng("
                             f"[{round(x) + 40}, {round(y) + 40}]); return [l.lat, l.lng];}})()")
    click(panel, *element_centre(qtbot, panel, "[data-action=copy-coordinates]"))
    qtbot.waitUntil(lambda: panel.last_copied is not None, timeout=10_000)
    copied = [float(v) for v in panel.last_copied.split(",")]
    assert abs(copied[0] - where[0]) < 1e-5 and abs(copied[1] - where[1]) < 1e-5
    assert QGuiApplication.clipboard().text() == panel.last_copied


def test_the_page_cannot_copy_nonsense(make_panel, qtbot):  # noqa: F811
    panel = make_panel()
    js(qtbot, panel, "(function(){ new QWebChannel(qt.webChannelTransport, function (ch) {"
                     " ch.objects.nazar.copyCoordinates('x', 91); }); return 1; })()")
    qtbot.waitUntil(lambda: any("point" in r for r in panel.bridge.rejected), timeout=10_000)
    assert panel.last_copied is None
