"""The main window: the wall in the centre, the camera tree beside it, menus with shortcuts."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QLabel, QMainWindow, QVBoxLayout, QWidget)

from app.feeds import FeedManager
from app.layouts import LAYOUTS, WallModel
from app.registry import Registry
from widgets.camera_tree import CameraTree
from widgets.message_bar import MessageBar
from widgets.wall import WallWidget

LAYOUT_SHORTCUTS = {"1": "Ctrl+1", "2x2": "Ctrl+2", "3x3": "Ctrl+3", "4x4": "Ctrl+4"}


class MainWindow(QMainWindow):
    def __init__(self, registry: Registry, model: WallModel, feeds: FeedManager):
        super().__init__()
        self.registry = registry
        self.model = model
        self.feeds = feeds
        self.setWindowTitle("Nazar: live video wall")
        self.resize(1600, 900)

        central = QWidget(self)
        col = QVBoxLayout(central)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        self.message_bar = MessageBar(central)
        self.wall = WallWidget(registry, model, feeds, central)
        col.addWidget(self.message_bar)
        col.addWidget(self.wall, 1)
        self.setCentralWidget(central)

        self.tree = CameraTree(registry, self)
        self.tree.cameraActivated.connect(self.open_camera)
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
        self.actions_by_name: dict[str, QAction] = {}
        self._build_menus()
        self.wall.selectionChanged.connect(lambda _i: self._update_status())
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(1000)
        self._status_timer.timeout.connect(self._update_status)
        self._status_timer.start()
        self._update_status()

    # -- actions ----------------------------------------------------------------------------
    def _action(self, name: str, text: str, shortcut: str | QKeySequence.StandardKey | None,
                slot, menu) -> QAction:
        act = QAction(text, self)
        act.setObjectName(name)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.triggered.connect(slot)
        menu.addAction(act)
        self.addAction(act)  # shortcuts keep working with the menu bar hidden (fullscreen)
        self.actions_by_name[name] = act
        return act

    def _build_menus(self) -> None:
        wall_menu = self.menuBar().addMenu("&Wall")
        for name, lay in LAYOUTS.items():
            label = "Single camera" if lay.tiles == 1 else f"{name} grid"
            self._action(f"layout_{name}", f"Layout: {label}", LAYOUT_SHORTCUTS[name],
                         lambda _=False, lay=lay: self.model.set_layout(lay), wall_menu)
        wall_menu.addSeparator()
        self._action("clear_tile", "Clear selected tile", "Delete", lambda: self.model.clear(),
                     wall_menu)
        view_menu = self.menuBar().addMenu("&View")
        self._action("fullscreen", "Full screen", "F11", self.toggle_fullscreen, view_menu)
        self._action("find_camera", "Find camera…", "Ctrl+F", self.find_camera, view_menu)
        self._action("focus_wall", "Back to the wall", "Escape", self.focus_wall, view_menu)
        file_menu = self.menuBar().addMenu("&File")
        self._action("quit", "Quit", "Ctrl+Q", self.close, file_menu)

    def open_camera(self, camera_id: str) -> None:
        """Put a camera on the selected tile if it is empty, else on the next free one."""
        tile = self.model.put_next_free(camera_id)
        self.model.select(tile)

    def find_camera(self) -> None:
        if self.isFullScreen():
            self.toggle_fullscreen()
        self.tree_dock.show()
        self.tree.focus_search()

    def focus_wall(self) -> None:
        if self.isFullScreen() and self.wall.hasFocus():
            self.toggle_fullscreen()
        self.wall.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def toggle_fullscreen(self) -> None:
        """Full screen shows the wall alone; the camera list comes back when leaving it."""
        if self.isFullScreen():
            self.showNormal()
            self.menuBar().show()
            self.statusBar().show()
            self.tree_dock.setVisible(self._dock_was_visible)
        else:
            self._dock_was_visible = self.tree_dock.isVisible()
            self.menuBar().hide()
            self.statusBar().hide()
            self.tree_dock.hide()
            screen = self.screen()
            if screen is not None:  # with no window manager (a bare X server) Qt cannot ask
                self.setGeometry(screen.geometry())  # one to go full screen: size it ourselves
            self.showFullScreen()

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
        self.status_label.setText(
            f"{len(self.registry.cameras)} cameras · layout {self.model.layout.name} · "
            f"tile {self.model.selected + 1} · {live}/{len(feeds)} streams live")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self._status_timer.stop()
        self.wall.shutdown()
        self.feeds.stop_all(timeout=1.0)
        super().closeEvent(event)
