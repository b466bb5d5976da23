"""The map panel as a dock of the main window, wired to the wall.

    from widgets.map_dock import attach_map_dock
    self.map_panel = attach_map_dock(self)      # in MainWindow.__init__

- double-click a pin (or "Open on wall" in its card): the camera goes on the selected tile if
  it is empty, else the next free one, and that tile is selected (`window.open_camera`);
- pick an area (list, card button or a drawn rectangle) and "Show on wall": its cameras
  replace the wall (`show_cameras`: undoable with Ctrl+Z) in the smallest grid that fits
  (paged beyond 8x8); "Add to wall" adds them to the free tiles (`add_cameras`);
- click a pin, or find a camera: the wall's tiles showing it are highlighted;
- the wall's selected tile: its camera's pin is marked on the map;
- camera colours follow the feed states read by the window's one status poller;
- Esc in the map gives the keyboard back to the wall.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

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


def attach_map_dock(window) -> MapPanel:
    """Create the map dock (right side, objectName "mapDock") on a MainWindow and wire it to
    the window's wall: every request of the map goes through the wall's commands."""
    panel = MapPanel(window.registry, window, search=window.search)
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

    wall = window.wall

    def open_camera(camera_id: str) -> None:
        if wall.execute("open_camera", camera_id) is not None:
            wall.execute("highlight_camera", camera_id)

    def wall_selection(_index: int = 0) -> None:
        panel.highlight_camera(wall.selected_camera(), pan=True)

    panel.cameraOpenRequested.connect(open_camera)
    panel.cameraSelected.connect(lambda cam: wall.execute("highlight_camera", cam))
    panel.areaPicked.connect(lambda ids, label: wall.execute("show_cameras", ids, label))
    panel.areaAdded.connect(lambda ids, label: wall.execute("add_cameras", ids, label))
    panel.backRequested.connect(lambda: wall.execute("back"))
    panel.raiseRequested.connect(
        lambda lat, lon, site: wall.execute("raise_dialog", lat, lon, site or None))
    wall.selectionChanged.connect(wall_selection)
    panel.ready.connect(lambda _pins: wall_selection())
    window.poller.polled.connect(lambda: panel.push_states(window.poller.camera_states))

    desk = window.alarm

    def show_incident() -> None:
        """The incident on the wall, on the map too: its circles and the chosen cameras'
        cones by reason, with the same chips as the tiles."""
        cur = desk.current()
        if cur is None:
            panel.clear_incident()
            return
        inc = cur.incident
        panel.show_incident(inc.lat, inc.lon, inc.search_radius_m, inc.uncertainty_m,
                            desk.incident_title(cur),
                            [{"id": p.camera_id, "tier": p.tier, "chip": desk.chip(p.camera_id)}
                             for p in cur.picks])

    desk.changed.connect(show_incident)
    panel.ready.connect(lambda _pins: show_incident())
    return panel
