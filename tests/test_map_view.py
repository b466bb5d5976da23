"""The map panel in a real QWebEngineView, beside a real wall: loading offline, pins,
double-click through the real QWebChannel bridge, area picks, escaping, live states, basemaps.

Mouse input is real Qt mouse events sent to the view's render widget, at the pixel where the
page says a pin (or button) is. Everything waits on signals or conditions, never on sleeps.
"""
from __future__ import annotations

import contextlib
import http.server
import json
import re
import os
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QImage, QMouseEvent
from PySide6.QtWebEngineCore import QWebEnginePage
from PySide6.QtWidgets import QApplication

from app import mappage, places
from app.feeds import FeedManager
from app.geometry import coverage_polygon, distance_m
from app.layouts import LAYOUTS, WallModel, layout_for
from app.registry import load_registry
from app.styles import STATE_STYLES
from tests.conftest import DEMO_REGISTRY, registry_text
from tests.test_map_page import (BENGALI, EVIL_CAMERA, EVIL_SCRIPT, evil_registry_text,
                                 make_mbtiles)
from widgets.main_window import MainWindow
from widgets.map_dock import attach_map_dock
from widgets.map_panel import MapPanel

LOAD_TIMEOUT = 30_000
LIVE = STATE_STYLES["live"].colour  # the one style table, which the tiles use too
OFFLINE = STATE_STYLES["offline"].colour
IDLE = STATE_STYLES["idle"].colour


# -- helpers -----------------------------------------------------------------------------------
def js(qtbot, panel: MapPanel, expr: str, timeout: int = 5000):
    """Evaluate a JavaScript expression in the map page; its value, through JSON."""
    box: list = []
    panel.page.runJavaScript(f"JSON.stringify({expr})", 0, box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=timeout)
    return None if box[0] in (None, "") else json.loads(box[0])


def wait_ready(qtbot, panel: MapPanel) -> None:
    qtbot.waitUntil(lambda: panel.is_ready and panel.draw_ms is not None, timeout=LOAD_TIMEOUT)


def target(panel: MapPanel):
    w = panel.view.focusProxy()
    assert w is not None, "the view has no render widget yet"
    return w


def _mouse(widget, kind, pos, button, buttons, mods=Qt.KeyboardModifier.NoModifier):
    p = QPointF(pos)
    ev = QMouseEvent(kind, p, QPointF(widget.mapToGlobal(pos)), button, buttons, mods)
    QApplication.sendEvent(widget, ev)


def click(panel, x, y):
    w, pos = target(panel), QPoint(round(x), round(y))
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    _mouse(w, QEvent.Type.MouseButtonPress, pos, left, left)
    _mouse(w, QEvent.Type.MouseButtonRelease, pos, left, none)


def double_click(panel, x, y):
    """What a widget receives from a real double-click: press, release, double-click,
    release (Qt replaces the second press by the double-click event)."""
    w, pos = target(panel), QPoint(round(x), round(y))
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    _mouse(w, QEvent.Type.MouseButtonPress, pos, left, left)
    _mouse(w, QEvent.Type.MouseButtonRelease, pos, left, none)
    _mouse(w, QEvent.Type.MouseButtonDblClick, pos, left, left)
    _mouse(w, QEvent.Type.MouseButtonRelease, pos, left, none)


def drag(panel, p0, p1, mods=Qt.KeyboardModifier.NoModifier, steps=6):
    w = target(panel)
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    a = QPoint(round(p0[0]), round(p0[1]))
    _mouse(w, QEvent.Type.MouseMove, a, none, none, mods)
    _mouse(w, QEvent.Type.MouseButtonPress, a, left, left, mods)
    for i in range(1, steps + 1):
        p = QPoint(round(p0[0] + (p1[0] - p0[0]) * i / steps),
                   round(p0[1] + (p1[1] - p0[1]) * i / steps))
        _mouse(w, QEvent.Type.MouseMove, p, none, left, mods)
    _mouse(w, QEvent.Type.MouseButtonRelease, QPoint(round(p1[0]), round(p1[1])), left, none,
           mods)


def element_centre(qtbot, panel, selector: str) -> tuple[float, float]:
    r = js(qtbot, panel, "(function(){var e=document.querySelector("
                         f"{mappage.script_json(selector)});"
                         "if(!e) return null; var r=e.getBoundingClientRect();"
                         "return [r.left + r.width/2, r.top + r.height/2];})()")
    assert r is not None, f"no element {selector}"
    return r[0], r[1]


def zoom_to(qtbot, panel, lat, lon, zoom):
    js(qtbot, panel, f"(Nazar.stopAutoFit(), Nazar.map().setView([{lat}, {lon}], {zoom}, "
                     "{animate: false}), Nazar.map().getZoom())")


