"""Operating the wall from the keyboard: every shortcut through real key events, and the
wall state it leaves behind. Saved views persist in SQLite in a temporary settings dir."""
from __future__ import annotations

import json
import sqlite3

import cv2
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QApplication

from app.feeds import FeedManager
from app.layouts import LAYOUTS, WallModel
from app.registry import load_registry
from app.settings import SettingsStore
from app.snapshots import SnapshotWriter
from app.streams import State
from tests.conftest import demo_cameras, registry_text
from tests.support.dialogs import answer_next_dialog
from widgets.actions import LAYOUT_KEYS
from widgets.main_window import MainWindow, WallWindow

CAMS = demo_cameras(20)


@pytest.fixture
def settings_dir(tmp_path):
    return tmp_path / "settings"


@pytest.fixture
def make_window(qtbot, write_yaml, settings_dir, tmp_path):
    made = []

    def make(view=None, layout="2x2", cameras=CAMS, tour_seconds=10.0):
        reg = load_registry(write_yaml(registry_text(cameras)))
        model = WallModel(layout=LAYOUTS[layout],
                          view=view if view is not None else [f"CAM-{i}" for i in range(1, 5)])
        store = SettingsStore(settings_dir)
        win = MainWindow(reg, model, FeedManager(), store=store,
                         snapshots=SnapshotWriter(tmp_path / "snapshots"),
                         tour_seconds=tour_seconds)
        qtbot.addWidget(win)
        win.resize(1200, 800)
        win.show()
        qtbot.waitExposed(win)
        win.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=3000)
        win.wall.setFocus()
        made.append((win, store))
        return win

    yield make
    for win, store in made:
        win.close()
        assert win.feeds.stop_all(timeout=10.0) == []
        store.close()


def press(qtbot, win, keys: str):
    """Type a shortcut as the operator would, e.g. 'Ctrl+Alt+5', to the focused widget."""
    seq = QKeySequence(keys)[0]
    target = QApplication.focusWidget() or win
    qtbot.keyClick(target, seq.key(), seq.keyboardModifiers())


def shown(win):
    return [t for t in win.wall.tiles if t.isVisible()]


@pytest.mark.parametrize("name", list(LAYOUT_KEYS))
def test_each_layout_has_a_key(make_window, qtbot, name):
    win = make_window(view=[f"CAM-{i}" for i in range(1, 21)], layout="1" if name != "1" else "2x2")
    press(qtbot, win, LAYOUT_KEYS[name])
    lay = LAYOUTS[name]
    assert win.model.layout is lay
    assert len(shown(win)) == lay.tiles
    assert [t.content.camera_id if t.content else None for t in win.wall.tiles] == \
        win.model.visible()
    if "+" in name:  # one tile is larger than the others
        areas = sorted((t.width() * t.height() for t in win.wall.tiles), reverse=True)
        assert areas[0] > 3 * areas[1]


def test_enter_maximises_and_restores_esc_and_double_click_too(make_window, qtbot):
    win = make_window(layout="2x2")
    press(qtbot, win, "Right")
    press(qtbot, win, "Return")
    assert win.model.maximised and shown(win) == [win.wall.tiles[1]]
    assert win.wall.tiles[1].size() == win.wall.size()
    press(qtbot, win, "Return")
    assert not win.model.maximised and len(shown(win)) == 4
    press(qtbot, win, "Enter")  # the keypad Enter too
    assert win.model.maximised
    press(qtbot, win, "Esc")
    assert not win.model.maximised and win.model.selected == 1
    # Double-click toggles single / multi view.
    tile = win.wall.tiles[2]
    qtbot.mouseDClick(tile, Qt.MouseButton.LeftButton)
    assert win.model.maximised and win.model.selected == 2 and shown(win) == [tile]
    qtbot.mouseDClick(tile, Qt.MouseButton.LeftButton)
    assert not win.model.maximised and len(shown(win)) == 4


def test_maximised_wall_decodes_only_the_shown_tile(make_window, qtbot):
    win = make_window(layout="2x2")
    assert len(win.feeds.feeds()) == 4
    press(qtbot, win, "Return")
    assert [f.camera_id for f in win.feeds.feeds()] == ["CAM-1"]
    press(qtbot, win, "Esc")
    assert len(win.feeds.feeds()) == 4


