"""The command layer: every operation that changes a wall, as a named command (no Qt).

Every front door goes through `WallCommands.run(name, ...)`: the QActions (keys and menus),
the typed camera number, the camera tree, drag and drop, the map's bridge, alarm mode (its
commands are the wall's AlarmDesk methods, registered here with target "alarm"), and later
the HTTP API. A command returns a `Result` (a message for the status bar) or raises
`CommandError` with a message for the officer; the widgets only show them. What needs Qt
(a dialog, full screen, another window) is asked of the `Host` the window provides.

## The one rule for commands that replace the wall's contents

`show_cameras` (an area or a search picked on the map), `open_view`, `undo`/`redo` and
an alarm wall (raise, next incident) *replace* what the wall shows. Each of them:

1. stops a running tour (unless the command is the tour's own step);
2. sets the current view slot: the opened view's slot for `open_view`, the slot that state
   had for `undo`/`redo`, and none for everything else: the wall is no longer that saved
   view, so Ctrl+S cannot overwrite it by surprise;
3. selects tile 1, restores a maximised tile and shows page 1 (`undo` restores them as they
   were);
4. is undoable: the wall as it was goes on the undo stack (the last UNDO_DEPTH states).

Commands that *edit* the wall (put, clear, swap, layout, add cameras) keep the current view
slot (the officer is editing that view; Ctrl+S saves the edit over it) and are undoable too.
Selection, page, maximise and tour commands change no contents and are not undone.
"""
from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from app.layouts import LAYOUTS, Event, Tour, WallModel, layout_for
from app.registry import Camera, Registry
from app.settings import MAX_SLOTS, SavedView, SettingsError, SettingsStore
from app.snapshots import SnapshotWriter

if TYPE_CHECKING:
    from app.alarm import AlarmDesk
    from app.audit import AuditLog

log = logging.getLogger("nazar.commands")

UNDO_DEPTH = 50  # wall states kept for Ctrl+Z (at least 20 are promised)


class CommandError(Exception):
    """A command could not be done. The message is for the officer, as it is."""


class NotFound(CommandError):
    """The command names a camera (or incident) that does not exist (the API answers 404)."""


@dataclass(frozen=True)
class Result:
    message: str = ""
    value: Any = None


class Host(Protocol):
    """What a wall's window does for the commands (the Qt side)."""

    def confirm(self, question: str) -> bool: ...
    def ask_text(self, question: str, default: str = "") -> str | None: ...
    def open_second_wall(self) -> None: ...  # raises CommandError when it cannot
    def toggle_fullscreen(self) -> None: ...
    def find_camera(self) -> None: ...
    def toggle_map(self) -> None: ...
    def back(self) -> None: ...
    def toggle_help(self) -> None: ...
    def start_number_entry(self) -> None: ...
    def quit(self) -> None: ...


class FrameGrabber(Protocol):
    """Full-resolution pictures of what a tile shows (the tile binder)."""

    def full_frame(self, tile: int) -> tuple[Any, str, str] | None:
        """(BGR frame, stream "main"/"sub", source text) or None when there is no picture."""


@dataclass(frozen=True)
class CommandInfo:
    name: str
    title: str
    kind: str  # "edit", "replace", "navigate", "views", "window", "alarm"
    method: str
    target: str = "wall"  # "wall": a WallCommands method; "alarm": an AlarmDesk method


COMMANDS: dict[str, CommandInfo] = {}


def command(name: str, title: str, kind: str, target: str = "wall") -> Callable:
    """Register a method as the command `name`: of WallCommands, or (target "alarm") of the
    wall's AlarmDesk (app/alarm.py)."""
    def register(fn: Callable) -> Callable:
        COMMANDS[name] = CommandInfo(name, title, kind, fn.__name__, target)
        return fn
    return register



