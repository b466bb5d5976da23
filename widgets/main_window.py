"""The main window (wall, camera tree, menus) and a second wall window for another screen.

Both are the `Host` of their wall's commands (app/commands.py): they do what needs Qt
(questions, full screen, other windows) and show results. They hold no wall rules.
"""
from __future__ import annotations

import base64
import threading
from datetime import datetime, timezone
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QScreen
from PySide6.QtWidgets import (QApplication, QDialog, QDockWidget, QInputDialog, QLabel,
                               QLineEdit, QMainWindow, QMessageBox, QPlainTextEdit, QPushButton,
                               QVBoxLayout, QWidget)

from app.alarm import AlarmDesk
from app.audit import AuditLog
from app.commands import CommandError
from app.demo import default_cache_dir
from app.feeds import FeedManager
from app.health import POLL_MS, StatusPoller
from app.layouts import WallModel
from app.recording import RecordingDesk, RecordingStore, safe_name
from app.replay import REPLAY_S, NothingToReplay, replay_of
from app.registry import IST, Registry
from app.search import SearchService
from app.settings import SettingsError, SettingsStore
from app.snapshots import SnapshotWriter
from app.streams import StatusReading, history_lines
from widgets import actions as shortcut_actions
from widgets.alarm_banner import AlarmBanner
from widgets.alarm_sound import REPEAT_S, AlarmSound
from widgets.incident_list import IncidentList
from widgets.camera_tree import CameraTree
from widgets.help_overlay import HelpOverlay
from widgets.map_dock import attach_map_dock
from widgets.message_bar import MessageBar
from widgets.raise_dialog import RaiseDialog
from widgets.replay import ReplayWindow
from widgets.wall import WallWidget

FOCUS_STYLE = ("QDockWidget[keys=\"true\"] { border: 2px solid #ffd600; }"
               "QDockWidget[keys=\"true\"]::title { background: #ffd600; color: black; }")


