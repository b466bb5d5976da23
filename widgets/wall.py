"""The wall: tiles laid out by the current layout, fed by one display timer.

Also the wall's own commands (maximise, pages, tours, saved views, camera numbers,
snapshots), so a second wall window on another screen behaves exactly like the first.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget

from app.feeds import Feed, FeedManager
from app.layouts import LAYOUTS, Tour, WallModel, wants_sub_stream
from app.registry import Camera, Registry
from app.settings import SettingsStore
from app.snapshots import SnapshotWriter
from widgets.tile import TileContent, TileWidget

# One timer for the whole wall, never one per tile or frame. 50 Hz, not 25: with 25 fps
# cameras a 40 ms timer keeps a fixed phase to a stream for minutes, and a stream whose frames
# land next to the tick loses one in ten (measured: 22.2 fps on a 25 fps camera for 10 minutes;
# with 20 ms every tile showed 24.8-24.9 fps and capture-to-paint p50 fell from ~20 to ~10 ms).
DISPLAY_INTERVAL_MS = 20
# The tiles' state, age and fps are read every STATUS_EVERY_TICKS ticks (200 ms), not at
# every tick: the text changes a few times a second, frames 25 times.
STATUS_EVERY_TICKS = 10
NUMBER_ENTRY_TIMEOUT_MS = 5000


@dataclass
class _Binding:
    """What one tile is bound to: the feed it shows and, while switching, the next one."""

    camera_id: str
    stream: str  # "main" or "sub"
    feed: Feed | None
    pending: Feed | None = None
    pending_stream: str = ""


class WallWidget(QWidget):
    """Shows `model` using streams from `feeds`. Owns the only display timer."""

    selectionChanged = Signal(int)
    message = Signal(str)  # for the status bar: "Snapshot saved …", "No camera number 12"
    tourChanged = Signal(bool)
    tileActivated = Signal(int)

    def __init__(self, registry: Registry, model: WallModel, feeds: FeedManager,
                 parent: QWidget | None = None, store: SettingsStore | None = None,
                 snapshots: SnapshotWriter | None = None, tour_seconds: float = 10.0):
        super().__init__(parent)
        self.registry = registry
        self.model = model
        self.feeds = feeds
        self.store = store
        self.snapshots = snapshots
        self.tour_seconds = tour_seconds
        self.tiles: list[TileWidget] = []
        self._bound: list[_Binding | None] = []
        self.suspended = False
        self.current_slot: int | None = None  # the saved view this wall came from
        self.tour: Tour | None = None
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
        self._tour_timer = QTimer(self)
        self._tour_timer.timeout.connect(self._tour_step)
        # Camera number entry: digits typed on the wall, then Enter.
        self.number_entry = ""
        self._entry_label = QLabel(self)
        self._entry_label.setStyleSheet(
            "background: rgba(0,0,0,200); color: #ffd600; font-size: 22px; padding: 8px;"
            "border: 2px solid #ffd600;")
        self._entry_label.hide()
        self._entry_timer = QTimer(self)
        self._entry_timer.setSingleShot(True)
        self._entry_timer.setInterval(NUMBER_ENTRY_TIMEOUT_MS)
        self._entry_timer.timeout.connect(self.cancel_number_entry)
        model.subscribe(self.sync)
        self.sync()

    # -- model -> tiles ---------------------------------------------------------------------
    def sync(self) -> None:
        """Make the tiles match the model: layout, cameras, maximised tile, selection."""
        lay = self.model.layout
        while len(self.tiles) < lay.tiles:
            tile = TileWidget(len(self.tiles), self)
            tile.clicked.connect(self._on_click)
            tile.doubleClicked.connect(self._on_double_click)
            tile.cameraDropped.connect(self._on_drop)
            tile.tileDropped.connect(self.model.swap)
            self.tiles.append(tile)
            self._bound.append(None)
        while len(self.tiles) > lay.tiles:
            self._release(self._drop(self.tiles[-1], len(self.tiles) - 1))
            self.tiles.pop().deleteLater()
            self._bound.pop()
        self._place_tiles()
        wanted = [None] * lay.tiles if self.suspended else self.model.visible()
        released: list[Feed] = []
        for i, (tile, cam_id) in enumerate(zip(self.tiles, wanted)):
            shown = tile.isVisibleTo(self) and cam_id is not None
            binding = self._bound[i]
            if not shown:
                cam_id = None  # hidden behind a maximised tile: do not decode it
            if binding is not None and binding.camera_id != cam_id:
                released += self._drop(tile, i)
                binding = None
            if cam_id is not None and binding is None:
                self._bind(tile, i, cam_id)
            elif binding is not None:
                self._choose_stream(tile, binding)
            tile.selected = i == self.model.selected
            tile.update()
        self._release(released)  # after acquiring the new ones: shared feeds stay open
        if any(b is not None for b in self._bound):
            if not self.timer.isActive():
                self.timer.start()
        else:
            self.timer.stop()
        self.selectionChanged.emit(self.model.selected)

    def _stream_for(self, cam: Camera, tile: TileWidget) -> str:
        if cam.sub is None:
            return "main"
        small = wants_sub_stream(tile.device_size()[1], maximised=self.model.maximised)
        return "sub" if small else "main"

    def _acquire(self, cam: Camera, stream: str) -> Feed:
        source = cam.sub if stream == "sub" and cam.sub is not None else cam.main
        return self.feeds.acquire(cam.id, source, cam.name)

    def _bind(self, tile: TileWidget, i: int, cam_id: str) -> None:
        cam = self.registry.cameras.get(cam_id)
        if cam is None:
            tile.set_content(TileContent(cam_id, cam_id, "", None))
            self._bound[i] = _Binding(cam_id, "main", None)
            return
        stream = self._stream_for(cam, tile)
        feed = self._acquire(cam, stream)
        tile.set_content(TileContent(cam.id, cam.name, self.registry.place_of(cam), feed,
                                     stream=stream, number=cam.number))
        self._bound[i] = _Binding(cam.id, stream, feed)

    def _choose_stream(self, tile: TileWidget, b: _Binding) -> None:
        """Start switching main <-> sub if the tile's size calls for the other stream."""
        cam = self.registry.cameras.get(b.camera_id)
        if cam is None or b.feed is None:
            return
        want = self._stream_for(cam, tile)
        if b.pending is not None:
            if b.pending_stream == want:
                return
            self.feeds.release(b.pending)  # changed its mind before the switch completed
            b.pending, b.pending_stream = None, ""
        if want == b.stream:
            return
        b.pending = self._acquire(cam, want)
        b.pending_stream = want
        b.pending.set_size(id(tile), *tile.device_size())

    def _complete_switches(self) -> None:
        for tile, b in zip(self.tiles, self._bound):
            if b is None or b.pending is None or b.pending.slot.get() is None:
                continue
            old = b.feed
            b.feed, b.stream = b.pending, b.pending_stream
            b.pending, b.pending_stream = None, ""
            tile.switch_feed(b.feed, b.stream)
            if old is not None:
                old.drop_size(id(tile))
                self.feeds.release(old)

    def _drop(self, tile: TileWidget, i: int) -> list[Feed]:
        b = self._bound[i]
        self._bound[i] = None
        tile.set_content(None)
        out = []
        if b is not None:
            for f in (b.feed, b.pending):
                if f is not None:
                    f.drop_size(id(tile))
                    out.append(f)
        return out

    def _release(self, feeds: list[Feed]) -> None:
        for f in feeds:
            self.feeds.release(f)

    def _place_tiles(self) -> None:
        if self.model.maximised:
            for i, tile in enumerate(self.tiles):
                if i == self.model.selected:
                    tile.setGeometry(0, 0, self.width(), self.height())
                    tile.show()
                    tile.raise_()
                else:
                    tile.hide()
            return
        for tile, (x, y, w, h) in zip(self.tiles,
                                      self.model.layout.rects(self.width(), self.height())):
            tile.setGeometry(x, y, w, h)
            tile.show()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._place_tiles()
        for tile, b in zip(self.tiles, self._bound):
            if b is not None:
                self._choose_stream(tile, b)
        self._place_entry_label()

    def set_suspended(self, suspended: bool) -> None:
        """A minimised window shows nothing: close its streams; reopen them when shown."""
        if suspended != self.suspended:
            self.suspended = suspended
            self.sync()

    def highlight_camera(self, camera_id: str | None) -> list[int]:
        """Mark every tile that shows `camera_id` (None: clear). Returns their indexes."""
        hits = []
        for i, tile in enumerate(self.tiles):
            on = (camera_id is not None and tile.content is not None
                  and tile.content.camera_id == camera_id)
            if on:
                hits.append(i)
            if tile.highlighted != on:
                tile.highlighted = on
                tile.update()
        return hits

    def selected_camera(self) -> str | None:
        return self.model.selected_camera()

    def stream_of(self, index: int) -> str | None:
        b = self._bound[index] if index < len(self._bound) else None
        return b.stream if b is not None else None

    # -- the display timer ------------------------------------------------------------------
    def refresh(self) -> None:
        """Pull the newest frame of every tile; repaint only the tiles that changed."""
        self.ticks += 1
        self._complete_switches()
        status_due = self.ticks % STATUS_EVERY_TICKS == 0
        now = time.monotonic()
        snaps: dict[int, object] = {}  # one snapshot per feed, however many tiles show it
        for tile in self.tiles:
            feed = tile.content.feed if tile.content else None
            snap = None
            if status_due and feed is not None:
                snap = snaps.get(id(feed))
                if snap is None:
                    snap = snaps[id(feed)] = feed.status.snapshot(now)
            tile.refresh(snap)

    # -- mouse ------------------------------------------------------------------------------
    def _on_click(self, index: int) -> None:
        self.model.select(index)
        self.setFocus(Qt.FocusReason.MouseFocusReason)

    def _on_drop(self, index: int, camera_id: str) -> None:
        if camera_id not in self.registry.cameras:  # a drag from outside names no camera of ours
            self.message.emit(f"Not a camera in the registry: {camera_id[:40]}")
            return
        self.model.put(camera_id, index)
        self.model.select(index)

    def _on_double_click(self, index: int) -> None:
        """Double-click toggles between this tile alone and the whole layout."""
        self.model.select(index)
        self.model.toggle_maximised()
        self.tileActivated.emit(index)

    # -- camera number entry ----------------------------------------------------------------
    def event(self, event: QEvent) -> bool:  # noqa: D102
        # While a number is being typed, Enter, Esc and Backspace belong to the entry, not to
        # the window's shortcuts (maximise, back, ...).
        if (event.type() == QEvent.Type.ShortcutOverride and self.number_entry
                and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape,
                                    Qt.Key.Key_Backspace)):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if Qt.Key.Key_0 <= key <= Qt.Key.Key_9 and mods == Qt.KeyboardModifier.NoModifier:
            if len(self.number_entry) < 6:
                self.number_entry += chr(key)
            self._show_entry()
            return
        if self.number_entry:
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.commit_number_entry()
                return
            if key == Qt.Key.Key_Escape:
                self.cancel_number_entry()
                return
            if key == Qt.Key.Key_Backspace:
                self.number_entry = self.number_entry[:-1]
                self._show_entry() if self.number_entry else self.cancel_number_entry()
                return
        super().keyPressEvent(event)

    def _show_entry(self) -> None:
        cam = self.registry.by_number(int(self.number_entry))
        hint = cam.name if cam else "no such camera"
        self._entry_label.setText(f"Camera {self.number_entry}_   {hint}\n"
                                  f"Enter: show on tile {self.model.selected + 1}   Esc: cancel")
        self._entry_label.adjustSize()
        self._place_entry_label()
        self._entry_label.show()
        self._entry_label.raise_()
        self._entry_timer.start()

    def _place_entry_label(self) -> None:
        lab = self._entry_label
        lab.move((self.width() - lab.width()) // 2, (self.height() - lab.height()) // 2)

    def cancel_number_entry(self) -> None:
        self.number_entry = ""
        self._entry_label.hide()
        self._entry_timer.stop()

    def commit_number_entry(self) -> None:
        number = int(self.number_entry) if self.number_entry else 0
        self.cancel_number_entry()
        cam = self.registry.by_number(number)
        if cam is None:
            self.message.emit(f"No camera number {number}")
            return
        self.model.put(cam.id)
        self.message.emit(f"Camera {number} ({cam.name}) on tile {self.model.selected + 1}")

    # -- commands (QActions call these) -----------------------------------------------------
    def set_layout(self, name: str) -> None:
        self.model.set_layout(LAYOUTS[name])

    def toggle_maximised(self) -> None:
        self.model.toggle_maximised()

    def clear_selected(self) -> None:
        self.model.clear()

    def toggle_tour(self) -> None:
        if self.tour is not None:
            self.stop_tour()
            return
        if self.model.pages > 1:
            steps = [("page", p) for p in range(self.model.pages)]
            start = self.model.page
        else:
            views = self.store.views() if self.store else []
            if len(views) < 2:
                self.message.emit("Nothing to tour: the wall has one page and fewer than two "
                                  "saved views")
                return
            steps = [("view", v.slot) for v in views]
            start = next((i for i, v in enumerate(views) if v.slot == self.current_slot), -1)
        self.tour = Tour(steps, self.tour_seconds)
        self.tour.index = start if start >= 0 else len(steps) - 1
        self._tour_timer.start(int(self.tour_seconds * 1000))
        self.tourChanged.emit(True)
        self.message.emit(f"Tour started: {len(steps)} {'pages' if steps[0][0] == 'page' else 'views'}"
                          f", every {self.tour_seconds:g} s (Alt+T stops)")
        if start < 0:
            self._tour_step()

    def stop_tour(self) -> None:
        if self.tour is None:
            return
        self.tour = None
        self._tour_timer.stop()
        self.tourChanged.emit(False)
        self.message.emit("Tour stopped")

    def _tour_step(self) -> None:
        if self.tour is None:
            return
        kind, value = self.tour.advance()
        if kind == "page":
            self.model.go_page(value)
        else:
            self.open_view(value, from_tour=True)

    def open_view(self, slot: int, from_tour: bool = False) -> bool:
        view = self.store.view(slot) if self.store else None
        if view is None:
            self.message.emit(f"No saved view {slot} (Ctrl+S saves the wall as a view)")
            return False
        if not from_tour:
            self.stop_tour()
        self.current_slot = slot
        self.model.set_view(list(view.cameras), LAYOUTS.get(view.layout, self.model.layout))
        self.message.emit(f"View {slot}: {view.name}")
        return True

    def cycle_view(self, step: int) -> None:
        views = self.store.views() if self.store else []
        if not views:
            self.message.emit("No saved views yet (Ctrl+S saves the wall as a view)")
            return
        slots = [v.slot for v in views]
        i = slots.index(self.current_slot) if self.current_slot in slots else (-1 if step > 0 else 0)
        self.open_view(slots[(i + step) % len(slots)])

    def save_view(self, new: bool = False) -> int | None:
        """Save the wall as a view: over the view it came from, or in the next free slot."""
        if self.store is None:
            return None
        slot = None if new else self.current_slot
        if slot is None:
            slot = self.store.free_slot()
        if slot is None:
            self.message.emit("All nine view slots are used: open one (Alt+1..9) and save over "
                              "it with Ctrl+S")
            return None
        old = self.store.view(slot)
        n = sum(1 for c in self.model.view if c)
        name = old.name if old and not new else f"View {slot}: {self.model.layout.name}, {n} cameras"
        self.store.save_view(slot, name, self.model.layout.name, list(self.model.view))
        self.current_slot = slot
        self.message.emit(f"Saved as view {slot} (Alt+{slot})")
        return slot

    def snapshot(self) -> None:
        tile = self.tiles[self.model.selected] if self.tiles else None
        feed = tile.content.feed if tile and tile.content else None
        if feed is None or self.snapshots is None:
            self.message.emit("Nothing to save: the selected tile shows no picture")
            return
        frame = feed.last_full_frame()
        if frame is None:
            self.message.emit("Nothing to save yet: no frame from this camera")
            return
        cam = self.registry.cameras[tile.content.camera_id]
        path = self.snapshots.save(cam, frame, stream=tile.content.stream,
                                   source=feed.source.display)
        self.message.emit(f"Snapshot saved: {path}")

    def shutdown(self) -> None:
        self.timer.stop()
        self._tour_timer.stop()
        for i, tile in enumerate(self.tiles):
            self._release(self._drop(tile, i))