def test_fullscreen_keys_and_esc(make_window, qtbot):
    win = make_window()
    press(qtbot, win, "F11")
    qtbot.waitUntil(win.isFullScreen, timeout=3000)
    assert not win.tree_dock.isVisible() and not win.menuBar().isVisible()
    press(qtbot, win, "Esc")
    qtbot.waitUntil(lambda: not win.isFullScreen(), timeout=3000)
    assert win.tree_dock.isVisible()
    press(qtbot, win, "Alt+Return")
    qtbot.waitUntil(win.isFullScreen, timeout=3000)
    press(qtbot, win, "F11")
    qtbot.waitUntil(lambda: not win.isFullScreen(), timeout=3000)


def test_pages_with_pgdown_pgup(make_window, qtbot):
    win = make_window(view=[f"CAM-{i}" for i in range(1, 7)], layout="2x2")
    assert win.model.pages == 2
    press(qtbot, win, "PgDown")
    assert win.model.page == 1 and win.model.visible() == ["CAM-5", "CAM-6", None, None]
    assert win.wall.tiles[0].content.camera_id == "CAM-5"
    assert sorted(f.camera_id for f in win.feeds.feeds()) == ["CAM-5", "CAM-6"]  # hidden page: closed
    press(qtbot, win, "PgDown")
    assert win.model.page == 0  # wraps
    press(qtbot, win, "PgUp")
    assert win.model.page == 1


def test_tour_cycles_pages_and_stops(make_window, qtbot):
    win = make_window(view=[f"CAM-{i}" for i in range(1, 10)], layout="2x2", tour_seconds=0.3)
    assert win.model.pages == 3
    press(qtbot, win, "Alt+T")
    assert win.wall.tour is not None
    seen = set()
    qtbot.waitUntil(lambda: seen.add(win.model.page) or seen == {0, 1, 2}, timeout=5000)
    press(qtbot, win, "Alt+T")
    assert win.wall.tour is None
    page = win.model.page
    with pytest.raises(qtbot.TimeoutError):  # nothing moves any more
        qtbot.waitUntil(lambda: win.model.page != page, timeout=1000)


def test_a_tour_turns_to_pictures_at_once(make_window, qtbot):
    """While a tour runs, the next page's cameras are open on standby (keyframes only): the
    turn shows a picture on every tile at once, not "connecting"; the tour stopped, they
    close."""
    win = make_window(view=[f"CAM-{i}" for i in range(1, 9)], layout="2x2",
                      tour_seconds=3600)  # the test turns the page (the timer's command)
    page2 = {f"CAM-{i}" for i in range(5, 9)}
    press(qtbot, win, "Alt+T")

    def on_standby():
        return {f.camera_id for f in win.feeds.feeds()
                if f.reading().standby and f.latest_frame() is not None}

    qtbot.waitUntil(lambda: on_standby() == page2, timeout=30000)
    win.wall.execute("tour_step")  # what the tour's timer runs
    assert win.model.page == 1
    for tile in win.wall.tiles:  # nothing processed since the turn: pictures already there
        assert tile.content.camera_id in page2
        assert tile.content.source.latest_frame() is not None, tile.content.camera_id
        assert not tile.content.source.reading().standby
    qtbot.waitUntil(lambda: on_standby() == {f"CAM-{i}" for i in range(1, 5)}, timeout=30000)
    press(qtbot, win, "Alt+T")
    assert win.wall.tour is None
    assert {f.camera_id for f in win.feeds.feeds()} == page2  # standby closed


def test_tour_of_saved_views(make_window, qtbot, settings_dir):
    win = make_window(view=["CAM-1"], layout="1", tour_seconds=0.3)
    win.wall.store.save_view(1, "Malls", "2x2", ["CAM-2", "CAM-3"])
    win.wall.store.save_view(2, "Junctions", "3x3", ["CAM-4"])
    press(qtbot, win, "Alt+T")
    layouts = set()
    qtbot.waitUntil(lambda: layouts.add(win.model.layout.name) or {"2x2", "3x3"} <= layouts,
                    timeout=5000)
    press(qtbot, win, "Alt+T")
    assert win.wall.tour is None


