"""The wall driven like a user drives it: real key events, real demo decoding, real widgets."""
from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDropEvent, QImage
from PySide6.QtWidgets import QApplication

from app.feeds import FeedManager
from app.layouts import LAYOUTS, WallModel
from app.registry import load_registry
from app.streams import State
from tests.conftest import demo_cameras, registry_text
from widgets.main_window import MainWindow
from widgets.tile import CAMERA_MIME, TILE_MIME

CAMS = demo_cameras(17)


@pytest.fixture
def make_window(qtbot, write_yaml):
    made = []

    def make(cameras: str = CAMS, view: list[str] | None = None, layout: str = "2x2"):
        reg = load_registry(write_yaml(registry_text(cameras)))
        model = WallModel(layout=LAYOUTS[layout], view=view if view is not None else
                          [f"CAM-{i}" for i in range(1, 5)])
        feeds = FeedManager()
        win = MainWindow(reg, model, feeds)
        qtbot.addWidget(win)
        win.resize(1200, 800)
        win.show_registry_problems()
        win.show()
        qtbot.waitExposed(win)
        win.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=3000)
        win.wall.setFocus()
        made.append(win)
        return win

    yield make
    for win in made:
        win.close()
        assert win.feeds.stop_all(timeout=10.0) == []  # no worker thread outlives its test


def visible_tiles(win):
    return [t for t in win.wall.tiles if t.isVisible()]


def test_layout_keys_change_the_wall(make_window, qtbot):
    win = make_window(view=[f"CAM-{i}" for i in range(1, 17)], layout="4x4")
    assert len(visible_tiles(win)) == 16
    for key, name, tiles in ((Qt.Key.Key_2, "2x2", 4), (Qt.Key.Key_3, "3x3", 9),
                             (Qt.Key.Key_1, "1", 1), (Qt.Key.Key_4, "4x4", 16)):
        qtbot.keyClick(win.wall, key, Qt.KeyboardModifier.ControlModifier)
        assert win.model.layout.name == name
        assert len(win.wall.tiles) == tiles and len(visible_tiles(win)) == tiles
        shown = [t.content.camera_id for t in win.wall.tiles if t.content]
        assert shown == win.model.visible()[:tiles]
    # Tiles are laid out in a grid that fills the wall.
    rects = [t.geometry() for t in win.wall.tiles]
    assert len({r.x() for r in rects}) == 4 and len({r.y() for r in rects}) == 4


def test_arrow_keys_move_the_selection_and_delete_clears(make_window, qtbot):
    win = make_window(layout="2x2")
    qtbot.keyClick(win.wall, Qt.Key.Key_Right)
    assert win.model.selected == 1 and win.wall.tiles[1].selected
    qtbot.keyClick(win.wall, Qt.Key.Key_Down)
    assert win.model.selected == 3
    qtbot.keyClick(win.wall, Qt.Key.Key_Left)
    assert win.model.selected == 2 and not win.wall.tiles[1].selected
    qtbot.keyClick(win.wall, Qt.Key.Key_Delete)
    assert win.model.visible()[2] is None and win.wall.tiles[2].content is None


def _tile_pixels(tile) -> np.ndarray:
    img = tile.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    ptr = img.constBits()
    arr = np.frombuffer(ptr, np.uint8, img.sizeInBytes()).reshape(img.height(),
                                                                  img.bytesPerLine())
    return arr[:, : img.width() * 4].copy()


def test_tiles_show_live_decoded_frames(make_window, qtbot):
    win = make_window(layout="2x2")
    tiles = win.wall.tiles
    qtbot.waitUntil(lambda: all(t.state is State.LIVE and t.frame_seq > 3 for t in tiles),
                    timeout=20_000)
    # The status bar (drawn once per change, not per frame) says so.
    try:
        qtbot.waitUntil(lambda: all(re.fullmatch(r"LIVE  <1 s ago  1[3-6] fps(  · sub)?", t.status_text)
                                    for t in tiles), timeout=5_000)
    except Exception:
        raise AssertionError([t.status_text for t in tiles]) from None
    first = [_tile_pixels(t) for t in tiles]
    seqs = [t.frame_seq for t in tiles]
    qtbot.waitUntil(lambda: all(t.frame_seq > s + 5 for t, s in zip(tiles, seqs)),
                    timeout=10_000)
    for tile, before in zip(tiles, first):
        after = _tile_pixels(tile)
        assert after.mean() > 20  # a picture, not a black tile
        assert np.abs(after.astype(int) - before.astype(int)).mean() > 0.5  # it moves
        # Frames arrive already scaled to the tile by the worker.
        frame = tile._frame
        assert frame.image.shape[1] <= tile.width() and frame.image.shape[0] <= tile.height()
        assert frame.image.shape[2] == 4
    # One stream per camera: the same camera on two tiles shares one feed.
    win.model.put("CAM-1", 1)
    assert tiles[0].content.source is tiles[1].content.source
    assert len(win.feeds.feeds()) == 3


