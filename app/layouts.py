"""Wall layouts and the wall's contents, as plain Python.

A layout is a grid of `cols` x `rows` units and a list of cells, each a rectangle in grid
units, in reading order. The wall model keeps a list of camera ids ("the view"): tile `i`
on the current page shows `view[page * tiles + i]`. Switching to a smaller layout keeps the
cameras that no longer fit, so switching back restores them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cell:
    col: int
    row: int
    cols: int = 1
    rows: int = 1


@dataclass(frozen=True)
class Layout:
    name: str  # e.g. "2x2"
    cols: int
    rows: int
    cells: tuple[Cell, ...]

    @property
    def tiles(self) -> int:
        return len(self.cells)

    def rects(self, width: int, height: int, gap: int = 2) -> list[tuple[int, int, int, int]]:
        """Pixel rectangles (x, y, w, h) of the cells in a width x height area."""
        out = []
        for c in self.cells:
            x0 = c.col * width // self.cols
            x1 = (c.col + c.cols) * width // self.cols
            y0 = c.row * height // self.rows
            y1 = (c.row + c.rows) * height // self.rows
            out.append((x0 + gap // 2, y0 + gap // 2, max(1, x1 - x0 - gap),
                        max(1, y1 - y0 - gap)))
        return out

    def neighbour(self, index: int, dx: int, dy: int) -> int:
        """The cell next to `index` in direction (dx, dy), for arrow-key selection."""
        c = self.cells[index]
        cx, cy = c.col + (c.cols - 1) / 2, c.row + (c.rows - 1) / 2
        best, best_d = index, None
        for i, o in enumerate(self.cells):
            ox, oy = o.col + (o.cols - 1) / 2, o.row + (o.rows - 1) / 2
            ahead = (ox - cx) * dx + (oy - cy) * dy
            if i == index or ahead <= 0:
                continue
            side = abs((ox - cx) * dy) + abs((oy - cy) * dx)
            d = (ahead + 2 * side, side)
            if best_d is None or d < best_d:
                best, best_d = i, d
        return best


def grid(n: int) -> Layout:
    return Layout(f"{n}x{n}" if n > 1 else "1", n, n,
                  tuple(Cell(col, row) for row in range(n) for col in range(n)))


def one_plus(name: str, cols: int, big: Cell) -> Layout:
    """One large cell and small cells around it, in reading order."""
    cells = [big]
    for row in range(cols):
        for col in range(cols):
            inside = big.col <= col < big.col + big.cols and big.row <= row < big.row + big.rows
            if not inside:
                cells.append(Cell(col, row))
    return Layout(name, cols, cols, tuple(cells))


LAYOUTS: dict[str, Layout] = {lay.name: lay for lay in (
    grid(1), grid(2), grid(3), grid(4), grid(5), grid(6), grid(8),
    one_plus("1+5", 3, Cell(0, 0, 2, 2)),
    one_plus("1+7", 4, Cell(0, 0, 3, 3)),
    one_plus("1+12", 4, Cell(1, 1, 2, 2)),
)}

# Below this height (device pixels) a tile shows the camera's sub stream, if it has one: a
# 640x360 sub stream already has every pixel such a tile can show. Larger tiles, and a
# maximised tile, get the main stream. (Nx Witness switches at about 170-230 px.)
SUB_STREAM_BELOW_PX = 400


def wants_sub_stream(tile_height_px: int, maximised: bool = False) -> bool:
    return not maximised and tile_height_px < SUB_STREAM_BELOW_PX


def layout_for(count: int) -> Layout:
    """The smallest square grid that shows `count` cameras (8x8, paged, if none is enough)."""
    grids = [lay for lay in LAYOUTS.values() if lay.cols == lay.rows and lay.tiles == lay.cols ** 2]
    for lay in sorted(grids, key=lambda lay: lay.tiles):
        if lay.tiles >= count:
            return lay
    return max(grids, key=lambda lay: lay.tiles)


class Event:
    """One kind of change of a model, with its listeners (no Qt: plain callbacks)."""

    def __init__(self, name: str):
        self.name = name
        self._listeners: list[Callable[[], None]] = []

    def connect(self, fn: Callable[[], None]) -> None:
        self._listeners.append(fn)

    def disconnect(self, fn: Callable[[], None]) -> None:
        if fn in self._listeners:
            self._listeners.remove(fn)

    def emit(self) -> None:
        for fn in list(self._listeners):
            fn()


class WallEvents:
    """The wall model's typed events, emitted once per change (after the change is whole):

    - `layout`: the layout changed;
    - `view`: the cameras of the view changed;
    - `page`: the current page changed;
    - `selection`: the selected tile, or the camera on it, changed;
    - `maximised`: the selected tile filled the wall or came back.
    """

    NAMES = ("layout", "view", "page", "selection", "maximised")

    def __init__(self) -> None:
        self.layout = Event("layout")
        self.view = Event("view")
        self.page = Event("page")
        self.selection = Event("selection")
        self.maximised = Event("maximised")

    def all(self) -> list[Event]:
        return [getattr(self, n) for n in self.NAMES]

    def connect_all(self, fn: Callable[[], None], *, except_: tuple[str, ...] = ()) -> None:
        for ev in self.all():
            if ev.name not in except_:
                ev.connect(fn)


@dataclass
class WallModel:
    """What the wall shows: a layout, a page of the view, and the selected tile.

    Invariants, restored after every change (so no caller can break them):
    `0 <= page < pages` and `0 <= selected < layout.tiles`. A page past the view's last
    page cannot exist.
    """

    layout: Layout = field(default_factory=lambda: LAYOUTS["2x2"])
    view: list[str | None] = field(default_factory=list)
    page: int = 0
    selected: int = 0
    maximised: bool = False  # the selected tile fills the wall
    events: WallEvents = field(default_factory=WallEvents, repr=False, compare=False)
    _depth: int = field(default=0, repr=False, compare=False)
    _before: tuple | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.view = list(self.view)
        self._normalise()

    # -- change bookkeeping ------------------------------------------------------------------
    def _state(self) -> tuple:
        return (self.layout, tuple(self.view), self.page, self.selected, self.maximised,
                self.selected_camera())

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group changes: events are emitted once, when the outermost batch ends."""
        if self._depth == 0:
            self._before = self._state()
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._normalise()
                before, self._before = self._before, None
                self._emit(before)

    def _normalise(self) -> None:
        while self.view and self.view[-1] is None:
            self.view.pop()
        self.page = max(0, min(self.page, self.pages - 1))
        self.selected = max(0, min(self.selected, self.layout.tiles - 1))

    def _emit(self, before: tuple | None) -> None:
        if before is None:
            return
        lay, view, page, sel, maxi, sel_cam = before
        ev = self.events
        fired = []
        if lay != self.layout:
            fired.append(ev.layout)
        if view != tuple(self.view):
            fired.append(ev.view)
        if page != self.page:
            fired.append(ev.page)
        if maxi != self.maximised:
            fired.append(ev.maximised)
        if sel != self.selected or sel_cam != self.selected_camera():
            fired.append(ev.selection)
        for e in fired:
            e.emit()

    # -- reading -----------------------------------------------------------------------------
    @property
    def pages(self) -> int:
        used = max((i + 1 for i, c in enumerate(self.view) if c), default=0)
        return max(1, -(-used // self.layout.tiles))

    def visible(self) -> list[str | None]:
        """Camera id (or None) for each tile of the current page."""
        start = self.page * self.layout.tiles
        chunk = self.view[start:start + self.layout.tiles]
        return chunk + [None] * (self.layout.tiles - len(chunk))

    def selected_camera(self) -> str | None:
        vis = self.visible()
        return vis[self.selected] if 0 <= self.selected < len(vis) else None

    def cameras(self) -> list[str]:
        """Every camera of the view, in order, once each."""
        return list(dict.fromkeys(c for c in self.view if c))

    def position_of(self, camera_id: str) -> int | None:
        """The view position (page * tiles + tile) of a camera, if it is in the view."""
        try:
            return self.view.index(camera_id)
        except ValueError:
            return None

    def to_dict(self) -> dict:
        return {"layout": self.layout.name, "view": list(self.view), "page": self.page,
                "selected": self.selected, "maximised": self.maximised}

    @classmethod
    def from_dict(cls, data: dict) -> WallModel:
        """Rebuild a saved wall; anything unusable falls back to a default, never raises."""
        if not isinstance(data, dict):
            data = {}
        layout = LAYOUTS.get(str(data.get("layout")), LAYOUTS["2x2"])
        raw = data.get("view")
        view = [c if isinstance(c, str) else None for c in raw] if isinstance(raw, list) else []
        model = cls(layout=layout, view=view)
        model.apply_dict(data)
        return model

    def apply_dict(self, data: dict) -> None:
        """Make this model the wall `data` describes (as `to_dict` wrote it): one change."""
        if not isinstance(data, dict):
            data = {}
        raw = data.get("view")
        page, sel, maxi = data.get("page"), data.get("selected"), data.get("maximised")
        with self.batch():
            self.layout = LAYOUTS.get(str(data.get("layout")), self.layout)
            self.view = ([c if isinstance(c, str) else None for c in raw]
                         if isinstance(raw, list) else [])
            self._normalise()
            self.page = page if isinstance(page, int) and 0 <= page < self.pages else 0
            self.selected = sel if isinstance(sel, int) and 0 <= sel < self.layout.tiles else 0
            self.maximised = maxi is True

    # -- changing ----------------------------------------------------------------------------
    def set_layout(self, layout: Layout) -> None:
        with self.batch():
            self.maximised = False
            if layout == self.layout:
                return
            # Keep the selected camera on screen: go to the page that holds it.
            absolute = self.page * self.layout.tiles + self.selected
            self.layout = layout
            self.page = absolute // layout.tiles
            self.selected = absolute % layout.tiles
            if self.page >= self.pages:  # the selected tile was past the view's end
                self.page = self.pages - 1
                self.selected = 0

    def select(self, index: int) -> None:
        with self.batch():
            self.selected = max(0, min(index, self.layout.tiles - 1))

    def move_selection(self, dx: int, dy: int) -> None:
        self.select(self.layout.neighbour(self.selected, dx, dy))

    def toggle_maximised(self) -> None:
        with self.batch():
            self.maximised = not self.maximised

    def restore(self) -> bool:
        """Leave the maximised tile. False if there was nothing to restore."""
        if not self.maximised:
            return False
        with self.batch():
            self.maximised = False
        return True

    def go_page(self, page: int) -> None:
        with self.batch():
            page %= self.pages
            if page != self.page:
                self.page = page
                self.maximised = False

    def next_page(self) -> None:
        self.go_page(self.page + 1)

    def prev_page(self) -> None:
        self.go_page(self.page - 1)

    def put(self, camera_id: str, tile: int | None = None) -> int:
        """Show a camera on a tile (default: the selected one). Returns the tile index."""
        tile = self.selected if tile is None else tile
        pos = self.page * self.layout.tiles + tile
        with self.batch():
            if len(self.view) <= pos:
                self.view.extend([None] * (pos + 1 - len(self.view)))
            self.view[pos] = camera_id
        return tile

    def free_tile(self, camera_id: str | None = None) -> int | None:
        """The tile a camera would take without replacing another: where it already is on
        this page, else the selected tile if empty, else the next empty tile of the page."""
        vis = self.visible()
        if camera_id is not None and camera_id in vis:
            return vis.index(camera_id)
        n = len(vis)
        for k in range(n):
            i = (self.selected + k) % n
            if vis[i] is None:
                return i
        return None

    def put_next_free(self, camera_id: str) -> int:
        """Show a camera on a free tile of this page (see `free_tile`); on a full page, on the
        first free place after it (a new page if need be), and turn to that page. Never
        replaces a camera. Returns the tile index."""
        tile = self.free_tile(camera_id)
        if tile is not None:
            with self.batch():
                if self.visible()[tile] != camera_id:
                    self.put(camera_id, tile)
            return tile
        tiles = self.layout.tiles
        pos = (self.page + 1) * tiles
        while pos < len(self.view) and self.view[pos] is not None:
            pos += 1
        with self.batch():
            if len(self.view) <= pos:
                self.view.extend([None] * (pos + 1 - len(self.view)))
            self.view[pos] = camera_id
            self.page = pos // tiles
            self.maximised = False
        return pos % tiles

    def clear(self, tile: int | None = None) -> None:
        tile = self.selected if tile is None else tile
        pos = self.page * self.layout.tiles + tile
        with self.batch():
            if pos < len(self.view):
                self.view[pos] = None

    def swap(self, a: int, b: int) -> None:
        """Swap the cameras of two tiles on the current page."""
        base = self.page * self.layout.tiles
        need = base + max(a, b) + 1
        with self.batch():
            if len(self.view) < need:
                self.view.extend([None] * (need - len(self.view)))
            self.view[base + a], self.view[base + b] = self.view[base + b], self.view[base + a]
            self.selected = b

    def set_view(self, cameras: list[str | None], layout: Layout | None = None) -> None:
        with self.batch():
            self.view = list(cameras)
            if layout is not None:
                self.layout = layout
            self.page = 0
            self.selected = 0
            self.maximised = False

    def add(self, cameras: list[str]) -> int:
        """Add cameras that are not on the wall yet to its free places (first the free tiles,
        then after the last camera). Returns how many were added."""
        present = set(c for c in self.view if c)
        new = [c for c in dict.fromkeys(cameras) if c not in present]
        with self.batch():
            pos = 0
            for cam in new:
                while pos < len(self.view) and self.view[pos] is not None:
                    pos += 1
                if pos >= len(self.view):
                    self.view.append(cam)
                else:
                    self.view[pos] = cam
        return len(new)


class Tour:
    """Cycles through steps (pages of the view, or saved views) every `interval_s`."""

    def __init__(self, steps: list, interval_s: float = 10.0):
        if not steps:
            raise ValueError("a tour needs at least one step")
        self.steps = list(steps)
        self.interval_s = interval_s
        self.index = 0

    def advance(self) -> tuple[str, int]:  # (kind, value): ("page", n) or ("view", slot)
        self.index = (self.index + 1) % len(self.steps)
        return self.steps[self.index]