def lonely_camera(reg, police=True, min_gap_m=150.0):
    """A camera with no other camera or site within `min_gap_m` (its pin is alone)."""
    others = [(c.location.lat, c.location.lon) for c in reg.cameras.values()]
    others += [(s.location.lat, s.location.lon) for s in reg.sites.values()]
    for cam in reg.cameras.values():
        if cam.is_police != police:
            continue
        near = [p for p in others if distance_m(cam.location.lat, cam.location.lon, *p) < min_gap_m]
        if len(near) == 1:
            return cam
    raise AssertionError("no lonely camera in the registry")


def pin_point(qtbot, panel, camera_id):
    p = js(qtbot, panel, f"Nazar.pinPoint({mappage.script_json(camera_id)})")
    assert p is not None
    w, h = panel.view.width(), panel.view.height()
    assert 0 < p[0] < w and 0 < p[1] < h, f"pin {camera_id} at {p} is outside the {w}x{h} view"
    return p


@contextlib.contextmanager
def probe_page(qtbot, panel):
    """Another page on the panel's profile (so behind its guard), deleted before the panel."""
    probe = QWebEnginePage(panel.profile)
    try:
        yield probe
    finally:
        with qtbot.waitSignal(probe.destroyed, timeout=20000):
            probe.deleteLater()


def grab_rgb(panel) -> np.ndarray:
    img = panel.view.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
    return arr[:, :img.width() * 3].reshape(img.height(), img.width(), 3).copy()


# -- fixtures ----------------------------------------------------------------------------------
def never_opens(*_args):
    """An opener for the wall's feeds that never connects: these tests need the wall's tiles
    and the feeds' states, not decoded pictures (64 demo clips would swamp two cores)."""
    return None


@pytest.fixture
def map_window(qtbot, write_yaml):
    """factory(registry path or text, view, layout) -> (MainWindow, MapPanel), page ready."""
    made = []

    def make(registry=DEMO_REGISTRY, view=(), layout="2x2"):
        path = registry if isinstance(registry, Path) else write_yaml(registry)
        reg = load_registry(path)
        model = WallModel(layout=LAYOUTS[layout], view=list(view))
        win = MainWindow(reg, model, FeedManager(opener=never_opens))
        qtbot.addWidget(win)
        win.resize(1500, 900)
        panel = attach_map_dock(win)
        win.show()
        qtbot.waitExposed(win)
        made.append((win, panel))
        wait_ready(qtbot, panel)
        return win, panel

    yield make
    for win, panel in made:
        errors = list(panel.page.errors) if panel.page is not None else []
        win.close()
        assert win.feeds.stop_all(timeout=10.0) == []
        assert errors == [], "JavaScript errors on the map page"


@pytest.fixture
def make_panel(qtbot, write_yaml):
    def make(registry=DEMO_REGISTRY, size=(700, 700)):
        path = registry if isinstance(registry, Path) else write_yaml(registry)
        panel = MapPanel(load_registry(path))
        qtbot.addWidget(panel)
        panel.resize(*size)
        panel.show()
        qtbot.waitExposed(panel)
        wait_ready(qtbot, panel)
        made.append(panel)
        return panel

    made: list[MapPanel] = []
    yield make
    for panel in made:
        assert panel.page is None or panel.page.errors == [], "JavaScript errors on the page"