def test_unknown_camera_and_broken_source_are_states_on_tiles(make_window, qtbot, tmp_path):
    cams = CAMS + f"""\
  - id: MISSING-FILE
    name: Recorded clip that is gone
    ownership: police
    station: park-street
    location: {{lat: 22.553, lon: 88.351}}
    streams: {{main: "{tmp_path}/gone.mp4"}}
"""
    win = make_window(cams, view=["CAM-1", "MISSING-FILE", "NOT-THERE", None])
    qtbot.waitUntil(lambda: win.wall.tiles[1].state is State.ERROR, timeout=10_000)
    assert "file not found" in win.wall.tiles[1]._snap.message
    assert win.wall.tiles[2].content.source is None  # painted as "unknown camera"
    qtbot.waitUntil(lambda: win.wall.tiles[1].status_text.startswith("ERROR")
                    and win.wall.tiles[2].status_text == "NOT IN REGISTRY", timeout=5_000)
    qtbot.waitUntil(lambda: win.wall.tiles[0].state is State.LIVE, timeout=20_000)


def test_double_click_and_search_put_cameras_on_the_wall(make_window, qtbot):
    win = make_window(view=[])
    tree = win.tree
    qtbot.keyClick(win, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert tree.search.hasFocus()
    qtbot.keyClicks(tree.search, "camera 7")
    idx = tree.first_match()
    assert idx is not None and idx.data(Qt.ItemDataRole.UserRole + 1) == "CAM-7"
    qtbot.keyClick(tree.search, Qt.Key.Key_Return)
    assert win.model.visible()[0] == "CAM-7"
    # Double-click a camera row in the tree: it goes to the next free tile.
    tree.search.clear()
    qtbot.keyClicks(tree.search, "camera 12")
    idx = tree.first_match()
    tree.view.scrollTo(idx)
    rect = tree.view.visualRect(idx)
    qtbot.mouseClick(tree.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(tree.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: "CAM-12" in win.model.visible(), timeout=3000)
    assert win.model.visible()[:2] == ["CAM-7", "CAM-12"]


def test_search_matches_bengali_in_either_normal_form(make_window, qtbot):
    # "গড়িয়াহাট" with the precomposed letters (as some keyboards type it) vs the nukta form.
    precomposed = "\u0997\u09dc\u09bf\u09df\u09be\u09b9\u09be\u099f"
    cams = CAMS + f"""\
  - id: KP-GRH
    name: "{precomposed} crossing"
    ownership: police
    station: park-street
    location: {{lat: 22.519, lon: 88.366}}
    streams: {{main: "demo://junction?size=sub"}}
"""
    win = make_window(cams, view=[])
    import unicodedata
    decomposed = unicodedata.normalize("NFC", precomposed)
    assert decomposed != precomposed
    win.tree.search.setText(decomposed[:4])
    idx = win.tree.first_match()
    assert idx is not None and idx.data(Qt.ItemDataRole.UserRole + 1) == "KP-GRH"


def _drop(tile, mime_type: str, payload: bytes):
    mime = QMimeData()
    mime.setData(mime_type, payload)
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction | Qt.DropAction.MoveAction,
                       mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    tile.dropEvent(event)
    return event.isAccepted()


def test_drag_from_tree_and_swap_tiles(make_window, qtbot):
    win = make_window(view=["CAM-1", "CAM-2"])
    tree = win.tree
    tree.search.setText("camera 9")
    idx = tree.first_match()
    mime = tree.model.mimeData([tree.proxy.mapToSource(idx)])
    assert bytes(mime.data(CAMERA_MIME).data()) == b"CAM-9"
    assert _drop(win.wall.tiles[3], CAMERA_MIME, b"CAM-9")
    assert win.model.visible() == ["CAM-1", "CAM-2", None, "CAM-9"]
    # A plain-text drag (e.g. a pin dragged out of the map) works too; junk is refused.
    text = QMimeData()
    text.setText("nazar-camera:CAM-5")
    ev = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, text, Qt.MouseButton.LeftButton,
                    Qt.KeyboardModifier.NoModifier)
    win.wall.tiles[2].dropEvent(ev)
    assert win.model.visible()[2] == "CAM-5"
    text.setText("nazar-camera:<script>")
    win.wall.tiles[2].dropEvent(ev)
    assert win.model.visible()[2] == "CAM-5"
    win.model.clear(2)
    assert _drop(win.wall.tiles[1], TILE_MIME, b"3")
    assert win.model.visible() == ["CAM-1", "CAM-9", None, "CAM-2"]
    assert win.wall.tiles[1].content.camera_id == "CAM-9"


def test_invalid_cameras_are_listed_in_one_non_modal_warning(make_window, qtbot):
    bad = """\
  - id: BAD-1
    name: Broken
    ownership: police
    station: nowhere
    location: {lat: 99, lon: 88.35}
    streams: {main: "demo://junction"}
"""
    win = make_window(CAMS + bad, view=["CAM-1"])
    bar = win.message_bar
    assert bar.isVisible()
    assert "BAD-1" in bar.label.text() and "2 problem(s)" in bar.label.text()
    details = bar.details.toPlainText()
    assert "camera BAD-1 field 'station': unknown police station 'nowhere'" in details
    assert "field 'location.lat'" in details
    assert "CAM-1" in win.registry.cameras  # the rest runs
    qtbot.waitUntil(lambda: win.wall.tiles[0].state is State.LIVE, timeout=20_000)
    qtbot.mouseClick(bar.close_button, Qt.MouseButton.LeftButton)
    assert not bar.isVisible()


def test_fullscreen_toggles_with_f11(make_window, qtbot):
    win = make_window(view=["CAM-1"])
    qtbot.keyClick(win.wall, Qt.Key.Key_F11)
    qtbot.waitUntil(win.isFullScreen, timeout=3000)
    assert not win.menuBar().isVisible()
    qtbot.keyClick(win.wall, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not win.isFullScreen(), timeout=3000)


def test_closing_stops_every_stream(make_window, qtbot):
    win = make_window(view=[f"CAM-{i}" for i in range(1, 5)])
    qtbot.waitUntil(lambda: all(t.state is State.LIVE for t in win.wall.tiles), timeout=20_000)
    feeds = win.feeds.feeds()
    assert len(feeds) == 4 and all(f.alive for f in feeds)
    win.close()
    assert all(f.join(3.0) for f in feeds)
    assert win.feeds.feeds() == []


def test_streams_close_when_no_longer_shown(make_window, qtbot):
    win = make_window(view=[f"CAM-{i}" for i in range(1, 10)], layout="3x3")
    assert len(win.feeds.feeds()) == 9
    qtbot.keyClick(win.wall, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert [f.camera_id for f in win.feeds.feeds()] == ["CAM-1"]


def test_a_picture_the_wall_shows_late_says_so_in_amber(qtbot):
    """A live stream's picture taken by the wall a second or more after it was decoded (a
    wall that cannot keep up) is marked on its tile; a fresh one is not."""
    import time

    from app.feeds import Frame
    from app.streams import StatusReading
    from widgets.tile import TileContent, TileWidget

    class Source:  # what a tile may read of a stream (app.binder.FrameSource)
        camera_id = "KP-1"
        frame: Frame | None = None

        def latest_frame(self) -> Frame | None:
            return self.frame

        def reading(self) -> StatusReading:
            return StatusReading(State.LIVE, "", 0.1, 15.0, 100)

    src = Source()
    tile = TileWidget(0)
    qtbot.addWidget(tile)
    tile.resize(480, 270)
    tile.set_content(TileContent("KP-1", "Gariahat Crossing", "Gariahat PS", src))
    tile.show()
    image = np.zeros((270, 480, 4), np.uint8)
    for seq, age, behind in ((1, 0.05, False), (2, 3.2, True), (3, 0.02, False)):
        src.frame = Frame(image, seq, time.monotonic() - age, (1280, 720))
        assert tile.refresh(src.reading())
        tile.grab()  # paint: the status line is drawn, and remembered, at paint time
        assert ("picture 3 s behind" in tile.status_text) is behind, tile.status_text
        assert tile.status_text.startswith("LIVE  <1 s ago  15 fps"), tile.status_text
    # A camera the console cannot decode in full, skipping frames to stay current.
    late = dataclasses.replace(src.reading(), catching_up=True)
    src.frame = Frame(image, 4, time.monotonic(), (1280, 720))
    assert tile.refresh(late)
    tile.grab()
    assert tile.status_text.endswith("· catching up: keyframes only"), tile.status_text
    assert tile._behind(State.LIVE)  # amber, as a picture behind
