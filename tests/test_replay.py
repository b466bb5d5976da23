"""Instant replay (app/replay.py, widgets/replay.py): a tile's last seconds decoded again
from its packet buffer, with seeking, while the live tile goes on."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.feeds import FeedManager
from app.replay import NothingToReplay, ReplayPlayer, replay_of
from app.urls import parse_source
from tests.support.clips import make_clip
from tests.support.waiting import wait_for

FPS = 10


@pytest.fixture
def live_feed(clip_dir):
    clip = make_clip(clip_dir, 320, 240, fps=FPS, seconds=8, gop=FPS)
    feeds = FeedManager()
    feed = feeds.acquire("CAM-R", parse_source(str(clip)))
    wait_for(lambda: feed.packets.seconds >= 3.0, 30, "3 s of packets")
    yield feed
    feeds.stop_all()


def test_replay_seeks_and_plays_while_the_feed_stays_live(live_feed):
    player = replay_of(live_feed, 30.0, size=(160, 120))
    try:
        assert player.duration >= 2.9
        wait_for(lambda: player.shown >= 1, 10, "the first replayed picture")
        player.play(False)
        player.seek(0.0)
        wait_for(lambda: player.position == 0.0, 10, "the start")
        first = player.slot.get().image.copy()
        assert first.shape == (120, 160, 4) and first.mean() > 10
        shown = player.shown
        player.seek(2.0)
        wait_for(lambda: player.shown > shown and abs(player.position - 2.0) <= 1 / FPS,
                 10, "the picture at 2.0 s")
        later = player.slot.get().image
        assert not np.array_equal(first, later)  # another moment, another picture
        live = live_feed.slot.seq
        player.play()
        wait_for(lambda: player.position >= 2.5, 10, "playing on from 2.0 s")
        assert live_feed.slot.seq > live  # the live tile went on meanwhile
        player.step(-2.0)
        wait_for(lambda: player.position <= 1.0, 10, "two seconds back")
        player.seek(player.duration)
        wait_for(lambda: not player.playing and player.position >= player.duration - 1 / FPS,
                 10, "the newest picture, paused at the end")
    finally:
        player.close()
        assert player.join(5)


def test_nothing_to_replay_says_so():
    with pytest.raises(NothingToReplay):
        ReplayPlayer(None, [])


def test_ctrl_r_opens_the_replay_of_the_selected_tile(qtbot, write_yaml, clip_dir):
    from app.layouts import LAYOUTS, WallModel
    from app.registry import load_registry
    from tests.conftest import camera_yaml, registry_text
    from widgets.main_window import MainWindow
    from widgets.replay import ReplayWindow

    clip = make_clip(clip_dir, 320, 240, fps=FPS, seconds=8, gop=FPS)
    reg = load_registry(write_yaml(registry_text(camera_yaml("CAM-1", str(clip)))))
    win = MainWindow(reg, WallModel(layout=LAYOUTS["1"], view=["CAM-1"]), FeedManager())
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=3000)
    win.wall.setFocus()
    feed = win.wall.binder.binding(0).feed
    qtbot.waitUntil(lambda: feed.packets.seconds >= 2.0, timeout=30000)
    qtbot.keyClick(win.wall, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    box = win.replay_box
    assert isinstance(box, ReplayWindow) and box.isVisible()
    qtbot.waitUntil(lambda: box.picture.seq > 0, timeout=10000)  # a picture painted
    assert "CAM-1" in box.windowTitle() or "Camera CAM-1" in box.windowTitle()
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert not box.player.playing and "paused" in box.label.text()
    qtbot.keyClick(box, Qt.Key.Key_Home)
    qtbot.waitUntil(lambda: box.player.position == 0.0, timeout=5000)
    seq = feed.slot.seq
    qtbot.waitUntil(lambda: feed.slot.seq > seq + 3, timeout=5000)  # the tile stays live
    player = box.player
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    assert not box.isVisible()
    assert player.join(5), "the replay thread did not stop when its window closed"
    win.close()
