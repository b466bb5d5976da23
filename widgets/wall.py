"""The wall: tiles laid out by the current layout, fed by one display timer."""
from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QWidget

from app.feeds import Feed, FeedManager
from app.layouts import WallModel
from app.registry import Registry
from widgets.tile import TileContent, TileWidget

DISPLAY_INTERVAL_MS = 40  # 25 Hz: one timer for the whole wall, never one per tile or frame


class WallWidget(QWidget):
    """Shows `model` using streams from `feeds`. Owns the only display timer."""

    selectionChanged = Signal(int)
    tileActivated = Signal(int)  # double-click on a tile

    def __init__(self, registry: Registry, model: WallModel, feeds: FeedManager,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.registry = registry
        self.model = model
        self.feeds = feeds
        self.tiles: list[TileWidget] = []
        self._bound: list[Feed | None] = []
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAutoFillBackground(True)
        pal = self.palette()
        pal.setColor(self.backgroundRole(), Qt.GlobalColor.black)
        self.setPalette(pal)
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(DISPLAY_INTERVAL_MS)
        self.timer.timeout.connect(self.refresh)
        self.ticks = 0
        model.subscribe(self.sync)
        self.sync()

    # -- model -> tiles ---------------------------------------------------------------------
    def sync(self) -> None:
        """Make the tiles match the model: layout, cameras, selection."""
        lay = self.model.layout
        while len(self.tiles) < lay.tiles:
            tile = TileWidget(len(self.tiles), self)
            tile.clicked.connect(self._on_click)
            tile.doubleClicked.connect(self.tileActivated)
            tile.cameraDropped.connect(lambda i, cid: self.model.put(cid, i))
            tile.tileDropped.connect(self.model.swap)
            self.tiles.append(tile)
            self._bound.append(None)
        while len(self.tiles) > lay.tiles:
            tile = self.tiles.pop()
            old = self._bound.pop()
            tile.set_content(None)
            tile.deleteLater()
            if old is not None:
                self.feeds.release(old)
        wanted = self.model.visible()
        released: list[Feed] = []
        for i, (tile, cam_id) in enumerate(zip(self.tiles, wanted)):
            current = tile.content.camera_id if tile.content else None
            if cam_id != current:
                old = self._bound[i]
                self._bound[i] = None
                content = None
                if cam_id is not None:
                    content = self._content_for(cam_id)
                    self._bound[i] = content.feed
                tile.set_content(content)
                if old is not None:
                    released.append(old)  # after acquiring the new ones: shared feeds stay open
            tile.selected = i == self.model.selected
            tile.update()
        for old in released:
            self.feeds.release(old)
        self._place_tiles()
        for tile in self.tiles:
            tile.show()
        if any(b is not None for b in self._bound):
            if not self.timer.isActive():
                self.timer.start()
        else:
            self.timer.stop()
        self.selectionChanged.emit(self.model.selected)

    def _content_for(self, cam_id: str) -> TileContent:
        cam = self.registry.cameras.get(cam_id)
        if cam is None:
            return TileContent(cam_id, cam_id, "", None)
        feed = self.feeds.acquire(cam.id, cam.main, cam.name)
        return TileContent(cam.id, cam.name, self.registry.place_of(cam), feed)

    def highlight_camera(self, camera_id: str | None) -> list[int]:
        """Mark every tile that shows `camera_id` (None: clear). Returns their indexes."""
        hits = []
        for i, tile in enumerate(self.tiles):
            on = camera_id is not None and tile.content is not None \
                and tile.content.camera_id == camera_id
            if on:
                hits.append(i)
            if tile.highlighted != on:
                tile.highlighted = on
                tile.update()
        return hits

    def selected_camera(self) -> str | None:
        return self.model.visible()[self.model.selected]

    def _place_tiles(self) -> None:
        for tile, (x, y, w, h) in zip(self.tiles,
                                      self.model.layout.rects(self.width(), self.height())):
            tile.setGeometry(x, y, w, h)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        self._place_tiles()
        super().resizeEvent(event)

    # -- the display timer ------------------------------------------------------------------
    def refresh(self) -> None:
        """Pull the newest frame of every tile; repaint only the tiles that changed."""
        self.ticks += 1
        now = time.monotonic()
        snaps: dict[int, object] = {}
        for tile in self.tiles:
            feed = tile.content.feed if tile.content else None
            if feed is None:
                continue
            snap = snaps.get(id(feed))
            if snap is None:
                snap = snaps[id(feed)] = feed.status.snapshot(now)
            tile.refresh(snap)

    # -- input ------------------------------------------------------------------------------
    def _on_click(self, index: int) -> None:
        self.model.select(index)
        self.setFocus(Qt.FocusReason.MouseFocusReason)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        moves = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0),
                 Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}
        if event.key() in moves and not event.modifiers():
            self.model.move_selection(*moves[event.key()])
            return
        super().keyPressEvent(event)

    def shutdown(self) -> None:
        self.timer.stop()
        for i, tile in enumerate(self.tiles):
            tile.set_content(None)
            if self._bound[i] is not None:
                self.feeds.release(self._bound[i])
                self._bound[i] = None