class _WallWindowMixin:
    """What the main window and a second wall window share: the host side of the commands
    (questions, full screen, Esc, help) and the wall state kept between runs."""

    wall: WallWidget
    help: HelpOverlay
    state_key: str
    _state_before_fullscreen: Qt.WindowState = Qt.WindowState.WindowNoState

    # -- Host: questions ---------------------------------------------------------------------
    def confirm(self, question: str) -> bool:
        answer = QMessageBox.question(self, "Nazar", question,
                                      QMessageBox.StandardButton.Yes
                                      | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def choose(self, question: str, options: list[str]) -> int | None:
        """A question with several answers (the first is the default, the last cancels)."""
        box = QMessageBox(self)  # type: ignore[call-overload]  # the mixin is a QWidget
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Nazar")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(question)
        buttons = []
        for i, text in enumerate(options):
            role = (QMessageBox.ButtonRole.RejectRole if i == len(options) - 1
                    else QMessageBox.ButtonRole.AcceptRole)
            buttons.append(box.addButton(text, role))
        box.setDefaultButton(buttons[0])
        box.setEscapeButton(buttons[-1])
        box.exec()
        clicked = box.clickedButton()
        box.deleteLater()
        return buttons.index(clicked) if clicked in buttons else None

    def ask_text(self, question: str, default: str = "") -> str | None:
        text, ok = QInputDialog.getText(self, "Nazar", question,
                                        QLineEdit.EchoMode.Normal, default)
        return text if ok else None

    # -- Host: the window --------------------------------------------------------------------
    def toggle_fullscreen(self) -> None:
        if self.isFullScreen():
            self._leave_fullscreen()
            before = self._state_before_fullscreen
            self.setWindowState(before & ~Qt.WindowState.WindowFullScreen)
            if before & Qt.WindowState.WindowMaximized:
                self.showMaximized()
            else:
                self.showNormal()
        else:
            self._state_before_fullscreen = self.windowState()
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
            self._state_before_fullscreen = Qt.WindowState.WindowNoState
            self._enter_fullscreen()
            self.setGeometry(screen.geometry())
            self.showFullScreen()
        else:
            self.move(geo.topLeft())
            self.show()

    def back(self) -> None:
        """Esc: close the help, else restore the maximised tile, else leave full screen;
        always give the keyboard back to the wall, from wherever it was."""
        if self.help.isVisible():
            self.help.hide()
        elif self.wall.model.restore():
            pass
        elif self.isFullScreen():
            self.toggle_fullscreen()
        self.wall.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def show_stream_history(self) -> None:
        """The selected tile's stream history (when and why it changed state), newest first,
        in a window of its own that stays open beside the wall (Esc closes it)."""
        wall = self.wall
        i = wall.model.selected
        b = wall.binder.binding(i) if i < len(wall.tiles) else None
        if b is None or b.feed is None:
            raise CommandError("The selected tile shows no stream")
        cam = wall.registry.cameras.get(b.camera_id)
        name = cam.name if cam else b.camera_id
        lines = history_lines(b.feed.status.history())
        box = QDialog(self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowTitle(f"Stream history: {name}")
        text = QPlainTextEdit(box)  # plain text: registry text is never rendered
        text.setReadOnly(True)
        text.setPlainText(f"{name} ({b.stream} stream, {b.feed.source.display})\n"
                          f"{b.feed.info()}\n\n" + "\n".join(lines))
        close = QPushButton("Close", box)
        close.clicked.connect(box.close)
        col = QVBoxLayout(box)
        col.addWidget(text)
        col.addWidget(close)
        box.resize(640, 360)
        box.show()
        self.history_box = box

    def show_replay(self) -> None:
        """The selected tile's last 30 s in a window of its own; the tile stays live."""
        wall = self.wall
        i = wall.model.selected
        b = wall.binder.binding(i) if i < len(wall.tiles) else None
        if b is None or b.feed is None:
            raise CommandError("The selected tile shows no stream")
        try:
            player = replay_of(b.feed, REPLAY_S, size=(1280, 720))
        except NothingToReplay as exc:
            raise CommandError(f"Nothing to replay: {exc}") from None
        cam = wall.registry.cameras.get(b.camera_id)
        box = ReplayWindow(player, cam.name if cam else b.camera_id, self)
        box.show()
        self.replay_box = box

    def toggle_help(self) -> None:
        if self.help.isVisible():
            self.help.hide()
        else:
            self.help.show_over(self)

    def start_number_entry(self) -> None:
        self.wall.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.wall.number_entry = ""

    def find_camera(self) -> None:
        raise CommandError("Find camera is in the main window")

    def toggle_map(self) -> None:
        raise CommandError("The map is in the main window")

    def open_second_wall(self, screen: QScreen | None = None,
                         fullscreen: bool = True) -> WallWindow:
        raise CommandError("A second wall is opened from the main window")

    # -- state kept between runs -------------------------------------------------------------
    def save_state(self) -> None:
        store = self.wall.commands.store
        if store is None:
            return
        state = self.wall.commands.wall_state()
        screen = self.screen()
        state["screen"] = screen.name() if screen else None
        geometry = bytes(self.saveGeometry().data())
        try:  # (logged by the store; closing goes on)
            store.put(self.state_key, state)
            store.put(f"{self.state_key}:window", {
                "geometry": base64.b64encode(geometry).decode("ascii"),
                "maximised": bool(self._normal_state() & Qt.WindowState.WindowMaximized),
                "fullscreen": self.isFullScreen()})
        except SettingsError:
            pass

    def _normal_state(self) -> Qt.WindowState:
        return self._state_before_fullscreen if self.isFullScreen() else self.windowState()

    def restore_window(self) -> bool:
        """Size, position and maximised state as the last run left them. False: none kept
        (the caller shows the window at its default size)."""
        store = self.wall.commands.store
        saved = store.get(f"{self.state_key}:window") if store else None
        if not isinstance(saved, dict) or not isinstance(saved.get("geometry"), str):
            return False
        try:
            ok = self.restoreGeometry(QByteArray(base64.b64decode(saved["geometry"])))
        except ValueError:
            return False
        if ok and saved.get("maximised"):
            self.setWindowState(Qt.WindowState.WindowMaximized)
        return ok

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.WindowStateChange:
            # Minimised: nobody sees the wall, so nothing is decoded for it.
            self.wall.set_suspended(self.isMinimized())
        super().changeEvent(event)


SECOND_WALL_KEY = "wall:2:open"  # was the second wall open at the last close, and where


class MainWindow(_WallWindowMixin, QMainWindow):
    state_key = "wall:1"
    # Emitted from any thread (a feed worker finds the disk full); shown in the GUI thread.
    recordingWarning = Signal(str)
    evidenceDone = Signal(str)  # from the export thread: what to tell the officer

    def __init__(self, registry: Registry, model: WallModel, feeds: FeedManager,
                 store: SettingsStore | None = None, snapshots: SnapshotWriter | None = None,
                 tour_seconds: float = 10.0, with_map: bool = False,
                 audit: AuditLog | None = None, reduced_motion: bool | None = None,
                 alarm_repeat_s: float = REPEAT_S, cache_dir: Path | None = None,
                 recorder: RecordingStore | None = None):
        super().__init__()
        self.registry = registry
        self.model = model
        self.feeds = feeds
        self.second: WallWindow | None = None
        self.on_close: list[Callable[[], None]] = []  # run first when the window closes
        self.setWindowTitle("Nazar: live video wall")
        self.resize(1600, 900)
        # The one stream-status poller: tiles, status bar and map all read it.
        self.poller = StatusPoller(feeds)
        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(POLL_MS)
        self._poll_timer.timeout.connect(self.poller.poll)
        self._poll_timer.start()

        central = QWidget(self)
        col = QVBoxLayout(central)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        self.message_bar = MessageBar(central)
        self.wall = WallWidget(registry, model, feeds, central, store=store, snapshots=snapshots,
                               tour_seconds=tour_seconds, host=self, poller=self.poller)
        self.commands = self.wall.commands
        # Alarm mode: the main wall's incidents, its banner, and the tiles' reason chips.
        self.alarm = AlarmDesk(self.commands, registry, store, audit,
                               offline=lambda cam: self.poller.camera_states.get(cam)
                               in ("offline", "error"))  # never on the big tile
        self.wall.chip_for = self.alarm.chip
        if reduced_motion is None:  # the officer's own setting, kept between runs
            reduced_motion = bool(store.get("ui:reduced-motion", False)) if store else False
        self.banner = AlarmBanner(self.alarm, central, reduced_motion=reduced_motion)
        self.sound = AlarmSound(self.alarm, cache_dir or default_cache_dir().parent, self,
                                repeat_s=alarm_repeat_s)
        self.alarm.changed.connect(self.wall.refresh_chips)
        self.audit = audit
        self.snapshots = snapshots
        self.evidenceDone.connect(lambda text: self.statusBar().showMessage(text, 20000))
        # Evidence: the cameras of every open incident recorded from raise to clear.
        self.recordings: RecordingDesk | None = None
        if recorder is not None:
            recorder.on_warning = self.recordingWarning.emit
            self.recordingWarning.connect(lambda text: self.message_bar.show_message(text, []))
            recorder.start()
            self.recordings = RecordingDesk(recorder, feeds, registry, self.alarm)
        col.addWidget(self.message_bar)
        col.addWidget(self.banner)
        col.addWidget(self.wall, 1)
        self.setCentralWidget(central)

        self.search = SearchService(registry)  # one index: Ctrl+F, map search, area picker,
        # and the raise dialog
        self.tree = CameraTree(registry, self, search=self.search)
        self.tree.cameraActivated.connect(lambda cam: self.wall.execute("open_camera", cam))
        self.tree.search.returnPressed.connect(
            lambda: self.wall.setFocus(Qt.FocusReason.ShortcutFocusReason))
        self.tree_dock = self._left_dock("Cameras", "camerasDock", self.tree)
        self._dock_was_visible = True

        self.status_label = QLabel(self)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.statusBar().addPermanentWidget(self.status_label)
        self.actions_by_name = shortcut_actions.install(self, self.wall, self.menuBar())
        self.help = HelpOverlay(shortcut_actions.shortcut_rows(self.actions_by_name), self)
        self.wall.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.wall.stateChanged.connect(self._update_status)
        self.poller.polled.connect(self._update_status)
        self.alarm.changed.connect(self._update_status)
        self.incidents = IncidentList(self.alarm, self)
        self.incidents.incidentChosen.connect(
            lambda inc: self.wall.execute("show_incident", inc))
        self.incident_dock = self._left_dock("Incidents", "incidentsDock", self.incidents)
        self.alarm.changed.connect(self._show_incident_dock)
        self._show_incident_dock()
        self.alarm.resume()  # an incident open when Nazar stopped is on the wall again
        if store is not None and store.problem:
            self.message_bar.show_message(store.problem, [])
        self._update_status()
        # The map (QtWebEngine) is optional so that wall-only tests need not start Chromium.
        self.map_panel = None
        self.map_dock: QDockWidget | None = None
        if with_map:
            attach_map_dock(self)  # sets self.map_panel and self.map_dock
        self.setStyleSheet(FOCUS_STYLE)
        QApplication.instance().focusChanged.connect(self._mark_focus)
        self._marking_focus = True
        self._shut_down = False

    def _left_dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        return dock

    def _show_incident_dock(self) -> None:
        """The list of open incidents is there while there are any (in full screen too)."""
        self.incident_dock.setVisible(bool(self.alarm.open))

    def toggle_reduced_motion(self) -> None:
        self.banner.reduced_motion = not self.banner.reduced_motion
        self.banner.refresh()
        store = self.wall.commands.store
        if store is not None:
            try:
                store.put("ui:reduced-motion", self.banner.reduced_motion)
            except SettingsError as exc:
                self.wall.message.emit(str(exc))
        self.statusBar().showMessage(
            "Reduced motion: the alarm banner is steady" if self.banner.reduced_motion
            else "The alarm banner flashes until acknowledged", 8000)

    # -- where the keys go -------------------------------------------------------------------
    def _mark_focus(self, _old: QWidget | None, now: QWidget | None) -> None:
        """The dock that has the keyboard gets a yellow frame and title; the wall's selected
        tile is bright only while the wall has the keys (see TileWidget)."""
        for dock in (self.tree_dock, self.map_dock, self.incident_dock):
            if dock is None:
                continue
            inside = now is not None and (now is dock or dock.isAncestorOf(now))
            if bool(dock.property("keys")) != inside:
                dock.setProperty("keys", inside)
                dock.style().unpolish(dock)
                dock.style().polish(dock)

    # -- Host --------------------------------------------------------------------------------
    def ask_incident(self, prefill: dict | None = None) -> dict | None:
        """Ctrl+I: where and what (RaiseDialog); raise_incident's arguments, None: cancel.
        From the map, the point or site is filled in already."""
        dialog = RaiseDialog(self.registry, self.search, self)
        if prefill is not None:
            dialog.prefill(prefill["lat"], prefill["lon"], prefill.get("site_id"))
        try:
            return dialog.arguments if dialog.exec() else None
        finally:
            dialog.deleteLater()

    def toggle_map(self) -> None:
        if self.map_panel is None or self.map_dock is None:
            raise CommandError("The map is not available in this window")
        dock = self.map_dock
        dock.setVisible(not dock.isVisible())
        if dock.isVisible():
            self.map_panel.setFocus(Qt.FocusReason.ShortcutFocusReason)
        else:
            self.wall.setFocus(Qt.FocusReason.ShortcutFocusReason)

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

    def open_second_wall(self, screen: QScreen | None = None,
                         fullscreen: bool = True) -> WallWindow:
        if screen is None:
            others = [s for s in QGuiApplication.screens() if s is not self.screen()]
            if not others:
                raise CommandError("There is no second screen: connect one for a second wall")
            screen = others[0]
        if self.second is None:
            store = self.wall.commands.store
            saved = store.get(WallWindow.state_key, {}) if store else {}
            model = WallModel.from_dict(saved)
            self.second = WallWindow(self.registry, model, self.feeds, store,
                                     self.wall.commands.snapshots, self.wall.commands.tour_seconds,
                                     self.poller)
            self.second.wall.commands.apply_state(saved if isinstance(saved, dict) else {})
            self.second.destroyed.connect(lambda _=None: setattr(self, "second", None))
        self.second.place_on_screen(screen, fullscreen)
        self.second.activateWindow()
        return self.second

    def restore_second_wall(self) -> WallWindow | None:
        """Reopen the second wall if it was open when Nazar last closed, on the same screen
        if that screen is still there (else on another screen, if any)."""
        store = self.wall.commands.store
        saved = store.get(SECOND_WALL_KEY) if store is not None else None
        if not isinstance(saved, dict) or saved.get("open") is not True:
            return None
        screens = QGuiApplication.screens()
        screen = next((s for s in screens if s.name() == saved.get("screen")), None)
        try:
            return self.open_second_wall(screen)
        except CommandError as exc:
            self.statusBar().showMessage(f"Second wall not reopened: {exc}", 8000)
            return None

    def quit(self) -> None:
        if self.second is not None:
            self.second.close()
        self.close()

    quit_app = quit

    def show_registry_problems(self) -> None:
        reg = self.registry
        if not reg.problems:
            return
        n_skipped = len(reg.skipped)
        summary = (f"{len(reg.problems)} problem(s) in {reg.path}: {n_skipped} camera(s) "
                   f"skipped ({', '.join(reg.skipped[:6])}{'…' if n_skipped > 6 else ''}). "
                   f"{len(reg.cameras)} camera(s) loaded.")
        details = [str(p) for p in reg.problems]
        store = self.wall.commands.store
        if store is not None and store.problem:  # one strip: the settings warning stays
            summary = f"{store.problem}. Also: {summary}"
            details.insert(0, store.problem)
        self.message_bar.show_message(summary, details)

    def status_text(self) -> str:
        m = self.model
        live, total = self.poller.live_count()
        parts = [f"{len(self.registry.cameras)} cameras", f"layout {m.layout.name}",
                 f"page {m.page + 1}/{m.pages}", f"tile {m.selected + 1}"]
        if self.wall.current_slot:
            parts.append(f"view {self.wall.current_slot}")
        if self.wall.tour is not None:
            parts.append("TOUR")
        if self.alarm.open:
            parts.append(f"{len(self.alarm.open)} incident(s) open")
        parts.append(f"{live}/{total} streams live")
        return " · ".join(parts)

    def _update_status(self) -> None:
        text = self.status_text()
        if text != self.status_label.text():
            self.status_label.setText(text)

    def tile_readings(self) -> list[StatusReading | None]:
        """The stream state of each tile of the wall's page (None: empty or hidden)."""
        out: list[StatusReading | None] = []
        for i in range(len(self.model.visible())):
            b = self.wall.binder.binding(i)
            out.append(b.feed.reading() if b is not None and b.feed is not None else None)
        return out

    def export_evidence(self) -> str:
        """Write the evidence bundle of the incident on the wall (app/evidence.py) beside
        the snapshots, in a thread (the PDF is printed by a Qt process of its own); the
        status bar says where, or why not."""
        from app import evidence
        cur = self.alarm.current()
        store = self.commands.store
        if cur is None:
            raise CommandError("No incident on the wall to export")
        if store is None:
            raise CommandError("Evidence needs the settings store (incidents are read from it)")
        inc = cur.incident.id
        now = datetime.now(timezone.utc)
        base = self.snapshots.directory if self.snapshots is not None else Path.cwd()
        out = base / f"evidence-{safe_name(inc)}-{now.astimezone(IST):%Y%m%d-%H%M%S}"
        rec_dir = self.recordings.recorder.root if self.recordings is not None else None

        def work() -> None:
            try:
                bundle = evidence.export_bundle(
                    inc, out, registry=self.registry, settings_dir=store.directory,
                    audit_path=self.audit.path if self.audit is not None else None,
                    snapshot_dir=self.snapshots.directory if self.snapshots else None,
                    recordings_dir=rec_dir)
            except Exception as exc:  # noqa: BLE001 - said to the officer, never a crash
                self.evidenceDone.emit(f"Evidence of {inc} not written: {exc}")
                return
            extra = f"; {len(bundle.problems)} problem(s) noted on the sheet" \
                if bundle.problems else ""
            self.evidenceDone.emit(f"Evidence of {inc} written to {bundle.path}{extra}")

        threading.Thread(target=work, name="evidence-export", daemon=True).start()
        return f"Writing the evidence bundle of {inc}…"

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self._shut_down:  # closed twice (Ctrl+Q, then SIGTERM): everything is done
            super().closeEvent(event)
            return
        self._shut_down = True
        for stop in self.on_close:  # the dispatch API and the CAP drop folder first
            stop()
        self._poll_timer.stop()
        app = QApplication.instance()
        if app is not None and self._marking_focus:
            self._marking_focus = False
            app.focusChanged.disconnect(self._mark_focus)
        self.save_state()
        store = self.wall.commands.store
        if store is not None:  # reopened at the next start (restore_second_wall)
            second_screen = self.second.screen() if self.second is not None else None
            try:
                store.put(SECOND_WALL_KEY, {"open": self.second is not None,
                                            "screen": second_screen.name() if second_screen
                                            else None})
            except SettingsError:
                pass
        if self.second is not None:
            self.second.close()
        self.wall.shutdown()
        if self.recordings is not None:  # close the open segments: each one listed, hashed
            self.recordings.stop_all()
            self.recordings.recorder.stop()
        # Streams that deliver frames close cleanly; a hung one is not waited for (exit with
        # hung cameras within 1 s: ./nazar bench exit).
        self.feeds.stop_all(timeout=1.0, wait_hung=False)
        super().closeEvent(event)


class WallWindow(_WallWindowMixin, QWidget):
    """A second wall, usually full screen on another monitor. Same keys as the main wall."""

    state_key = "wall:2"

    def __init__(self, registry: Registry, model: WallModel, feeds: FeedManager,
                 store: SettingsStore | None, snapshots: SnapshotWriter | None,
                 tour_seconds: float = 10.0, poller: StatusPoller | None = None):
        super().__init__()
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("Nazar: second wall")
        self.registry = registry
        self.resize(1280, 720)
        self.wall = WallWidget(registry, model, feeds, self, store=store, snapshots=snapshots,
                               tour_seconds=tour_seconds, host=self, poller=poller)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.wall)
        self.actions_by_name = shortcut_actions.install(
            self, self.wall, None,
            only=lambda s: s.name not in ("second_wall", "find_camera", "map", "reduced_motion"))
        self.help = HelpOverlay(shortcut_actions.shortcut_rows(self.actions_by_name), self)

    def quit(self) -> None:
        QApplication.instance().closeAllWindows()

    quit_app = quit

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.save_state()
        self.wall.shutdown()
        super().closeEvent(event)
