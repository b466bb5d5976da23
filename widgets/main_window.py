"""The main window (wall, camera tree, menus) and a second wall window for another screen."""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QGuiApplication, QScreen
from PySide6.QtWidgets import (QApplication, QDockWidget, QLabel, QMainWindow, QVBoxLayout,
                               QWidget)

from app.feeds import FeedManager
from app.layouts import WallModel
from app.registry import Registry
from app.settings import SettingsStore
from app.snapshots import SnapshotWriter
from widgets import actions as shortcut_actions
from widgets.camera_tree import CameraTree
from widgets.help_overlay import HelpOverlay
from widgets.map_dock import attach_map_dock
from widgets.message_bar import MessageBar
from widgets.wall import WallWidget


class _WallWindowMixin:
    """What the main window and a second wall window share: full screen, Esc, help, state."""

    wall: WallWidget
    help: HelpOverlay
    state_key: str

    def toggle_fullscreen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
            self._leave_fullscreen()
        else:
            self._enter_fullscreen()
            screen = self.screen()
            if screen is not None:  # with no window manager (a bare X server) Qt cannot ask
                self.setGeometry(screen.geometry())  # one to go full screen: size it ourselves
            self.showFullScreen()

    def _enter_fullscreen(self) -> None:
        pass

    def _leave_fullscreen(self) -> None:
        pass

    def place_on_screen(self, screen: QScreen, fullscreen: bool) -> None:
        self.setScreen(screen)
        geo = screen.availableGeometry()
        if fullscreen:
            self._enter_fullscreen()
            self.setGeometry(screen.geometry())
            self.showFullScreen()
        else:
            self.move(geo.topLeft())
            self.show()

    def back(self) -> None:
        """Esc: close the help, else restore the maximised tile, else leave full screen,
        else go back to the wall from wherever the focus is."""
        if self.help.isVisible():
            self.help.hide()
        elif self.wall.model.restore():
            pass
        elif self.isFullScreen():
            self.toggle_fullscreen()
        self.wall.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def toggle_help(self) -> None:
        if self.help.isVisible():
            self.help.hide()
        else:
            self.help.show_over(self)

    def start_number_entry(self) -> None:
        self.wall.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.wall.number_entry = ""
        self.wall.message.emit("Type the camera number, then Enter")

    def save_state(self) -> None:
        if self.wall.store is not None:
            state = self.wall.model.to_dict()
            state["current_slot"] = self.wall.current_slot
            screen = self.screen()
            state["screen"] = screen.name() if screen else None
            self.wall.store.put(self.state_key, state)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.WindowStateChange:
            # Minimised: nobody sees the wall, so nothing is decoded for it.
            self.wall.set_suspended(self.isMinimized())
        super().changeEvent(event)