def test_camera_number_and_enter_puts_it_on_the_selected_tile(make_window, qtbot):
    win = make_window(layout="2x2")
    cam12 = win.registry.by_number(12)
    press(qtbot, win, "Down")  # tile 3
    qtbot.keyClicks(win.wall, "12")
    assert win.wall.number_entry == "12" and win.wall._entry_label.isVisible()
    assert cam12.name in win.wall._entry_label.text()
    press(qtbot, win, "Return")
    assert win.model.visible()[2] == cam12.id and not win.model.maximised
    assert win.wall.tiles[2].content.camera_id == cam12.id
    # Esc cancels an entry without leaving anything else (no restore, no full screen change).
    qtbot.keyClicks(win.wall, "7")
    press(qtbot, win, "Esc")
    assert win.wall.number_entry == "" and win.model.visible()[2] == cam12.id
    # Ctrl+G from anywhere (here: the search box) starts an entry on the wall.
    win.tree.focus_search()
    press(qtbot, win, "Ctrl+G")
    assert win.wall.hasFocus()
    qtbot.keyClicks(win.wall, "999")
    press(qtbot, win, "Return")
    assert "No camera number 999" in win.statusBar().currentMessage()


def test_delete_clears_the_selected_tile_only_on_the_wall(make_window, qtbot):
    win = make_window()
    win.tree.focus_search()
    qtbot.keyClicks(win.tree.search, "abc")
    press(qtbot, win, "Del")  # in the search box: edits text, does not clear a tile
    assert win.model.visible()[0] == "CAM-1"
    win.wall.setFocus()
    press(qtbot, win, "Del")
    assert win.model.visible()[0] is None


def test_snapshot_writes_png_and_sidecar(make_window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("NAZAR_OPERATOR", "SI R. Sen")
    win = make_window()
    tile = win.wall.tiles[0]
    qtbot.waitUntil(lambda: tile.state is State.LIVE, timeout=20_000)
    press(qtbot, win, "Alt+S")
    pngs = list((tmp_path / "snapshots").glob("CAM-1_*.png"))
    assert len(pngs) == 1, win.statusBar().currentMessage()
    img = cv2.imread(str(pngs[0]))
    assert img.shape[:2] == (180, 320)  # the decoded frame at full size, not the tile's copy
    meta = json.loads(pngs[0].with_suffix(".json").read_text())
    assert meta["camera"]["id"] == "CAM-1" and meta["operator"] == "SI R. Sen"
    assert meta["time"][:4].isdigit() and meta["image"] == pngs[0].name
    assert str(pngs[0]) in win.statusBar().currentMessage()


def test_saved_views_keys(make_window, qtbot, settings_dir):
    win = make_window(view=["CAM-1", "CAM-2"], layout="2x2")
    press(qtbot, win, "Ctrl+S")
    assert win.wall.current_slot == 1
    press(qtbot, win, "Ctrl+3")
    win.model.put("CAM-9", 4)
    asked = answer_next_dialog("Night shift")  # Ctrl+Shift+S asks for the new view's name
    press(qtbot, win, "Ctrl+Shift+S")
    assert asked == ["Name of the view:"]
    assert win.wall.current_slot == 2
    views = SettingsStore(settings_dir).views()
    assert [(v.slot, v.layout) for v in views] == [(1, "2x2"), (2, "3x3")]
    assert views[1].name == "Night shift"
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=3000)
    assert views[0].cameras[:2] == ["CAM-1", "CAM-2"] and views[1].cameras[4] == "CAM-9"
    press(qtbot, win, "Alt+1")
    assert win.model.layout.name == "2x2" and win.model.visible()[:2] == ["CAM-1", "CAM-2"]
    press(qtbot, win, "Ctrl+Tab")
    assert win.wall.current_slot == 2 and win.model.layout.name == "3x3"
    press(qtbot, win, "Ctrl+Shift+Tab")
    assert win.wall.current_slot == 1
    press(qtbot, win, "Alt+5")
    assert "No saved view 5" in win.statusBar().currentMessage() and win.wall.current_slot == 1
    # Ctrl+S over an opened view replaces it.
    press(qtbot, win, "Ctrl+1")
    press(qtbot, win, "Ctrl+S")
    assert SettingsStore(settings_dir).view(1).layout == "1"


