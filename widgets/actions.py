"""Every keyboard shortcut, in one table: menus, the help overlay (F1) and the README's
shortcut table are all made from it (a test keeps the README in step).

Scopes: "window" shortcuts work anywhere in the window; "wall" shortcuts only while the wall
has the focus, so the arrow keys, Enter and Delete still edit text in the search box and move
in the camera list.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenuBar, QWidget

from app.layouts import LAYOUTS
from widgets.wall import WallWidget


@dataclass(frozen=True)
class Spec:
    name: str
    text: str
    keys: tuple[str, ...]
    menu: str  # "Wall", "Views", "Alarm", "View", "File"
    scope: str  # "window" or "wall"
    command: str  # the command it runs (app.commands.COMMANDS)
    args: tuple = ()
    family: str = ""  # rows with the same family are one line in the help and the README


LAYOUT_KEYS = {"1": "Ctrl+1", "2x2": "Ctrl+2", "3x3": "Ctrl+3", "4x4": "Ctrl+4",
               "5x5": "Ctrl+5", "6x6": "Ctrl+6", "8x8": "Ctrl+8",
               "1+5": "Ctrl+Alt+5", "1+7": "Ctrl+Alt+7", "1+12": "Ctrl+Alt+2"}


def _layout_text(name: str) -> str:
    if name == "1":
        return "Layout: single camera"
    if "+" in name:
        big, small = name.split("+")
        return f"Layout: {name} (one large, {small} small)"
    return f"Layout: {name} grid"


def specs() -> list[Spec]:
    out: list[Spec] = []
    for name in LAYOUTS:
        out.append(Spec(f"layout_{name}", _layout_text(name), (LAYOUT_KEYS[name],), "Wall",
                        "window", "set_layout", (name,)))
    moves = (("left", "Left", -1, 0), ("right", "Right", 1, 0), ("up", "Up", 0, -1),
             ("down", "Down", 0, 1))
    for name, key, dx, dy in moves:
        out.append(Spec(f"select_{name}", f"Select the tile {name}", (key,), "Wall", "wall",
                        "move_selection", (dx, dy), family="Move the selection between tiles"))
    out += [
        Spec("maximise", "Maximise / restore the selected tile", ("Return", "Enter"), "Wall",
             "wall", "maximise"),
        Spec("clear_tile", "Clear the selected tile", ("Del",), "Wall", "wall", "clear_tile"),
        Spec("next_page", "Next page", ("PgDown",), "Wall", "wall", "next_page"),
        Spec("prev_page", "Previous page", ("PgUp",), "Wall", "wall", "prev_page"),
        Spec("undo", "Undo: the wall as it was before the last change", ("Ctrl+Z",), "Wall",
             "window", "undo"),
        Spec("redo", "Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "Wall", "window", "redo"),
        Spec("camera_number", "Camera number… (type it, then Enter)", ("Ctrl+G",), "Wall",
             "window", "camera_number"),
        Spec("tour", "Start / stop the tour", ("Alt+T",), "Wall", "window", "tour"),
        Spec("snapshot", "Save a picture of the selected tile", ("Alt+S",), "Wall", "window",
             "snapshot"),
    ]
    for slot in range(1, 10):
        out.append(Spec(f"open_view_{slot}", f"Open saved view {slot}", (f"Alt+{slot}",),
                        "Views", "window", "open_view", (slot,),
                        family="Open saved view 1–9"))
    out += [
        Spec("next_view", "Next saved view", ("Ctrl+Tab",), "Views", "window", "cycle_view",
             (1,)),
        Spec("prev_view", "Previous saved view", ("Ctrl+Shift+Tab",), "Views", "window",
             "cycle_view", (-1,)),
        Spec("save_view", "Save the wall as a view (over the view it came from)", ("Ctrl+S",),
             "Views", "window", "save_view"),
        Spec("save_view_new", "Save the wall as a new, named view…", ("Ctrl+Shift+S",), "Views",
             "window", "save_view_as"),
        Spec("rename_view", "Rename the current view…", ("F2",), "Views", "window",
             "rename_view"),
        Spec("delete_view", "Delete the current view…", ("Ctrl+Shift+Del",), "Views", "window",
             "delete_view"),
        Spec("raise_incident", "Raise an incident…", ("Ctrl+I",), "Alarm", "window",
             "raise_dialog"),
        Spec("raise_at_camera", "Raise an incident at the selected camera",
             ("Ctrl+Shift+I",), "Alarm", "window", "raise_at_camera"),
        Spec("acknowledge", "Acknowledge the incident", ("Alt+A",), "Alarm", "window",
             "acknowledge"),
        Spec("add_note", "Add a note to the incident…", ("Ctrl+Alt+N",), "Alarm", "window",
             "add_note"),
        Spec("radius_up", "Incident search radius up", ("]",), "Alarm", "wall",
             "change_radius", (1,)),
        Spec("radius_down", "Incident search radius down", ("[",), "Alarm", "wall",
             "change_radius", (-1,)),
        Spec("clear_incident", "Clear the incident…", ("Ctrl+Alt+C",), "Alarm", "window",
             "clear_incident"),
        Spec("next_incident", "Show the next open incident", ("Alt+I",), "Alarm", "window",
             "next_incident"),
        Spec("export_evidence", "Export the incident's evidence bundle (sheet, PDF, CSV, "
             "recordings, hashes)", ("Ctrl+Alt+E",), "Alarm", "window", "export_evidence"),
        Spec("exercise_drill", "Start the South City Mall fire drill (Exercise)", (), "Alarm",
             "window", "exercise_drill"),
        Spec("fullscreen", "Full screen", ("F11", "Alt+Return"), "View", "window",
             "fullscreen"),
        Spec("find_camera", "Find camera…", ("Ctrl+F",), "View", "window", "find_camera"),
        Spec("map", "Show / hide the map", ("Ctrl+M",), "View", "window", "map"),
        Spec("second_wall", "Second wall window (next screen)", ("Ctrl+Shift+N",), "View",
             "window", "second_wall"),
        Spec("back", "Back: close help, restore tile, leave full screen; keys back to the wall",
             ("Esc",), "View", "window", "back"),
        Spec("help", "Keyboard help", ("F1",), "View", "window", "help"),
        Spec("stream_history", "Stream history of the selected tile (when and why it went "
             "down)", ("Ctrl+Shift+H",), "View", "window", "stream_history"),
        Spec("replay", "Instant replay of the selected tile: its last 30 s, while it stays live",
             ("Ctrl+R",), "View", "window", "replay"),
        Spec("reduced_motion", "Reduced motion: a steady alarm banner (no flashing)", (),
             "View", "window", "reduced_motion"),
        Spec("quit", "Quit", ("Ctrl+Q",), "File", "window", "quit"),
    ]
    return out


# Menu titles whose first letter's Alt key is a shortcut (Alt+A acknowledges).
MENU_TITLES = {"Alarm": "A&larm"}

# Keys that are not a QAction: typed on the wall.
TYPED_ROWS = [("Put camera number N on the selected tile", "0–9, then Return")]


def install(window: QWidget, wall: WallWidget, menubar: QMenuBar | None,
            only: Callable[[Spec], bool] = lambda s: True) -> dict[str, QAction]:
    """Create the QActions for `window` (and its menus, if it has a menu bar)."""
    actions: dict[str, QAction] = {}
    menus: dict[str, object] = {}
    for spec in specs():
        if not only(spec):
            continue
        act = QAction(spec.text, window)
        act.setObjectName(spec.name)
        act.setShortcuts([QKeySequence(k) for k in spec.keys])
        act.triggered.connect(lambda _=False, s=spec: wall.execute(s.command, *s.args))
        if spec.scope == "wall":
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            wall.addAction(act)
        else:
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            window.addAction(act)  # works with the menu bar hidden (full screen)
        if menubar is not None:
            menu = menus.get(spec.menu)
            if menu is None:
                menu = menus[spec.menu] = menubar.addMenu(
                    MENU_TITLES.get(spec.menu, f"&{spec.menu}"))
            menu.addAction(act)
        actions[spec.name] = act
    return actions


def shortcut_rows(actions: dict[str, QAction] | None = None) -> list[tuple[str, str]]:
    """(what, keys) rows for the help overlay and the README, families folded into one row."""
    rows: list[tuple[str, str]] = []
    families: dict[str, list[str]] = {}
    for spec in specs():
        keys = spec.keys
        if actions is not None:
            act = actions.get(spec.name)
            if act is None:
                continue
            keys = tuple(k.toString() for k in act.shortcuts())
        if not keys:
            continue  # a menu item without a key (the drill) is no shortcut
        if spec.family:
            if spec.family not in families:
                families[spec.family] = []
                rows.append((spec.family, ""))
            families[spec.family].extend(keys)
        else:
            rows.append((spec.text, ", ".join(keys)))
    out = []
    for what, keys in rows:
        if what in families:
            fam = families[what]
            keys = f"{fam[0]} … {fam[-1]}" if what.startswith("Open saved view") else \
                ", ".join(fam)
        out.append((what, keys))
    return out + TYPED_ROWS


def markdown_table(rows: list[tuple[str, str]]) -> str:
    lines = ["| Action | Keys |", "|---|---|"]
    lines += [f"| {what} | {keys} |" for what, keys in rows]
    return "\n".join(lines)