class MainWindow(_WallWindowMixin, QMainWindow):
    state_key = "wall:1"

    def __init__(self, registry: Registry, model: WallModel, feeds: FeedManager,
                 store: SettingsStore | None = None, snapshots: SnapshotWriter | None = None,
                 tour_seconds: float = 10.0, with_map: bool = False):
        super().__init__()
        self.registry = registry
        self.model = model
        self.feeds = feeds
        self.second: WallWindow | None = None
        self.setWindowTitle("Nazar: live video wall")
        self.resize(1600, 900)

        central = QWidget(self)
        col = QVBoxLayout(central)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        self.message_bar = MessageBar(central)
        self.wall = WallWidget(registry, model, feeds, central, store=store, snapshots=snapshots,
                               tour_seconds=tour_seconds)
        col.addWidget(self.message_bar)
        col.addWidget(self.wall, 1)
        self.setCentralWidget(central)

        self.tree = CameraTree(registry, self)
        self.tree.cameraActivated.connect(self.open_camera)
        self.tree.search.returnPressed.connect(
            lambda: self.wall.setFocus(Qt.FocusReason.ShortcutFocusReason))
        dock = QDockWidget("Cameras", self)
        dock.setObjectName("camerasDock")
        dock.setWidget(self.tree)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.tree_dock = dock
        self._dock_was_visible = True

        self.status_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.status_label)
        self.actions_by_name = shortcut_actions.install(self, self.wall, self.menuBar())
        self.help = HelpOverlay(shortcut_actions.shortcut_rows(self.actions_by_name), self)
        self.wall.selectionChanged.connect(lambda _i: self._update_status())
        self.wall.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.wall.tourChanged.connect(lambda _on: self._update_status())
        if store is not None and store.problem:
            self.message_bar.show_message(store.problem, [])
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(1000)
        self._status_timer.timeout.connect(self._update_status)
        self._status_timer.start()
        self._update_status()
        # The map (QtWebEngine) is optional so that wall-only tests need not start Chromium.
        self.map_panel = None
        if with_map:
            attach_map_dock(self)  # sets self.map_panel and self.map_dock

    def toggle_map(self) -> None:
        if self.map_panel is None:
            self.statusBar().showMessage("The map is not available in this window", 5000)
            return
        dock = self.map_dock
        dock.setVisible(not dock.isVisible())
        if dock.isVisible():
            self.map_panel.setFocus(Qt.FocusReason.ShortcutFocusReason)

    # -- commands ---------------------------------------------------------------------------
    def open_camera(self, camera_id: str) -> None:
        """Put a camera on the selected tile if it is empty, else on the next free one."""
        tile = self.model.put_next_free(camera_id)
        self.model.select(tile)

    def find_camera(self) -> None:
        if self.isFullScreen():
            self.toggle_fullscreen()
        self.tree_dock.show()
        self.tree.focus_search()

    def _enter_fullscreen(self) -> None:
        """Full screen shows the wall alone; the camera list comes back when leaving it."""
        self._dock_was_visible = self.tree_dock.isVisible()
        self.menuBar().hide()
        self.statusBar().hide()
        self.tree_dock.hide()

    def _leave_fullscreen(self) -> None:
        self.menuBar().show()
        self.statusBar().show()
        self.tree_dock.setVisible(self._dock_was_visible)

    def open_second_wall(self, screen: QScreen | None = None, fullscreen: bool = True) -> WallWindow:
        if self.second is None:
            store = self.wall.store
            model = WallModel.from_dict(store.get(WallWindow.state_key, {})) \
                if store else WallModel()
            self.second = WallWindow(self.registry, model, self.feeds, store,
                                     self.wall.snapshots, self.wall.tour_seconds)
            self.second.destroyed.connect(lambda _=None: setattr(self, "second", None))
        if screen is None:
            others = [s for s in QGuiApplication.screens() if s is not self.screen()]
            screen = others[0] if others else self.screen()
            fullscreen = fullscreen and bool(others)
        self.second.place_on_screen(screen, fullscreen)
        self.second.activateWindow()
        return self.second

    def quit_app(self) -> None:
        if self.second is not None:
            self.second.close()
        self.close()

    def show_registry_problems(self) -> None:
        reg = self.registry
        if not reg.problems:
            return
        n_skipped = len(reg.skipped)
        summary = (f"{len(reg.problems)} problem(s) in {reg.path}: {n_skipped} camera(s) "
                   f"skipped ({', '.join(reg.skipped[:6])}{'…' if n_skipped > 6 else ''}). "
                   f"{len(reg.cameras)} camera(s) loaded.")
        self.message_bar.show_message(summary, [str(p) for p in reg.problems])

    def _update_status(self) -> None:
        feeds = self.feeds.feeds()
        live = sum(1 for f in feeds if f.snapshot().state.value == "live")
        m = self.model
        parts = [f"{len(self.registry.cameras)} cameras", f"layout {m.layout.name}",
                 f"page {m.page + 1}/{m.pages}", f"tile {m.selected + 1}"]
        if self.wall.current_slot:
            parts.append(f"view {self.wall.current_slot}")
        if self.wall.tour is not None:
            parts.append("TOUR")
        parts.append(f"{live}/{len(feeds)} streams live")
        self.status_label.setText(" · ".join(parts))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self._status_timer.stop()
        self.save_state()
        if self.second is not None:
            self.second.close()
        self.wall.shutdown()
        self.feeds.stop_all(timeout=1.0)
        super().closeEvent(event)


class WallWindow(_WallWindowMixin, QWidget):
    """A second wall, usually full screen on another monitor. Same keys as the main wall."""

    state_key = "wall:2"

    def __init__(self, registry: Registry, model: WallModel, feeds: FeedManager,
                 store: SettingsStore | None, snapshots: SnapshotWriter | None,
                 tour_seconds: float = 10.0):
        super().__init__()
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("Nazar: second wall")
        self.registry = registry
        self.resize(1280, 720)
        self.wall = WallWidget(registry, model, feeds, self, store=store, snapshots=snapshots,
                               tour_seconds=tour_seconds)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.wall)
        self.actions_by_name = shortcut_actions.install(
            self, self.wall, None,
            only=lambda s: s.name not in ("second_wall", "find_camera", "map"))
        self.help = HelpOverlay(shortcut_actions.shortcut_rows(self.actions_by_name), self)

    def quit_app(self) -> None:
        QApplication.instance().closeAllWindows()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.save_state()
        self.wall.shutdown()
        super().closeEvent(event)