def test_help_overlay_lists_every_shortcut(make_window, qtbot):
    win = make_window()
    press(qtbot, win, "F1")
    assert win.help.isVisible()
    text = win.help.label.text()
    listed = 0
    for act in win.actions_by_name.values():
        if not act.shortcuts():
            continue
        key = act.shortcuts()[0].toString()
        # The numbered families (Alt+1 .. Alt+9, Ctrl+1 ..) are listed once, as a range.
        family = key[:-1] + "1" if key[-1:].isdigit() else key
        assert key in text or (family != key and family in text), (key, act.text())
        listed += 1
    assert listed >= 30
    press(qtbot, win, "Esc")
    assert not win.help.isVisible()


def test_find_camera_key(make_window, qtbot):
    win = make_window()
    press(qtbot, win, "Ctrl+F")
    assert win.tree.search.hasFocus()
    press(qtbot, win, "Esc")
    assert win.wall.hasFocus()


def test_minimised_window_decodes_nothing(make_window, qtbot):
    win = make_window()
    assert len(win.feeds.feeds()) == 4
    win.showMinimized()
    qtbot.waitUntil(lambda: win.feeds.feeds() == [], timeout=3000)
    win.showNormal()
    qtbot.waitUntil(lambda: len(win.feeds.feeds()) == 4, timeout=3000)


def test_second_wall_window_on_the_other_screen(make_window, qtbot):
    win = make_window(view=["CAM-1"], layout="1")
    screens = QGuiApplication.screens()
    assert len(screens) == 2  # tests run Qt offscreen with two screens (tests/support)
    press(qtbot, win, "Ctrl+Shift+N")
    second = win.second
    assert isinstance(second, WallWindow)
    qtbot.waitUntil(second.isFullScreen, timeout=3000)
    assert second.screen() is screens[1] and second.geometry() == screens[1].geometry()
    # It is a wall of its own: its keys act on its model, not on the main one.
    second.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is second, timeout=3000)
    second.wall.setFocus()
    press(qtbot, second, "Ctrl+2")
    assert second.wall.model.layout.name == "2x2" and win.model.layout.name == "1"
    qtbot.keyClicks(second.wall, "3")
    press(qtbot, second, "Return")
    assert second.wall.model.visible()[0] == win.registry.by_number(3).id
    second.close()
    qtbot.waitUntil(lambda: win.second is None, timeout=3000)


def test_the_second_wall_is_restored_at_the_next_start(make_window, qtbot):
    """The README says so: a second wall open at close comes back, on its screen, as it was."""
    win = make_window(view=["CAM-1"], layout="1")
    press(qtbot, win, "Ctrl+Shift+N")
    second = win.second
    qtbot.waitUntil(second.isFullScreen, timeout=3000)
    where = second.screen().name()
    assert where == QGuiApplication.screens()[1].name()
    second.wall.execute("set_layout", "3x3")
    win.close()  # Nazar quits with the second wall open
    again = make_window(view=["CAM-1"], layout="1")
    assert again.second is None
    restored = again.restore_second_wall()  # what main.py does at start
    assert restored is not None and again.second is restored
    qtbot.waitUntil(restored.isFullScreen, timeout=3000)
    assert restored.screen().name() == where and restored.wall.model.layout.name == "3x3"
    restored.close()
    qtbot.waitUntil(lambda: again.second is None, timeout=3000)
    again.close()  # this time without a second wall
    third = make_window(view=["CAM-1"], layout="1")
    assert third.restore_second_wall() is None and third.second is None


def test_place_main_window_on_a_screen(make_window, qtbot):
    win = make_window()
    right = QGuiApplication.screens()[1]
    win.place_on_screen(right, fullscreen=True)
    qtbot.waitUntil(win.isFullScreen, timeout=3000)
    assert win.screen() is right and win.geometry() == right.geometry()


def test_wall_persists_across_a_restart(make_window, qtbot, settings_dir):
    win = make_window(view=["CAM-3", None, "CAM-5"], layout="3x3")
    press(qtbot, win, "Right")
    press(qtbot, win, "Ctrl+S")
    win.close()
    store = SettingsStore(settings_dir)
    saved = store.get(MainWindow.state_key)
    store.close()
    restored = WallModel.from_dict(saved)
    assert restored.layout.name == "3x3" and restored.view[:3] == ["CAM-3", None, "CAM-5"]
    assert restored.selected == 1 and saved["current_slot"] == 1