@dataclass
class WallCommands:
    """The commands of one wall (each wall window has its own, with its own undo)."""

    model: WallModel
    registry: Registry
    store: SettingsStore | None = None
    snapshots: SnapshotWriter | None = None
    host: Host | None = None
    frames: FrameGrabber | None = None
    tour_seconds: float = 10.0
    current_slot: int | None = None  # the saved view this wall came from
    tour: Tour | None = None
    highlighted: str | None = None  # a camera picked elsewhere (the map), marked on tiles
    alarm: AlarmDesk | None = None  # the main wall's incidents (app/alarm.py); None elsewhere
    audit: AuditLog | None = None  # refusals are recorded here (and the alarm's events)
    operator: str | None = None  # who runs commands, when not the officer at the console
    log: deque = field(default_factory=lambda: deque(maxlen=200))  # names run, newest last
    tour_changed: Event = field(default_factory=lambda: Event("tour"))
    slot_changed: Event = field(default_factory=lambda: Event("slot"))
    highlight_changed: Event = field(default_factory=lambda: Event("highlight"))
    _undo: deque = field(default_factory=lambda: deque(maxlen=UNDO_DEPTH))
    _redo: list = field(default_factory=list)

    # -- the one entry point -----------------------------------------------------------------
    def run(self, command: str, /, *args: Any, **kwargs: Any) -> Result:
        """Run a command by name. Raises CommandError (for the officer) when it cannot."""
        name = command
        info = COMMANDS.get(name)
        if info is None:
            raise CommandError(f"No such command: {name}")
        target: Any = self
        if info.target == "alarm":
            target = self.alarm
            if target is None:
                raise CommandError("Alarm mode is in the main wall's window")
        self.log.append(name)
        before = self.wall_state() if info.kind in ("edit", "replace") else None
        try:
            result = getattr(target, info.method)(*args, **kwargs)
        except SettingsError as exc:  # for the officer, like any refusal; never a crash
            raise CommandError(f"Not done: {exc}") from None
        if before is not None and self.wall_state() != before and name not in ("undo", "redo"):
            self._undo.append(before)
            self._redo.clear()
        return result if isinstance(result, Result) else Result()

    @contextmanager
    def acting_as(self, operator: str) -> Iterator[None]:
        """Commands run inside are recorded in the audit log as `operator`'s (the API)."""
        before, self.operator = self.operator, operator
        try:
            yield
        finally:
            self.operator = before

    # -- state -------------------------------------------------------------------------------
    def wall_state(self) -> dict:
        """Everything that makes this wall what it is (for undo, and the pre-alarm wall)."""
        state = self.model.to_dict()
        state["current_slot"] = self.current_slot
        return state

    def apply_state(self, state: dict) -> None:
        self.model.apply_dict(state)
        slot = state.get("current_slot")
        self._set_slot(slot if isinstance(slot, int) and 1 <= slot <= MAX_SLOTS else None)

    def _set_slot(self, slot: int | None) -> None:
        if slot != self.current_slot:
            self.current_slot = slot
            self.slot_changed.emit()

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    # -- helpers -----------------------------------------------------------------------------
    def camera(self, camera_id: object) -> Camera:
        cam = self.registry.cameras.get(camera_id) if isinstance(camera_id, str) else None
        if cam is None:
            raise NotFound(f"Not a camera in the registry: {str(camera_id)[:40]}")
        return cam

    def allowed(self, cam: Camera, command: str) -> Camera:
        """An incident_only (private) camera may be shown only while an incident is open:
        outside one, refuse, and record the refusal in the audit log."""
        if cam.access == "incident_only" and (self.alarm is None or not self.alarm.open):
            if self.audit is not None:
                data = {"camera": cam.id, "command": command,
                        "why": "incident_only, no open incident"}
                if self.operator is not None:
                    data["operator"] = self.operator
                self.audit.append("refused", None, data)
            raise CommandError(f"{cam.name} is a private camera watched only during an "
                               "incident: not opened (recorded in the audit log)")
        return cam

    def _replace(self, cameras: list[str | None], layout_name: str | None,
                 slot: int | None = None, from_tour: bool = False) -> None:
        """The rule for replacing commands (see the module docstring)."""
        if not from_tour:
            self._stop_tour(quiet=True)
        layout = LAYOUTS.get(layout_name or "", self.model.layout)
        self.model.set_view(list(cameras), layout)
        self._set_slot(slot)

    def _host(self) -> Host:
        if self.host is None:
            raise CommandError("Not available in this window")
        return self.host

    def _store(self) -> SettingsStore:
        if self.store is None:
            raise CommandError("Saved views are not available (no settings store)")
        return self.store

    # -- editing the wall --------------------------------------------------------------------
    @command("set_layout", "Change the layout", "edit")
    def set_layout(self, name: str) -> Result:
        if name not in LAYOUTS:
            raise CommandError(f"No layout {name}")
        self.model.set_layout(LAYOUTS[name])
        return Result(f"Layout {name}")

    @command("put_camera", "Put a camera on a tile (default: the selected tile)", "edit")
    def put_camera(self, camera_id: str, tile: int | None = None) -> Result:
        cam = self.allowed(self.camera(camera_id), "put_camera")
        tile = self.model.put(cam.id, tile)
        self.model.select(tile)
        return Result(f"{_numbered(cam)} on tile {tile + 1}", tile)

    @command("put_number", "Put camera number N on the selected tile", "edit")
    def put_number(self, number: int) -> Result:
        cam = self.registry.by_number(number)
        if cam is None:
            raise CommandError(f"No camera number {number}")
        return self.put_camera(cam.id)

    @command("open_camera", "Open a camera on the next free tile", "edit")
    def open_camera(self, camera_id: str) -> Result:
        """The selected tile if empty, else the next free tile of the page; on a full page,
        the first free place after it. Never replaces a camera."""
        cam = self.allowed(self.camera(camera_id), "open_camera")
        page = self.model.page
        tile = self.model.put_next_free(cam.id)
        self.model.select(tile)
        where = f"tile {tile + 1}"
        if self.model.page != page:
            where += f" of page {self.model.page + 1} (this page was full; PgUp goes back)"
        return Result(f"{_numbered(cam)} on {where}", tile)

    @command("clear_tile", "Clear a tile (default: the selected tile)", "edit")
    def clear_tile(self, tile: int | None = None) -> Result:
        self.model.clear(tile)
        return Result()

    @command("swap_tiles", "Swap two tiles", "edit")
    def swap_tiles(self, a: int, b: int) -> Result:
        n = self.model.layout.tiles
        if not (0 <= a < n and 0 <= b < n):
            raise CommandError("No such tile")
        self.model.swap(a, b)
        return Result()

    @command("add_cameras", "Add cameras to the wall (keeps what is there)", "edit")
    def add_cameras(self, camera_ids: Iterable[str], label: str = "") -> Result:
        ids = [self.camera(c).id for c in camera_ids]
        added = self.model.add(ids)
        what = f"{label}: " if label else ""
        if not added:
            return Result(f"{what}all {len(ids)} camera(s) are already on the wall")
        extra = f" ({self.model.pages} pages: PgDown / PgUp)" if self.model.pages > 1 else ""
        return Result(f"{what}{added} camera(s) added to the wall{extra}", added)

    @command("show_cameras", "Replace the wall with these cameras", "replace")
    def show_cameras(self, camera_ids: Iterable[str], label: str = "") -> Result:
        ids = list(dict.fromkeys(self.camera(c).id for c in camera_ids))
        if not ids:
            raise CommandError(f"{label or 'That'}: no cameras to show")
        self._replace(list(ids), layout_for(len(ids)).name)
        msg = f"{label}: {len(ids)} camera(s) on the wall" if label else \
            f"{len(ids)} camera(s) on the wall"
        if self.model.pages > 1:
            msg += f", {self.model.pages} pages (PgDown / PgUp)"
        return Result(msg + " (Ctrl+Z: the wall before)", len(ids))

    @command("set_wall", "Replace the wall with a layout and cameras in tile order", "replace")
    def set_wall(self, cameras: list[str | None], layout: str | None = None) -> Result:
        """Tile i shows cameras[i] (None: empty); more cameras than tiles make pages. Private
        incident_only cameras are refused outside an incident (nothing changes then)."""
        if layout is not None and layout not in LAYOUTS:
            raise CommandError(f"No layout {str(layout)[:10]} (layouts: {', '.join(LAYOUTS)})")
        view = [None if c is None else self.allowed(self.camera(c), "set_wall").id
                for c in cameras]
        if layout is None:
            layout = layout_for(max(1, len(view))).name
        self._replace(view, layout)
        n = sum(1 for c in view if c)
        return Result(f"Layout {layout}, {n} camera(s) on the wall", n)

    @command("undo", "Undo: the wall as it was", "replace")
    def undo(self) -> Result:
        if not self._undo:
            raise CommandError("Nothing to undo")
        self._redo.append(self.wall_state())
        self._stop_tour(quiet=True)
        self.apply_state(self._undo.pop())
        return Result(f"Undone ({len(self._undo)} more)")

    @command("redo", "Redo", "replace")
    def redo(self) -> Result:
        if not self._redo:
            raise CommandError("Nothing to redo")
        self._undo.append(self.wall_state())
        self._stop_tour(quiet=True)
        self.apply_state(self._redo.pop())
        return Result("Redone")

    # -- moving around (no contents change) --------------------------------------------------
    @command("select_tile", "Select a tile", "navigate")
    def select_tile(self, index: int) -> Result:
        self.model.select(index)
        return Result()

    @command("move_selection", "Move the selection", "navigate")
    def move_selection(self, dx: int, dy: int) -> Result:
        self.model.move_selection(dx, dy)
        return Result()

    @command("maximise", "Maximise / restore the selected tile", "navigate")
    def maximise(self) -> Result:
        self.model.toggle_maximised()
        return Result()

    @command("activate_tile", "Select a tile and maximise or restore it", "navigate")
    def activate_tile(self, index: int) -> Result:
        with self.model.batch():
            self.model.select(index)
            self.model.toggle_maximised()
        return Result()

    @command("restore_tile", "Restore the maximised tile", "navigate")
    def restore_tile(self) -> Result:
        return Result(value=self.model.restore())

    @command("next_page", "Next page", "navigate")
    def next_page(self) -> Result:
        self.model.next_page()
        return Result()

    @command("prev_page", "Previous page", "navigate")
    def prev_page(self) -> Result:
        self.model.prev_page()
        return Result()

    @command("highlight_camera", "Mark the tiles that show a camera", "navigate")
    def highlight_camera(self, camera_id: str | None) -> Result:
        if camera_id is not None:
            camera_id = self.camera(camera_id).id
        if camera_id != self.highlighted:
            self.highlighted = camera_id
            self.highlight_changed.emit()
        return Result()

    # -- saved views -------------------------------------------------------------------------
    @command("open_view", "Open a saved view", "replace")
    def open_view(self, slot: int, from_tour: bool = False) -> Result:
        view = self._store().view(slot)
        if view is None:
            raise CommandError(f"No saved view {slot} (Ctrl+S saves the wall as a view)")
        self._replace(list(view.cameras), view.layout, slot=slot, from_tour=from_tour)
        return Result(f"View {slot}: {view.name}")

    @command("cycle_view", "Next / previous saved view", "replace")
    def cycle_view(self, step: int) -> Result:
        views = self._store().views()
        if not views:
            raise CommandError("No saved views yet (Ctrl+S saves the wall as a view)")
        slots = [v.slot for v in views]
        i = slots.index(self.current_slot) if self.current_slot in slots else \
            (-1 if step > 0 else 0)
        return self.open_view(slots[(i + step) % len(slots)])

    def _default_name(self, slot: int) -> str:
        n = sum(1 for c in self.model.view if c)
        return f"View {slot}: {self.model.layout.name}, {n} cameras"

    def _write_view(self, slot: int, name: str) -> Result:
        self._store().save_view(slot, name, self.model.layout.name, list(self.model.view))
        self._set_slot(slot)
        return Result(f"Saved as view {slot}: {name} (Alt+{slot})", slot)

    @command("save_view", "Save the wall as a view", "views")
    def save_view(self) -> Result:
        """Over the view this wall came from (the officer edited it), else into the next free
        slot. With no free slot it asks which view to replace (see save_view_as)."""
        store = self._store()
        if self.current_slot is not None:
            old = store.view(self.current_slot)
            return self._write_view(self.current_slot,
                                    old.name if old else self._default_name(self.current_slot))
        if store.free_slot() is None:
            return self.save_view_as()
        return self.save_view_as(name=None, ask_name=False)

    @command("save_view_as", "Save the wall as a new view (name it)", "views")
    def save_view_as(self, slot: int | None = None, name: str | None = None,
                     ask_name: bool = True) -> Result:
        store = self._store()
        if slot is None:
            slot = store.free_slot()
        if slot is None:
            answer = self._host().ask_text(
                f"All {MAX_SLOTS} view slots are used. Replace which view (1-{MAX_SLOTS})?\n"
                + _list_views(store.views()), "")
            if answer is None:
                raise CommandError("Not saved")
            try:
                slot = int(answer.strip())
            except ValueError:
                raise CommandError(f"Not saved: '{answer[:10]}' is not a view number") from None
        if not 1 <= slot <= MAX_SLOTS:
            raise CommandError(f"Not saved: views are numbered 1 to {MAX_SLOTS}")
        old = store.view(slot)
        if name is None:
            default = self._default_name(slot)
            name = self._host().ask_text("Name of the view:", default) if ask_name else default
            if name is None:
                raise CommandError("Not saved")
        name = name.strip() or self._default_name(slot)
        if old is not None and slot != self.current_slot:
            if not self._host().confirm(
                    f"Replace saved view {slot} ({old.name})? It is not the wall on screen; "
                    f"Alt+{slot} will then open this wall instead."):
                raise CommandError(f"Not saved: view {slot} kept as it was")
        return self._write_view(slot, name)

    @command("rename_view", "Rename a saved view", "views")
    def rename_view(self, slot: int | None = None, name: str | None = None) -> Result:
        store = self._store()
        slot = self.current_slot if slot is None else slot
        view = store.view(slot) if slot is not None else None
        if view is None:
            raise CommandError("No saved view on the wall to rename (open one with Alt+1..9)")
        if name is None:
            name = self._host().ask_text(f"New name of view {slot}:", view.name)
            if name is None:
                raise CommandError("Not renamed")
        name = name.strip()
        if not name:
            raise CommandError("Not renamed: a view needs a name")
        store.rename_view(view.slot, name)
        return Result(f"View {slot} is now called: {name}")

    @command("delete_view", "Delete a saved view", "views")
    def delete_view(self, slot: int | None = None, confirmed: bool = False) -> Result:
        store = self._store()
        slot = self.current_slot if slot is None else slot
        view = store.view(slot) if slot is not None else None
        if view is None:
            raise CommandError("No saved view on the wall to delete (open one with Alt+1..9)")
        if not confirmed and not self._host().confirm(
                f"Delete saved view {slot} ({view.name})? The wall on screen stays."):
            raise CommandError("Not deleted")
        store.delete_view(view.slot)
        if self.current_slot == slot:
            self._set_slot(None)
        return Result(f"View {slot} ({view.name}) deleted")

    # -- tour --------------------------------------------------------------------------------
    @command("tour", "Start / stop the tour", "navigate")
    def toggle_tour(self) -> Result:
        if self.tour is not None:
            return self._stop_tour()
        if self.model.pages > 1:
            steps: list = [("page", p) for p in range(self.model.pages)]
            start = self.model.page
        else:
            views = self.store.views() if self.store else []
            if len(views) < 2:
                raise CommandError("Nothing to tour: the wall has one page and fewer than two "
                                   "saved views")
            steps = [("view", v.slot) for v in views]
            start = next((i for i, v in enumerate(views) if v.slot == self.current_slot), -1)
        self.tour = Tour(steps, self.tour_seconds)
        self.tour.index = start if start >= 0 else len(steps) - 1
        self.tour_changed.emit()
        if start < 0:
            self.tour_step()
        kind = "pages" if steps[0][0] == "page" else "views"
        return Result(f"Tour started: {len(steps)} {kind}, every {self.tour_seconds:g} s "
                      f"(Alt+T stops)")

    def _stop_tour(self, quiet: bool = False) -> Result:
        if self.tour is None:
            return Result()
        self.tour = None
        self.tour_changed.emit()
        return Result("" if quiet else "Tour stopped")

    def upcoming(self) -> list[str | None]:
        """The cameras the tour shows next, tile by tile (the wall keeps them open on
        standby so that the turn shows pictures at once); [] with no tour, or when the next
        step is a view with another layout (its tiles have other sizes)."""
        if self.tour is None or len(self.tour.steps) < 2:
            return []
        kind, value = self.tour.steps[(self.tour.index + 1) % len(self.tour.steps)]
        tiles = self.model.layout.tiles
        if kind == "page":
            cams = self.model.view[value * tiles:(value + 1) * tiles]
        else:
            view = self.store.view(value) if self.store else None
            if view is None or view.layout != self.model.layout.name:
                return []
            cams = list(view.cameras[:tiles])
        return cams + [None] * (tiles - len(cams))

    @command("tour_step", "The tour's next step (its timer)", "navigate")
    def tour_step(self) -> Result:
        if self.tour is None:
            return Result()
        kind, value = self.tour.advance()
        if kind == "page":
            self.model.go_page(value)
            return Result()
        try:
            return self.open_view(value, from_tour=True)
        except CommandError:  # the view was deleted meanwhile: skip it
            return Result()

    # -- pictures and windows ----------------------------------------------------------------
    @command("snapshot", "Save a picture of the selected tile", "navigate")
    def snapshot(self) -> Result:
        cam_id = self.model.selected_camera()
        got = self.frames.full_frame(self.model.selected) if self.frames else None
        if cam_id is None or self.snapshots is None or cam_id not in self.registry.cameras:
            raise CommandError("Nothing to save: the selected tile shows no picture")
        if got is None:
            raise CommandError("Nothing to save yet: no frame from this camera")
        frame, stream, source = got
        path: Path = self.snapshots.save(self.registry.cameras[cam_id], frame, stream=stream,
                                         source=source)
        return Result(f"Picture saved: {path}", path)

    @command("second_wall", "Second wall window (next screen)", "window")
    def second_wall(self) -> Result:
        self._host().open_second_wall()
        return Result()

    @command("fullscreen", "Full screen", "window")
    def fullscreen(self) -> Result:
        self._host().toggle_fullscreen()
        return Result()

    @command("find_camera", "Find camera", "window")
    def find_camera(self) -> Result:
        self._host().find_camera()
        return Result()

    @command("map", "Show / hide the map", "window")
    def toggle_map(self) -> Result:
        self._host().toggle_map()
        return Result()

    @command("back", "Back", "window")
    def back(self) -> Result:
        self._host().back()
        return Result()

    @command("help", "Keyboard help", "window")
    def help(self) -> Result:
        self._host().toggle_help()
        return Result()

    @command("camera_number", "Type a camera number", "window")
    def camera_number(self) -> Result:
        self._host().start_number_entry()
        return Result("Type the camera number, then Enter")

    def _window_only(self, method: str) -> Callable[[], Any]:
        """A host method that only some windows have (the main wall's, not a second's)."""
        fn = getattr(self._host(), method, None)
        if fn is None:
            raise CommandError("Not available in this window")
        return fn

    @command("stream_history", "Stream history of the selected tile", "window")
    def stream_history(self) -> Result:
        self._window_only("show_stream_history")()
        return Result()

    @command("export_evidence", "Export the evidence bundle of the incident on the wall",
             "window")
    def export_evidence(self) -> Result:
        return Result(self._window_only("export_evidence")())

    @command("replay", "Instant replay of the selected tile (its last 30 s)", "window")
    def replay(self) -> Result:
        self._window_only("show_replay")()
        return Result("Replay of the last 30 s; the tile stays live (Esc closes)")

    @command("reduced_motion", "Reduced motion: a steady alarm banner", "window")
    def reduced_motion(self) -> Result:
        self._window_only("toggle_reduced_motion")()
        return Result()

    @command("quit", "Quit", "window")
    def quit(self) -> Result:
        self._host().quit()
        return Result()


def _numbered(cam: Camera) -> str:
    return f"Camera {cam.number} ({cam.name})" if cam.number else cam.name


def _list_views(views: list[SavedView]) -> str:
    return "\n".join(f"  {v.slot}: {v.name}" for v in views)