# -- loading -----------------------------------------------------------------------------------
def test_page_loads_offline_with_every_pin_and_nothing_tries_to_leave(map_window, qtbot):
    win, panel = map_window()
    assert win.findChild(type(win.tree_dock), "mapDock") is win.map_dock
    assert win.dockWidgetArea(win.map_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert panel.pins == 436
    assert js(qtbot, panel, "Nazar.pinCount()") == 436
    assert js(qtbot, panel, "Nazar.drawnPins()") == 436
    assert js(qtbot, panel, "typeof L === 'object' && L.version") == "1.9.3"
    # The interceptor saw no request for anything but local files; no policy violation.
    assert panel.guard.blocked == [] and panel.guard.allowed_http == 0
    assert js(qtbot, panel, "Nazar.status.violations") == []
    assert panel.page.errors == [] and panel.page.refused == []
    # Never a blank page: the built-in basemap paints areas in several colours.
    def painted():
        img = grab_rgb(panel)
        return len(np.unique(img.reshape(-1, 3)[::7], axis=0)) > 30
    qtbot.waitUntil(painted, timeout=10_000)


def test_the_guard_blocks_requests_that_would_leave_the_machine(make_panel, qtbot):
    """The same profile, a page that tries: the interceptor refuses every external URL."""
    panel = make_panel()
    # (A page with a web origin: from a file:// page Chromium itself already refuses remote
    # loads, so the guard would never be asked.)
    with probe_page(qtbot, panel) as probe:
        probe.setHtml('<img src="http://198.51.100.7/a.png"><img src="https://example.org/b.png">'
                      '<script>fetch("http://198.51.100.8/c").catch(function(){});</script>',
                      QUrl("http://nazar.invalid/"))
        qtbot.waitUntil(lambda: len(panel.guard.blocked) >= 3, timeout=10_000)
    hosts = {u.split("/")[2] for u in panel.guard.blocked}
    assert hosts >= {"198.51.100.7", "example.org", "198.51.100.8"}
    # The map page itself refuses to be navigated away.
    js(qtbot, panel, "(window.location.href = 'https://example.org/', 1)")
    qtbot.waitUntil(lambda: bool(panel.page.refused), timeout=20000)
    assert js(qtbot, panel, "Nazar.pinCount()") == 436


# -- pins and the wall -------------------------------------------------------------------------
def test_double_click_on_a_pin_opens_the_camera_through_the_bridge(map_window, qtbot):
    reg = load_registry(DEMO_REGISTRY)
    cam = lonely_camera(reg)
    first = next(c.id for c in reg.cameras.values() if c.id != cam.id)
    win, panel = map_window(view=[first], layout="2x2")
    assert win.model.selected == 0 and win.model.visible()[0] == first  # occupied
    zoom_to(qtbot, panel, cam.location.lat, cam.location.lon, 16)
    x, y = pin_point(qtbot, panel, cam.id)
    double_click(panel, x, y)
    qtbot.waitUntil(lambda: cam.id in win.model.visible(), timeout=20000)
    # The next free tile, selected; the first camera stays where it was.
    assert win.model.visible()[:2] == [first, cam.id]
    assert win.model.selected == 1
    assert win.wall.tiles[1].content is not None and win.wall.tiles[1].content.camera_id == cam.id
    assert panel.bridge.rejected == []
    assert js(qtbot, panel, "Nazar.map().getZoom()") == 16  # the double-click did not zoom


def test_cameras_at_one_place_get_pins_of_their_own(map_window, qtbot):
    """Three cameras at one junction: three pins, apart, each double-click its own camera."""
    reg = load_registry(DEMO_REGISTRY)
    first = reg.cameras["KP-ESD-0001"]
    group = [c.id for c in reg.cameras.values()
             if distance_m(first.location.lat, first.location.lon, c.location.lat,
                           c.location.lon) < 20]
    assert len(group) >= 3
    win, panel = map_window(view=[], layout="2x2")
    zoom_to(qtbot, panel, first.location.lat, first.location.lon, 16)
    points = {cid: pin_point(qtbot, panel, cid) for cid in group}
    for a in group:
        for b in group:
            if a < b:
                pa, pb = points[a], points[b]
                assert ((pa[0] - pb[0]) ** 2 + (pa[1] - pb[1]) ** 2) ** 0.5 >= 10, (a, b)
    for n, cid in enumerate(group[:3], start=1):
        double_click(panel, *points[cid])
        qtbot.waitUntil(lambda: cid in win.model.visible(), timeout=20000)  # noqa: B023
        assert sum(1 for c in win.model.visible() if c) == n


def test_click_on_a_pin_highlights_its_tiles_and_shows_its_card(map_window, qtbot):
    reg = load_registry(DEMO_REGISTRY)
    cam = lonely_camera(reg)
    other = next(c.id for c in reg.cameras.values() if c.id != cam.id)
    win, panel = map_window(view=[other, None, cam.id], layout="2x2")
    assert not win.wall.tiles[2].highlighted
    zoom_to(qtbot, panel, cam.location.lat, cam.location.lon, 16)
    x, y = pin_point(qtbot, panel, cam.id)
    with qtbot.waitSignal(panel.cameraSelected, timeout=20000) as sig:
        click(panel, x, y)
    assert sig.args == [cam.id]
    assert win.wall.tiles[2].highlighted and not win.wall.tiles[0].highlighted
    # The card opens once the double-click time has passed.
    qtbot.waitUntil(lambda: js(qtbot, panel, "!!document.querySelector('.nz-card')"),
                    timeout=20000)
    title = js(qtbot, panel, "document.querySelector('.nz-card .nz-title').textContent")
    assert title == cam.name
    assert js(qtbot, panel, "Nazar.highlighted()") == cam.id


def test_the_wall_selection_marks_its_pin(map_window, qtbot):
    reg = load_registry(DEMO_REGISTRY)
    ids = list(reg.cameras)[:3]
    win, panel = map_window(view=ids, layout="2x2")
    qtbot.waitUntil(lambda: js(qtbot, panel, "Nazar.highlighted()") == ids[0], timeout=20000)
    win.model.select(2)
    qtbot.waitUntil(lambda: js(qtbot, panel, "Nazar.highlighted()") == ids[2], timeout=20000)
    win.model.select(3)  # an empty tile: no mark
    qtbot.waitUntil(lambda: js(qtbot, panel, "Nazar.highlighted()") is None, timeout=20000)


def test_police_and_private_pins_look_different(make_panel, qtbot):
    panel = make_panel()
    reg = panel.registry
    police = next(c.id for c in reg.cameras.values() if c.is_police)
    private = next(c.id for c in reg.cameras.values() if not c.is_police)
    a = js(qtbot, panel, f"Nazar.pinStyle({mappage.script_json(police)})")
    b = js(qtbot, panel, f"Nazar.pinStyle({mappage.script_json(private)})")
    assert a["shape"] != b["shape"] and a["stroke"] != b["stroke"]


def test_camera_colours_follow_the_feed_states_live(make_panel, qtbot):
    reg = load_registry(DEMO_REGISTRY)
    a, b = list(reg.cameras)[:2]
    states = {a: "live", b: "connecting"}
    sent: list[dict] = []
    panel = make_panel()
    orig = panel.set_states
    panel.set_states = lambda changes: (sent.append(dict(changes)), orig(changes))

    def fill(cam):
        return js(qtbot, panel, f"Nazar.pinStyle({mappage.script_json(cam)}).fill")

    panel.push_states(states)  # as the window's one status poller does
    qtbot.waitUntil(lambda: fill(a) == LIVE, timeout=20000)
    states[a] = "offline"
    panel.push_states(states)
    qtbot.waitUntil(lambda: fill(a) == OFFLINE, timeout=20000)
    del states[b]
    panel.push_states(states)
    qtbot.waitUntil(lambda: fill(b) == IDLE, timeout=20000)
    # Only changes were sent, never the whole list again.
    qtbot.waitUntil(lambda: {a: "offline"} in sent and {b: "idle"} in sent, timeout=20000)
    assert all(len(s) <= 2 for s in sent)


def test_pins_take_the_state_of_the_walls_own_feeds(map_window, qtbot):
    """Through attach_map_dock: the window's real FeedManager (its feeds never connect)."""
    reg = load_registry(DEMO_REGISTRY)
    cam = next(iter(reg.cameras))
    win, panel = map_window(view=[cam])
    colours = {name: style.colour for name, style in STATE_STYLES.items()}

    def shown():
        feeds = [f for f in win.feeds.feeds() if f.camera_id == cam]
        if not feeds:
            return False
        state = feeds[0].reading().state.value
        fill = js(qtbot, panel, f"Nazar.pinStyle({mappage.script_json(cam)}).fill")
        return state == "reconnecting" and fill == colours[state]
    qtbot.waitUntil(shown, timeout=10_000)
    win.model.clear(0)  # off the wall: its feed closes, the pin goes back to "not on the wall"
    qtbot.waitUntil(lambda: js(qtbot, panel, f"Nazar.pinStyle({mappage.script_json(cam)}).fill")
                    == IDLE, timeout=20000)


def test_coverage_cones_match_the_python_geometry(make_panel, qtbot):
    panel = make_panel()
    cams = [c for c in panel.registry.cameras.values() if c.coverage]
    for cam in (next(c for c in cams if c.coverage.fov < 360),
                next(c for c in cams if c.coverage.fov >= 360)):
        cov = cam.coverage
        want = coverage_polygon(cam.location.lat, cam.location.lon, cov.bearing, cov.fov,
                                cov.range_m)
        got = js(qtbot, panel, f"Nazar.conePoints({mappage.script_json(cam.id)})")
        assert len(got) >= len(want) - 1
        for (la, lo), (wa, wo) in zip(got, want):
            assert distance_m(la, lo, wa, wo) < 0.05
    zoom_to(qtbot, panel, cams[0].location.lat, cams[0].location.lon, 16)
    qtbot.waitUntil(lambda: js(qtbot, panel, "Nazar.coneCount()") > 0, timeout=20000)


def test_layers_switch_on_and_off_from_the_map(make_panel, qtbot):
    panel = make_panel()
    n_police = sum(1 for c in panel.registry.cameras.values() if c.is_police)
    click(panel, *element_centre(qtbot, panel, ".nz-layers .nz-box-title"))
    qtbot.waitUntil(lambda: js(qtbot, panel, "document.querySelector('.nz-layers')"
                                            ".classList.contains('nz-collapsed')") is False,
                    timeout=20000)
    for layer in ("police", "coverage", "sites", "stations", "divisions", "labels"):
        assert js(qtbot, panel, f"Nazar.layerShown('{layer}')") is True
        click(panel, *element_centre(qtbot, panel, f'input[data-layer="{layer}"]'))
        qtbot.waitUntil(lambda: js(qtbot, panel, f"Nazar.layerShown('{layer}')") is False,
                        timeout=20000)
    assert js(qtbot, panel, "Nazar.drawnPins()") == 436 - n_police
    click(panel, *element_centre(qtbot, panel, 'input[data-layer="police"]'))
    qtbot.waitUntil(lambda: js(qtbot, panel, "Nazar.drawnPins()") == 436, timeout=20000)


# -- picking areas -----------------------------------------------------------------------------
def test_picking_an_area_from_the_list_fills_the_wall(map_window, qtbot):
    win, panel = map_window()
    reg = panel.registry
    assert panel.select_area("station", "park-street")
    qtbot.mouseClick(panel.show_button, Qt.MouseButton.LeftButton)
    want = places.cameras_in_area(reg, "station", "park-street")
    assert 1 < len(want) <= 64
    assert win.model.view == want
    assert win.model.layout == layout_for(len(want))
    assert [t.content.camera_id for t in win.wall.tiles if t.content] == want
    # A division with more cameras than the largest layout: all of them, paged.
    div = max(reg.divisions, key=lambda d: len(places.cameras_in_area(reg, "division", d)))
    want = places.cameras_in_area(reg, "division", div)
    assert panel.select_area("division", div)
    qtbot.mouseClick(panel.show_button, Qt.MouseButton.LeftButton)
    assert win.model.view == want
    assert win.model.layout == layout_for(len(want))
    if len(want) > 64:
        assert win.model.pages == -(-len(want) // 64)


def test_drawing_a_rectangle_puts_its_cameras_on_the_wall(map_window, qtbot):
    win, panel = map_window()
    reg = panel.registry
    zoom_to(qtbot, panel, 22.553, 88.352, 15)  # Park Street
    w, h = panel.view.width(), panel.view.height()
    p0, p1 = (w * 3 // 10, h * 3 // 10), (w * 7 // 10, h * 7 // 10)
    # (By where the cameras are; a pin may be drawn a few pixels off, see spreadGroups.)
    points = js(qtbot, panel, "Nazar.cameraPoints()")
    inside = [cid for cid, (x, y) in points.items()
              if p0[0] <= x <= p1[0] and p0[1] <= y <= p1[1]]
    assert len(inside) > 2
    with qtbot.waitSignal(panel.areaPicked, timeout=20000):
        drag(panel, p0, p1, Qt.KeyboardModifier.ShiftModifier)
    assert panel.last_rect is not None
    assert win.model.view == places.cameras_in_rect(reg, *panel.last_rect)
    assert set(win.model.view) == set(inside)
    assert win.model.layout == layout_for(len(inside))
    # Shift-drag selected; it did not pan the map.
    assert js(qtbot, panel, "Nazar.map().getCenter().lat.toFixed(3)") == "22.553"


def test_a_station_card_button_picks_its_area_through_the_bridge(map_window, qtbot):
    win, panel = map_window()
    reg = panel.registry
    st = next(s for s in reg.stations.values()
              if s.location and all(distance_m(s.location.lat, s.location.lon, c.location.lat,
                                               c.location.lon) > 300
                                    for c in reg.cameras.values())
              and all(distance_m(s.location.lat, s.location.lon, x.location.lat,
                                 x.location.lon) > 300 for x in reg.sites.values())
              and not s.id.endswith("-w"))
    zoom_to(qtbot, panel, st.location.lat, st.location.lon, 16)
    click(panel, panel.view.width() / 2, panel.view.height() / 2)
    qtbot.waitUntil(lambda: js(qtbot, panel, "!!document.querySelector('.nz-card-station')"),
                    timeout=20000)
    assert js(qtbot, panel, "document.querySelector('.nz-card-station .nz-title')"
                            ".textContent") == f"{st.name} PS"
    with qtbot.waitSignal(panel.areaPicked, timeout=20000):
        click(panel, *element_centre(qtbot, panel, '[data-action="pick-station"]'))
    assert win.model.view == places.cameras_in_area(reg, "station", st.id)


def test_search_finds_areas_and_cameras(map_window, qtbot):
    win, panel = map_window()
    panel.search.setFocus()
    qtbot.waitUntil(panel.search.hasFocus, timeout=3000)
    qtbot.keyClicks(panel.search, "park street")
    assert panel.search.text() == "park street"
    qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    assert panel.current_area() == ("station", "park-street")
    cam = lonely_camera(panel.registry)
    panel.search.clear()
    with qtbot.waitSignal(panel.cameraSelected, timeout=20000) as sig:
        qtbot.keyClicks(panel.search, cam.id)
        qtbot.keyClick(panel.search, Qt.Key.Key_Return)
    assert sig.args == [cam.id]
    qtbot.waitUntil(lambda: js(qtbot, panel, "Nazar.highlighted()") == cam.id, timeout=20000)


def test_the_bridge_refuses_ids_it_does_not_know(map_window, qtbot):
    win, panel = map_window(view=[])
    before = list(win.model.view)
    js(qtbot, panel, """(new QWebChannel(qt.webChannelTransport, function (ch) {
          var b = ch.objects.nazar;
          b.openCamera('NO-SUCH-CAMERA');
          b.selectCamera('<img src=x onerror=alert(1)>');
          b.pickArea('station', 'no-such-station');
          b.pickArea('camera', 'park-street');
        }), 1)""")
    qtbot.waitUntil(lambda: len(panel.bridge.rejected) == 4, timeout=20000)
    assert win.model.view == before


# -- escaping ----------------------------------------------------------------------------------
def test_registry_text_shows_as_text_and_runs_nothing(map_window, qtbot):
    win, panel = map_window(evil_registry_text())
    reg = panel.registry
    assert js(qtbot, panel, "Nazar.pinCount()") == len(reg.cameras) == 4
    seen = {}
    for cam_id in ("EVIL-1", "EVIL-2", "BN-1"):
        cam = reg.cameras[cam_id]
        js(qtbot, panel, "(Nazar.map().closePopup(), 1)")
        assert js(qtbot, panel, "document.querySelectorAll('.nz-card').length") == 0
        assert js(qtbot, panel, f"Nazar.focusCamera({mappage.script_json(cam_id)})") is True
        qtbot.waitUntil(lambda: js(qtbot, panel, "!!document.querySelector('.nz-card-camera')"),
                        timeout=20000)
        seen[cam_id] = js(qtbot, panel, "document.querySelector('.nz-card-camera .nz-title')"
                                        ".textContent")
        assert seen[cam_id] == cam.name
    assert seen == {"EVIL-1": EVIL_CAMERA, "EVIL-2": EVIL_SCRIPT, "BN-1": BENGALI}
    # The site card: owner, contact and name as text. focusCamera animates the map to the
    # camera; a view set while that runs is undone when the animation ends (Leaflet), and
    # the click below then lands elsewhere: wait for it to end first.
    qtbot.waitUntil(lambda: js(qtbot, panel, "!Nazar.map()._animatingZoom && !("
                               "Nazar.map()._panAnim && Nazar.map()._panAnim._inProgress)"),
                    timeout=10_000)
    js(qtbot, panel, "(Nazar.map().closePopup(), Nazar.map().setView([22.5014, 88.3616], 17,"
                     " {animate: false}), 1)")
    js(qtbot, panel, "(Nazar.setLayer('police', false), Nazar.setLayer('private', false))")
    x, y = js(qtbot, panel, "(function(){var p = Nazar.map().latLngToContainerPoint("
                            "[22.5014, 88.3616]); return [p.x, p.y];})()")
    click(panel, x, y)
    qtbot.waitUntil(lambda: js(qtbot, panel, "!!document.querySelector('.nz-card-site')"),
                    timeout=20000)
    text = js(qtbot, panel, "document.querySelector('.nz-card-site').textContent")
    assert EVIL_CAMERA in text and "Security <b>room</b>" in text and EVIL_SCRIPT in text
    assert "30 days" in text and "1 camera" in text
    # Nothing ran, nothing became an element.
    assert js(qtbot, panel, "typeof window.__pwned") == "undefined"
    assert js(qtbot, panel, "document.querySelectorAll('img[src=\"x\"], .leaflet-container b')"
                            ".length") == 0
    assert js(qtbot, panel, "Nazar.status.violations") == []
    assert panel.page.errors == []


# -- basemaps ----------------------------------------------------------------------------------
def _tile_xy(lat, lon, z):
    import math
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_mbtiles_basemap_is_served_by_the_app(make_panel, qtbot, tmp_path):
    z = 12
    cx, cy = _tile_xy(22.553, 88.352, z)
    colour = (40, 200, 240)  # BGR: a distinctive yellow-orange
    tiles = {(z, x, y): colour for x in range(cx - 3, cx + 4) for y in range(cy - 3, cy + 4)}
    path = make_mbtiles(tmp_path / "city.mbtiles", tiles)
    text = registry_text(extra_top=f"map: {{mbtiles: {path}, center: {{lat: 22.553, lon: 88.352}}, "
                                   f"zoom: {z}}}\n")
    panel = make_panel(text)
    assert panel.mbtiles_handler is not None
    qtbot.waitUntil(lambda: len(panel.mbtiles_handler.served) >= 4, timeout=10_000)
    assert all(t in tiles for t in panel.mbtiles_handler.served)
    rgb = colour[::-1]

    def tile_painted():
        img = grab_rgb(panel)
        return np.count_nonzero(np.all(np.abs(img.astype(int) - rgb) < 12, axis=2)) > 5000
    qtbot.waitUntil(tile_painted, timeout=10_000)
    assert panel.guard.blocked == []
    assert js(qtbot, panel, "Nazar.status.violations") == []


def test_intranet_tile_server_is_the_only_host_allowed(make_panel, qtbot, tmp_path):
    import cv2
    ok, png = cv2.imencode(".png", np.full((256, 256, 3), (200, 120, 30), np.uint8))
    requests: list[str] = []

    class Tiles(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png.tobytes())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        text = registry_text(extra_top=(
            f'map: {{tiles: "http://127.0.0.1:{port}/kp/{{z}}/{{x}}/{{y}}.png", '
            f'attribution: "KP GIS <b>cell</b>"}}\n'))
        panel = make_panel(text)
        qtbot.waitUntil(lambda: len(requests) >= 2, timeout=10_000)
        assert all(r.startswith("/kp/") for r in requests)
        assert panel.guard.blocked == [] and panel.guard.allowed_http >= 2
        assert js(qtbot, panel, "document.querySelector('.nz-attribution').textContent") == \
            "Leaflet | KP GIS <b>cell</b>"
        # Another port on the same host is still refused.
        with probe_page(qtbot, panel) as probe:
            probe.setHtml(f'<img src="http://127.0.0.1:{port + 1}/x.png">',
                          QUrl("http://nazar.invalid/"))
            qtbot.waitUntil(lambda: any(f":{port + 1}/" in u for u in panel.guard.blocked),
                            timeout=10_000)
    finally:
        server.shutdown()
        server.server_close()


def test_full_screen_shows_the_wall_alone(map_window, qtbot):
    win, panel = map_window()
    assert win.map_dock.isVisible()
    win.toggle_fullscreen()
    qtbot.waitUntil(lambda: not win.map_dock.isVisible(), timeout=20000)
    win.toggle_fullscreen()
    qtbot.waitUntil(lambda: win.map_dock.isVisible(), timeout=20000)


def test_incident_on_the_map_and_raise_requests_from_it(make_panel, qtbot):
    from app.incidents import Incident, reason_chip, select
    panel = make_panel()
    reg = panel.registry
    site = reg.sites["south-city-mall"]
    inc = Incident(id="T-1", lat=site.location.lat, lon=site.location.lon, radius_m=250,
                   uncertainty_m=80, site_id=site.id)
    picks = select(reg, inc)
    assert len(picks) > 5
    rows = [{"id": p.camera_id, "tier": p.tier, "chip": reason_chip(p, reg.cameras[p.camera_id])}
            for p in picks]
    panel.show_incident(inc.lat, inc.lon, 250, 80, "FIRE · South City Mall", rows)
    shown = js(qtbot, panel, "Nazar.incidentShown()")
    with_cone = sum(1 for p in picks if reg.cameras[p.camera_id].coverage is not None)
    assert shown == {"cones": with_cone, "picks": len(picks), "label": "FIRE · South City Mall",
                     "radius": 250}
    panel.clear_incident()
    assert js(qtbot, panel, "Nazar.incidentShown()") is None
    # Ctrl+double-click on the map asks to raise an incident at that point.
    asked: list = []
    panel.raiseRequested.connect(lambda lat, lon, sid: asked.append((lat, lon, sid)))
    zoom_to(qtbot, panel, 22.5300, 88.3300, 16)
    w = target(panel)
    pos = QPoint(w.width() // 2, w.height() // 2)
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    ctrl = Qt.KeyboardModifier.ControlModifier
    for kind, buttons in ((QEvent.Type.MouseButtonPress, left),
                          (QEvent.Type.MouseButtonRelease, none),
                          (QEvent.Type.MouseButtonDblClick, left),
                          (QEvent.Type.MouseButtonRelease, none)):
        _mouse(w, kind, pos, left, buttons, ctrl)
    qtbot.waitUntil(lambda: bool(asked), timeout=20000)
    lat, lon, sid = asked[0]
    assert sid == "" and distance_m(lat, lon, 22.5300, 88.3300) < 150
    panel.bridge.raiseAtSite("south-city-mall")
    assert asked[-1] == (site.location.lat, site.location.lon, "south-city-mall")
    panel.bridge.raiseAtSite("<nope>")
    panel.bridge.raiseAt(float("nan"), 1.0)
    assert len(asked) == 2 and len(panel.bridge.rejected) == 2


def test_the_map_page_with_the_registry_leaves_no_file_behind(map_window, tmp_path):
    """The page holds the whole registry (private cameras, owners, contacts): its private
    directory goes when the window closes, and one left by a dead process goes at the next
    start (main.py leaves with os._exit, so nothing may wait for destructors)."""
    from widgets.map_panel import MAP_DIR_PREFIX, remove_stale_map_dirs

    win, panel = map_window()
    page_dir = panel._dir
    assert page_dir.name.startswith(f"{MAP_DIR_PREFIX}{os.getpid()}-")
    assert (page_dir.stat().st_mode & 0o077) == 0
    assert any(page_dir.iterdir())  # the page is there while the map runs
    win.close()
    assert not page_dir.exists()

    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f"{MAP_DIR_PREFIX}{dead.pid}-abcd"
    ours = tmp_path / f"{MAP_DIR_PREFIX}{os.getpid()}-efgh"
    old_style = tmp_path / f"{MAP_DIR_PREFIX}x1y2z3"
    other = tmp_path / "something-else"
    for d in (stale, ours, old_style, other):
        d.mkdir()
        (d / "map.html").write_text("registry")
    not_a_page = tmp_path / f"{MAP_DIR_PREFIX}shot-clips"  # another program's, same prefix
    not_a_page.mkdir()
    (not_a_page / "clip.mp4").write_bytes(b"x")
    assert sorted(remove_stale_map_dirs(tmp_path)) == sorted([stale, old_style])
    assert ours.exists() and other.exists() and (not_a_page / "clip.mp4").exists()


def test_the_bridge_refuses_wrongly_typed_calls(map_window, qtbot):
    """[harden] 13: a string where a number belongs reached the slots as uninitialised
    doubles (a rectangle near 0, 0 was picked); now each raw value is checked."""
    win, panel = map_window(view=[])
    emitted: list = []
    for signal in (panel.bridge.rectRequested, panel.bridge.raiseRequested,
                   panel.bridge.areaRequested, panel.bridge.openRequested,
                   panel.bridge.loaded):
        signal.connect(lambda *a: emitted.append(a))
    before = len(panel.bridge.rejected)
    js(qtbot, panel, """(new QWebChannel(qt.webChannelTransport, function (ch) {
          var b = ch.objects.nazar;
          b.pickRect('a', 'b', 'c', 'd');
          b.raiseAt('22.5', null);
          b.raiseAt(true, 88.3);
          b.pickArea(['station'], {id: 'park-street'});
          b.openCamera(42);
          b.pageReady('many');
        }), 1)""")
    qtbot.waitUntil(lambda: len(panel.bridge.rejected) >= before + 6, timeout=20000)
    assert emitted == []
    assert any("rectangle ('a', 'b', 'c', 'd')" in r for r in panel.bridge.rejected)


def test_the_page_can_call_only_the_bridges_intended_methods(map_window, qtbot):
    """[harden] the web channel publishes every public slot of the object it is given,
    QObject's own too: the page's deleteLater() deleted the bridge (the map was dead until a
    restart). The page now sees a small object whose only slots are the intended calls; a
    deleteLater(), another inherited method, a signal or a rename from the page changes
    nothing, and the next intended call still reaches Python."""
    import shiboken6

    reg = load_registry(DEMO_REGISTRY)
    cam = next(iter(reg.cameras))
    win, panel = map_window(view=[])
    api = panel.page_api
    box: list = []
    panel.page.runJavaScript("""new QWebChannel(qt.webChannelTransport, function (ch) {
        var b = ch.objects.nazar, names = [];
        for (var k in b) {
          if (typeof b[k] === 'function' && k.indexOf('(') > 0) { names.push(k); }
        }
        window.__published = names;
        b.deleteLater();
        b.objectName = 'not-nazar';
        var call = function (method, args) {
          ch.exec({type: QWebChannelMessageTypes.invokeMethod, object: 'nazar',
                   method: method, args: args}, function () {});
        };
        call('destroyed()', []);             // a signal of QObject, as a method
        call('_q_reregisterTimers', [0]);    // QObject's other (private) slot
        call('openRequested', ['NO-SUCH']);  // the bridge's own signal, bypassing its checks
        call('deleteLater()', []);
        window.__attacked = true;
    })""", 0, box.append)
    qtbot.waitUntil(lambda: js(qtbot, panel, "window.__attacked === true"), timeout=20_000)
    qtbot.waitUntil(lambda: "deleteLater() from the page" in panel.bridge.rejected,
                    timeout=20_000)
    assert shiboken6.isValid(api) and shiboken6.isValid(panel.bridge)
    assert api.objectName() == "nazar"
    assert any("objectName set to 'not-nazar'" in r for r in panel.bridge.rejected)
    # What the page can call: the intended slots and QObject's deleteLater (refused above).
    assert set(js(qtbot, panel, "window.__published")) == {
        "openCamera(QVariant)", "selectCamera(QVariant)", "pickArea(QVariant,QVariant)",
        "pickRect(QVariant,QVariant,QVariant,QVariant)", "raiseAt(QVariant,QVariant)",
        "copyCoordinates(QVariant,QVariant)",
        "raiseAtSite(QVariant)", "pageReady(QVariant)", "pinsDrawn(QVariant,QVariant)",
        "deleteLater()"}
    assert cam not in win.model.visible()  # nothing reached the wall
    # The channel still works: an intended call from the page reaches Python.
    js(qtbot, panel, f"""(new QWebChannel(qt.webChannelTransport, function (ch) {{
          ch.objects.nazar.openCamera({json.dumps(cam)});
        }}), 1)""")
    qtbot.waitUntil(lambda: cam in win.model.visible(), timeout=20_000)


def test_the_object_on_the_web_channel_has_a_slot_for_each_call_the_page_makes():
    """What the page calls (`call('name', ...)` in nazar-map.js) and what the web channel's
    object offers are the same set: a new page call needs its slot on PageApi (the bridge's
    own methods are not reachable from the page), and PageApi offers nothing unused."""
    from PySide6.QtCore import QMetaMethod

    from app.registry import Registry
    from widgets.map_panel import MapBridge, PageApi

    js_text = (mappage.RESOURCES / "nazar-map.js").read_text(encoding="utf-8")
    called = set(re.findall(r"\bcall\('(\w+)'", js_text))
    bridge = MapBridge(Registry(path=None))
    meta = PageApi(bridge).metaObject()
    slots = {bytes(meta.method(i).name()).decode()
             for i in range(meta.methodOffset(), meta.methodCount())
             if meta.method(i).methodType() == QMetaMethod.MethodType.Slot}
    assert called and slots == called
    bridge.deleteLater()