def test_unreadable_settings_file_is_kept_aside(settings_dir):
    settings_dir.mkdir(parents=True)
    (settings_dir / "nazar.sqlite3").write_bytes(b"this is not a database" * 100)
    store = SettingsStore(settings_dir)
    assert store.problem and "kept as nazar.sqlite3.unreadable-" in store.problem
    assert len(list(settings_dir.glob("nazar.sqlite3.unreadable-*"))) == 1
    store.save_view(1, "x", "2x2", ["A"])
    assert store.view(1).cameras == ["A"]
    store.close()


def test_an_unreadable_settings_file_is_said_on_the_walls_warning_strip(make_window,
                                                                        settings_dir):
    """README: a settings file that cannot be read is kept aside and a new one started,
    "with a warning on the wall": the strip above the wall says so, and keeps saying it when
    the registry's problems are listed there too."""
    settings_dir.mkdir(parents=True)
    (settings_dir / "nazar.sqlite3").write_bytes(b"this is not a database" * 100)
    bad = """\
  - id: BAD-1
    name: Broken
    ownership: police
    station: nowhere
    location: {lat: 22.5, lon: 88.35}
    streams: {main: "demo://junction"}
"""
    win = make_window(view=[], cameras=CAMS + bad)
    bar = win.message_bar
    kept = list(settings_dir.glob("nazar.sqlite3.unreadable-*"))
    assert len(kept) == 1
    assert bar.isVisible() and bar.isVisibleTo(win)
    assert bar.label.textFormat() == Qt.TextFormat.PlainText
    assert f"kept as {kept[0].name}" in bar.label.text(), bar.label.text()
    win.show_registry_problems()  # as main.py does after the window is made
    text = bar.label.text()
    assert f"kept as {kept[0].name}" in text and "1 problem(s)" in text, text
    assert "unknown police station 'nowhere'" in bar.details.toPlainText()
    assert "kept as" in bar.details.toPlainText().splitlines()[0]


def test_settings_writes_are_transactions(settings_dir):
    store = SettingsStore(settings_dir)
    store.save_view(3, "Night", "4x4", ["A", None, "B"])
    store.put("wall:1", {"layout": "2x2"})
    store.close()
    db = sqlite3.connect(settings_dir / "nazar.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT name, layout FROM views WHERE slot = 3").fetchone() == ("Night", "4x4")
    db.close()
    with pytest.raises(ValueError):
        SettingsStore(settings_dir).save_view(10, "x", "1", [])


def _all_shortcuts():
    from widgets.actions import specs
    return [(s.name, k) for s in specs() for k in s.keys]


@pytest.mark.parametrize("name, keys", _all_shortcuts())
def test_every_shortcut_reaches_its_action(make_window, qtbot, name, keys):
    """Each key of each QAction, pressed where the operator would press it, triggers it."""
    win = make_window(view=[f"CAM-{i}" for i in range(1, 7)])
    act = win.actions_by_name[name]
    fired = []
    act.triggered.disconnect()  # observe the key binding alone, without running the command
    act.triggered.connect(lambda *_: fired.append(name))
    win.wall.setFocus()
    press(qtbot, win, keys)
    assert fired == [name]


@pytest.mark.parametrize("slot", range(1, 10))
def test_alt_number_opens_that_saved_view(make_window, qtbot, slot):
    win = make_window(view=["CAM-1"], layout="1")
    win.wall.store.save_view(slot, f"View {slot}", "2x2", [f"CAM-{slot}", f"CAM-{slot + 10}"])
    press(qtbot, win, f"Alt+{slot}")
    assert win.wall.current_slot == slot and win.model.layout.name == "2x2"
    assert win.model.visible()[:2] == [f"CAM-{slot}", f"CAM-{slot + 10}"]


def test_up_arrow_and_ctrl_q(make_window, qtbot):
    win = make_window(layout="2x2")
    win.model.select(3)
    press(qtbot, win, "Up")
    assert win.model.selected == 1
    press(qtbot, win, "Ctrl+Q")
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=3000)
    assert win.feeds.feeds() == []
