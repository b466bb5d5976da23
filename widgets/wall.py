"""The wall: tiles laid out by the current layout, fed by one display timer.

The widget keeps the layout of its tiles, the display timer and the routing of events. What
the wall shows is the model (`app.layouts.WallModel`); which stream feeds each tile is the
binder's business (`app.binder.TileBinder`); every change goes through the wall's commands
(`app.commands.WallCommands`), whose results and errors come back as `message`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget

from app.binder import TileBinder
from app.commands import CommandError, Host, Result, WallCommands
from app.feeds import FeedManager
from app.health import StatusPoller
from app.labels import place_of
from app.layouts import WallModel
from app.registry import Registry
from app.settings import SettingsStore
from app.snapshots import SnapshotWriter
from widgets.tile import TileContent, TileWidget

# One timer for the whole wall, never one per tile or frame. 50 Hz, not 25: with 25 fps
# cameras a 40 ms timer keeps a fixed phase to a stream for minutes, and a stream whose frames
# land next to the tick loses one in ten (measured: 22.2 fps on a 25 fps camera for 10 minutes;
# with 20 ms every tile showed 24.8-24.9 fps and capture-to-paint p50 fell from ~20 to ~10 ms).
DISPLAY_INTERVAL_MS = 20
NUMBER_ENTRY_TIMEOUT_MS = 5000


class WallWidget(QWidget):
    """Shows `model` using streams from `feeds`. Owns the only display timer."""

    selectionChanged = Signal(int)  # the selected tile, or the camera on it, really changed
    message = Signal(str)  # commands' results and errors, for the status bar
    stateChanged = Signal()  # anything the status bar shows (layout, page, view, tour)

    def __init__(self, registry: Registry, model: WallModel, feeds: FeedManager,
                 parent: QWidget | None = None, store: SettingsStore | None = None,
                 snapshots: SnapshotWriter | None = None, tour_seconds: float = 10.0,
                 host: Host | None = None, poller: StatusPoller | None = None):
        super().__init__(parent)
        self.registry = registry
        self.model = model
        self.feeds = feeds
        self.binder = TileBinder(registry, feeds)
        self.commands = WallCommands(model, registry, store=store, snapshots=snapshots,
                                     host=host, frames=self.binder, tour_seconds=tour_seconds)
        self.poller = poller
        self.chip_for: Callable[[str], str] = lambda _cid: ""  # the alarm desk's reason chips
        self.tiles: list[TileWidget] = []
        self.suspended = False
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
        self._tour_timer.timeout.connect(lambda: self.execute("tour_step"))
        # Camera number entry: digits typed on the wall, then Enter.
        self.number_entry = ""
        self._entry_label = QLabel(self)
        self._entry_label.setTextFormat(Qt.TextFormat.PlainText)
        self._entry_label.setStyleSheet(
            "background: rgba(0,0,0,200); color: #ffd600; font-size: 22px; padding: 8px;"
            "border: 2px solid #ffd600;")
        self._entry_label.hide()
        self._entry_timer = QTimer(self)
        self._entry_timer.setSingleShot(True)
        self._entry_timer.setInterval(NUMBER_ENTRY_TIMEOUT_MS)
        self._entry_timer.timeout.connect(self.cancel_number_entry)
        ev = model.events
        for event in (ev.layout, ev.view, ev.page, ev.maximised):
            event.connect(self.sync)
        ev.selection.connect(self._on_selection)
        ev.connect_all(self.stateChanged.emit)
        self.commands.tour_changed.connect(self._on_tour)
        self.commands.slot_changed.connect(self.stateChanged.emit)
        self.commands.highlight_changed.connect(self._on_highlight)
        if poller is not None:
            poller.polled.connect(self.apply_readings)
        self.sync()

    # -- the front door ----------------------------------------------------------------------
    def execute(self, command: str, /, *args: Any, **kwargs: Any) -> Result | None:
        """Run a command; show its result or its error in the status bar (never a dialog)."""
        try:
            result = self.commands.run(command, *args, **kwargs)
        except CommandError as exc:
            self.message.emit(str(exc))
            return None
        if result.message:
            self.message.emit(result.message)
        return result

    @property
    def current_slot(self) -> int | None:
        return self.commands.current_slot

    @property
    def tour(self):
        return self.commands.tour

    @property
    def store(self) -> SettingsStore | None:
        return self.commands.store

    # -- model -> tiles ---------------------------------------------------------------------
    def sync(self) -> None:
        """Make the tiles match the model: layout, cameras, maximised tile, selection."""
        lay = self.model.layout
        while len(self.tiles) < lay.tiles:
            tile = TileWidget(len(self.tiles), self)
            tile.clicked.connect(lambda i: self._front_door("select_tile", i))
            tile.doubleClicked.connect(lambda i: self._front_door("activate_tile", i))
            tile.cameraDropped.connect(lambda i, cam: self.execute("put_camera", cam, i))
            tile.tileDropped.connect(lambda a, b: self.execute("swap_tiles", a, b))
            tile.wall_focused = self.hasFocus()
            self.tiles.append(tile)
        while len(self.tiles) > lay.tiles:
            self.tiles.pop().deleteLater()
        self._place_tiles()
        visible = self.model.visible()
        wanted = [None if self.suspended or not tile.isVisibleTo(self) else cam
                  for tile, cam in zip(self.tiles, visible)]  # hidden: do not decode it
        changed = self.binder.bind(wanted, [t.device_size() for t in self.tiles],
                                   self.model.maximised)
        for i in changed:
            self.tiles[i].set_content(self._content(i))
        self.binder.standby([] if self.suspended else self.commands.upcoming())
        self._mark_tiles()
        if self.binder.bound():
            if not self.timer.isActive():
                self.timer.start()
        else:
            self.timer.stop()

    def _content(self, i: int) -> TileContent | None:
        b = self.binder.binding(i)
        if b is None:
            return None
        cam = self.registry.cameras.get(b.camera_id)
        if cam is None:
            return TileContent(b.camera_id, b.camera_id, "", None)
        return TileContent(cam.id, cam.name, place_of(self.registry, cam), b.feed,
                           stream=b.stream, number=cam.number, chip=self.chip_for(cam.id))

    def refresh_chips(self) -> None:
        """The alarm changed: give every tile its camera's reason chip (or none)."""
        for tile in self.tiles:
            if tile.content is not None:
                tile.set_chip(self.chip_for(tile.content.camera_id))

    def _mark_tiles(self) -> None:
        hl = self.commands.highlighted
        for i, tile in enumerate(self.tiles):
            sel = i == self.model.selected
            lit = hl is not None and tile.content is not None and tile.content.camera_id == hl
            if tile.selected != sel or tile.highlighted != lit:
                tile.selected, tile.highlighted = sel, lit
                tile.update()

    def _on_selection(self) -> None:
        self._mark_tiles()
        self.selectionChanged.emit(self.model.selected)

    def _on_highlight(self) -> None:
        self._mark_tiles()

    def _on_tour(self) -> None:
        if self.commands.tour is not None:
            self._tour_timer.start(int(self.commands.tour_seconds * 1000))
        else:
            self._tour_timer.stop()
        self.binder.standby([] if self.suspended else self.commands.upcoming())
        self.stateChanged.emit()

    def _front_door(self, name: str, *args: Any) -> None:
        self.execute(name, *args)
        self.setFocus(Qt.FocusReason.MouseFocusReason)

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
        self.binder.resize([t.device_size() for t in self.tiles], self.model.maximised)
        self._place_entry_label()

    def set_suspended(self, suspended: bool) -> None:
        """A minimised window shows nothing: close its streams; reopen them when shown."""
        if suspended != self.suspended:
            self.suspended = suspended
            self.sync()

    def set_focus_mark(self, focused: bool) -> None:
        for tile in self.tiles:
            if tile.wall_focused != focused:
                tile.wall_focused = focused
                tile.update()

    def focusInEvent(self, event) -> None:  # noqa: N802
        self.set_focus_mark(True)
        super().focusInEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802
        self.set_focus_mark(False)
        super().focusOutEvent(event)

    def highlight_camera(self, camera_id: str | None) -> list[int]:
        """Mark every tile that shows `camera_id` (None: clear). Returns their indexes."""
        self.execute("highlight_camera", camera_id)
        return [i for i, t in enumerate(self.tiles) if t.highlighted]

    def selected_camera(self) -> str | None:
        return self.model.selected_camera()

    def stream_of(self, index: int) -> str | None:
        return self.binder.stream_of(index)

    # -- the display timer ------------------------------------------------------------------
    def refresh(self) -> None:
        """Pull the newest frame of every tile; repaint only the tiles that changed."""
        self.ticks += 1
        for i in self.binder.complete_switches():
            self.tiles[i].switch_source(self.binder.source(i), self.binder.stream_of(i) or "")
        for tile in self.tiles:
            tile.refresh()

    def apply_readings(self) -> None:
        """The status poller has read every stream: give each tile its stream's state."""
        if self.poller is None:
            return
        for i, tile in enumerate(self.tiles):
            b = self.binder.binding(i)
            if b is not None and b.feed is not None:
                reading = self.poller.reading(b.feed.key)
                if reading is not None:
                    tile.refresh(reading)

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
                if self.number_entry:
                    self._show_entry()
                else:
                    self.cancel_number_entry()
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
        self.execute("put_number", number)

    def shutdown(self) -> None:
        self.timer.stop()
        self._tour_timer.stop()
        if self.poller is not None:
            self.poller.polled.disconnect(self.apply_readings)
        self.binder.release_all()
        for tile in self.tiles:
            tile.set_content(None)
