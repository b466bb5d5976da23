"""The map panel as a dock of the main window, wired to the wall.

    from widgets.map_dock import attach_map_dock
    self.map_panel = attach_map_dock(self)      # in MainWindow.__init__

- double-click a pin (or "Open on wall" in its card): the camera goes on the selected tile if
  it is empty, else the next free one, and that tile is selected (`window.open_camera`);
- pick an area (list, card button or a drawn rectangle): its cameras become the wall's view
  in the smallest grid that fits (paged beyond 8x8);
- click a pin, or find a camera: the wall's tiles showing it are highlighted;
- the wall's selected tile: its camera's pin is marked on the map;
- camera colours follow the wall's feed states (polled once a second).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

from app.layouts import layout_for
from widgets.map_panel import MapPanel


class _WindowFollower(QObject):
    """Full screen shows the wall alone: hide the map dock there, bring it back after.
    Closing the window shuts the map page down (before the process ends)."""

    def __init__(self, window: QMainWindow, dock: QDockWidget, panel: MapPanel):
        super().__init__(dock)
        self.window, self.dock, self.panel = window, dock, panel
        self.was_visible = True
        self.fullscreen = window.isFullScreen()
        window.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if obj is self.window and event.type() == QEvent.Type.Close:
            self.panel.shutdown()
        elif obj is self.window and event.type() == QEvent.Type.WindowStateChange:
            full = self.window.isFullScreen()
            if full and not self.fullscreen:
                self.was_visible = self.dock.isVisible()
                self.dock.hide()
            elif not full and self.fullscreen:
                self.dock.setVisible(self.was_visible)
            self.fullscreen = full
        return False


def feed_states_of(window) -> callable:
    """(camera id, state) of every open feed of the window's wall."""
    def states():
        return [(f.camera_id, f.snapshot().state.value) for f in window.feeds.feeds()]
    return states


def attach_map_dock(window) -> MapPanel:
    """Create the map dock (right side, objectName "mapDock") on a MainWindow and wire it to
    the window's wall. Returns the panel."""
    panel = MapPanel(window.registry, feed_states_of(window), window)
    dock = QDockWidget("Map", window)
    dock.setObjectName("mapDock")
    dock.setWidget(panel)
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QDockWidget.DockWidgetFeature.DockWidgetClosable
                     | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.resizeDocks([dock], [max(420, window.width() // 3)], Qt.Orientation.Horizontal)
    window.map_dock = dock
    window.map_panel = panel
    dock._follower = _WindowFollower(window, dock, panel)

    wall, model = window.wall, window.model

    def open_camera(camera_id: str) -> None:
        window.open_camera(camera_id)
        wall.highlight_camera(camera_id)

    def show_area(ids: list, label: str) -> None:
        model.set_view(list(ids), layout_for(len(ids)))
        wall.highlight_camera(None)
        message = f"{label}: {len(ids)} camera(s) on the wall"
        if len(ids) > model.layout.tiles:
            message += f", {model.pages} pages (PgDown / PgUp)"
        window.statusBar().showMessage(message, 8000)

    def wall_selection(_index: int = 0) -> None:
        panel.highlight_camera(wall.selected_camera(), pan=True)

    panel.cameraOpenRequested.connect(open_camera)
    panel.cameraSelected.connect(wall.highlight_camera)
    panel.areaPicked.connect(show_area)
    wall.selectionChanged.connect(wall_selection)
    panel.ready.connect(lambda _pins: wall_selection())
    return panel
