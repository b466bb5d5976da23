"""[shape]: one command layer behind every front door, and the wall keeps what the officer
built. The four reproductions of the issue drive the real window (keys, clicks, the real map
page and its bridge); the rest checks the command layer's promises."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QMetaMethod, QPoint, Qt
from PySide6.QtWidgets import QApplication

from app.commands import COMMANDS, CommandError, WallCommands
from app.feeds import FeedManager
from app.geometry import distance_m
from app.layouts import LAYOUTS, WallModel
from app.registry import load_registry
from app.settings import SettingsStore
from app.snapshots import SnapshotWriter
from tests.conftest import DEMO_REGISTRY, demo_cameras, registry_text
from tests.support.dialogs import answer_next_dialog
from tests.test_map_view import (double_click, lonely_camera, never_opens, pin_point, target,
                                 wait_ready, zoom_to)
from tests.test_operate import press
from widgets.actions import specs
from widgets.main_window import MainWindow
from widgets.map_dock import attach_map_dock


@pytest.fixture
def window(qtbot, write_yaml, tmp_path):
    """factory(registry, view, layout, with_map) -> MainWindow, with a fresh settings dir
    (as `--settings-dir` on a new machine) and feeds that never connect (fast)."""
    made = []

    def make(registry=None, view=None, layout="3x3", with_map=False):
        path = registry or write_yaml(registry_text(demo_cameras(20)))
        reg = load_registry(path)
        lay = LAYOUTS[layout]
        model = WallModel(layout=lay, view=list(view) if view is not None
                          else reg.default_view(lay.tiles))  # what main.py starts with
        store = SettingsStore(tmp_path / f"settings-{len(made)}")
        win = MainWindow(reg, model, FeedManager(opener=never_opens), store=store,
                         snapshots=SnapshotWriter(tmp_path / "pictures"))
        qtbot.addWidget(win)
        win.resize(1500, 900)
        panel = attach_map_dock(win) if with_map else None
        win.show()
        qtbot.waitExposed(win)
        win.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=3000)
        if panel is not None:
            wait_ready(qtbot, panel)
        win.wall.setFocus()
        made.append((win, store))
        return win

    yield make
    for win, store in made:
        win.close()
        win.feeds.stop_all(timeout=5.0)
        store.close()


def click_tile(qtbot, win, index: int) -> None:
    tile = win.wall.tiles[index]
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=tile.rect().center())


def steady_pin(qtbot, panel, camera_id):
    """The pin's place once the map has stopped moving (the wall's selection pans it)."""
    seen = [None]

    def still():
        now = pin_point(qtbot, panel, camera_id)
        same, seen[0] = now == seen[0], now
        return same
    qtbot.waitUntil(still, timeout=5000)
    return seen[0]


# -- the four reproductions ----------------------------------------------------------------------
def test_repro_1_no_empty_page_after_layout_changes(window, qtbot):
    """Click tile 1, Ctrl+2, PgDown, PgDown, Right, Ctrl+3: the wall used to go blank with
    "page 2/1 · 0/0 streams live"."""
    win = window(layout="3x3")
    before = win.model.cameras()
    assert len(before) == 9
    click_tile(qtbot, win, 0)
    for keys in ("Ctrl+2", "PgDown", "PgDown", "Right", "Ctrl+3"):
        press(qtbot, win, keys)
    m = win.model
    assert 0 <= m.page < m.pages
    assert [c for c in m.visible() if c] == before  # the nine cameras, on screen
    assert sum(1 for t in win.wall.tiles if t.content is not None) == 9
    status = win.status_label.text()
    assert f"page {m.page + 1}/{m.pages}" in status and "page 2/1" not in status


def test_repro_2_map_double_click_on_a_full_page_replaces_no_camera(window, qtbot):
    reg = load_registry(DEMO_REGISTRY)
    cam = lonely_camera(reg)
    places = [(c.location.lat, c.location.lon) for c in reg.cameras.values()]
    places += [(x.location.lat, x.location.lon) for x in reg.sites.values()]
    other = next(c for c in reg.cameras.values() if c.is_police and c.id != cam.id and sum(
        distance_m(c.location.lat, c.location.lon, *p) < 150 for p in places) == 1)
    full = [c for c in reg.default_view(4) if c not in (cam.id, other.id)][:4]
    win = window(DEMO_REGISTRY, view=full, layout="2x2", with_map=True)
    panel = win.map_panel
    zoom_to(qtbot, panel, cam.location.lat, cam.location.lon, 17)
    double_click(panel, *steady_pin(qtbot, panel, cam.id))
    qtbot.waitUntil(lambda: cam.id in win.model.view, timeout=5000)
    assert win.model.view[:4] == full  # nothing on the full page was replaced
    assert win.model.visible()[win.model.selected] == cam.id  # shown, on the next page
    # A second pin does not replace the first one either (the slot its double-click calls).
    panel.bridge.openCamera(other.id)
    qtbot.waitUntil(lambda: other.id in win.model.view, timeout=5000)
    assert win.model.view[:4] == full and cam.id in win.model.view
    assert win.model.visible()[win.model.selected] == other.id
    # And Ctrl+Z takes them back off, one at a time.
    win.wall.setFocus()
    press(qtbot, win, "Ctrl+Z")
    assert other.id not in win.model.view and cam.id in win.model.view


def test_repro_3_show_on_wall_does_not_clobber_a_saved_view_or_keep_touring(window, qtbot,
                                                                             tmp_path):
    win = window(DEMO_REGISTRY, layout="2x2", view=load_registry(DEMO_REGISTRY).default_view(8),
                 with_map=True)
    view_1 = list(win.model.view)
    press(qtbot, win, "Ctrl+S")
    press(qtbot, win, "Alt+1")
    assert win.wall.current_slot == 1
    press(qtbot, win, "Alt+T")  # a tour of the two pages of view 1
    assert win.wall.tour is not None
    panel = win.map_panel
    panel.areas.setFocus()
    assert panel.select_area("site", "south-city-mall")
    qtbot.mouseClick(panel.show_button, Qt.MouseButton.LeftButton)
    mall = [c.id for c in panel.registry.cameras_of_site("south-city-mall")]
    assert set(win.model.cameras()) == set(mall)
    assert win.wall.tour is None  # the area pick stopped the tour
    assert win.wall.current_slot is None and "view 1" not in win.status_label.text()
    win.wall.setFocus()
    press(qtbot, win, "Ctrl+S")  # saves the mall wall as a new view, not over view 1
    store = win.wall.store
    assert store.view(1).cameras == view_1
    assert set(c for c in store.view(2).cameras if c) == set(mall)
    assert win.wall.current_slot == 2


def test_repro_4_keys_come_back_to_the_wall_after_the_map(window, qtbot):
    win = window(DEMO_REGISTRY, layout="2x2", with_map=True)
    panel = win.map_panel
    view = target(panel)
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(view.width() // 2,
                                                                 view.height() // 2))
    qtbot.waitUntil(lambda: win.map_dock.isAncestorOf(QApplication.focusWidget()),
                    timeout=3000)
    assert win.map_dock.property("keys") is True  # the focused panel is marked
    assert not win.wall.tiles[0].wall_focused  # and the wall's selection is dimmed
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert win.wall.hasFocus()
    assert win.map_dock.property("keys") is False and win.wall.tiles[0].wall_focused
    press(qtbot, win, "Right")
    assert win.model.selected == 1
    press(qtbot, win, "Down")
    assert win.model.selected == 3
    press(qtbot, win, "Return")
    assert win.model.maximised
    press(qtbot, win, "Esc")
    assert not win.model.maximised
    press(qtbot, win, "Del")
    assert win.model.visible()[3] is None
    cam = next(iter(win.registry.cameras.values()))
    for digit in str(cam.number):
        press(qtbot, win, digit)
    press(qtbot, win, "Return")
    assert win.model.visible()[3] == cam.id


# -- every front door reaches a command ----------------------------------------------------------
# Bridge slots that report the page's own life rather than an officer's request.
NOT_REQUESTS = {"pageReady": "the page says it has loaded", "pinsDrawn": "a timing report",
                "copyCoordinates": "puts a point on the clipboard, not a wall command"}


def test_every_action_and_bridge_slot_reaches_a_command(window, qtbot):
    win = window(DEMO_REGISTRY, layout="2x2", with_map=True)
    cmds = win.commands
    win.wall.store.save_view(1, "Malls", "2x2", ["CAM-1"])
    win.wall.execute("open_view", 1)  # so that rename and delete have a view to ask about
    for spec in specs():
        assert spec.command in COMMANDS, spec.name
        if spec.command == "quit":
            continue  # below, last
        if spec.command in ("save_view_as", "rename_view", "delete_view"):
            answer_next_dialog(accept=False)  # it asks; the officer says no
        if spec.menu == "Alarm":  # every alarm question: the officer says no (stubs)
            win.confirm = lambda _q: False
            win.ask_text = lambda _q, _d="": None
            win.ask_incident = lambda _prefill=None: None
        n = len(cmds.log)
        win.actions_by_name[spec.name].trigger()
        assert len(cmds.log) == n + 1 and cmds.log[-1] == spec.command, spec.name
        while QApplication.activeModalWidget() is not None:
            qtbot.wait(10)
        win.wall.setFocus()
    # The map's bridge: every slot the page may call (on the object the page sees).
    bridge = win.map_panel.page_api
    meta = bridge.metaObject()
    slots = {bytes(meta.method(i).name()).decode() for i in range(meta.methodOffset(),
                                                                  meta.methodCount())
             if meta.method(i).methodType() == QMetaMethod.MethodType.Slot}
    cam = next(iter(win.registry.cameras))
    calls = {"openCamera": ((cam,), "open_camera"), "selectCamera": ((cam,), "highlight_camera"),
             "pickArea": (("site", "south-city-mall"), "show_cameras"),
             "pickRect": ((22.49, 88.35, 22.51, 88.37), "show_cameras"),
             "raiseAt": ((22.5014, 88.3616), "raise_dialog"),
             "raiseAtSite": (("south-city-mall",), "raise_dialog")}
    assert slots == set(calls) | set(NOT_REQUESTS)
    for slot, (args, command) in calls.items():
        n = len(cmds.log)
        getattr(bridge, slot)(*args)
        assert list(cmds.log)[n:][:1] == [command], slot
    n = len(cmds.log)
    win.actions_by_name["quit"].trigger()
    assert list(cmds.log)[n] == "quit"
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=3000)


# -- no silent loss -----------------------------------------------------------------------------
def test_undo_restores_the_wall_as_it_was_for_at_least_20_states(window, qtbot):
    win = window(layout="2x2", view=["CAM-1", "CAM-2"])
    start = win.commands.wall_state()
    states = [start]
    for i in range(3, 25):
        win.wall.execute("put_camera", f"CAM-{i % 20 + 1}", i % 4)
        states.append(win.commands.wall_state())
    win.wall.execute("show_cameras", ["CAM-5", "CAM-6", "CAM-7"], "three")
    assert win.model.cameras() == ["CAM-5", "CAM-6", "CAM-7"]
    press(qtbot, win, "Ctrl+Z")
    assert win.commands.wall_state() == states[-1]
    for want in reversed(states[:-1]):
        press(qtbot, win, "Ctrl+Z")
        assert win.commands.wall_state() == want
    assert win.commands.wall_state() == start
    press(qtbot, win, "Ctrl+Shift+Z")
    assert win.commands.wall_state() == states[1]


def test_views_are_named_renamed_and_deleted(window, qtbot):
    win = window(layout="2x2", view=["CAM-1", "CAM-2"])
    store = win.wall.store
    answer_next_dialog("Park Street night")
    press(qtbot, win, "Ctrl+Shift+S")
    assert store.view(1).name == "Park Street night" and win.wall.current_slot == 1
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=3000)
    asked = answer_next_dialog("Park Street, night shift")
    press(qtbot, win, "F2")
    assert asked == ["New name of view 1:"] and store.view(1).name == "Park Street, night shift"
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=3000)
    asked = answer_next_dialog(accept=False)  # "Delete view 1?" No: kept
    press(qtbot, win, "Ctrl+Shift+Del")
    assert "Delete saved view 1" in asked[0] and store.view(1) is not None
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=3000)
    answer_next_dialog(accept=True)
    press(qtbot, win, "Ctrl+Shift+Del")
    assert store.view(1) is None and win.wall.current_slot is None
    assert win.model.cameras() == ["CAM-1", "CAM-2"]  # the wall on screen stays


def test_saving_over_a_view_that_is_not_on_screen_asks_first(window, qtbot):
    win = window(layout="2x2", view=["CAM-1"])
    store = win.wall.store
    store.save_view(3, "Malls", "3x3", ["CAM-9"])
    cmds = win.commands
    assert cmds.current_slot is None
    asked = answer_next_dialog(accept=False)
    assert win.wall.execute("save_view_as", slot=3, name="Mine") is None
    assert "Replace saved view 3 (Malls)?" in asked[0]
    assert store.view(3).cameras == ["CAM-9"]  # kept
    assert "kept as it was" in win.statusBar().currentMessage()
    answer_next_dialog(accept=True)
    assert win.wall.execute("save_view_as", slot=3, name="Mine") is not None
    assert store.view(3).cameras == ["CAM-1"] and store.view(3).name == "Mine"
    # Over the view the wall came from (the officer edited it): no question.
    win.wall.execute("put_camera", "CAM-4", 1)
    assert win.wall.execute("save_view") is not None
    assert store.view(3).cameras == ["CAM-1", "CAM-4"]


def test_add_is_not_replace(window, qtbot):
    win = window(layout="2x2", view=["CAM-1", None, "CAM-3"])
    win.wall.execute("add_cameras", ["CAM-3", "CAM-7", "CAM-8", "CAM-9"], "area")
    assert win.model.view == ["CAM-1", "CAM-7", "CAM-3", "CAM-8", "CAM-9"]
    assert "3 camera(s) added" in win.statusBar().currentMessage()
    win.wall.execute("show_cameras", ["CAM-7", "CAM-8"], "area")
    assert win.model.view == ["CAM-7", "CAM-8"]


def test_commands_report_errors_for_the_officer_without_qt():
    reg_text = registry_text(demo_cameras(3))
    from app.registry import parse_registry
    reg = parse_registry(reg_text)
    cmds = WallCommands(WallModel(layout=LAYOUTS["2x2"]), reg)
    with pytest.raises(CommandError, match="Not a camera in the registry: NOPE"):
        cmds.run("put_camera", "NOPE")
    with pytest.raises(CommandError, match="No camera number 99"):
        cmds.run("put_number", 99)
    with pytest.raises(CommandError, match="Nothing to undo"):
        cmds.run("undo")
    with pytest.raises(CommandError, match="no settings store"):
        cmds.run("open_view", 1)
    with pytest.raises(CommandError, match="Not available in this window"):
        cmds.run("second_wall")
    assert cmds.run("put_number", reg.cameras["CAM-2"].number).message.startswith("Camera")
    assert cmds.model.visible()[0] == "CAM-2"


def test_second_wall_on_a_single_screen_says_so(window, qtbot, monkeypatch):
    win = window(layout="2x2", view=["CAM-1"])
    from PySide6.QtGui import QGuiApplication
    monkeypatch.setattr(QGuiApplication, "screens", staticmethod(lambda: [win.screen()]))
    press(qtbot, win, "Ctrl+Shift+N")
    assert win.second is None
    assert "no second screen" in win.statusBar().currentMessage()


def test_window_size_and_maximised_state_are_kept(window, qtbot):
    win = window(layout="2x2", view=["CAM-1"])
    win.showNormal()
    win.setGeometry(100, 80, 1111, 777)
    qtbot.waitUntil(lambda: win.width() == 1111, timeout=3000)
    win.save_state()
    store = win.wall.store
    reg = win.registry
    other = MainWindow(reg, WallModel(), FeedManager(opener=never_opens), store=store)
    qtbot.addWidget(other)
    assert other.restore_window()
    assert (other.width(), other.height()) == (1111, 777)
    other.close()


def test_leaving_full_screen_returns_to_the_state_before(window, qtbot):
    win = window(layout="2x2", view=["CAM-1"])
    win.showMaximized()
    qtbot.waitUntil(lambda: win.isMaximized(), timeout=3000)
    press(qtbot, win, "F11")
    qtbot.waitUntil(lambda: win.isFullScreen(), timeout=3000)
    press(qtbot, win, "F11")
    qtbot.waitUntil(lambda: not win.isFullScreen(), timeout=3000)
    assert win.isMaximized()


def test_one_search_service_behind_every_search_box(window, qtbot):
    """Ctrl+F, the map's search and the map's area picker find the same things, in the same
    order, for the same text; the area picker is searchable by typing."""
    win = window(DEMO_REGISTRY, layout="2x2", with_map=True)
    panel = win.map_panel
    assert win.tree.search_service is panel.search_service  # one index, built once
    press(qtbot, win, "Ctrl+F")
    qtbot.keyClicks(win.tree.search, "south city")
    first_tree = win.tree.first_match().data(Qt.ItemDataRole.UserRole + 1)
    qtbot.keyClicks(panel.search, "south city")
    map_hits = [h.id for h in panel.search_box.hits]
    assert first_tree in map_hits
    assert map_hits == [h.id for h in panel.search_service.find("south city")]
    panel.area_box.edit.setFocus()
    qtbot.keyClicks(panel.area_box.edit, "south city")
    assert [h.kind for h in panel.area_box.hits][:1] == ["site"]
    qtbot.keyClick(panel.area_box.edit, Qt.Key.Key_Return)
    assert panel.current_area() == ("site", "south-city-mall")
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    mall = {c.id for c in panel.registry.cameras_of_site("south-city-mall")}
    assert mall <= set(win.model.cameras())


def test_registry_text_in_the_tree_tooltip_and_warnings_is_plain_text(window, write_yaml):
    """A camera name with markup shows as typed (Qt would render it as rich text)."""
    from PySide6.QtGui import QTextDocument

    evil = "<b style='color:red;font-size:40px'>FAKE LIVE</b>"
    cams = demo_cameras(2).replace("name: Demo camera 2", f'name: "{evil}"')
    win = window(write_yaml(registry_text(cams)), layout="2x2", view=["CAM-1"])
    item = win.tree._camera_items["CAM-2"]
    doc = QTextDocument()
    doc.setHtml(item.toolTip())
    assert evil in doc.toPlainText()  # rendered, the markup is text, not formatting
    assert win.message_bar.label.textFormat() == Qt.TextFormat.PlainText


def test_the_settings_warning_is_not_replaced_by_the_registry_warning(window, write_yaml,
                                                                      tmp_path, caplog):
    """[harden] 12: a settings file set aside at start stays said on the wall (and in the
    log) when the registry has problems of its own."""
    settings = tmp_path / "settings-0"  # the fixture's first window uses this directory
    settings.mkdir()
    (settings / "nazar.sqlite3").write_bytes(b"\x00not a database" * 200)
    bad_camera = ("  - id: BROKEN-1\n    name: Broken\n    ownership: police\n"
                  "    station: park-street\n    location: {lat: 95, lon: 88.3}\n"
                  "    streams: {main: \"rtsp://10.0.0.1/x\"}\n")
    win = window(registry=write_yaml(registry_text(demo_cameras(3) + bad_camera)))
    win.show_registry_problems()  # as main.py does after building the window
    text = win.message_bar.label.text()
    assert "settings file" in text and "kept as" in text
    assert "problem(s) in" in text and "BROKEN-1" in text
    assert any("could not be used" in r.message for r in caplog.records)
